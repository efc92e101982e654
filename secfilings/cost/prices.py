"""Price tables of the cost report: the tool side's tables (``runtime_guard.prices``) plus the plan's ``seed``.

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

import os
from dataclasses import dataclass
from typing import Mapping

from runtime_guard.prices import LIST_PRICES, MB, PRICED_KINDS, TB, PriceTable, billed_athena_bytes
from runtime_guard.prices import load_prices as _load_prices

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
    "billed_athena_bytes",
]


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


SEED_PRICES = PriceTable(
    "seed",
    dict(_SEED),
    "implied by the plan: $18.41/43M GET, $13.70/2.5M LIST (PUT as LIST, HEAD as GET), "
    "$0.50/100 Athena queries, $0.25/1M DynamoDB units",
    date="the plan's figures",
)

_NAMED: Mapping[str, PriceTable] = {"seed": SEED_PRICES}


def load_prices(spec: "str | os.PathLike[str] | None") -> PriceTable:
    """``list`` (default), ``seed``, or a TOML file (a pyproject.toml or a bare price table).

    Raises ``PolicyError`` (one line naming the file and the key) for a bad table or file.
    """
    return _load_prices(spec, _NAMED)
