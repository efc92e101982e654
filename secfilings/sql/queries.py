"""The SQL of the read path's fallback queries, and how their rows become answers.

Every statement takes ``?`` parameters (never string formatting of values): the only text built
at run time is the number of ``?`` placeholders of an ``IN`` list. The rows come from
``DuckDBEngine`` or ``AthenaEngine`` (same columns); the shaping functions turn them into the
JSON shapes of the ``company`` and ``fund`` answers (issue 5, item 9) that the lookup index
stores, so an answer is the same whichever served it.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from secfilings.documents import FILING_COLUMNS, ROW_COLUMNS, company_entry, iso_date, number
from secfilings.documents import as_int as _int

__all__ = [
    "COMPANY_FILINGS_SQL",
    "FUND_LATEST_SQL",
    "TOP_COMPANIES_SQL",
    "LATEST_FILING_SQL",
    "WINDOW_FILINGS_SQL",
    "filings_by_accession_sql",
    "placeholders",
    "iso_date",
    "number",
    "filing_entries",
    "fund_answer",
]

# Columns of one company filing entry with its rows (transactions and holdings), one row per
# table row (a filing without rows gives one row whose row columns are null): the columns
# secfilings.documents.company_entry reads.
_FILING_COLUMNS = "".join(
    [f"\n    f.{name}," for name in FILING_COLUMNS] + [f"\n    t.{name}," for name in ROW_COLUMNS]
).rstrip(",")

_FILING_JOIN = """
FROM ownership_filings f
LEFT JOIN insider_transactions t
    ON t.accession_number = f.accession_number"""

#: Every ownership filing of one issuer (parameter: the 10-digit CIK), with its transactions.
COMPANY_FILINGS_SQL = (
    f"SELECT{_FILING_COLUMNS}{_FILING_JOIN}\n"
    "WHERE f.issuer_cik = ?\n"
    "ORDER BY f.accession_number, t.position"
)

#: The latest 13F filing of one fund (parameter: the 10-digit CIK) with its holdings: latest
#: period first, then the greatest accession number (an amendment filed later wins a tie).
FUND_LATEST_SQL = """
WITH latest AS (
    SELECT accession_number, filer_cik, filer_name, period, filed
    FROM fund_filings
    WHERE filer_cik = ?
    ORDER BY period DESC NULLS LAST, accession_number DESC
    LIMIT 1
)
SELECT
    l.accession_number,
    l.filer_cik,
    l.filer_name,
    l.period,
    l.filed,
    h.position,
    h.issuer,
    h.cusip,
    h.value,
    h.shares,
    h.share_type,
    h.put_call
FROM latest l
LEFT JOIN fund_holdings h ON h.accession_number = l.accession_number
ORDER BY h.position""".strip()

#: The issuers the smart-money sync follows, best first.
TOP_COMPANIES_SQL = (
    "SELECT rank, issuer_cik, issuer_name, transactions, window_start, window_end "
    "FROM top_companies ORDER BY rank"
)

#: The date of the latest filing in the lake (filing date, or period for a bare document).
LATEST_FILING_SQL = "SELECT max(coalesce(filed, period)) AS latest FROM ownership_filings"

#: Ownership filings filed inside a window, ``(start, end]`` (parameters: start, end as dates).
#: The caller keeps the issuers it follows; no IN list, so one query whatever their number.
WINDOW_FILINGS_SQL = """
SELECT accession_number, issuer_cik, filed, period
FROM ownership_filings
WHERE coalesce(filed, period) > ? AND coalesce(filed, period) <= ?
ORDER BY accession_number""".strip()


def placeholders(count: int) -> str:
    """``"?, ?, ?"``: the only SQL text built at run time (never values)."""
    if count < 1:
        raise ValueError("an IN list needs at least one value")
    return ", ".join("?" for _ in range(count))


def filings_by_accession_sql(count: int) -> str:
    """Filings (with their transactions) whose accession number is one of ``count`` parameters."""
    return (
        f"SELECT{_FILING_COLUMNS}{_FILING_JOIN}\n"
        f"WHERE f.accession_number IN ({placeholders(count)})\n"
        "ORDER BY f.accession_number, t.position"
    )


# -- shaping rows into answers ------------------------------------------------------------------


def filing_entries(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Group joined filing/row rows into company filing entries (with ``company_cik`` and
    ``company_name``), in the rows' order of first appearance (see :func:`company_entry`)."""
    filings: dict[str, Mapping[str, Any]] = {}
    details: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        accession = row["accession_number"]
        if accession not in filings:
            filings[accession] = row
            details[accession] = []
        if row.get("position") is not None:
            details[accession].append(row)
    return [company_entry(filings[accession], details[accession]) for accession in filings]


def fund_answer(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The ``fund`` answer from the rows of :data:`FUND_LATEST_SQL` (None when there are none),
    plus ``accession_number`` and ``filed`` (kept in the index item, dropped from the answer)."""
    if not rows:
        return None
    first = rows[0]
    holdings = [
        {
            "issuer": row["issuer"],
            "cusip": row["cusip"],
            "value": _int(row["value"]),
            "shares": _int(row["shares"]),
            "share_type": row["share_type"],
            "put_call": row["put_call"],
        }
        for row in sorted(
            (row for row in rows if row.get("position") is not None), key=lambda r: int(r["position"])
        )
    ]
    return {
        "cik": first["filer_cik"],
        "name": first["filer_name"],
        "period": iso_date(first["period"]),
        "holdings": holdings,
        "accession_number": first["accession_number"],
        "filed": iso_date(first["filed"]),
    }
