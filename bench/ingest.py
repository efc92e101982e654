"""Benchmark: ingestion throughput on the embedded default (folder lake, SQLite ledger/index).

    python bench/ingest.py [--docs 10000] [--jobs 0] [--include-13f] [--keep DIR]

Replicates the bundled real ownership filings (Forms 3/4/5; ``--include-13f`` adds the 13F
filings) to ``--docs`` documents with new accession numbers, ingests them all through the
de-duplicated write (``ingest_paths``), and prints documents per second. ``--jobs 0`` (default)
uses one process per CPU. Then it ingests the same folder again: every document must come back
``duplicate`` (that pass is timed too). Target: at least 1,000 Form 4 documents per second on
2 cores. Not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from replicate_filings import replicate  # noqa: E402

from secfilings.config import Settings, open_platform  # noqa: E402
from secfilings.workers.form4_parser.worker import ingest_paths  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=0, help="processes (0: one per CPU)")
    parser.add_argument("--include-13f", action="store_true")
    parser.add_argument("--keep", type=Path, help="work in this folder (kept) instead of a temporary one")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="secfilings-bench-") as scratch:
        work = args.keep or Path(scratch)
        docs = work / "docs"
        started = time.perf_counter()
        paths = replicate(docs, args.docs, include_13f=args.include_13f)
        print(f"replicated {len(paths)} documents in {time.perf_counter() - started:.1f} s")
        # The input is on disk before an ingest starts (downloaded earlier): flush the copies
        # now, so the timed ingest does not also pay the write-back of its own input.
        if hasattr(os, "sync"):
            os.sync()
        jobs = args.jobs or (os.cpu_count() or 1)
        settings = Settings(lake=str(work / "lake"))
        with open_platform(settings) as platform:
            for label in ("first ingest", "second ingest (all duplicates)"):
                started = time.perf_counter()
                report = ingest_paths(platform, [docs], jobs=jobs)
                seconds = time.perf_counter() - started
                print(
                    f"{label}: {len(report.documents)} documents ({report.new} new, {report.duplicate} duplicate,"
                    f" {report.rejected} rejected) in {seconds:.2f} s = {len(report.documents) / seconds:,.0f} documents/s"
                    f" ({jobs} process(es), {os.cpu_count()} CPUs)"
                )
                if report.rejected:
                    print("  rejected:", report.documents[[d.outcome for d in report.documents].index("rejected")].message)
                    return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
