"""Where each answer lives in the lookup index: the (pk, sk) keys the write path, the read
path, the backfill and the sync share.

- company filing: ``pk="company#<issuer CIK>"``, ``sk="filing#<filed or period>#<accession>"``;
- fund filing: ``pk="fund#<filer CIK>"``, ``sk="filing#<period>#<accession>"``;
- de-dup ledger: ``pk="ledger#<accession>"``, ``sk="filing"``.
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["company_pk", "company_sk", "fund_pk", "fund_sk", "ledger_pk", "LEDGER_SK"]

LEDGER_SK = "filing"


def company_pk(cik10: str) -> str:
    return f"company#{cik10}"


def company_sk(entry: Mapping[str, Any]) -> str:
    """``filing#<filed>#<accession>`` (the period stands in for an unknown filing date)."""
    when = entry.get("filed") or entry.get("period") or ""
    return f"filing#{when}#{entry['accession_number']}"


def fund_pk(cik10: str) -> str:
    return f"fund#{cik10}"


def fund_sk(item: Mapping[str, Any]) -> str:
    return f"filing#{item.get('period') or ''}#{item['accession_number']}"


def ledger_pk(accession: str) -> str:
    return f"ledger#{accession}"
