"""The ``company`` answer's filing entry, built once from lake rows for the index and for SQL.

The writer builds the index item from the very row dicts it writes to the lake, and the SQL
fallback from the rows it reads back (``secfilings.sql.queries``): one function turns either into
the entry, so an answer is the same whichever source served it. Values are normalised here
(dates to ``YYYY-MM-DD``, numbers to floats, JSON text columns decoded) because SQL engines hand
back ``date``, ``Decimal`` or text where the writer had strings and floats.

Field names and meanings: docs/fields.md.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Mapping

__all__ = [
    "iso_date",
    "number",
    "as_float",
    "as_int",
    "as_bool",
    "optional_bool",
    "OWNER_KEYS",
    "TRANSACTION_KEYS",
    "HOLDING_KEYS",
    "FILING_COLUMNS",
    "ROW_COLUMNS",
    "company_entry",
    "FUND_FILING_COLUMNS",
    "FUND_ROW_COLUMNS",
    "FUND_HOLDING_KEYS",
    "fund_entry",
    "value_usd",
]

# The ownership_filings columns an entry reads, and the insider_transactions columns of its rows.
FILING_COLUMNS = (
    "accession_number", "form_type", "filed", "period", "issuer_cik", "issuer_name",
    "reporting_owners", "date_of_original_submission", "remarks", "footnotes",
)
ROW_COLUMNS = (
    "position", "is_transaction", "derivative", "security_title", "transaction_date", "code",
    "shares", "price_per_share", "acquired_disposed", "shares_owned_following",
    "value_owned_following", "is_10b5_1", "direct_indirect", "nature_of_ownership", "footnote_ids",
    "conversion_or_exercise_price", "exercise_date", "expiration_date",
    "underlying_security_title", "underlying_shares",
)

OWNER_KEYS = ("cik", "name", "is_director", "is_officer", "is_ten_percent_owner", "is_other", "officer_title")
_DERIVATIVE_KEYS = (
    "conversion_or_exercise_price", "exercise_date", "expiration_date",
    "underlying_security_title", "underlying_shares",
)
TRANSACTION_KEYS = (
    "security_title", "date", "code", "shares", "price_per_share", "acquired_disposed",
    "shares_owned_following", "value_owned_following", "derivative", "is_10b5_1",
    "direct_indirect", "nature_of_ownership", "footnote_ids", *_DERIVATIVE_KEYS,
)
HOLDING_KEYS = (
    "security_title", "derivative", "shares_owned_following", "value_owned_following",
    "direct_indirect", "nature_of_ownership", "footnote_ids", *_DERIVATIVE_KEYS,
)


def iso_date(value: Any) -> str | None:
    """A date as ``YYYY-MM-DD`` (from a date, a datetime or an ISO string), else None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value)[:10]).isoformat()


def number(value: Any) -> float | int | None:
    """A JSON number: ints stay ints, the rest become floats; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)):
        return float(value)
    text = str(value)
    try:
        return int(text)
    except ValueError:
        return float(text)


def as_float(value: Any) -> float | None:
    converted = number(value)
    return None if converted is None else float(converted)


def as_int(value: Any) -> int | None:
    converted = number(value)
    return None if converted is None else int(converted)


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def optional_bool(value: Any) -> bool | None:
    return None if value is None or value == "" else as_bool(value)


def _json(value: Any, empty: Any) -> Any:
    if value is None or value == "":
        return empty
    return json.loads(value) if isinstance(value, str) else value


def _owner(owner: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "cik": owner.get("cik"),
        "name": owner.get("name"),
        "is_director": bool(owner.get("is_director")),
        "is_officer": bool(owner.get("is_officer")),
        "is_ten_percent_owner": bool(owner.get("is_ten_percent_owner")),
        "is_other": bool(owner.get("is_other")),
        "officer_title": owner.get("officer_title"),
    }


def _row(row: Mapping[str, Any]) -> dict[str, Any]:
    ids = row.get("footnote_ids")
    return {
        "security_title": row.get("security_title"),
        "date": iso_date(row.get("transaction_date")),
        "code": row.get("code"),
        "shares": as_float(row.get("shares")),
        "price_per_share": as_float(row.get("price_per_share")),
        "acquired_disposed": row.get("acquired_disposed"),
        "shares_owned_following": as_float(row.get("shares_owned_following")),
        "value_owned_following": as_float(row.get("value_owned_following")),
        "derivative": as_bool(row.get("derivative")),
        "is_10b5_1": optional_bool(row.get("is_10b5_1")),
        "direct_indirect": row.get("direct_indirect"),
        "nature_of_ownership": row.get("nature_of_ownership"),
        "footnote_ids": ids.split(",") if isinstance(ids, str) and ids else [],
        "conversion_or_exercise_price": as_float(row.get("conversion_or_exercise_price")),
        "exercise_date": iso_date(row.get("exercise_date")),
        "expiration_date": iso_date(row.get("expiration_date")),
        "underlying_security_title": row.get("underlying_security_title"),
        "underlying_shares": as_float(row.get("underlying_shares")),
    }


def company_entry(filing: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The filing entry of the ``company`` answer (plus ``company_cik`` / ``company_name``) from an
    ``ownership_filings`` row and its ``insider_transactions`` rows (any order; ``position`` sorts)."""
    ordered = sorted(
        (row for row in rows if row.get("position") is not None), key=lambda row: int(row["position"])
    )
    shaped = [(as_bool(row.get("is_transaction")), _row(row)) for row in ordered]
    return {
        "accession_number": filing["accession_number"],
        "form_type": filing["form_type"],
        "filed": iso_date(filing.get("filed")),
        "period": iso_date(filing.get("period")),
        "date_of_original_submission": iso_date(filing.get("date_of_original_submission")),
        "remarks": filing.get("remarks"),
        "footnotes": _json(filing.get("footnotes"), {}),
        "reporting_owners": [_owner(owner) for owner in _json(filing.get("reporting_owners"), [])],
        "transactions": [row for is_transaction, row in shaped if is_transaction],
        "holdings": [{key: row[key] for key in HOLDING_KEYS} for is_transaction, row in shaped if not is_transaction],
        "company_cik": filing.get("issuer_cik"),
        "company_name": filing.get("issuer_name"),
    }


# -- funds (13F) ----------------------------------------------------------------------------------

# The fund_filings columns a fund entry reads, and the fund_holdings columns of its rows.
FUND_FILING_COLUMNS = (
    "accession_number", "form_type", "filed", "period", "filer_cik", "filer_name", "report_type",
    "is_amendment", "amendment_type", "table_entry_total", "table_value_total", "value_unit", "has_table",
)
FUND_ROW_COLUMNS = (
    "position", "issuer", "title_of_class", "cusip", "value", "shares", "share_type", "put_call",
    "investment_discretion", "other_managers", "voting_sole", "voting_shared", "voting_none",
)
FUND_HOLDING_KEYS = (
    "issuer", "title_of_class", "cusip", "value", "value_usd", "shares", "share_type", "put_call",
    "investment_discretion", "other_managers", "voting_sole", "voting_shared", "voting_none",
)


def value_usd(value: int | None, unit: str | None) -> int | None:
    """A 13F ``value`` in whole US dollars: x 1,000 when the filing's ``value_unit`` is
    ``"thousands"`` (filings made before 2023-01-03: ``secfilings.lake.layout.value_unit``)."""
    if value is None:
        return None
    return value * 1000 if unit == "thousands" else value


def _holding(row: Mapping[str, Any], unit: str | None) -> dict[str, Any]:
    value = as_int(row.get("value"))
    return {
        "issuer": row.get("issuer"),
        "title_of_class": row.get("title_of_class"),
        "cusip": row.get("cusip"),
        "value": value,
        "value_usd": value_usd(value, unit),
        "shares": as_int(row.get("shares")),
        "share_type": row.get("share_type"),
        "put_call": row.get("put_call"),
        "investment_discretion": row.get("investment_discretion"),
        "other_managers": row.get("other_managers"),
        "voting_sole": as_int(row.get("voting_sole")),
        "voting_shared": as_int(row.get("voting_shared")),
        "voting_none": as_int(row.get("voting_none")),
    }


def fund_entry(filing: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """One 13F filing of a fund (plus ``fund_cik`` / ``fund_name``) from a ``fund_filings`` row and
    its ``fund_holdings`` rows (any order; ``position`` sorts). ``has_table`` is false for a
    notice and for a cover page that came without its table; ``value_usd`` applies the filing's
    ``value_unit`` (docs/fields.md)."""
    unit = filing.get("value_unit")
    ordered = sorted(
        (row for row in rows if row.get("position") is not None), key=lambda row: int(row["position"])
    )
    has_table = filing.get("has_table")
    return {
        "accession_number": filing["accession_number"],
        "form_type": filing["form_type"],
        "filed": iso_date(filing.get("filed")),
        "period": iso_date(filing.get("period")),
        "report_type": filing.get("report_type"),
        "is_amendment": as_bool(filing.get("is_amendment")),
        "amendment_type": filing.get("amendment_type"),
        "table_entry_total": as_int(filing.get("table_entry_total")),
        "table_value_total": as_int(filing.get("table_value_total")),
        "value_unit": unit,
        # a table is there when the filing came with one, or when rows are: a lake row written
        # before the column existed, or a cover page a table joined later (secfilings.ingest.complete)
        "has_table": (has_table is not None and has_table != "" and as_bool(has_table)) or bool(ordered),
        "holdings": [_holding(row, unit) for row in ordered],
        "fund_cik": filing.get("filer_cik"),
        "fund_name": filing.get("filer_name") or None,
    }
