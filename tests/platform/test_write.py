"""insert_filing: raw document, NDJSON rows and lookup items on deterministic keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from secfilings.config import Settings, open_platform
from secfilings.data import FORM4_DIR, THIRTEENF_DIR
from secfilings.services.api.athena.write import insert_filing, plan_filing
from secfilings.workers.form4_parser.worker import parse_document

WATER = FORM4_DIR / "374WaterForm4.xml"
WATER_ACC = "0000933972-25-000001"
LTS = THIRTEENF_DIR / "13F.0001894188-23-000007.txt"


def lake_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.relative_to(root).as_posix().startswith("_index")
    }


def index_rows(platform: Any) -> list[tuple[str, str, str]]:
    import sqlite3

    with sqlite3.connect(platform.index.path) as conn:
        return conn.execute("SELECT pk, sk, doc FROM lookup ORDER BY pk, sk").fetchall()


def test_ownership_filing_keys_rows_and_company_item(local_platform: Any) -> None:
    raw = WATER.read_bytes()
    filing = parse_document(raw, WATER.name, accession=WATER_ACC)
    insert_filing(local_platform, filing, raw, "xml")
    files = lake_files(local_platform.store.root)
    part = "form=4/year=2025/month=04"
    assert set(files) == {
        f"raw/{part}/{WATER_ACC}.xml",
        f"tables/ownership_filings/{part}/{WATER_ACC}.json",
        f"tables/insider_transactions/{part}/{WATER_ACC}.json",
    }
    assert files[f"raw/{part}/{WATER_ACC}.xml"] == raw
    rows = [json.loads(line) for line in files[f"tables/insider_transactions/{part}/{WATER_ACC}.json"].splitlines()]
    assert [(r["position"], r["derivative"], r["code"], r["shares"], r["issuer_cik"], r["reporting_owner_cik"])
            for r in rows] == [(0, False, "A", 757756.0, "0000933972", "0002064133"),
                               (1, True, "A", 757576.0, "0000933972", "0002064133")]
    items = local_platform.index.get_lookup("company#0000933972")
    # the values below were read off the XML by hand (374WaterForm4.xml, lines 30-132)
    f1 = ("Vesting commencement date is March 31, 2025. 25% of the shares vest and become exercisable on the "
          "first annual anniversary of the vesting commencement date and the balance vest and become exercisable "
          "equally on the last day of every month thereafter over the following 36 months, subject to the "
          "Reporting Person's continuous service through each vesting date.")
    no_derivative_terms = {"conversion_or_exercise_price": None, "exercise_date": None, "expiration_date": None,
                           "underlying_security_title": None, "underlying_shares": None}
    assert items == [{
        "accession_number": WATER_ACC,
        "form_type": "4",
        "filed": None,
        "period": "2025-04-30",
        "date_of_original_submission": None,
        "remarks": None,
        "footnotes": {"F1": f1},
        "reporting_owners": [{"cik": "0002064133", "name": "Melkote Rajesh Ramaswamy", "is_director": False,
                              "is_officer": True, "is_ten_percent_owner": False, "is_other": False,
                              "officer_title": "Chief Technology Officer"}],
        "transactions": [
            {"security_title": "Common Stock (restricted stock units)", "date": "2025-04-30", "code": "A",
             "shares": 757756.0, "price_per_share": 0.0, "acquired_disposed": "A",
             "shares_owned_following": 757756.0, "value_owned_following": None, "derivative": False,
             "is_10b5_1": False, "direct_indirect": "D", "nature_of_ownership": None, "footnote_ids": ["F1"],
             **no_derivative_terms},
            {"security_title": "Stock options (right to buy)", "date": "2025-04-30", "code": "A",
             "shares": 757576.0, "price_per_share": 0.0, "acquired_disposed": "A",
             "shares_owned_following": 757756.0, "value_owned_following": None, "derivative": True,
             "is_10b5_1": False, "direct_indirect": "D", "nature_of_ownership": None, "footnote_ids": ["F1"],
             "conversion_or_exercise_price": 0.33, "exercise_date": None, "expiration_date": "2035-04-29",
             "underlying_security_title": "Common Stock", "underlying_shares": 757576.0},
        ],
        "holdings": [],
        "company_name": "374Water Inc.",
    }]
    assert local_platform.index.get_item("company#0000933972", f"filing#2025-04-30#{WATER_ACC}") == items[0]


def test_fund_item_and_tables(local_platform: Any) -> None:
    raw = LTS.read_bytes()
    filing = parse_document(raw, LTS.name)
    insert_filing(local_platform, filing, raw, "txt")
    [item] = local_platform.index.get_lookup("fund#0001894188")
    assert "fund_cik" not in item and item["fund_name"] == "LTS One Management LP"  # the pk names the fund
    assert item["period"] == "2023-09-30" and item["filed"] == "2023-11-14"
    assert item["accession_number"] == "0001894188-23-000007" and item["value_unit"] == "dollars"
    assert len(item["holdings"]) == 14
    assert item["report_type"] == "13F HOLDINGS REPORT" and item["has_table"] is True
    assert (item["table_entry_total"], item["table_value_total"], item["is_amendment"]) == (14, 454926000, False)
    assert item["holdings"][0] == {"issuer": "AMAZON COM INC", "title_of_class": "COM", "cusip": "023135106",
                                   "value": 17479000, "value_usd": 17479000, "shares": 137500, "share_type": "SH",
                                   "put_call": None, "investment_discretion": "SOLE", "other_managers": None,
                                   "voting_sole": 137500, "voting_shared": 0, "voting_none": 0}
    total = local_platform.sql.query("SELECT sum(value) AS total, count(*) AS n FROM fund_holdings")
    assert total == [{"total": 454926000, "n": 14}]
    [header] = local_platform.sql.query("SELECT filer_cik, table_value_total, value_unit, form FROM fund_filings")
    assert header == {"filer_cik": "0001894188", "table_value_total": 454926000, "value_unit": "dollars",
                      "form": "13F-HR"}


def test_repeat_writes_change_nothing(local_platform: Any) -> None:
    raw = (FORM4_DIR / "0001127602-25-004598.nc").read_bytes()
    filing = parse_document(raw, "x.nc")
    insert_filing(local_platform, filing, raw, "nc")
    first_files, first_index = lake_files(local_platform.store.root), index_rows(local_platform)
    insert_filing(local_platform, parse_document(raw, "x.nc"), raw, "nc")
    assert lake_files(local_platform.store.root) == first_files
    assert index_rows(local_platform) == first_index
    assert len(first_files) == 3 and len(first_index) == 1


def test_index_mode_off_writes_no_lookup_items(tmp_path: Path) -> None:
    with open_platform(Settings(lake=str(tmp_path / "lake"), index_mode="off")) as platform:
        raw = WATER.read_bytes()
        insert_filing(platform, parse_document(raw, WATER.name), raw, "xml")
        assert platform.index.get_lookup("company#0000933972") == []
        assert platform.sql.query("SELECT count(*) AS n FROM insider_transactions") == [{"n": 2}]
    assert plan_filing(parse_document(raw, WATER.name), "xml", index_mode="off").lookups == []


SQLISH = "x'); DROP TABLE ownership_filings; -- \" ; DELETE FROM lookup"


def test_sql_looking_text_is_data_and_round_trips(local_platform: Any) -> None:
    raw = WATER.read_bytes().replace(b"374Water Inc.", SQLISH.replace('"', "&quot;").encode())
    raw = raw.replace(b"Melkote Rajesh Ramaswamy", b"Robert'); DROP TABLE insider_transactions;--")
    filing = parse_document(raw, WATER.name)
    assert filing.issuer_name == SQLISH
    insert_filing(local_platform, filing, raw, "xml")
    rows = local_platform.sql.query(
        "SELECT issuer_name, reporting_owner_name FROM ownership_filings WHERE issuer_name = ?", [SQLISH])
    assert rows == [{"issuer_name": SQLISH, "reporting_owner_name": "Robert'); DROP TABLE insider_transactions;--"}]
    assert local_platform.sql.query("SELECT count(*) AS n FROM insider_transactions") == [{"n": 2}]
    [item] = local_platform.index.get_lookup("company#0000933972")
    assert item["company_name"] == SQLISH
    assert local_platform.index.get_lookup("company#0000933972") == [item]  # the lookup table survived


def test_a_filing_without_any_date_is_refused_before_writing(local_platform: Any) -> None:
    raw = WATER.read_bytes().replace(b"<periodOfReport>2025-04-30</periodOfReport>", b"")
    filing = parse_document(raw, WATER.name)
    with pytest.raises(ValueError, match="no filing date and no period"):
        insert_filing(local_platform, filing, raw, "xml")
    assert lake_files(local_platform.store.root) == {}


def test_insert_filing_on_s3_and_dynamodb(aws_platform: Any) -> None:
    raw = LTS.read_bytes()
    insert_filing(aws_platform, parse_document(raw, LTS.name), raw, "txt")
    listed = aws_platform.store.list("tables/fund_holdings/")
    assert [key for key, _ in listed.keys] == [
        "tables/fund_holdings/form=13F-HR/year=2023/month=11/0001894188-23-000007.json"]
    assert aws_platform.store.head("raw/form=13F-HR/year=2023/month=11/0001894188-23-000007.txt") == len(raw)
    [item] = aws_platform.index.get_lookup("fund#0001894188")
    assert len(item["holdings"]) == 14 and item["accession_number"] == "0001894188-23-000007"
