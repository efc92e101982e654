"""De-duplicated writes: the accession number is the key, a conditional write decides.

``insert_filing_with_dedup`` claims ``pk="ledger#<accession>", sk="filing"`` with a conditional
put (SQLite ``INSERT ... ON CONFLICT DO NOTHING``, DynamoDB ``attribute_not_exists``):

- claim won (state ``pending``): run the write's steps (raw, table rows, lookup items; all on
  deterministic keys, so each is idempotent), then mark the claim ``committed`` -> ``"new"``.
- claim exists and is ``committed`` -> ``"duplicate"``: nothing is written. Two exceptions, the
  halves of one 13F filing ingested apart (``secfilings.ingest.complete``): a bare information
  table after its cover page joins it, and a cover page after its bare table (whose claim is
  marked ``"bare_table": true``) takes it over; each reports ``"new"`` once it has written.
- claim exists and is ``pending``: either another writer is at work right now (wait until it
  commits -> ``"duplicate"``), or a writer died between two steps (the claim is stale: complete the
  steps and commit -> ``"new"``, since no earlier run reported the filing). A claim is stale when
  its owner was this process but the call that made it has ended, when its owner process (same
  host) is gone, or, for a claim made on another host, after ``lease_seconds``.

So re-running an ingestion changes nothing, two processes racing on one filing leave one copy and
report one ``"new"``, and a crash between any two steps (``fail_after=<step>``, steps in
:data:`DEDUP_STEPS`) leaves a pending claim that the next run completes. The ledger is written in
every ``index_mode`` (it is the de-dup record, not a read path).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from contextlib import nullcontext
from typing import Any, Literal

from secfilings.index.keys import LEDGER_SK, ledger_pk
from secfilings.ingest.complete import cover_joins_table, is_bare_table, is_stored_bare_table, join_cover
from secfilings.ingest.write import (
    Filing,
    InjectedCrash,
    crash_point,
    plan_filing,
    plan_raw_key,
    write_lookups,
    write_objects,
)

__all__ = [
    "DEDUP_STEPS",
    "InjectedCrash",
    "LEDGER_SK",
    "ledger_pk",
    "insert_filing_with_dedup",
]

# Every step of a de-duplicated write; a crash may be injected after any of them.
DEDUP_STEPS: tuple[str, ...] = (
    "claim",
    "raw",
    "table:ownership_filings",
    "table:insider_transactions",
    "table:fund_filings",
    "table:fund_holdings",
    "lookup",
    "commit",
)

_in_flight: set[str] = set()  # owner tokens of the claims this process is working on now
_in_flight_lock = threading.Lock()
_HOST = socket.gethostname()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _stale(claim: dict[str, Any], lease_seconds: float) -> bool:
    if claim.get("host") == _HOST and isinstance(claim.get("pid"), int):
        if claim["pid"] == os.getpid():
            with _in_flight_lock:
                return claim.get("owner") not in _in_flight
        return not _pid_alive(claim["pid"])
    return time.time() - float(claim.get("claimed_at", 0)) > lease_seconds


def insert_filing_with_dedup(
    platform: Any,
    filing: Filing,
    raw: bytes,
    raw_ext: str,
    *,
    fail_after: str | None = None,
    lease_seconds: float = 300.0,
    poll_seconds: float = 0.02,
) -> Literal["new", "duplicate"]:
    """Write ``filing`` once: ``"new"`` if this call wrote it, ``"duplicate"`` if it was there."""
    raw_key = plan_raw_key(filing, raw_ext)  # validate every key first (payloads come once claimed)
    index = platform.index
    pk = ledger_pk(filing.accession_number)
    token = f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex}"
    claim = {
        "state": "pending",
        "owner": token,
        "host": _HOST,
        "pid": os.getpid(),
        "claimed_at": time.time(),
        "form_type": filing.form_type,
        "raw_key": raw_key,
    }
    if is_bare_table(filing):  # until its cover page joins it (secfilings.ingest.complete)
        claim["bare_table"] = True
    with _in_flight_lock:
        _in_flight.add(token)
    try:
        while not index.put_lookup(pk, LEDGER_SK, claim, if_absent=True):
            existing = index.get_item(pk, LEDGER_SK)
            if existing is None:  # removed in between: claim again
                continue
            if existing.get("state") == "committed":
                if is_bare_table(filing):  # an information table after its cover page: join them
                    return join_cover(platform, filing, raw, existing, fail_after=fail_after)
                if is_stored_bare_table(filing, existing):  # a cover page after its table
                    return cover_joins_table(platform, filing, raw, raw_ext, existing, fail_after=fail_after)
                return "duplicate"
            if _stale(existing, lease_seconds):
                index.put_lookup(pk, LEDGER_SK, claim)  # take the abandoned claim over
                break
            time.sleep(poll_seconds)
        crash_point("claim", fail_after)
        plan = plan_filing(filing, raw_ext, index_mode=platform.settings.index_mode)
        write_objects(platform, plan, raw, fail_after=fail_after)
        # lookup items and the commit: one transaction where the index has them (SQLite), so a
        # crash in between leaves the claim pending and nothing else, as a crash before would
        transaction = getattr(index, "transaction", None)
        with transaction() if transaction is not None else nullcontext():
            write_lookups(platform, plan, fail_after=fail_after)
            committed = dict(claim, state="committed", committed_at=time.time())
            index.put_lookup(pk, LEDGER_SK, committed)
        crash_point("commit", fail_after)
        return "new"
    finally:
        with _in_flight_lock:
            _in_flight.discard(token)
