"""Real SEC filings bundled as package data (public EDGAR records; see README.md here for the
source, the upstream blob ids and the license notice that travels with them)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA_DIR", "FORM4_DIR", "THIRTEENF_DIR", "NOT_INGESTIBLE", "bundled_filings", "ingestible_filings"]

DATA_DIR = Path(__file__).resolve().parent
FORM4_DIR = DATA_DIR / "form4"
THIRTEENF_DIR = DATA_DIR / "13f"


def bundled_filings() -> list[Path]:
    """Every bundled filing (Forms 3/4/5 and 13F), sorted by path."""
    return sorted(p for p in (*FORM4_DIR.iterdir(), *THIRTEENF_DIR.iterdir()) if p.is_file())


# The SEC's sample information table is a bare table: it names no fund and no period, so the
# worker rejects it on its own (it is kept for the parser's schema tests).
NOT_INGESTIBLE = frozenset({"sec-sample.information_table.xml"})


def ingestible_filings() -> list[Path]:
    """The bundled filings the worker accepts (all but :data:`NOT_INGESTIBLE`): 13 filings."""
    return [p for p in bundled_filings() if p.name not in NOT_INGESTIBLE and p.name != "README.md"]
