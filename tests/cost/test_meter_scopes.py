"""A meter counts what its own scope made: two meters open at once in two threads never mix.

The scope of a meter is the context that opens it (this thread, or this task and what it
awaits); a meter can be passed to other threads and opened there, or work can run in a copy
of the context. Real parts only: one moto server (ThreadedMotoServer) and the embedded engines.
"""

from __future__ import annotations

import contextvars
import threading
from pathlib import Path
from typing import Any, Callable

import pytest

from secfilings.lake.objects import LocalObjectStore
from secfilings.meter import Meter, active, cost_meter, record
from secfilings.services.api.athena.lookup_index import SqliteLookupIndex
from secfilings.sql.engine import DuckDBEngine
from tests.cost.cost_moto import moto_endpoint, new_client  # noqa: F401 - fixtures


def run_together(*jobs: Callable[[threading.Barrier], Meter]) -> list[Meter]:
    """Each job in its own thread, in step (the barrier), its meter returned; errors re-raised."""
    barrier = threading.Barrier(len(jobs), timeout=60)
    meters: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int, job: Callable[[threading.Barrier], Meter]) -> None:
        try:
            meters[i] = job(barrier)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if errors:
        raise errors[0]
    assert all(isinstance(m, Meter) for m in meters)
    return meters


def test_two_threads_on_one_moto_client_each_count_their_own_requests(moto_endpoint: str) -> None:
    s3 = new_client("s3", moto_endpoint)  # one client shared by both threads
    s3.create_bucket(Bucket="scopes")
    s3.put_object(Bucket="scopes", Key="seed", Body=b"12345")

    def writer(barrier: threading.Barrier) -> Meter:
        with cost_meter() as meter:
            barrier.wait()  # both meters are open from here on
            for i in range(3):
                s3.put_object(Bucket="scopes", Key=f"w/{i}", Body=b"ab")
                barrier.wait()
            s3.get_object(Bucket="scopes", Key="seed")["Body"].read()
            barrier.wait()
        return meter

    def reader(barrier: threading.Barrier) -> Meter:
        with cost_meter() as meter:
            barrier.wait()
            for _ in range(3):
                s3.list_objects_v2(Bucket="scopes")
                s3.head_object(Bucket="scopes", Key="seed")
                barrier.wait()
            barrier.wait()
        return meter

    with cost_meter() as here:  # open in the test's thread the whole time
        mine, theirs = run_together(writer, reader)
    assert dict(mine.counts) == {
        "s3.PUT": 3, "s3.bytes_in": 6, "calls.s3.PutObject": 3,
        "s3.GET": 1, "s3.bytes_out": 5, "calls.s3.GetObject": 1,
    }
    assert dict(theirs.counts) == {"s3.LIST": 3, "calls.s3.ListObjectsV2": 3, "s3.HEAD": 3, "calls.s3.HeadObject": 3}
    assert dict(here.counts) == {}  # the threads' requests are not the test thread's


def test_two_threads_on_the_embedded_engines_each_count_their_own_requests(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "lake", page_size=2)
    index = SqliteLookupIndex(tmp_path / "index.sqlite")
    sql = DuckDBEngine(store)
    store.put("tables/c/0.json", b"{}")

    def ingest(barrier: threading.Barrier) -> Meter:
        with cost_meter() as meter:
            barrier.wait()
            for i in range(4):
                store.put(f"tables/c/{i + 1}.json", b'{"n": 1}')
                barrier.wait()
            assert index.put_lookup("company#1", "filing", {"cik": "1"}) is True
            barrier.wait()
        return meter

    def read(barrier: threading.Barrier) -> Meter:
        with cost_meter() as meter:
            barrier.wait()
            for _ in range(4):
                assert store.get("tables/c/0.json") == b"{}"
                barrier.wait()
            sql.query("SELECT 1 AS one")
            barrier.wait()
        return meter

    writes, reads = run_together(ingest, read)
    assert writes.counts["s3.PUT"] == 4 and writes.counts["s3.bytes_in"] == 4 * 8
    assert writes.counts["dynamodb.write_units"] == 1
    assert {k for k in writes.counts if writes.counts[k]} == {"s3.PUT", "s3.bytes_in", "dynamodb.write_units"}
    assert reads.counts["s3.GET"] == 4 and reads.counts["s3.bytes_out"] == 4 * 2
    assert reads.counts["athena.query"] == 1
    assert "s3.PUT" not in reads.counts and "dynamodb.write_units" not in reads.counts


def test_a_meter_passed_to_another_thread_counts_there_when_opened_there(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "lake")
    store.put("k", b"abc")

    def read_with(meter: Meter | None) -> None:
        if meter is None:
            store.get("k")
            return
        with meter:
            assert active()
            store.get("k")

    def in_thread(target: Callable[..., Any], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args)
        thread.start()
        thread.join(60)

    with cost_meter() as meter:
        in_thread(read_with, None)  # a thread of its own: not in this scope
        assert meter.counts["s3.GET"] == 0
        in_thread(read_with, meter)  # the meter passed in and opened there
        assert meter.counts["s3.GET"] == 1
        in_thread(contextvars.copy_context().run, read_with, None)  # this scope carried along
        assert meter.counts["s3.GET"] == 2
    assert not active()


def test_nested_meters_both_count_and_closing_one_leaves_the_other(tmp_path: Path) -> None:
    with cost_meter() as outer:
        record("s3.GET", 2)
        with cost_meter() as inner, cost_meter(keep_callers=False) as bare:
            record("s3.LIST", 1)
        record("s3.PUT", 1)
    record("s3.GET", 100)  # nothing open any more
    assert dict(outer.counts) == {"s3.GET": 2, "s3.LIST": 1, "s3.PUT": 1}
    assert dict(inner.counts) == {"s3.LIST": 1}
    assert dict(bare.counts) == {"s3.LIST": 1} and not bare.by_caller
    assert inner.callers("s3.LIST") == {"(other)": 1}


@pytest.mark.parametrize("order", ["inner first", "outer first"])
def test_a_meter_closed_out_of_order_leaves_the_others_open(order: str) -> None:
    first, second = Meter(), Meter()
    first.__enter__()
    second.__enter__()
    (second if order == "inner first" else first).__exit__(None, None, None)
    record("s3.HEAD")
    left = first if order == "inner first" else second
    left.__exit__(None, None, None)
    record("s3.HEAD")
    assert left.counts["s3.HEAD"] == 1 and (second if left is first else first).counts["s3.HEAD"] == 0
    assert not active()
