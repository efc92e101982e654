"""The top_companies view: one SQL source for DuckDB and the Athena DDL, run on DuckDB."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from secfilings.config import Settings, open_platform
from secfilings.lake import layout
from secfilings.scripts.render_athena_view import athena_view_ddl, view_select
from tests.platform.readside_helpers import bundled_lake, lake_rows

REPO = Path(__file__).resolve().parents[2]
DDL = REPO / "infra" / "athena" / "ddl" / "top_companies.sql"


def test_athena_ddl_is_generated_from_the_one_source() -> None:
    source = (REPO / "secfilings" / "sql" / "top_companies.sql").read_text(encoding="utf-8")
    assert view_select() == source
    assert DDL.read_text(encoding="utf-8") == athena_view_ddl(), (
        "infra/athena/ddl/top_companies.sql is stale: run "
        "python -m secfilings.scripts.render_athena_view infra/athena/ddl/top_companies.sql"
    )


@pytest.mark.parametrize("dialect", ["athena", "trino"])
def test_athena_ddl_parses_as_a_view_over_the_lake_tables(dialect: str) -> None:
    statements = [s for s in sqlglot.parse(DDL.read_text(encoding="utf-8"), read=dialect) if s is not None]
    assert len(statements) == 1
    create = statements[0]
    assert isinstance(create, exp.Create) and create.args["kind"].upper() == "VIEW"
    assert create.this.name == "top_companies"
    tables = {table.name for table in create.find_all(exp.Table)}
    # Athena reads the tables through their <table>_all views (compacted and fresh rows), never
    # the JSON tables alone (which lose every compacted row)
    views = {layout.READ_VIEWS["ownership_filings"], layout.READ_VIEWS["insider_transactions"]}
    assert views == {"ownership_filings_all", "insider_transactions_all"} and views <= tables
    assert not tables & set(layout.TABLE_COLUMNS), tables
    # every column the view reads from insider_transactions exists in the layout
    known = {name for name, _ in layout.TABLE_COLUMNS["insider_transactions"]}
    used = {c.name for c in create.find_all(exp.Column) if c.table == "t"}  # t: insider_transactions_all
    assert used and used <= known, used - known


def _put_rows(store: Any, table: str, form: str, when: date, accession: str, rows: list[dict[str, Any]]) -> None:
    key = layout.table_key(table, form, when, accession)
    store.put(key, "".join(json.dumps(row) + "\n" for row in rows).encode())


def _filing(store: Any, issuer: int, number: int, filed: date, tx_dates: list[date | None], holdings: int = 0) -> None:
    accession = f"{issuer:010d}-24-{number:06d}"
    cik = f"{issuer:010d}"
    _put_rows(store, "ownership_filings", "4", filed, accession, [
        {"accession_number": accession, "form_type": "4", "filed": filed.isoformat(), "issuer_cik": cik,
         "issuer_name": f"Issuer {issuer}", "reporting_owner_cik": f"{number + 9000:010d}"}
    ])
    rows = [
        {"accession_number": accession, "position": position, "form_type": "4", "filed": filed.isoformat(),
         "issuer_cik": cik, "issuer_name": f"Issuer {issuer}", "reporting_owner_cik": f"{number + 9000:010d}",
         "derivative": False, "is_transaction": True, "code": "P" if position % 2 == 0 else "S",
         "acquired_disposed": "A" if position % 2 == 0 else "D", "shares": 10.0 * (position + 1),
         "transaction_date": when.isoformat() if when else None}
        for position, when in enumerate(tx_dates)
    ]
    rows += [
        {"accession_number": accession, "position": len(tx_dates) + i, "form_type": "4", "issuer_cik": cik,
         "issuer_name": f"Issuer {issuer}", "derivative": False, "is_transaction": False, "shares": 5.0}
        for i in range(holdings)
    ]
    _put_rows(store, "insider_transactions", "4", filed, accession, rows)


def test_top_100_over_the_year_ending_at_the_latest_filing(tmp_path: Path) -> None:
    latest = date(2019, 6, 30)  # long ago: the window follows the lake, not today's date
    with open_platform(Settings(lake=str(tmp_path / "lake"))) as platform:
        # issuers 1..105: issuer i has i transactions in the window (so 6..105 are the top 100)
        for issuer in range(1, 106):
            when = latest - timedelta(days=issuer)
            _filing(platform.store, issuer, issuer, when, [when] * issuer, holdings=3)
        # issuer 500: many transactions, all older than the window; issuer 501: only holdings
        _filing(platform.store, 500, 1, latest - timedelta(days=300), [latest - timedelta(days=400)] * 300)
        _filing(platform.store, 501, 1, latest, [], holdings=200)
        top = platform.sql.query("SELECT * FROM top_companies ORDER BY rank")
    assert len(top) == 100
    assert [row["rank"] for row in top] == list(range(1, 101))
    assert [row["issuer_cik"] for row in top] == [f"{i:010d}" for i in range(105, 5, -1)]
    assert [row["transactions"] for row in top] == list(range(105, 5, -1))
    first = top[0]
    assert first["window_end"] == latest and first["window_start"] == latest - timedelta(days=365)
    assert first["acquisitions"] + first["disposals"] == first["transactions"]
    assert first["shares_acquired"] == sum(10.0 * (p + 1) for p in range(105) if p % 2 == 0)
    assert first["insiders"] == 1 and first["filings"] == 1


def test_top_companies_of_the_bundled_filings(tmp_path: Path) -> None:
    settings = bundled_lake(tmp_path / "lake")
    filings = lake_rows(tmp_path / "lake", "ownership_filings")
    rows = lake_rows(tmp_path / "lake", "insider_transactions")
    end = max(date.fromisoformat(f["filed"] or f["period"]) for f in filings)
    start = end - timedelta(days=365)
    expected: dict[str, int] = {}
    for row in rows:
        when = row["transaction_date"] or row["filed"] or row["period"]
        if row["is_transaction"] and start < date.fromisoformat(when) <= end:
            expected[row["issuer_cik"]] = expected.get(row["issuer_cik"], 0) + 1
    with open_platform(settings) as platform:
        top = platform.sql.query("SELECT * FROM top_companies ORDER BY rank")
    assert expected, "the bundled filings have transactions in the window"
    assert {row["issuer_cik"]: row["transactions"] for row in top} == expected
    assert all(row["window_end"] == end for row in top)
    assert [row["transactions"] for row in top] == sorted(expected.values(), reverse=True)
