"""The lookup index: SQLite (embedded) and DynamoDB (moto server) behave alike."""

from __future__ import annotations

import json
import multiprocessing
import random
import string
import zlib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from secfilings import meter
from secfilings.services.api.athena import lookup_index
from secfilings.services.api.athena.lookup_index import (
    BATCH_GET_LIMIT,
    DynamoLookupIndex,
    SqliteLookupIndex,
)


NOISE_3K = "".join(random.Random(7).choices(string.ascii_letters + string.digits, k=3000))
NOISE_HEX_820K = random.Random(1).randbytes(410 * 1024).hex()  # zlib halves hex: still over 400 KB


@pytest.fixture(params=["sqlite", "dynamodb"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        made = SqliteLookupIndex(tmp_path / "index" / "lookup.sqlite")
        yield made
        made.close()
    else:
        table = request.getfixturevalue("dynamo_table")
        client = request.getfixturevalue("dynamodb_client")
        yield DynamoLookupIndex(table, client, query_page_size=3)


def test_put_get_roundtrip(index: Any) -> None:
    item = {"accession_number": "0001127602-25-004598", "shares": 1200.5, "owners": ["a", "é"]}
    assert index.put_lookup("company#0000320193", "filing#2025-05-02#0001127602-25-004598", item)
    assert index.get_item("company#0000320193", "filing#2025-05-02#0001127602-25-004598") == item
    assert index.get_item("company#0000320193", "filing#none") is None
    assert index.get_lookup("company#0000000001") == []


def test_get_lookup_returns_every_item_in_sort_key_order(index: Any) -> None:
    sks = [f"filing#2025-0{m}-01#{i:04d}" for m in (3, 1, 2) for i in range(4)]
    for sk in sks:
        lookup_index.put_lookup(index, "company#0000000042", sk, {"sk": sk})
    index.put_lookup("company#0000000043", "filing#x", {"sk": "other company"})
    found = lookup_index.get_lookup(index, "company#0000000042")  # several pages on DynamoDB
    assert [item["sk"] for item in found] == sorted(sks)


def test_if_absent_write_keeps_the_first_item(index: Any) -> None:
    assert index.put_lookup("ledger#0001-25-000001", "filing", {"state": "pending"}, if_absent=True)
    assert not index.put_lookup("ledger#0001-25-000001", "filing", {"state": "x"}, if_absent=True)
    assert index.get_item("ledger#0001-25-000001", "filing") == {"state": "pending"}
    index.put_lookup("ledger#0001-25-000001", "filing", {"state": "committed"})  # overwrite
    assert index.get_item("ledger#0001-25-000001", "filing") == {"state": "committed"}
    index.delete_lookup("ledger#0001-25-000001", "filing")
    assert index.get_item("ledger#0001-25-000001", "filing") is None
    assert index.put_lookup("ledger#0001-25-000001", "filing", {"state": "again"}, if_absent=True)


def test_batch_get_over_the_batch_limit(index: Any, request: pytest.FixtureRequest) -> None:
    keys = [(f"fund#{i:010d}", "filing#2025-03-31#x") for i in range(1, 251)]
    for pk, sk in keys[::2]:  # every other key exists
        index.put_lookup(pk, sk, {"pk": pk})
    calls: list[int] = []
    if isinstance(index, DynamoLookupIndex):
        index.client.meta.events.register(
            "provide-client-params.dynamodb.BatchGetItem",
            lambda params, **_: calls.append(len(params["RequestItems"][index.table_name]["Keys"])),
        )
    wanted = keys + keys[:10]  # duplicates are asked once
    found = lookup_index.batch_get_lookup(index, wanted)
    assert set(found) == set(keys[::2])
    assert all(found[key] == {"pk": key[0]} for key in found)
    if isinstance(index, DynamoLookupIndex):
        assert calls == [100, 100, 50]
        assert max(calls) <= BATCH_GET_LIMIT
    assert index.batch_get_lookup([]) == {}


@pytest.mark.parametrize(
    "pk, sk", [("", "filing"), ("company#1", ""), (None, "filing"), ("x" * 3000, "filing")]
)
def test_bad_keys_are_refused(index: Any, pk: Any, sk: Any) -> None:
    with pytest.raises(ValueError, match="invalid lookup key"):
        index.put_lookup(pk, sk, {"a": 1})


def test_items_are_json(index: Any) -> None:
    index.put_lookup("company#1", "filing#1", {"filed": date(2025, 5, 2), "ids": ("F1", "F2")})
    assert index.get_item("company#1", "filing#1") == {"filed": "2025-05-02", "ids": ["F1", "F2"]}
    with pytest.raises(TypeError, match="not JSON-able"):
        index.put_lookup("company#1", "filing#2", {"bad": object()})
    with pytest.raises(ValueError, match="400"):  # over the limit even compressed
        index.put_lookup("company#1", "filing#3", {"big": NOISE_HEX_820K})
    assert index.get_lookup("company#1") == [{"filed": "2025-05-02", "ids": ["F1", "F2"]}]


def _units(text: str, per: int) -> int:
    """Units of an item {"text": text} under ("p", "sN") by the documented rule: the stored size
    (zlib of the JSON when over 1 KB, with the ``docz`` name) plus the key attributes."""
    doc = json.dumps({"text": text}, separators=(",", ":")).encode()
    stored = len("pk") + 1 + len("sk") + 2 + (len("docz") + len(zlib.compress(doc, 1)) if len(doc) > 1024 else len("doc") + len(doc))
    return -(-stored // per)


def test_sqlite_meters_units_as_dynamodb_bills_them(tmp_path: Path) -> None:
    index = SqliteLookupIndex(tmp_path / "lookup.sqlite")
    small = {"a": 1}
    repeated = {"text": "x" * 3000}  # 3 KB of JSON, a few dozen bytes compressed: 1 write unit, not 3
    noisy = {"text": NOISE_3K}  # hardly compressible: still 2-3 units
    assert _units(NOISE_3K, 1024) in (2, 3) and _units("x" * 3000, 1024) == 1
    with meter.cost_meter() as counted:
        index.put_lookup("p", "s1", small)
        index.put_lookup("p", "s2", repeated)
        index.put_lookup("p", "s3", noisy)
        index.put_lookup("p", "s3", noisy, if_absent=True)  # fails, still billed
    assert counted.counts["dynamodb.write_units"] == 1 + 1 + 2 * _units(NOISE_3K, 1024)
    with meter.cost_meter() as counted:
        index.get_item("p", "s3")  # under 4 KB -> 1 unit
        index.get_item("p", "missing")  # 1 unit
    assert counted.counts["dynamodb.read_units"] == 2
    for i in range(4, 7):
        index.put_lookup("p", f"s{i}", noisy)
    with meter.cost_meter() as counted:
        index.get_lookup("p")  # 6 items, 4 noisy ones of ~2.3 KB: one query -> 3 units (per item it'd be 6)
    assert counted.counts["dynamodb.read_units"] == 3
    with meter.cost_meter() as counted:
        index.batch_get_lookup([("p", "s1"), ("p", "s2"), ("p", "nope")])  # per item
    assert counted.counts["dynamodb.read_units"] == 3
    index.close()


def test_a_large_item_is_stored_compressed_and_read_back_alike(index: Any, dynamo_table: str, dynamodb_client: Any) -> None:
    item = {"text": "x" * 3000, "rows": [{"shares": 1.5, "title": "Common Stock"}] * 50}
    index.put_lookup("company#1", "filing#big", item)
    index.put_lookup("company#1", "filing#small", {"a": 1})
    assert index.get_item("company#1", "filing#big") == item
    assert index.get_lookup("company#1") == [item, {"a": 1}]
    assert index.batch_get_lookup([("company#1", "filing#big")]) == {("company#1", "filing#big"): item}
    if isinstance(index, DynamoLookupIndex):
        raw = dynamodb_client.get_item(TableName=dynamo_table, Key={"pk": {"S": "company#1"}, "sk": {"S": "filing#big"}})["Item"]
        assert set(raw) == {"pk", "sk", "docz"} and json.loads(zlib.decompress(raw["docz"]["B"])) == item
    else:
        [stored] = index._connection().execute("SELECT doc FROM lookup WHERE sk = 'filing#big'").fetchone()
        assert isinstance(stored, bytes) and json.loads(zlib.decompress(stored)) == item


def _race(path: str, start: Any, keys: int, results: Any) -> None:
    index = SqliteLookupIndex(path)
    start.wait()
    won = [k for k in range(keys) if index.put_lookup(f"ledger#{k}", "filing", {"k": k}, if_absent=True)]
    results.put(won)
    index.close()


def test_sqlite_conditional_writes_across_processes_have_one_winner(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    path = str(tmp_path / "shared.sqlite")
    SqliteLookupIndex(path).close()
    workers, keys = 4, 60
    start = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(target=_race, args=(path, start, keys, results)) for _ in range(workers)
    ]
    for process in processes:
        process.start()
    wins = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    flat = sorted(k for won in wins for k in won)
    assert flat == list(range(keys))  # every key won exactly once
    index = SqliteLookupIndex(path)
    assert len(index.batch_get_lookup([(f"ledger#{k}", "filing") for k in range(keys)])) == keys


def test_dynamodb_items_have_the_documented_shape(dynamo_table: str, dynamodb_client: Any) -> None:
    index = DynamoLookupIndex(dynamo_table, dynamodb_client)
    index.put_lookup("fund#0001067983", "filing#2025-03-31#0000950123-25-005701", {"name": "B"})
    raw = dynamodb_client.get_item(
        TableName=dynamo_table,
        Key={"pk": {"S": "fund#0001067983"}, "sk": {"S": "filing#2025-03-31#0000950123-25-005701"}},
    )["Item"]
    assert raw == {
        "pk": {"S": "fund#0001067983"},
        "sk": {"S": "filing#2025-03-31#0000950123-25-005701"},
        "doc": {"S": '{"name":"B"}'},
    }


def test_dynamodb_conditional_write_uses_attribute_not_exists(
    dynamo_table: str, dynamodb_client: Any
) -> None:
    seen: list[dict[str, Any]] = []
    dynamodb_client.meta.events.register(
        "provide-client-params.dynamodb.PutItem", lambda params, **_: seen.append(dict(params))
    )
    index = DynamoLookupIndex(dynamo_table, dynamodb_client)
    assert index.put_lookup("ledger#1", "filing", {"state": "pending"}, if_absent=True)
    assert not index.put_lookup("ledger#1", "filing", {"state": "pending"}, if_absent=True)
    assert seen[0]["ConditionExpression"] == "attribute_not_exists(#pk)"
    assert seen[0]["ExpressionAttributeNames"] == {"#pk": "pk"}


def test_an_encoded_item_is_stored_as_encoded_once_and_cannot_change(index: Any) -> None:
    from secfilings.index.base import EncodedItem, encode_item, encode_once

    pk, sk = "company#0000320193", "filing#2025-05-02#0001127602-25-000009"
    item = {"b": 1.5, "a": ["é", None]}
    encoded = encode_once(pk, sk, item)
    assert type(encoded) is EncodedItem and encoded == item
    assert encode_item(pk, sk, encoded) == encode_item(pk, sk, dict(item))  # the same text
    with pytest.raises(TypeError, match="read-only"):
        encoded["a"] = "changed"
    with pytest.raises(TypeError, match="read-only"):
        encoded.update(a="changed")
    assert index.put_lookup(pk, sk, encoded)
    assert index.get_item(pk, sk) == item
    # under another key the item is encoded afresh (its text names no key, but the size check does)
    assert encode_item(pk, "filing#other", encoded) == encoded.doc


def test_an_item_over_the_limit_is_refused_before_it_is_encoded_once() -> None:
    from secfilings.index.base import encode_once

    with pytest.raises(ValueError, match="over DynamoDB's limit"):
        encode_once("company#0000000001", "filing#x", {"text": NOISE_HEX_820K})
