"""The partition check: delimiter listings (LIST calls counted), problems found, exit status."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from secfilings.config import Settings, open_platform
from secfilings.lake import layout
from secfilings.meter import cost_meter
from secfilings.scripts.verify_s3_partitions import main, verify_partitions
from tests.platform.readside_helpers import bundled_lake, ingest_bundled


@pytest.fixture
def lake(tmp_path: Path) -> Settings:
    return bundled_lake(tmp_path / "lake")


def _kinds(report: Any) -> set[tuple[str, str]]:
    return {(p.kind, p.key) for p in report.problems}


def test_a_freshly_ingested_lake_is_clean(lake: Settings) -> None:
    with open_platform(lake) as platform, cost_meter() as meter:
        report = verify_partitions(platform.store)
    assert report.ok, report.problems
    assert report.partitions > 10 and report.objects > 30
    assert report.list_calls == meter.counts["s3.LIST"]  # every page counted
    assert report.get_calls == meter.counts["s3.GET"] > 0
    out = io.StringIO()
    assert main(["--lake", lake.lake], out=out) == 0
    assert "no problems" in out.getvalue()


def test_keys_only_never_reads_an_object(lake: Settings) -> None:
    with open_platform(lake) as platform, cost_meter() as meter:
        report = verify_partitions(platform.store, check_contents=False)
    assert report.ok and report.get_calls == 0 and meter.counts["s3.GET"] == 0
    assert report.list_calls == meter.counts["s3.LIST"] > 0


def test_objects_outside_the_scheme_are_found(lake: Settings) -> None:
    root = Path(lake.lake)
    with open_platform(lake) as platform:
        store = platform.store
        store.put("stray.txt", b"x")
        store.put("raw/form=4/loose.xml", b"<x/>")
        store.put("raw/form=4/year=2025/month=13/0001127602-25-001055.txt", b"x")
        store.put("raw/form=4/year=2025/month=02/not-an-accession.xml", b"x")
        store.put("tables/unknown_table/form=4/year=2025/month=02/a.json", b"{}\n")
        store.put("misc/notes.md", b"x")
        store.put("_private/anything.bin", b"x")  # private folders are not checked
        report = verify_partitions(store)
    found = _kinds(report)
    assert ("outside-scheme", "stray.txt") in found
    assert ("outside-scheme", "raw/form=4/loose.xml") in found
    assert ("outside-scheme", "raw/form=4/year=2025/month=13/") in found
    assert ("outside-scheme", "raw/form=4/year=2025/month=02/not-an-accession.xml") in found
    assert ("outside-scheme", "tables/unknown_table/") in found
    assert ("outside-scheme", "misc/") in found
    assert not any("_private" in key for _, key in found)
    assert root.is_dir()
    err = io.StringIO()
    out = io.StringIO()
    assert main(["--lake", lake.lake, "--json"], out=out, err=err) == 1
    assert json.loads(out.getvalue())["ok"] is False


def test_a_file_whose_rows_disagree_with_its_partition_is_found(lake: Settings) -> None:
    root = Path(lake.lake)
    source = next((root / "tables" / "ownership_filings" / "form=4" / "year=2025" / "month=02").glob("*.json"))
    wrong_month = root / "tables" / "ownership_filings" / "form=4" / "year=2025" / "month=03" / source.name
    wrong_month.parent.mkdir(parents=True)
    shutil.copyfile(source, wrong_month)
    wrong_form = root / "tables" / "ownership_filings" / "form=5" / "year=2025" / "month=02" / source.name
    wrong_form.parent.mkdir(parents=True)
    shutil.copyfile(source, wrong_form)
    renamed = source.with_name("0000000001-25-000001.json")
    shutil.copyfile(source, renamed)
    with open_platform(lake) as platform:
        report = verify_partitions(platform.store)
    details = {p.key: p.detail for p in report.problems if p.kind == "mismatch"}
    rel = lambda path: path.relative_to(root).as_posix()  # noqa: E731
    assert "partition says year=2025/month=03" in details[rel(wrong_month)]
    assert "partition says form=5" in details[rel(wrong_form)]
    assert "key says '0000000001-25-000001'" in details[rel(renamed)]
    assert len(details) == 3
    with open_platform(lake) as platform:
        keys_only = verify_partitions(platform.store, check_contents=False).problems
    # names alone look fine, but the copies have no raw document in their partitions
    assert {(p.kind, p.key) for p in keys_only} == {
        ("missing-raw", rel(path)) for path in (wrong_month, wrong_form, renamed)
    }


def test_a_file_that_is_not_ndjson_is_a_mismatch(lake: Settings) -> None:
    with open_platform(lake) as platform:
        key = layout.table_key("fund_filings", "13F-HR", __import__("datetime").date(2024, 1, 5), "0000000002-24-000002")
        platform.store.put(key, b"this is not json\n")
        report = verify_partitions(platform.store)
    assert [(p.kind, p.key) for p in report.problems] == [("mismatch", key), ("missing-raw", key)]


def test_an_empty_partition_is_found_locally(lake: Settings) -> None:
    with open_platform(lake) as platform:
        platform.store.put("tables/fund_holdings/form=13F-HR/year=2019/month=01/_SUCCESS", b"")
        report = verify_partitions(platform.store)
    assert _kinds(report) == {("empty-partition", "tables/fund_holdings/form=13F-HR/year=2019/month=01/")}


def test_a_zero_byte_filing_row_file_is_found_but_an_empty_transactions_file_is_fine(lake: Settings) -> None:
    root = Path(lake.lake)
    month = "form=4/year=2025/month=01"
    filing = f"tables/ownership_filings/{month}/0001127602-25-001055.json"
    (root / filing).write_bytes(b"")  # the filing's own row lost
    transactions = f"tables/insider_transactions/{month}/0001127602-25-001055.json"
    (root / transactions).write_bytes(b"")  # a filing with no transaction rows: allowed
    second = f"tables/ownership_filings/{month}/0001127602-25-001099.json"
    (root / second).write_bytes(b"")
    (root / f"tables/ownership_filings/{month}/0001127602-25-001098.json").write_bytes(
        (root / "tables/ownership_filings/form=4/year=2025/month=02/0001127602-25-004598.json").read_bytes()
        .replace(b"0001127602-25-004598", b"0001127602-25-001098").replace(b"2025-02-13", b"2025-01-13")
    )
    with open_platform(lake) as platform:
        for check_contents in (True, False):
            report = verify_partitions(platform.store, check_contents=check_contents)
            fabricated = f"tables/ownership_filings/{month}/0001127602-25-001098.json"  # no raw documents
            assert _kinds(report) == {
                ("empty-object", filing), ("empty-object", second),
                ("missing-raw", second), ("missing-raw", fabricated),
            }, report.problems


def test_a_raw_document_with_another_extension_is_outside_the_scheme(lake: Settings) -> None:
    month = Path(lake.lake, "raw/form=4/year=2025/month=01")
    (month / "0001127602-25-001055.txt.bak").write_bytes(b"an editor's backup")
    (month / "0001127602-25-001077.exe").write_bytes(b"MZ")
    with open_platform(lake) as platform:
        report = verify_partitions(platform.store, check_contents=False)
    assert _kinds(report) == {
        ("outside-scheme", "raw/form=4/year=2025/month=01/0001127602-25-001055.txt.bak"),
        ("outside-scheme", "raw/form=4/year=2025/month=01/0001127602-25-001077.exe"),
    }


def test_on_s3_listing_is_by_delimiter_and_paginated(aws_settings: Settings, s3_client: Any, s3_bucket: str) -> None:
    calls: list[dict[str, Any]] = []

    def seen(params: Any = None, **_: Any) -> None:
        calls.append(dict(params))

    with open_platform(aws_settings) as platform:
        assert ingest_bundled(platform).new >= 10
        platform.store.page_size = 2  # small pages: the listing must follow continuation tokens
        platform.store.client.meta.events.register("before-parameter-build.s3.ListObjectsV2", seen)
        clean = verify_partitions(platform.store, check_contents=False)
        s3_client.put_object(Bucket=s3_bucket, Key="lake/raw/form=4/year=2024/month=03/", Body=b"")
        s3_client.put_object(Bucket=s3_bucket, Key="lake/raw/form=4/2024-stray.xml", Body=b"x")
        calls.clear()
        dirty = verify_partitions(platform.store)
    assert clean.ok, clean.problems
    assert dirty.list_calls == len(calls) > dirty.partitions
    assert all(call.get("Delimiter") == "/" and call["MaxKeys"] == 2 for call in calls)
    assert any("ContinuationToken" in call for call in calls)
    assert _kinds(dirty) == {
        ("empty-partition", "raw/form=4/year=2024/month=03/"),
        ("outside-scheme", "raw/form=4/2024-stray.xml"),
    }


def test_bad_configuration_is_exit_status_2(tmp_path: Path) -> None:
    err = io.StringIO()
    assert main(["--lake", "s3://Bad_Bucket/x"], out=io.StringIO(), err=err) == 2
    assert err.getvalue().count("\n") == 1 and "--lake" in err.getvalue()


def test_a_filing_row_whose_raw_document_is_gone_is_found_from_the_listings(lake: Settings) -> None:
    root = Path(lake.lake)
    raw = next((root / "raw" / "form=4" / "year=2025" / "month=02").glob("*"))
    accession = raw.name.rsplit(".", 1)[0]
    raw.unlink()
    with open_platform(lake) as platform:
        for check_contents in (True, False):
            report = verify_partitions(platform.store, check_contents=check_contents)
            missing = [p for p in report.problems if p.kind == "missing-raw"]
            assert [p.key for p in missing] == [f"tables/ownership_filings/form=4/year=2025/month=02/{accession}.json"]
            assert missing[0].detail == f"no raw document raw/form=4/year=2025/month=02/{accession}.xml|txt|nc"


def test_an_empty_partition_folder_and_a_folder_named_like_a_row_file(lake: Settings) -> None:
    root = Path(lake.lake)
    empty = root / "tables" / "fund_holdings" / "form=13F-HR" / "year=2031" / "month=05"
    empty.mkdir(parents=True)
    like_a_file = root / "tables" / "ownership_filings" / "form=4" / "year=2025" / "month=02" / "0000000009-25-000009.json"
    like_a_file.mkdir()
    with open_platform(lake) as platform:
        found = {(p.kind, p.key) for p in verify_partitions(platform.store).problems}
    assert ("empty-partition", "tables/fund_holdings/form=13F-HR/year=2031/month=05/") in found
    assert ("outside-scheme", "tables/ownership_filings/form=4/year=2025/month=02/0000000009-25-000009.json/") in found


def test_names_are_printed_escaped(lake: Settings) -> None:
    root = Path(lake.lake)
    forged = root / "misc\nverify-partitions: 0 objects: no problems\x1b[2J"
    forged.mkdir()
    (forged / "file").write_bytes(b"x")
    out = io.StringIO()
    assert main(["--lake", lake.lake], out=out, err=io.StringIO()) == 1
    lines = out.getvalue().splitlines()
    assert not any(line.startswith("verify-partitions: 0 objects") for line in lines)
    assert "  outside-scheme  misc\\nverify-partitions: 0 objects: no problems\\x1b[2J/: unknown top-level folder" in lines


# -- compacted partitions -------------------------------------------------------------------------


def _compacted_keys(store: Any) -> list[str]:
    return sorted(k for k, _ in store.list(layout.COMPACTED_PREFIX).keys if k.endswith(layout.COMPACTED_NAME))


def _spoil_compacted(store: Any) -> dict[str, str]:
    """Put the problems a compacted/ tree can hold into the lake in ``store``; returns what each
    should be reported as (key -> kind)."""
    keys = _compacted_keys(store)
    filing = next(k for k in keys if k.startswith("compacted/ownership_filings/form=4/"))
    other = next(k for k in keys if k.startswith("compacted/fund_holdings/"))
    partition = filing.rsplit("/", 1)[0]
    moved = partition.rsplit("/", 1)[0] + "/month=01/" + layout.COMPACTED_NAME
    assert store.head(moved) is None
    store.put(moved, store.get(filing))  # its rows say another month
    store.put(other, b"PAR1 not really parquet")  # unreadable
    store.put(f"{partition}/compacted.parquet.bak", b"x")
    store.put(f"{partition}/deeper/compacted.parquet", b"x")
    store.put("compacted/unknown_table/form=4/year=2025/month=02/compacted.parquet", b"x")
    store.put("compacted/fund_filings/form=13F-HR/year=20x0/month=02/compacted.parquet", b"x")
    store.put("compacted/loose.parquet", b"x")
    store.put("compacted/fund_filings/form=13F-HR/year=2020/month=07/compacted.parquet", b"")
    return {
        moved: "mismatch",
        other: "mismatch",
        f"{partition}/compacted.parquet.bak": "outside-scheme",
        f"{partition}/deeper/": "outside-scheme",
        "compacted/unknown_table/": "outside-scheme",
        "compacted/fund_filings/form=13F-HR/year=20x0/": "outside-scheme",
        "compacted/loose.parquet": "outside-scheme",
        "compacted/fund_filings/form=13F-HR/year=2020/month=07/compacted.parquet": "empty-object",
    }


def test_a_compacted_lake_is_clean_and_its_parquet_files_are_read(lake: Settings) -> None:
    from secfilings.scripts.compact_lake import compact_lake

    assert compact_lake(lake.lake).failed == []
    with open_platform(lake) as platform, cost_meter() as meter:
        compacted = _compacted_keys(platform.store)
        report = verify_partitions(platform.store)
        keys_only = verify_partitions(platform.store, check_contents=False)
    assert compacted and report.ok, report.problems
    assert keys_only.ok and keys_only.get_calls == 0
    assert report.get_calls == meter.counts["s3.GET"] >= len(compacted)  # each compacted file read once
    assert report.objects >= len(compacted)


def test_problems_under_compacted_are_found(lake: Settings) -> None:
    from secfilings.scripts.compact_lake import compact_lake

    assert compact_lake(lake.lake).failed == []
    with open_platform(lake) as platform:
        expected = _spoil_compacted(platform.store)
        report = verify_partitions(platform.store)
        keys_only = verify_partitions(platform.store, check_contents=False)
    found = {p.key: p for p in report.problems}
    assert {key: p.kind for key, p in found.items() if key in expected} == expected
    moved = next(k for k, kind in expected.items() if kind == "mismatch" and "/month=01/" in k)
    assert found[moved].detail.startswith("row 1: filed ") and found[moved].detail.endswith("/month=01")
    unreadable = next(k for k, kind in expected.items() if kind == "mismatch" and k != moved)
    assert found[unreadable].detail.startswith("not a readable Parquet file") and "/tmp" not in found[unreadable].detail
    # listing alone: every name problem, no content problem (nothing read)
    assert {p.key for p in keys_only.problems} == {k for k, kind in expected.items() if kind != "mismatch"}


def test_a_compacted_filing_whose_raw_document_is_gone_is_found(lake: Settings) -> None:
    from secfilings.scripts.compact_lake import compact_lake

    root = Path(lake.lake)
    raw = next((root / "raw" / "form=4" / "year=2025" / "month=02").glob("*"))
    accession = raw.name.rsplit(".", 1)[0]
    assert compact_lake(lake.lake).failed == []
    raw.unlink()
    with open_platform(lake) as platform:
        report = verify_partitions(platform.store)
    missing = [p for p in report.problems if p.kind == "missing-raw"]
    assert [p.key for p in missing] == [layout.compacted_key("ownership_filings", "form=4/year=2025/month=02")]
    assert accession in missing[0].detail


def test_compacted_partitions_on_s3(aws_settings: Settings) -> None:
    from secfilings.scripts.compact_lake import compact_store

    with open_platform(aws_settings) as platform:
        assert ingest_bundled(platform).new >= 10
        assert compact_store(platform.store).failed == []
        compacted = _compacted_keys(platform.store)
        clean = verify_partitions(platform.store)
        expected = _spoil_compacted(platform.store)
        dirty = verify_partitions(platform.store)
    assert clean.ok, clean.problems
    assert compacted and clean.get_calls >= len(compacted)  # the compacted files were read
    assert {p.key: p.kind for p in dirty.problems if p.key in expected} == expected
    out = io.StringIO()
    assert main(["--lake", aws_settings.lake], out=out, err=io.StringIO()) == 1
    assert "not a readable Parquet file" in out.getvalue()
