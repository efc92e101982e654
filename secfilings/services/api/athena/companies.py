"""The ``company`` endpoint: every ownership filing of one issuer, index first.

``get_company(platform, cik)`` answers ``{"cik", "name", "filings": [...]}`` (issue 5, item 9) or
None when the issuer is unknown. What it reads follows ``settings.index_mode``:

- ``off`` and ``write``: SQL only (the index is not read; ``write`` leaves index writes to the writers);
- ``read-fallback`` (default): the lookup index first; on a miss, SQL, and the answer is written
  back to the index so the next lookup is a hit;
- ``read-only``: the index only; a miss is "not found", never a query.

It never reads an object from the lake: a hit costs one index query, a miss one SQL query.
Filings are in filing order (filing date, or period for a bare document, then accession number),
so the answer is the same whichever source served it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from secfilings.documents import HOLDING_KEYS, OWNER_KEYS, TRANSACTION_KEYS
from secfilings.model import normalize_cik
from secfilings.index.keys import company_pk, company_sk
from secfilings.sql.queries import COMPANY_FILINGS_SQL, filing_entries, filings_by_accession_sql
from secfilings.services.api.athena.read_through import AnswerMemo, read_through

if TYPE_CHECKING:  # pragma: no cover
    from secfilings.config import Platform

__all__ = ["get_company", "company_pk", "company_sk", "company_answer", "FILING_KEYS", "TRANSACTION_KEYS"]

FILING_KEYS = (
    "accession_number", "form_type", "filed", "period", "date_of_original_submission", "amends",
    "remarks", "footnotes", "reporting_owners", "transactions", "holdings",
)


def _order(entry: Mapping[str, Any]) -> tuple[str, str]:
    return (entry.get("filed") or entry.get("period") or "", entry["accession_number"])


def _owner_ciks(entry: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(owner.get("cik") for owner in entry.get("reporting_owners") or [])


def _amends(entry: Mapping[str, Any], entries: Sequence[Mapping[str, Any]]) -> str | None:
    """The filing an amendment (``4/A``...) amends: same issuer (all ``entries`` are one issuer's),
    same reporting owners, same period, filed on its ``dateOfOriginalSubmission``; the earliest
    accession when several match; None when the original is not in the lake (docs/fields.md)."""
    original = entry.get("date_of_original_submission")
    if not original or not str(entry.get("form_type") or "").endswith("/A"):
        return None
    owners = _owner_ciks(entry)
    for other in entries:
        if (
            other is not entry
            and other.get("filed") == original
            and other.get("period") == entry.get("period")
            and _owner_ciks(other) == owners
        ):
            return other["accession_number"]
    return None


def _filing(entry: Mapping[str, Any], entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "accession_number": entry["accession_number"],
        "form_type": entry["form_type"],
        "filed": entry.get("filed"),
        "period": entry.get("period"),
        "date_of_original_submission": entry.get("date_of_original_submission"),
        "amends": _amends(entry, entries),
        "remarks": entry.get("remarks"),
        "footnotes": dict(entry.get("footnotes") or {}),
        "reporting_owners": [{key: owner.get(key) for key in OWNER_KEYS} for owner in entry.get("reporting_owners") or []],
        "transactions": [{key: tx.get(key) for key in TRANSACTION_KEYS} for tx in entry.get("transactions") or []],
        "holdings": [{key: row.get(key) for key in HOLDING_KEYS} for row in entry.get("holdings") or []],
    }


def company_answer(cik10: str, entries: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The answer from filing entries (index items or shaped SQL rows); None when there are none."""
    unique = {entry["accession_number"]: entry for entry in entries}
    ordered = sorted(unique.values(), key=_order)
    if not ordered:
        return None
    name = next(
        (e.get("company_name") for e in reversed(ordered) if e.get("company_name")), None
    )
    return {"cik": cik10, "name": name, "filings": [_filing(entry, ordered) for entry in ordered]}


def get_company(
    platform: Platform, cik: str | int, *, stage: str = "all", memo: AnswerMemo | None = None
) -> dict[str, Any] | None:
    """The company answer for ``cik`` (with or without leading zeros), or None if unknown.

    ``stage``, ``memo``: see :func:`~secfilings.services.api.athena.read_through.read_through`
    (a remembered answer is shared: do not change it)."""
    cik10 = normalize_cik(cik)

    def from_sql() -> tuple[dict[str, Any] | None, list[tuple[str, dict[str, Any]]]]:
        entries = filing_entries(platform.sql.query(COMPANY_FILINGS_SQL, [cik10]))
        return company_answer(cik10, entries), [(company_sk(entry), entry) for entry in entries]

    def from_items(items: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
        return company_answer(cik10, _complete(platform, items))

    return read_through(platform, company_pk(cik10), from_items, from_sql, stage=stage, memo=memo, question="company")


def _complete(platform: Platform, items: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Index items too large for the index hold no rows (``rows_in_sql``): read those from SQL."""
    partial = sorted(item["accession_number"] for item in items if item.get("rows_in_sql"))
    if not partial:
        return list(items)
    full = {e["accession_number"]: e for e in filing_entries(platform.sql.query(filings_by_accession_sql(len(partial)), partial))}
    return [full.get(item["accession_number"], item) if item.get("rows_in_sql") else item for item in items]
