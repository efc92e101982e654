"""Writing one parsed filing into the lake: raw document, table rows (NDJSON), lookup items.

Every key is deterministic (``secfilings.lake.layout``), so writing the same filing again
overwrites the same objects with the same bytes: a repeat changes nothing. :func:`plan_filing`
computes everything (and validates every key) before the first write, so a filing that cannot be
written is refused with nothing written. The steps run in :data:`STEPS` order; ``fail_after``
injects a crash (:class:`InjectedCrash`) right after the named step, for the crash tests.

Lookup items (skipped when ``settings.index_mode == "off"``):

- ownership filing: ``pk="company#<issuer_cik>"``, ``sk="filing#<filed or period>#<accession>"``,
  item = the company endpoint's filing entry (``secfilings.documents.company_entry`` of the rows
  written to the lake: filing fields, ``reporting_owners``, ``transactions`` — rows with a
  transaction code — and ``holdings``, in ``position`` order; docs/fields.md) plus ``"company_name"``.
- 13F filing: ``pk="fund#<filer_cik>"``, ``sk="filing#<period>#<accession>"``, item = the fund's
  filing entry (``secfilings.documents.fund_entry`` of the rows written: cover fields, ``has_table``,
  ``value_unit`` and ``holdings``) plus ``"fund_name"``; the endpoint makes quarters of them.

A filing whose item would pass DynamoDB's 400 KB limit gets a stub instead (its filing fields and
``"rows_in_sql": true``, ``secfilings.index.keys.fitted_item``): the read side reads those rows
from SQL, so the filing is never missing from an answer the index serves.

Where no item is written (``index_mode == "off"``), the write deletes the pk's remembered miss
(``sk="miss"``, see ``read_through``) instead: a miss remembered before the filing landed must not
answer "not found" once the index is read again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Union

from secfilings.fastjson import compact_encoder
from secfilings.lake import layout
from secfilings.documents import company_entry, fund_entry
from secfilings.model import FundFiling, OwnershipFiling, ReportingOwner
from secfilings.index.keys import MISS_SK, company_pk, company_sk, fitted_item, fund_pk, fund_sk

__all__ = [
    "STEPS",
    "Filing",
    "InjectedCrash",
    "WritePlan",
    "crash_point",
    "plan_filing",
    "plan_raw_key",
    "write_objects",
    "write_lookups",
    "insert_filing",
    "execute_plan",
    "company_item",
    "fund_item",
    "partition_date",
]

Filing = Union[OwnershipFiling, FundFiling]

# The write's steps, in order ("table:<name>" once per table the filing has).
STEPS: tuple[str, ...] = (
    "raw",
    "table:ownership_filings",
    "table:insider_transactions",
    "table:fund_filings",
    "table:fund_holdings",
    "lookup",
)


class InjectedCrash(RuntimeError):
    """Raised by ``fail_after=<step>``: the process "dies" right after that step."""

    def __init__(self, step: str) -> None:
        self.step = step
        super().__init__(f"injected crash after step {step!r}")


def crash_point(step: str, fail_after: str | None) -> None:
    if fail_after is not None and fail_after == step:
        raise InjectedCrash(step)


@dataclass
class WritePlan:
    accession: str
    raw_key: str
    tables: list[tuple[str, str, bytes]]  # (table, key, NDJSON bytes)
    lookups: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (pk, sk, item)
    # remembered misses to forget: the filing's pk when no item of it is written (index off, or
    # an item above the size limit), so a later read-fallback lookup queries SQL and finds it
    forget: list[tuple[str, str]] = field(default_factory=list)  # (pk, sk)

    @property
    def steps(self) -> list[str]:
        return ["raw", *(f"table:{table}" for table, _, _ in self.tables), "lookup"]


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


_dumps = compact_encoder()


def _ndjson(rows: list[dict[str, Any]]) -> bytes:
    return "".join(_dumps(row) + "\n" for row in rows).encode("utf-8")


def partition_date(filing: Filing) -> date:
    """The filing date; for a bare document its period of report (13F: then its signature date)."""
    when = filing.filed or filing.period
    if when is None and isinstance(filing, FundFiling):
        when = filing.signed
    if when is None:
        raise ValueError("the document has no filing date and no period of report to file it under")
    return when


def company_item(filing: OwnershipFiling, tables: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """The company index item: :func:`secfilings.documents.company_entry` of the very rows the
    lake gets (``tables``: this filing's ``_ownership_tables``), so index and SQL agree."""
    tables = tables if tables is not None else _ownership_tables(filing, "")
    item = company_entry(tables["ownership_filings"][0], tables["insider_transactions"])
    del item["company_cik"]  # the pk says it
    return item


def _owner(owner: ReportingOwner) -> dict[str, Any]:
    return {
        "cik": owner.cik,
        "name": owner.name,
        "is_director": owner.is_director,
        "is_officer": owner.is_officer,
        "is_ten_percent_owner": owner.is_ten_percent_owner,
        "is_other": owner.is_other,
        "officer_title": owner.officer_title,
    }


def fund_item(filing: FundFiling, tables: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """The fund index item: :func:`secfilings.documents.fund_entry` of the very rows the lake
    gets (``tables``: this filing's ``_fund_tables``), so index and SQL agree."""
    tables = tables if tables is not None else _fund_tables(filing, "")
    item = fund_entry(tables["fund_filings"][0], tables["fund_holdings"])
    del item["fund_cik"]  # the pk says it
    return item


def _ownership_tables(filing: OwnershipFiling, raw_key: str) -> dict[str, list[dict[str, Any]]]:
    first = filing.reporting_owners[0] if filing.reporting_owners else None
    owner_cik = first.cik if first else None
    owner_name = first.name if first else None
    filed, period = _iso(filing.filed), _iso(filing.period)
    transactions = sum(1 for row in filing.rows if row.code is not None)
    header = {
        "accession_number": filing.accession_number,
        "form_type": filing.form_type,
        "filed": filed,
        "period": period,
        "issuer_cik": filing.issuer_cik,
        "issuer_name": filing.issuer_name,
        "issuer_ticker": filing.issuer_ticker,
        "reporting_owner_cik": owner_cik,
        "reporting_owner_name": owner_name,
        "reporting_owners": _dumps([_owner(o) for o in filing.reporting_owners]),
        "date_of_original_submission": _iso(filing.date_of_original_submission),
        "no_securities_owned": filing.no_securities_owned,
        "transaction_count": transactions,
        "holding_count": len(filing.rows) - transactions,
        "footnotes": _dumps(filing.footnotes),
        "remarks": filing.remarks,
        "accession_source": filing.accession_source,
        "raw_key": raw_key,
    }
    rows = [
        {
            "accession_number": filing.accession_number,
            "position": row.position,
            "form_type": filing.form_type,
            "filed": filed,
            "period": period,
            "issuer_cik": filing.issuer_cik,
            "issuer_name": filing.issuer_name,
            "reporting_owner_cik": owner_cik,
            "reporting_owner_name": owner_name,
            "derivative": row.derivative,
            "is_transaction": row.code is not None,
            "security_title": row.security_title,
            "transaction_date": _iso(row.date),
            "code": row.code,
            "is_10b5_1": filing.is_10b5_1 if row.code is not None else None,
            "shares": row.shares,
            "price_per_share": row.price_per_share,
            "acquired_disposed": row.acquired_disposed,
            "shares_owned_following": row.shares_owned_following,
            "value_owned_following": row.value_owned_following,
            "direct_indirect": row.direct_indirect,
            "nature_of_ownership": row.nature_of_ownership,
            "underlying_security_title": row.underlying_security_title,
            "underlying_shares": row.underlying_shares,
            "conversion_or_exercise_price": row.conversion_or_exercise_price,
            "exercise_date": _iso(row.exercise_date),
            "expiration_date": _iso(row.expiration_date),
            "footnote_ids": ",".join(row.footnote_ids) or None,
            "field_footnotes": (
                _dumps({name: list(ids) for name, ids in row.field_footnotes}) if row.field_footnotes else "{}"
            ),
        }
        for row in filing.rows
    ]
    return {"ownership_filings": [header], "insider_transactions": rows}


def _fund_tables(filing: FundFiling, raw_key: str) -> dict[str, list[dict[str, Any]]]:
    filed, period = _iso(filing.filed), _iso(filing.period)
    header = {
        "accession_number": filing.accession_number,
        "form_type": filing.form_type,
        "filed": filed,
        "period": period,
        "filer_cik": filing.filer_cik,
        "filer_name": filing.filer_name,
        "table_value_total": filing.table_value_total,
        "table_entry_total": filing.table_entry_total,
        "holding_count": len(filing.holdings),
        "signed": _iso(filing.signed),
        "is_amendment": filing.is_amendment,
        "amendment_type": filing.amendment_type,
        "value_unit": layout.value_unit(filing.filed or filing.signed, filing.period),
        "accession_source": filing.accession_source,
        "raw_key": raw_key,
        "report_type": filing.report_type,
        "has_table": filing.has_table,
    }
    rows = [
        {
            "accession_number": filing.accession_number,
            "position": holding.position,
            "form_type": filing.form_type,
            "filed": filed,
            "period": period,
            "filer_cik": filing.filer_cik,
            "filer_name": filing.filer_name,
            "issuer": holding.issuer,
            "title_of_class": holding.title_of_class,
            "cusip": holding.cusip,
            "value": holding.value,
            "shares": holding.shares,
            "share_type": holding.share_type,
            "put_call": holding.put_call,
            "investment_discretion": holding.investment_discretion,
            "voting_sole": holding.voting_sole,
            "voting_shared": holding.voting_shared,
            "voting_none": holding.voting_none,
            "other_managers": holding.other_managers,
        }
        for holding in filing.holdings
    ]
    return {"fund_filings": [header], "fund_holdings": rows}


def plan_raw_key(filing: Filing, raw_ext: str) -> str:
    """The raw document's key: the check ``plan_filing`` makes before building any payload.

    Every key of the write (raw and tables) is made of the same form, partition date and
    accession number, so when this passes, ``plan_filing`` raises no ``ValueError``.
    """
    if not isinstance(filing, (OwnershipFiling, FundFiling)):
        raise TypeError(f"cannot write a {type(filing).__name__}")
    return layout.raw_key(filing.form_type, partition_date(filing), filing.accession_number, raw_ext)


def plan_filing(filing: Filing, raw_ext: str, *, index_mode: str = "read-fallback") -> WritePlan:
    """Every key and payload of the write, validated; raises ``ValueError`` naming the problem."""
    raw_key = plan_raw_key(filing, raw_ext)
    when = partition_date(filing)
    accession = filing.accession_number
    if isinstance(filing, OwnershipFiling):
        tables = _ownership_tables(filing, raw_key)
    else:
        tables = _fund_tables(filing, raw_key)
    plan = WritePlan(
        accession=accession,
        raw_key=raw_key,
        tables=[
            (table, layout.table_key(table, filing.form_type, when, accession), _ndjson(rows))
            for table, rows in tables.items()
        ],
    )
    if isinstance(filing, OwnershipFiling):
        item = company_item(filing, tables)
        pk, sk = company_pk(filing.issuer_cik), company_sk(item)
    else:
        item = fund_item(filing, tables)
        pk, sk = fund_pk(filing.filer_cik), fund_sk(item)
    if index_mode != "off":
        plan.lookups.append((pk, sk, fitted_item(pk, sk, item)))  # a filing item outweighs a remembered miss
    else:
        plan.forget.append((pk, MISS_SK))
    return plan


def execute_plan(platform: Any, plan: WritePlan, raw: bytes, *, fail_after: str | None = None) -> None:
    """Run the plan's steps in order (each idempotent)."""
    write_objects(platform, plan, raw, fail_after=fail_after)
    write_lookups(platform, plan, fail_after=fail_after)


def write_objects(platform: Any, plan: WritePlan, raw: bytes, *, fail_after: str | None = None) -> None:
    """The plan's lake steps: the raw document, then one NDJSON object per table."""
    store = platform.store
    store.put(plan.raw_key, raw)
    crash_point("raw", fail_after)
    for table, key, payload in plan.tables:
        store.put(key, payload)
        crash_point(f"table:{table}", fail_after)


def write_lookups(platform: Any, plan: WritePlan, *, fail_after: str | None = None) -> None:
    """The plan's index step: its lookup items."""
    for pk, sk, item in plan.lookups:
        platform.index.put_lookup(pk, sk, item)
    for pk, sk in plan.forget:
        platform.index.delete_lookup(pk, sk)
    crash_point("lookup", fail_after)


def insert_filing(
    platform: Any,
    filing: Filing,
    raw: bytes,
    raw_ext: str,
    *,
    fail_after: str | None = None,
) -> None:
    """Write ``filing`` (raw document, rows, then lookup items); a repeat overwrites the same keys."""
    plan = plan_filing(filing, raw_ext, index_mode=platform.settings.index_mode)
    execute_plan(platform, plan, raw, fail_after=fail_after)
