"""LEGACY: the endpoints and workers as they were before the plan, kept only to measure them.

This is the *before* path of the cost report (:mod:`secfilings.cost.workload`): the code the ban
exists to stop. It lives in ``secfilings.scripts`` because scripts may read objects directly
(through :func:`secfilings.services.api.athena.s3_direct_read.read_object`); the same code in
``secfilings.services`` or ``secfilings.workers`` is refused by the lint and the runtime guard.
Never call it from the platform.

How it worked (and what each step is billed):

* ``legacy_company(store, cik)``: list the ``ownership_filings`` table's partitions to find the
  filings (one LIST per 1,000 keys), read every filing object (one GET each) to find the
  issuer's, then read each of those filings' ``insider_transactions`` object (one GET each).
* ``legacy_fund(store, cik)``: the same over ``fund_filings``, then the latest filing's
  ``fund_holdings`` object.
* ``legacy_ingest(platform, filing, raw, ext)``: write the filing (raw + rows) with no de-dup
  ledger and no index: a re-delivered document is written again.
* ``legacy_sync(store, window_days)``: list and read every filing to find the window and the
  most active issuers, then one request per filing (a GET of its transactions object) -- the
  ``processInsiderFilings`` loop the plan batches.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from typing import Any

from secfilings.lake import layout
from secfilings.services.api.athena.s3_direct_read import read_object

__all__ = ["legacy_company", "legacy_fund", "legacy_ingest", "legacy_sync"]

_TX_KEYS = ("security_title", "transaction_date", "code", "shares", "price_per_share", "acquired_disposed",
            "shares_owned_following", "derivative")


def _rows(store: Any, key: str) -> list[dict[str, Any]]:
    data = read_object(store, key)
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def _table_keys(store: Any, table: str) -> list[str]:
    listing = store.list(layout.table_prefix(table))
    return [key for key, _size in listing.keys if key.endswith(".json")]


def _sibling(key: str, table: str, other: str) -> str:
    prefix = layout.table_prefix(table)
    return layout.table_prefix(other) + key[len(prefix):]


def legacy_company(store: Any, cik10: str) -> dict[str, Any] | None:
    """The issuer's filings, found by reading every filing object of the lake."""
    filings = []
    for key in _table_keys(store, "ownership_filings"):
        for row in _rows(store, key):
            if row.get("issuer_cik") == cik10:
                filings.append((key, row))
    if not filings:
        return None
    answer_filings = []
    name = None
    for key, row in sorted(filings, key=lambda item: (item[1].get("filed") or item[1].get("period") or "", item[1]["accession_number"])):
        name = row.get("issuer_name") or name
        try:
            transactions = [t for t in _rows(store, _sibling(key, "ownership_filings", "insider_transactions")) if t.get("is_transaction")]
        except Exception:  # noqa: BLE001 - the legacy code skipped unreadable objects
            transactions = []
        answer_filings.append({
            "accession_number": row["accession_number"],
            "form_type": row.get("form_type"),
            "filed": row.get("filed"),
            "period": row.get("period"),
            "transactions": [{k: t.get(k) for k in _TX_KEYS} for t in transactions],
        })
    return {"cik": cik10, "name": name, "filings": answer_filings}


def legacy_fund(store: Any, cik10: str) -> dict[str, Any] | None:
    """The fund's latest holdings, found by reading every 13F filing object."""
    mine = []
    for key in _table_keys(store, "fund_filings"):
        for row in _rows(store, key):
            if row.get("filer_cik") == cik10:
                mine.append((row.get("period") or "", row.get("accession_number") or "", key, row))
    if not mine:
        return None
    _period, _acc, key, row = max(mine)
    holdings = _rows(store, _sibling(key, "fund_filings", "fund_holdings"))
    return {"cik": cik10, "name": row.get("filer_name"), "period": row.get("period"),
            "holdings": [{k: h.get(k) for k in ("issuer", "cusip", "value", "shares", "share_type", "put_call")} for h in holdings]}


def legacy_ingest(platform: Any, filing: Any, raw: bytes, raw_ext: str) -> None:
    """Write a filing the old way: no ledger, no index (``platform`` opened with index_mode off).

    The legacy platform has no lookup index at all, so the plan's index step is dropped whole: in
    ``off`` mode today's write path forgets the CIK's remembered miss (a DynamoDB delete), a request
    the legacy path never made and the cost report must not count on its *before* side.
    """
    from secfilings.ingest.write import execute_plan, plan_filing

    plan = plan_filing(filing, raw_ext, index_mode="off")
    plan.lookups.clear()
    plan.forget.clear()
    execute_plan(platform, plan, raw)


def legacy_sync(store: Any, window_days: int = 90, top: int = 100) -> dict[str, dict[str, Any]]:
    """Insider activity per most active issuer over the window ending at the latest filing."""
    filings = []
    for key in _table_keys(store, "ownership_filings"):
        for row in _rows(store, key):
            when = row.get("filed") or row.get("period")
            if when:
                filings.append((key, row, date.fromisoformat(str(when)[:10])))
    if not filings:
        return {}
    end = max(when for _, _, when in filings)
    start = end - timedelta(days=window_days)
    in_window = [(key, row) for key, row, when in filings if start < when <= end]
    activity: dict[str, dict[str, Any]] = {}
    per_issuer: Counter[str] = Counter()
    fetched = []
    for key, row in in_window:  # one request per filing
        transactions = [t for t in _rows(store, _sibling(key, "ownership_filings", "insider_transactions")) if t.get("is_transaction")]
        per_issuer[row["issuer_cik"]] += len(transactions)
        fetched.append((row, transactions))
    followed = {cik for cik, _ in per_issuer.most_common(top)}
    for row, transactions in fetched:
        cik = row["issuer_cik"]
        if cik not in followed:
            continue
        entry = activity.setdefault(cik, {"issuer_cik": cik, "buys": 0, "sells": 0, "net_shares": 0.0, "filings": 0})
        entry["filings"] += 1
        for t in transactions:
            if t.get("derivative"):
                continue
            shares = float(t.get("shares") or 0)
            if t.get("acquired_disposed") == "A":
                entry["buys"] += 1
                entry["net_shares"] += shares
            elif t.get("acquired_disposed") == "D":
                entry["sells"] += 1
                entry["net_shares"] -= shares
    payload = "".join(json.dumps(v, sort_keys=True) + "\n" for v in activity.values()).encode()
    store.put(f"tables/insider_activity/window_end={end.isoformat()}/window_days={window_days}/activity.json", payload)
    return activity
