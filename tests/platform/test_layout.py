"""Lake keys: Hive partitions, deterministic names, nothing that can leave the lake."""

from __future__ import annotations

from datetime import date

import pytest

from secfilings.lake import layout
from secfilings.model import InvalidIdentifier, normalize_accession

ACC = "0001127602-25-004598"


def test_raw_and_table_keys_are_hive_partitions_by_form_year_month() -> None:
    when = date(2025, 2, 13)
    assert layout.raw_key("4", when, ACC, "nc") == f"raw/form=4/year=2025/month=02/{ACC}.nc"
    assert (
        layout.table_key("insider_transactions", "4/A", when, ACC)
        == f"tables/insider_transactions/form=4A/year=2025/month=02/{ACC}.json"
    )
    assert layout.form_partition("13F-HR/A") == "13F-HRA"


@pytest.mark.parametrize("key", [
    f"raw/form=4/year=2025/month=02/{ACC}.nc",
    f"tables/fund_holdings/form=13F-HR/year=2023/month=11/{ACC}.json",
    "tables/ownership_filings/form=3/year=2020/month=09/sha256-" + "a" * 40 + ".json",
])
def test_parse_key_round_trips(key: str) -> None:
    parts = layout.parse_key(key)
    assert parts is not None
    prefix = "raw" if parts["table"] is None else f"tables/{parts['table']}"
    rebuilt = f"{prefix}/form={parts['form']}/year={parts['year']}/month={parts['month']}/{parts['accession']}.{parts['ext']}"
    assert rebuilt == key


@pytest.mark.parametrize("key", [
    "raw/2025/x.xml",
    f"tables/unknown_table/form=4/year=2025/month=02/{ACC}.json",
    f"tables/ownership_filings/form=4/year=2025/month=02/{ACC}.xml",
    "raw/form=4/year=2025/month=02/not-an-accession.xml",
    f"raw/form=4/year=2025/month=02/extra/{ACC}.xml",
])
def test_parse_key_refuses_keys_outside_the_scheme(key: str) -> None:
    assert layout.parse_key(key) is None


@pytest.mark.parametrize("accession", ["../../etc/passwd", "0001127602-25-00459", "", "sha256-XYZ", ACC + "/x"])
def test_keys_refuse_bad_accessions(accession: str) -> None:
    with pytest.raises(ValueError, match="invalid accession key"):
        layout.raw_key("4", date(2025, 1, 1), accession, "xml")


@pytest.mark.parametrize("form", ["../4", "4/../../x", "", "a b"])
def test_keys_refuse_bad_forms(form: str) -> None:
    with pytest.raises(ValueError, match="invalid form type"):
        layout.table_key("ownership_filings", form, date(2025, 1, 1), ACC)


def test_content_accession_is_deterministic_line_ending_blind_and_never_a_real_accession() -> None:
    key = layout.content_accession(b"<a>\r\n<b/></a>\n")
    assert key == layout.content_accession(b"<a>\n<b/></a>\n") == layout.content_accession(b"<a>\r<b/></a>\r")
    assert key != layout.content_accession(b"<a>\n<c/></a>\n")
    assert key.startswith("sha256-") and len(key) == 47
    assert layout.is_accession_key(key)
    with pytest.raises(InvalidIdentifier):
        normalize_accession(key)


def test_quarantine_key_sanitises_the_name() -> None:
    key = layout.quarantine_key(date(2025, 3, 1), b"data", "../../evil dir/..\\x y.xml")
    assert key.startswith("quarantine/2025-03-01/")
    name = key.rsplit("/", 1)[1]
    assert ".." not in key and "\\" not in key and " " not in name
    assert name.endswith("x_y.xml")


def test_value_unit_changes_on_2023_01_03() -> None:
    assert layout.value_unit(date(2023, 1, 2)) == "thousands"
    assert layout.value_unit(date(2023, 1, 3)) == "dollars"
    assert layout.value_unit(None) == "dollars"


def test_table_columns_have_known_types_and_keys() -> None:
    for table, columns in layout.TABLE_COLUMNS.items():
        names = [name for name, _ in columns]
        assert len(names) == len(set(names)), table
        assert {kind for _, kind in columns} <= {"string", "int", "bigint", "double", "boolean", "date"}
        assert "accession_number" in names
    assert "position" in dict(layout.TABLE_COLUMNS["insider_transactions"])
    assert "position" in dict(layout.TABLE_COLUMNS["fund_holdings"])


def test_only_ascii_digits_make_an_accession_number_or_a_key() -> None:
    arabic_indic = ACC.translate({ord(d): chr(0x0660 + int(d)) for d in "0123456789"})  # "٠٠٠١١٢٧٦٠٢-٢٥-..."
    assert int(arabic_indic.split("-")[0]) == 1127602  # what \d and int() would let through
    with pytest.raises(InvalidIdentifier, match="invalid accession number"):
        normalize_accession(arabic_indic)
    with pytest.raises(ValueError, match="invalid accession key"):
        layout.raw_key("4", date(2025, 2, 13), arabic_indic, "xml")
    assert layout.parse_key(f"raw/form=4/year=2025/month=02/{arabic_indic}.xml") is None


def test_an_all_zero_accession_number_is_not_one() -> None:
    for text in ("0000000000-00-000000", "000000000000000000"):
        with pytest.raises(InvalidIdentifier, match="not all zeros"):
            normalize_accession(text)
    assert normalize_accession("0000000000-00-000001") == "0000000000-00-000001"
