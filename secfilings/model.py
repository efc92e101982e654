"""The platform's records: what the parsers produce, the lake stores and the endpoints return.

All identifiers are normalised: a CIK is a 10-digit string (``"0001640147"``), an accession
number is ``NNNNNNNNNN-YY-NNNNNN``; dates are ``datetime.date`` (``None`` when unknown).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date

from secfilings.errors import SecfilingsError

__all__ = [
    "ReportingOwner",
    "OwnershipRow",
    "OwnershipFiling",
    "FundHolding",
    "FundFiling",
    "normalize_cik",
    "normalize_accession",
    "MAX_MAGNITUDE",
    "number_problem",
]

MAX_MAGNITUDE = 1e15  # no share count, price or value of a filing comes near; JSON readers lose digits past 2**53

_CIK = re.compile(r"^\d{1,10}$", re.ASCII)  # ASCII digits only: "١٢" is not a CIK
_ACCESSION = re.compile(r"^(\d{10})-?(\d{2})-?(\d{6})$", re.ASCII)


class InvalidIdentifier(SecfilingsError, ValueError):
    """A CIK or accession number that is not one."""


def normalize_cik(value: str | int) -> str:
    """``"1640147"``, ``1640147`` or ``"0001640147"`` -> ``"0001640147"``."""
    text = str(value).strip()
    if not _CIK.match(text) or int(text) == 0:
        raise InvalidIdentifier(f"invalid CIK {str(value)!r}: expected 1 to 10 digits 0-9, not all zeros")
    return text.zfill(10)


def number_problem(number: float | int) -> str | None:
    """Why ``number`` cannot be stored (not finite, or magnitude 1e15 or more), else None."""
    if isinstance(number, float) and not math.isfinite(number):
        return "not a finite number"
    if abs(number) >= MAX_MAGNITUDE:
        return "magnitude 1e15 or more"
    return None


def normalize_accession(value: str) -> str:
    """``"000112760225004598"`` or ``"0001127602-25-004598"`` -> ``"0001127602-25-004598"``."""
    match = _ACCESSION.match(str(value).strip())
    if not match or not any(int(part) for part in match.groups()):
        raise InvalidIdentifier(
            f"invalid accession number {str(value)!r}: expected NNNNNNNNNN-YY-NNNNNN, not all zeros"
        )
    return "-".join(match.groups())


@dataclass(frozen=True)
class ReportingOwner:
    cik: str
    name: str
    is_director: bool = False
    is_officer: bool = False
    is_ten_percent_owner: bool = False
    is_other: bool = False
    officer_title: str | None = None


@dataclass(frozen=True)
class OwnershipRow:
    """One row of an ownership table: a transaction, or a holding when ``code`` is None.

    ``position`` is the row's place in the document (0-based, non-derivative rows first, then
    derivative rows); with the accession number it is the row's de-dup key.
    """

    position: int
    derivative: bool
    security_title: str
    date: date | None = None
    code: str | None = None
    shares: float | None = None
    price_per_share: float | None = None
    acquired_disposed: str | None = None  # "A" | "D"
    shares_owned_following: float | None = None
    # a row written in value terms (valueOwnedFollowingTransaction: dollars, not shares)
    value_owned_following: float | None = None
    direct_indirect: str | None = None  # "D" | "I"
    nature_of_ownership: str | None = None
    underlying_security_title: str | None = None
    underlying_shares: float | None = None
    conversion_or_exercise_price: float | None = None
    exercise_date: date | None = None
    expiration_date: date | None = None
    footnote_ids: tuple[str, ...] = ()
    # ids per field, in document order: (("transactionShares", ("F1",)), ...) — XML element names
    field_footnotes: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def is_transaction(self) -> bool:
        return self.code is not None


@dataclass(frozen=True)
class OwnershipFiling:
    """A Form 3, 4 or 5 (or amendment ``4/A``...)."""

    accession_number: str
    form_type: str
    period: date | None
    filed: date | None
    issuer_cik: str
    issuer_name: str
    issuer_ticker: str | None
    reporting_owners: tuple[ReportingOwner, ...]
    rows: tuple[OwnershipRow, ...] = ()
    footnotes: dict[str, str] = field(default_factory=dict)
    date_of_original_submission: date | None = None
    no_securities_owned: bool = False
    remarks: str | None = None
    # the Rule 10b5-1 check box (aff10b5One, schema X0508 on); None where the schema has none
    is_10b5_1: bool | None = None
    accession_source: str = "document"  # "document" | "file name" | "command line" | "content hash"

    @property
    def transactions(self) -> tuple[OwnershipRow, ...]:
        return tuple(row for row in self.rows if row.is_transaction)

    @property
    def holdings(self) -> tuple[OwnershipRow, ...]:
        return tuple(row for row in self.rows if not row.is_transaction)


@dataclass(frozen=True)
class FundHolding:
    position: int
    issuer: str
    title_of_class: str | None
    cusip: str
    value: int  # as filed: dollars for filings from 2023-01-03 on, thousands of dollars before
    shares: int
    share_type: str  # "SH" | "PRN"
    put_call: str | None = None  # "Put" | "Call" | None
    investment_discretion: str | None = None
    voting_sole: int | None = None
    voting_shared: int | None = None
    voting_none: int | None = None
    other_managers: str | None = None  # the row's <otherManager>, as written (e.g. "1", "1,2,3")


@dataclass(frozen=True)
class FundFiling:
    """A 13F-HR (or 13F-HR/A): the fund, its period and its holdings."""

    accession_number: str
    form_type: str
    period: date | None
    filed: date | None
    filer_cik: str
    filer_name: str
    holdings: tuple[FundHolding, ...] = ()
    table_value_total: int | None = None
    table_entry_total: int | None = None
    is_amendment: bool = False
    amendment_type: str | None = None
    accession_source: str = "document"
    signed: date | None = None  # the cover page's signature date (sets the value unit when filed is unknown)
    report_type: str | None = None  # the cover's reportType as written: "13F HOLDINGS REPORT", "13F NOTICE REPORT", ...
    has_table: bool = False  # an information table came with the filing (a notice has none)
    bare_table: bool = False  # an information table that came without its cover page (--cik/--accession/--period)
