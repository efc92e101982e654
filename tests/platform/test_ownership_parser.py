"""The ownership parser (Forms 3/4/5 and amendments) on the bundled real filings and hostile input."""

from __future__ import annotations

from datetime import date

import pytest

from secfilings.data import FORM4_DIR
from secfilings.workers.form4_parser.envelope import parse_envelope
from secfilings.workers.form4_parser.ownership import ParseProblem, parse_ownership
from secfilings.workers.form4_parser.xmlsafe import MalformedXml, UnsafeXml, parse_xml


def parse_file(name: str, accession: str = "0000000001-25-000001"):
    return parse_ownership(parse_xml((FORM4_DIR / name).read_bytes()), accession_number=accession)


def amendment_4a() -> bytes:
    """A Form 4/A written for the tests (no real one is bundled): the 374Water Form 4, amended."""
    data = (FORM4_DIR / "374WaterForm4.xml").read_bytes()
    data = data.replace(b"<documentType>4</documentType>", b"<documentType>4/A</documentType>\n"
                        b"    <dateOfOriginalSubmission>2025-05-02</dateOfOriginalSubmission>")
    return data.replace(b"<value>757756</value>", b"<value>757757</value>", 1)


@pytest.mark.parametrize(
    "name, form, issuer, owners, transactions, holdings, footnotes",
    [
        ("form4.snow.xml", "4", "0001640147", 1, 7, 8, 16),
        ("374WaterForm4.xml", "4", "0000933972", 1, 2, 0, 1),
        ("form3.snow.xml", "3", "0001640147", 1, 0, 6, 9),
        ("form3.snow.nonderiv.xml", "3", "0001640147", 2, 0, 1, 1),
        ("form5.snow.xml", "5", "0001640147", 1, 1, 2, 4),
        ("form3.nosecurities.xml", "3", "0000867773", 1, 0, 0, 0),
    ],
)
def test_real_documents(name, form, issuer, owners, transactions, holdings, footnotes) -> None:
    filing = parse_file(name)
    assert filing.form_type == form
    assert filing.issuer_cik == issuer
    assert len(filing.reporting_owners) == owners
    assert len(filing.transactions) == transactions
    assert len(filing.holdings) == holdings
    assert len(filing.footnotes) == footnotes
    assert [row.position for row in filing.rows] == list(range(len(filing.rows)))
    # non-derivative rows come first
    flags = [row.derivative for row in filing.rows]
    assert flags == sorted(flags)


def test_snowflake_form4_details() -> None:
    filing = parse_file("form4.snow.xml")
    assert filing.period == date(2022, 12, 13)
    assert filing.issuer_ticker == "SNOW"
    owner = filing.reporting_owners[0]
    assert (owner.cik, owner.name, owner.is_officer, owner.officer_title) == (
        "0001402349", "Scarpelli Michael", True, "Chief Financial Officer")
    codes = [row.code for row in filing.transactions]
    assert set(codes) == {"M", "S"}
    derivative = [row for row in filing.transactions if row.derivative]
    assert len(derivative) == 1 and derivative[0].code == "M"
    assert derivative[0].underlying_security_title is not None
    indirect = [row for row in filing.rows if row.direct_indirect == "I"]
    assert len(indirect) == 8 and all(row.nature_of_ownership for row in indirect)
    cited = {fid for row in filing.rows for fid in row.footnote_ids}
    assert cited <= set(filing.footnotes)


def test_booleans_true_false_and_footnote_ids_per_field() -> None:
    filing = parse_file("374WaterForm4.xml")
    owner = filing.reporting_owners[0]
    assert owner.is_officer is True and owner.is_director is False
    first = filing.rows[0]
    assert (first.code, first.shares, first.price_per_share, first.acquired_disposed) == ("A", 757756.0, 0.0, "A")
    assert dict(first.field_footnotes) == {"transactionShares": ("F1",)}
    option = filing.rows[1]
    assert option.derivative and option.conversion_or_exercise_price == 0.33
    assert dict(option.field_footnotes) == {"transactionShares": ("F1",), "exerciseDate": ("F1",)}
    assert option.footnote_ids == ("F1",)
    assert filing.footnotes["F1"].startswith("Vesting commencement date")


def test_booleans_1_0_and_multiple_owners() -> None:
    filing = parse_file("form3.snow.nonderiv.xml")
    assert [o.cik for o in filing.reporting_owners] == ["0001067983", "0000315090"]
    assert all(o.is_ten_percent_owner for o in filing.reporting_owners)
    assert parse_file("form3.nosecurities.xml").no_securities_owned is True
    assert parse_file("form4.snow.xml").no_securities_owned is False


def test_submission_documents_parse_with_entities_decoded() -> None:
    envelope = parse_envelope((FORM4_DIR / "0001127602-25-004598.nc").read_bytes())
    filing = parse_ownership(parse_xml(envelope.documents[0].xml), accession_number=envelope.accession_number,
                             filed=envelope.filed)
    assert filing.reporting_owners[0].officer_title == "SVP, CLO & Secretary"
    assert [row.code for row in filing.transactions] == ["A", "F"]
    assert filing.filed == date(2025, 2, 13)


def test_amendment_4a_with_date_of_original_submission() -> None:
    filing = parse_ownership(parse_xml(amendment_4a()), accession_number="0000000001-25-000002")
    assert filing.form_type == "4/A"
    assert filing.date_of_original_submission == date(2025, 5, 2)
    assert filing.rows[0].shares == 757757.0


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<ownershipDocument><documentType>&lol3;</documentType></ownershipDocument>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><ownershipDocument>&xxe;</ownershipDocument>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE ownershipDocument SYSTEM "http://127.0.0.1:9/evil.dtd"><ownershipDocument/>"""
UTF16_DTD = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>'.encode("utf-16")


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, UTF16_DTD])
def test_hostile_xml_is_refused_never_expanded(data: bytes) -> None:
    with pytest.raises(UnsafeXml, match="refused"):
        parse_xml(data)


@pytest.mark.parametrize("data", [
    (FORM4_DIR / "form4.snow.xml").read_bytes()[:5000],  # truncated
    b"<ownershipDocument><issuer></ownershipDocument>",
    b"not xml at all",
    b"<a>&undefined;</a>",
    b"",
])
def test_malformed_xml(data: bytes) -> None:
    with pytest.raises(MalformedXml, match="malformed XML"):
        parse_xml(data)


@pytest.mark.parametrize("data, message", [
    (b"<html><body/></html>", "not an ownership document"),
    (b"<ownershipDocument><documentType>8-K</documentType></ownershipDocument>", "not an ownership form"),
    (b"<ownershipDocument><documentType>4</documentType><issuer><issuerCik>12ab</issuerCik></issuer>"
     b"</ownershipDocument>", "issuerCik: invalid CIK '12ab'"),
    (b"<ownershipDocument><documentType>4</documentType><issuer><issuerCik>1750</issuerCik></issuer>"
     b"</ownershipDocument>", "no <reportingOwner>"),
])
def test_documents_of_the_wrong_kind_or_with_bad_fields(data: bytes, message: str) -> None:
    with pytest.raises(ParseProblem, match=message):
        parse_ownership(parse_xml(data), accession_number="0000000001-25-000001")


def test_bad_number_names_the_field() -> None:
    data = (FORM4_DIR / "374WaterForm4.xml").read_bytes().replace(b"<value>757756</value>", b"<value>lots</value>", 1)
    with pytest.raises(ParseProblem, match="invalid number 'lots' in row 0 .*transactionShares"):
        parse_ownership(parse_xml(data), accession_number="0000000001-25-000001")


def test_namespaced_ownership_document_parses() -> None:
    data = (FORM4_DIR / "form5.snow.xml").read_bytes()
    data = data.replace(b"<ownershipDocument>", b'<o:ownershipDocument xmlns:o="urn:x">', 1)
    data = data.replace(b"</ownershipDocument>", b"</o:ownershipDocument>")
    # only the root is prefixed; children are in no namespace: still the same document
    filing = parse_ownership(parse_xml(data), accession_number="0000000001-25-000001")
    assert filing.form_type == "5" and len(filing.transactions) == 1


@pytest.mark.parametrize("text, problem", [
    ("NaN", "not a finite number"),
    ("Infinity", "not a finite number"),
    ("-inf", "not a finite number"),
    ("1e400", "not a finite number"),
    ("1e15", "magnitude 1e15 or more"),
    ("-2000000000000000", "magnitude 1e15 or more"),
])
def test_non_finite_and_huge_numbers_are_rejected_naming_the_field(text: str, problem: str) -> None:
    data = (FORM4_DIR / "374WaterForm4.xml").read_bytes().replace(
        b"<value>757756</value>", f"<value>{text}</value>".encode(), 1)
    with pytest.raises(ParseProblem, match=f"invalid number '{text}' in row 0 .*transactionShares.*: {problem}"):
        parse_ownership(parse_xml(data), accession_number="0000000001-25-000001")


def test_a_large_but_plausible_number_is_kept() -> None:
    data = (FORM4_DIR / "374WaterForm4.xml").read_bytes().replace(
        b"<value>757756</value>", b"<value>999999999999999</value>", 1)
    filing = parse_ownership(parse_xml(data), accession_number="0000000001-25-000001")
    assert filing.transactions[0].shares == 999999999999999.0
