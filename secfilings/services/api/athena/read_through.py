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
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence, TypeVar

from secfilings.config import INDEX_READ_MODES
from secfilings.index.keys import MISS_ITEM, MISS_SK, fitted_item, is_miss

if TYPE_CHECKING:  # pragma: no cover
    from secfilings.config import Platform

__all__ = ["INDEX_READ_MODES", "NeedsSql", "read_through"]

Answer = TypeVar("Answer")


class NeedsSql(Exception):
    """Raised by ``read_through(..., stage="index")`` when the mode says the answer comes from SQL.

    The server answers index hits on its event loop and sends only these to a worker thread,
    which resumes with ``stage="sql"`` (the index is not read a second time)."""


def read_through(
    platform: Platform,
    pk: str,
    from_items: Callable[[Sequence[Mapping[str, Any]]], Answer | None],
    from_sql: Callable[[], tuple[Answer | None, Iterable[tuple[str, Mapping[str, Any]]]]],
    *,
    stage: str = "all",
) -> Answer | None:
    """Answer from the index items under ``pk``, or from ``from_sql()`` as the mode says.

    ``from_sql`` returns the answer and the ``(sk, item)`` pairs to back-fill on a miss.
    ``stage``: ``"all"`` (the default), ``"index"`` (raise :class:`NeedsSql` instead of querying)
    or ``"sql"`` (continue after a ``NeedsSql``: query and back-fill, without reading the index).
    """
    mode = platform.settings.index_mode
    if mode in INDEX_READ_MODES and stage != "sql":
        items = platform.index.get_lookup(pk)
        filings = [item for item in items if not is_miss(item)]
        if filings:
            return from_items(filings)
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
