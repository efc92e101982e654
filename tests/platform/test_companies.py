"""The company endpoint: index first, SQL fallback, same answer with or without the index."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from secfilings.config import Settings, open_platform
from secfilings.lake.layout import TABLE_COLUMNS
from secfilings.meter import cost_meter
from secfilings.model import InvalidIdentifier
from secfilings.services.api.athena.companies import get_company
from tests.platform.readside_helpers import bundled_lake, ingest_bundled, lake_rows

MODES = ("off", "write", "read-fallback", "read-only")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return bundled_lake(tmp_path_factory.mktemp("companies") / "lake")


def _issuers(settings: Settings) -> list[str]:
    return sorted({row["issuer_cik"] for row in lake_rows(Path(settings.lake), "ownership_filings")})


def _answer(settings: Settings, mode: str, cik: Any) -> Any:
    with open_platform(settings.with_changes(index_mode=mode)) as platform:
        return get_company(platform, cik)


def test_the_answer_is_the_same_in_every_index_mode(lake: Settings) -> None:
    issuers = _issuers(lake)
    assert len(issuers) >= 5
    for cik in issuers:
        answers = {mode: _answer(lake, mode, cik) for mode in MODES}
        assert answers["off"] is not None
        for mode in MODES:
            assert answers[mode] == answers["off"], (cik, mode)


# the field names the SEC data issue fixes, so scripts can rely on them (docs/fields.md)
FILING_FIELDS = {
    "accession_number", "form_type", "filed", "period", "date_of_original_submission", "amends",
    "remarks", "footnotes", "reporting_owners", "transactions", "holdings",
}
OWNER_FIELDS = {"cik", "name", "is_director", "is_officer", "is_ten_percent_owner", "is_other", "officer_title"}
DERIVATIVE_FIELDS = {
    "conversion_or_exercise_price", "exercise_date", "expiration_date", "underlying_security_title", "underlying_shares",
}
HOLDING_FIELDS = {
    "security_title", "derivative", "shares_owned_following", "value_owned_following", "direct_indirect",
    "nature_of_ownership", "footnote_ids", *DERIVATIVE_FIELDS,
}
TRANSACTION_FIELDS = HOLDING_FIELDS | {"date", "code", "shares", "price_per_share", "acquired_disposed", "is_10b5_1"}


def test_answer_shape_and_types(lake: Settings) -> None:
    answer = _answer(lake, "read-only", 1640147)
    assert set(answer) == {"cik", "name", "filings"}
    assert answer["cik"] == "0001640147" and answer["name"] == "Snowflake Inc."
    # the filings are the issuer's rows in the lake
    expected = {r["accession_number"] for r in lake_rows(Path(lake.lake), "ownership_filings") if r["issuer_cik"] == "0001640147"}
    assert {f["accession_number"] for f in answer["filings"]} == expected
    transactions = 0
    for filing in answer["filings"]:
        assert set(filing) == FILING_FIELDS
        assert filing["filed"] is None or ISO.match(filing["filed"])
        assert ISO.match(filing["period"])
        assert isinstance(filing["footnotes"], dict) and all(re.match(r"^F\d+$", k) for k in filing["footnotes"])
        for owner in filing["reporting_owners"]:
            assert set(owner) == OWNER_FIELDS and re.match(r"^\d{10}$", owner["cik"])
            assert all(isinstance(owner[k], bool) for k in OWNER_FIELDS if k.startswith("is_"))
        for tx in filing["transactions"]:
            transactions += 1
            assert set(tx) == TRANSACTION_FIELDS
            assert isinstance(tx["shares"], float) and isinstance(tx["derivative"], bool)
            assert tx["acquired_disposed"] in ("A", "D") and ISO.match(tx["date"])
            assert tx["direct_indirect"] in ("D", "I", None) and tx["is_10b5_1"] in (True, False, None)
            assert set(tx["footnote_ids"]) <= set(filing["footnotes"])
        for holding in filing["holdings"]:
            assert set(holding) == HOLDING_FIELDS
    rows = [r for r in lake_rows(Path(lake.lake), "insider_transactions") if r["issuer_cik"] == "0001640147"]
    assert transactions == sum(1 for r in rows if r["is_transaction"])
    text = json.dumps(answer)
    assert json.loads(text) == answer  # JSON-able as it is


@pytest.mark.parametrize("cik", ["1640147", "0001640147", 1640147, " 1640147 "])
def test_cik_with_or_without_leading_zeros(lake: Settings, cik: Any) -> None:
    assert _answer(lake, "read-only", cik)["cik"] == "0001640147"


@pytest.mark.parametrize("cik", ["abc", "", "12345678901", "0", "1640147; DROP TABLE x", "\u0661\u0666\u0664\u0660\u0661\u0664\u0667"])
def test_invalid_cik_is_refused_before_any_request(lake: Settings, cik: str) -> None:
    with open_platform(lake) as platform, cost_meter() as meter:
        with pytest.raises(InvalidIdentifier, match="invalid CIK"):
            get_company(platform, cik)
    assert not meter.counts


def test_lookups_on_a_filled_index_read_no_object_and_run_no_query(lake: Settings) -> None:
    issuers = _issuers(lake)
    with open_platform(lake) as platform, cost_meter() as meter:
        answers = [get_company(platform, cik) for cik in issuers * 3]
    assert all(answers)
    assert meter.counts["s3.GET"] == 0
    assert meter.counts["athena.query"] == 0
    assert meter.counts["dynamodb.read_units"] >= len(answers)


def test_a_miss_falls_back_to_sql_once_and_back_fills_the_index(tmp_path: Path) -> None:
    settings = bundled_lake(tmp_path / "lake", index_mode="off")  # no index items written
    with open_platform(settings.with_changes(index_mode="read-only")) as platform, cost_meter() as meter:
        assert get_company(platform, "1640147") is None  # read-only: a miss is "not found"...
    assert meter.counts["athena.query"] == 0  # ...never a query
    sql_answer = _answer(settings, "off", "1640147")
    with open_platform(settings.with_changes(index_mode="read-fallback")) as platform:
        with cost_meter() as first:
            fallback = get_company(platform, "1640147")
        with cost_meter() as second:
            again = get_company(platform, "1640147")
    assert first.counts["s3.GET"] == 0
    assert first.counts["athena.query"] == 1 and first.counts["dynamodb.write_units"] > 0
    assert second.counts["athena.query"] == 0 and second.counts["s3.GET"] == 0
    assert fallback == again == sql_answer
    assert _answer(settings, "read-only", "1640147") == sql_answer


def test_write_mode_reads_sql_and_leaves_the_index_to_writers(tmp_path: Path) -> None:
    settings = bundled_lake(tmp_path / "lake", index_mode="off")
    with open_platform(settings.with_changes(index_mode="write")) as platform, cost_meter() as meter:
        assert get_company(platform, "7536")["name"] == "ARROW ELECTRONICS, INC."
        assert platform.index.get_lookup("company#0000007536") == []
    assert meter.counts["athena.query"] == 1


def test_unknown_company_is_none_in_every_mode(lake: Settings) -> None:
    for mode in MODES:
        assert _answer(lake, mode, "999999") is None


def test_on_aws_a_filled_index_serves_lookups_with_no_s3_get_and_no_athena(aws_settings: Settings) -> None:
    from secfilings.cost.boto_events import meter_client

    with open_platform(aws_settings) as platform:
        report = ingest_bundled(platform)
        assert report.new >= 10
        for client in (platform.store.client, platform.index.client, platform.sql.client):
            meter_client(client)
        with cost_meter() as meter:
            answers = [get_company(platform, cik) for cik in ("1640147", "7536", "933972", "1750") * 2]
    assert all(a is not None for a in answers)
    assert answers[0]["name"] == "Snowflake Inc." and len(answers[0]["filings"]) == 4
    assert meter.counts["s3.GET"] == 0 and meter.counts["athena.query"] == 0
    assert meter.counts["dynamodb.read_units"] >= len(answers)  # counted from DynamoDB's replies


# Athena's result types of the two tables' columns, from the lake layout (so a new column is typed too)
_ATHENA_TYPES = {
    name: {"int": "integer", "string": "varchar"}.get(kind, kind)
    for table in ("ownership_filings", "insider_transactions")
    for name, kind in TABLE_COLUMNS[table]
}


def _athena_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def test_the_athena_fallback_sends_one_parameterised_query_and_answers_like_duckdb(
    lake: Settings, aws_settings: Settings, athena_results: Any
) -> None:
    """moto runs no SQL: the fallback's own query runs on DuckDB, its rows are served by moto as
    Athena returns them (all text, typed by the column info), and the answers must agree."""
    from secfilings.services.api.athena.query import COMPANY_FILINGS_SQL
    from secfilings.sql.engine import with_read_views

    with open_platform(lake.with_changes(index_mode="off")) as local:
        rows = local.sql.query(COMPANY_FILINGS_SQL, ["0001640147"])
        expected = get_company(local, "1640147")
    names = list(rows[0])
    athena_results([{
        "rows": [{"Data": [{"VarCharValue": n} for n in names]}]
        + [{"Data": [{} if _athena_text(r[n]) is None else {"VarCharValue": _athena_text(r[n])} for n in names]}
           for r in rows],
        "column_info": [{"Name": n, "Label": n, "Type": _ATHENA_TYPES.get(n, "varchar"),
                         "Nullable": "NULLABLE", "CaseSensitive": False} for n in names],
    }])
    sent: list[dict[str, Any]] = []
    with open_platform(aws_settings.with_changes(index_mode="off")) as platform:
        platform.sql.poll_interval_s = 0.01
        platform.sql.client.meta.events.register(
            "before-parameter-build.athena.StartQueryExecution", lambda params, **_: sent.append(dict(params))
        )
        answer = get_company(platform, 1640147)
    assert answer == expected
    assert len(sent) == 1
    # the same SQL, each table read through its <table>_all view (compacted and fresh rows)
    assert sent[0]["QueryString"] == with_read_views(COMPANY_FILINGS_SQL) != COMPANY_FILINGS_SQL
    assert "FROM ownership_filings_all f" in sent[0]["QueryString"]
    assert sent[0]["ExecutionParameters"] == ["'0001640147'"]
