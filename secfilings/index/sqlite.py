"""The lookup index in one SQLite file (the embedded default): safe across processes.

It records, through :mod:`secfilings.meter`, the read and write units DynamoDB would bill for
the same calls (see :mod:`secfilings.index.base`).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

try:
    import fcntl
except ImportError:  # Windows: writers rely on SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

from secfilings import meter
from secfilings.index.base import (
    BATCH_GET_LIMIT,
    PARTITION_KEY,
    check_key,
    decode_item,
    encode_item,
    item_size,
    read_units,
    write_units,
)

__all__ = ["SqliteLookupIndex"]


class SqliteLookupIndex:
    """The index in one SQLite file: table ``lookup(pk, sk, doc)``, WAL, safe across processes."""

    _SCHEMA = (
        "CREATE TABLE IF NOT EXISTS lookup ("
        " pk TEXT NOT NULL, sk TEXT NOT NULL, doc TEXT NOT NULL,"
        " PRIMARY KEY (pk, sk)) WITHOUT ROWID"
    )

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_s: float = 60.0) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._queue_fd: int | None = None  # this process's handle on the writers' queue file
        self._writing_depth = 0
        self._connection()  # create the file and table now: bad paths fail early

    def __repr__(self) -> str:
        return f"SqliteLookupIndex({str(self.path)!r})"

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        # first use, or a forked child that must not share its parent's connection
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            str(self.path), timeout=self.busy_timeout_s, isolation_level=None,
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
        self._retry(lambda: conn.execute("PRAGMA journal_mode = WAL"))
        # NORMAL in WAL mode: a commit is atomic and consistent but is fsynced at the next
        # checkpoint, not at once (a power cut may lose the latest commits, never corrupt).
        conn.execute("PRAGMA synchronous = NORMAL")
        # checkpoint (the only fsyncs) every 8192 pages (32 MiB) instead of SQLite's 1000
        conn.execute("PRAGMA wal_autocheckpoint = 8192")
        self._retry(lambda: conn.execute(self._SCHEMA))
        self._conn, self._pid = conn, os.getpid()
        self._queue_fd = _open_queue(self.path)
        return conn

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """Hold this thread's turn to write (and, across processes, the writers' queue).

        Writers of the same index take turns on an exclusive ``flock`` of ``<index>.writers``,
        polled from 20 microseconds up: SQLite's own busy handler sleeps 1 ms or more each time
        it finds the write lock taken, although a write holds it for about a tenth of that. The
        queue only orders writers: SQLite's locks still guard the data (a writer without the
        queue, or without ``fcntl``, still works), and its busy timeout still applies.
        """
        with self._lock:
            conn = self._connection()
            queue = self._queue_fd if self._writing_depth == 0 else None
            if queue is not None and not _queue_wait(queue, self.busy_timeout_s):
                queue = None
            self._writing_depth += 1
            try:
                yield conn
            finally:
                self._writing_depth -= 1
                if queue is not None:
                    _queue_release(queue)

    def _retry(self, action: Any) -> Any:
        deadline = time.monotonic() + self.busy_timeout_s
        while True:
            try:
                return action()
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
                if self._queue_fd is not None:
                    os.close(self._queue_fd)
            self._conn = None
            self._queue_fd = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """The writes made inside (this thread's) are one transaction: all land or none do.

        ``BEGIN IMMEDIATE`` takes the write lock at once (waiting as long as ``busy_timeout_s``);
        an exception rolls everything back. Nested calls join the outer transaction.
        """
        with self._writing() as conn:
            if conn.in_transaction:
                yield
                return
            self._retry(lambda: conn.execute("BEGIN IMMEDIATE"))
            try:
                yield
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def put_lookup(
        self, pk: str, sk: str, item: Mapping[str, Any], *, if_absent: bool = False
    ) -> bool:
        check_key(pk, sk)
        doc = encode_item(pk, sk, item)
        if if_absent:
            sql = "INSERT INTO lookup (pk, sk, doc) VALUES (?, ?, ?) ON CONFLICT (pk, sk) DO NOTHING"
        else:
            sql = (
                "INSERT INTO lookup (pk, sk, doc) VALUES (?, ?, ?)"
                " ON CONFLICT (pk, sk) DO UPDATE SET doc = excluded.doc"
            )
        with self._writing() as conn:
            cursor = self._retry(lambda: conn.execute(sql, (pk, sk, doc)))
            written = cursor.rowcount == 1
        meter.record("dynamodb.write_units", write_units(item_size(pk, sk, doc)))
        return written

    def get_item(self, pk: str, sk: str) -> dict[str, Any] | None:
        check_key(pk, sk)
        with self._lock:
            row = self._connection().execute(
                "SELECT doc FROM lookup WHERE pk = ? AND sk = ?", (pk, sk)
            ).fetchone()
        size = item_size(pk, sk, row[0]) if row else 0
        meter.record("dynamodb.read_units", read_units(size))
        return decode_item(row[0]) if row else None

    def get_lookup(self, pk: str) -> list[dict[str, Any]]:
        return [decode_item(doc) for doc in self.get_lookup_docs(pk)]

    def get_lookup_docs(self, pk: str) -> list[str | bytes]:
        """The stored documents under ``pk`` in sort-key order, not decoded (one query)."""
        if not isinstance(pk, str) or not pk:
            raise ValueError(f"invalid lookup key {PARTITION_KEY}={pk!r}: expected a non-empty string")
        with self._lock:
            rows = self._connection().execute(
                "SELECT sk, doc FROM lookup WHERE pk = ? ORDER BY sk", (pk,)
            ).fetchall()
        size = sum(item_size(pk, sk, doc) for sk, doc in rows)
        meter.record("dynamodb.read_units", read_units(size))
        return [doc for _sk, doc in rows]

    def batch_get_lookup(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        unique = list(dict.fromkeys((pk, sk) for pk, sk in keys))
        for pk, sk in unique:
            check_key(pk, sk)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        units = 0
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            chunk = unique[start : start + BATCH_GET_LIMIT]
            where = " OR ".join("(pk = ? AND sk = ?)" for _ in chunk)
            params = [part for key in chunk for part in key]
            with self._lock:
                rows = self._connection().execute(
                    f"SELECT pk, sk, doc FROM lookup WHERE {where}", params  # noqa: S608 - placeholders only
                ).fetchall()
            for pk, sk, doc in rows:
                found[(pk, sk)] = decode_item(doc)
                units += read_units(item_size(pk, sk, doc))
            units += len(chunk) - len(rows)  # a key not found still costs its minimum unit
        if unique:
            meter.record("dynamodb.read_units", units)
        return found

    def delete_lookup(self, pk: str, sk: str) -> None:
        check_key(pk, sk)
        with self._writing() as conn:
            self._retry(lambda: conn.execute("DELETE FROM lookup WHERE pk = ? AND sk = ?", (pk, sk)))
        meter.record("dynamodb.write_units", 1)


def _open_queue(index_path: Path) -> int | None:
    if fcntl is None:
        return None
    try:
        return os.open(f"{index_path}.writers", os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError:  # e.g. a read-only folder: SQLite's locking alone still works
        return None


def _queue_wait(fd: int, timeout_s: float) -> bool:
    """Take the queue (True); after ``timeout_s`` go on without it (False: SQLite's busy timeout
    then decides). Polls from 20 microseconds up to 1 ms: a write holds the queue ~0.1 ms."""
    assert fcntl is not None
    pause = 0.00002
    deadline = 0.0
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
        now = time.monotonic()
        if not deadline:
            deadline = now + timeout_s
        elif now > deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.001)


def _queue_release(fd: int) -> None:
    assert fcntl is not None
    fcntl.flock(fd, fcntl.LOCK_UN)
