"""The workload, run both ways on the embedded engines, with the runtime guard on."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import pytest

import runtime_guard
from secfilings.config import Settings, open_platform
from secfilings.cost.arithmetic import daily_requests, solve_rates
from secfilings.cost.prices import LIST_PRICES, SEED_PRICES
from secfilings.cost.report import build_report, run_cost_report
from secfilings.cost.workload import DEFAULT_WORKER_RUNS_PER_DAY, bundle_documents, run_after, run_before
from secfilings.meter import cost_meter

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("workload")
    docs = bundle_documents()
    guard = runtime_guard.install(str(PYPROJECT), mode="raise", inherit=False)
    try:
        before = run_before(root, docs, copies=4)
        after = run_after(root, docs, copies=4)
    finally:
        guard.uninstall()
    return {"root": root, "docs": docs, "before": before, "after": after}


def _rates(runs: dict[str, Any]) -> dict[str, float]:
    return solve_rates(runs["before"].parts, {"worker_runs": DEFAULT_WORKER_RUNS_PER_DAY})


def test_before_at_seed_prices_lands_within_5_percent_of_the_plan(runs: dict[str, Any]) -> None:
    report = build_report(runs["before"].parts, runs["after"].parts, _rates(runs), SEED_PRICES)
    assert report["before"]["requests_per_day"]["s3.GET"] == pytest.approx(43_000_000)
    assert report["before"]["requests_per_day"]["s3.LIST"] == pytest.approx(2_500_000)
    assert abs(report["before"]["usd_per_day"] - 32.11) / 32.11 < 0.05
    assert report["after"]["usd_per_day"] < report["before"]["usd_per_day"]
    # at list prices the same traffic costs less than at the plan's prices
    listed = build_report(runs["before"].parts, runs["after"].parts, _rates(runs), LIST_PRICES)
    assert listed["before"]["usd_per_day"] < report["before"]["usd_per_day"]


def test_after_path_makes_no_s3_get_from_services_or_workers(runs: dict[str, Any]) -> None:
    after, before = runs["after"], runs["before"]
    assert after.whole.counts["s3.GET"] == 0
    assert after.gets_from(("secfilings.services", "secfilings.workers")) == 0
    # the counting can see GETs: the legacy path's are charged to the legacy script
    assert before.gets_from(("secfilings.scripts.legacy_direct_reads",)) == before.whole.counts["s3.GET"] > 0
    assert sum(before.whole.callers("s3.GET").values()) == before.whole.counts["s3.GET"]


def test_the_legacy_path_makes_no_index_request(runs: dict[str, Any]) -> None:
    # the legacy platform has no lookup index: its before side counts no DynamoDB at all
    counts = runs["before"].whole.counts
    assert not {name: n for name, n in counts.items() if name.startswith("dynamodb.") and n}
    assert runs["after"].whole.counts["dynamodb.write_units"] > 0


def test_lookups_on_the_after_path_cost_no_object_read_and_give_the_same_answers(runs: dict[str, Any]) -> None:
    after, before = runs["after"], runs["before"]
    api = after.parts["api_reads"].counts
    assert api.get("s3.GET", 0) == 0 and api.get("athena.query", 0) == 0
    assert api["dynamodb.read_units"] >= after.companies + after.funds  # at least one unit a lookup
    assert before.parts["api_reads"].counts["s3.GET"] > 0
    for cik, old in before.answers.items():
        new = after.answers[cik]
        if "filings" in old:
            assert sorted(f["accession_number"] for f in old["filings"]) == sorted(f["accession_number"] for f in new["filings"])
        else:
            assert [h["cusip"] for h in old["holdings"]] == [h["cusip"] for h in new["holdings"]]


def test_n_more_company_lookups_cost_zero_object_reads(runs: dict[str, Any]) -> None:
    from secfilings.services.api.athena.companies import get_company

    ciks = sorted({d.cik for d in runs["docs"] if d.kind == "ownership"})
    with open_platform(Settings(lake=str(runs["root"] / "after"))) as platform, cost_meter() as meter:
        for _ in range(3):
            for cik in ciks:
                assert get_company(platform, cik) is not None
    assert meter.counts["s3.GET"] == 0 and meter.counts["athena.query"] == 0
    assert meter.counts["dynamodb.read_units"] >= 3 * len(ciks)


@pytest.mark.parametrize("batch", [1, 3, 100])
def test_the_sync_costs_ceil_n_over_b_queries(runs: dict[str, Any], batch: int) -> None:
    from secfilings.workers.sec_smart_money_sync.worker import run_sync

    # index off: every fetch is a SQL query, counted by the DuckDB engine's meter
    settings = Settings(lake=str(runs["root"] / "after"), index_mode="off", batch_size=batch)
    with open_platform(settings) as platform, cost_meter() as meter:
        report = run_sync(platform)
    n = report.filings_fetched
    assert n > 1
    assert meter.counts["athena.query"] == 2 + math.ceil(n / batch)  # top_companies + window + fetches


def test_changing_the_rates_moves_every_figure(runs: dict[str, Any]) -> None:
    rates = _rates(runs)
    doubled = dict(rates, api_reads=2 * rates["api_reads"])
    one = daily_requests(runs["after"].parts, rates)
    two = daily_requests(runs["after"].parts, doubled)
    assert two["dynamodb.read_units"] > one["dynamodb.read_units"]
    assert daily_requests(runs["before"].parts, doubled)["s3.GET"] > 43_000_000


def test_cost_report_command_json_and_chart(tmp_path: Path) -> None:
    out = io.StringIO()
    chart = tmp_path / "cost.svg"
    assert run_cost_report(Settings(lake=str(tmp_path / "unused")), "seed", True, str(chart), out) == 0
    report = json.loads(out.getvalue())
    assert report["prices"] == "seed"
    for column in ("before", "after"):
        assert {"usd_per_day", "usd_per_month", "requests_per_day"} <= set(report[column])
        assert {"s3.GET", "s3.LIST", "athena.query", "dynamodb.read_units"} <= set(report[column]["requests_per_day"])
    assert abs(report["before"]["usd_per_day"] - 32.11) / 32.11 < 0.05
    assert report["checks"]["after: S3 GET from services and workers"] == 0
    assert chart.read_text().startswith("<svg")
    assert not (tmp_path / "unused").exists()  # the user's lake is never touched


def test_cost_report_refuses_a_bad_price_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "prices.toml"
    bad.write_text('"s3.GETS" = 1\n')
    out = io.StringIO()
    assert run_cost_report(Settings(lake=str(tmp_path / "lake")), str(bad), False, None, out) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(bad) in err and "s3.GETS" in err
    assert out.getvalue() == ""
