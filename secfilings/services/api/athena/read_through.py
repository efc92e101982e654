"""The roll-out stages of the lookup index, in one place for every endpoint.

``--index-mode``: ``off`` and ``write`` read SQL only; ``read-fallback`` reads the index first
and, on a miss, answers from SQL and back-fills the index; ``read-only`` reads the index only (a
miss is "not found", never a query). A miss that SQL cannot answer either is remembered in
the index (``sk="miss"``): a repeated miss costs one index read and no query, until a filing of
that CIK is written: its index item (ingest in any mode but ``off``, ``backfill-index``)
outweighs the marker, and an ingest that writes no item (mode ``off``) deletes the marker
(``secfilings.ingest.write``). ``secfilings compact`` clears no marker and needs not: it only
moves rows from NDJSON to Parquet files, so a CIK without rows has none after. An item above DynamoDB's size limit is stored as a stub
(``rows_in_sql``) that the endpoint completes from SQL.

An :class:`AnswerMemo` (the server keeps one) remembers index answers by the exact stored
documents they were made from: a hit whose documents are byte for byte those of a remembered
answer returns that answer object without decoding or shaping anything (the index is still read
every time, and billed the same, so an answer is never stale). Answers completed from SQL (stub
items) are not remembered.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Hashable, Iterable, Mapping, Sequence, TypeVar

from secfilings.config import INDEX_READ_MODES
from secfilings.index.base import decode_item
from secfilings.index.keys import MISS_ITEM, MISS_SK, fitted_item, is_miss

if TYPE_CHECKING:  # pragma: no cover
    from secfilings.config import Platform

__all__ = ["INDEX_READ_MODES", "NeedsSql", "AnswerMemo", "read_through"]

Answer = TypeVar("Answer")


class NeedsSql(Exception):
    """Raised by ``read_through(..., stage="index")`` when the mode says the answer comes from SQL.

    The server answers index hits on its event loop and sends only these to a worker thread,
    which resumes with ``stage="sql"`` (the index is not read a second time)."""


class AnswerMemo:
    """Index answers by (question, stored documents); least recently used first out, bounded by
    ``max_entries`` and by ``max_bytes`` of stored documents. Thread-safe."""

    def __init__(self, max_entries: int = 1024, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> Any:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: Hashable, answer: Any, size: int) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (answer, size)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _key, (_answer, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped


def _index_items(
    platform: Platform, pk: str, memo: AnswerMemo | None, question: Hashable
) -> tuple[list[Mapping[str, Any]], Any, Hashable | None]:
    """(the index items under ``pk``, a remembered answer or None, the memo key or None)."""
    docs_of = getattr(platform.index, "get_lookup_docs", None) if memo is not None else None
    if memo is None or docs_of is None:
        return platform.index.get_lookup(pk), None, None
    docs = docs_of(pk)
    key = (question, pk, tuple(docs))
    remembered = memo.get(key)
    if remembered is not None:
        return [], remembered, key
    return [decode_item(doc) for doc in docs], None, key


def read_through(
    platform: Platform,
    pk: str,
    from_items: Callable[[Sequence[Mapping[str, Any]]], Answer | None],
    from_sql: Callable[[], tuple[Answer | None, Iterable[tuple[str, Mapping[str, Any]]]]],
    *,
    stage: str = "all",
    memo: AnswerMemo | None = None,
    question: Hashable = None,
) -> Answer | None:
    """Answer from the index items under ``pk``, or from ``from_sql()`` as the mode says.

    ``from_sql`` returns the answer and the ``(sk, item)`` pairs to back-fill on a miss.
    ``stage``: ``"all"`` (the default), ``"index"`` (raise :class:`NeedsSql` instead of querying)
    or ``"sql"`` (continue after a ``NeedsSql``: query and back-fill, without reading the index).
    ``memo``: remember index answers (see :class:`AnswerMemo`); ``question`` names what
    ``from_items`` answers beyond ``pk`` (its options), as part of the memo's key.
    """
    mode = platform.settings.index_mode
    if mode in INDEX_READ_MODES and stage != "sql":
        items, remembered, key = _index_items(platform, pk, memo, question)
        if remembered is not None:
            return remembered  # type: ignore[no-any-return]
        filings = [item for item in items if not is_miss(item)]
        if filings:
            answer = from_items(filings)
            if memo is not None and key is not None and answer is not None and not any(
                item.get("rows_in_sql") for item in filings
            ):
                memo.put(key, answer, sum(len(doc) for doc in key[2]))
            return answer
        if items or mode == "read-only":  # a remembered miss, or the index is all there is
            return None
    if stage == "index":
        raise NeedsSql(pk)
    answer, backfill = from_sql()
    if mode == "read-fallback":
        pairs = list(backfill)
        for sk, item in pairs:
            platform.index.put_lookup(pk, sk, fitted_item(pk, sk, item), if_absent=True)
        if answer is None and not pairs:  # remember the miss: the next one costs no query
            platform.index.put_lookup(pk, MISS_SK, MISS_ITEM, if_absent=True)
    return answer
