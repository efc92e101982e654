"""SqliteLookupIndex.transaction(): all writes land or none; the de-dup commit uses it."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest

from secfilings import meter
from secfilings.config import Settings, open_platform
from secfilings.data import FORM4_DIR
from secfilings.services.api.athena.lookup_index import SqliteLookupIndex
from secfilings.services.api.athena.write import InjectedCrash
from secfilings.services.api.athena.write_with_dedup import LEDGER_SK, insert_filing_with_dedup, ledger_pk
from secfilings.workers.form4_parser.worker import parse_document

SNOW = FORM4_DIR / "form4.snow.xml"


def _rows(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:  # another connection: sees committed data only
        return conn.execute("SELECT pk, sk FROM lookup ORDER BY pk, sk").fetchall()


def test_a_transaction_commits_together_and_rolls_back_together(tmp_path: Path) -> None:
    index = SqliteLookupIndex(tmp_path / "index.sqlite")
    with meter.cost_meter() as counted:
        with index.transaction():
            assert index.put_lookup("a", "1", {"x": 1}, if_absent=True)
            assert not index.put_lookup("a", "1", {"x": 2}, if_absent=True)  # the condition holds inside
            with index.transaction():  # nested: joins
                index.put_lookup("b", "1", {"x": 3})
            assert _rows(index.path) == []  # not visible to others before the commit
    assert _rows(index.path) == [("a", "1"), ("b", "1")]
    assert counted.counts["dynamodb.write_units"] == 3  # one unit per item written, as DynamoDB bills
    with pytest.raises(RuntimeError):
        with index.transaction():
            index.put_lookup("c", "1", {"x": 4})
            raise RuntimeError("crash")
    assert _rows(index.path) == [("a", "1"), ("b", "1")]
    assert index.get_item("a", "1") == {"x": 1}
    index.close()


def test_a_crash_between_lookup_and_commit_leaves_only_the_pending_claim(tmp_path: Path) -> None:
    raw = SNOW.read_bytes()
    filing = parse_document(raw, SNOW.name)
    with open_platform(Settings(lake=str(tmp_path / "lake"))) as platform:
        with pytest.raises(InjectedCrash):
            insert_filing_with_dedup(platform, filing, raw, "xml", fail_after="lookup")
        rows = _rows(platform.index.path)
        assert rows == [(ledger_pk(filing.accession_number), LEDGER_SK)]  # no lookup item without its commit
        assert platform.index.get_item(*rows[0])["state"] == "pending"
        assert insert_filing_with_dedup(platform, filing, raw, "xml") == "new"
        assert platform.index.get_item(*rows[0])["state"] == "committed"
        assert len(_rows(platform.index.path)) == 2


def test_writers_take_turns_on_the_queue_file(tmp_path: Path) -> None:
    fcntl = pytest.importorskip("fcntl")  # POSIX only; elsewhere SQLite's busy handler alone
    index = SqliteLookupIndex(tmp_path / "index.sqlite")
    other = os.open(f"{index.path}.writers", os.O_RDWR)  # another writer's handle on the queue
    fcntl.flock(other, fcntl.LOCK_EX)
    done = threading.Event()

    def write() -> None:
        index.put_lookup("a", "1", {"x": 1})
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    assert not done.wait(0.3)  # waits for its turn
    assert _rows(index.path) == []
    fcntl.flock(other, fcntl.LOCK_UN)
    writer.join(30)
    assert done.is_set() and _rows(index.path) == [("a", "1")]
    os.close(other)
    index.close()


def test_a_queue_held_too_long_is_passed_by(tmp_path: Path) -> None:
    fcntl = pytest.importorskip("fcntl")
    index = SqliteLookupIndex(tmp_path / "index.sqlite", busy_timeout_s=0.2)
    other = os.open(f"{index.path}.writers", os.O_RDWR)
    fcntl.flock(other, fcntl.LOCK_EX)  # a stuck writer that never lets go
    with index.transaction():  # goes on after busy_timeout_s: SQLite's own lock is free
        index.put_lookup("a", "1", {"x": 1})
    assert _rows(index.path) == [("a", "1")]
    os.close(other)
    index.close()
