"""The smart-money sync: which issuers insiders trade most, and what they did over a window.

``run_sync(platform)``:

1. reads the ``top_companies`` view (one query) for the issuers to follow and the window's end:
   the latest filing in the lake (never today's date, so an old lake still answers);
2. lists the ownership filings filed in the window ``(end - window_days, end]`` (one query);
3. fetches them with :func:`process_insider_filings`, in batches: N filings cost ceil(N/B)
   batch requests (a ``BatchGetItem`` of the lookup index, or one SQL query with an ``IN`` list
   when the index is not read), never one request per filing;
4. computes per issuer: ``buys`` and ``sells`` (non-derivative transactions that acquired (A)
   or disposed of (D) shares), ``net_shares`` (shares acquired minus shares disposed, non-
   derivative), ``transactions`` (all transactions, derivative ones included), ``filings`` and
   ``insiders`` (distinct reporting owners of those filings); a transaction counts on its
   transaction date (its filing's date when it has none);
5. writes the rows to ``tables/insider_activity/window_end=<date>/window_days=<n>/activity.json``
   (NDJSON; a re-run over the same lake rewrites the same object) and returns them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Mapping, Sequence, TextIO

from secfilings.config import INDEX_READ_MODES
from secfilings.index.keys import company_pk, company_sk
from secfilings.sql.queries import (
    TOP_COMPANIES_SQL,
    WINDOW_FILINGS_SQL,
    filing_entries,
    filings_by_accession_sql,
)
from secfilings.documents import iso_date

__all__ = [
    "FilingRef",
    "InsiderFilings",
    "SyncReport",
    "ACTIVITY_PREFIX",
    "activity_key",
    "process_insider_filings",
    "run_sync",
]

ACTIVITY_PREFIX = "tables/insider_activity/"
BATCH_LIMIT = 100  # DynamoDB BatchGetItem's limit


@dataclass(frozen=True)
class FilingRef:
    """What locates a filing in the index (company pk and filing sk) and in SQL (accession)."""

    accession_number: str
    issuer_cik: str
    filed: str | None = None
    period: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        entry = {"accession_number": self.accession_number, "filed": self.filed, "period": self.period}
        return company_pk(self.issuer_cik), company_sk(entry)


@dataclass
class InsiderFilings:
    """What :func:`process_insider_filings` fetched: filing entries (company-answer shape plus
    ``company_cik``/``company_name``), accessions it could not find, and the requests it made."""

    filings: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    index_batches: int = 0
    sql_queries: int = 0

    @property
    def requests(self) -> int:
        return self.index_batches + self.sql_queries


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _batch_size(platform: Any, batch_size: int | None) -> int:
    size = platform.settings.batch_size if batch_size is None else int(batch_size)
    if not 1 <= size <= BATCH_LIMIT:
        raise ValueError(f"batch size must be 1 to {BATCH_LIMIT} (DynamoDB's batch limit), got {size}")
    return size


def _sql_fetch(platform: Any, accessions: Sequence[str], size: int, result: InsiderFilings) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for chunk in _chunks(list(accessions), size):
        rows = platform.sql.query(filings_by_accession_sql(len(chunk)), list(chunk))
        result.sql_queries += 1
        found.extend(filing_entries(rows))
    return found


def process_insider_filings(
    platform: Any, accessions: Sequence[FilingRef | str], batch_size: int | None = None
) -> InsiderFilings:
    """Fetch the filings named by ``accessions`` in batches of ``batch_size`` (default: the
    setting): N filings cost ceil(N/B) batch requests.

    The index is read in ``read-fallback`` and ``read-only`` modes (``BatchGetItem`` by key,
    which needs a :class:`FilingRef`); in ``read-fallback`` the misses are fetched by SQL in
    batches too and written back to the index; in ``read-only`` they are reported as missing.
    In ``off`` and ``write`` modes (or for plain accession strings) one SQL query per batch.
    """
    size = _batch_size(platform, batch_size)
    wanted = list(dict.fromkeys(accessions))  # keep order, drop repeats
    result = InsiderFilings()
    mode = platform.settings.index_mode
    refs = [a for a in wanted if isinstance(a, FilingRef)]
    plain = [a for a in wanted if not isinstance(a, FilingRef)]
    by_accession: dict[str, dict[str, Any]] = {}
    to_sql: list[str] = [str(a) for a in plain]
    if mode in INDEX_READ_MODES and refs:
        missed: list[FilingRef] = []
        for chunk in _chunks(refs, size):
            hits = platform.index.batch_get_lookup([ref.key for ref in chunk])
            result.index_batches += 1
            for ref in chunk:
                item = hits.get(ref.key)
                if item is None:
                    missed.append(ref)
                else:
                    entry = dict(item)
                    entry.setdefault("company_cik", ref.issuer_cik)
                    by_accession[ref.accession_number] = entry
        if mode == "read-only":
            result.missing.extend(ref.accession_number for ref in missed)
        else:
            for entry in _sql_fetch(platform, [ref.accession_number for ref in missed], size, result):
                pk = company_pk(entry["company_cik"])
                platform.index.put_lookup(pk, company_sk(entry), entry, if_absent=True)
                by_accession[entry["accession_number"]] = entry
    else:
        to_sql.extend(ref.accession_number for ref in refs)
    if to_sql:
        for entry in _sql_fetch(platform, to_sql, size, result):
            by_accession[entry["accession_number"]] = entry
    for item in wanted:
        accession = item.accession_number if isinstance(item, FilingRef) else str(item)
        if accession in by_accession:
            result.filings.append(by_accession[accession])
        elif accession not in result.missing:
            result.missing.append(accession)
    return result


@dataclass
class SyncReport:
    window_start: str | None
    window_end: str | None
    window_days: int
    issuers: list[dict[str, Any]]
    filings_fetched: int = 0
    missing: list[str] = field(default_factory=list)
    fetch_requests: int = 0
    key: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "window_start": self.window_start,
            "window_end": self.window_end,
            "window_days": self.window_days,
            "filings_fetched": self.filings_fetched,
            "fetch_requests": self.fetch_requests,
            "missing": list(self.missing),
            "key": self.key,
            "issuers": [dict(issuer) for issuer in self.issuers],
        }


def activity_key(window_end: str, window_days: int) -> str:
    return f"{ACTIVITY_PREFIX}window_end={window_end}/window_days={window_days}/activity.json"


def _activity(
    top: Sequence[Mapping[str, Any]], filings: Sequence[Mapping[str, Any]], start: date, end: date
) -> list[dict[str, Any]]:
    issuers: dict[str, dict[str, Any]] = {}
    owners: dict[str, set[str]] = {}
    for row in top:
        cik = row["issuer_cik"]
        issuers[cik] = {
            "rank": int(row["rank"]),
            "issuer_cik": cik,
            "issuer_name": row["issuer_name"],
            "buys": 0,
            "sells": 0,
            "net_shares": 0.0,
            "transactions": 0,
            "filings": 0,
            "insiders": 0,
        }
        owners[cik] = set()
    for filing in filings:
        cik = filing.get("company_cik")
        if cik not in issuers:
            continue
        stats = issuers[cik]
        counted = 0
        for tx in filing.get("transactions") or []:
            when = tx.get("date") or filing.get("filed") or filing.get("period")
            if when is None or not (start < date.fromisoformat(when) <= end):
                continue
            counted += 1
            if tx.get("derivative") or tx.get("value_owned_following") is not None:
                continue  # options, and rows written in value terms (dollars), are not shares
            shares = float(tx.get("shares") or 0)
            if tx.get("acquired_disposed") == "A":
                stats["buys"] += 1
                stats["net_shares"] += shares
            elif tx.get("acquired_disposed") == "D":
                stats["sells"] += 1
                stats["net_shares"] -= shares
        if counted:
            stats["transactions"] += counted
            stats["filings"] += 1
            owners[cik].update(
                owner.get("cik") or owner.get("name") or "" for owner in filing.get("reporting_owners") or []
            )
    for cik, stats in issuers.items():
        stats["insiders"] = len(owners[cik] - {""})
    return sorted(issuers.values(), key=lambda s: s["rank"])


def _print(report: SyncReport, out: TextIO) -> None:
    if report.window_end is None:
        out.write("sync: no insider transactions in the lake; nothing to sync\n")
        return
    out.write(
        f"sync: insider activity of the top {len(report.issuers)} issuers, "
        f"{report.window_days} days to {report.window_end} (latest filing in the lake)\n"
    )
    out.write(f"  {'rank':>4}  {'cik':<10}  {'issuer':<28} {'buys':>5} {'sells':>5} {'net shares':>14} {'insiders':>8}\n")
    for row in report.issuers:
        name = (row["issuer_name"] or "")[:28]
        out.write(
            f"  {row['rank']:>4}  {row['issuer_cik']:<10}  {name:<28} {row['buys']:>5} "
            f"{row['sells']:>5} {row['net_shares']:>14,.0f} {row['insiders']:>8}\n"
        )
    if report.missing:
        shown = ", ".join(report.missing[:5]) + (", ..." if len(report.missing) > 5 else "")
        out.write(
            f"  {report.filings_fetched} filings fetched in {report.fetch_requests} batch request(s); "
            f"{len(report.missing)} filing(s) missing from the read-only index ({shown}): "
            "nothing written; run backfill-index\n"
        )
        return
    out.write(
        f"  {report.filings_fetched} filings fetched in {report.fetch_requests} batch request(s); "
        f"written to {report.key}\n"
    )


def run_sync(
    platform: Any,
    *,
    window_days: int | None = None,
    batch_size: int | None = None,
    out: TextIO | None = None,
) -> SyncReport:
    """Sync the insider activity of ``top_companies``' issuers; print it to ``out`` if given."""
    days = platform.settings.window_days if window_days is None else int(window_days)
    if days < 1:
        raise ValueError(f"window must be at least 1 day, got {days}")
    top = platform.sql.query(TOP_COMPANIES_SQL)
    if not top:
        report = SyncReport(None, None, days, [])
        if out is not None:
            _print(report, out)
        return report
    end = date.fromisoformat(iso_date(top[0]["window_end"]))  # type: ignore[arg-type]
    start = end - timedelta(days=days)
    followed = {row["issuer_cik"] for row in top}
    refs = [
        FilingRef(row["accession_number"], row["issuer_cik"], iso_date(row["filed"]), iso_date(row["period"]))
        for row in platform.sql.query(WINDOW_FILINGS_SQL, [start, end])
        if row["issuer_cik"] in followed
    ]
    fetched = process_insider_filings(platform, refs, batch_size)
    issuers = _activity(top, fetched.filings, start, end)
    key: str | None = None
    if not fetched.missing:  # an incomplete answer is never written over a complete one
        key = activity_key(end.isoformat(), days)
        rows = [
            {**row, "window_start": start.isoformat(), "window_end": end.isoformat(), "window_days": days}
            for row in issuers
        ]
        platform.store.put(key, "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows).encode())
    report = SyncReport(
        start.isoformat(),
        end.isoformat(),
        days,
        issuers,
        filings_fetched=len(fetched.filings),
        missing=fetched.missing,
        fetch_requests=fetched.requests,
        key=key,
    )
    if out is not None:
        _print(report, out)
    return report
