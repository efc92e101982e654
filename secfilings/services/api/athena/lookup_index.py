"""The lookup index: answers keyed by (pk, sk), so a hit costs no object read and no SQL query.

SQLite by default (one file, safe across processes), DynamoDB in production (the table of
``infra/terraform/dynamodb_indexes.tf``). It is also the de-dup ledger of the write path: a
conditional write (``if_absent=True``) decides which writer owns a key.

Items are JSON-able dicts, stored as the JSON string attribute ``doc`` beside ``pk`` and ``sk``.
The SQLite index records, through :mod:`secfilings.meter`, the read and write units DynamoDB
would bill for the same calls (strongly consistent reads: 1 unit per 4 KB, writes 1 unit per
1 KB, each rounded up, at least 1; batch gets per item; queries per 4 KB returned).
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, Mapping, Protocol, Sequence, runtime_checkable

try:
    import fcntl
except ImportError:  # Windows: writers rely on SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

from secfilings import meter
from secfilings.fastjson import compact_encoder

__all__ = [
    "TABLE_NAME_DEFAULT",
    "PARTITION_KEY",
    "SORT_KEY",
    "DOC_ATTRIBUTE",
    "KEY_ATTRIBUTE_TYPE",
    "BATCH_GET_LIMIT",
    "MAX_ITEM_BYTES",
    "LookupIndex",
    "SqliteLookupIndex",
    "DynamoLookupIndex",
    "put_lookup",
    "get_lookup",
    "get_item",
    "batch_get_lookup",
    "delete_lookup",
    "item_size",
]

TABLE_NAME_DEFAULT = "lookup-index"
PARTITION_KEY = "pk"
SORT_KEY = "sk"
DOC_ATTRIBUTE = "doc"
KEY_ATTRIBUTE_TYPE = "S"
BATCH_GET_LIMIT = 100  # DynamoDB BatchGetItem: at most 100 keys per request
MAX_ITEM_BYTES = 400 * 1024  # DynamoDB's item size limit, enforced by both backends
_READ_UNIT = 4096
_WRITE_UNIT = 1024


@runtime_checkable
class LookupIndex(Protocol):
    def put_lookup(
        self, pk: str, sk: str, item: Mapping[str, Any], *, if_absent: bool = False
    ) -> bool: ...

    def get_lookup(self, pk: str) -> list[dict[str, Any]]: ...

    def get_item(self, pk: str, sk: str) -> dict[str, Any] | None: ...

    def batch_get_lookup(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], dict[str, Any]]: ...

    def delete_lookup(self, pk: str, sk: str) -> None: ...


# -- helpers shared by both backends ------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"lookup item value {value!r} ({type(value).__name__}) is not JSON-able")


_encode_doc = compact_encoder(ensure_ascii=True, sort_keys=True, default=_json_default)


def _encode(pk: str, sk: str, item: Mapping[str, Any]) -> str:
    if not isinstance(item, Mapping):
        raise TypeError(f"lookup item for ({pk!r}, {sk!r}) must be a mapping, got {type(item).__name__}")
    doc = _encode_doc(item if type(item) is dict else dict(item))
    size = item_size(pk, sk, doc)
    if size > MAX_ITEM_BYTES:
        raise ValueError(
            f"lookup item ({pk!r}, {sk!r}) is {size} bytes: over DynamoDB's limit of 400 KB"
        )
    return doc


def _check_key(pk: str, sk: str) -> None:
    for name, value in ((PARTITION_KEY, pk), (SORT_KEY, sk)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"invalid lookup key {name}={value!r}: expected a non-empty string")
        if len(value.encode()) > (2048 if name == PARTITION_KEY else 1024):
            raise ValueError(f"invalid lookup key {name}={value[:40]!r}...: too long for DynamoDB")


def item_size(pk: str, sk: str, doc: str) -> int:
    """The item's size as DynamoDB measures it: attribute names plus UTF-8 values."""
    return (
        len(PARTITION_KEY) + len(pk.encode())
        + len(SORT_KEY) + len(sk.encode())
        + len(DOC_ATTRIBUTE) + len(doc.encode())
    )


def _read_units(size: int) -> int:
    return max(1, math.ceil(size / _READ_UNIT))


def _write_units(size: int) -> int:
    return max(1, math.ceil(size / _WRITE_UNIT))


# -- SQLite (embedded default) ------------------------------------------------------------------


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
        _check_key(pk, sk)
        doc = _encode(pk, sk, item)
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
        meter.record("dynamodb.write_units", _write_units(item_size(pk, sk, doc)))
        return written

    def get_item(self, pk: str, sk: str) -> dict[str, Any] | None:
        _check_key(pk, sk)
        with self._lock:
            row = self._connection().execute(
                "SELECT doc FROM lookup WHERE pk = ? AND sk = ?", (pk, sk)
            ).fetchone()
        size = item_size(pk, sk, row[0]) if row else 0
        meter.record("dynamodb.read_units", _read_units(size))
        return json.loads(row[0]) if row else None

    def get_lookup(self, pk: str) -> list[dict[str, Any]]:
        if not isinstance(pk, str) or not pk:
            raise ValueError(f"invalid lookup key {PARTITION_KEY}={pk!r}: expected a non-empty string")
        with self._lock:
            rows = self._connection().execute(
                "SELECT sk, doc FROM lookup WHERE pk = ? ORDER BY sk", (pk,)
            ).fetchall()
        size = sum(item_size(pk, sk, doc) for sk, doc in rows)
        meter.record("dynamodb.read_units", _read_units(size))
        return [json.loads(doc) for _sk, doc in rows]

    def batch_get_lookup(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        unique = list(dict.fromkeys((pk, sk) for pk, sk in keys))
        for pk, sk in unique:
            _check_key(pk, sk)
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
                found[(pk, sk)] = json.loads(doc)
                units += _read_units(item_size(pk, sk, doc))
            units += len(chunk) - len(rows)  # a key not found still costs its minimum unit
        if unique:
            meter.record("dynamodb.read_units", units)
        return found

    def delete_lookup(self, pk: str, sk: str) -> None:
        _check_key(pk, sk)
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


# -- DynamoDB (production) ----------------------------------------------------------------------


class DynamoLookupIndex:
    """The index in a DynamoDB table (key ``pk`` HASH + ``sk`` RANGE, strings) via boto3."""

    def __init__(
        self,
        table_name: str = TABLE_NAME_DEFAULT,
        client: Any = None,
        *,
        max_batch_retries: int = 8,
        query_page_size: int | None = None,
    ) -> None:
        """``query_page_size``: a Query's ``Limit`` (None: DynamoDB's 1 MB pages)."""
        if not table_name:
            raise ValueError("invalid DynamoDB table name '': empty")
        if client is None:
            from secfilings.aws import client as make_client

            client = make_client("dynamodb")
        self.table_name = table_name
        self.client = client
        self.max_batch_retries = max_batch_retries
        self.query_page_size = query_page_size

    def __repr__(self) -> str:
        return f"DynamoLookupIndex({self.table_name!r})"

    def close(self) -> None:
        """Nothing to release: boto3 clients close their pools when collected."""

    @staticmethod
    def _key(pk: str, sk: str) -> dict[str, dict[str, str]]:
        return {PARTITION_KEY: {"S": pk}, SORT_KEY: {"S": sk}}

    @staticmethod
    def _doc(item: Mapping[str, Any]) -> dict[str, Any]:
        return json.loads(item[DOC_ATTRIBUTE]["S"])

    def put_lookup(
        self, pk: str, sk: str, item: Mapping[str, Any], *, if_absent: bool = False
    ) -> bool:
        _check_key(pk, sk)
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": {**self._key(pk, sk), DOC_ATTRIBUTE: {"S": _encode(pk, sk, item)}},
        }
        if if_absent:
            request["ConditionExpression"] = "attribute_not_exists(#pk)"
            request["ExpressionAttributeNames"] = {"#pk": PARTITION_KEY}
        try:
            self.client.put_item(**request)
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get_item(self, pk: str, sk: str) -> dict[str, Any] | None:
        _check_key(pk, sk)
        response = self.client.get_item(
            TableName=self.table_name, Key=self._key(pk, sk), ConsistentRead=True
        )
        item = response.get("Item")
        return self._doc(item) if item else None

    def get_lookup(self, pk: str) -> list[dict[str, Any]]:
        if not isinstance(pk, str) or not pk:
            raise ValueError(f"invalid lookup key {PARTITION_KEY}={pk!r}: expected a non-empty string")
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ConsistentRead": True,
            "ScanIndexForward": True,
        }
        if self.query_page_size:
            request["Limit"] = self.query_page_size
        items: list[dict[str, Any]] = []
        while True:
            response = self.client.query(**request)
            items.extend(self._doc(item) for item in response.get("Items", ()))
            last = response.get("LastEvaluatedKey")
            if not last:
                return items
            request["ExclusiveStartKey"] = last

    def batch_get_lookup(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        unique = list(dict.fromkeys((pk, sk) for pk, sk in keys))  # DynamoDB refuses duplicates
        for pk, sk in unique:
            _check_key(pk, sk)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            pending: list[dict[str, Any]] = [
                self._key(pk, sk) for pk, sk in unique[start : start + BATCH_GET_LIMIT]
            ]
            attempt = 0
            while pending:
                response = self.client.batch_get_item(
                    RequestItems={self.table_name: {"Keys": pending, "ConsistentRead": True}}
                )
                for item in response.get("Responses", {}).get(self.table_name, ()):
                    key = (item[PARTITION_KEY]["S"], item[SORT_KEY]["S"])
                    found[key] = self._doc(item)
                unprocessed = response.get("UnprocessedKeys", {}).get(self.table_name)
                pending = list(unprocessed["Keys"]) if unprocessed else []
                if pending:
                    attempt += 1
                    if attempt > self.max_batch_retries:
                        raise RuntimeError(
                            f"DynamoDB table {self.table_name!r}: {len(pending)} keys still"
                            f" unprocessed after {self.max_batch_retries} retries"
                        )
                    time.sleep(min(1.0, 0.02 * 2**attempt))
        return found

    def delete_lookup(self, pk: str, sk: str) -> None:
        _check_key(pk, sk)
        self.client.delete_item(TableName=self.table_name, Key=self._key(pk, sk))


# -- the plan's function names ------------------------------------------------------------------


def put_lookup(
    index: LookupIndex, pk: str, sk: str, item: Mapping[str, Any], if_absent: bool = False
) -> bool:
    """Store ``item`` under (pk, sk); with ``if_absent`` only if the key is new (False otherwise)."""
    return index.put_lookup(pk, sk, item, if_absent=if_absent)


def get_lookup(index: LookupIndex, pk: str) -> list[dict[str, Any]]:
    """All items under ``pk`` in sort-key order."""
    return index.get_lookup(pk)


def get_item(index: LookupIndex, pk: str, sk: str) -> dict[str, Any] | None:
    """The item at (pk, sk), or None."""
    return index.get_item(pk, sk)


def batch_get_lookup(
    index: LookupIndex, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The items found among ``keys`` (absent keys are left out), in batches of 100."""
    return index.batch_get_lookup(keys)


def delete_lookup(index: LookupIndex, pk: str, sk: str) -> None:
    """Remove the item at (pk, sk) if present."""
    index.delete_lookup(pk, sk)
