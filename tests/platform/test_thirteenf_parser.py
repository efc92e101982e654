"""The 13F parser: primary documents, information tables (ns1: prefixes), amendments, values as filed."""

from __future__ import annotations

from datetime import date

import pytest

from secfilings.data import THIRTEENF_DIR
from secfilings.lake.layout import value_unit
from secfilings.workers.form4_parser.envelope import parse_envelope
from secfilings.workers.form4_parser.ownership import ParseProblem
from secfilings.workers.form4_parser.thirteenf import parse_information_table, parse_thirteenf
from secfilings.workers.form4_parser.xmlsafe import parse_xml


def parse_submission(name: str):
    envelope = parse_envelope((THIRTEENF_DIR / name).read_bytes())
    primary, table = (parse_xml(doc.xml) for doc in envelope.documents)
    return parse_thirteenf(primary, table, accession_number=envelope.accession_number, filed=envelope.filed)


@pytest.mark.parametrize("name, cik, fund, period, rows, total", [
    ("13F.0001894188-23-000007.txt", "0001894188", "LTS One Management LP", date(2023, 9, 30), 14, 454_926_000),
    ("0001951757-25-000093.nc", "0001994827", "ACORN CREEK CAPITAL LLC", date(2024, 12, 31), 77, 194_611_845),
])
def test_full_submissions_rows_sum_to_the_summary(name, cik, fund, period, rows, total) -> None:
    filing = parse_submission(name)
    assert (filing.filer_cik, filing.filer_name, filing.period, filing.form_type) == (cik, fund, period, "13F-HR")
    assert len(filing.holdings) == rows == filing.table_entry_total
    assert sum(h.value for h in filing.holdings) == total == filing.table_value_total
    assert [h.position for h in filing.holdings] == list(range(rows))
    assert not filing.is_amendment


def test_holding_fields() -> None:
    filing = parse_submission("13F.0001894188-23-000007.txt")
    amazon = filing.holdings[0]
    assert (amazon.issuer, amazon.cusip, amazon.value, amazon.shares, amazon.share_type, amazon.put_call) == (
        "AMAZON COM INC", "023135106", 17_479_000, 137_500, "SH", None)
    assert (amazon.voting_sole, amazon.voting_shared, amazon.voting_none) == (137_500, 0, 0)
    assert value_unit(filing.filed) == "dollars"


def test_sec_sample_information_table_with_ns1_prefix_and_figi() -> None:
    holdings = parse_information_table(parse_xml((THIRTEENF_DIR / "sec-sample.information_table.xml").read_bytes()))
    assert len(holdings) == 169
    assert holdings[0].issuer == "AT&T INC" and holdings[0].cusip == "02079K107"
    assert {h.share_type for h in holdings} <= {"SH", "PRN"}
    assert {h.put_call for h in holdings} <= {None, "Put", "Call"}


def test_primary_documents_alone_mm_dd_yyyy_dates_and_the_unit_edge_case() -> None:
    metlife = parse_thirteenf(parse_xml((THIRTEENF_DIR / "metlife.13F-HR.primarydoc.xml").read_bytes()),
                              accession_number="0001140361-23-013281")
    assert metlife.period == date(2021, 12, 31)
    assert metlife.signed == date(2023, 3, 22)
    assert (metlife.table_entry_total, metlife.table_value_total, metlife.holdings) == (6, 11_019_796, ())
    # period before 2023 but filed after 2023-01-03: whole dollars
    assert value_unit(metlife.filed or metlife.signed) == "dollars"
    abacus = parse_thirteenf(parse_xml((THIRTEENF_DIR / "abacus.13F-HR.primarydoc.xml").read_bytes()),
                             accession_number="0000000001-23-000001")
    assert (abacus.filer_cik, abacus.table_entry_total, abacus.is_amendment) == ("0001978011", 92, False)


def test_amendment_13f_hr_a() -> None:
    filing = parse_thirteenf(parse_xml((THIRTEENF_DIR / "sec-sample.Sample_13F-HRA.xml").read_bytes()),
                             accession_number="0000000001-22-000001")
    assert filing.form_type == "13F-HR/A"
    assert filing.is_amendment and filing.amendment_type == "RESTATEMENT"
    assert filing.filer_cik == "0123456789"


def test_put_call_and_principal_amounts() -> None:
    table = b"""<informationTable xmlns="http://www.sec.gov/edgar/document/thirteenf/informationtable">
      <infoTable><nameOfIssuer>X CORP</nameOfIssuer><titleOfClass>CALL</titleOfClass><cusip>123456789</cusip>
      <value>1000</value><shrsOrPrnAmt><sshPrnamt>50</sshPrnamt><sshPrnamtType>PRN</sshPrnamtType></shrsOrPrnAmt>
      <putCall>CALL</putCall><investmentDiscretion>DFND</investmentDiscretion></infoTable></informationTable>"""
    holding = parse_information_table(parse_xml(table))[0]
    assert (holding.share_type, holding.put_call, holding.shares, holding.voting_sole) == ("PRN", "Call", 50, None)


@pytest.mark.parametrize("table, message", [
    (b"<informationTable><infoTable><cusip>1</cusip><value>x</value></infoTable></informationTable>",
     "invalid number 'x' in infoTable 0 value"),
    (b"<informationTable><infoTable><value>1</value></infoTable></informationTable>", "missing cusip"),
    (b"<ownershipDocument/>", "not a 13F information table"),
])
def test_bad_information_tables(table: bytes, message: str) -> None:
    with pytest.raises(ParseProblem, match=message):
        parse_information_table(parse_xml(table))


def test_primary_document_of_another_form_is_refused() -> None:
    data = (THIRTEENF_DIR / "abacus.13F-HR.primarydoc.xml").read_bytes().replace(
        b"<submissionType>13F-HR</submissionType>", b"<submissionType>../13F-HR</submissionType>")
    with pytest.raises(ParseProblem, match="is not a 13F form"):
        parse_thirteenf(parse_xml(data), accession_number="0000000001-23-000001")


@pytest.mark.parametrize("value, problem", [
    ("NaN", "not a finite number"),
    ("Infinity", "not a finite number"),
    ("1e400", "not a finite number"),
    ("1000000000000000", "magnitude 1e15 or more"),
    ("99999999999999999999999999", "magnitude 1e15 or more"),
])
def test_non_finite_and_huge_values_are_rejected_naming_the_field(value: str, problem: str) -> None:
    table = (
        "<informationTable><infoTable><nameOfIssuer>X</nameOfIssuer><cusip>023135106</cusip>"
        f"<value>{value}</value><shrsOrPrnAmt><sshPrnamt>5</sshPrnamt><sshPrnamtType>SH</sshPrnamtType>"
        "</shrsOrPrnAmt></infoTable></informationTable>"
    ).encode()
    with pytest.raises(ParseProblem, match=f"invalid number '{value}' in infoTable 0 value: {problem}"):
        parse_information_table(parse_xml(table))
