"""The before/after cost report: counted requests, scaled to daily traffic, priced.

``build_report`` turns two counted runs (before and after, per workload part), the rates and a
price table into a JSON-able dict; ``render_text`` prints it for people; ``run_cost_report`` is
the ``secfilings cost-report`` command (it runs the workload of :mod:`secfilings.cost.workload`).

JSON shape (stable)::

    {"prices": "<table name>", "prices_note": "...",
     "rates": {"api_reads": n, ...}, "rates_solved": [...], "workload": {...},
     "before": {"usd_per_day": x, "usd_per_month": x, "requests_per_day": {"s3.GET": n, ...},
                "usd_per_day_by_kind": {...}, "usd_per_month_by_kind": {...},
                "usd_per_day_by_service": {"s3": x, "athena": x, "dynamodb": x}},
     "after": {... same ...},
     "saving": {"usd_per_day", "usd_per_month", "usd_per_year", "percent"},
     "plan": {"before_usd_per_day": 32.11, "before_delta_percent": d,
              "after_usd_per_day": 3.40, "after_delta_usd_per_day": d, "after_differences": [...]},
     "calibrated": {"what", "rates_solved": {...}, "prices_from_plan": bool, "before_delta_percent": d, ...},
     "measured": {"what", "before_per_run": {part: {kind: n}}, "after_per_run": {...},
                  "after_to_before_per_part": {part: {kind: ratio | null}}, "after_usd_per_day", "saving_percent"}}

``calibrated`` holds what is fitted to the plan (the solved traffic, the seed prices, and so the
before column's agreement with the plan, true by construction); ``measured`` holds what the
counted runs found. ``plan.before_delta_percent`` is the same calibrated figure.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, TextIO

from secfilings.cost.arithmetic import (
    COUNTED_KINDS,
    DAYS_PER_MONTH,
    PartCounts,
    daily_requests,
    daily_usd,
    service_of,
)
from secfilings.cost.prices import PLAN, PLAN_AFTER_IMPLIED, PRICED_KINDS, PriceTable

__all__ = ["build_report", "render_text", "run_cost_report", "SERVICES"]

SERVICES = ("s3", "athena", "dynamodb")


def _column(parts: Mapping[str, PartCounts], rates: Mapping[str, float], table: PriceTable) -> dict[str, Any]:
    requests = daily_requests(parts, rates)
    usd = daily_usd(parts, rates, table)
    per_day = sum(usd.values())
    by_service = {service: 0.0 for service in SERVICES}
    for kind, amount in usd.items():
        by_service[service_of(kind)] = by_service.get(service_of(kind), 0.0) + amount
    return {
        "usd_per_day": per_day,
        "usd_per_month": per_day * DAYS_PER_MONTH,
        "requests_per_day": {kind: requests.get(kind, 0.0) for kind in COUNTED_KINDS},
        "usd_per_day_by_kind": usd,
        "usd_per_month_by_kind": {kind: amount * DAYS_PER_MONTH for kind, amount in usd.items()},
        "usd_per_day_by_service": by_service,
    }


_PLAN_KINDS = {"dynamodb.units": ("dynamodb.read_units", "dynamodb.write_units")}


def _main_part(after: Mapping[str, Any], kind: str) -> str | None:
    kinds = _PLAN_KINDS.get(kind, (kind,))
    shares = {name: sum(req.get(k, 0.0) for k in kinds) for name, req in after["requests_per_day_by_part"].items()}
    best = max(shares, key=lambda name: shares[name], default=None)
    return best if best is not None and shares[best] > 0 else None


def _plan_lines(after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The after column against the plan's after figures, line by line."""
    req = after["requests_per_day"]
    usd = after["usd_per_day_by_kind"]
    lines = [
        ("s3.GET", req["s3.GET"], usd["s3.GET"], 0.0, 0.0),
        ("s3.HEAD", req["s3.HEAD"], usd["s3.HEAD"], 0.0, 0.0),
        ("s3.PUT", req["s3.PUT"], usd["s3.PUT"], 0.0, 0.0),
        ("s3.LIST", req["s3.LIST"], usd["s3.LIST"], PLAN.after_list, PLAN.after_list_usd),
        ("athena.query", req["athena.query"], usd["athena.query"] + usd["athena.tb_scanned"],
         PLAN.after_athena_queries, PLAN.after_athena_usd),
        ("dynamodb.units", req["dynamodb.read_units"] + req["dynamodb.write_units"],
         usd["dynamodb.read_units"] + usd["dynamodb.write_units"],
         PLAN.after_dynamodb_requests, PLAN.after_dynamodb_usd),
    ]
    out = [
        {"kind": kind, "measured_per_day": m, "measured_usd_per_day": mu, "plan_per_day": p,
         "plan_usd_per_day": pu, "delta_usd_per_day": mu - pu, "mostly_from": _main_part(after, kind)}
        for kind, m, mu, p, pu in lines
    ]
    return sorted(out, key=lambda line: -abs(line["delta_usd_per_day"]))


def build_report(
    before: Mapping[str, PartCounts],
    after: Mapping[str, PartCounts],
    rates: Mapping[str, float],
    table: PriceTable,
    *,
    solved: tuple[str, ...] = (),
    workload: Mapping[str, Any] | None = None,
    checks: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole report as a JSON-able dict (see the module docstring)."""
    b = _column(before, rates, table)
    a = _column(after, rates, table)
    for column, parts in ((b, before), (a, after)):
        column["requests_per_day_by_part"] = {
            name: {kind: rates[name] * amount for kind, amount in part.counts.items()} for name, part in parts.items()
        }
    saving = b["usd_per_day"] - a["usd_per_day"]
    report: dict[str, Any] = {
        "prices": table.name,
        "prices_note": table.note,
        "prices_table": dict(table.prices),
        "rates": dict(rates),
        "rates_solved": list(solved),
        "days_per_month": DAYS_PER_MONTH,
        "workload": dict(workload or {}),
        "before": b,
        "after": a,
        "saving": {
            "usd_per_day": saving,
            "usd_per_month": saving * DAYS_PER_MONTH,
            "usd_per_year": saving * 365,
            "percent": 100.0 * saving / b["usd_per_day"] if b["usd_per_day"] else 0.0,
        },
        "plan": {
            "before_usd_per_day": PLAN.before_usd,
            "before_delta_percent": 100.0 * (b["usd_per_day"] - PLAN.before_usd) / PLAN.before_usd,
            "after_usd_per_day": PLAN.after_usd,
            "after_delta_usd_per_day": a["usd_per_day"] - PLAN.after_usd,
            "after_differences": _plan_lines(a),
            "after_implied_list_price": PLAN_AFTER_IMPLIED["s3.LIST"],
        },
    }
    report["calibrated"] = _calibrated(report, before, rates, table, solved)
    report["measured"] = _measured(report, before, after)
    if checks:
        report["checks"] = dict(checks)
    return report


def _calibrated(report: Mapping[str, Any], before: Mapping[str, PartCounts], rates: Mapping[str, float],
                table: PriceTable, solved: tuple[str, ...]) -> dict[str, Any]:
    """What was fitted to the plan: inputs of the report, never findings."""
    plan = report["plan"]
    return {
        "what": "inputs fitted to the plan's figures; they agree with the plan by construction",
        "rates_solved": {name: rates[name] for name in solved},
        "rates_solved_from": "the plan's before counts (43M GET and 2.5M LIST a day)" if solved else None,
        "prices": table.name,
        "prices_from_plan": table.name == "seed",
        "before_usd_per_day": report["before"]["usd_per_day"],
        "plan_before_usd_per_day": plan["before_usd_per_day"],
        "before_delta_percent": plan["before_delta_percent"],
    }


def _per_run(parts: Mapping[str, PartCounts]) -> dict[str, dict[str, float]]:
    return {name: {kind: part.counts.get(kind, 0.0) for kind in COUNTED_KINDS if part.counts.get(kind, 0.0)}
            for name, part in parts.items()}


def _measured(report: Mapping[str, Any], before: Mapping[str, PartCounts], after: Mapping[str, PartCounts]) -> dict[str, Any]:
    """What the counted runs found: per-part counts of one run each way, their ratios, the after column."""
    b, a = _per_run(before), _per_run(after)
    ratios: dict[str, dict[str, float | None]] = {}
    for name in b:
        kinds = sorted(set(b[name]) | set(a.get(name, {})))
        ratios[name] = {
            kind: (a.get(name, {}).get(kind, 0.0) / b[name][kind]) if b[name].get(kind) else None for kind in kinds
        }
    return {
        "what": "counted requests of the same workload run both ways; the after column is these counts at the calibrated rates",
        "before_per_run": b,
        "after_per_run": a,
        "after_to_before_per_part": ratios,
        "after_usd_per_day": report["after"]["usd_per_day"],
        "saving_percent": report["saving"]["percent"],
    }


# -- text ---------------------------------------------------------------------------------------


def _n(value: float) -> str:
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _bytes(value: float) -> str:
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if value >= size:
            return f"{value / size:,.1f} {unit}"
    return f"{value:,.0f} B"


def _usd(value: float) -> str:
    return f"-${-value:,.2f}" if value < -0.005 else f"${abs(value):,.2f}"


_ROWS = (
    # (service, label, request kind, priced kinds)
    ("s3", "GET", "s3.GET", ("s3.GET",)),
    ("s3", "HEAD", "s3.HEAD", ("s3.HEAD",)),
    ("s3", "PUT", "s3.PUT", ("s3.PUT",)),
    ("s3", "LIST", "s3.LIST", ("s3.LIST",)),
    ("s3", "DELETE", "s3.DELETE", ("s3.DELETE",)),
    ("athena", "queries", "athena.query", ("athena.query",)),
    ("athena", "scanned", "athena.bytes_scanned", ("athena.tb_scanned",)),
    ("dynamodb", "read units", "dynamodb.read_units", ("dynamodb.read_units",)),
    ("dynamodb", "write units", "dynamodb.write_units", ("dynamodb.write_units",)),
)


def render_text(report: Mapping[str, Any]) -> str:
    b, a = report["before"], report["after"]
    lines = [
        "secfilings cost report: the same workload before and after the ban, counted request by request",
        f"prices: {report['prices']} ({report['prices_note']})",
        "traffic (calibrated: workload runs a day"
        + (f"; {', '.join(report['rates_solved'])} solved so the before run makes the plan's 43M GET and 2.5M LIST a day" if report["rates_solved"] else "")
        + "):",
    ]
    for name, rate in report["rates"].items():
        what = report["workload"].get(name, {}).get("description", "") if isinstance(report["workload"].get(name), dict) else ""
        lines.append(f"  {name:<17} {rate:>14,.1f}/day  {what}")
    lines.append("")
    header = f"{'service':<9}{'kind':<12}{'before/day':>16}{'before $/day':>14}{'after/day':>16}{'after $/day':>13}{'saving $/day':>14}"
    lines.append(header)
    lines.append("-" * len(header))
    for service, label, kind, priced in _ROWS:
        bn, an = b["requests_per_day"].get(kind, 0.0), a["requests_per_day"].get(kind, 0.0)
        bu = sum(b["usd_per_day_by_kind"].get(k, 0.0) for k in priced)
        au = sum(a["usd_per_day_by_kind"].get(k, 0.0) for k in priced)
        if not (bn or an or bu or au):
            continue
        fmt = _bytes if kind.endswith("bytes_scanned") else _n
        lines.append(f"{service:<9}{label:<12}{fmt(bn):>16}{_usd(bu):>14}{fmt(an):>16}{_usd(au):>13}{_usd(bu - au):>14}")
    lines.append("-" * len(header))
    for service in SERVICES:
        bu, au = b["usd_per_day_by_service"][service], a["usd_per_day_by_service"][service]
        lines.append(f"{service + ' total':<21}{'':>16}{_usd(bu):>14}{'':>16}{_usd(au):>13}{_usd(bu - au):>14}")
    lines.append(f"{'TOTAL per day':<21}{'':>16}{_usd(b['usd_per_day']):>14}{'':>16}{_usd(a['usd_per_day']):>13}{_usd(b['usd_per_day'] - a['usd_per_day']):>14}")
    lines.append(f"{'TOTAL per month (30d)':<21}{'':>16}{_usd(b['usd_per_month']):>14}{'':>16}{_usd(a['usd_per_month']):>13}{_usd(b['usd_per_month'] - a['usd_per_month']):>14}")
    s = report["saving"]
    lines.append("")
    lines.append(
        f"saving: {_usd(s['usd_per_day'])}/day, {_usd(s['usd_per_month'])}/month, {_usd(s['usd_per_year'])}/year ({s['percent']:.1f}%)"
    )
    lines.extend(_measured_text(report))
    lines.extend(_plan_text(report))
    checks = report.get("checks") or {}
    if checks:
        lines.append("")
        lines.append("checks on the counted runs:")
        for name, value in checks.items():
            lines.append(f"  {name}: {value}")
    return "\n".join(lines) + "\n"


def _plan_text(report: Mapping[str, Any]) -> list[str]:
    plan = report["plan"]
    b, a = report["before"], report["after"]
    calibrated = report.get("calibrated") or {}
    inputs = []
    if calibrated.get("rates_solved"):
        inputs.append(f"the traffic ({', '.join(calibrated['rates_solved'])}) is solved from the plan's before counts")
    if calibrated.get("prices_from_plan"):
        inputs.append("the seed prices are the plan's dollars divided by its counts")
    out = [
        "",
        "calibrated, not a finding: " + ("; ".join(inputs) if inputs else "nothing is solved from the plan in this run")
        + ", so the before column matches the plan by construction:",
        f"  before {_usd(b['usd_per_day'])}/day vs the plan's {_usd(plan['before_usd_per_day'])}/day "
        f"({plan['before_delta_percent']:+.1f}%, calibrated)"
        + ("" if report["prices"] == "seed" else " -- the plan priced at its own (seed) prices; run --prices seed to compare like for like"),
        "the after column (measured counts at the calibrated traffic) against the plan's after column:",
        f"  after {_usd(a['usd_per_day'])}/day vs the plan's ~{_usd(plan['after_usd_per_day'])}/day "
        f"({plan['after_delta_usd_per_day']:+,.2f} $/day); where they differ:",
    ]
    for line in plan["after_differences"]:
        if abs(line["delta_usd_per_day"]) < 0.005 and line["measured_per_day"] == line["plan_per_day"]:
            continue
        out.append(
            f"    {line['kind']:<15} {_n(line['measured_per_day']):>14}/day {_usd(line['measured_usd_per_day']):>9}"
            f"   plan {_n(line['plan_per_day']):>11}/day {_usd(line['plan_usd_per_day']):>7}   ({line['delta_usd_per_day']:+,.2f} $/day)"
            + (f" mostly {line['mostly_from']}" if line["mostly_from"] else "")
        )
    out.append(
        f"  note: the plan's after column prices LIST at ${plan['after_implied_list_price'] * 1e6:.2f}/M, "
        f"its before column at ${PLAN.before_list_usd / PLAN.before_list * 1e6:.2f}/M; DynamoDB is counted here "
        "in capacity units, the plan counts requests"
    )
    return out


def _measured_text(report: Mapping[str, Any]) -> list[str]:
    measured = report.get("measured")
    if not measured:
        return []
    out = ["", "measured (one counted run each way, per part; after/before):"]
    for name, ratios in measured["after_to_before_per_part"].items():
        cells = []
        for kind, ratio in ratios.items():
            before = measured["before_per_run"].get(name, {}).get(kind, 0.0)
            after = measured["after_per_run"].get(name, {}).get(kind, 0.0)
            if kind.endswith("bytes_scanned"):
                continue
            cells.append(f"{kind} {_n(before)} -> {_n(after)}" + (f" ({ratio:.2f}x)" if ratio is not None else " (new)"))
        out.append(f"  {name:<17} " + ("; ".join(cells) if cells else "no requests"))
    return out


def write_json(report: Mapping[str, Any], out: TextIO) -> None:
    json.dump(report, out, indent=2, sort_keys=False)
    out.write("\n")


def run_cost_report(
    settings: Any,
    prices: str | None,
    as_json: bool,
    chart: str | None,
    out: TextIO,
    *,
    rates: Mapping[str, float] | None = None,
) -> int:
    """``secfilings cost-report``: run the workload both ways, print the report. Exit status 0,
    2 for a bad price table, rates or chart path (one line on stderr)."""
    import sys

    from runtime_guard.policy import PolicyError
    from secfilings.cost.chart import write_chart
    from secfilings.cost.prices import load_prices
    from secfilings.cost.workload import measure
    from secfilings.errors import SecfilingsError

    try:
        table = load_prices(prices)
        measured = measure(settings, rates=rates)
        report = build_report(measured.before, measured.after, measured.rates, table, solved=measured.solved,
                              workload=measured.workload, checks=measured.checks)
        if chart:
            write_chart(report, chart)
    except (PolicyError, SecfilingsError) as error:
        print(f"secfilings cost-report: {error}", file=sys.stderr)
        return 2
    if as_json:
        write_json(report, out)
    else:
        out.write(render_text(report))
        if chart:
            out.write(f"chart: {chart}\n")
    return 0


__all__ += ["write_json", "PRICED_KINDS"]
