"""Price tables for billing kinds: USD per request (or unit), standard library only.

The meter (``costguard meter``), CG201's messages and the platform's cost report all price
through these tables. Billing kinds:

=========================  ==================================================================
``s3.GET``, ``s3.HEAD``    USD per request (GET class)
``s3.PUT``, ``s3.LIST``    USD per request (PUT/COPY/POST/LIST class)
``s3.DELETE``              USD per request (free on S3)
``athena.query``           USD per query (a flat fee; 0 on AWS)
``athena.tb_scanned``      USD per terabyte (10**12 bytes) scanned, priced from ``athena.bytes_scanned``
``athena.min_mb_per_query`` minimum megabytes billed per query (a size, not a price)
``dynamodb.read_units``    USD per read request unit (on-demand)
``dynamodb.write_units``   USD per write request unit (on-demand)
=========================  ==================================================================

``list`` is the us-east-1 list price table (its date and region are part of the table); a file
is a ``pyproject.toml`` with ``[tool.costguard.prices]``, or a TOML file holding the same keys at
its top level (or under ``[prices]``); kinds it does not name keep their list price.
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
    "LIST",
    "PRICED_KINDS",
    "TB",
    "MB",
    "billed_athena_bytes",
    "load_price_file",
    "load_prices",
    "per_thousand",
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

LIST = {
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
# The list prices above are those in effect since 2024-11-01 (DynamoDB on-demand was cut then;
# S3 Standard and Athena SQL were unchanged).
LIST_DATE = "in effect since 2024-11-01"
LIST_REGION = "us-east-1"


@dataclass(frozen=True)
class PriceTable:
    """A named price table; ``prices`` holds every key of ``runtime_guard.policy.PRICE_KEYS``."""

    name: str
    prices: Mapping[str, float]
    note: str = ""
    overrides: frozenset[str] = field(default_factory=frozenset)
    date: str = LIST_DATE
    region: str = LIST_REGION

    @classmethod
    def with_defaults(cls, name: str, prices: Mapping[str, float], note: str = "") -> "PriceTable":
        """``prices`` on top of the list prices (kinds not named keep their list price)."""
        checked = parse_prices(None, dict(prices), where=name)
        return cls(name, {**LIST, **checked}, note, frozenset(checked))

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
        """One line: the table's name, where it came from, its date and region."""
        text = f"{self.name} ({self.note})" if self.note else self.name
        return f"{text}; {self.region}, {self.date}"


def per_thousand(table: PriceTable, kind: str) -> str:
    """A list price as people quote it: ``$0.0004 per 1,000 requests`` or ``$0.125 per million units``."""
    price = table.prices.get(kind, 0.0)
    if kind.endswith("_units"):
        return f"${price * 1_000_000:.4g} per million units"
    if kind == "athena.tb_scanned":
        return f"${price:.4g} per TB scanned"
    return f"${price * 1000:.4g} per 1,000 requests"


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
    "list", dict(LIST), "current us-east-1 list prices: S3 Standard, Athena $5/TB (10 MB minimum), DynamoDB on-demand"
)


def load_price_file(path: Path) -> PriceTable:
    """A TOML price table (a pyproject.toml or a bare table); ``PolicyError`` names the file and key."""
    try:
        with open(path, "rb") as handle:
            document: dict[str, Any] = tomllib.load(handle)
    except FileNotFoundError:
        raise PolicyError(path, "file", "no such price table (expected list or a TOML file)") from None
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
        str(path), {**LIST, **checked}, f"{where} from {path}; other kinds at list prices", frozenset(checked)
    )


def load_prices(spec: str | os.PathLike[str] | None, named: Mapping[str, PriceTable] | None = None) -> PriceTable:
    """``list`` (default), a table of ``named``, or a TOML file."""
    if spec is None or str(spec) == "list":
        return LIST_PRICES
    if named and str(spec) in named:
        return named[str(spec)]
    return load_price_file(Path(spec))
