"""Counting billable requests: every backend reports what it would be billed for.

``record(kind, amount)`` adds to every meter that is open (in any thread of the process);
``cost_meter()`` opens one. Kinds are the request kinds of the cost report: ``s3.GET``,
``s3.HEAD``, ``s3.PUT``, ``s3.LIST``, ``s3.DELETE``, ``s3.bytes_out``, ``s3.bytes_in``,
``athena.query``, ``athena.bytes_scanned``, ``dynamodb.read_units``, ``dynamodb.write_units``,
plus ``caller`` breakdowns recorded by ``record(kind, amount, caller=...)``.

The embedded backends (local folder, SQLite, DuckDB) call ``record`` for the request they stand
in for; the AWS backends are counted from botocore's event system (see ``secfilings.cost``).
"""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from typing import Iterator

__all__ = ["Meter", "cost_meter", "record", "active"]

_lock = threading.Lock()
_open: list["Meter"] = []


class Meter:
    """Counts by request kind; ``by_caller`` splits them by the module that made the request."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.by_caller: Counter[tuple[str, str]] = Counter()

    def add(self, kind: str, amount: float = 1, caller: str | None = None) -> None:
        with _lock:
            self.counts[kind] += amount
            if caller is not None:
                self.by_caller[(caller, kind)] += amount

    def __repr__(self) -> str:
        return f"Meter({dict(self.counts)!r})"


def active() -> bool:
    """True when at least one meter is open (backends may skip work to count otherwise)."""
    return bool(_open)


def record(kind: str, amount: float = 1, caller: str | None = None) -> None:
    """Add ``amount`` of ``kind`` to every open meter."""
    if not _open:
        return
    for meter in tuple(_open):
        meter.add(kind, amount, caller)


@contextmanager
def cost_meter() -> Iterator[Meter]:
    """Count every billable request made while the block runs."""
    meter = Meter()
    with _lock:
        _open.append(meter)
    try:
        yield meter
    finally:
        with _lock:
            _open.remove(meter)
