"""``secfilings compact``: a lake's partitions (a folder, or S3 on a moto server) rewritten to one
CIK-sorted Parquet file each, read with the NDJSON files not yet compacted, with the same answers
before and after, after later ingests, and after a crash at any step."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from secfilings.cli import main
from secfilings.config import Settings, open_platform
from secfilings.demo import bundled_data
from secfilings.lake import layout
from secfilings.scripts.compact_lake import STEPS, _partitions, compact_lake, compact_partition
from secfilings.services.api.athena.companies import get_company
from secfilings.services.api.athena.funds import get_fund
from secfilings.sql.engine import DuckDBEngine, table_columns
from secfilings.workers.form4_parser.worker import ingest_paths

from .readside_helpers import bundled_lake, lake_rows

UNKNOWN = ("990000001", "1")


def _ciks(lake: Path) -> tuple[set[str], set[str]]:
    companies = {row["issuer_cik"] for row in lake_rows(lake, "ownership_filings")}
    funds = {row["filer_cik"] for row in lake_rows(lake, "fund_filings")}
    return companies, funds


def _table_rows(platform: Any) -> dict[str, Counter[tuple[Any, ...]]]:
    result = {}
    for table in layout.TABLES:
        rows = platform.sql.query(f"SELECT * FROM {table}")
        result[table] = Counter(tuple(sorted(row.items())) for row in rows)
    return result


def _answers(settings: Settings, companies: set[str], funds: set[str]) -> dict[str, Any]:
    """Every company and fund answer, from SQL (index off), and every table's rows."""
    with open_platform(settings.with_changes(index_mode="off"), create=False) as platform:
        return {
            "companies": {cik: get_company(platform, cik) for cik in sorted(companies | set(UNKNOWN))},
            "funds": {cik: get_fund(platform, cik) for cik in sorted(funds | set(UNKNOWN))},
            "rows": _table_rows(platform),
        }


def _files(lake: Path, suffix: str) -> list[Path]:
    return sorted(
        p for top in ("tables", "compacted") for table in layout.TABLES for p in (lake / top / table).rglob(f"*{suffix}")
    )


def _snapshot(lake: Path) -> dict[str, bytes]:
    return {
        p.relative_to(lake).as_posix(): p.read_bytes()
        for top in ("tables", "compacted")
        for p in (lake / top).rglob("*")
        if p.is_file()
    }


def test_compaction_keeps_every_answer_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    settings = bundled_lake(lake)
    companies, funds = _ciks(lake)
    assert len(companies) >= 3 and len(funds) >= 2
    before = _answers(settings, companies, funds)
    assert sum(sum(c.values()) for c in before["rows"].values()) > 50
    json_files = len(_files(lake, ".json"))

    report = compact_lake(lake)
    assert report.failed == []
    assert report.files == json_files and report.partitions > 0
    assert _files(lake, ".json") == []
    parquet = _files(lake, ".parquet")
    assert parquet and all(p.name == layout.COMPACTED_NAME for p in parquet)
    assert all(p.relative_to(lake).parts[0] == "compacted" for p in parquet)
    assert report.rows == sum(sum(c.values()) for c in before["rows"].values())
    assert list((lake / ".tmp").glob("compact-*")) == []
    assert _answers(settings, companies, funds) == before

    # sorted by the lookup key, with row-group statistics on it
    table = "insider_transactions"
    biggest = max((p for p in parquet if f"/{table}/" in p.as_posix()), key=lambda p: p.stat().st_size)
    sort_column = layout.SORT_COLUMNS[table]
    with duckdb.connect() as conn:
        values = [r[0] for r in conn.execute(f"SELECT {sort_column} FROM read_parquet(?)", [str(biggest)]).fetchall()]
        stats = conn.execute(
            "SELECT stats_min_value, stats_max_value FROM parquet_metadata(?) WHERE path_in_schema = ?",
            [str(biggest), sort_column],
        ).fetchall()
    assert values == sorted(values)
    assert stats and all(low is not None and high is not None for low, high in stats)

    snapshot = _snapshot(lake)
    again = compact_lake(lake)
    assert (again.partitions, again.files, again.failed) == (0, 0, [])
    assert again.unchanged == report.partitions
    assert _snapshot(lake) == snapshot

    # verify-partitions accepts compacted partitions
    out = io.StringIO()
    assert main(["verify-partitions", "--lake", str(lake)], out=out, err=io.StringIO()) == 0, out.getvalue()


def test_rows_ingested_after_compaction_read_with_the_compacted_ones(tmp_path: Path) -> None:
    form4 = sorted((bundled_data() / "form4").iterdir())
    first, rest = form4[: len(form4) // 2], form4[len(form4) // 2 :]
    everything = [bundled_data() / "form4", bundled_data() / "13f"]
    reference = tmp_path / "reference"
    settings_ref = Settings(lake=str(reference), index_mode="off")
    with open_platform(settings_ref) as platform:
        ingest_paths(platform, everything)
    companies, funds = _ciks(reference)
    expected = _answers(settings_ref, companies, funds)

    lake = tmp_path / "lake"
    settings = Settings(lake=str(lake), index_mode="off")
    with open_platform(settings) as platform:
        ingest_paths(platform, first)
    assert compact_lake(lake).partitions > 0
    with open_platform(settings) as platform:
        ingest_paths(platform, rest + [bundled_data() / "13f"])
        ingest_paths(platform, first)  # filings already compacted, ingested again
    assert _files(lake, ".json") and _files(lake, ".parquet")
    assert _answers(settings, companies, funds) == expected

    assert compact_lake(lake).failed == []
    assert _files(lake, ".json") == []
    assert _answers(settings, companies, funds) == expected


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_any_step_reads_the_same_and_the_next_run_finishes(tmp_path: Path, step: str) -> None:
    lake = tmp_path / "lake"
    settings = bundled_lake(lake)
    companies, funds = _ciks(lake)
    before = _answers(settings, companies, funds)
    json_before = _files(lake, ".json")

    with duckdb.connect() as conn:
        conn.execute(f"SET file_search_path = '{lake.resolve()}'")
        for table in layout.TABLES:
            for folder in _partitions(lake.resolve(), table):
                compact_partition(conn, lake.resolve(), table, folder, stop_after=step)
    if step == "write":  # staged only: the partitions untouched, an orphan in .tmp
        assert _files(lake, ".parquet") == [] and _files(lake, ".json") == json_before
        assert list((lake / ".tmp").glob("compact-*.parquet"))
    elif step == "swap":  # Parquet in place beside every NDJSON file it covers
        assert _files(lake, ".parquet") and _files(lake, ".json") == json_before
    else:  # some covered files deleted, others left
        assert _files(lake, ".parquet") and 0 < len(_files(lake, ".json")) < len(json_before)
    assert _answers(settings, companies, funds) == before

    report = compact_lake(lake)
    assert report.failed == []
    assert _files(lake, ".json") == []
    assert _answers(settings, companies, funds) == before


def test_a_column_added_later_reads_as_null_from_old_parquet(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    bundled_lake(lake)
    compact_lake(lake)
    columns = table_columns()
    columns["fund_filings"] = {**columns["fund_filings"], "added_later": "VARCHAR"}
    engine = DuckDBEngine(lake, columns=columns)
    try:
        rows = engine.query("SELECT filer_cik, added_later FROM fund_filings")
    finally:
        engine.close()
    assert rows and all(row["added_later"] is None and row["filer_cik"] for row in rows)


def test_compact_command(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    bundled_lake(lake)
    out, err = io.StringIO(), io.StringIO()
    assert main(["compact", "--lake", str(lake)], out=out, err=err) == 0, err.getvalue()
    assert out.getvalue().startswith("compacted ") and " 0 unchanged" in out.getvalue()
    out = io.StringIO()
    assert main(["compact", "--lake", str(lake), "--json"], out=out, err=io.StringIO()) == 0
    assert '"partitions": 0' in out.getvalue()

    missing = tmp_path / "nowhere"
    err = io.StringIO()
    assert main(["compact", "--lake", str(missing)], out=io.StringIO(), err=err) == 2
    assert len(err.getvalue().strip().splitlines()) == 1 and str(missing) in err.getvalue()
    assert not missing.exists()


def test_a_corrupt_row_file_leaves_its_partition_and_is_named(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    bundled_lake(lake)
    victim = _files(lake, ".json")[0]
    victim.write_text('{"accession_number": "0000000001-25-000001", \n')
    report = compact_lake(lake)
    assert len(report.failed) == 1 and victim.parent.relative_to(lake).as_posix() in report.failed[0]
    partition = victim.parent.relative_to(lake / "tables")
    assert victim.exists() and not (lake / "compacted" / partition / layout.COMPACTED_NAME).exists()
    assert report.partitions > 0
    assert list((lake / ".tmp").glob("compact-*")) == []  # nothing staged is left behind


DDL_DIR = Path(__file__).resolve().parents[2] / "infra" / "athena" / "ddl" / "compacted"


@pytest.mark.parametrize("table", sorted(layout.TABLE_COLUMNS))
def test_athena_parquet_table_and_view_over_both(tmp_path: Path, table: str) -> None:
    import sqlglot
    from sqlglot import exp

    ddl = sqlglot.parse_one((DDL_DIR / f"{table}_compacted.sql").read_text(encoding="utf-8"), read="athena")
    assert isinstance(ddl, exp.Create) and ddl.args["kind"] == "TABLE"
    assert ddl.this.this.name == f"{table}_compacted"
    assert [col.name for col in ddl.this.expressions] == [name for name, _ in layout.TABLE_COLUMNS[table]]
    text = (DDL_DIR / f"{table}_compacted.sql").read_text(encoding="utf-8")
    assert "STORED AS PARQUET" in text and "JsonSerDe" not in text
    location = ddl.args["properties"].find(exp.LocationProperty)
    assert location is not None and location.this.name.endswith(f"/compacted/{table}/")
    view_sql = (DDL_DIR / f"{table}_all.sql").read_text(encoding="utf-8")
    view = sqlglot.parse_one(view_sql, read="athena")
    assert isinstance(view, exp.Create) and view.args["kind"] == "VIEW"
    assert view.this.name == layout.READ_VIEWS[table] == f"{table}_all"  # the view AthenaEngine reads

    # the view's SQL, run by DuckDB over a half-compacted lake (a crash between swap and deletes,
    # then a later ingest), gives every row once: the same rows as the lake before compaction
    lake = tmp_path / "lake"
    settings = bundled_lake(lake)
    with open_platform(settings.with_changes(index_mode="off"), create=False) as platform:
        expected = _table_rows(platform)[table]
    with duckdb.connect() as conn:
        conn.execute(f"SET file_search_path = '{lake.resolve()}'")
        for folder in _partitions(lake.resolve(), table):
            compact_partition(conn, lake.resolve(), table, folder, stop_after="delete")
    assert list((lake / "compacted" / table).rglob("*.parquet")) and list((lake / "tables" / table).rglob("*.json"))
    hive = "hive_partitioning=true, hive_types={'form': 'VARCHAR', 'year': 'VARCHAR', 'month': 'VARCHAR'}"
    spec = ", ".join(f"'{n}': '{k}'" for n, k in table_columns()[table].items())
    with duckdb.connect() as conn:
        conn.execute(f"SET file_search_path = '{lake.resolve()}'")
        conn.execute(
            f"CREATE VIEW {table}_compacted AS SELECT * FROM read_parquet('compacted/{table}/**/*.parquet', {hive})"
        )
        conn.execute(
            f"CREATE VIEW {table} AS SELECT * FROM read_json('tables/{table}/**/*.json',"
            f" format='newline_delimited', {hive}, columns={{{spec}}})"
        )
        conn.execute(sqlglot.transpile(view_sql, read="athena", write="duckdb")[0])
        cursor = conn.execute(f"SELECT * FROM {table}_all")
        names = [c[0] for c in cursor.description]
        got = Counter(tuple(sorted(zip(names, row))) for row in cursor.fetchall())
    assert got == expected and sum(got.values()) > 0


# -- an S3 lake (moto server) ---------------------------------------------------------------------


def mirror(store: Any, folder: Path) -> Path:
    """Every object of ``store`` copied into ``folder`` (a folder lake holding the same keys)."""
    for key, _size in store.list("").keys:
        target = folder.joinpath(*key.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(store.get(key))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _s3_answers(store: Any, folder: Path, companies: set[str], funds: set[str]) -> dict[str, Any]:
    """The answers of the S3 lake's rows as they now are, read by DuckDB from a copy of them."""
    return _answers(Settings(lake=str(mirror(store, folder)), index_mode="off"), companies, funds)


def _s3_keys(store: Any, suffix: str) -> list[str]:
    return sorted(
        key for key, _ in store.list("").keys
        if key.endswith(suffix) and key.split("/")[0] in ("tables", "compacted")
    )


@pytest.fixture
def s3_lake(aws_settings: Settings, tmp_path: Path) -> Any:
    """(settings, store, companies, funds, answers before compaction) of an S3 lake of the bundled filings."""
    with open_platform(aws_settings) as platform:
        ingest_paths(platform, [bundled_data() / "form4", bundled_data() / "13f"])
        store = platform.store
    reference = mirror(store, tmp_path / "before")
    companies, funds = _ciks(reference)
    before = _answers(Settings(lake=str(reference), index_mode="off"), companies, funds)
    assert sum(sum(c.values()) for c in before["rows"].values()) > 50
    return aws_settings, store, companies, funds, before


def test_s3_compaction_one_put_per_partition_same_answers_and_idempotent(s3_lake: Any, tmp_path: Path) -> None:
    settings, store, companies, funds, before = s3_lake
    json_keys = _s3_keys(store, ".json")
    calls: Counter[str] = Counter()
    for operation in ("PutObject", "DeleteObjects", "DeleteObject", "GetObject"):
        store.client.meta.events.register(
            f"provide-client-params.s3.{operation}", lambda params, op=operation, **_: calls.update([op])
        )
    from secfilings.scripts.compact_lake import compact_store

    report = compact_store(store)
    assert report.failed == [] and report.files == len(json_keys) and report.partitions > 0
    assert _s3_keys(store, ".json") == []
    parquet = _s3_keys(store, ".parquet")
    assert len(parquet) == report.partitions
    assert all(key.startswith("compacted/") and key.endswith("/" + layout.COMPACTED_NAME) for key in parquet)
    # one PutObject per partition (the atomic swap), one DeleteObjects each (< 1,000 files), no DELETE
    assert calls["PutObject"] == report.partitions
    assert calls["DeleteObjects"] == report.partitions and calls["DeleteObject"] == 0
    assert calls["GetObject"] == len(json_keys)  # each row file read once; no compacted file yet
    assert report.rows == sum(sum(c.values()) for c in before["rows"].values())
    assert _s3_answers(store, tmp_path / "after", companies, funds) == before

    listing = store.list("")
    calls.clear()
    again = compact_store(store)
    assert (again.partitions, again.files, again.failed, again.unchanged) == (0, 0, [], report.partitions)
    assert calls["PutObject"] == calls["DeleteObjects"] == calls["GetObject"] == 0
    assert store.list("").keys == listing.keys and store.list("").versions == listing.versions

    # the command line: the same on an S3 lake, and verify-partitions accepts the result
    args = ["--lake", settings.lake, "--index-table", settings.index_table]
    out, err = io.StringIO(), io.StringIO()
    assert main(["compact", *args], out=out, err=err) == 0, err.getvalue()
    assert out.getvalue().startswith("compacted 0 partitions") and f"{report.partitions} unchanged" in out.getvalue()
    out = io.StringIO()
    assert main(["verify-partitions", *args], out=out, err=io.StringIO()) == 0, out.getvalue()


def test_s3_rows_ingested_after_compaction_are_folded_in_by_the_next_run(s3_lake: Any, tmp_path: Path) -> None:
    settings, store, companies, funds, before = s3_lake
    from secfilings.scripts.compact_lake import compact_store

    victims = [key for key in _s3_keys(store, ".json") if "/ownership_filings/" in key or "/insider_transactions/" in key]
    assert compact_store(store).failed == []
    # filings ingested again after compaction (rows written as NDJSON once more), and a
    # partition whose NDJSON rows come back beside its compacted file
    for key in victims[:3]:
        store.put(key, (tmp_path / "before").joinpath(*key.split("/")).read_bytes())  # as first written
    assert _s3_keys(store, ".json") and _s3_answers(store, tmp_path / "mixed", companies, funds) == before
    gets: list[str] = []
    store.client.meta.events.register("provide-client-params.s3.GetObject", lambda params, **_: gets.append(params["Key"]))
    report = compact_store(store)
    assert report.failed == [] and report.files == 3
    assert any(key.endswith(layout.COMPACTED_NAME) for key in gets)  # the old compacted rows were read
    assert _s3_keys(store, ".json") == []
    assert _s3_answers(store, tmp_path / "after", companies, funds) == before


@pytest.mark.parametrize("step", STEPS)
def test_s3_a_crash_at_any_step_reads_the_same_and_the_next_run_finishes(
    s3_lake: Any, tmp_path: Path, step: str
) -> None:
    settings, store, companies, funds, before = s3_lake
    from secfilings.scripts.compact_lake import compact_store, compact_store_partition, store_partitions

    json_before = _s3_keys(store, ".json")
    with duckdb.connect() as conn:
        for table in layout.TABLES:
            for partition in store_partitions(store, table):
                compact_store_partition(conn, store, table, partition, tmp_path / "work", stop_after=step)
    assert not (tmp_path / "work").exists()  # nothing staged is left behind locally either
    if step == "write":  # staged locally only: the lake untouched
        assert _s3_keys(store, ".parquet") == [] and _s3_keys(store, ".json") == json_before
    elif step == "swap":  # the Parquet object in place beside every NDJSON object it covers
        assert _s3_keys(store, ".parquet") and _s3_keys(store, ".json") == json_before
    else:  # some covered objects deleted, others left
        assert _s3_keys(store, ".parquet") and 0 < len(_s3_keys(store, ".json")) < len(json_before)
    assert _s3_answers(store, tmp_path / "crashed", companies, funds) == before

    report = compact_store(store)
    assert report.failed == []
    assert _s3_keys(store, ".json") == []
    assert _s3_answers(store, tmp_path / "after", companies, funds) == before


def test_s3_a_corrupt_row_file_leaves_its_partition_and_is_named(s3_lake: Any) -> None:
    settings, store, *_ = s3_lake
    victim = _s3_keys(store, ".json")[0]
    store.put(victim, b'{"accession_number": "0000000001-25-000001", \n')
    partition = victim.rsplit("/", 1)[0] + "/"
    err, out = io.StringIO(), io.StringIO()
    args = ["compact", "--lake", settings.lake, "--index-table", settings.index_table]
    assert main(args, out=out, err=err) == 1, err.getvalue()
    lines = [line for line in out.getvalue().splitlines() if line.startswith("not compacted:")]
    assert len(lines) == 1 and repr(partition) in lines[0], out.getvalue()
    assert "/tmp" not in lines[0] and "secfilings-compact-" not in lines[0]  # names the key, not a local copy
    assert victim in lines[0], lines[0]
    assert store.head(victim) is not None
    compacted = layout.compacted_key(victim.split("/")[1], partition.split("/", 2)[2])
    assert store.head(compacted) is None
    assert [key for key in _s3_keys(store, ".json") if not key.startswith(partition)] == []  # the others compacted


# -- Athena's SQL over a half-compacted lake ------------------------------------------------------

ATHENA_DDL = DDL_DIR.parent


class TranslatedAthena:
    """What Athena would answer, run by DuckDB: the lake's JSON tables and Parquet tables as the
    Athena DDL defines them, the ``<table>_all`` views and ``top_companies`` from the DDL files
    (translated by sqlglot), and each query as ``AthenaEngine`` would send it, translated too."""

    def __init__(self, lake: Path) -> None:
        import sqlglot

        from secfilings.sql.engine import AthenaEngine

        self.sent: list[str] = []
        self._athena = AthenaEngine(client=object())  # only its SQL is used: never a request
        self._transpile = lambda sql: sqlglot.transpile(sql, read="athena", write="duckdb")[0]
        self.conn = duckdb.connect()
        self.conn.execute(f"SET file_search_path = '{lake.resolve()}'")
        hive = "hive_partitioning=true, hive_types={'form': 'VARCHAR', 'year': 'VARCHAR', 'month': 'VARCHAR'}"
        for table, columns in table_columns().items():
            spec = ", ".join(f"'{n}': '{k}'" for n, k in columns.items())
            empty = ", ".join(f'CAST(NULL AS {k}) AS "{n}"' for n, k in {**columns, "form": "VARCHAR",
                              "year": "VARCHAR", "month": "VARCHAR"}.items())
            json_src = (f"SELECT * FROM read_json('tables/{table}/**/*.json', format='newline_delimited', {hive},"
                        f" columns={{{spec}}})" if list((lake / "tables" / table).rglob("*.json"))
                        else f"SELECT {empty} WHERE false")
            parquet_src = (f"SELECT * FROM read_parquet('compacted/{table}/**/*.parquet', {hive})"
                           if list((lake / "compacted" / table).rglob("*.parquet")) else f"SELECT {empty} WHERE false")
            self.conn.execute(f"CREATE VIEW {table} AS {json_src}")
            self.conn.execute(f"CREATE VIEW {table}_compacted AS {parquet_src}")
            self.conn.execute(self._transpile((DDL_DIR / f"{table}_all.sql").read_text(encoding="utf-8")))
        self.conn.execute(self._transpile((ATHENA_DDL / "top_companies.sql").read_text(encoding="utf-8")))

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        sent = self._athena.athena_sql(sql)
        self.sent.append(sent)
        cursor = self.conn.execute(self._transpile(sent), list(params))
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def _every_answer(platform: Any, companies: set[str], funds: set[str]) -> dict[str, Any]:
    from secfilings.sql import queries

    some = sorted(row["accession_number"] for row in platform.sql.query("SELECT accession_number FROM ownership_filings"))
    some_funds = sorted(row["accession_number"] for row in platform.sql.query("SELECT accession_number FROM fund_filings"))
    return {
        "companies": {cik: get_company(platform, cik) for cik in sorted(companies | set(UNKNOWN))},
        "funds": {cik: get_fund(platform, cik) for cik in sorted(funds | set(UNKNOWN))},
        "history": {cik: get_fund(platform, cik, history=True) for cik in sorted(funds)},
        "top": platform.sql.query(queries.TOP_COMPANIES_SQL),
        "latest": platform.sql.query(queries.LATEST_FILING_SQL),
        "window": platform.sql.query(queries.WINDOW_FILINGS_SQL, [date(2000, 1, 1), date(2100, 1, 1)]),
        "by_accession": platform.sql.query(queries.filings_by_accession_sql(len(some)), some),
        "funds_by_accession": platform.sql.query(queries.fund_filings_by_accession_sql(len(some_funds)), some_funds),
    }


def test_the_sql_athena_sends_reads_compacted_and_fresh_rows_alike(tmp_path: Path) -> None:
    """The endpoints' and the sync's SQL, sent as AthenaEngine sends it (through the ``_all``
    views) and translated, answers over a half-compacted lake what DuckDB answered before."""
    from secfilings.config import Platform

    lake = tmp_path / "lake"
    settings = bundled_lake(lake).with_changes(index_mode="off")
    companies, funds = _ciks(lake)
    with open_platform(settings, create=False) as platform:
        expected = _every_answer(platform, companies, funds)
    assert expected["top"] and expected["window"] and expected["by_accession"]

    # half-compacted: a crash between swap and deletes in every partition, then one partition
    # compacted all the way and a filing ingested again beside its compacted file
    whole = _partitions(lake.resolve(), "insider_transactions")[0]
    again = max(whole.glob("*.json"), key=lambda p: p.stat().st_size)
    again_bytes = again.read_bytes()
    with duckdb.connect() as conn:
        conn.execute(f"SET file_search_path = '{lake.resolve()}'")
        for table in layout.TABLES:
            for folder in _partitions(lake.resolve(), table):
                step = None if folder == whole else "delete"
                compact_partition(conn, lake.resolve(), table, folder, stop_after=step)
    assert not again.exists()
    again.parent.mkdir(parents=True, exist_ok=True)
    again.write_bytes(again_bytes)  # its rows written as NDJSON again, beside the compacted file
    assert _files(lake, ".json") and _files(lake, ".parquet")

    athena = TranslatedAthena(lake)
    with open_platform(settings, create=False) as local:
        platform = Platform(settings, local.store, local.index, athena)  # type: ignore[arg-type]
        got = _every_answer(platform, companies, funds)
    assert got == expected
    # every query named the views, never a JSON table alone
    assert athena.sent and all(
        re.search(r"\b(FROM|JOIN)\s+(" + "|".join(layout.TABLES) + r")\b", sql) is None for sql in athena.sent
    )
    assert any(f"FROM {layout.READ_VIEWS['ownership_filings']} f" in sql for sql in athena.sent)
    assert any(f"JOIN {layout.READ_VIEWS['fund_holdings']} h" in sql for sql in athena.sent)

    # the JSON tables alone (what Athena read before) lose the rows already compacted
    plain = TranslatedAthena(lake)
    plain._athena.views = {}
    with open_platform(settings, create=False) as local:
        platform = Platform(settings, local.store, local.index, plain)  # type: ignore[arg-type]
        assert _every_answer(platform, companies, funds) != expected


def test_s3_compaction_leaves_a_remembered_miss_right_and_a_hit_a_hit(s3_lake: Any, tmp_path: Path) -> None:
    """Compaction only moves rows (none added, none removed), so it clears no remembered miss:
    a CIK with no rows before has none after, and an index hit answers what SQL answers."""
    from secfilings.index.keys import MISS_ITEM, company_pk, fund_pk
    from secfilings.scripts.compact_lake import compact_store

    settings, store, companies, funds, before = s3_lake
    unknown_company, unknown_fund = "0990000001", "0990000002"
    known_company, known_fund = sorted(companies)[0], sorted(funds)[0]
    queries: list[str] = []
    with open_platform(settings) as platform:  # read-fallback, the default
        assert platform.settings.index_mode == "read-fallback"
        platform.sql.client.meta.events.register(  # type: ignore[attr-defined]
            "provide-client-params.athena.StartQueryExecution", lambda params, **_: queries.append(params["QueryString"])
        )
        assert get_company(platform, unknown_company) is None and get_fund(platform, unknown_fund) is None
        assert len(queries) == 2  # the first misses are SQL queries (moto's Athena: no rows) ...
        for pk in (company_pk(unknown_company), fund_pk(unknown_fund)):
            assert platform.index.get_lookup(pk) == [MISS_ITEM]  # ... remembered
        hit_company, hit_fund = get_company(platform, known_company), get_fund(platform, known_fund)
        assert hit_company and hit_fund and len(queries) == 2  # hits: the index, no query

        assert compact_store(platform.store).failed == []
        assert _s3_keys(store, ".json") == []

        queries.clear()
        assert get_company(platform, unknown_company) is None and get_fund(platform, unknown_fund) is None
        assert get_company(platform, known_company) == hit_company and get_fund(platform, known_fund) == hit_fund
        assert queries == []  # the miss still remembered, the hits still hits: no SQL
        assert platform.index.get_lookup(company_pk(unknown_company)) == [MISS_ITEM]
    # and both are right about the compacted lake: SQL over its rows (DuckDB, reading a copy of
    # them as Athena's _all views do) has nothing for the unknown CIKs and the same answers
    after = _s3_answers(store, tmp_path / "after", companies | {unknown_company}, funds | {unknown_fund})
    assert after["companies"][unknown_company] is None and after["funds"][unknown_fund] is None
    assert after["companies"][known_company] == hit_company and after["funds"][known_fund] == hit_fund


def test_s3_compact_of_a_missing_bucket_is_one_line(aws_settings: Settings) -> None:
    err = io.StringIO()
    lake = "s3://secfilings-no-such-bucket-4242/lake"
    assert main(["compact", "--lake", lake, "--index-table", aws_settings.index_table], out=io.StringIO(), err=err) == 4
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1 and "does not exist" in lines[0] and lake in lines[0], lines
    assert "Traceback" not in err.getvalue()


def test_s3_a_key_named_like_a_glob_is_read_once(s3_lake: Any, tmp_path: Path) -> None:
    """DuckDB expands glob characters even in a list of files: the local copies have plain names,
    so an object named ``a*.json`` is its own rows, not its neighbours' too."""
    from secfilings.scripts.compact_lake import compact_store

    settings, store, companies, funds, before = s3_lake
    keys = _s3_keys(store, ".json")
    victim = max(keys, key=lambda k: sum(o.rsplit("/", 1)[0] == k.rsplit("/", 1)[0] for o in keys))
    assert sum(o.rsplit("/", 1)[0] == victim.rsplit("/", 1)[0] for o in keys) >= 2  # it has neighbours
    globbed = victim.rsplit("/", 1)[0] + "/*.json"
    store.put(globbed, store.get(victim))
    store.delete(victim)
    assert compact_store(store).failed == []
    assert _s3_keys(store, ".json") == []
    assert _s3_answers(store, tmp_path / "after", companies, funds) == before
