"""Benchmark: a ``company`` lookup served by the lookup index versus by the SQL fallback.

    python bench/lookup.py [--docs 200] [--index-lookups 2000] [--sql-lookups 20] [--compact]

Builds a folder lake (embedded default: SQLite index, DuckDB SQL) from the bundled real
filings plus ``--docs`` replicas with new accession numbers, then times ``get_company`` for the
lake's issuers with ``index_mode=read-only`` (every answer from the index) and with
``index_mode=off`` (every answer from SQL over the lake's files), checks that both give the same
answers, and prints p50/p99 latency of each and their ratio. With ``--compact`` the lake is
compacted first (``secfilings compact``: one CIK-sorted Parquet file per partition). Target: the index at least 100
times faster than the fallback. Not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from replicate_filings import replicate  # noqa: E402

from secfilings.config import Settings, open_platform  # noqa: E402
from secfilings.demo import bundled_data  # noqa: E402
from secfilings.meter import cost_meter  # noqa: E402
from secfilings.scripts.compact_lake import compact_lake  # noqa: E402
from secfilings.services.api.athena.companies import get_company  # noqa: E402
from secfilings.workers.form4_parser.worker import ingest_paths  # noqa: E402

ISSUERS = ("1640147", "7536", "1750", "933972", "867773")


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _time(settings: Settings, mode: str, count: int) -> tuple[list[float], dict[str, object]]:
    samples: list[float] = []
    answers: dict[str, object] = {}
    with open_platform(settings.with_changes(index_mode=mode)) as platform:
        for cik in ISSUERS:  # warm-up (and the answers to compare)
            answers[cik] = get_company(platform, cik)
        for number in range(count):
            cik = ISSUERS[number % len(ISSUERS)]
            started = time.perf_counter()
            get_company(platform, cik)
            samples.append(time.perf_counter() - started)
    return samples, answers


def _misses(settings: Settings, count: int) -> None:
    """Unknown CIKs in read-fallback: the first miss is a SQL query, the repeat is remembered."""
    first: list[float] = []
    repeat: list[float] = []
    queries = {"first": 0.0, "repeat": 0.0}
    scanned = {"first": 0.0, "repeat": 0.0}
    with open_platform(settings.with_changes(index_mode="read-fallback")) as platform:
        for number in range(count):
            cik = str(990000000 + number)
            for label, samples in (("first", first), ("repeat", repeat)):
                with cost_meter() as meter:
                    started = time.perf_counter()
                    assert get_company(platform, cik) is None
                    samples.append(time.perf_counter() - started)
                queries[label] += meter.counts.get("athena.query", 0)
                scanned[label] += meter.counts.get("athena.bytes_scanned", 0)
    for label, samples in (("first miss (SQL)", first), ("repeated miss", repeat)):
        kind = "first" if samples is first else "repeat"
        print(
            f"{label:<20} {len(samples):>5} lookups: p50 {_percentile(samples, 0.5) * 1e3:8.3f} ms"
            f"  p99 {_percentile(samples, 0.99) * 1e3:8.3f} ms; per miss {queries[kind] / count:g} SQL queries,"
            f" {scanned[kind] / count:,.0f} bytes scanned"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=200, help="replicas added to the bundled filings")
    parser.add_argument("--index-lookups", type=int, default=2000)
    parser.add_argument("--sql-lookups", type=int, default=20)
    parser.add_argument("--misses", type=int, default=5, help="unknown CIKs asked twice in read-fallback")
    parser.add_argument("--compact", action="store_true", help="compact the lake before timing")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="secfilings-bench-") as scratch:
        work = Path(scratch)
        settings = Settings(lake=str(work / "lake"))
        with open_platform(settings) as platform:
            paths: list[Path] = [bundled_data() / "form4"]
            if args.docs:
                replicate(work / "docs", args.docs)
                paths.append(work / "docs")
            report = ingest_paths(platform, paths, jobs=0)
        print(f"lake: {report.new} ownership filings ({args.docs} replicas of the bundled ones)")
        if args.compact:
            started = time.perf_counter()
            compacted = compact_lake(work / "lake")
            print(
                f"compacted: {compacted.partitions} partitions, {compacted.files} row files -> Parquet"
                f" in {time.perf_counter() - started:.1f} s"
            )
        index, by_index = _time(settings, "read-only", args.index_lookups)
        sql, by_sql = _time(settings, "off", args.sql_lookups)
        if by_index != by_sql:
            print("the index and the fallback disagree!")
            return 1
        for label, samples in (("index (read-only)", index), ("SQL fallback (off)", sql)):
            print(
                f"{label:<20} {len(samples):>5} lookups: p50 {_percentile(samples, 0.5) * 1e3:8.3f} ms"
                f"  p99 {_percentile(samples, 0.99) * 1e3:8.3f} ms  mean {statistics.fmean(samples) * 1e3:8.3f} ms"
            )
        p50 = _percentile(sql, 0.5) / _percentile(index, 0.5)
        p99 = _percentile(sql, 0.99) / _percentile(index, 0.99)
        print(f"ratio (fallback / index): p50 {p50:,.0f}x, p99 {p99:,.0f}x (target >= 100x)")
        _misses(settings, args.misses)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
