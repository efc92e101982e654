"""A cover page and its information table ingested apart become one filing, in either order
(``secfilings.ingest.complete``): on the real MFN Partners 13F-HR/A (NEW HOLDINGS), whose cover
and table travel as two documents (tests/data/sec/README.md), and the bundled 13F-HR submission."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from secfilings.cli import main
from secfilings.config import Settings, open_platform
from secfilings.ingest.write import InjectedCrash
from secfilings.scripts.verify_s3_partitions import verify_partitions
from secfilings.workers.form4_parser.worker import ingest_document

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "sec"
COVER = SAMPLES / "13F-HRA.newholdings.mfn.0000904454-26-000248.primary_doc.xml"
TABLE = SAMPLES / "13F-HRA.newholdings.mfn.0000904454-26-000248.infotable.xml"
ACCESSION = "0000904454-26-000248"
TABLE_FLAGS = ("--cik", "1732811", "--accession", ACCESSION, "--period", "2025-12-31")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def answers(lake: str, cik: str = "1732811") -> dict[str, dict]:
    found = {}
    for mode in ("read-only", "off"):  # the index's answer and the SQL answer
        status, out, err = run("--lake", lake, "--index-mode", mode, "fund", cik, "--json")
        assert status == 0, out + err
        found[mode] = json.loads(out)
    return found


def ingest_cover(lake: str) -> None:
    status, out, err = run("--lake", lake, "ingest", str(COVER), "--accession", ACCESSION)
    assert status == 0 and "1 new" in out, out + err


def test_a_table_after_its_cover_joins_it(tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    ingest_cover(lake)
    assert answers(lake)["off"]["table_missing"] is True
    status, out, err = run("--lake", lake, "ingest", str(TABLE), *TABLE_FLAGS)
    assert status == 0 and "1 new" in out, out + err
    found = answers(lake)
    assert found["read-only"] == found["off"]  # index and SQL agree
    answer = found["off"]
    assert (answer["table_missing"], answer["amendment_type"], len(answer["holdings"])) == (False, "NEW HOLDINGS", 2)
    assert [(f["accession_number"], f["has_table"]) for f in answer["filings"]] == [(ACCESSION, True)]
    # the cover's fields are kept: its filer name, totals and filing date are not the table's nulls
    assert answer["name"] and (answer["table_entry_total"], answer["table_value_total"]) == (2, 24920000)
    assert sum(h["value"] for h in answer["holdings"]) == answer["table_value_total"]
    # the table's bytes sit beside the cover's, in the cover's partition, and the lake checks clean
    raw = sorted(p.name for p in (tmp_path / "lake" / "raw").rglob("*") if p.is_file())
    assert raw == [f"{ACCESSION}.table.xml", f"{ACCESSION}.xml"]
    with open_platform(Settings(lake=lake)) as platform:
        report = verify_partitions(platform.store)
    assert report.problems == [], report.problems


def test_the_same_table_again_is_a_duplicate_and_doubles_nothing(tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    ingest_cover(lake)
    assert run("--lake", lake, "ingest", str(TABLE), *TABLE_FLAGS)[0] == 0
    status, out, _ = run("--lake", lake, "ingest", str(TABLE), *TABLE_FLAGS)
    assert status == 0 and "1 duplicate" in out, out
    assert len(answers(lake)["off"]["holdings"]) == 2


@pytest.mark.parametrize("flag, value, named", [
    ("--cik", "1732812", "--cik 0001732812 does not match the stored cover page of 0000904454-26-000248 (filer 0001732811)"),
    ("--period", "2025-09-30", "--period 2025-09-30 does not match the stored cover page of 0000904454-26-000248 (period 2025-12-31)"),
])
def test_a_table_that_does_not_belong_to_the_stored_cover_is_rejected(tmp_path: Path, flag: str, value: str, named: str) -> None:
    lake = str(tmp_path / "lake")
    ingest_cover(lake)
    flags = list(TABLE_FLAGS)
    flags[flags.index(flag) + 1] = value
    status, out, err = run("--lake", lake, "ingest", str(TABLE), *flags)
    assert status == 1 and named in out, out + err
    assert answers(lake)["off"]["table_missing"] is True  # the cover is as it was


def test_the_same_table_again_with_another_cik_or_period_is_rejected_not_a_duplicate(tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    ingest_cover(lake)
    assert run("--lake", lake, "ingest", str(TABLE), *TABLE_FLAGS)[0] == 0
    for flag, value in (("--cik", "1732812"), ("--period", "2025-09-30")):
        flags = list(TABLE_FLAGS)
        flags[flags.index(flag) + 1] = value
        status, out, err = run("--lake", lake, "ingest", str(TABLE), *flags)
        assert status == 1 and "does not match the stored cover page of 0000904454-26-000248" in out, out + err


def test_the_ingest_line_names_the_form_the_table_joined(tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    ingest_cover(lake)
    status, out, _ = run("--lake", lake, "ingest", str(TABLE), *TABLE_FLAGS)
    assert status == 0 and f"13F-HR/A {ACCESSION}" in out, out  # the cover's amendment, not 13F-HR


def test_a_table_joins_a_compacted_cover(tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    ingest_cover(lake)
    status, out, err = run("--lake", lake, "compact")
    assert status == 0, out + err
    assert run("--lake", lake, "ingest", str(TABLE), *TABLE_FLAGS)[0] == 0
    found = answers(lake)
    assert found["read-only"] == found["off"] and len(found["off"]["holdings"]) == 2


@pytest.mark.parametrize("step", ["raw", "table:fund_holdings", "lookup"])
def test_a_crash_while_joining_is_repaired_by_ingesting_the_table_again(tmp_path: Path, step: str) -> None:
    lake = str(tmp_path / "lake")
    ingest_cover(lake)
    data = TABLE.read_bytes()
    with open_platform(Settings(lake=lake)) as platform:
        with pytest.raises(InjectedCrash):
            ingest_document(platform, data, str(TABLE), cik="0001732811", accession=ACCESSION,
                            period=__import__("datetime").date(2025, 12, 31), fail_after=step)
    found = answers(lake)
    if step == "raw":  # no row yet: the cover still says its table is missing
        assert found["off"]["table_missing"] is True
    assert run("--lake", lake, "ingest", str(TABLE), *TABLE_FLAGS)[0] == 0
    found = answers(lake)
    assert found["read-only"] == found["off"] and len(found["off"]["holdings"]) == 2


# -- the other order: a cover page after its bare table (cover_joins_table) --------------------


def ingest_table(lake: str, *flags: str) -> tuple[int, str, str]:
    return run("--lake", lake, "ingest", str(TABLE), *(flags or TABLE_FLAGS))


def lake_files(lake: Path) -> list[str]:
    return sorted(str(p.relative_to(lake)) for p in lake.rglob("*") if p.is_file() and "_index" not in p.parts)


@pytest.fixture
def cover_first(tmp_path: Path) -> tuple[dict[str, dict], list[str]]:
    """The answers and the lake's files when the cover came first (the reference)."""
    lake = tmp_path / "cover-first"
    ingest_cover(str(lake))
    assert ingest_table(str(lake))[0] == 0
    return answers(str(lake)), lake_files(lake)


def test_a_cover_after_its_table_ends_as_if_it_had_come_first(tmp_path: Path, cover_first) -> None:
    lake = tmp_path / "table-first"
    status, out, err = ingest_table(str(lake))
    assert status == 0 and "1 new" in out, out + err
    assert answers(str(lake))["off"]["name"] is None  # the bare table knows no filer name
    status, out, err = run("--lake", str(lake), "ingest", str(COVER), "--accession", ACCESSION)
    assert status == 0 and "1 new" in out, out + err
    found = answers(str(lake))
    assert found == cover_first[0]  # index and SQL answers, field for field, as in the other order
    answer = found["off"]
    assert answer["name"] and answer["amendment_type"] == "NEW HOLDINGS" and len(answer["holdings"]) == 2
    assert (answer["table_entry_total"], answer["table_value_total"]) == (2, 24920000)
    # the bare table's objects in its own partition (form 13F-HR, its period) are gone
    assert lake_files(lake) == cover_first[1]
    assert not any("form=13F-HR/" in name for name in lake_files(lake))
    with open_platform(Settings(lake=str(lake))) as platform:
        assert verify_partitions(platform.store).problems == []
    status, out, _ = run("--lake", str(lake), "ingest", str(COVER), "--accession", ACCESSION)
    assert status == 0 and "1 duplicate" in out, out  # the same cover again writes nothing
    status, out, _ = ingest_table(str(lake))
    assert status == 0 and "1 duplicate" in out, out  # nor the table
    assert answers(str(lake)) == cover_first[0]


@pytest.mark.parametrize("flags, named", [
    (("--cik", "1732812", "--accession", ACCESSION, "--period", "2025-12-31"),
     "the cover page of 0000904454-26-000248 names filer 0001732811, but its stored information table"
     " was ingested with --cik 0001732812"),
    (("--cik", "1732811", "--accession", ACCESSION, "--period", "2025-09-30"),
     "the cover page of 0000904454-26-000248 is for the period 2025-12-31, but its stored information"
     " table was ingested with --period 2025-09-30"),
])
def test_a_cover_that_does_not_belong_to_the_stored_table_is_rejected(tmp_path: Path, flags, named) -> None:
    lake = tmp_path / "lake"
    assert ingest_table(str(lake), *flags)[0] == 0
    before, files = answers(str(lake), flags[1]), lake_files(lake)
    status, out, err = run("--lake", str(lake), "ingest", str(COVER), "--accession", ACCESSION)
    assert status == 1 and named in out, out + err
    assert answers(str(lake), flags[1]) == before  # the table's filing is as it was
    assert [f for f in lake_files(lake) if not f.startswith("quarantine/")] == files


def test_a_notice_is_not_merged_into_a_table(tmp_path: Path) -> None:
    notice = SAMPLES / "13F-NT.0001178913-25-000237.txt"
    lake = str(tmp_path / "lake")
    table = tmp_path / "infotable.xml"  # a name that names no accession of its own
    table.write_bytes(TABLE.read_bytes())
    flags = ("--cik", "1727574", "--accession", "0001178913-25-000237", "--period", "2024-12-31")
    assert run("--lake", lake, "ingest", str(table), *flags)[0] == 0
    status, out, err = run("--lake", lake, "ingest", str(notice))
    assert status == 1, out + err
    assert "is a 13F notice (no information table), but 0001178913-25-000237 is stored as an information table" in out


def test_a_cover_is_not_merged_into_a_compacted_table(tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    assert ingest_table(lake)[0] == 0
    assert run("--lake", lake, "compact")[0] == 0
    before = answers(lake)
    status, out, err = run("--lake", lake, "ingest", str(COVER), "--accession", ACCESSION)
    assert status == 1 and "is in a compacted partition (form=13F-HR/year=2025/month=12)" in out, out + err
    assert answers(lake) == before and len(before["off"]["holdings"]) == 2


@pytest.mark.parametrize(
    "step", ["table-raw", "raw", "table:fund_filings", "table:fund_holdings", "old", "lookup", "commit"]
)
def test_a_crash_while_a_cover_joins_its_table_is_repaired_by_ingesting_the_cover_again(
    tmp_path: Path, step: str, cover_first
) -> None:
    lake = tmp_path / "lake"
    assert ingest_table(str(lake))[0] == 0
    with open_platform(Settings(lake=str(lake))) as platform:
        with pytest.raises(InjectedCrash):
            ingest_document(platform, COVER.read_bytes(), str(COVER), accession=ACCESSION, fail_after=step)
    status, out, err = run("--lake", str(lake), "ingest", str(COVER), "--accession", ACCESSION)
    # "new": no earlier run reported it; after the commit the crash came when all was written
    assert status == 0 and ("1 duplicate" if step == "commit" else "1 new") in out, out + err
    assert answers(str(lake)) == cover_first[0]
    assert lake_files(lake) == cover_first[1]


def test_a_whole_submission_after_its_bare_table_replaces_it(tmp_path: Path) -> None:
    """A cover that comes with its own table (the bundled 13F-HR submission, its table also
    ingested alone first) replaces the bare table's filing: the answer is the submission's."""
    from secfilings.data import THIRTEENF_DIR
    from secfilings.workers.form4_parser.envelope import parse_envelope

    submission = THIRTEENF_DIR / "13F.0001894188-23-000007.txt"
    table = tmp_path / "infotable.xml"
    table.write_bytes(next(d.xml for d in parse_envelope(submission.read_bytes()).documents
                           if d.xml and b"informationTable" in d.xml[:400]))
    reference, lake = str(tmp_path / "reference"), str(tmp_path / "lake")
    assert run("--lake", reference, "ingest", str(submission))[0] == 0
    flags = ("--cik", "1894188", "--accession", "0001894188-23-000007", "--period", "2023-09-30")
    status, out, err = run("--lake", lake, "ingest", str(table), *flags)
    assert status == 0 and "1 new" in out, out + err
    status, out, err = run("--lake", lake, "ingest", str(submission))
    assert status == 0 and "1 new" in out, out + err
    assert answers(lake, "1894188") == answers(reference, "1894188")
    assert lake_files(Path(lake)) == lake_files(Path(reference))


# Athena's result types of the fund tables' columns, from the lake layout
def _athena_result(rows: list[dict]) -> dict:
    from secfilings.lake.layout import PARTITION_COLUMNS, TABLE_COLUMNS

    types = {name: {"int": "integer", "string": "varchar"}.get(kind, kind)
             for table in ("fund_filings", "fund_holdings") for name, kind in TABLE_COLUMNS[table] + PARTITION_COLUMNS}

    def text(value: object) -> dict:
        if value is None:
            return {}
        return {"VarCharValue": ("true" if value else "false") if isinstance(value, bool) else str(value)}

    names = list(rows[0])
    return {
        "rows": [{"Data": [{"VarCharValue": n} for n in names]}] + [{"Data": [text(r[n]) for n in names]} for r in rows],
        "column_info": [{"Name": n, "Label": n, "Type": types.get(n, "varchar"), "Nullable": "NULLABLE",
                         "CaseSensitive": False} for n in names],
    }


def test_a_cover_joins_its_table_on_s3_and_dynamodb(tmp_path: Path, aws_platform, athena_results, cover_first) -> None:
    """On moto (server mode): S3 objects moved and deleted, DynamoDB ledger and item rewritten.
    moto runs no SQL: the merge's one query (the stored rows by accession) runs on DuckDB over a
    copy of the bucket, and moto serves those rows as Athena would."""
    import datetime

    from secfilings.sql.queries import fund_filings_by_accession_sql

    period = datetime.date(2025, 12, 31)
    table_outcome = ingest_document(aws_platform, TABLE.read_bytes(), str(TABLE), cik="0001732811",
                                    accession=ACCESSION, period=period)
    assert table_outcome.outcome == "new"
    mirror = tmp_path / "mirror"
    store = aws_platform.store
    for key, _size in store.list("").keys:
        (mirror / key).parent.mkdir(parents=True, exist_ok=True)
        (mirror / key).write_bytes(store.get(key))
    with open_platform(Settings(lake=str(mirror), index_mode="off")) as local:
        rows = local.sql.query(fund_filings_by_accession_sql(1), [ACCESSION])
    athena_results([_athena_result(rows)])
    aws_platform.sql.poll_interval_s = 0.01
    outcome = ingest_document(aws_platform, COVER.read_bytes(), str(COVER), accession=ACCESSION)
    assert outcome.outcome == "new", outcome
    assert sorted(key for key, _size in store.list("").keys) == [f for f in cover_first[1] if not f.startswith("_index")]
    items = aws_platform.index.get_lookup("fund#0001732811")
    reference = cover_first[0]["read-only"]
    assert len(items) == 1 and items[0]["fund_name"] == reference["name"]
    assert [h["cusip"] for h in items[0]["holdings"]] == [h["cusip"] for h in reference["holdings"]]
    again = ingest_document(aws_platform, COVER.read_bytes(), str(COVER), accession=ACCESSION)
    assert again.outcome == "duplicate"


def test_both_halves_in_one_parallel_ingest_make_one_filing(tmp_path: Path, cover_first) -> None:
    """A folder holding the cover and its table, ingested by two processes at once: whichever
    claims the accession first, the other joins it (or waits for it, then joins)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for path in (COVER, TABLE):
        (docs / path.name).write_bytes(path.read_bytes())
    lake = tmp_path / "lake"
    status, out, err = run("--lake", str(lake), "ingest", str(docs), "--cik", "1732811", "--period", "2025-12-31",
                           "--jobs", "2")
    assert status == 0 and "2 new" in out, out + err
    assert answers(str(lake)) == cover_first[0]
    assert lake_files(lake) == cover_first[1]
