"""Counting billable requests: every backend reports what it would be billed for.

``record(kind, amount)`` adds to every meter that is open (in any thread of the process);
``cost_meter()`` opens one. Kinds are the request kinds of the cost report: ``s3.GET``,
``s3.HEAD``, ``s3.PUT``, ``s3.LIST``, ``s3.DELETE``, ``s3.bytes_out``, ``s3.bytes_in``,
``athena.query``, ``athena.bytes_scanned`` (recorded once per query: the query's scan),
``dynamodb.read_units``, ``dynamodb.write_units``.

Each request is also attributed to the module that made it (``Meter.by_caller``): the innermost
frame of the calling thread that belongs to ``secfilings.services``, ``secfilings.workers`` or
``secfilings.scripts`` (the direct-read gateway itself is skipped, so a read is charged to whoever
called it), else ``"(other)"``. The frame walk only happens while a meter is open.

The embedded backends (local folder, SQLite, DuckDB) call ``record`` for the request they stand
in for; the AWS backends are counted from botocore's event system (see ``secfilings.cost``), which
``cost_meter()`` switches on for every boto3 client created afterwards.
"""

from __future__ import annotations

import sys
import threading
from contextvars import ContextVar
from collections import Counter
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

if TYPE_CHECKING:  # pragma: no cover
    from secfilings.cost.prices import PriceTable

__all__ = ["Meter", "cost_meter", "record", "active", "calling_module", "OTHER_CALLER", "switch_on_boto3_metering", "scoped_meter"]

_lock = threading.Lock()
_open: list["Meter"] = []
# The meter of the current context only (one HTTP request of `secfilings serve`): requests made in
# other threads or tasks at the same time are not counted in it. Open meters count as before.
_scoped: ContextVar["Meter | None"] = ContextVar("secfilings_scoped_meter", default=None)

OTHER_CALLER = "(other)"
# (the write path and the index adapters left secfilings.services in the layering of issue 11; they
# stay callers of their own, as they were there)
CALLER_ROOTS = ("secfilings.services", "secfilings.workers", "secfilings.scripts", "secfilings.ingest", "secfilings.index")
# modules that are a gateway, not a caller: a request made through them is charged to their caller
PASS_THROUGH = frozenset({"secfilings.services.api.athena.s3_direct_read"})


def _is_under(name: str, roots: Iterable[str]) -> bool:
    return any(name == root or name.startswith(root + ".") for root in roots)


def calling_module(depth: int = 1) -> str:
    """The platform module (services, workers, scripts) that made the current request."""
    frame: Any = sys._getframe(depth + 1)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name.startswith("secfilings.") and name not in PASS_THROUGH and _is_under(name, CALLER_ROOTS):
            return str(name)
        frame = frame.f_back
    return OTHER_CALLER


class Meter:
    """Counts by request kind; ``by_caller`` splits them by the module that made the request.

    ``athena_scans`` keeps each query's scanned bytes, since Athena bills a minimum per query.
    """

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.by_caller: Counter[tuple[str, str]] = Counter()
        self.athena_scans: list[float] = []

    def add(self, kind: str, amount: float = 1, caller: str | None = None) -> None:
        with _lock:
            self.counts[kind] += amount
            if caller is not None:
                self.by_caller[(caller, kind)] += amount
            if kind == "athena.bytes_scanned":
                self.athena_scans.append(float(amount))

    def from_callers(self, prefixes: Iterable[str], kind: str) -> float:
        """How much of ``kind`` was requested by modules under any of ``prefixes``."""
        roots = tuple(prefixes)
        with _lock:
            return sum(n for (caller, k), n in self.by_caller.items() if k == kind and _is_under(caller, roots))

    def callers(self, kind: str) -> dict[str, float]:
        """``{module: amount}`` for one kind."""
        with _lock:
            return {caller: n for (caller, k), n in self.by_caller.items() if k == kind}

    def cost(self, prices: "PriceTable | Mapping[str, float] | str" = "list") -> dict[str, float]:
        """USD per priced kind for what this meter counted (see ``secfilings.cost.prices``)."""
        from secfilings.cost.prices import PriceTable, load_prices

        if isinstance(prices, str):
            table = load_prices(prices)
        elif isinstance(prices, PriceTable):
            table = prices
        else:
            table = PriceTable.with_defaults("custom", prices)
        return table.cost(self.counts, self.athena_scans)

    def __repr__(self) -> str:
        return f"Meter({dict(self.counts)!r})"


def active() -> bool:
    """True when at least one meter is open (backends may skip work to count otherwise)."""
    return bool(_open) or _scoped.get() is not None


def record(kind: str, amount: float = 1, caller: str | None = None) -> None:
    """Add ``amount`` of ``kind`` to every open meter (``caller`` defaults to the calling module)."""
    scoped = _scoped.get()
    if scoped is not None:
        scoped.add(kind, amount)
    if not _open:
        return
    if caller is None:
        caller = calling_module(1)
    for meter in tuple(_open):
        meter.add(kind, amount, caller)


@contextmanager
def cost_meter() -> Iterator[Meter]:
    """Count every billable request made while the block runs."""
    _switch_on_boto3_metering()
    meter = Meter()
    with _lock:
        _open.append(meter)
    try:
        yield meter
    finally:
        with _lock:
            _open.remove(meter)


def switch_on_boto3_metering() -> None:
    """Count every boto3 client created from now on (counts only while a meter is open)."""
    _switch_on_boto3_metering()


@contextmanager
def scoped_meter() -> Iterator[Meter]:
    """Count the billable requests made in this context only (this thread, or this task and
    what it awaits), however many other requests run meanwhile. Callers are not recorded."""
    _switch_on_boto3_metering()
    meter = Meter()
    token = _scoped.set(meter)
    try:
        yield meter
    finally:
        _scoped.reset(token)


def _switch_on_boto3_metering() -> None:
    try:
        from secfilings.cost.boto_events import meter_boto3
    except ImportError:  # botocore is not installed: nothing to meter there
        return
    meter_boto3()
