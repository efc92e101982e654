"""SQL engines: DuckDB runs the SQL over the lake folder; Athena's request flow runs on moto."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from secfilings import meter
from secfilings.lake import layout
from secfilings.lake.objects import LocalObjectStore
from secfilings.sql.engine import AthenaEngine, DuckDBEngine, SqlError, load_view_sql

from .conftest import moto_api_post

ACC1, ACC2, ACC3 = "0000000001-25-000001", "0000000001-25-000002", "0000000001-24-000003"


def _rows(table: str, **values: Any) -> dict[str, Any]:
    row = {name: None for name, _kind in layout.TABLE_COLUMNS[table]}
    row.update(values)
    return row


def _write(store: LocalObjectStore, table: str, form: str, when: date, acc: str, rows: list[dict]) -> str:
    key = layout.table_key(table, form, when, acc)
    store.put(key, "".join(json.dumps(row) + "\n" for row in rows).encode())
    return key


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "lake")


@pytest.fixture
def engine(store: LocalObjectStore) -> Any:
    made = DuckDBEngine(store)
    yield made
    made.close()


def test_empty_lake_gives_empty_typed_tables(engine: DuckDBEngine) -> None:
    for table, columns in layout.TABLE_COLUMNS.items():
        assert engine.query(f"SELECT * FROM {table}") == []
        described = engine.query(f"SELECT column_name FROM (DESCRIBE {table})")
        names = [row["column_name"] for row in described]
        assert names == [n for n, _ in columns] + [n for n, _ in layout.PARTITION_COLUMNS]
    assert engine.query("SELECT count(*) AS n FROM top_companies") == [{"n": 0}]


def test_rows_written_after_opening_are_seen_with_partitions_and_types(
    store: LocalObjectStore, engine: DuckDBEngine
) -> None:
    assert engine.query("SELECT * FROM insider_transactions") == []
    _write(store, "insider_transactions", "4", date(2025, 5, 2), ACC1, [
        _rows("insider_transactions", accession_number=ACC1, position=0, issuer_cik="0000000042",
              is_transaction=True, shares=100.5, transaction_date="2025-04-30", derivative=False),
        _rows("insider_transactions", accession_number=ACC1, position=1, issuer_cik="0000000042",
              is_transaction=False, derivative=True),
    ])
    _write(store, "insider_transactions", "4/A", date(2024, 12, 9), ACC3, [
        _rows("insider_transactions", accession_number=ACC3, position=0, issuer_cik="0000000042",
              is_transaction=True, shares=7.0, transaction_date="2024-12-01", derivative=False),
    ])
    rows = engine.query(
        "SELECT accession_number, position, shares, transaction_date, derivative, form, year, month"
        " FROM insider_transactions WHERE issuer_cik = ? AND is_transaction ORDER BY accession_number",
        ["0000000042"],
    )
    assert rows == [
        {"accession_number": ACC3, "position": 0, "shares": 7.0, "transaction_date": date(2024, 12, 1),
         "derivative": False, "form": "4A", "year": "2024", "month": "12"},
        {"accession_number": ACC1, "position": 0, "shares": 100.5, "transaction_date": date(2025, 4, 30),
         "derivative": False, "form": "4", "year": "2025", "month": "05"},
    ]
    # and a file removed later is gone too
    store.delete(layout.table_key("insider_transactions", "4/A", date(2024, 12, 9), ACC3))
    assert [r["accession_number"] for r in engine.query(
        "SELECT accession_number FROM insider_transactions WHERE is_transaction")] == [ACC1]


def test_parameters_are_data_never_sql(store: LocalObjectStore, engine: DuckDBEngine) -> None:
    _write(store, "fund_filings", "13F-HR", date(2025, 2, 14), ACC2, [
        _rows("fund_filings", accession_number=ACC2, filer_cik="0001067983", filer_name="O'Brien Fund"),
    ])
    hostile = "x' OR '1'='1"
    assert engine.query("SELECT * FROM fund_filings WHERE filer_name = ?", [hostile]) == []
    found = engine.query("SELECT filer_cik FROM fund_filings WHERE filer_name = ?", ["O'Brien Fund"])
    assert found == [{"filer_cik": "0001067983"}]
    with pytest.raises(SqlError, match="list or tuple"):
        engine.query("SELECT 1", "0001067983")  # type: ignore[arg-type]


def test_bad_sql_is_one_clear_error(engine: DuckDBEngine) -> None:
    with pytest.raises(SqlError) as caught:
        engine.query("SELECT * FROM no_such_table")
    message = str(caught.value)
    assert message.startswith("DuckDB query failed:") and "no_such_table" in message
    assert "\n" not in message


def test_duckdb_meters_a_query_and_the_bytes_of_the_tables_it_reads(
    store: LocalObjectStore, engine: DuckDBEngine
) -> None:
    sizes = {}
    for table, acc in (("ownership_filings", ACC1), ("insider_transactions", ACC1),
                       ("fund_holdings", ACC2)):
        key = _write(store, table, "4", date(2025, 5, 2), acc,
                     [_rows(table, accession_number=acc)] * 3)
        sizes[table] = store.head(key)
    with meter.cost_meter() as counted:
        engine.query("SELECT count(*) FROM fund_holdings")
    assert counted.counts["athena.query"] == 1
    assert counted.counts["athena.bytes_scanned"] == sizes["fund_holdings"]
    with meter.cost_meter() as counted:
        engine.query("SELECT * FROM top_companies")  # the view reads the two ownership tables
    assert counted.counts["athena.bytes_scanned"] == (
        sizes["ownership_filings"] + sizes["insider_transactions"]
    )


def test_top_companies_view_runs_on_duckdb(store: LocalObjectStore, engine: DuckDBEngine) -> None:
    assert load_view_sql() is not None
    _write(store, "ownership_filings", "4", date(2025, 5, 2), ACC1, [
        _rows("ownership_filings", accession_number=ACC1, filed="2025-05-02", issuer_cik="0000000042"),
    ])
    _write(store, "insider_transactions", "4", date(2025, 5, 2), ACC1, [
        _rows("insider_transactions", accession_number=ACC1, position=i, issuer_cik="0000000042",
              issuer_name="Acme", is_transaction=True, acquired_disposed="A", shares=10.0,
              transaction_date="2025-05-01", reporting_owner_cik="0000000007")
        for i in range(3)
    ])
    (top,) = engine.query("SELECT issuer_cik, transactions FROM top_companies")
    assert top == {"issuer_cik": "0000000042", "transactions": 3}


# -- Athena on the moto server ------------------------------------------------------------------


def _column(name: str, kind: str) -> dict[str, Any]:
    return {"Name": name, "Label": name, "Type": kind, "Nullable": "NULLABLE", "CaseSensitive": False}


def _row(*values: str | None) -> dict[str, Any]:
    return {"Data": [{} if v is None else {"VarCharValue": v} for v in values]}


@pytest.fixture
def athena(athena_client: Any, s3_bucket: str) -> AthenaEngine:
    return AthenaEngine(
        athena_client, database="secfilings", workgroup="primary",
        output_location=f"s3://{s3_bucket}/athena-results/", poll_interval_s=0.01,
    )


@pytest.fixture
def slow_athena(aws_env: str) -> Any:
    """Queries stay QUEUED, then RUNNING, for two polls each (moto's manual state transitions)."""
    body = {"model_name": "athena::execution", "transition": {"progression": "manual", "times": 2}}
    assert moto_api_post(aws_env, "/moto-api/state-manager/set-transition", body) in (200, 201)
    yield
    moto_api_post(aws_env, "/moto-api/state-manager/unset-transition",
                  {"model_name": "athena::execution"})


def test_athena_flow_with_parameters_polling_and_typed_results(
    athena: AthenaEngine, athena_results: Any, slow_athena: None
) -> None:
    calls: list[str] = []
    for operation in ("StartQueryExecution", "GetQueryExecution", "GetQueryResults"):
        athena.client.meta.events.register(
            f"provide-client-params.athena.{operation}", lambda params, op=operation, **_: calls.append(op)
        )
    columns = [_column("issuer_cik", "varchar"), _column("transactions", "bigint"),
               _column("shares", "double"), _column("window_end", "date"),
               _column("is_transaction", "boolean"), _column("value", "decimal"),
               _column("note", "varchar")]
    athena_results([{
        "rows": [_row("issuer_cik", "transactions", "shares", "window_end", "is_transaction", "value", "note"),
                 _row("0000000042", "3", "30.5", "2025-05-02", "true", "12.50", None),
                 _row("0000000043", "1", "2.0", "2025-05-02", "false", "0.10", "x")],
        "column_info": columns,
    }])
    rows = athena.query(
        "SELECT * FROM top_companies WHERE issuer_cik IN (?, ?) AND window_end >= ?",
        ["0000000042", "O'Hara", date(2025, 1, 1)],
    )
    assert rows == [
        {"issuer_cik": "0000000042", "transactions": 3, "shares": 30.5, "window_end": date(2025, 5, 2),
         "is_transaction": True, "value": Decimal("12.50"), "note": None},
        {"issuer_cik": "0000000043", "transactions": 1, "shares": 2.0, "window_end": date(2025, 5, 2),
         "is_transaction": False, "value": Decimal("0.10"), "note": "x"},
    ]
    assert calls[0] == "StartQueryExecution" and calls[-1] == "GetQueryResults"
    assert calls.count("GetQueryExecution") >= 3  # QUEUED, RUNNING, ..., SUCCEEDED
    (query_id,) = [q for q in athena.client.list_query_executions()["QueryExecutionIds"]
                   if athena.client.get_query_execution(QueryExecutionId=q)["QueryExecution"]
                   ["Query"].startswith("SELECT * FROM top_companies WHERE issuer_cik IN")]
    execution = athena.client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    assert execution["ExecutionParameters"] == ["'0000000042'", "'O''Hara'", "DATE '2025-01-01'"]
    assert execution["QueryExecutionContext"]["Database"] == "secfilings"
    assert execution["ResultConfiguration"]["OutputLocation"].startswith(
        athena.output_location  # type: ignore[arg-type]
    )


def test_athena_cancelled_query_is_a_clear_error(athena: AthenaEngine, slow_athena: None) -> None:
    query_id = athena.start("SELECT count(*) FROM insider_transactions")
    athena.client.stop_query_execution(QueryExecutionId=query_id)
    with pytest.raises(SqlError, match=rf"Athena query {query_id} CANCELLED"):
        athena.wait(query_id)


def test_athena_polling_is_bounded(athena_client: Any, slow_athena: None) -> None:
    waits: list[float] = []
    engine = AthenaEngine(athena_client, poll_interval_s=1.0, timeout_s=2.0, sleep=waits.append)
    with pytest.raises(SqlError, match="still (QUEUED|RUNNING) after waiting 2 s"):
        engine.query("SELECT 1")
    assert waits == [1.0, 2.0]  # back-off, then gives up: no endless loop


def test_athena_service_errors_are_one_line(athena_client: Any) -> None:
    engine = AthenaEngine(athena_client, poll_interval_s=0.01)
    with pytest.raises(SqlError, match="Athena GetQueryResults failed|Athena GetQueryExecution failed"):
        engine.wait("00000000-0000-0000-0000-000000000000")


def test_athena_output_location_must_be_s3(athena_client: Any) -> None:
    with pytest.raises(SqlError, match="expected s3://"):
        AthenaEngine(athena_client, output_location="/tmp/results")


@pytest.mark.parametrize("name", ["lake[1]", "lake*", "lake?"])
def test_a_lake_folder_named_like_a_glob_reads_its_own_files_only(tmp_path: Path, name: str) -> None:
    lake = LocalObjectStore(tmp_path / name)
    other = LocalObjectStore(tmp_path / "lakeX")  # what "lake*" or "lake?" would match as a pattern
    _write(lake, "ownership_filings", "4", date(2025, 1, 5), ACC1, [_rows("ownership_filings", accession_number=ACC1)])
    _write(other, "ownership_filings", "4", date(2025, 1, 6), ACC2, [_rows("ownership_filings", accession_number=ACC2)])
    engine = DuckDBEngine(lake)
    try:
        rows = engine.query("SELECT accession_number FROM ownership_filings")
    finally:
        engine.close()
    assert rows == [{"accession_number": ACC1}]


def test_a_corrupt_row_file_is_skipped_by_name_and_other_issuers_still_answer(
    store: LocalObjectStore, engine: DuckDBEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _write(store, "ownership_filings", "4", date(2025, 5, 2), ACC1,
                  [_rows("ownership_filings", accession_number=ACC1, issuer_cik="0000000042", form_type="4")])
    bad = layout.table_key("ownership_filings", "4", date(2025, 5, 3), ACC2)
    store.put(bad, b'{"accession_number": broken\n')
    sql = "SELECT accession_number FROM ownership_filings WHERE issuer_cik = ?"
    assert engine.query(sql, ["0000000042"]) == [{"accession_number": ACC1}]
    assert list(engine.skipped_files) == [bad]
    assert "Malformed JSON" in engine.skipped_files[bad]
    err = capsys.readouterr().err
    assert err.startswith(f"secfilings: skipped the unreadable row file {bad} (") and err.count("\n") == 1
    # a file added later is still seen; the skipped one is not read again and not named again
    later = _write(store, "ownership_filings", "4", date(2025, 5, 4), ACC3,
                   [_rows("ownership_filings", accession_number=ACC3, issuer_cik="0000000042", form_type="4")])
    assert sorted(r["accession_number"] for r in engine.query(sql, ["0000000042"])) == sorted([ACC1, ACC3])
    assert capsys.readouterr().err == ""
    assert good and later


def test_athena_sends_each_table_through_its_read_view(athena: AthenaEngine) -> None:
    from secfilings.sql.engine import with_read_views
    from secfilings.sql.queries import COMPANY_FILINGS_SQL

    queries: list[str] = []
    athena.client.meta.events.register(
        "provide-client-params.athena.StartQueryExecution", lambda params, **_: queries.append(params["QueryString"])
    )
    query_id = athena.start(COMPANY_FILINGS_SQL, ["0000000042"])
    (sent,) = queries
    # what Athena received (moto records it)
    assert athena.client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Query"] == sent
    assert sent == with_read_views(COMPANY_FILINGS_SQL) == athena.athena_sql(COMPANY_FILINGS_SQL)
    assert "FROM ownership_filings_all f" in sent and "LEFT JOIN insider_transactions_all t" in sent
    assert "FROM ownership_filings f" not in sent
    # CTE names, columns, quoted names and the views themselves: only tables after FROM/JOIN change
    assert with_read_views('WITH fund_filings AS (SELECT 1) SELECT fund_filings FROM "fund_holdings" x') == (
        'WITH fund_filings AS (SELECT 1) SELECT fund_filings FROM "fund_holdings_all" x'
    )
    assert with_read_views(sent) == sent
    assert AthenaEngine(athena.client, views={}).athena_sql(COMPANY_FILINGS_SQL) == COMPANY_FILINGS_SQL
    with pytest.raises(SqlError, match="invalid Athena table or view name"):
        AthenaEngine(athena.client, views={"fund_filings": "x; DROP TABLE y"})


def test_the_endpoints_on_an_s3_lake_query_the_read_views(aws_settings: Any) -> None:
    from secfilings.config import open_platform
    from secfilings.services.api.athena.companies import get_company
    from secfilings.services.api.athena.funds import get_fund

    sent: list[str] = []
    with open_platform(aws_settings.with_changes(index_mode="off")) as platform:
        platform.sql.client.meta.events.register(  # type: ignore[attr-defined]
            "provide-client-params.athena.StartQueryExecution", lambda params, **_: sent.append(params["QueryString"])
        )
        assert get_company(platform, "990000001") is None  # moto's Athena answers no rows
        assert get_fund(platform, "990000002") is None
    assert len(sent) == 2
    tables = "|".join(layout.TABLES)
    for sql in sent:
        assert re.search(rf"\b(FROM|JOIN)\s+({tables})\b", sql) is None, sql
        assert re.search(rf"\b(FROM|JOIN)\s+({tables})_all\b", sql), sql
