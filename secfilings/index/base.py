"""The lookup index's contract: answers keyed by (pk, sk), so a hit costs no object read and no SQL query.

SQLite by default (one file, safe across processes), DynamoDB in production (the table of
``infra/terraform/dynamodb_indexes.tf``). It is also the de-dup ledger of the write path: a
conditional write (``if_absent=True``) decides which writer owns a key.

Items are JSON-able dicts, stored as the JSON string attribute ``doc`` beside ``pk`` and ``sk``;
an item whose JSON is over :data:`COMPRESS_FROM` bytes (a filing item: 2 to 40 KB of repeated
field names) is stored zlib-compressed instead, as the binary attribute ``docz`` (SQLite: a BLOB
in the same column). DynamoDB bills reads per 4 KB and writes per 1 KB of the stored item, so a
9 KB Form 4 item that compresses to 1.6 KB costs 2 write units instead of 10, and a company
query reads 4 to 6 times fewer units; both backends read either form.
The SQLite index records, through :mod:`secfilings.meter`, the read and write units DynamoDB
would bill for the same calls (strongly consistent reads: 1 unit per 4 KB, writes 1 unit per
1 KB, each rounded up, at least 1; batch gets per item; queries per 4 KB returned).
"""

from __future__ import annotations

import json
import math
import zlib
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping, Protocol, Sequence, runtime_checkable

from secfilings.fastjson import compact_encoder

__all__ = [
    "TABLE_NAME_DEFAULT",
    "PARTITION_KEY",
    "SORT_KEY",
    "DOC_ATTRIBUTE",
    "COMPRESSED_ATTRIBUTE",
    "COMPRESS_FROM",
    "decode_item",
    "KEY_ATTRIBUTE_TYPE",
    "BATCH_GET_LIMIT",
    "MAX_ITEM_BYTES",
    "LookupIndex",
    "put_lookup",
    "get_lookup",
    "get_item",
    "batch_get_lookup",
    "delete_lookup",
    "item_size",
    "encode_item",
    "EncodedItem",
    "check_key",
    "read_units",
    "write_units",
]

TABLE_NAME_DEFAULT = "lookup-index"
PARTITION_KEY = "pk"
SORT_KEY = "sk"
DOC_ATTRIBUTE = "doc"
COMPRESSED_ATTRIBUTE = "docz"  # binary: zlib of the JSON text
COMPRESS_FROM = 1024  # bytes of JSON; below one write unit, compressing saves nothing worth the CPU
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


_encode_doc = compact_encoder(ensure_ascii=True, sort_keys=False, default=_json_default)


class EncodedItem(dict):  # type: ignore[type-arg]
    """A lookup item that carries its own encoding (made once by :func:`encode_once`, which
    checked its size): :func:`encode_item` returns that text for the same (pk, sk) instead of
    encoding the item again. Read-only, so the text can never go stale."""

    __slots__ = ("key", "doc")

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("an EncodedItem is read-only: copy it with dict(item) to change it")

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = __ior__ = _read_only  # type: ignore[assignment]


def encode_once(pk: str, sk: str, item: Mapping[str, Any]) -> EncodedItem:
    """``item`` as an :class:`EncodedItem` for (pk, sk): encoded and size-checked now (raises
    ``ValueError`` when over DynamoDB's limit, as :func:`encode_item` does), never again."""
    doc = encode_item(pk, sk, item)
    encoded = EncodedItem(item)
    encoded.key = (pk, sk)
    encoded.doc = doc
    return encoded


def _compress(data: bytes) -> bytes:
    """zlib at level 1 with an 8 KB window: items are 1 to 40 KB of JSON, and the default
    window's set-up (256 KB of state per call) costs more than the compression of a 2 KB item
    (20 us instead of 30 for 1.7 KB, 36 instead of 56 for 9 KB, the same bytes out). Any zlib
    decoder reads it (the stream names its window)."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 13, 6)
    return packer.compress(data) + packer.flush()


def encode_item(pk: str, sk: str, item: Mapping[str, Any]) -> str | bytes:
    """What the index stores for ``item``: its JSON text, or zlib of it (``bytes``) when the text
    is over :data:`COMPRESS_FROM` bytes; ``ValueError`` when that is over DynamoDB's limit."""
    if type(item) is EncodedItem and item.key == (pk, sk):
        return item.doc
    if not isinstance(item, Mapping):
        raise TypeError(f"lookup item for ({pk!r}, {sk!r}) must be a mapping, got {type(item).__name__}")
    doc: str | bytes = _encode_doc(item if type(item) is dict else dict(item))
    if len(doc) > COMPRESS_FROM:  # ensure_ascii: characters are bytes
        doc = _compress(doc.encode("ascii"))
    size = item_size(pk, sk, doc)
    if size > MAX_ITEM_BYTES:
        raise ValueError(
            f"lookup item ({pk!r}, {sk!r}) is {size} bytes: over DynamoDB's limit of 400 KB"
        )
    return doc


def check_key(pk: str, sk: str) -> None:
    for name, value in ((PARTITION_KEY, pk), (SORT_KEY, sk)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"invalid lookup key {name}={value!r}: expected a non-empty string")
        if len(value.encode()) > (2048 if name == PARTITION_KEY else 1024):
            raise ValueError(f"invalid lookup key {name}={value[:40]!r}...: too long for DynamoDB")


def item_size(pk: str, sk: str, doc: str | bytes) -> int:
    """The item's size as DynamoDB measures it: attribute names plus UTF-8 (or binary) values."""
    stored = (len(COMPRESSED_ATTRIBUTE) + len(doc)) if isinstance(doc, bytes) else (len(DOC_ATTRIBUTE) + len(doc.encode()))
    return len(PARTITION_KEY) + len(pk.encode()) + len(SORT_KEY) + len(sk.encode()) + stored


def decode_item(doc: str | bytes) -> dict[str, Any]:
    """The item a stored ``doc`` (JSON text) or ``docz`` (zlib of it) holds."""
    if isinstance(doc, (bytes, bytearray, memoryview)):
        return json.loads(zlib.decompress(doc))
    return json.loads(doc)


def read_units(size: int) -> int:
    return max(1, math.ceil(size / _READ_UNIT))


def write_units(size: int) -> int:
    return max(1, math.ceil(size / _WRITE_UNIT))


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
