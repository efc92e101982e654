"""The smart-money sync: batched fetches (N filings cost ceil(N/B)), top_companies, the window."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from secfilings.config import Settings, open_platform
from secfilings.meter import cost_meter
from secfilings.services.api.athena.companies import get_company
from secfilings.workers.sec_smart_money_sync import FilingRef, activity_key, process_insider_filings, run_sync
from tests.platform.readside_helpers import bundled_lake, lake_rows


class CountingIndex:
    """The platform's own index, counting the batch gets it serves (nothing patched)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.batch_calls: list[int] = []

    def batch_get_lookup(self, keys: Any) -> Any:
        self.batch_calls.append(len(keys))
        return self.inner.batch_get_lookup(keys)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return bundled_lake(tmp_path_factory.mktemp("sync") / "lake")


def _refs(settings: Settings) -> list[FilingRef]:
    return [
        FilingRef(row["accession_number"], row["issuer_cik"], row["filed"], row["period"])
        for row in lake_rows(Path(settings.lake), "ownership_filings")
    ]


@pytest.mark.parametrize("batch", [1, 3, 5, 100])
def test_sql_fetch_costs_one_query_per_batch(lake: Settings, batch: int) -> None:
    refs = _refs(lake)
    with open_platform(lake.with_changes(index_mode="off")) as platform, cost_meter() as meter:
        result = process_insider_filings(platform, refs, batch)
    assert len(refs) == 8
    assert meter.counts["athena.query"] == math.ceil(len(refs) / batch) == result.sql_queries
    assert [f["accession_number"] for f in result.filings] == [r.accession_number for r in refs]
    assert result.missing == [] and meter.counts["s3.GET"] == 0


@pytest.mark.parametrize("batch", [1, 3, 8])
def test_index_fetch_costs_one_batch_get_per_batch_and_no_query(lake: Settings, batch: int) -> None:
    refs = _refs(lake)
    with open_platform(lake) as platform:
        counting = CountingIndex(platform.index)
        platform.index = counting
        with cost_meter() as meter:
            result = process_insider_filings(platform, refs, batch)
    assert len(counting.batch_calls) == math.ceil(len(refs) / batch)
    assert max(counting.batch_calls) <= batch
    assert meter.counts["athena.query"] == 0 and meter.counts["s3.GET"] == 0
    assert len(result.filings) == len(refs)


def test_index_and_sql_fetch_the_same_filings(lake: Settings) -> None:
    refs = _refs(lake)
    with open_platform(lake.with_changes(index_mode="off")) as platform:
        by_sql = process_insider_filings(platform, refs, 4).filings
    with open_platform(lake) as platform:
        by_index = process_insider_filings(platform, refs, 4).filings

    def strip(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in e.items() if k != "company_cik"} for e in entries]

    assert strip(by_sql) == strip(by_index)


def test_misses_are_fetched_by_sql_in_batches_and_back_filled(tmp_path: Path) -> None:
    settings = bundled_lake(tmp_path / "lake", index_mode="off")  # an empty index: all misses
    refs = _refs(settings)
    with open_platform(settings.with_changes(index_mode="read-only")) as platform, cost_meter() as meter:
        only = process_insider_filings(platform, refs, 3)
    assert only.filings == [] and sorted(only.missing) == sorted(r.accession_number for r in refs)
    assert meter.counts["athena.query"] == 0
    with open_platform(settings.with_changes(index_mode="read-fallback")) as platform:
        with cost_meter() as first:
            fetched = process_insider_filings(platform, refs, 3)
        with cost_meter() as second:
            process_insider_filings(platform, refs, 3)
    assert len(fetched.filings) == len(refs)
    assert first.counts["athena.query"] == math.ceil(len(refs) / 3)
    assert second.counts["athena.query"] == 0  # back-filled


def test_batch_size_is_bounded_by_dynamodbs_limit(lake: Settings) -> None:
    with open_platform(lake) as platform:
        with pytest.raises(ValueError, match="1 to 100"):
            process_insider_filings(platform, _refs(lake), 101)


def _expected_activity(settings: Settings, days: int) -> tuple[date, dict[str, dict[str, Any]]]:
    """Recomputed from the lake's files, independently of the sync's code."""
    filings = lake_rows(Path(settings.lake), "ownership_filings")
    end = max(date.fromisoformat(f["filed"] or f["period"]) for f in filings)
    start = end - timedelta(days=days)
    owners = {f["accession_number"]: {o["cik"] for o in json.loads(f["reporting_owners"])} for f in filings}
    result: dict[str, dict[str, Any]] = {}
    for row in lake_rows(Path(settings.lake), "insider_transactions"):
        when = date.fromisoformat(row["transaction_date"] or row["filed"] or row["period"])
        if not row["is_transaction"] or not start < when <= end:
            continue
        stats = result.setdefault(row["issuer_cik"], {"buys": 0, "sells": 0, "net_shares": 0.0, "insiders": set()})
        stats["insiders"] |= owners[row["accession_number"]]
        if row["derivative"]:
            continue
        sign = 1 if row["acquired_disposed"] == "A" else -1
        stats["buys" if sign == 1 else "sells"] += 1
        stats["net_shares"] += sign * row["shares"]
    return end, result


@pytest.mark.parametrize("mode", ["off", "read-fallback"])
def test_run_sync_reports_activity_of_the_top_companies_over_the_window(lake: Settings, mode: str) -> None:
    end, expected = _expected_activity(lake, 90)
    with open_platform(lake.with_changes(index_mode=mode)) as platform:
        top = platform.sql.query("SELECT issuer_cik FROM top_companies ORDER BY rank")
        report = run_sync(platform)
        stored = platform.store.list(activity_key(end.isoformat(), 90)).keys
    assert report.window_end == end.isoformat() != date.today().isoformat()
    assert [row["issuer_cik"] for row in report.issuers] == [row["issuer_cik"] for row in top]
    assert expected, "the bundled filings have activity in the 90 days before the latest filing"
    for row in report.issuers:
        want = expected.get(row["issuer_cik"], {"buys": 0, "sells": 0, "net_shares": 0.0, "insiders": set()})
        assert (row["buys"], row["sells"], row["insiders"]) == (want["buys"], want["sells"], len(want["insiders"]))
        assert row["net_shares"] == pytest.approx(want["net_shares"])
    assert sum(row["buys"] + row["sells"] for row in report.issuers) > 0
    assert len(stored) == 1 and report.key == stored[0][0]
    lines = (Path(lake.lake) / report.key).read_text().splitlines()
    assert [json.loads(line)["issuer_cik"] for line in lines] == [row["issuer_cik"] for row in report.issuers]


def test_run_sync_counts_its_queries(lake: Settings) -> None:
    with open_platform(lake.with_changes(index_mode="off", batch_size=1)) as platform, cost_meter() as meter:
        report = run_sync(platform, window_days=3650)
    # one query for the view, one to list the window's filings, then one per batch of 1
    assert report.filings_fetched > 1
    assert meter.counts["athena.query"] == 2 + report.filings_fetched
    with open_platform(lake.with_changes(index_mode="off", batch_size=100)) as platform, cost_meter() as meter:
        run_sync(platform, window_days=3650)
    assert meter.counts["athena.query"] == 3


def test_sync_of_an_empty_lake_says_so(tmp_path: Path) -> None:
    with open_platform(Settings(lake=str(tmp_path / "empty"))) as platform:
        import io

        out = io.StringIO()
        report = run_sync(platform, out=out)
    assert report.issuers == [] and report.window_end is None
    assert "nothing to sync" in out.getvalue()


def test_sync_fetches_what_the_company_endpoint_answers(lake: Settings) -> None:
    with open_platform(lake) as platform:
        fetched = process_insider_filings(platform, [r for r in _refs(lake) if r.issuer_cik == "0001640147"], 2)
        answer = get_company(platform, "1640147")
    assert sorted(f["accession_number"] for f in fetched.filings) == sorted(
        f["accession_number"] for f in answer["filings"]
    )


def test_on_dynamodb_n_filings_cost_ceil_n_over_b_batch_get_items(aws_settings: Settings) -> None:
    from tests.platform.readside_helpers import ingest_bundled

    calls: list[int] = []
    with open_platform(aws_settings) as platform:
        assert ingest_bundled(platform).new >= 10
        platform.index.client.meta.events.register(
            "before-parameter-build.dynamodb.BatchGetItem",
            lambda params, **_: calls.append(sum(len(t["Keys"]) for t in params["RequestItems"].values())),
        )
        refs: list[FilingRef] = []
        # the refs come from the items the writers put (Athena on moto runs no SQL)
        for cik in ("0001640147", "0000007536", "0000001750", "0000933972", "0000867773"):
            for item in platform.index.get_lookup(f"company#{cik}"):
                refs.append(FilingRef(item["accession_number"], cik, item["filed"], item["period"]))
        with cost_meter() as meter:
            result = process_insider_filings(platform, refs, 3)
    assert len(refs) == 8 and len(result.filings) == 8 and result.missing == []
    assert len(calls) == math.ceil(8 / 3) and max(calls) <= 3
    assert meter.counts["s3.GET"] == 0 and meter.counts["athena.query"] == 0


def test_read_only_sync_with_missing_filings_says_so_and_writes_nothing(tmp_path: Path) -> None:
    import io

    from secfilings.cli import main

    settings = bundled_lake(tmp_path / "lake", index_mode="off")  # an empty index: every filing missing
    lake = str(tmp_path / "lake")
    out, err = io.StringIO(), io.StringIO()
    status = main(["sync", "--lake", lake, "--index-mode", "read-only"], out=out, err=err)
    assert status == 1
    assert "missing from the read-only index" in out.getvalue() and "backfill-index" in out.getvalue()
    with open_platform(settings) as platform:
        assert platform.store.list("tables/insider_activity/").keys == []
    out = io.StringIO()
    assert main(["sync", "--lake", lake, "--index-mode", "read-only", "--json"], out=out, err=err) == 1
    answer = json.loads(out.getvalue())
    assert answer["missing"] and answer["key"] is None
    assert main(["sync", "--lake", lake], out=io.StringIO(), err=err) == 0  # read-fallback completes it
    with open_platform(settings) as platform:
        assert len(platform.store.list("tables/insider_activity/").keys) == 1
