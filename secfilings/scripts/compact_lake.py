"""Compact a lake (a folder or S3): ``secfilings compact [--lake ...]``.

Each table partition's NDJSON row files (``tables/<table>/form=/year=/month=/<accession>.json``,
one per filing) become ONE Parquet file, ``compacted/<table>/form=/year=/month=/compacted.parquet``
(outside ``tables/``, so an Athena JSON table over ``tables/<table>/`` never meets it), sorted by
the table's lookup key (``layout.SORT_COLUMNS``: the issuer's or the filer's CIK, then accession
and position) so DuckDB's row-group statistics let a CIK lookup skip most of it.

Per partition, in this order (each step leaves a lake that reads the same answers):

1. DuckDB writes the partition's rows (the existing ``compacted.parquet``, if any, plus the rows
   of the NDJSON files it does not cover yet) to ``<lake>/.tmp/`` (the lake's staging area,
   never listed); a crash here leaves an orphan there and the partition as it was;
2. ``os.replace`` moves it over ``compacted.parquet`` (atomic on one filesystem): a reader sees
   the old file or the new one, never half of one;
3. the NDJSON files it now covers are deleted (and the partition folder, once empty). Until they are, readers leave out the rows of
   any NDJSON file whose (partition, accession) the Parquet file holds, so nothing is counted
   twice (see ``secfilings.sql.engine.DuckDBEngine``); a crash here leaves covered files that
   the next run deletes.

A partition without NDJSON files is left alone, so a second run changes nothing. Rows ingested
after a compaction land as NDJSON files in ``tables/`` again and are read with it until
the next run folds them in. A partition holding a row file DuckDB cannot read is left as it is
and named on the report (exit 1); the other partitions are compacted.

An S3 lake (:func:`compact_store`) goes through the lake's object store, with the same steps and
the same guarantees, per partition:

1. GET the partition's NDJSON objects (and its ``compacted.parquet``, when the run's listing
   shows one) into a local temporary folder, where DuckDB writes the new Parquet file; a crash
   here leaves the lake as it was;
2. ONE PutObject of that file to the compacted key: S3 replaces an object atomically, so a
   reader (Athena, through the ``<table>_all`` views of infra/athena/ddl/compacted/) sees the old
   object or the new one, never half of one;
3. DeleteObjects of the NDJSON objects it covers, up to 1,000 keys a request; until they are
   gone the views leave their rows out, as DuckDB does; a crash here leaves covered objects the
   next run deletes.

The whole file is held in memory for its PUT (a single PutObject takes up to 5 GB). One
compaction at a time: two runs over the same partition at once may each put a file without the
other's rows. ``backfill-index`` and ``verify-partitions`` read compacted partitions too, so
either may run before or after compacting.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO

from secfilings.lake import layout
from secfilings.lake.objects import TMP_FOLDER, delete_keys
from secfilings.sql.engine import partition_columns, table_columns

__all__ = [
    "CompactReport", "compact_lake", "compact_partition", "compact_store", "compact_store_partition",
    "store_partitions", "STEPS",
]

STEPS = ("write", "swap", "delete")


@dataclass
class CompactReport:
    partitions: int = 0  # partitions compacted by this run
    files: int = 0  # NDJSON row files folded in (and deleted)
    rows: int = 0  # rows in the Parquet files written
    unchanged: int = 0  # partitions with nothing to compact
    failed: list[str] = field(default_factory=list)  # "<partition>: <why>"

    def to_json(self) -> dict[str, Any]:
        return {
            "partitions": self.partitions,
            "files": self.files,
            "rows": self.rows,
            "unchanged": self.unchanged,
            "failed": list(self.failed),
        }

    def count(self, result: tuple[int, int] | None) -> None:
        """Tally one partition's ``compact_partition`` result (None: nothing to compact)."""
        if result is None:
            self.unchanged += 1
        else:
            self.partitions += 1
            self.files += result[0]
            self.rows += result[1]

    def write_text(self, out: TextIO) -> None:
        out.write(
            f"compacted {self.partitions} partitions ({self.files} row files, {self.rows} rows);"
            f" {self.unchanged} unchanged\n"
        )
        for line in self.failed:
            out.write(f"not compacted: {line}\n")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _partitions(root: Path, table: str, top: str = "tables") -> list[Path]:
    base = root / top / table
    found = []
    for form in sorted(base.glob("form=*")):
        for year in sorted(form.glob("year=*")):
            for month in sorted(year.glob("month=*")):
                if month.is_dir():
                    found.append(month)
    return found


def _write_parquet(
    conn: Any, table: str, json_keys: list[str], old_key: str | None, tmp: Path
) -> int:
    """DuckDB writes ``tmp``: the rows of ``old_key`` (a compacted.parquet, or None) plus the rows of
    the NDJSON files ``json_keys`` whose accession it does not hold, sorted by the lookup key.
    Keys are relative to the connection's ``file_search_path``; returns the rows written."""
    columns = table_columns()[table]
    partitions = partition_columns()
    own = {name: kind for name, kind in columns.items() if name not in partitions}
    spec = ", ".join(f"{_literal(n)}: {_literal(k)}" for n, k in own.items())
    fresh = (
        f"SELECT {', '.join(f'{chr(34)}{n}{chr(34)}' for n in own)} FROM read_json("
        f"[{', '.join(_literal(k) for k in json_keys)}], format='newline_delimited', columns={{{spec}}})"
    )
    if old_key is not None:
        old_src = f"read_parquet({_literal(old_key)}, union_by_name=true)"
        present = {row[0] for row in conn.execute(f"DESCRIBE SELECT * FROM {old_src}").fetchall()}
        items = ", ".join(
            f'CAST("{n}" AS {k}) AS "{n}"' if n in present else f'CAST(NULL AS {k}) AS "{n}"'
            for n, k in own.items()
        )
        old = f"SELECT {items} FROM {old_src}"
        body = (
            f"{old} UNION ALL SELECT f.* FROM ({fresh}) AS f"
            f" ANTI JOIN (SELECT DISTINCT accession_number FROM ({old}) AS o) AS d USING (accession_number)"
        )
    else:
        body = fresh
    order = [layout.SORT_COLUMNS.get(table), "accession_number", "position" if "position" in own else None]
    order_sql = ", ".join(f'"{c}"' for c in order if c)
    conn.execute(
        f"COPY (SELECT * FROM ({body}) AS r ORDER BY {order_sql}) TO {_literal(str(tmp))}"
        " (FORMAT parquet, ROW_GROUP_SIZE 2048)"
    )
    return int(conn.execute(f"SELECT count(*) FROM read_parquet({_literal(str(tmp))})").fetchone()[0])


def compact_partition(
    conn: Any, root: Path, table: str, folder: Path, *, stop_after: str | None = None
) -> tuple[int, int] | None:
    """Compact one partition folder; ``(files, rows)`` or None when there was nothing to do.

    ``stop_after`` (one of ``STEPS``) stops there, as a crash would: for the crash tests.
    """
    json_files = sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(".json"))
    if not json_files:
        return None
    partition = folder.relative_to(root / "tables" / table)
    target = root / layout.COMPACTED_PREFIX / table / partition / layout.COMPACTED_NAME
    keys = [f.relative_to(root).as_posix() for f in json_files]
    old_key = target.relative_to(root).as_posix() if target.exists() else None
    staging = root / TMP_FOLDER
    staging.mkdir(exist_ok=True)
    tmp = staging / f"compact-{os.getpid()}-{secrets.token_hex(6)}.parquet"
    try:
        rows = _write_parquet(conn, table, keys, old_key, tmp)
        if stop_after == "write":
            return len(json_files), rows
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
    finally:
        if tmp.exists() and stop_after != "write":
            tmp.unlink()
    if stop_after == "swap":
        return len(json_files), rows
    for path in json_files:
        if stop_after == "delete" and path is json_files[len(json_files) // 2]:
            return len(json_files), rows  # half the covered files deleted, then the "crash"
        path.unlink(missing_ok=True)
    # an emptied partition folder goes too (an empty folder reads as an empty partition); a
    # concurrent ingest re-creates it (the local store's put retries a vanished folder)
    for empty in (folder, folder.parent, folder.parent.parent):
        try:
            empty.rmdir()
        except OSError:
            break
    return len(json_files), rows


# -- an object store (S3) --------------------------------------------------------------------------


def store_partitions(store: Any, table: str, top: str = layout.TABLES_PREFIX) -> list[str]:
    """The month partitions of ``table`` under ``top`` (``tables/`` or ``compacted/``), as
    ``form=../year=../month=../`` (delimiter listings, one level at a time)."""
    base = f"{top}{table}/"
    found: list[str] = []
    for form in store.list(base, "/").common_prefixes:
        if not form[len(base):].startswith("form="):
            continue
        for year in store.list(form, "/").common_prefixes:
            if not year[len(form):].startswith("year="):
                continue
            found.extend(
                month[len(base):] for month in store.list(year, "/").common_prefixes
                if month[len(year):].startswith("month=")
            )
    return sorted(found)


def _clear(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def compact_store_partition(
    conn: Any,
    store: Any,
    table: str,
    partition: str,
    work: Path,
    *,
    compacted: bool | None = None,
    stop_after: str | None = None,
) -> tuple[int, int] | None:
    """Compact one partition (``form=../year=../month=../``) of ``table`` in an object store.

    1. GET the partition's NDJSON objects (and its compacted.parquet, if any) into ``work`` (a
       local folder, laid out as the lake) and let DuckDB write the new Parquet file there;
    2. ONE PutObject of it to the compacted key: S3 replaces an object atomically, so a reader
       sees the old file or the new one;
    3. delete the NDJSON objects it covers (DeleteObjects, up to 1,000 keys a request).

    ``(files, rows)``, or None when the partition holds no NDJSON object. ``compacted``: whether
    the run's listing showed a compacted file here (False: no GET for it; None: try the GET).
    ``stop_after`` (one of ``STEPS``) stops there, as a crash would: for the crash tests.
    """
    prefix = f"{layout.TABLES_PREFIX}{table}/{partition}"
    listing = store.list(prefix, "/")
    keys = sorted(key for key, _size in listing.keys if key.endswith(".json") and "/" not in key[len(prefix):])
    if not keys:
        return None
    import duckdb  # noqa: PLC0415

    target = layout.compacted_key(table, partition)
    _clear(work)
    work.mkdir(parents=True)
    try:
        # local copies get plain names (DuckDB expands glob characters even in a list of files,
        # so a key named "a*.json" would read its neighbours too): the rows carry the accession
        local_keys: list[str] = []
        for number, key in enumerate(keys):
            try:
                data = store.get(key)
            except KeyError:
                data = b""  # deleted since it was listed (a concurrent compaction): no rows
            local_keys.append(f"rows/{number:06d}.json")
            local = work / "rows" / f"{number:06d}.json"
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_bytes(data)
        try:
            if compacted is False:
                raise KeyError(target)
            old = store.get(target)
        except KeyError:
            old_key = None
        else:
            old_key = target
            local = work.joinpath(*target.split("/"))
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_bytes(old)
        conn.execute(f"SET file_search_path = {_literal(str(work))}")
        tmp = work / f"compact-{os.getpid()}-{secrets.token_hex(6)}.parquet"
        try:
            rows = _write_parquet(conn, table, local_keys, old_key, tmp)
        except duckdb.Error as error:  # name the object, not its local copy
            text = str(error)
            for local_key, key in zip(local_keys, keys):
                text = text.replace(str(work / local_key), key).replace(local_key, key)
            raise type(error)(text) from None
        if stop_after == "write":
            return len(keys), rows
        store.put(target, tmp.read_bytes())
    finally:
        _clear(work)
    if stop_after == "swap":
        return len(keys), rows
    if stop_after == "delete":
        delete_keys(store, keys[: len(keys) // 2])  # half the covered objects deleted, then the "crash"
        return len(keys), rows
    delete_keys(store, keys)
    return len(keys), rows


def compact_store(
    store: Any, *, progress: Callable[[int, int], None] | None = None
) -> CompactReport:
    """Compact every partition of every table of the lake in ``store``: a folder lake's
    ``LocalObjectStore`` goes to :func:`compact_lake`; any other store (S3) is compacted through
    the store's own requests, each partition staged in a local temporary folder."""
    root = getattr(store, "root", None)
    if root is not None:
        return compact_lake(root, progress=progress)
    import duckdb  # noqa: PLC0415

    report = CompactReport()
    work = [(table, partition) for table in layout.TABLES for partition in store_partitions(store, table)]
    pending = set(work)
    done_before = {
        (table, partition) for table in layout.TABLES
        for partition in store_partitions(store, table, layout.COMPACTED_PREFIX)
    }
    report.unchanged = len(done_before - pending)  # compacted partitions with no row file since
    conn = duckdb.connect(database=":memory:")
    scratch = Path(tempfile.mkdtemp(prefix="secfilings-compact-"))
    try:
        for done, (table, partition) in enumerate(work, 1):
            try:
                result = compact_store_partition(
                    conn, store, table, partition, scratch / "lake", compacted=(table, partition) in done_before
                )
            except duckdb.Error as error:
                first = (str(error).strip().splitlines() or [type(error).__name__])[0]
                first = first.replace(str(scratch / "lake") + os.sep, "")
                prefix = f"{layout.TABLES_PREFIX}{table}/{partition}"
                report.failed.append(f"{prefix!r}: {first[:200]}")
                continue
            report.count(result)
            if progress:
                progress(done, len(work))
    finally:
        conn.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return report


def compact_lake(
    root: str | os.PathLike[str], *, progress: Callable[[int, int], None] | None = None
) -> CompactReport:
    """Compact every partition of every table of the folder lake at ``root``."""
    import duckdb  # noqa: PLC0415

    lake = Path(root).resolve()
    report = CompactReport()
    conn = duckdb.connect(database=":memory:")
    try:
        conn.execute(f"SET file_search_path = {_literal(str(lake))}")
        work = [(table, folder) for table in layout.TABLES for folder in _partitions(lake, table)]
        pending = {(table, folder.relative_to(lake / "tables" / table)) for table, folder in work}
        report.unchanged = sum(  # compacted partitions with no row file since
            (table, folder.relative_to(lake / "compacted" / table)) not in pending
            for table in layout.TABLES
            for folder in _partitions(lake, table, "compacted")
        )
        for done, (table, folder) in enumerate(work, 1):
            try:
                result = compact_partition(conn, lake, table, folder)
            except duckdb.Error as error:
                first = (str(error).strip().splitlines() or [type(error).__name__])[0]
                report.failed.append(f"{folder.relative_to(lake).as_posix()!r}: {first[:200]}")
                continue
            report.count(result)
            if progress:
                progress(done, len(work))
    finally:
        conn.close()
    return report
