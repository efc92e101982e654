"""Real SEC filings bundled as package data (public EDGAR records; see README.md here for the
source, the upstream blob ids and the license notice that travels with them)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA_DIR", "FORM4_DIR", "THIRTEENF_DIR", "bundled_filings"]

DATA_DIR = Path(__file__).resolve().parent
FORM4_DIR = DATA_DIR / "form4"
THIRTEENF_DIR = DATA_DIR / "13f"


def bundled_filings() -> list[Path]:
    """Every bundled filing (Forms 3/4/5 and 13F), sorted by path."""
    return sorted(p for p in (*FORM4_DIR.iterdir(), *THIRTEENF_DIR.iterdir()) if p.is_file())
