"""Fill the lookup index from the lake: the migration step "fill the index, then drop the fallback".

``python -m secfilings.scripts.backfill_lookup_index [--lake ...] [--restart] [--json]``

It walks ``tables/ownership_filings/`` and ``tables/fund_filings/`` partition by partition
(delimiter listings), and the same partitions under ``compacted/`` (``secfilings compact``'s
Parquet files), reads each filing's rows (and its transactions or holdings, from the matching
file of the same partition) and puts the items the writers would have put:
``company#<cik>`` / ``fund#<cik>`` with the same sort keys and contents, so the endpoints answer
the same from the index as from SQL.

- Idempotent: items are written with a conditional put (``if_absent``): an item already in the
  index (written by an ingestion or an earlier run) is left as it is and counted ``present``.
- Resumable: after each partition it records ``pk="backfill#lookup-index"``,
  ``sk="partition#<prefix>"`` in the index itself (a checkpoint that lives where the items
  live, so it works the same on SQLite and DynamoDB) with a fingerprint of the partition's
  listing (SHA-256 of its keys and sizes, and of its compacted file's key, size and version:
  an S3 ETag, a file's inode and modification time). A re-run lists each partition again (one
  LIST, two when it is compacted) and skips it only when the listing is the one checkpointed; a
  partition where filings landed since, or that a compaction rewrote, is read again (items
  already there stay ``present``). ``--restart`` ignores the checkpoints.
- Compacted or not: a filing is read from its partition's ``compacted.parquet`` when that holds
  it (one GET for the whole partition, read by DuckDB), else from its NDJSON file, as the SQL
  readers do; its transactions or holdings likewise, so a compaction stopped between two tables
  still gives whole items. Backfilling before or after ``secfilings compact`` (or halfway
  through it) fills the same index.

It reads objects directly (one GET per table file): it is a script, not a service or worker.
Exit status: 0 done, 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
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


def partitions(
    store: Any, table: str, report: BackfillReport | None = None, top: str = layout.TABLES_PREFIX
) -> list[str]:
    """The month partitions of ``table`` under ``top`` (``tables/<t>/form=../year=../month=../``, or
    the same under ``compacted/``), by delimiter listing."""
    report = BackfillReport() if report is None else report
    found: list[str] = []
    for form in _list(store, f"{top}{table}/", report).common_prefixes:
        for year in _list(store, form, report).common_prefixes:
            found.extend(_list(store, year, report).common_prefixes)
    return sorted(found)


def _rows(store: Any, key: str, report: BackfillReport) -> list[dict[str, Any]]:
    from secfilings.services.api.athena.s3_direct_read import ObjectMissing, read_object

    report.get_calls += 1
    try:
        data = read_object(store, key)
    except (KeyError, ObjectMissing):  # deleted since it was listed (a compaction), or never written
        return []
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


class _ParquetReader:
    """Rows of a compacted Parquet file of the lake (one GET, read by DuckDB from a local copy)."""

    def __init__(self) -> None:
        self._conn: Any = None
        self._folder: str | None = None

    def rows(self, store: Any, key: str, report: BackfillReport) -> list[dict[str, Any]]:
        from secfilings.services.api.athena.s3_direct_read import ObjectMissing, read_object

        report.get_calls += 1
        try:
            data = read_object(store, key)
        except (KeyError, ObjectMissing):
            return []
        if self._conn is None:
            import duckdb  # noqa: PLC0415 - only a compacted lake needs it

            self._conn = duckdb.connect(database=":memory:")
            self._folder = tempfile.mkdtemp(prefix="secfilings-backfill-")
        assert self._folder is not None
        path = os.path.join(self._folder, "rows.parquet")
        with open(path, "wb") as handle:
            handle.write(data)
        cursor = self._conn.execute("SELECT * FROM read_parquet(?)", [path])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


def _company_items(header: dict[str, Any], details: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    entry = company_entry(header, details)
    cik = entry.pop("company_cik")
    return [(company_pk(cik), company_sk(entry), entry)]


def _fund_items(header: dict[str, Any], details: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    entry = fund_entry(header, details)
    cik = entry.pop("fund_cik")
    return [(fund_pk(cik), fund_sk(entry), entry)]


def _fingerprint(listing: Sequence[tuple[str, int]], versions: Sequence[tuple[str, int, str]] = ()) -> str:
    """What a partition held when it was filled: SHA-256 of its sorted keys and sizes, and of its
    compacted files' keys, sizes and versions (a rewrite of the same size is a change too)."""
    digest = hashlib.sha256()
    for key, size in sorted(listing):
        digest.update(f"{key}\t{size}\n".encode("utf-8"))
    for key, size, version in sorted(versions):
        digest.update(f"{key}\t{size}\t{version}\n".encode("utf-8"))
    return digest.hexdigest()


def _by_accession(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(str(row.get("accession_number")), []).append(row)
    return grouped


def backfill_index(
    platform: Any, *, restart: bool = False, progress: Progress | None = None
) -> BackfillReport:
    """Put every filing of the lake into the lookup index (see the module docstring)."""
    store, index = platform.store, platform.index
    report = BackfillReport()
    done = {} if restart else {item.get("partition"): item.get("listing") for item in index.get_lookup(CHECKPOINT_PK)}
    compacted_top = layout.COMPACTED_PREFIX
    compacted: dict[str, set[str]] = {  # table -> its compacted partitions (form=../year=../month=../)
        table: {p[len(compacted_top) + len(table) + 1:] for p in partitions(store, table, report, compacted_top)}
        for table in (*_SOURCES, *_SOURCES.values())
    }
    fresh = {
        table: {p[len(layout.TABLES_PREFIX) + len(table) + 1:] for p in partitions(store, table, report)}
        for table in _SOURCES
    }
    work = [(table, part) for table in _SOURCES for part in sorted(fresh[table] | compacted[table])]
    reader = _ParquetReader()
    try:
        for number, (table, part) in enumerate(work, start=1):
            _fill_partition(store, index, table, part, compacted, done, reader, report)
            if progress is not None:
                progress(number, len(work), f"{layout.TABLES_PREFIX}{table}/{part}")
    finally:
        reader.close()
    return report


def _fill_partition(
    store: Any,
    index: Any,
    table: str,
    part: str,
    compacted: dict[str, set[str]],
    done: dict[Any, Any],
    reader: _ParquetReader,
    report: BackfillReport,
) -> None:
    """One partition of a filing table: its NDJSON files and its compacted file, if any.

    A filing is read from the compacted file when that holds it, else from its NDJSON file (the
    readers' rule); its rows likewise from the detail table's compacted file of the partition,
    else from the detail table's NDJSON file (a compaction may have stopped between tables)."""
    prefix = f"{layout.TABLES_PREFIX}{table}/{part}"  # the checkpoint's name, as before compaction
    report.partitions += 1
    listing = _list(store, prefix, report, None).keys
    versions: list[tuple[str, int, str]] = []
    if part in compacted[table]:
        found = _list(store, f"{layout.COMPACTED_PREFIX}{table}/{part}", report, None)
        versions = [(key, size, found.versions.get(key, "")) for key, size in found.keys]
    fingerprint = _fingerprint(listing, versions)
    if done.get(prefix) == fingerprint:
        report.skipped_partitions += 1
        return
    detail_table = _SOURCES[table]
    make = _company_items if table == "ownership_filings" else _fund_items
    headers: list[dict[str, Any]] = []
    if any(key == layout.compacted_key(table, part) for key, _size, _version in versions):
        headers = reader.rows(store, layout.compacted_key(table, part), report)
    covered = {str(header["accession_number"]) for header in headers}
    details: dict[str, list[dict[str, Any]]] | None = None
    detail_keys: set[str] | None = None

    def compacted_details() -> dict[str, list[dict[str, Any]]]:
        nonlocal details
        if details is None:
            details = {}
            if part in compacted[detail_table]:
                details = _by_accession(reader.rows(store, layout.compacted_key(detail_table, part), report))
        return details

    def rows_of(accession: str, ndjson_key: str, listed: bool) -> list[dict[str, Any]]:
        nonlocal detail_keys
        if accession in compacted_details():
            return compacted_details()[accession]
        if not listed:  # a compacted filing: its NDJSON detail file, if the partition lists one
            if detail_keys is None:
                detail_keys = {k for k, _ in _list(store, f"{layout.TABLES_PREFIX}{detail_table}/{part}", report, None).keys}
            if ndjson_key not in detail_keys:
                return []
        return _rows(store, ndjson_key, report)

    filings: list[tuple[dict[str, Any], str, bool]] = [
        (header, f"{layout.TABLES_PREFIX}{detail_table}/{part}{header['accession_number']}.json", False)
        for header in headers
    ]
    for key, _size in listing:
        parts = layout.parse_key(key)
        if parts is None or parts["table"] != table or parts["accession"] in covered:
            continue  # not a row file, or one the compacted file holds
        detail_key = key.replace(f"tables/{table}/", f"tables/{detail_table}/", 1)
        filings.extend((header, detail_key, True) for header in _rows(store, key, report))
    for header, detail_key, listed in filings:
        report.filings += 1
        accession = str(header["accession_number"])
        own = [row for row in rows_of(accession, detail_key, listed) if row.get("accession_number") == accession]
        for pk, sk, item in make(header, own):
            if index.put_lookup(pk, sk, fitted_item(pk, sk, item), if_absent=True):
                report.added += 1
            else:
                report.present += 1
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    checkpoint = {"partition": prefix, "done_at": stamp, "listing": fingerprint}
    index.put_lookup(CHECKPOINT_PK, f"partition#{prefix}", checkpoint)


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
