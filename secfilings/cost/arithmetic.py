"""The report's arithmetic: scale counted runs to daily traffic and price them (pure functions).

A *run* is what one path (before or after) of the workload requested, per part of the workload
(``api_reads``, ``worker_runs``, ``partition_checks``): counts by kind and Athena's per-query
scans. *Rates* say how many times a day each part runs. A daily figure is the sum over parts of
rate x counted amount, so changing the workload or the rates moves every figure.

The default rates are solved: with some parts' rates fixed, the remaining ones are the solution
of "the before run, at these rates, makes the plan's 43M GET and 2.5M LIST a day".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from secfilings.cost.prices import PLAN, PRICED_KINDS, PriceTable
from secfilings.errors import SecfilingsError

__all__ = [
    "PartCounts",
    "ReportError",
    "DAYS_PER_MONTH",
    "PLAN_TARGETS",
    "daily_requests",
    "daily_usd",
    "solve_rates",
    "service_of",
    "COUNTED_KINDS",
]

DAYS_PER_MONTH = 30  # the plan's month: $32.11/day = $963/month
PLAN_TARGETS = {"s3.GET": PLAN.before_get, "s3.LIST": PLAN.before_list}

# The request kinds the report shows, in order (bytes are shown, not priced directly).
COUNTED_KINDS = (
    "s3.GET",
    "s3.HEAD",
    "s3.PUT",
    "s3.LIST",
    "s3.DELETE",
    "s3.bytes_out",
    "s3.bytes_in",
    "athena.query",
    "athena.bytes_scanned",
    "dynamodb.read_units",
    "dynamodb.write_units",
)


class ReportError(SecfilingsError):
    """Rates that cannot be solved or used; the message says which and why."""


@dataclass
class PartCounts:
    """What one part of the workload requested in one run."""

    counts: dict[str, float] = field(default_factory=dict)
    athena_scans: list[float] = field(default_factory=list)

    def cost(self, table: PriceTable) -> dict[str, float]:
        return table.cost(self.counts, self.athena_scans)


def service_of(kind: str) -> str:
    return kind.split(".", 1)[0]


def _check_rates(parts: Mapping[str, PartCounts], rates: Mapping[str, float]) -> None:
    for name in parts:
        if name not in rates:
            raise ReportError(f"no daily rate for the workload part {name!r}")
        rate = rates[name]
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate < 0:
            raise ReportError(f"rate of {name!r}: expected a non-negative number of runs a day, got {rate!r}")


def daily_requests(parts: Mapping[str, PartCounts], rates: Mapping[str, float]) -> dict[str, float]:
    """Requests (or units, or bytes) a day per kind."""
    _check_rates(parts, rates)
    total: dict[str, float] = {}
    for name, part in parts.items():
        for kind, amount in part.counts.items():
            total[kind] = total.get(kind, 0.0) + rates[name] * amount
    return total


def daily_usd(parts: Mapping[str, PartCounts], rates: Mapping[str, float], table: PriceTable) -> dict[str, float]:
    """USD a day per priced kind (each part priced on its own run, then scaled)."""
    _check_rates(parts, rates)
    total = {kind: 0.0 for kind in PRICED_KINDS}
    for name, part in parts.items():
        for kind, usd in part.cost(table).items():
            total[kind] = total.get(kind, 0.0) + rates[name] * usd
    return total


def solve_rates(
    before: Mapping[str, PartCounts],
    fixed: Mapping[str, float],
    targets: Mapping[str, float] = PLAN_TARGETS,
) -> dict[str, float]:
    """Rates at which ``before`` makes ``targets`` a day, the ``fixed`` parts' rates given.

    As many parts must be free as there are targets (two: GET and LIST). Raises ``ReportError``
    when the counts admit no solution with non-negative rates.
    """
    free = [name for name in before if name not in fixed]
    kinds = list(targets)
    if len(free) != len(kinds):
        raise ReportError(
            f"cannot solve {len(free)} rates ({', '.join(free) or 'none'}) from {len(kinds)} targets ({', '.join(kinds)})"
        )
    _check_rates({n: before[n] for n in fixed if n in before}, fixed)
    # residual target after the fixed parts
    rhs = [targets[k] - sum(fixed[n] * before[n].counts.get(k, 0.0) for n in fixed if n in before) for k in kinds]
    matrix = [[before[n].counts.get(k, 0.0) for n in free] for k in kinds]
    solution = _solve(matrix, rhs)
    if solution is None:
        raise ReportError(
            "the before run's counts cannot be scaled to the plan's traffic: the parts "
            f"{', '.join(free)} make {', '.join(kinds)} in the same proportion"
        )
    rates = dict(fixed)
    for name, rate in zip(free, solution):
        if rate < 0:
            raise ReportError(
                f"no non-negative rate for {name!r} makes the before run match the plan "
                f"({', '.join(f'{k} {targets[k]:,.0f}/day' for k in kinds)}): the workload's request mix "
                "does not fit; change the workload or give the rates"
            )
        rates[name] = rate
    return {name: rates[name] for name in before}


def _solve(matrix: Sequence[Sequence[float]], rhs: Sequence[float]) -> list[float] | None:
    """Gaussian elimination with partial pivoting; None when singular."""
    n = len(rhs)
    a = [list(row) + [rhs[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) < 1e-12:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(n):
            if r != col:
                factor = a[r][col] / a[col][col]
                a[r] = [x - factor * y for x, y in zip(a[r], a[col])]
    return [a[i][n] / a[i][i] for i in range(n)]
