"""insert_filing_with_dedup: one copy whatever happens — repeats, crashes between steps, races."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from secfilings.config import Settings, open_platform
from secfilings.data import FORM4_DIR, THIRTEENF_DIR
from secfilings.services.api.athena.write import InjectedCrash
from secfilings.services.api.athena.write_with_dedup import (
    DEDUP_STEPS,
    LEDGER_SK,
    insert_filing_with_dedup,
    ledger_pk,
)
from secfilings.workers.form4_parser.worker import parse_document

SNOW = FORM4_DIR / "form4.snow.xml"
LTS = THIRTEENF_DIR / "13F.0001894188-23-000007.txt"


def lake_state(platform: Any) -> tuple[dict[str, bytes], list[tuple[str, str, str]]]:
    """Every lake object and every index item except the ledger's bookkeeping (owner, times)."""
    root: Path = platform.store.root
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
             if p.is_file() and not p.relative_to(root).as_posix().startswith("_index")}
    with sqlite3.connect(platform.index.path) as conn:
        items = conn.execute("SELECT pk, sk, doc FROM lookup WHERE pk NOT LIKE 'ledger#%' ORDER BY pk, sk").fetchall()
    return files, items


def ledger_state(platform: Any, accession: str) -> str | None:
    item = platform.index.get_item(ledger_pk(accession), LEDGER_SK)
    return None if item is None else item["state"]


def reference_state(tmp_path: Path, source: Path, ext: str) -> tuple[dict[str, bytes], list]:
    with open_platform(Settings(lake=str(tmp_path / "reference"))) as platform:
        raw = source.read_bytes()
        assert insert_filing_with_dedup(platform, parse_document(raw, source.name), raw, ext) == "new"
        return lake_state(platform)


def test_second_write_is_a_duplicate_and_changes_nothing(local_platform: Any) -> None:
    raw = SNOW.read_bytes()
    filing = parse_document(raw, SNOW.name)
    assert insert_filing_with_dedup(local_platform, filing, raw, "xml") == "new"
    before = lake_state(local_platform)
    assert insert_filing_with_dedup(local_platform, filing, raw, "xml") == "duplicate"
    assert lake_state(local_platform) == before
    assert ledger_state(local_platform, filing.accession_number) == "committed"


@pytest.mark.parametrize("source, ext", [(SNOW, "xml"), (LTS, "txt")])
def test_a_crash_after_any_step_is_completed_by_a_rerun(tmp_path: Path, source: Path, ext: str) -> None:
    expected = reference_state(tmp_path, source, ext)
    raw = source.read_bytes()
    filing = parse_document(raw, source.name)
    tables = ("ownership_filings", "insider_transactions") if ext == "xml" else ("fund_filings", "fund_holdings")
    steps = [s for s in DEDUP_STEPS if not s.startswith("table:") or s.split(":")[1] in tables]
    assert len(steps) == 6
    for step in steps:
        with open_platform(Settings(lake=str(tmp_path / f"crash-{step.replace(':', '-')}"))) as platform:
            with pytest.raises(InjectedCrash):
                insert_filing_with_dedup(platform, filing, raw, ext, fail_after=step)
            state = ledger_state(platform, filing.accession_number)
            assert state == ("committed" if step == "commit" else "pending"), step
            outcome = insert_filing_with_dedup(platform, filing, raw, ext)
            # nothing lost, no duplicate: the same lake as one clean write
            assert lake_state(platform) == expected, step
            assert ledger_state(platform, filing.accession_number) == "committed"
            assert outcome == ("duplicate" if step == "commit" else "new"), step
            assert insert_filing_with_dedup(platform, filing, raw, ext) == "duplicate"


def test_a_crash_in_another_process_is_taken_over(tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    process = multiprocessing.get_context("spawn").Process(target=_crash_child, args=(lake, str(SNOW)))
    process.start()
    process.join(60)
    assert process.exitcode == 3
    with open_platform(Settings(lake=lake)) as platform:
        raw = SNOW.read_bytes()
        filing = parse_document(raw, SNOW.name)
        assert ledger_state(platform, filing.accession_number) == "pending"  # the dead process's claim
        assert insert_filing_with_dedup(platform, filing, raw, "xml") == "new"
        assert lake_state(platform) == reference_state(tmp_path, SNOW, "xml")


def _crash_child(lake: str, path: str) -> None:
    import os

    with open_platform(Settings(lake=lake)) as platform:
        raw = Path(path).read_bytes()
        try:
            insert_filing_with_dedup(platform, parse_document(raw, Path(path).name), raw, "xml",
                                     fail_after="table:ownership_filings")
        except InjectedCrash:
            os._exit(3)  # die without cleaning anything up


def _race_child(lake: str, paths: list[str], barrier: Any, queue: Any) -> None:
    from secfilings.workers.form4_parser.worker import ingest_paths

    with open_platform(Settings(lake=lake)) as platform:
        barrier.wait(30)
        report = ingest_paths(platform, paths)
        queue.put([doc.outcome for doc in report.documents])


def test_two_processes_ingesting_the_same_documents_leave_one_copy(tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    paths = [str(p) for p in sorted(FORM4_DIR.iterdir()) if p.suffix in (".xml", ".txt", ".nc")]
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(2), context.Queue()
    children = [context.Process(target=_race_child, args=(lake, paths, barrier, queue)) for _ in range(2)]
    for child in children:
        child.start()
    outcomes = [queue.get(timeout=120) for _ in children]
    for child in children:
        child.join(60)
        assert child.exitcode == 0
    per_document = list(zip(*outcomes))
    assert all(sorted(pair) == ["duplicate", "new"] for pair in per_document), per_document
    with open_platform(Settings(lake=lake)) as platform:
        rows = platform.sql.query("SELECT accession_number, count(*) AS n FROM ownership_filings "
                                  "GROUP BY accession_number")
        assert len(rows) == len(paths) and all(row["n"] == 1 for row in rows)
        positions = platform.sql.query(
            "SELECT count(*) AS n, count(DISTINCT accession_number || ':' || CAST(position AS VARCHAR)) AS k "
            "FROM insider_transactions")
        assert positions[0]["n"] == positions[0]["k"] > 0
        items = platform.index.get_lookup("company#0001640147")
        assert len(items) == len({item["accession_number"] for item in items}) == 4


def test_dedup_on_dynamodb_and_s3(aws_platform: Any) -> None:
    raw = LTS.read_bytes()
    filing = parse_document(raw, LTS.name)
    with pytest.raises(InjectedCrash):
        insert_filing_with_dedup(aws_platform, filing, raw, "txt", fail_after="raw")
    assert ledger_state(aws_platform, filing.accession_number) == "pending"
    assert insert_filing_with_dedup(aws_platform, filing, raw, "txt") == "new"
    assert insert_filing_with_dedup(aws_platform, filing, raw, "txt") == "duplicate"
    assert ledger_state(aws_platform, filing.accession_number) == "committed"
    assert len(aws_platform.index.get_lookup("fund#0001894188")) == 1
    assert len(aws_platform.store.list("tables/").keys) == 2
