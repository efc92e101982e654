"""The fund endpoint: a fund's latest 13F holdings, index first, same answer without the index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from secfilings.config import Settings, open_platform
from secfilings.meter import cost_meter
from secfilings.services.api.athena.funds import get_fund
from tests.platform.readside_helpers import bundled_lake, lake_rows

MODES = ("off", "write", "read-fallback", "read-only")


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return bundled_lake(tmp_path_factory.mktemp("funds") / "lake")


def _answer(settings: Settings, mode: str, cik: Any) -> Any:
    with open_platform(settings.with_changes(index_mode=mode)) as platform:
        return get_fund(platform, cik)


def test_the_answer_is_the_same_in_every_index_mode(lake: Settings) -> None:
    funds = sorted({row["filer_cik"] for row in lake_rows(Path(lake.lake), "fund_filings")})
    assert len(funds) >= 4
    for cik in funds:
        answers = {mode: _answer(lake, mode, cik) for mode in MODES}
        assert answers["off"] is not None
        assert all(answers[mode] == answers["off"] for mode in MODES), cik


# the field names the SEC data issue fixes, so scripts can rely on them (docs/fields.md)
FUND_FIELDS = {
    "cik", "name", "period", "accession_number", "form_type", "filed", "report_type", "amendment_type",
    "table_entry_total", "table_value_total", "value_unit", "table_missing", "filings", "holdings",
}
HOLDING_FIELDS = {
    "issuer", "title_of_class", "cusip", "value", "value_usd", "shares", "share_type", "put_call",
    "investment_discretion", "other_managers", "voting_sole", "voting_shared", "voting_none", "accession_number",
}


def test_answer_is_the_latest_filing_with_its_holdings_as_filed(lake: Settings) -> None:
    answer = _answer(lake, "read-only", "1894188")
    assert set(answer) == FUND_FIELDS
    assert answer["cik"] == "0001894188" and answer["period"] == "2023-09-30"
    # the cover page, read off the document by hand (13F.0001894188-23-000007.txt, lines 79-97)
    assert (answer["accession_number"], answer["filed"], answer["report_type"], answer["amendment_type"],
            answer["table_entry_total"], answer["table_value_total"], answer["table_missing"]) == (
        "0001894188-23-000007", "2023-11-14", "13F HOLDINGS REPORT", None, 14, 454926000, False)
    assert [(f["accession_number"], f["role"]) for f in answer["filings"]] == [("0001894188-23-000007", "original")]
    rows = [r for r in lake_rows(Path(lake.lake), "fund_holdings") if r["filer_cik"] == "0001894188"]
    assert len(answer["holdings"]) == len(rows) == 14
    for holding, row in zip(answer["holdings"], sorted(rows, key=lambda r: r["position"])):
        assert set(holding) == HOLDING_FIELDS
        assert isinstance(holding["value"], int) and isinstance(holding["shares"], int)
        assert holding["value_usd"] == holding["value"]  # filed 2023-11-14: whole dollars
        assert holding["accession_number"] == "0001894188-23-000007"
        assert (holding["title_of_class"], holding["investment_discretion"], holding["voting_sole"]) == (
            row["title_of_class"], row["investment_discretion"], row["voting_sole"])
        assert (holding["issuer"], holding["cusip"], holding["value"]) == (row["issuer"], row["cusip"], row["value"])
    header = [r for r in lake_rows(Path(lake.lake), "fund_filings") if r["filer_cik"] == "0001894188"][0]
    assert sum(h["value"] for h in answer["holdings"]) == header["table_value_total"]


def test_put_call_is_null_when_the_filing_has_none(lake: Settings) -> None:
    answer = _answer(lake, "off", 1994827)
    assert answer["holdings"] and all(h["put_call"] is None for h in answer["holdings"])


def test_fund_lookups_on_a_filled_index_read_no_object_and_run_no_query(lake: Settings) -> None:
    with open_platform(lake) as platform, cost_meter() as meter:
        answers = [get_fund(platform, cik) for cik in ("1894188", "1994827", "1099219") * 4]
    assert all(answers)
    assert meter.counts["s3.GET"] == 0 and meter.counts["athena.query"] == 0


def test_a_miss_falls_back_once_then_the_index_answers(tmp_path: Path) -> None:
    settings = bundled_lake(tmp_path / "lake", index_mode="off")
    assert _answer(settings, "read-only", "1894188") is None
    with open_platform(settings.with_changes(index_mode="read-fallback")) as platform:
        with cost_meter() as first:
            fallback = get_fund(platform, "0001894188")
        with cost_meter() as second:
            again = get_fund(platform, "1894188")
    assert first.counts["athena.query"] == 1 and second.counts["athena.query"] == 0
    assert fallback == again == _answer(settings, "off", "1894188")


def test_unknown_fund_is_none(lake: Settings) -> None:
    for mode in MODES:
        assert _answer(lake, mode, "424242") is None
