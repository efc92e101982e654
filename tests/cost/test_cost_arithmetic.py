"""Price tables, scaling, rate solving, the report dict and the SVG chart (pure functions)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from runtime_guard.policy import PolicyError
from secfilings.cost.arithmetic import PartCounts, ReportError, daily_requests, daily_usd, solve_rates
from secfilings.cost.chart import render_svg, write_chart
from secfilings.cost.prices import LIST_PRICES, SEED_PRICES, PriceTable, billed_athena_bytes, load_prices
from secfilings.cost.report import build_report, render_text
from secfilings.errors import SecfilingsError
from secfilings.meter import cost_meter, record


def test_list_prices_are_the_us_east_1_figures() -> None:
    p = LIST_PRICES.prices
    assert p["s3.GET"] * 1000 == pytest.approx(0.0004)
    assert p["s3.PUT"] * 1000 == pytest.approx(0.005)
    assert p["s3.LIST"] * 1000 == pytest.approx(0.005)
    assert p["athena.tb_scanned"] == 5.0 and p["athena.min_mb_per_query"] == 10.0
    assert p["dynamodb.read_units"] * 1e6 == pytest.approx(0.125)
    assert p["dynamodb.write_units"] * 1e6 == pytest.approx(0.625)


def test_seed_prices_reproduce_the_plans_before_figures() -> None:
    usd = SEED_PRICES.cost({"s3.GET": 43_000_000, "s3.LIST": 2_500_000})
    assert usd["s3.GET"] == pytest.approx(18.41)
    assert usd["s3.LIST"] == pytest.approx(13.70)
    assert sum(usd.values()) == pytest.approx(32.11)


def test_athena_bills_a_minimum_per_query_rounded_to_the_megabyte() -> None:
    # one big query, one tiny, one never reported: 1,000,000,001 B -> 1001 MB; 10 MB; 10 MB
    billed = billed_athena_bytes({"athena.query": 3}, [1_000_000_001, 5], 10)
    assert billed == (1001 + 10 + 10) * 10**6
    usd = LIST_PRICES.cost({"athena.query": 3}, [1_000_000_001, 5])
    assert usd["athena.tb_scanned"] == pytest.approx(1021e6 / 1e12 * 5)


def test_meter_cost_uses_the_recorded_counts() -> None:
    with cost_meter() as meter:
        record("s3.GET", 1000)
        record("dynamodb.read_units", 2_000_000)
    usd = meter.cost("list")
    assert usd["s3.GET"] == pytest.approx(0.0004)
    assert usd["dynamodb.read_units"] == pytest.approx(0.25)
    assert meter.cost({"s3.GET": 0.001})["s3.GET"] == pytest.approx(1.0)


def test_a_user_table_from_a_pyproject_and_from_a_bare_toml(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.costguard.prices]\n"s3.GET" = 0.000001\n')
    table = load_prices(str(pyproject))
    assert table.name == str(pyproject)
    assert table.prices["s3.GET"] == 0.000001
    assert table.prices["s3.LIST"] == LIST_PRICES.prices["s3.LIST"]  # not named: list price
    bare = tmp_path / "prices.toml"
    bare.write_text('"s3.LIST" = 0.00001\n"dynamodb.read_units" = 0\n')
    assert load_prices(str(bare)).prices["s3.LIST"] == 0.00001


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('"s3.FETCH" = 1\n', "s3.FETCH: unknown request kind"),
        ('"s3.GET" = -1\n', "s3.GET: expected a non-negative number"),
        ('"s3.GET" = "cheap"\n', "s3.GET: expected a non-negative number"),
        ("[tool.other]\nx = 1\n", "no [tool.costguard.prices] table"),
        ("not toml ===\n", "not valid TOML"),
    ],
)
def test_a_bad_price_table_is_named_in_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(content)
    with pytest.raises(PolicyError) as info:
        load_prices(str(path))
    assert str(path) in str(info.value) and message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_missing_price_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="no such price table"):
        load_prices(str(tmp_path / "absent.toml"))


def _parts() -> dict[str, PartCounts]:
    return {
        "api_reads": PartCounts({"s3.GET": 40, "s3.LIST": 1}),
        "worker_runs": PartCounts({"s3.GET": 10, "s3.LIST": 2, "s3.PUT": 30}),
        "partition_checks": PartCounts({"s3.LIST": 5}),
    }


def test_daily_figures_are_rate_times_count() -> None:
    rates = {"api_reads": 1000, "worker_runs": 24, "partition_checks": 10}
    req = daily_requests(_parts(), rates)
    assert req == {"s3.GET": 40_000 + 240, "s3.LIST": 1000 + 48 + 50, "s3.PUT": 720}
    usd = daily_usd(_parts(), rates, LIST_PRICES)
    assert usd["s3.PUT"] == pytest.approx(720 * 0.005 / 1000)


def test_the_solved_rates_make_the_before_run_match_the_plan() -> None:
    rates = solve_rates(_parts(), {"worker_runs": 24})
    assert rates["worker_runs"] == 24
    req = daily_requests(_parts(), rates)
    assert req["s3.GET"] == pytest.approx(43_000_000)
    assert req["s3.LIST"] == pytest.approx(2_500_000)
    # a different workload moves the rates
    other = _parts()
    other["api_reads"] = PartCounts({"s3.GET": 80, "s3.LIST": 1})
    assert solve_rates(other, {"worker_runs": 24})["api_reads"] == pytest.approx(rates["api_reads"] / 2, rel=1e-3)


def test_unsolvable_rates_are_refused_with_a_reason() -> None:
    lists_too_much = _parts()
    lists_too_much["api_reads"] = PartCounts({"s3.GET": 1, "s3.LIST": 1})
    with pytest.raises(ReportError, match="no non-negative rate for 'partition_checks'"):
        solve_rates(lists_too_much, {"worker_runs": 24})
    with pytest.raises(ReportError, match="cannot solve 1 rates"):
        solve_rates(_parts(), {"worker_runs": 24, "partition_checks": 1})
    with pytest.raises(ReportError, match="no daily rate"):
        daily_requests(_parts(), {"api_reads": 1})


def _report(table: PriceTable = SEED_PRICES) -> dict:
    before = _parts()
    after = {
        "api_reads": PartCounts({"dynamodb.read_units": 10}),
        "worker_runs": PartCounts({"s3.PUT": 30, "dynamodb.write_units": 12, "athena.query": 2}, [1e6, 2e6]),
        "partition_checks": PartCounts({"s3.LIST": 5}),
    }
    rates = solve_rates(before, {"worker_runs": 24})
    return build_report(before, after, rates, table, solved=("api_reads", "partition_checks"))


def test_the_report_json_has_the_documented_keys_and_sums() -> None:
    report = json.loads(json.dumps(_report()))
    assert report["prices"] == "seed"
    for column in ("before", "after"):
        col = report[column]
        assert col["usd_per_month"] == pytest.approx(30 * col["usd_per_day"])
        assert col["usd_per_day"] == pytest.approx(sum(col["usd_per_day_by_kind"].values()))
        for kind in ("s3.GET", "s3.LIST", "athena.query", "dynamodb.read_units"):
            assert kind in col["requests_per_day"]
    assert report["before"]["requests_per_day"]["s3.GET"] == pytest.approx(43_000_000)
    # GET + LIST at seed prices are the plan's $32.11; PUTs add a little
    extra = report["before"]["usd_per_day_by_kind"]["s3.PUT"]
    assert report["before"]["usd_per_day"] == pytest.approx(32.11 + extra)
    assert report["saving"]["usd_per_day"] == pytest.approx(report["before"]["usd_per_day"] - report["after"]["usd_per_day"])
    kinds = {line["kind"] for line in report["plan"]["after_differences"]}
    assert {"s3.LIST", "athena.query", "dynamodb.units", "s3.GET"} <= kinds


def test_the_text_names_the_table_and_the_plan_gap() -> None:
    text = render_text(_report(LIST_PRICES))
    assert "prices: list (current us-east-1 list prices" in text
    assert "vs the plan's $32.11/day" in text and "run --prices seed" in text
    assert "TOTAL per month (30d)" in text


def test_calibrated_and_measured_are_apart_in_json_and_text() -> None:
    report = json.loads(json.dumps(_report()))
    calibrated, measured = report["calibrated"], report["measured"]
    assert set(calibrated["rates_solved"]) == {"api_reads", "partition_checks"} and calibrated["prices_from_plan"] is True
    assert calibrated["before_delta_percent"] == report["plan"]["before_delta_percent"]
    assert measured["before_per_run"]["worker_runs"] == {"s3.GET": 10, "s3.LIST": 2, "s3.PUT": 30}
    assert measured["after_to_before_per_part"]["worker_runs"]["s3.PUT"] == 1.0
    assert measured["after_to_before_per_part"]["worker_runs"]["s3.GET"] == 0.0
    assert measured["after_to_before_per_part"]["api_reads"]["dynamodb.read_units"] is None  # new in the after run
    assert measured["after_usd_per_day"] == report["after"]["usd_per_day"]
    text = render_text(_report())
    calibrated_at = text.index("calibrated, not a finding: the traffic (api_reads, partition_checks) is solved")
    assert "the seed prices are the plan's dollars divided by its counts" in text
    assert text.index("measured (one counted run each way") < calibrated_at
    assert "(+0.0%, calibrated)" in text and "against the plan:" not in text
    assert "  worker_runs       " in text and "s3.PUT 30 -> 30 (1.00x)" in text
    assert "nothing is solved from the plan" in render_text(build_report(_parts(), _parts(), {"api_reads": 1, "worker_runs": 1, "partition_checks": 1}, LIST_PRICES))


def test_the_chart_is_valid_svg_with_get_and_list_apart_and_the_saving(tmp_path: Path) -> None:
    report = _report()
    root = ET.fromstring(render_svg(report))
    bars = [e for e in root.iter("{http://www.w3.org/2000/svg}rect") if e.get("data-service")]
    assert sorted((e.get("data-service"), e.get("class")) for e in bars) == sorted(
        (s, c) for s in ("s3 GET", "s3 LIST", "s3 PUT", "athena", "dynamodb", "total") for c in ("before", "after")
    )
    get_before = next(e for e in bars if e.get("data-service") == "s3 GET" and e.get("class") == "before")
    get_after = next(e for e in bars if e.get("data-service") == "s3 GET" and e.get("class") == "after")
    assert float(get_before.get("height")) > 0 == float(get_after.get("height"))  # the after run makes no GET
    saving = next(e for e in root.iter("{http://www.w3.org/2000/svg}text") if e.get("class") == "saving")
    assert saving.text == f"saving ${report['saving']['usd_per_day']:,.2f}/day ({report['saving']['percent']:.1f}%)"
    total_before = next(e for e in bars if e.get("data-service") == "total" and e.get("class") == "before")
    total_after = next(e for e in bars if e.get("data-service") == "total" and e.get("class") == "after")
    assert float(total_before.get("height")) > float(total_after.get("height"))
    target = write_chart(report, tmp_path / "cost.svg")
    assert target.read_text().startswith("<svg")
    with pytest.raises(SecfilingsError, match="name it with .svg"):
        write_chart(report, tmp_path / "cost.png")
    with pytest.raises(SecfilingsError, match="cannot write the chart"):
        write_chart(report, tmp_path / "missing-dir" / "cost.svg")
