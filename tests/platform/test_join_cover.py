"""An information table ingested after its cover page joins the stored filing
(``secfilings.ingest.complete``): on the real MFN Partners 13F-HR/A (NEW HOLDINGS), whose cover
and table travel as two documents (tests/data/sec/README.md)."""

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


def answers(lake: str) -> dict[str, dict]:
    found = {}
    for mode in ("read-only", "off"):  # the index's answer and the SQL answer
        status, out, err = run("--lake", lake, "--index-mode", mode, "fund", "1732811", "--json")
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


def test_a_cover_after_its_table_stays_a_duplicate(tmp_path: Path) -> None:
    """The documented limit: the bare table's filing is kept (its partition is its period)."""
    lake = str(tmp_path / "lake")
    assert run("--lake", lake, "ingest", str(TABLE), *TABLE_FLAGS)[0] == 0
    status, out, _ = run("--lake", lake, "ingest", str(COVER), "--accession", ACCESSION)
    assert status == 0 and "1 duplicate" in out
    answer = answers(lake)["off"]
    assert len(answer["holdings"]) == 2 and answer["name"] is None
