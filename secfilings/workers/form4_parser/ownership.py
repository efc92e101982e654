"""Parser for SEC ownership documents: Forms 3, 4 and 5 and their amendments (``4/A``...).

Reads the ``<ownershipDocument>`` schema (X0206 to X0508): the issuer, every reporting owner,
non-derivative and derivative transactions and holdings (in document order, non-derivative table
first: that order is each row's ``position``), footnotes with the ids each field cites, booleans
written ``1``/``0`` or ``true``/``false``, and ``dateOfOriginalSubmission`` on amendments.
Values are kept as filed.
"""

from __future__ import annotations

from datetime import date
from xml.etree.ElementTree import Element

from secfilings.model import (
    InvalidIdentifier,
    number_problem,
    OwnershipFiling,
    OwnershipRow,
    ReportingOwner,
    normalize_cik,
)
from secfilings.workers.form4_parser.xmlsafe import child, text_of

__all__ = ["OWNERSHIP_FORMS", "ParseProblem", "parse_ownership"]

OWNERSHIP_FORMS = frozenset({"3", "4", "5", "3/A", "4/A", "5/A"})

_TRUE = frozenset({"1", "true", "yes", "y"})
_ROW_TAGS = {
    "nonDerivativeTransaction": (False, True),
    "nonDerivativeHolding": (False, False),
    "derivativeTransaction": (True, True),
    "derivativeHolding": (True, False),
}


class ParseProblem(ValueError):
    """The document is XML of the right kind but a field is unusable (the message says which)."""


def _bool(element: Element | None) -> bool:
    text = text_of(element)
    return text is not None and text.lower() in _TRUE


def _optional_bool(element: Element | None) -> bool | None:
    """A check box the schema may not have: None when absent or empty, else its truth."""
    text = text_of(element)
    return None if text is None else text.lower() in _TRUE


def _date(text: str | None, what: str, field: str = "") -> date | None:
    """``text``'s date; the message names ``what`` (and ``field``: messages are made on error only)."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ParseProblem(f"invalid date {text!r} in {what}{' ' if field else ''}{field}") from None


def _number(text: str | None, what: str, field: str = "") -> float | None:
    if text is None:
        return None
    try:
        number = float(text.replace(",", "") if "," in text else text)
    except ValueError:
        raise ParseProblem(f"invalid number {text!r} in {what}{' ' if field else ''}{field}") from None
    problem = number_problem(number)
    if problem:
        raise ParseProblem(f"invalid number {text!r} in {what}{' ' if field else ''}{field}: {problem}")
    return number


def _value(parent: Element | None, tag: str) -> str | None:
    """Text of ``<tag><value>`` under ``parent`` (the ownership schema wraps values)."""
    if parent is None:
        return None
    wrapper = parent.find(tag)
    if wrapper is None:
        return None
    return text_of(wrapper.find("value"))


def _cik(text: str | None, what: str) -> str:
    if text is None:
        raise ParseProblem(f"missing {what}")
    try:
        return normalize_cik(text)
    except InvalidIdentifier as error:
        raise ParseProblem(f"{what}: {error}") from None


def _footnote_fields(element: Element) -> dict[Element, str]:
    """Each ``footnoteId`` under ``element`` -> the tag of the field that cites it."""
    result: dict[Element, str] = {}
    if next(element.iter("footnoteId"), None) is None:  # C iteration, not ElementPath's ".//"
        return result
    for parent in element.iter():
        for item in parent:
            if item.tag == "footnoteId":
                result[item] = parent.tag
    return result


def _row(element: Element, position: int, derivative: bool, transaction: bool) -> OwnershipRow:
    where = f"row {position} ({element.tag})"
    footnote_ids: list[str] = []
    per_field: dict[str, list[str]] = {}
    parents = _footnote_fields(element)
    for note in element.iter("footnoteId"):
        note_id = note.get("id")
        if note_id:
            if note_id not in footnote_ids:
                footnote_ids.append(note_id)
            per_field.setdefault(parents.get(note, "?"), []).append(note_id)
    code = None
    shares = price = None
    acquired = None
    when = None
    amounts = element.find("transactionAmounts")
    if transaction:
        code = text_of(child(element, "transactionCoding", "transactionCode"))
        if code is None:
            raise ParseProblem(f"{where}: missing transactionCode")
        when = _date(_value(element, "transactionDate"), where, "transactionDate")
        shares = _number(_value(amounts, "transactionShares"), where, "transactionShares")
        price = _number(_value(amounts, "transactionPricePerShare"), where, "transactionPricePerShare")
        acquired = _value(amounts, "transactionAcquiredDisposedCode")
    else:
        shares = None
    post = element.find("postTransactionAmounts")
    following = _number(_value(post, "sharesOwnedFollowingTransaction"), where, "sharesOwnedFollowingTransaction")
    value_following = _number(_value(post, "valueOwnedFollowingTransaction"), where, "valueOwnedFollowingTransaction")
    nature = element.find("ownershipNature")
    underlying = element.find("underlyingSecurity")
    return OwnershipRow(
        position=position,
        derivative=derivative,
        security_title=_value(element, "securityTitle") or "",
        date=when,
        code=code,
        shares=shares,
        price_per_share=price,
        acquired_disposed=acquired,
        shares_owned_following=following,
        value_owned_following=value_following,
        direct_indirect=_value(nature, "directOrIndirectOwnership"),
        nature_of_ownership=_value(nature, "natureOfOwnership"),
        underlying_security_title=_value(underlying, "underlyingSecurityTitle"),
        underlying_shares=_number(
            _value(underlying, "underlyingSecurityShares"), where, "underlyingSecurityShares"
        ),
        conversion_or_exercise_price=_number(
            _value(element, "conversionOrExercisePrice"), where, "conversionOrExercisePrice"
        ),
        exercise_date=_date(_value(element, "exerciseDate"), where, "exerciseDate"),
        expiration_date=_date(_value(element, "expirationDate"), where, "expirationDate"),
        footnote_ids=tuple(footnote_ids),
        field_footnotes=tuple((name, tuple(ids)) for name, ids in per_field.items()),
    )


def parse_ownership(
    root: Element,
    *,
    accession_number: str,
    filed: date | None = None,
    form_type: str | None = None,
    accession_source: str = "document",
) -> OwnershipFiling:
    """Build an :class:`OwnershipFiling` from a parsed ``<ownershipDocument>`` root."""
    if root.tag != "ownershipDocument":
        raise ParseProblem(f"not an ownership document (root element <{root.tag}>)")
    document_type = text_of(root.find("documentType"))
    if document_type is None and form_type is None:
        raise ParseProblem("missing documentType")
    form = (document_type or form_type or "").upper()
    if form not in OWNERSHIP_FORMS:
        raise ParseProblem(f"documentType {form!r} is not an ownership form (3, 4, 5 or an amendment)")
    issuer = root.find("issuer")
    if issuer is None:
        raise ParseProblem("missing <issuer>")
    issuer_cik = _cik(text_of(issuer.find("issuerCik")), "issuerCik")
    owners = []
    for owner in root.findall("reportingOwner"):
        relationship = owner.find("reportingOwnerRelationship")
        owners.append(
            ReportingOwner(
                cik=_cik(text_of(child(owner, "reportingOwnerId", "rptOwnerCik")), "rptOwnerCik"),
                name=text_of(child(owner, "reportingOwnerId", "rptOwnerName")) or "",
                is_director=_bool(relationship.find("isDirector")) if relationship is not None else False,
                is_officer=_bool(relationship.find("isOfficer")) if relationship is not None else False,
                is_ten_percent_owner=(
                    _bool(relationship.find("isTenPercentOwner")) if relationship is not None else False
                ),
                is_other=_bool(relationship.find("isOther")) if relationship is not None else False,
                officer_title=text_of(relationship.find("officerTitle")) if relationship is not None else None,
            )
        )
    if not owners:
        raise ParseProblem("no <reportingOwner>")
    rows: list[OwnershipRow] = []
    for table_tag in ("nonDerivativeTable", "derivativeTable"):
        table = root.find(table_tag)
        if table is None:
            continue
        for element in table:
            kind = _ROW_TAGS.get(element.tag)
            if kind is not None:
                rows.append(_row(element, len(rows), kind[0], kind[1]))
    footnotes = {}
    notes = root.find("footnotes")
    if notes is not None:
        for note in notes.findall("footnote"):
            note_id = note.get("id")
            if note_id:
                footnotes[note_id] = "".join(note.itertext()).strip()
    return OwnershipFiling(
        accession_number=accession_number,
        form_type=form,
        period=_date(text_of(root.find("periodOfReport")), "periodOfReport"),
        filed=filed,
        issuer_cik=issuer_cik,
        issuer_name=text_of(issuer.find("issuerName")) or "",
        issuer_ticker=text_of(issuer.find("issuerTradingSymbol")),
        reporting_owners=tuple(owners),
        rows=tuple(rows),
        footnotes=footnotes,
        date_of_original_submission=_date(
            text_of(root.find("dateOfOriginalSubmission")), "dateOfOriginalSubmission"
        ),
        no_securities_owned=_bool(root.find("noSecuritiesOwned")),
        remarks=text_of(root.find("remarks")),
        is_10b5_1=_optional_bool(root.find("aff10b5One")),
        accession_source=accession_source,
    )
