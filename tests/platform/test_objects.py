"""Object stores: the local folder and S3 (moto server) answer the same calls the same way."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from secfilings import meter
from secfilings.lake.objects import ListResult, LocalObjectStore, S3ObjectStore

KEYS = {
    "raw/form=4/year=2025/month=05/0001-25-000001.xml": b"<a/>",
    "raw/form=4/year=2025/month=05/0001-25-000002.xml": b"<bb/>",
    "raw/form=4/year=2025/month=06/0001-25-000003.xml": b"<ccc/>",
    "raw/form=4A/year=2024/month=12/0001-24-000004.xml": b"<dddd/>",
    "raw/form=13F-HR/year=2025/month=02/0001-25-000005.txt": b"13f",
    "tables/ownership_filings/form=4/year=2025/month=05/0001-25-000001.json": b"{}\n",
    "stray.txt": b"outside",
}

LISTINGS = [
    ("", "/"),
    ("", None),
    ("raw/", "/"),
    ("raw/form=4/", "/"),
    ("raw/form=4/year=2025/", "/"),
    ("raw/form=4/year=2025/month=05/", "/"),
    ("raw/form=4", "/"),  # a partial name: form=4/ and form=4A/ both match
    ("raw/form=4/year=2025/month=05/0001-25-00000", None),
    ("nothing/here/", "/"),
    ("tables/", None),
]


def _store_factory(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[..., Any]:
    if kind == "local":
        return lambda page_size=1000: LocalObjectStore(tmp_path / "lake", page_size=page_size)
    bucket = request.getfixturevalue("s3_bucket")
    client = request.getfixturevalue("s3_client")
    return lambda page_size=1000: S3ObjectStore(bucket, "lake/v1", client, page_size=page_size)


@pytest.fixture(params=["local", "s3"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., Any]:
    return _store_factory(request.param, tmp_path, request)


def test_put_get_head_delete(make_store: Callable[..., Any]) -> None:
    store = make_store()
    key = "raw/form=4/year=2025/month=05/0001-25-000001.xml"
    assert store.head(key) is None
    with pytest.raises(KeyError):
        store.get(key)
    store.put(key, b"first")
    store.put(key, b"second version")  # overwrite
    assert store.get(key) == b"second version"
    assert store.head(key) == len(b"second version")
    store.delete(key)
    store.delete(key)  # deleting an absent key is not an error (as on S3)
    assert store.head(key) is None
    assert store.list("raw/").keys == []


@pytest.mark.parametrize(
    "bad",
    ["/etc/passwd", "../outside", "raw/../../escape", "raw\\form", "raw/\x00x", "", "raw//x", "./a"],
)
def test_bad_keys_are_refused_naming_the_key(make_store: Callable[..., Any], bad: str) -> None:
    store = make_store()
    for call in (lambda: store.put(bad, b"x"), lambda: store.get(bad), lambda: store.head(bad)):
        with pytest.raises(ValueError) as caught:
            call()
        assert repr(bad) in str(caught.value)
    assert store.list("").keys == []  # nothing written


@pytest.mark.parametrize("page_size", [1, 2, 1000])
def test_local_and_s3_listings_agree(
    tmp_path: Path, s3_bucket: str, s3_client: Any, page_size: int
) -> None:
    local = LocalObjectStore(tmp_path / "lake", page_size=page_size)
    remote = S3ObjectStore(s3_bucket, "lake", s3_client, page_size=page_size)
    s3_client.put_object(Bucket=s3_bucket, Key="elsewhere/not-in-the-lake.txt", Body=b"x")
    for key, data in KEYS.items():
        local.put(key, data)
        remote.put(key, data)
    for prefix, delimiter in LISTINGS:
        mine, theirs = local.list(prefix, delimiter), remote.list(prefix, delimiter)
        assert mine == theirs, (prefix, delimiter)
    everything = remote.list("")
    assert sorted(everything.keys) == sorted((k, len(v)) for k, v in KEYS.items())
    top = remote.list("", "/")
    assert top.common_prefixes == ["raw/", "tables/"]
    assert top.keys == [("stray.txt", 7)]


def test_s3_listing_is_paginated_one_request_per_page(s3_bucket: str, s3_client: Any) -> None:
    calls: list[dict[str, Any]] = []
    s3_client.meta.events.register(
        "provide-client-params.s3.ListObjectsV2", lambda params, **_: calls.append(dict(params))
    )
    store = S3ObjectStore(s3_bucket, "", s3_client, page_size=2)
    for i in range(7):
        store.put(f"raw/form=4/year=2025/month=0{i % 3 + 1}/k{i}.xml", b"x" * i)
    result = store.list("raw/form=4/", None)
    assert len(result.keys) == 7
    assert result.pages == 4 == len(calls)  # ceil(7 / 2)
    assert {call["MaxKeys"] for call in calls} == {2}
    assert all("ContinuationToken" in call for call in calls[1:])
    calls.clear()
    months = store.list("raw/form=4/year=2025/", "/")
    assert months.common_prefixes == [f"raw/form=4/year=2025/month=0{m}/" for m in (1, 2, 3)]
    assert months.pages == 2 == len(calls)


def test_local_store_meters_the_requests_it_stands_in_for(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "lake", page_size=2)
    with meter.cost_meter() as counted:
        for key, data in KEYS.items():
            store.put(key, data)
        store.get("stray.txt")
        store.head("stray.txt")
        listing = store.list("raw/")
        store.delete("stray.txt")
    assert listing.pages == 3  # 5 raw keys, 2 a page
    assert counted.counts["s3.PUT"] == len(KEYS)
    assert counted.counts["s3.bytes_in"] == sum(len(v) for v in KEYS.values())
    assert counted.counts["s3.GET"] == 1
    assert counted.counts["s3.bytes_out"] == 7
    assert counted.counts["s3.HEAD"] == 1
    assert counted.counts["s3.LIST"] == 3
    assert counted.counts["s3.DELETE"] == 1


def test_local_put_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalObjectStore(tmp_path / "lake")
    key = "tables/fund_holdings/form=13F-HR/year=2025/month=02/a.json"
    store.put(key, b"old contents")

    def crash(*_args: Any) -> None:
        raise OSError("disk vanished")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        store.put(key, b"new contents that never land")
    monkeypatch.undo()
    assert store.get(key) == b"old contents"
    folder = store.path(key).parent
    assert sorted(p.name for p in folder.iterdir()) == ["a.json"]  # no temporary file left
    assert store.list("tables/").keys == [(key, len(b"old contents"))]


def test_local_delete_prunes_empty_partitions(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "lake")
    store.put("raw/form=4/year=2025/month=05/a.xml", b"a")
    store.put("raw/form=4/year=2025/month=06/b.xml", b"b")
    store.delete("raw/form=4/year=2025/month=05/a.xml")
    assert store.list("raw/form=4/year=2025/", "/").common_prefixes == [
        "raw/form=4/year=2025/month=06/"
    ]
    assert (tmp_path / "lake").is_dir()


def test_list_result_is_empty_but_costs_one_request(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "lake")
    assert store.list("raw/", "/") == ListResult(keys=[], common_prefixes=[], pages=1)


def test_store_urls(tmp_path: Path, s3_client: Any) -> None:
    assert LocalObjectStore(tmp_path).url == tmp_path.resolve().as_uri()
    assert S3ObjectStore("bkt", "/a/b/", s3_client).url == "s3://bkt/a/b"
    assert S3ObjectStore("bkt", "", s3_client).url == "s3://bkt"
    with pytest.raises(ValueError, match="page_size"):
        S3ObjectStore("bkt", "", s3_client, page_size=1001)


def test_delete_many_deletes_in_batches_of_1000(make_store: Callable[..., Any]) -> None:
    store = make_store()
    client = getattr(store, "client", None)
    batches: list[int] = []
    if client is not None:
        client.meta.events.register(
            "provide-client-params.s3.DeleteObjects",
            lambda params, **_: batches.append(len(params["Delete"]["Objects"])),
        )
    keys = [f"tables/ownership_filings/form=4/year=2025/month=05/{i:010d}-25-000001.json" for i in range(1001)]
    for key in keys:
        store.put(key, b"{}\n")
    store.put("raw/form=4/year=2025/month=05/keep.xml", b"<a/>")
    with meter.Meter() as counted:
        assert store.delete_many(keys + ["tables/absent/x.json"]) == 2  # absent keys succeed
    assert store.list("tables/").keys == []
    assert [key for key, _ in store.list("").keys] == ["raw/form=4/year=2025/month=05/keep.xml"]
    if client is not None:
        assert batches == [1000, 2]
    else:
        assert counted.counts.get("s3.DELETE") == 2
    with pytest.raises(ValueError, match="invalid object key"):
        store.delete_many(["raw/form=4/year=2025/month=05/keep.xml", "../escape"])
    assert store.head("raw/form=4/year=2025/month=05/keep.xml") == 4  # nothing deleted


def test_listings_carry_a_version_that_changes_on_rewrite(make_store: Callable[..., Any]) -> None:
    store = make_store()
    key = "compacted/fund_filings/form=13F-HR/year=2025/month=05/compacted.parquet"
    store.put(key, b"AAAA")
    first = store.list("compacted/").versions[key]
    time.sleep(0.02)  # a folder's version is its file's timestamp: let the clock tick (~4 ms)
    store.put(key, b"BBBB")  # same size, new content
    second = store.list("compacted/").versions[key]
    assert first and second and first != second
