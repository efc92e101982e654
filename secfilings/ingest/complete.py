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
the rows and rewrites the index item if step 4 had not run). A cover ingested *after* its
table is still a ``"duplicate"``: the bare table's filing is kept as it was (docs/fields.md).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, Mapping

from secfilings.documents import fund_entry
from secfilings.index.keys import fitted_item, fund_pk, fund_sk
from secfilings.ingest.write import _fund_tables, _ndjson, crash_point
from secfilings.lake import layout
from secfilings.model import FundFiling
from secfilings.sql.queries import fund_entries, fund_filings_by_accession_sql

__all__ = ["is_bare_table", "join_cover"]


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
    if stored["has_table"]:  # the cover has its table already (this one, or one that came with it)
        return "new" if _repair_item(platform, stored) else "duplicate"
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
