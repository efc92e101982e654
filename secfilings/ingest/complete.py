"""A 13F information table that arrives after its cover page joins the stored filing.

EDGAR ships a 13F-HR as a cover page (``primary_doc.xml``) and an information table; a user
who ingests the cover alone gets a filing whose answer says ``"table missing"``. Ingesting the
table later with ``--cik``, ``--accession`` and ``--period`` finds that accession already in the
de-dup ledger; instead of ``"duplicate"``, the table joins the cover:

1. the stored cover is read by accession through SQL (so a compacted partition is read too);
   it must be a fund filing of the same filer (``--cik``) and period (``--period``), else the
   table is rejected with one line naming both values; a cover that already has a table (or
   holdings) makes the table a ``"duplicate"``;
2. the table's bytes go beside the cover's raw document
   (``raw/<the cover's partition>/<accession>.table.xml``);
3. its holdings go to ``fund_holdings`` in the cover's partition, each row carrying the cover's
   form type, dates and filer name (the cover's ``fund_filings`` row is not rewritten: a filing
   with holdings rows has its table, ``secfilings.documents.fund_entry``);
4. the index item of the filing is rewritten from the cover's row and the new rows (in every
   mode but ``off``), so index and SQL answers stay identical.

Each step writes a deterministic key, so a crash in between is repaired by ingesting the table
again (the cover still reads "table missing" until step 3 has run; after it, the repeat finds
the rows and rewrites the index item if step 4 had not run).

The other order: a cover page ingested *after* its bare table (:func:`cover_joins_table`) takes
the table over, so the lake ends as if the cover had come first: the table's raw bytes move to
``raw/<the cover's partition>/<accession>.table.xml``, the cover's raw document, its
``fund_filings`` row and the holdings rows (now carrying the cover's form type, dates and filer
name) are written in the cover's partition, the bare table's objects in its own partition (its
period) are deleted when their keys differ, the index item is rewritten, and the ledger is
committed again naming the cover's raw key. The de-dup ledger marks a bare table's claim
(``"bare_table": true``) until then, so a crash after any step is repaired by ingesting the cover
again, and the same cover once more is a ``"duplicate"``. A cover that came with its own table
(a whole submission) replaces the bare table the same way, with its own rows. Refused, in one
line, with nothing written: a cover of another filer or period, a 13F notice (it has no table),
and a bare table whose partition is compacted (``secfilings compact`` moved its rows to Parquet,
which a rewrite cannot reach).
"""

from __future__ import annotations

import dataclasses
from contextlib import nullcontext
from datetime import date
from typing import Any, Literal, Mapping

from secfilings.documents import fund_entry
from secfilings.index.keys import LEDGER_SK, fitted_item, fund_pk, fund_sk, ledger_pk
from secfilings.ingest.write import _fund_tables, _ndjson, crash_point, plan_filing, write_lookups, write_objects
from secfilings.lake import layout
from secfilings.model import FundFiling, FundHolding
from secfilings.sql.queries import fund_entries, fund_filings_by_accession_sql

__all__ = ["is_bare_table", "join_cover", "is_stored_bare_table", "cover_joins_table"]


def is_bare_table(filing: Any) -> bool:
    return isinstance(filing, FundFiling) and filing.bare_table


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _stored_cover(platform: Any, accession: str) -> tuple[Mapping[str, Any] | None, dict[str, Any] | None]:
    """(the stored fund_filings row of ``accession`` or None, its fund entry as SQL answers it)."""
    rows = platform.sql.query(fund_filings_by_accession_sql(1), [accession])
    if not rows:
        return None, None
    return rows[0], fund_entries(rows)[0]


def _put_item(platform: Any, entry: Mapping[str, Any]) -> None:
    item = dict(entry)
    del item["fund_cik"]  # the pk says it
    pk, sk = fund_pk(str(entry["fund_cik"])), fund_sk(item)
    platform.index.put_lookup(pk, sk, fitted_item(pk, sk, item))


def _repair_item(platform: Any, entry: Mapping[str, Any]) -> bool:
    """Rewrite the index item of a joined filing whose join crashed before its last step."""
    if platform.settings.index_mode == "off":
        return False
    pk, sk = fund_pk(str(entry["fund_cik"])), fund_sk(entry)
    current = platform.index.get_item(pk, sk)
    if current is not None and current.get("has_table"):
        return False
    _put_item(platform, entry)
    return True


def join_cover(
    platform: Any, table: FundFiling, raw: bytes, claim: Mapping[str, Any], *, fail_after: str | None = None
) -> Literal["new", "duplicate"]:
    """Add the bare information table ``table`` to its stored cover page (the committed ledger
    ``claim`` of the same accession); ``ValueError`` (one line) when they do not belong together."""
    accession = table.accession_number
    cover, stored = _stored_cover(platform, accession)
    if cover is None or stored is None or not str(cover.get("form_type") or "").startswith("13F"):
        return "duplicate"  # the accession is stored, but not as a 13F cover page: nothing to join
    if cover.get("filer_cik") != table.filer_cik:
        raise ValueError(
            f"--cik {table.filer_cik} does not match the stored cover page of {accession}"
            f" (filer {cover.get('filer_cik')})"
        )
    period = _as_date(cover.get("period"))
    if period is not None and period != table.period:
        raise ValueError(
            f"--period {table.period} does not match the stored cover page of {accession}"
            f" (period {period.isoformat()})"
        )
    # only after those checks: a table given another filer's --cik or period is refused even when
    # its rows are stored already (the same bytes again), never reported a duplicate
    if stored["has_table"]:  # the cover has its table already (this one, or one that came with it)
        return "new" if _repair_item(platform, stored) else "duplicate"
    if str(cover.get("report_type") or "").upper().startswith("13F NOTICE"):
        raise ValueError(f"the stored filing {accession} is a 13F notice, which has no information table")
    parts = layout.parse_key(str(claim.get("raw_key", "")))
    if parts is None:
        raise ValueError(f"the ledger of {accession} names no raw document to put the table beside")
    when = date(int(parts["year"]), int(parts["month"]), 1)  # the cover's partition
    form = str(cover["form_type"])
    store = platform.store
    table_raw_key = layout.raw_table_key(form, when, accession)
    if not table.holdings and store.head(table_raw_key) is not None:
        return "duplicate"  # an empty table joined before: it left its raw bytes and no rows
    joined = FundFiling(
        accession_number=accession,
        form_type=form,
        period=period or table.period,
        filed=_as_date(cover.get("filed")),
        filer_cik=table.filer_cik,
        filer_name=str(cover.get("filer_name") or ""),
        holdings=table.holdings,
        accession_source=table.accession_source,
        has_table=True,
    )
    rows = _fund_tables(joined, "")["fund_holdings"]
    store.put(table_raw_key, raw)
    crash_point("raw", fail_after)
    store.put(layout.table_key("fund_holdings", form, when, accession), _ndjson(rows))
    crash_point("table:fund_holdings", fail_after)
    if platform.settings.index_mode != "off":
        _put_item(platform, fund_entry(cover, rows))
    crash_point("lookup", fail_after)
    return "new"


# -- a cover page after its bare table ---------------------------------------------------------


def is_stored_bare_table(filing: Any, claim: Mapping[str, Any]) -> bool:
    """``filing`` is a 13F cover page (not a bare table) and the committed ``claim`` of its
    accession is a bare information table's that no cover has joined yet."""
    return bool(claim.get("bare_table")) and isinstance(filing, FundFiling) and not filing.bare_table


def _stored_holdings(rows: list[Mapping[str, Any]]) -> tuple[FundHolding, ...]:
    """The holdings of the stored rows (joined filing x holding rows; one per position, so the
    rows of a half-moved filing, in two partitions at once, count once)."""
    by_position: dict[int, FundHolding] = {}
    for row in rows:
        if row.get("position") is None or int(row["position"]) in by_position:
            continue

        def number(name: str, row: Mapping[str, Any] = row) -> int | None:
            value = row.get(name)
            return None if value is None or value == "" else int(value)

        position = int(row["position"])
        by_position[position] = FundHolding(
            position=position,
            issuer=str(row.get("issuer") or ""),
            title_of_class=row.get("title_of_class"),
            cusip=str(row["cusip"]),
            value=int(row["value"]),
            shares=int(row["shares"]),
            share_type=str(row.get("share_type") or "SH"),
            put_call=row.get("put_call"),
            investment_discretion=row.get("investment_discretion"),
            voting_sole=number("voting_sole"),
            voting_shared=number("voting_shared"),
            voting_none=number("voting_none"),
            other_managers=row.get("other_managers"),
        )
    return tuple(by_position[position] for position in sorted(by_position))


def cover_joins_table(
    platform: Any, cover: FundFiling, raw: bytes, raw_ext: str, claim: Mapping[str, Any], *,
    fail_after: str | None = None,
) -> Literal["new", "duplicate"]:
    """Write the cover page ``cover`` over the bare information table stored under its accession
    (the committed ledger ``claim``, marked ``bare_table``); see the module docstring.
    ``ValueError`` (one line, nothing written) when they do not belong together."""
    accession = cover.accession_number
    rows = platform.sql.query(fund_filings_by_accession_sql(1), [accession])
    if not rows:
        return "duplicate"  # the ledger names it, the lake has no row of it: nothing to join
    stored = rows[0]
    if stored.get("filer_cik") != cover.filer_cik:
        raise ValueError(
            f"the cover page of {accession} names filer {cover.filer_cik}, but its stored information"
            f" table was ingested with --cik {stored.get('filer_cik')}"
        )
    period = _as_date(stored.get("period"))
    if cover.period is not None and period is not None and cover.period != period:
        raise ValueError(
            f"the cover page of {accession} is for the period {cover.period.isoformat()}, but its stored"
            f" information table was ingested with --period {period.isoformat()}"
        )
    if str(cover.report_type or "").upper().startswith("13F NOTICE") or cover.form_type.startswith("13F-NT"):
        raise ValueError(
            f"the document is a 13F notice (no information table), but {accession} is stored as an"
            " information table"
        )
    old = layout.parse_key(str(claim.get("raw_key", "")))
    if old is None:
        raise ValueError(f"the ledger of {accession} names no raw document of its information table")
    old_partition = f"form={old['form']}/year={old['year']}/month={old['month']}"
    store = platform.store
    for table in ("fund_filings", "fund_holdings"):
        if store.head(layout.compacted_key(table, old_partition)) is not None:
            raise ValueError(
                f"the information table of {accession} is in a compacted partition ({old_partition}):"
                " its cover page cannot be merged into it"
            )
    joined = cover if cover.has_table else dataclasses.replace(
        cover, period=cover.period or period, holdings=_stored_holdings(rows), has_table=True
    )
    plan = plan_filing(joined, raw_ext, index_mode=platform.settings.index_mode)  # validates every key
    when = _as_date(f"{old['year']}-{old['month']}-01")
    assert when is not None
    old_keys = [str(claim["raw_key"])] + [
        layout.table_key(table, old["form"], when, accession) for table in ("fund_filings", "fund_holdings")
    ]
    new_keys = {plan.raw_key, *(key for _table, key, _payload in plan.tables)}
    if not cover.has_table:  # keep the table's own bytes, beside the cover's, as a join would
        parts = layout.parse_key(plan.raw_key)
        assert parts is not None
        table_raw_key = layout.raw_table_key(
            cover.form_type, date(int(parts["year"]), int(parts["month"]), 1), accession
        )
        new_keys.add(table_raw_key)
        if store.head(table_raw_key) is None:  # not moved yet: the ledger's raw key still holds it
            store.put(table_raw_key, store.get(str(claim["raw_key"])))
        crash_point("table-raw", fail_after)
    write_objects(platform, plan, raw, fail_after=fail_after)
    for key in old_keys:
        if key not in new_keys:
            store.delete(key)
    crash_point("old", fail_after)
    index = platform.index
    transaction = getattr(index, "transaction", None)
    with transaction() if transaction is not None else nullcontext():
        write_lookups(platform, plan, fail_after=fail_after)
        committed = {key: value for key, value in claim.items() if key != "bare_table"}
        committed.update(raw_key=plan.raw_key, form_type=cover.form_type)
        index.put_lookup(ledger_pk(accession), LEDGER_SK, committed)
    crash_point("commit", fail_after)
    return "new"
