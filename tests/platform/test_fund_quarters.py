"""How a fund's quarter is made of its filings (issue 12, item 2): restatements replace, new
holdings add, a cover without its table changes nothing, a notice holds no rows; history and
aggregation. The entries here are hand-written (the rules are about filing order and types, not
about document contents); the same rules on ingested documents are in test_fund_amendments.py."""

from __future__ import annotations

from typing import Any

import pytest

from secfilings.services.api.athena.funds import aggregate_holdings, fund_history, fund_quarter

CIK = "0000004242"


def _row(cusip: str, value: int, shares: int, put_call: str | None = None, manager: str | None = None) -> dict[str, Any]:
    return {"issuer": f"ISSUER {cusip}", "title_of_class": "COM", "cusip": cusip, "value": value, "value_usd": value,
            "shares": shares, "share_type": "SH", "put_call": put_call, "investment_discretion": "DFND",
            "other_managers": manager, "voting_sole": shares, "voting_shared": 0, "voting_none": None}


def _entry(accession: str, filed: str, *, form: str = "13F-HR", amendment: str | None = None,
           rows: list[dict[str, Any]] | None = None, table: bool = True, period: str = "2024-12-31",
           report: str = "13F HOLDINGS REPORT") -> dict[str, Any]:
    return {"accession_number": accession, "form_type": form, "filed": filed, "period": period,
            "report_type": report, "is_amendment": form.endswith("/A"), "amendment_type": amendment,
            "table_entry_total": len(rows or []), "table_value_total": sum(r["value"] for r in rows or []),
            "value_unit": "dollars", "has_table": table, "holdings": rows or [], "fund_name": "TEST FUND"}


ORIGINAL = _entry("0000004242-25-000001", "2025-02-10", rows=[_row("A", 100, 10), _row("B", 200, 20)])
ADDED = _entry("0000004242-25-000002", "2025-02-20", form="13F-HR/A", amendment="NEW HOLDINGS", rows=[_row("C", 300, 30)])
RESTATED = _entry("0000004242-25-000003", "2025-03-01", form="13F-HR/A", amendment="RESTATEMENT", rows=[_row("A", 150, 15)])
COVER_ONLY = _entry("0000004242-25-000004", "2025-03-05", form="13F-HR/A", amendment="RESTATEMENT", table=False)
NOTICE = _entry("0000004242-25-000005", "2025-02-12", form="13F-NT", report="13F NOTICE", table=False, period="2024-09-30")


def _cusips(answer: dict[str, Any]) -> list[tuple[str, str]]:
    return [(h["cusip"], h["accession_number"][-1]) for h in answer["holdings"]]


def test_new_holdings_add_to_the_original() -> None:
    answer = fund_quarter(CIK, [ADDED, ORIGINAL])  # any order in: filing order out
    assert _cusips(answer) == [("A", "1"), ("B", "1"), ("C", "2")]
    assert [(f["accession_number"][-1], f["role"]) for f in answer["filings"]] == [("1", "original"), ("2", "new holdings")]
    assert answer["accession_number"] == ORIGINAL["accession_number"] and answer["table_missing"] is False


def test_a_restatement_replaces_the_original_and_what_was_added() -> None:
    answer = fund_quarter(CIK, [ORIGINAL, ADDED, RESTATED])
    assert _cusips(answer) == [("A", "3")]
    assert [f["role"] for f in answer["filings"]] == ["replaced", "replaced", "restatement"]
    assert (answer["accession_number"], answer["amendment_type"]) == (RESTATED["accession_number"], "RESTATEMENT")


def test_a_cover_page_without_its_table_never_empties_the_quarter() -> None:
    answer = fund_quarter(CIK, [ORIGINAL, COVER_ONLY])
    assert _cusips(answer) == [("A", "1"), ("B", "1")]
    assert answer["table_missing"] is True and answer["filings"][-1]["role"] == "table missing"


def test_a_notice_is_a_quarter_without_holdings() -> None:
    answer = fund_quarter(CIK, [ORIGINAL, NOTICE], "2024-09-30")
    assert answer["holdings"] == [] and answer["report_type"] == "13F NOTICE"
    assert [f["role"] for f in answer["filings"]] == ["notice"]


def test_the_default_quarter_is_the_latest_and_an_unknown_one_is_none() -> None:
    assert fund_quarter(CIK, [NOTICE, ORIGINAL])["period"] == "2024-12-31"
    assert fund_quarter(CIK, [NOTICE, ORIGINAL], "2023-03-31") is None
    assert fund_quarter(CIK, []) is None


def test_history_lists_every_quarter_with_its_filings() -> None:
    history = fund_history(CIK, [ORIGINAL, NOTICE, ADDED, COVER_ONLY])
    assert [(q["period"], q["holding_count"], q["table_missing"], len(q["filings"])) for q in history["quarters"]] == [
        ("2024-09-30", 0, False, 1), ("2024-12-31", 3, True, 3)]


def test_aggregate_sums_sub_manager_rows_and_keeps_options_apart() -> None:
    rows = [_row("A", 100, 10, manager="1"), _row("A", 50, 5, manager="2"), _row("A", 7, 1, put_call="Call", manager="1"),
            _row("B", 1, 1)]
    summed = aggregate_holdings(rows)
    assert [(p["cusip"], p["put_call"], p["value_usd"], p["shares"], p["voting_sole"], p["voting_none"], p["rows"])
            for p in summed] == [("A", None, 150, 15, 15, None, 2), ("A", "Call", 7, 1, 1, None, 1), ("B", None, 1, 1, 1, None, 1)]


@pytest.mark.parametrize("unit, factor", [("thousands", 1000), ("dollars", 1)])
def test_aggregate_sums_dollars_across_units(unit: str, factor: int) -> None:
    row = {**_row("A", 5, 1), "value_usd": 5 * factor}
    assert aggregate_holdings([row, row])[0]["value_usd"] == 10 * factor
