"""Back-filling the lookup index from the lake: same items as the writers, idempotent, resumable,
and the same before, after or halfway through a compaction (folder and S3 lakes)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import duckdb
import pytest

from secfilings.config import Settings, open_platform
from secfilings.data import FORM4_DIR
from secfilings.lake import layout
from secfilings.scripts.compact_lake import _partitions, compact_lake, compact_partition
from secfilings.workers.form4_parser.worker import ingest_paths
from secfilings.scripts.backfill_lookup_index import CHECKPOINT_PK, backfill_index, main
from secfilings.services.api.athena.companies import get_company
from secfilings.services.api.athena.funds import get_fund
from tests.platform.readside_helpers import bundled_lake, ingest_bundled, lake_rows


def _index_items(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    root = Path(settings.lake)
    pks = [f"company#{r['issuer_cik']}" for r in lake_rows(root, "ownership_filings")]
    pks += [f"fund#{r['filer_cik']}" for r in lake_rows(root, "fund_filings")]
    with open_platform(settings) as platform:
        return {pk: platform.index.get_lookup(pk) for pk in sorted(set(pks))}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A lake whose index the writers filled while ingesting."""
    return bundled_lake(tmp_path_factory.mktemp("written") / "lake")


def test_backfill_puts_the_items_the_writers_put(tmp_path: Path, written: Settings) -> None:
    settings = bundled_lake(tmp_path / "lake", index_mode="off")
    assert all(items == [] for items in _index_items(settings).values())
    with open_platform(settings) as platform:
        report = backfill_index(platform)
    assert report.filings == report.added == 13 and report.present == 0
    assert _index_items(settings) == _index_items(written)
    # the read-only endpoints now answer exactly what SQL answers
    with open_platform(settings.with_changes(index_mode="read-only")) as index_only, open_platform(
        settings.with_changes(index_mode="off")
    ) as sql_only:
        for cik in ("1640147", "7536", "933972", "867773"):
            assert get_company(index_only, cik) == get_company(sql_only, cik) is not None
        for cik in ("1894188", "1994827", "1099219"):
            assert get_fund(index_only, cik) == get_fund(sql_only, cik) is not None


def test_backfill_is_idempotent(written: Settings) -> None:
    before = _index_items(written)
    with open_platform(written) as platform:
        again = backfill_index(platform, restart=True)
    assert again.added == 0 and again.present == again.filings == 13
    assert _index_items(written) == before


def test_backfill_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    settings = bundled_lake(tmp_path / "lake", index_mode="off")

    class Crash(Exception):
        pass

    def crash_after_three(done: int, total: int, prefix: str) -> None:
        if done == 3:
            raise Crash(prefix)

    with open_platform(settings) as platform:
        with pytest.raises(Crash):
            backfill_index(platform, progress=crash_after_three)
        assert len(platform.index.get_lookup(CHECKPOINT_PK)) == 3
        resumed = backfill_index(platform)
        assert resumed.skipped_partitions == 3
        assert resumed.added == resumed.filings < 13
        finished = backfill_index(platform)
    assert finished.skipped_partitions == finished.partitions and finished.filings == 0
    with open_platform(settings.with_changes(index_mode="read-only")) as platform:
        assert get_company(platform, "1640147") is not None and get_fund(platform, "1894188") is not None


def test_script_main(tmp_path: Path) -> None:
    settings = bundled_lake(tmp_path / "lake", index_mode="off")
    out = io.StringIO()
    assert main(["--lake", settings.lake], out=out) == 0
    assert "13 filings" in out.getvalue() and "13 items added" in out.getvalue()


def test_filings_added_to_a_checkpointed_partition_are_picked_up(tmp_path: Path) -> None:
    settings = bundled_lake(tmp_path / "lake", index_mode="off")
    with open_platform(settings) as platform:
        first = backfill_index(platform)
        assert first.skipped_partitions == 0
        # a new filing lands in a partition the first pass checkpointed (Snowflake's Form 4, 2022-12)
        data = (FORM4_DIR / "form4.snow.xml").read_bytes()
        copy = tmp_path / "0000000077-22-000077.xml"
        copy.write_bytes(data)
        assert ingest_paths(platform, [copy]).new == 1  # index_mode off: no index item written
        again = backfill_index(platform)
        # only the changed partition is read again: its old filing stays, the new one is added
        assert (again.filings, again.added, again.present) == (2, 1, 1)
        assert again.skipped_partitions == again.partitions - 1
        assert backfill_index(platform).skipped_partitions == again.partitions
    with open_platform(settings.with_changes(index_mode="read-only")) as platform:
        accessions = {f["accession_number"] for f in get_company(platform, "1640147")["filings"]}
    assert "0000000077-22-000077" in accessions


# -- compacted lakes ------------------------------------------------------------------------------


def _items(settings: Settings, pks: list[str]) -> dict[str, list[dict[str, Any]]]:
    with open_platform(settings) as platform:
        return {pk: platform.index.get_lookup(pk) for pk in pks}


def _pks(lake: Path) -> list[str]:
    pks = [f"company#{r['issuer_cik']}" for r in lake_rows(lake, "ownership_filings")]
    pks += [f"fund#{r['filer_cik']}" for r in lake_rows(lake, "fund_filings")]
    return sorted(set(pks))


@pytest.fixture(scope="module")
def backfilled_before(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], dict[str, list[dict[str, Any]]]]:
    """(pks, items) of a lake back-filled before any compaction."""
    settings = bundled_lake(tmp_path_factory.mktemp("before") / "lake", index_mode="off")
    with open_platform(settings) as platform:
        assert backfill_index(platform).added == 13
    pks = _pks(Path(settings.lake))
    return pks, _items(settings, pks)


def _compact(lake: Path, tables: tuple[str, ...] = layout.TABLES, step: str | None = None) -> None:
    root = lake.resolve()
    with duckdb.connect() as conn:
        conn.execute(f"SET file_search_path = '{root}'")
        for table in tables:
            for folder in _partitions(root, table):
                compact_partition(conn, root, table, folder, stop_after=step)


@pytest.mark.parametrize(
    "how",
    ["all", "filing tables only", "row tables only", "swapped, not deleted"],
)
def test_backfilling_a_compacted_lake_fills_the_same_index(
    tmp_path: Path, backfilled_before: Any, how: str
) -> None:
    pks, expected = backfilled_before
    lake = tmp_path / "lake"
    settings = bundled_lake(lake, index_mode="off")
    if how == "all":
        compact_lake(lake)
        assert not list((lake / "tables").rglob("*.json"))
    elif how == "filing tables only":  # a compaction stopped between tables
        _compact(lake, ("ownership_filings", "fund_filings"))
    elif how == "row tables only":
        _compact(lake, ("insider_transactions", "fund_holdings"))
    else:
        _compact(lake, step="swap")
    assert list((lake / "compacted").rglob("*.parquet"))
    with open_platform(settings) as platform:
        report = backfill_index(platform)
    assert report.filings == report.added == 13 and report.present == 0
    assert _items(settings, pks) == expected


def test_backfill_checkpoints_see_a_compaction_and_filings_compacted_since(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    settings = bundled_lake(lake, index_mode="off")
    with open_platform(settings) as platform:
        first = backfill_index(platform)
        assert compact_lake(lake).failed == []
        # each partition's listing changed (its rows moved to compacted/): read again, nothing new
        moved = backfill_index(platform)
        assert (moved.skipped_partitions, moved.added, moved.present) == (0, 0, first.added)
        assert backfill_index(platform).skipped_partitions == moved.partitions
        # a filing lands in a compacted partition and is compacted before any backfill sees its
        # NDJSON file: tables/ is empty both times, only the compacted file's version changed
        copy = tmp_path / "0000000077-22-000077.xml"
        copy.write_bytes((FORM4_DIR / "form4.snow.xml").read_bytes())
        assert ingest_paths(platform, [copy]).new == 1
        assert compact_lake(lake).failed == []
        assert not list((lake / "tables").rglob("*.json"))
        again = backfill_index(platform)
        assert (again.added, again.skipped_partitions) == (1, again.partitions - 1)
    with open_platform(settings.with_changes(index_mode="read-only")) as platform:
        accessions = {f["accession_number"] for f in get_company(platform, "1640147")["filings"]}
    assert "0000000077-22-000077" in accessions


def test_backfilling_a_compacted_s3_lake_fills_the_same_index(aws_settings: Settings, backfilled_before: Any) -> None:
    from secfilings.scripts.compact_lake import compact_store

    pks, expected = backfilled_before
    settings = aws_settings.with_changes(index_mode="off")
    with open_platform(settings) as platform:
        ingest_bundled(platform)
        report = compact_store(platform.store)
        assert report.failed == [] and report.partitions > 0
        assert not [k for k, _ in platform.store.list("tables/").keys if k.endswith(".json")]
        filled = backfill_index(platform)
        assert filled.filings == filled.added == 13
        assert backfill_index(platform).skipped_partitions == filled.partitions
    assert _items(settings, pks) == expected
