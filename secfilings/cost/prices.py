"""Price tables: USD per single request (or unit) for each request kind of the cost report.

Keys (validated by ``runtime_guard.policy.parse_prices``, the same loader as ``[tool.costguard]``):

=========================  ==================================================================
``s3.GET``, ``s3.HEAD``    USD per request (GET class)
``s3.PUT``, ``s3.LIST``    USD per request (PUT/COPY/POST/LIST class)
``s3.DELETE``              USD per request (free on S3)
``athena.query``           USD per query (a flat fee; 0 on AWS, used by the ``seed`` table)
``athena.tb_scanned``      USD per terabyte (10**12 bytes) scanned
``athena.min_mb_per_query`` minimum megabytes billed per query (a size, not a price)
``dynamodb.read_units``    USD per read request unit (on-demand)
``dynamodb.write_units``   USD per write request unit (on-demand)
=========================  ==================================================================

Tables:

* ``list`` -- the current us-east-1 list prices (S3 Standard, Athena SQL, DynamoDB on-demand).
* ``seed`` -- the prices implied by the plan's own figures: $18.41 for 43M GET and $13.70 for
  2.5M LIST a day; HEAD is billed like GET and PUT like LIST. For the after column the plan
  writes ~100 Athena queries = $0.50 (so $0.005 a query, scans not priced) and ~1M DynamoDB
  requests = $0.25 ($0.25 per million units). The plan's after figures imply a slightly different
  LIST price: $2.65 for ~500K LIST is $5.30 per million, not the $5.48 of its before column
  (:data:`PLAN_AFTER_IMPLIED`).
* a file: a ``pyproject.toml`` with ``[tool.costguard.prices]``, or a TOML file holding the same
  keys at its top level (or under ``[prices]``). Kinds it does not name keep their list price.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from runtime_guard.policy import PolicyError, parse_prices

if sys.version_info >= (3, 11):  # pragma: no cover - depends on the interpreter
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "PriceTable",
    "LIST_PRICES",
    "SEED_PRICES",
    "PLAN_AFTER_IMPLIED",
    "PLAN",
    "load_prices",
    "PRICED_KINDS",
    "TB",
    "MB",
]

TB = 10**12
MB = 10**6

# The kinds that cost money, in report order; athena.tb_scanned is priced from athena.bytes_scanned.
PRICED_KINDS = (
    "s3.GET",
    "s3.HEAD",
    "s3.PUT",
    "s3.LIST",
    "s3.DELETE",
    "athena.query",
    "athena.tb_scanned",
    "dynamodb.read_units",
    "dynamodb.write_units",
)

_LIST = {
    "s3.GET": 0.0004 / 1000,
    "s3.HEAD": 0.0004 / 1000,
    "s3.PUT": 0.005 / 1000,
    "s3.LIST": 0.005 / 1000,
    "s3.DELETE": 0.0,
    "athena.query": 0.0,
    "athena.tb_scanned": 5.0,
    "athena.min_mb_per_query": 10.0,
    "dynamodb.read_units": 0.125 / 1_000_000,
    "dynamodb.write_units": 0.625 / 1_000_000,
}


@dataclass(frozen=True)
class PlanFigures:
    """The figures the plan typed in (per day), used only to check the report against them."""

    before_get: float = 43_000_000
    before_list: float = 2_500_000
    before_get_usd: float = 18.41
    before_list_usd: float = 13.70
    before_usd: float = 32.11
    after_list: float = 500_000
    after_list_usd: float = 2.65
    after_athena_queries: float = 100
    after_athena_usd: float = 0.50
    after_dynamodb_requests: float = 1_000_000
    after_dynamodb_usd: float = 0.25
    after_usd: float = 3.40


PLAN = PlanFigures()

_SEED = {
    "s3.GET": PLAN.before_get_usd / PLAN.before_get,
    "s3.HEAD": PLAN.before_get_usd / PLAN.before_get,
    "s3.LIST": PLAN.before_list_usd / PLAN.before_list,
    "s3.PUT": PLAN.before_list_usd / PLAN.before_list,
    "s3.DELETE": 0.0,
    "athena.query": PLAN.after_athena_usd / PLAN.after_athena_queries,
    "athena.tb_scanned": 0.0,
    "athena.min_mb_per_query": 0.0,
    "dynamodb.read_units": PLAN.after_dynamodb_usd / PLAN.after_dynamodb_requests,
    "dynamodb.write_units": PLAN.after_dynamodb_usd / PLAN.after_dynamodb_requests,
}

# What the plan's after column implies where it disagrees with the seed (before-derived) prices.
PLAN_AFTER_IMPLIED = {"s3.LIST": PLAN.after_list_usd / PLAN.after_list}


@dataclass(frozen=True)
class PriceTable:
    """A named price table; ``prices`` holds every key of ``runtime_guard.policy.PRICE_KEYS``."""

    name: str
    prices: Mapping[str, float]
    note: str = ""
    overrides: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def with_defaults(cls, name: str, prices: Mapping[str, float], note: str = "") -> "PriceTable":
        """``prices`` on top of the list prices (kinds not named keep their list price)."""
        checked = parse_prices(None, dict(prices), where=name)
        return cls(name, {**_LIST, **checked}, note, frozenset(checked))

    def cost(self, counts: Mapping[str, float], athena_scans: Sequence[float] = ()) -> dict[str, float]:
        """USD per priced kind for ``counts`` (``athena_scans``: each query's bytes, if known).

        Athena bills each query at least ``athena.min_mb_per_query`` MB, rounded up to the MB;
        queries whose scan was never reported are billed the minimum.
        """
        p = self.prices
        usd: dict[str, float] = {}
        for kind in ("s3.GET", "s3.HEAD", "s3.PUT", "s3.LIST", "s3.DELETE", "athena.query",
                     "dynamodb.read_units", "dynamodb.write_units"):
            usd[kind] = counts.get(kind, 0) * p.get(kind, 0.0)
        usd["athena.tb_scanned"] = billed_athena_bytes(counts, athena_scans, p.get("athena.min_mb_per_query", 0.0)) / TB * p.get("athena.tb_scanned", 0.0)
        return usd

    def describe(self) -> str:
        """One line: the table's name and where it came from."""
        return f"{self.name} ({self.note})" if self.note else self.name


def billed_athena_bytes(counts: Mapping[str, float], scans: Sequence[float], min_mb: float) -> float:
    """Bytes Athena bills: each query's scan rounded up to the MB, at least ``min_mb`` MB."""
    minimum = min_mb * MB
    queries = counts.get("athena.query", 0)
    if scans:
        billed = sum(max(math.ceil(b / MB) * MB, minimum) for b in scans)
        missing = max(0.0, queries - len(scans))
    else:  # only a total is known
        billed = math.ceil(counts.get("athena.bytes_scanned", 0) / MB) * MB
        billed = max(billed, queries * minimum)
        missing = 0.0
    return billed + missing * minimum


LIST_PRICES = PriceTable(
    "list", dict(_LIST), "current us-east-1 list prices: S3 Standard, Athena $5/TB (10 MB minimum), DynamoDB on-demand"
)
SEED_PRICES = PriceTable(
    "seed",
    dict(_SEED),
    "implied by the plan: $18.41/43M GET, $13.70/2.5M LIST (PUT as LIST, HEAD as GET), "
    "$0.50/100 Athena queries, $0.25/1M DynamoDB units",
)


def load_prices(spec: str | os.PathLike[str] | None) -> PriceTable:
    """``list`` (default), ``seed``, or a TOML file (a pyproject.toml or a bare price table).

    Raises ``PolicyError`` (one line naming the file and the key) for a bad table or file.
    """
    if spec is None or str(spec) == "list":
        return LIST_PRICES
    if str(spec) == "seed":
        return SEED_PRICES
    path = Path(spec)
    try:
        with open(path, "rb") as handle:
            document: dict[str, Any] = tomllib.load(handle)
    except FileNotFoundError:
        raise PolicyError(path, "file", "no such price table (expected list, seed or a TOML file)") from None
    except OSError as exc:
        raise PolicyError(path, "file", f"cannot read the price table ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(path, "toml", f"not valid TOML ({exc})") from None
    tool = document.get("tool")
    costguard = tool.get("costguard") if isinstance(tool, dict) else None
    if isinstance(costguard, dict) and "prices" in costguard:
        table, where = costguard["prices"], "tool.costguard.prices"
    elif "prices" in document:
        table, where = document["prices"], "prices"
    elif path.name == "pyproject.toml" or isinstance(tool, dict):
        raise PolicyError(path, "tool.costguard.prices", "no [tool.costguard.prices] table in this file")
    else:
        table, where = document, "prices"
    checked = parse_prices(path, table, where=where)
    if not checked:
        raise PolicyError(path, where, "the price table is empty")
    return PriceTable(
        str(path), {**_LIST, **checked}, f"{where} from {path}; other kinds at list prices", frozenset(checked)
    )
