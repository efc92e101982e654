"""Where everything lives in the lake: keys, partitions and the tables' columns (defined once).

Hive-style partitions by form and filing year/month::

    raw/form=<form>/year=<YYYY>/month=<MM>/<accession>.<ext>
    tables/<table>/form=<form>/year=<YYYY>/month=<MM>/<accession>.json     (NDJSON, one file per filing)
    quarantine/<yyyy-mm-dd>/<sha256[:16]>-<name>    (+ "<same>.reason.txt")
    compacted/<table>/form=<form>/year=<YYYY>/month=<MM>/compacted.parquet  (secfilings compact)

``<form>`` is the form type with ``/`` removed (``4/A`` -> ``4A``, ``13F-HR/A`` -> ``13F-HRA``).
The partition date is the filing date; for a bare document (no submission header, so no filing
date) it is the document's period of report (or, for a 13F cover page, its signature date).

``<accession>`` is the accession number ``NNNNNNNNNN-YY-NNNNNN`` or, for a bare document whose
accession is not known, a synthetic key ``sha256-<40 hex>`` derived from the document's content
(see :func:`content_accession`). The synthetic key contains letters, so it can never equal a real
accession number, and it is deterministic, so re-ingesting the same bytes de-duplicates.

``TABLE_COLUMNS`` lists each table's data columns in order as ``(name, type)``; the types are
Athena/Hive DDL types that DuckDB accepts as they are (``string`` is DuckDB's alias of VARCHAR).
The partition columns ``form``, ``year``, ``month`` (all strings, as in the keys) come from the
path and are listed in ``PARTITION_COLUMNS``; they are not stored in the rows.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date

__all__ = [
    "TABLES",
    "TABLE_COLUMNS",
    "PARTITION_COLUMNS",
    "RAW_PREFIX",
    "TABLES_PREFIX",
    "QUARANTINE_PREFIX",
    "ACCESSION_KEY",
    "form_partition",
    "partition_path",
    "raw_key",
    "raw_table_key",
    "RAW_TABLE_EXT",
    "table_key",
    "table_prefix",
    "quarantine_key",
    "content_accession",
    "is_accession_key",
    "parse_key",
    "value_unit",
    "THIRTEENF_DOLLARS_FROM",
    "THIRTEENF_DOLLARS_PERIOD_FROM",
    "COMPACTED_PREFIX",
    "COMPACTED_NAME",
    "SORT_COLUMNS",
    "READ_VIEWS",
    "compacted_key",
]

RAW_PREFIX = "raw/"
TABLES_PREFIX = "tables/"
QUARANTINE_PREFIX = "quarantine/"

# 13F values: whole dollars for filings made from this date on, thousands of dollars before.
THIRTEENF_DOLLARS_FROM = date(2023, 1, 3)
THIRTEENF_DOLLARS_PERIOD_FROM = date(2022, 12, 31)  # the first quarter reported after that date

PARTITION_COLUMNS: list[tuple[str, str]] = [("form", "string"), ("year", "string"), ("month", "string")]

TABLE_COLUMNS: dict[str, list[tuple[str, str]]] = {
    # One row per ownership filing (Form 3, 4, 5 and amendments).
    "ownership_filings": [
        ("accession_number", "string"),
        ("form_type", "string"),
        ("filed", "date"),
        ("period", "date"),
        ("issuer_cik", "string"),
        ("issuer_name", "string"),
        ("issuer_ticker", "string"),
        ("reporting_owner_cik", "string"),  # the first reporting owner
        ("reporting_owner_name", "string"),
        # JSON text, in document order: [{"cik", "name", "is_director", "is_officer",
        # "is_ten_percent_owner", "is_other", "officer_title"}, ...]
        ("reporting_owners", "string"),
        ("date_of_original_submission", "date"),  # amendments only
        ("no_securities_owned", "boolean"),
        ("transaction_count", "int"),
        ("holding_count", "int"),
        ("footnotes", "string"),  # JSON text: {"F1": "...", ...}
        ("remarks", "string"),
        ("accession_source", "string"),  # document | file name | command line | content hash
        ("raw_key", "string"),
    ],
    # Every ownership row: transactions (code not null) and holdings (code null).
    "insider_transactions": [
        ("accession_number", "string"),
        ("position", "int"),  # de-dup key with the accession: non-derivative rows first
        ("form_type", "string"),
        ("filed", "date"),
        ("period", "date"),
        ("issuer_cik", "string"),
        ("issuer_name", "string"),
        ("reporting_owner_cik", "string"),  # the first reporting owner
        ("reporting_owner_name", "string"),
        ("derivative", "boolean"),
        ("is_transaction", "boolean"),
        ("security_title", "string"),
        ("transaction_date", "date"),
        ("code", "string"),
        ("is_10b5_1", "boolean"),  # transactions: the filing's aff10b5One (null before schema X0508)
        ("shares", "double"),
        ("price_per_share", "double"),
        ("acquired_disposed", "string"),  # A | D
        ("shares_owned_following", "double"),
        ("value_owned_following", "double"),  # rows written in value terms (dollars), not shares
        ("direct_indirect", "string"),  # D | I
        ("nature_of_ownership", "string"),
        ("underlying_security_title", "string"),
        ("underlying_shares", "double"),
        ("conversion_or_exercise_price", "double"),
        ("exercise_date", "date"),
        ("expiration_date", "date"),
        ("footnote_ids", "string"),  # comma-separated footnote ids of the row, e.g. "F1,F3"
        ("field_footnotes", "string"),  # JSON text: {"transactionShares": ["F1"], ...}
    ],
    # One row per 13F filing (cover page + summary).
    "fund_filings": [
        ("accession_number", "string"),
        ("form_type", "string"),
        ("filed", "date"),
        ("period", "date"),
        ("filer_cik", "string"),
        ("filer_name", "string"),
        ("table_value_total", "bigint"),
        ("table_entry_total", "bigint"),
        ("holding_count", "int"),
        ("signed", "date"),  # the cover page's signature date
        ("is_amendment", "boolean"),
        ("amendment_type", "string"),  # RESTATEMENT | NEW HOLDINGS | null
        ("value_unit", "string"),  # "dollars" | "thousands": the unit of value as filed
        ("accession_source", "string"),
        ("raw_key", "string"),
        ("report_type", "string"),  # the cover's reportType as written (13F HOLDINGS REPORT, 13F NOTICE REPORT, ...)
        ("has_table", "boolean"),  # an information table came with the filing
    ],
    # One row per information-table entry.
    "fund_holdings": [
        ("accession_number", "string"),
        ("position", "int"),
        ("form_type", "string"),
        ("filed", "date"),
        ("period", "date"),
        ("filer_cik", "string"),
        ("filer_name", "string"),
        ("issuer", "string"),
        ("title_of_class", "string"),
        ("cusip", "string"),
        ("value", "bigint"),  # as filed, unit in fund_filings.value_unit
        ("shares", "bigint"),
        ("share_type", "string"),  # SH | PRN
        ("put_call", "string"),  # Put | Call | null
        ("investment_discretion", "string"),
        ("voting_sole", "bigint"),
        ("voting_shared", "bigint"),
        ("voting_none", "bigint"),
        ("other_managers", "string"),  # the row's otherManager, as written
    ],
}

TABLES: tuple[str, ...] = tuple(TABLE_COLUMNS)

# ``secfilings compact`` rewrites a partition's NDJSON row files of a table into this one Parquet
# file, sorted by the table's lookup key (then accession, position) so a CIK lookup reads few row
# groups: ``compacted/<table>/form=/year=/month=/compacted.parquet``, beside ``tables/`` rather
# than in it, so that an Athena JSON table over ``tables/<table>/`` never meets a Parquet file
# (Athena has one table per format). Readers take its rows plus the rows of NDJSON files whose
# (partition, accession) it does not hold (see secfilings/scripts/compact_lake.py).
COMPACTED_PREFIX = "compacted/"
COMPACTED_NAME = "compacted.parquet"
# What Athena reads a table through: the view ``<table>_all`` of
# infra/athena/ddl/compacted/<table>_all.sql, the table's compacted Parquet rows plus the NDJSON
# rows no compacted file holds yet (a test checks the DDL names these views). ``AthenaEngine``
# sends its SQL with the table names in FROM/JOIN replaced by these.
READ_VIEWS: dict[str, str] = {table: f"{table}_all" for table in TABLES}
SORT_COLUMNS: dict[str, str] = {
    "ownership_filings": "issuer_cik",
    "insider_transactions": "issuer_cik",
    "fund_filings": "filer_cik",
    "fund_holdings": "filer_cik",
}

# A real accession number or a synthetic content key.
ACCESSION_KEY = re.compile(r"^(?:\d{10}-\d{2}-\d{6}|sha256-[0-9a-f]{40})$", re.ASCII)
_FORM = re.compile(r"^[0-9A-Z][0-9A-Z-]{0,15}$")
_EXT = re.compile(r"^[a-z0-9]{1,8}$")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_KEY = re.compile(
    r"^(?:raw|tables/(?P<table>[a-z_]+))/form=(?P<form>[^/]+)/year=(?P<year>[^/]+)/"
    r"month=(?P<month>[^/]+)/(?P<name>[^/]+)$"
)


def form_partition(form_type: str) -> str:
    """``"4/A"`` -> ``"4A"``; refuses anything that is not a plausible form type."""
    value = form_type.strip().upper().replace("/", "")
    if not _FORM.match(value):
        raise ValueError(f"invalid form type {form_type!r} for a lake key")
    return value


def partition_path(form_type: str, when: date) -> str:
    """``form=4/year=2025/month=02``."""
    return f"form={form_partition(form_type)}/year={when.year:04d}/month={when.month:02d}"


def _check_accession(accession: str) -> str:
    if not ACCESSION_KEY.match(accession):
        raise ValueError(f"invalid accession key {accession!r} for a lake key")
    return accession


def raw_key(form_type: str, when: date, accession: str, ext: str) -> str:
    if not _EXT.match(ext):
        raise ValueError(f"invalid extension {ext!r} for a lake key")
    return f"{RAW_PREFIX}{partition_path(form_type, when)}/{_check_accession(accession)}.{ext}"


# A 13F information table ingested after its cover page (``secfilings ingest --cik --accession
# --period``) is kept beside the cover's raw document: ``raw/<the cover's partition>/<accession>.table.xml``.
RAW_TABLE_EXT = "table.xml"


def raw_table_key(form_type: str, when: date, accession: str) -> str:
    """Where an information table that joined its stored cover page keeps its raw bytes."""
    return f"{RAW_PREFIX}{partition_path(form_type, when)}/{_check_accession(accession)}.{RAW_TABLE_EXT}"


def table_prefix(table: str) -> str:
    if table not in TABLE_COLUMNS:
        raise ValueError(f"unknown table {table!r}")
    return f"{TABLES_PREFIX}{table}/"


def table_key(table: str, form_type: str, when: date, accession: str) -> str:
    return f"{table_prefix(table)}{partition_path(form_type, when)}/{_check_accession(accession)}.json"


def compacted_key(table: str, partition: str) -> str:
    """``compacted/<table>/<partition>/compacted.parquet`` (``partition``: ``form=../year=../month=..``)."""
    if table not in TABLE_COLUMNS:
        raise ValueError(f"unknown table {table!r}")
    return f"{COMPACTED_PREFIX}{table}/{partition.strip('/')}/{COMPACTED_NAME}"


def quarantine_key(day: date, data: bytes, name: str) -> str:
    """``quarantine/2025-02-13/<sha256[:16]>-<safe name>``: the reason goes to ``<key>.reason.txt``."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    safe = _UNSAFE_NAME.sub("_", base).strip("._") or "document"
    return f"{QUARANTINE_PREFIX}{day.isoformat()}/{digest}-{safe[:100]}"


def content_accession(data: bytes) -> str:
    """The synthetic accession key of a bare document: ``sha256-`` + the first 40 hex digits of the
    SHA-256 of its bytes with CR LF / CR line endings turned into LF (so a copy that only differs
    in line endings is the same document)."""
    normalised = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return "sha256-" + hashlib.sha256(normalised).hexdigest()[:40]


def is_accession_key(value: str) -> bool:
    return bool(ACCESSION_KEY.match(value))


def parse_key(key: str) -> dict[str, str] | None:
    """Split a raw or table key into ``table`` (None for raw), ``form``, ``year``, ``month``,
    ``accession`` and ``ext``; None when the key is not in the partition scheme."""
    match = _KEY.match(key)
    if not match:
        return None
    name = match["name"]
    accession, _, ext = name.partition(".")
    if not ext or not is_accession_key(accession):
        return None
    table = match["table"]
    if table is not None and (table not in TABLE_COLUMNS or ext != "json"):
        return None
    return {
        "table": table,
        "form": match["form"],
        "year": match["year"],
        "month": match["month"],
        "accession": accession,
        "ext": ext,
    }


def value_unit(filed: date | None, period: date | None = None) -> str:
    """The unit of a 13F ``value`` as filed: ``"dollars"`` for filings made from 2023-01-03 on,
    ``"thousands"`` before. Without a filing (or signature) date, the period decides: quarters
    ending 2022-12-31 or later were filed in dollars (a late filing of an older quarter may not
    be); with neither, dollars."""
    if filed is None:
        if period is not None and period < THIRTEENF_DOLLARS_PERIOD_FROM:
            return "thousands"
        return "dollars"
    if filed >= THIRTEENF_DOLLARS_FROM:
        return "dollars"
    return "thousands"
