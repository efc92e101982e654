"""Fill the lookup index from the lake: the migration step "fill the index, then drop the fallback".

``python -m secfilings.scripts.backfill_lookup_index [--lake ...] [--restart] [--json]``

It walks ``tables/ownership_filings/`` and ``tables/fund_filings/`` partition by partition
(delimiter listings), reads each filing's rows (and its transactions or holdings, from the
matching file of the same partition) and puts the items the writers would have put:
``company#<cik>`` / ``fund#<cik>`` with the same sort keys and contents, so the endpoints answer
the same from the index as from SQL.

- Idempotent: items are written with a conditional put (``if_absent``): an item already in the
  index (written by an ingestion or an earlier run) is left as it is and counted ``present``.
- Resumable: after each partition it records ``pk="backfill#lookup-index"``,
  ``sk="partition#<prefix>"`` in the index itself (a checkpoint that lives where the items
  live, so it works the same on SQLite and DynamoDB) with a fingerprint of the partition's
  listing (SHA-256 of its keys and sizes). A re-run lists each partition again (one LIST) and
  skips it only when the listing is the one checkpointed; a partition where filings landed
  since is read again (items already there stay ``present``). ``--restart`` ignores the
  checkpoints.

It reads objects directly (one GET per table file): it is a script, not a service or worker.
Exit status: 0 done, 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Sequence, TextIO

from secfilings.lake import layout
from secfilings.index.keys import company_pk, company_sk, fitted_item, fund_pk, fund_sk
from secfilings.documents import company_entry, fund_entry

__all__ = ["CHECKPOINT_PK", "BackfillReport", "backfill_index", "partitions", "main"]

CHECKPOINT_PK = "backfill#lookup-index"
_SOURCES = {"ownership_filings": "insider_transactions", "fund_filings": "fund_holdings"}

Progress = Callable[[int, int, str], None]


@dataclass
class BackfillReport:
    partitions: int = 0
    skipped_partitions: int = 0
    filings: int = 0
    added: int = 0
    present: int = 0
    list_calls: int = 0
    get_calls: int = 0

    def to_json(self) -> dict[str, int]:
        return dict(self.__dict__)

    def write_text(self, out: TextIO) -> None:
        out.write(
            f"backfill-index: {self.filings} filings in {self.partitions} partitions: "
            f"{self.added} items added, {self.present} already in the index"
            f" ({self.skipped_partitions} partitions skipped from the checkpoint;"
            f" {self.list_calls} LIST, {self.get_calls} GET)\n"
        )


def _list(store: Any, prefix: str, report: BackfillReport, delimiter: str | None = "/") -> Any:
    result = store.list(prefix, delimiter)
    report.list_calls += result.pages
    return result


def partitions(store: Any, table: str, report: BackfillReport | None = None) -> list[str]:
    """The month partitions of ``table`` (``tables/<t>/form=../year=../month=../``), by delimiter listing."""
    report = BackfillReport() if report is None else report
    found: list[str] = []
    for form in _list(store, layout.table_prefix(table), report).common_prefixes:
        for year in _list(store, form, report).common_prefixes:
            found.extend(_list(store, year, report).common_prefixes)
    return sorted(found)


def _rows(store: Any, key: str, report: BackfillReport) -> list[dict[str, Any]]:
    from secfilings.services.api.athena.s3_direct_read import read_object

    report.get_calls += 1
    try:
        data = read_object(store, key)
    except KeyError:
        return []
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def _company_items(header: dict[str, Any], details: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    entry = company_entry(header, details)
    cik = entry.pop("company_cik")
    return [(company_pk(cik), company_sk(entry), entry)]


def _fund_items(header: dict[str, Any], details: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    entry = fund_entry(header, details)
    cik = entry.pop("fund_cik")
    return [(fund_pk(cik), fund_sk(entry), entry)]


def _fingerprint(listing: Sequence[tuple[str, int]]) -> str:
    """What a partition held when it was filled: SHA-256 of its sorted keys and sizes."""
    digest = hashlib.sha256()
    for key, size in sorted(listing):
        digest.update(f"{key}\t{size}\n".encode("utf-8"))
    return digest.hexdigest()


def backfill_index(
    platform: Any, *, restart: bool = False, progress: Progress | None = None
) -> BackfillReport:
    """Put every filing of the lake into the lookup index (see the module docstring)."""
    store, index = platform.store, platform.index
    report = BackfillReport()
    done = {} if restart else {item.get("partition"): item.get("listing") for item in index.get_lookup(CHECKPOINT_PK)}
    work = [(table, prefix) for table in _SOURCES for prefix in partitions(store, table, report)]
    for number, (table, prefix) in enumerate(work, start=1):
        report.partitions += 1
        listing = _list(store, prefix, report, None).keys
        fingerprint = _fingerprint(listing)
        if done.get(prefix) == fingerprint:
            report.skipped_partitions += 1
            if progress is not None:
                progress(number, len(work), prefix)
            continue
        detail_table = _SOURCES[table]
        for key, _size in listing:
            parts = layout.parse_key(key)
            if parts is None or parts["table"] != table:
                continue
            headers = _rows(store, key, report)
            if not headers:
                continue
            details = _rows(store, key.replace(f"tables/{table}/", f"tables/{detail_table}/", 1), report)
            make = _company_items if table == "ownership_filings" else _fund_items
            for header in headers:
                report.filings += 1
                own = [row for row in details if row.get("accession_number") == header["accession_number"]]
                for pk, sk, item in make(header, own):
                    if index.put_lookup(pk, sk, fitted_item(pk, sk, item), if_absent=True):
                        report.added += 1
                    else:
                        report.present += 1
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        checkpoint = {"partition": prefix, "done_at": stamp, "listing": fingerprint}
        index.put_lookup(CHECKPOINT_PK, f"partition#{prefix}", checkpoint)
        if progress is not None:
            progress(number, len(work), prefix)
    return report


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    from secfilings.config import Settings, open_platform
    from secfilings.errors import SecfilingsError

    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    parser = argparse.ArgumentParser(prog="backfill_lookup_index", description=__doc__.split("\n")[0])
    parser.add_argument("--lake", help="a folder or s3://bucket/prefix (default: SECFILINGS_LAKE)")
    parser.add_argument("--index-table", help="the DynamoDB table of an s3:// lake")
    parser.add_argument("--restart", action="store_true", help="ignore the checkpoints of earlier runs")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env({"lake": args.lake, "index_table": args.index_table})
        with open_platform(settings) as platform:
            report = backfill_index(platform, restart=args.restart)
    except SecfilingsError as error:
        err.write(f"backfill_lookup_index: {error}\n")
        return 2
    if args.json:
        out.write(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        report.write_text(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
