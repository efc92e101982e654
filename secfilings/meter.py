"""Counting billable requests: every backend reports what it would be billed for, to the meters
of the scope that made the request.

A meter is scoped around what it measures: ``with cost_meter() as meter: ...`` opens one in the
current context (this thread, or this asyncio task and what it awaits), and ``record(kind,
amount)`` adds to every meter open *in the context that makes the request* -- the meters of an
enclosing block included (nested meters all count), the meters of other threads or tasks never.
Two meters open at once in two threads each count only their own requests. To count work done
in another thread, pass the meter along and open it there (``with meter: ...``, which adds to
the same counts), or run the work in a copy of the context (``contextvars.copy_context().run``,
``asyncio.to_thread``, Starlette's ``run_in_threadpool``).

Kinds are the request kinds of the cost report: ``s3.GET``, ``s3.HEAD``, ``s3.PUT``,
``s3.LIST``, ``s3.DELETE``, ``s3.bytes_out``, ``s3.bytes_in``, ``athena.query``,
``athena.bytes_scanned`` (recorded once per query: the query's scan), ``dynamodb.read_units``,
``dynamodb.write_units``; on AWS also ``calls.<service>.<Operation>`` (one per HTTP request, not
priced).

Each request is also attributed to the module that made it (``Meter.by_caller``): the innermost
frame of the calling thread that belongs to ``secfilings.services``, ``secfilings.workers`` or
``secfilings.scripts`` (the direct-read gateway itself is skipped, so a read is charged to whoever
called it), else ``"(other)"``. The frame walk only happens while a meter that keeps callers is
open in the calling context.

The embedded backends (local folder, SQLite, DuckDB) call ``record`` for the request they stand
in for; the AWS backends are counted from botocore's events: the first meter opened attaches one
listener to the tool's botocore layer (``runtime_guard.operations``, the layer the operation bans
and ``costguard meter`` use; public ``Session.register`` / ``client.meta.events.register``),
which bills each answered HTTP attempt with the tool's billing kinds (``runtime_guard.billing``)
and records them to the meters of the requesting context.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

if TYPE_CHECKING:  # pragma: no cover
    from secfilings.cost.prices import PriceTable

__all__ = ["Meter", "cost_meter", "record", "active", "calling_module", "OTHER_CALLER", "switch_on_boto3_metering", "scoped_meter"]

# The meters open in the current context, outermost first. A new thread starts with none.
_open: ContextVar[tuple["Meter", ...]] = ContextVar("secfilings_meters", default=())

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
    ``with meter: ...`` opens this meter in the current context (again: in another thread, the
    counts go to the same meter); ``keep_callers=False`` skips the caller attribution.
    """

    def __init__(self, keep_callers: bool = True) -> None:
        self.counts: Counter[str] = Counter()
        self.by_caller: Counter[tuple[str, str]] = Counter()
        self.athena_scans: list[float] = []
        self.keep_callers = keep_callers
        self._lock = threading.Lock()
        self._seen_queries: set[str] = set()

    def add(self, kind: str, amount: float = 1, caller: str | None = None) -> None:
        with self._lock:
            self.counts[kind] += amount
            if caller is not None and self.keep_callers:
                self.by_caller[(caller, kind)] += amount
            if kind == "athena.bytes_scanned":
                self.athena_scans.append(float(amount))

    def from_callers(self, prefixes: Iterable[str], kind: str) -> float:
        """How much of ``kind`` was requested by modules under any of ``prefixes``."""
        roots = tuple(prefixes)
        with self._lock:
            return sum(n for (caller, k), n in self.by_caller.items() if k == kind and _is_under(caller, roots))

    def callers(self, kind: str) -> dict[str, float]:
        """``{module: amount}`` for one kind."""
        with self._lock:
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

    def first_report(self, query_id: str) -> bool:
        """True the first time this meter sees an Athena query's scan."""
        with self._lock:
            if query_id in self._seen_queries:
                return False
            self._seen_queries.add(query_id)
            return True

    # -- scoping ---------------------------------------------------------------------------------
    def __enter__(self) -> "Meter":
        _switch_on_boto3_metering()
        _open.set(_open.get() + (self,))
        return self

    def __exit__(self, *exc: object) -> None:
        meters = _open.get()
        for i in range(len(meters) - 1, -1, -1):  # the innermost opening of this meter
            if meters[i] is self:
                _open.set(meters[:i] + meters[i + 1:])
                return

    def __repr__(self) -> str:
        return f"Meter({dict(self.counts)!r})"


def active() -> bool:
    """True when a meter is open in the current context (backends may skip work to count otherwise)."""
    return bool(_open.get())


def record(kind: str, amount: float = 1, caller: str | None = None) -> None:
    """Add ``amount`` of ``kind`` to every meter open in the current context (``caller``
    defaults to the calling module)."""
    meters = _open.get()
    if not meters:
        return
    if caller is None and any(meter.keep_callers for meter in meters):
        caller = calling_module(1)
    for meter in meters:
        meter.add(kind, amount, caller)


@contextmanager
def cost_meter(keep_callers: bool = True) -> Iterator[Meter]:
    """Count every billable request made in this context while the block runs."""
    with Meter(keep_callers) as meter:
        yield meter


@contextmanager
def scoped_meter() -> Iterator[Meter]:
    """A meter of this context that does not record callers (one HTTP request of ``secfilings
    serve``: no frame walk on the hot path). Every meter is scoped; this is ``cost_meter(False)``."""
    with Meter(keep_callers=False) as meter:
        yield meter


# ---------------------------------------------------------------------------------------------
# AWS: botocore's events, through the tool's botocore layer
# ---------------------------------------------------------------------------------------------

_install_lock = threading.Lock()
_listener: "_BotoListener | None" = None


class _BotoListener:
    """The platform meters' listener on ``runtime_guard.operations``; its handlers run in the
    thread that makes the request, so ``_open`` holds the meters of the requesting context."""

    def __init__(self, billing: Any) -> None:
        self.billing = billing

    def wants(self, service: str, operation: str) -> bool:
        return bool(_open.get())

    def before_call(self, *args: Any) -> None:
        return None

    def parameters(self, service: str, operation: str, params: Any, context: Any) -> None:
        if _open.get():
            self.billing.prepare(service, operation, params, context)

    def response(self, service: str, operation: str, caller: str, parsed: Any, response_dict: Any, context: Any) -> None:
        meters = _open.get()
        if not meters or parsed is None:
            return  # no meter here, or no answer (a connection failure is not billed)
        who = calling_module(1) if any(meter.keep_callers for meter in meters) else None
        for meter in meters:
            meter.add(f"calls.{service}.{operation}", 1, who)  # unpriced: one per HTTP request
            for kind, amount in self.billing.kinds(service, operation, parsed, response_dict, context, meter.first_report):
                meter.add(kind, amount, who)


def switch_on_boto3_metering() -> None:
    """Count the requests of every boto3 client of this process, made before or after, into the
    meters of the context that makes each request (idempotent; nothing is counted where no meter
    is open)."""
    _switch_on_boto3_metering()


def _switch_on_boto3_metering() -> None:
    global _listener
    if _listener is not None:
        return
    with _install_lock:
        if _listener is not None:
            return
        from runtime_guard import billing, operations

        listener = _BotoListener(billing)
        operations.attach(listener)
        _listener = listener


def meter_client(client: Any) -> Any:
    """Make sure ``client``'s requests are counted (idempotent; clients made before are found
    when the layer attaches, so this is only needed for clients of an unusual origin)."""
    _switch_on_boto3_metering()
    from runtime_guard import operations

    operations.register_client(client)
    return client
