"""Where each answer lives in the lookup index: the (pk, sk) keys the write path, the read
path, the backfill and the sync share.

- company filing: ``pk="company#<issuer CIK>"``, ``sk="filing#<filed or period>#<accession>"``;
- fund filing: ``pk="fund#<filer CIK>"``, ``sk="filing#<period>#<accession>"``;
- de-dup ledger: ``pk="ledger#<accession>"``, ``sk="filing"``;
- a remembered miss: ``sk="miss"`` under a company or fund pk, item ``{"miss": true}``.
"""

from __future__ import annotations

from typing import Any, Mapping

from secfilings.index.base import MAX_ITEM_BYTES, EncodedItem, encode_once

__all__ = [
    "company_pk", "company_sk", "fund_pk", "fund_sk", "ledger_pk", "LEDGER_SK", "MISS_SK", "MISS_ITEM",
    "is_miss", "ROW_LISTS", "fitted_item",
]

LEDGER_SK = "filing"
# A remembered miss: the SQL fallback found nothing under this pk. Any filing item under the same
# pk (ingest, backfill) outweighs it, so a write that touches the CIK ends it without a delete.
MISS_SK = "miss"
MISS_ITEM = {"miss": True}


# The row lists of a filing item; an item too large for the index keeps its filing fields and
# says ``"rows_in_sql": true`` instead (the read side reads those rows by accession from SQL).
ROW_LISTS = ("transactions", "holdings")
_KEEP_IN_STUB = ("accession_number", "form_type", "filed", "period", "is_amendment", "amendment_type", "has_table")


def fitted_item(pk: str, sk: str, item: Mapping[str, Any]) -> EncodedItem:
    """``item`` if it fits DynamoDB's 400 KB, else a stub the read side completes from SQL: the
    item without its row lists, or (when even that is too large: long footnotes) its keys only.
    A filing is then never missing from an answer the index serves. The item comes back encoded
    (:class:`~secfilings.index.base.EncodedItem`: the size check's text is the one stored)."""
    candidates = (
        lambda: item,
        lambda: {**{k: v for k, v in item.items() if k not in ROW_LISTS}, "rows_in_sql": True},
        lambda: {**{k: item.get(k) for k in _KEEP_IN_STUB if k in item}, "rows_in_sql": True},
    )
    for make in candidates:  # built one at a time: the first fits nearly always
        try:
            return encode_once(pk, sk, make())
        except ValueError:
            continue
    raise ValueError(f"lookup item ({pk!r}, {sk!r}): even its stub is over {MAX_ITEM_BYTES} bytes")


def is_miss(item: Mapping[str, Any]) -> bool:
    return item.get("miss") is True


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
