"""The SQL of the read path's fallback queries, and how their rows become answers.

Every statement takes ``?`` parameters (never string formatting of values): the only text built
at run time is the number of ``?`` placeholders of an ``IN`` list. The statements name the
lake's tables (``ownership_filings``...); ``DuckDBEngine`` has them as views over compacted and
fresh rows, and ``AthenaEngine`` sends each table as its ``<table>_all`` view (``layout.READ_VIEWS``,
infra/athena/ddl/compacted/), which reads the same rows. The rows (same columns) come from either; the shaping functions turn them into the
JSON shapes of the ``company`` and ``fund`` answers (issue 5, item 9) that the lookup index
stores, so an answer is the same whichever served it.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from secfilings.documents import (
    FILING_COLUMNS, FUND_FILING_COLUMNS, FUND_ROW_COLUMNS, ROW_COLUMNS, company_entry, fund_entry,
)

__all__ = [
    "COMPANY_FILINGS_SQL",
    "FUND_FILINGS_SQL",
    "TOP_COMPANIES_SQL",
    "LATEST_FILING_SQL",
    "WINDOW_FILINGS_SQL",
    "filings_by_accession_sql",
    "fund_filings_by_accession_sql",
    "placeholders",
    "filing_entries",
    "fund_entries",
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

# Columns of one fund filing entry with its holdings, one row per holding (a filing without
# holdings gives one row whose holding columns are null): what fund_entry reads.
_FUND_COLUMNS = "".join(
    [f"\n    f.{name}," for name in FUND_FILING_COLUMNS] + [f"\n    h.{name}," for name in FUND_ROW_COLUMNS]
).rstrip(",")

_FUND_JOIN = """
FROM fund_filings f
LEFT JOIN fund_holdings h
    ON h.accession_number = f.accession_number"""

#: Every 13F filing of one fund (parameter: the 10-digit CIK) with its holdings: the endpoint
#: makes quarters of them (amendments, notices, history).
FUND_FILINGS_SQL = (
    f"SELECT{_FUND_COLUMNS}{_FUND_JOIN}\n"
    "WHERE f.filer_cik = ?\n"
    "ORDER BY f.accession_number, h.position"
)

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


def fund_filings_by_accession_sql(count: int) -> str:
    """13F filings (with their holdings) whose accession number is one of ``count`` parameters."""
    return (
        f"SELECT{_FUND_COLUMNS}{_FUND_JOIN}\n"
        f"WHERE f.accession_number IN ({placeholders(count)})\n"
        "ORDER BY f.accession_number, h.position"
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


def fund_entries(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Group joined filing/holding rows into fund filing entries (``secfilings.documents.fund_entry``,
    with ``fund_cik`` and ``fund_name``), in the rows' order of first appearance."""
    filings: dict[str, Mapping[str, Any]] = {}
    details: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        accession = row["accession_number"]
        if accession not in filings:
            filings[accession] = row
            details[accession] = []
        if row.get("position") is not None:
            details[accession].append(row)
    return [fund_entry(filings[accession], details[accession]) for accession in filings]
