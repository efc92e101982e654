"""Parser for Form 13F: the primary document (``edgarSubmission``: fund, period, summary) and the
information table (``informationTable``: one ``infoTable`` per holding).

Namespace prefixes (``ns1:``) are dropped by :mod:`xmlsafe`. Dates in 13F primary documents are
``MM-DD-YYYY``. ``value`` is kept **as filed**: whole dollars for filings made from 2023-01-03 on,
thousands of dollars before (see ``secfilings.lake.layout.value_unit``).
"""

from __future__ import annotations

from datetime import date
from xml.etree.ElementTree import Element

from secfilings.model import FundFiling, FundHolding, InvalidIdentifier, normalize_cik, number_problem
from secfilings.workers.form4_parser.ownership import ParseProblem
from secfilings.workers.form4_parser.xmlsafe import child, text_of

__all__ = ["THIRTEENF_FORMS", "parse_thirteenf", "parse_information_table", "bare_information_table", "signature_date"]

THIRTEENF_FORMS = frozenset({"13F-HR", "13F-HR/A", "13F-NT", "13F-NT/A"})


def _date(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        if len(text) == 10 and text[2] == "-" and text[5] == "-":  # MM-DD-YYYY
            return date(int(text[6:]), int(text[:2]), int(text[3:5]))
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ParseProblem(f"invalid date {text!r} in {what}") from None


def _int(text: str | None, what: str, field: str = "", *, required: bool = False) -> int | None:
    """``text`` as a whole number; messages name ``what`` and ``field`` (made on error only)."""
    if text is None:
        if required:
            raise ParseProblem(f"missing {what}{' ' if field else ''}{field}")
        return None
    plain = text.replace(",", "") if "," in text else text
    try:
        whole: int | float = int(plain)
    except ValueError:
        try:
            whole = float(plain)
        except ValueError:
            raise ParseProblem(f"invalid number {text!r} in {what}{' ' if field else ''}{field}") from None
    problem = number_problem(whole)
    if problem:
        raise ParseProblem(f"invalid number {text!r} in {what}{' ' if field else ''}{field}: {problem}")
    if isinstance(whole, float) and not whole.is_integer():
        raise ParseProblem(f"invalid whole number {text!r} in {what}{' ' if field else ''}{field}")
    return int(whole)


def parse_information_table(root: Element) -> tuple[FundHolding, ...]:
    if root.tag != "informationTable":
        raise ParseProblem(f"not a 13F information table (root element <{root.tag}>)")
    holdings = []
    for position, entry in enumerate(root.findall("infoTable")):
        cusip = text_of(entry.find("cusip"))
        if cusip is None:
            raise ParseProblem(f"infoTable {position}: missing cusip")
        where = f"infoTable {position}"
        put_call = text_of(entry.find("putCall"))
        amount = entry.find("shrsOrPrnAmt")
        voting = entry.find("votingAuthority")
        holdings.append(
            FundHolding(
                position=position,
                issuer=text_of(entry.find("nameOfIssuer")) or "",
                title_of_class=text_of(entry.find("titleOfClass")),
                cusip=cusip,
                value=_int(text_of(entry.find("value")), where, "value", required=True),
                shares=_int(text_of(amount.find("sshPrnamt") if amount is not None else None), where, "sshPrnamt", required=True),
                share_type=text_of(amount.find("sshPrnamtType") if amount is not None else None) or "SH",
                put_call=put_call.capitalize() if put_call else None,
                investment_discretion=text_of(entry.find("investmentDiscretion")),
                voting_sole=_int(text_of(voting.find("Sole")), where, "Sole") if voting is not None else None,
                voting_shared=_int(text_of(voting.find("Shared")), where, "Shared") if voting is not None else None,
                voting_none=_int(text_of(voting.find("None")), where, "None") if voting is not None else None,
                other_managers=text_of(entry.find("otherManager")),
            )
        )
    return tuple(holdings)


def signature_date(primary: Element) -> date | None:
    return _date(text_of(child(primary, "formData", "signatureBlock", "signatureDate")), "signatureDate")


def parse_thirteenf(
    primary: Element,
    information_table: Element | None = None,
    *,
    accession_number: str,
    filed: date | None = None,
    form_type: str | None = None,
    accession_source: str = "document",
) -> FundFiling:
    """Build a :class:`FundFiling` from a primary document and (optionally) its information table."""
    if primary.tag != "edgarSubmission":
        raise ParseProblem(f"not a 13F primary document (root element <{primary.tag}>)")
    submission_type = text_of(child(primary, "headerData", "submissionType"))
    form = (submission_type or form_type or "").upper()
    if form not in THIRTEENF_FORMS:
        raise ParseProblem(f"submissionType {form!r} is not a 13F form (13F-HR, 13F-NT or an amendment)")
    cik_text = text_of(child(primary, "headerData", "filerInfo", "filer", "credentials", "cik"))
    if cik_text is None:
        raise ParseProblem("missing filer cik")
    try:
        filer_cik = normalize_cik(cik_text)
    except InvalidIdentifier as error:
        raise ParseProblem(f"filer cik: {error}") from None
    cover = child(primary, "formData", "coverPage")
    period = _date(
        text_of(child(primary, "headerData", "filerInfo", "periodOfReport"))
        or (text_of(cover.find("reportCalendarOrQuarter")) if cover is not None else None),
        "periodOfReport",
    )
    summary = child(primary, "formData", "summaryPage")
    holdings = parse_information_table(information_table) if information_table is not None else ()
    is_amendment = form.endswith("/A") or (
        cover is not None and (text_of(cover.find("isAmendment")) or "").lower() in ("true", "1")
    )
    return FundFiling(
        accession_number=accession_number,
        form_type=form,
        period=period,
        filed=filed,
        filer_cik=filer_cik,
        filer_name=(text_of(child(cover, "filingManager", "name")) if cover is not None else None) or "",
        holdings=holdings,
        table_value_total=_int(
            text_of(summary.find("tableValueTotal")) if summary is not None else None, "tableValueTotal"
        ),
        table_entry_total=_int(
            text_of(summary.find("tableEntryTotal")) if summary is not None else None, "tableEntryTotal"
        ),
        is_amendment=is_amendment,
        amendment_type=text_of(child(cover, "amendmentInfo", "amendmentType")) if cover is not None else None,
        accession_source=accession_source,
        signed=signature_date(primary),
        report_type=text_of(cover.find("reportType")) if cover is not None else None,
        has_table=information_table is not None,
    )


def bare_information_table(
    table: Element, *, accession_number: str, filer_cik: str, period: date, accession_source: str
) -> FundFiling:
    """A 13F-HR from an information table that came without its cover page: the caller names the
    filer, the accession and the period (``--cik``, ``--accession``, ``--period``); the name, the
    filing date and the cover's totals stay unknown (null)."""
    return FundFiling(
        accession_number=accession_number,
        form_type="13F-HR",
        period=period,
        filed=None,
        filer_cik=filer_cik,
        filer_name="",
        holdings=parse_information_table(table),
        accession_source=accession_source,
        has_table=True,
        bare_table=True,
    )
