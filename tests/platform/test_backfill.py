"""Back-filling the lookup index from the lake: same items as the writers, idempotent, resumable."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from secfilings.config import Settings, open_platform
from secfilings.data import FORM4_DIR
from secfilings.workers.form4_parser.worker import ingest_paths
from secfilings.scripts.backfill_lookup_index import CHECKPOINT_PK, backfill_index, main
from secfilings.services.api.athena.companies import get_company
from secfilings.services.api.athena.funds import get_fund
from tests.platform.readside_helpers import bundled_lake, lake_rows


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
