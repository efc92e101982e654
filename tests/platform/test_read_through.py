"""The index roll-out stages (read_through): remembered misses (issue 11, item 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from secfilings.config import Settings, open_platform
from secfilings.data import FORM4_DIR, THIRTEENF_DIR
from secfilings.meter import cost_meter
from secfilings.services.api.athena.companies import get_company
from secfilings.services.api.athena.funds import get_fund
from secfilings.services.api.athena.read_through import NeedsSql
from secfilings.workers.form4_parser.worker import ingest_paths


def _counted(lookup: Any, platform: Any, cik: str) -> tuple[Any, dict[str, float]]:
    with cost_meter() as meter:
        answer = lookup(platform, cik)
    return answer, {kind: meter.counts.get(kind, 0) for kind in ("athena.query", "dynamodb.read_units", "s3.GET")}


@pytest.mark.parametrize("lookup, cik, document", [
    (get_company, "933972", FORM4_DIR / "374WaterForm4.xml"),
    (get_fund, "1894188", THIRTEENF_DIR / "13F.0001894188-23-000007.txt"),
])
def test_a_repeated_miss_costs_no_query_until_a_write_touches_the_cik(
    tmp_path: Path, lookup: Any, cik: str, document: Path
) -> None:
    with open_platform(Settings(lake=str(tmp_path / "lake"))) as platform:
        ingest_paths(platform, [FORM4_DIR / "form5.snow.xml"])  # another issuer
        first, cost = _counted(lookup, platform, cik)
        assert first is None and cost["athena.query"] == 1
        again, cost = _counted(lookup, platform, cik)
        assert again is None and cost == {"athena.query": 0, "dynamodb.read_units": 1, "s3.GET": 0}
        ingest_paths(platform, [document])  # a filing of that CIK
        found, cost = _counted(lookup, platform, cik)
        assert found is not None and cost["athena.query"] == 0
        with open_platform(platform.settings.with_changes(index_mode="off")) as sql_only:
            assert lookup(sql_only, cik) == found  # same answer with or without the index


@pytest.mark.parametrize("mode", ["off", "write"])
def test_without_index_reads_every_miss_is_a_query(tmp_path: Path, mode: str) -> None:
    with open_platform(Settings(lake=str(tmp_path / "lake"), index_mode=mode)) as platform:
        for _ in range(2):
            answer, cost = _counted(get_company, platform, "42")
            assert answer is None and cost["athena.query"] == 1 and cost["dynamodb.read_units"] == 0


def test_read_only_never_queries_and_remembers_nothing(tmp_path: Path) -> None:
    with open_platform(Settings(lake=str(tmp_path / "lake"), index_mode="read-only")) as platform:
        answer, cost = _counted(get_company, platform, "42")
        assert answer is None and cost["athena.query"] == 0
        assert platform.index.get_lookup("company#0000000042") == []


def test_stages_index_then_sql_make_one_lookup(tmp_path: Path) -> None:
    with open_platform(Settings(lake=str(tmp_path / "lake"))) as platform:
        ingest_paths(platform, [FORM4_DIR / "374WaterForm4.xml"])
        assert get_company(platform, "933972", stage="index")["name"] == "374Water Inc."
        with pytest.raises(NeedsSql):
            get_company(platform, "42", stage="index")
        with cost_meter() as meter:
            assert get_company(platform, "42", stage="sql") is None
        assert meter.counts["athena.query"] == 1 and meter.counts.get("dynamodb.read_units", 0) == 0


@pytest.mark.parametrize("lookup, cik, document", [
    (get_company, "933972", FORM4_DIR / "374WaterForm4.xml"),
    (get_fund, "1894188", THIRTEENF_DIR / "13F.0001894188-23-000007.txt"),
])
@pytest.mark.parametrize("write_mode", ["off", "write", "read-only"])
def test_an_ingest_in_any_mode_forgets_the_remembered_miss(
    tmp_path: Path, lookup: Any, cik: str, document: Path, write_mode: str
) -> None:
    settings = Settings(lake=str(tmp_path / "lake"))
    with open_platform(settings) as platform:
        assert lookup(platform, cik) is None  # remembered: the next miss costs no query
    with open_platform(settings.with_changes(index_mode=write_mode)) as writer:
        ingest_paths(writer, [document])  # the filing lands while the index is not written (off)
    with open_platform(settings) as platform:
        found, cost = _counted(lookup, platform, cik)
        with open_platform(settings.with_changes(index_mode="off")) as sql_only:
            assert found is not None and found == lookup(sql_only, cik)


def test_a_filing_too_large_for_the_index_is_a_stub_completed_from_sql(tmp_path: Path, monkeypatch: Any) -> None:
    """A filing above the item limit is never missing from an answer the index serves, even when
    the issuer's other filings fit (the limit lowered so that form4.snow.xml, 9.3 KB, is over it
    and the issuer's three other filings, at most 5.2 KB, are not)."""
    import secfilings.index.base as base

    settings = Settings(lake=str(tmp_path / "lake"))
    monkeypatch.setattr(base, "MAX_ITEM_BYTES", 6000)
    monkeypatch.setattr(base, "COMPRESS_FROM", 10**9)  # sizes as JSON text (compressed, all four fit)
    with open_platform(settings) as platform:
        assert get_company(platform, "1640147") is None  # a remembered miss first
        ingest_paths(platform, [FORM4_DIR / name for name in (
            "form4.snow.xml", "form3.snow.xml", "form5.snow.xml", "form3.snow.nonderiv.xml")])
        items = [item for item in platform.index.get_lookup("company#0001640147") if not item.get("miss")]
        stubs = [item for item in items if item.get("rows_in_sql")]
        assert len(items) == 4 and len(stubs) == 1 and "transactions" not in stubs[0]
        found, cost = _counted(get_company, platform, "1640147")
        with open_platform(settings.with_changes(index_mode="off")) as sql_only:
            assert found == get_company(sql_only, "1640147")
        assert len(found["filings"]) == 4 and cost["athena.query"] == 1  # the stub's rows, by accession
        snow = [f for f in found["filings"] if len(f["transactions"]) == 7]
        assert len(snow) == 1 and len(snow[0]["holdings"]) == 8


# -- AnswerMemo: index answers remembered by the exact stored documents ------------------------


def test_the_memo_hands_back_the_same_answer_while_the_stored_documents_are_unchanged(tmp_path: Path) -> None:
    from secfilings.services.api.athena.read_through import AnswerMemo

    memo = AnswerMemo()
    with open_platform(Settings(lake=str(tmp_path / "lake"))) as platform:
        ingest_paths(platform, [FORM4_DIR / "form4.snow.xml"])
        first, cost = _counted(lambda p, c: get_company(p, c, memo=memo), platform, "1640147")
        again, cost_again = _counted(lambda p, c: get_company(p, c, memo=memo), platform, "1640147")
        assert again is first and (memo.hits, memo.misses) == (1, 1)
        assert cost_again == cost and cost["dynamodb.read_units"] >= 1  # read (and billed) every time
        assert first == get_company(platform, "1640147")  # what no memo answers
        ingest_paths(platform, [FORM4_DIR / "form3.snow.xml"])  # a new filing of the issuer
        after = get_company(platform, "1640147", memo=memo)
        assert after is not first and len(after["filings"]) == len(first["filings"]) + 1
        assert after == get_company(platform, "1640147")
        # a fund's answers are remembered per question (quarter, history, aggregate)
        ingest_paths(platform, [THIRTEENF_DIR / "13F.0001894188-23-000007.txt"])
        plain, history = get_fund(platform, "1894188", memo=memo), get_fund(platform, "1894188", history=True, memo=memo)
        assert plain != history and get_fund(platform, "1894188", history=True, memo=memo) is history
        assert get_fund(platform, "1894188", memo=memo) is plain


def test_answers_completed_from_sql_are_not_remembered(tmp_path: Path) -> None:
    """A stub item (its rows in SQL) is answered from SQL each time, never from the memo."""
    from secfilings.index.keys import company_pk, company_sk
    from secfilings.services.api.athena.read_through import AnswerMemo

    memo = AnswerMemo()
    with open_platform(Settings(lake=str(tmp_path / "lake"))) as platform:
        ingest_paths(platform, [FORM4_DIR / "form4.snow.xml"])
        pk = company_pk("0001640147")
        [item] = platform.index.get_lookup(pk)
        stub = {k: v for k, v in item.items() if k not in ("transactions", "holdings", "reporting_owners", "footnotes")}
        platform.index.put_lookup(pk, company_sk(item), {**stub, "rows_in_sql": True})
        assert [i.get("rows_in_sql") for i in platform.index.get_lookup(pk)] == [True]  # the stub replaced it
        first = get_company(platform, "1640147", memo=memo)
        assert first["filings"][0]["transactions"]  # completed from SQL
        assert get_company(platform, "1640147", memo=memo) is not first and len(memo) == 0


def test_the_memo_is_bounded() -> None:
    from secfilings.services.api.athena.read_through import AnswerMemo

    memo = AnswerMemo(max_entries=2, max_bytes=100)
    memo.put("a", 1, 10)
    memo.put("b", 2, 10)
    assert memo.get("a") == 1  # a is now the most recently used
    memo.put("c", 3, 10)
    assert (memo.get("b"), memo.get("a"), memo.get("c")) == (None, 1, 3)
    memo.put("d", 4, 95)  # over the bytes bound with the others: they go first
    assert (len(memo), memo.get("d")) == (1, 4)
    memo.put("e", 5, 101)  # larger than the bound: never kept
    assert memo.get("e") is None and memo.get("d") == 4
