"""A 13F information table without its cover page (issue 12, item 3): ingested with ``--cik``,
``--accession`` and ``--period``, refused naming what is missing, stored as a 13F-HR under its
period. The table is the SEC's published technical sample (placeholder values: shapes only)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from secfilings.cli import main
from secfilings.data import THIRTEENF_DIR

TABLE = THIRTEENF_DIR / "sec-sample.information_table.xml"
ACCESSION = "0000004242-22-000001"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("flags, missing", [
    ((), "--cik, --accession, --period"),
    (("--cik", "4242"), "--accession, --period"),
    (("--accession", ACCESSION, "--period", "2021-12-31"), "--cik"),
    (("--cik", "4242", "--accession", ACCESSION), "--period"),
])
def test_a_bare_table_says_which_flag_is_missing_and_writes_no_row(tmp_path: Path, flags: tuple[str, ...], missing: str) -> None:
    lake = tmp_path / "lake"
    status, out, _ = run("--lake", str(lake), "ingest", str(TABLE), *flags)
    assert status == 1 and f"(missing: {missing})" in out
    assert not (lake / "tables").exists()  # nothing but the quarantined copy


def test_a_bare_table_ingests_with_cik_accession_and_period(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    status, out, err = run("--lake", str(lake), "ingest", str(TABLE), "--cik", "4242", "--accession", ACCESSION,
                           "--period", "2021-12-31")
    assert status == 0, out + err
    assert f"13F-HR {ACCESSION}" in out
    [header_file] = (lake / "tables" / "fund_filings").rglob("*.json")
    assert header_file.relative_to(lake).as_posix() == f"tables/fund_filings/form=13F-HR/year=2021/month=12/{ACCESSION}.json"
    header = json.loads(header_file.read_text())
    assert (header["filer_cik"], header["period"], header["filed"], header["has_table"]) == ("0000004242", "2021-12-31", None, True)
    # no filing date: the period decides the unit, and a 2021 quarter was filed in thousands
    assert header["value_unit"] == "thousands"
    answers = {}
    for mode in ("read-only", "off"):
        status, out, _ = run("--lake", str(lake), "--index-mode", mode, "fund", "4242", "--json")
        assert status == 0
        answers[mode] = json.loads(out)
    assert answers["read-only"] == answers["off"]
    answer = answers["off"]
    assert len(answer["holdings"]) == 169 and answer["name"] is None and answer["table_value_total"] is None
    first = answer["holdings"][0]
    assert first["value_usd"] == first["value"] * 1000 and first["accession_number"] == ACCESSION


@pytest.mark.parametrize("period", ["2024-05-17", "2024-06-29", "2024-12-30"])
def test_a_bare_tables_period_must_end_a_calendar_quarter(tmp_path: Path, period: str) -> None:
    lake = tmp_path / "lake"
    status, out, _ = run("--lake", str(lake), "ingest", str(TABLE), "--cik", "4242", "--accession", ACCESSION,
                         "--period", period)
    assert status == 1 and f"--period {period} is not the last day of a calendar quarter" in out, out
    assert not (lake / "tables").exists()


def test_period_is_checked_against_any_other_document(tmp_path: Path) -> None:
    status, out, _ = run("--lake", str(tmp_path / "lake"), "ingest", str(THIRTEENF_DIR / "13F.0001894188-23-000007.txt"),
                         "--period", "2023-06-30")
    assert status == 1 and "period mismatch: --period says 2023-06-30, the document's period is 2023-09-30" in out
    status, _, err = run("--lake", str(tmp_path / "lake"), "ingest", str(TABLE), "--period", "June")
    assert status == 2 and err.strip() == "secfilings ingest: --period: expected a date YYYY-MM-DD, got 'June'"
