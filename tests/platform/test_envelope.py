"""EDGAR submission envelopes (.txt SEC-HEADER, .nc SGML) on the bundled real filings."""

from __future__ import annotations

from datetime import date

from secfilings.data import FORM4_DIR, THIRTEENF_DIR
from secfilings.workers.form4_parser.envelope import is_envelope, parse_envelope


def test_txt_submission_header_and_documents_skipping_the_non_xml_ex24() -> None:
    data = (FORM4_DIR / "0001127602-25-001055.txt").read_bytes()
    assert is_envelope(data)
    envelope = parse_envelope(data)
    assert envelope.accession_number == "0001127602-25-001055"
    assert envelope.form_type == "4"
    assert envelope.filed == date(2025, 1, 10)
    assert envelope.period == date(2025, 1, 10)
    assert set(envelope.filer_ciks) == {"0001806647", "0000001750"}
    assert [(d.type, d.filename) for d in envelope.documents] == [("4", "form4.xml"), ("EX-24", "doc1.htm")]
    assert envelope.documents[0].xml is not None and envelope.documents[0].xml.startswith(b"<?xml")
    assert envelope.documents[0].xml.rstrip().endswith(b"</ownershipDocument>")
    assert envelope.documents[1].xml is None


def test_nc_submission_with_mixed_line_endings() -> None:
    data = (FORM4_DIR / "0001127602-25-004598.nc").read_bytes()
    assert b"\r" in data  # the quirk under test
    envelope = parse_envelope(data)
    assert envelope.accession_number == "0001127602-25-004598"
    assert (envelope.form_type, envelope.filed, envelope.period) == ("4", date(2025, 2, 13), date(2025, 2, 12))
    assert len(envelope.documents) == 1
    assert b"\r" not in envelope.documents[0].xml


def test_13f_submissions_hold_primary_doc_and_information_table() -> None:
    for name, accession, filed in [
        ("0001951757-25-000093.nc", "0001951757-25-000093", date(2025, 1, 22)),
        ("13F.0001894188-23-000007.txt", "0001894188-23-000007", date(2023, 11, 14)),
    ]:
        envelope = parse_envelope((THIRTEENF_DIR / name).read_bytes())
        assert envelope.accession_number == accession
        assert envelope.form_type == "13F-HR"
        assert envelope.filed == filed
        assert [d.type for d in envelope.documents] == ["13F-HR", "INFORMATION TABLE"]
        assert all(d.xml for d in envelope.documents)


def test_bare_xml_is_not_an_envelope() -> None:
    assert not is_envelope((FORM4_DIR / "form4.snow.xml").read_bytes())
    assert is_envelope(b"\n  <SEC-DOCUMENT>x")
    assert is_envelope(b"<SUBMISSION>\r<ACCESSION-NUMBER>0000000001-25-000001")


def test_missing_closing_tags_and_absent_fields_give_none() -> None:
    envelope = parse_envelope(b"<SUBMISSION>\n<TYPE>4\n<DOCUMENT>\n<TYPE>4\n<TEXT>\n<XML>\n<a/>\n</XML>")
    assert envelope.accession_number is None and envelope.filed is None
    assert envelope.form_type == "4"
    assert envelope.documents[0].xml == b"<a/>"
