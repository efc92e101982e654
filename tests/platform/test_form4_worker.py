"""The ingestion worker: real filings in, de-duplicated lake out, bad input quarantined."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from secfilings.config import Settings, open_platform
from secfilings.data import DATA_DIR, FORM4_DIR, THIRTEENF_DIR, ingestible_filings
from secfilings.errors import SecfilingsError
from secfilings.lake.layout import content_accession
from secfilings.workers.form4_parser.worker import ingest_paths

WATER = FORM4_DIR / "374WaterForm4.xml"


def lake_keys(platform: Any, prefix: str) -> list[str]:
    return [key for key, _ in platform.store.list(prefix).keys]


def test_bundled_filings_then_rerun_changes_nothing(local_platform: Any) -> None:
    report = ingest_paths(local_platform, [DATA_DIR])
    assert (report.new, report.duplicate, report.rejected) == (13, 0, 1)
    [rejected] = [doc for doc in report.documents if doc.outcome == "rejected"]
    assert rejected.source.endswith("sec-sample.information_table.xml")
    assert "information table alone" in rejected.reason
    assert len(lake_keys(local_platform, "raw/")) == 13
    tables = local_platform.sql.query("SELECT count(*) AS n FROM ownership_filings")
    assert tables == [{"n": 8}]
    snapshot = {key: size for key, size in local_platform.store.list("raw/").keys + local_platform.store.list("tables/").keys}
    again = ingest_paths(local_platform, ingestible_filings())
    assert (again.new, again.duplicate, again.rejected) == (0, 13, 0)
    assert {key: size for key, size in local_platform.store.list("raw/").keys + local_platform.store.list("tables/").keys} == snapshot
    assert again.ok and not report.ok


def test_accession_numbers_from_submission_file_name_flag_and_content(local_platform: Any, tmp_path: Path) -> None:
    named = tmp_path / "0000933972-25-000123.xml"
    shutil.copy(WATER, named)
    plain = tmp_path / "water.xml"
    plain.write_bytes(WATER.read_bytes().replace(b"757756", b"757750"))
    hashed = tmp_path / "snow.xml"
    shutil.copy(FORM4_DIR / "form5.snow.xml", hashed)
    submission = ingest_paths(local_platform, [FORM4_DIR / "0001127602-25-004598.nc"])
    by_name = ingest_paths(local_platform, [named])
    by_flag = ingest_paths(local_platform, [plain], accession="000093397225000124")
    by_hash = ingest_paths(local_platform, [hashed])
    assert submission.documents[0].accession_number == "0001127602-25-004598"
    assert by_name.documents[0].accession_number == "0000933972-25-000123"
    assert by_flag.documents[0].accession_number == "0000933972-25-000124"
    assert by_hash.documents[0].accession_number == content_accession(hashed.read_bytes())
    sources = local_platform.sql.query("SELECT accession_source AS s FROM ownership_filings ORDER BY s")
    assert [row["s"] for row in sources] == ["command line", "content hash", "document", "file name"]
    # the same bytes under another name: the content key de-duplicates them
    copy = tmp_path / "other-name.xml"
    shutil.copy(hashed, copy)
    assert ingest_paths(local_platform, [copy]).documents[0].outcome == "duplicate"


def test_amendment_goes_to_its_own_partition(local_platform: Any, tmp_path: Path) -> None:
    amended = tmp_path / "0000933972-25-000200.xml"
    amended.write_bytes(WATER.read_bytes().replace(
        b"<documentType>4</documentType>",
        b"<documentType>4/A</documentType><dateOfOriginalSubmission>2025-05-02</dateOfOriginalSubmission>"))
    report = ingest_paths(local_platform, [amended])
    assert report.documents[0].form_type == "4/A" and report.new == 1
    assert lake_keys(local_platform, "raw/") == ["raw/form=4A/year=2025/month=04/0000933972-25-000200.xml"]
    rows = local_platform.sql.query("SELECT form_type, form, date_of_original_submission AS d FROM ownership_filings")
    assert [(r["form_type"], r["form"], r["d"].isoformat()) for r in rows] == [("4/A", "4A", "2025-05-02")]


BAD_SUBMISSION = (FORM4_DIR / "0001127602-25-001055.txt").read_bytes().replace(
    b"ACCESSION NUMBER:\t\t0001127602-25-001055", b"ACCESSION NUMBER:\t\t../../../../tmp/escape")


@pytest.mark.parametrize("name, data, reason", [
    ("truncated.xml", (FORM4_DIR / "form4.snow.xml").read_bytes()[:4000], "malformed XML"),
    ("garbage.xml", b"\x00\x01 not xml", "malformed XML"),
    ("laughs.xml", b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                   b"<ownershipDocument>&b;</ownershipDocument>", "refused: the XML declares a DTD"),
    ("page.xml", b"<html><body>hello</body></html>", "not an ownership (Form 3/4/5) or 13F document"),
    ("badcik.xml", WATER.read_bytes().replace(b"<issuerCik>0000933972", b"<issuerCik>CIK933972"),
     "issuerCik: invalid CIK 'CIK933972'"),
    ("escape.txt", BAD_SUBMISSION, "invalid accession number '../../../../tmp/escape'"),
    ("8k.txt", BAD_SUBMISSION.replace(b"../../../../tmp/escape", b"0001127602-25-001055").replace(
        b"<ownershipDocument>", b"<eightK>").replace(b"</ownershipDocument>", b"</eightK>"),
     "not an ownership (Form 3/4/5) or 13F filing"),
])
def test_bad_documents_are_rejected_quarantined_and_the_batch_goes_on(
    local_platform: Any, tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    bad = inbox / name
    bad.write_bytes(data)
    good = inbox / "zz-good.xml"
    shutil.copy(WATER, good)
    before = bad.stat().st_mtime_ns
    report = ingest_paths(local_platform, [inbox])
    rejected, accepted = report.documents
    assert (rejected.outcome, accepted.outcome) == ("rejected", "new")
    assert rejected.source == str(bad) and reason in rejected.reason
    assert rejected.message.startswith(f"{bad}: rejected: ") and "\n" not in rejected.message
    # the user's file is untouched; a copy and the reason are in the quarantine
    assert bad.read_bytes() == data and bad.stat().st_mtime_ns == before
    quarantined = local_platform.store.root / rejected.quarantine_key
    assert quarantined.read_bytes() == data
    reason_text = Path(str(quarantined) + ".reason.txt").read_text()
    assert str(bad) in reason_text and reason in reason_text
    # nothing partial: only the good document reached the lake and the index
    assert len(lake_keys(local_platform, "raw/")) == 1
    assert len(lake_keys(local_platform, "tables/")) == 2
    assert not (tmp_path.parent / "tmp" / "escape").exists()
    assert all(not key.startswith(("raw/", "tables/")) or "zz" not in key for key in lake_keys(local_platform, ""))
    assert not report.ok


def test_cik_override_is_checked_against_the_document(local_platform: Any) -> None:
    mismatch = ingest_paths(local_platform, [WATER], cik="320193")
    [doc] = mismatch.documents
    assert doc.outcome == "rejected"
    assert "--cik says 0000320193" in doc.reason and "issuer is 0000933972" in doc.reason
    assert ingest_paths(local_platform, [WATER], cik="933972").new == 1  # the issuer: accepted
    fund = ingest_paths(local_platform, [THIRTEENF_DIR / "13F.0001894188-23-000007.txt"], cik="1")
    assert "filer is 0001894188" in fund.documents[0].reason


def test_accession_override_conflicts_and_bad_arguments(local_platform: Any, tmp_path: Path) -> None:
    nc = FORM4_DIR / "0001127602-25-004598.nc"
    [doc] = ingest_paths(local_platform, [nc], accession="0000000001-25-000001").documents
    assert doc.outcome == "rejected"
    assert "the submission says 0001127602-25-004598, --accession says 0000000001-25-000001" in doc.reason
    named = tmp_path / "0000933972-25-000123.xml"
    shutil.copy(WATER, named)
    [doc] = ingest_paths(local_platform, [named], accession="0000933972-25-000999").documents
    assert "the file name says 0000933972-25-000123, --accession says 0000933972-25-000999" in doc.reason
    with pytest.raises(SecfilingsError, match=r"--accession: invalid accession number '\.\./x'"):
        ingest_paths(local_platform, [WATER], accession="../x")
    with pytest.raises(SecfilingsError, match="--accession names one document, got 2 files"):
        ingest_paths(local_platform, [WATER, named], accession="0000933972-25-000999")
    with pytest.raises(SecfilingsError, match="--cik: invalid CIK"):
        ingest_paths(local_platform, [WATER], cik="12345678901")
    assert lake_keys(local_platform, "raw/") == []


def test_missing_file_is_rejected_by_name(local_platform: Any, tmp_path: Path) -> None:
    missing = tmp_path / "nope.xml"
    report = ingest_paths(local_platform, [missing, WATER])
    assert [d.outcome for d in report.documents] == ["rejected", "new"]
    assert report.documents[0].source == str(missing) and "cannot read the file" in report.documents[0].reason


def test_progress_and_parallel_jobs_keep_order_and_outcomes(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(40):
        source = sorted(FORM4_DIR.glob("*.xml"))[i % 6]
        (inbox / f"{1000000000 + i:010d}-25-{i:06d}.xml").write_bytes(source.read_bytes())
    (inbox / ".hidden.xml").write_bytes(b"ignored")
    (inbox / "notes.md").write_text("ignored")
    seen: list[tuple[int, int]] = []
    with open_platform(Settings(lake=str(tmp_path / "lake"))) as platform:
        report = ingest_paths(platform, [inbox], jobs=2, progress=lambda done, total, doc: seen.append((done, total)))
        assert [d.source for d in report.documents] == [str(p) for p in sorted(inbox.glob("[0-9]*.xml"))]
        assert report.new == 40 and seen[-1] == (40, 40) and len(seen) == 40
        again = ingest_paths(platform, [inbox], jobs=2)
        assert again.duplicate == 40
        assert platform.sql.query("SELECT count(*) AS n FROM ownership_filings") == [{"n": 40}]


def test_ingest_into_an_s3_lake(aws_platform: Any) -> None:
    report = ingest_paths(aws_platform, [FORM4_DIR / "0001127602-25-001055.txt", FORM4_DIR / "form3.nosecurities.xml"])
    assert report.new == 2
    assert len(aws_platform.store.list("raw/").keys) == 2
    assert ingest_paths(aws_platform, [FORM4_DIR / "0001127602-25-001055.txt"]).duplicate == 1
    [item] = aws_platform.index.get_lookup("company#0000001750")
    assert item["transactions"][0]["code"] == "S" and item["filed"] == "2025-01-10"


def test_a_file_name_in_non_ascii_digits_is_not_an_accession(local_platform: Any, tmp_path: Path) -> None:
    # Arabic-Indic digits match \d in Unicode regexes; an accession number is ASCII digits only,
    # so such a name falls back to the content key instead of being rejected or stored as is.
    odd = tmp_path / "\u0660\u0660\u0660\u0661\u0661\u0662\u0667\u0666\u0660\u0662-\u0662\u0662-\u0660\u0660\u0660\u0661\u0662\u0663.xml"
    shutil.copy(FORM4_DIR / "form5.snow.xml", odd)
    report = ingest_paths(local_platform, [odd])
    assert report.documents[0].outcome == "new"
    assert report.documents[0].accession_number == content_accession(odd.read_bytes())


def test_an_all_zero_accession_in_a_file_name_is_rejected(local_platform: Any, tmp_path: Path) -> None:
    zeros = tmp_path / "0000000000-00-000000.xml"
    shutil.copy(FORM4_DIR / "form5.snow.xml", zeros)
    report = ingest_paths(local_platform, [zeros])
    assert report.documents[0].outcome == "rejected"
    assert report.documents[0].reason == (
        "the file name holds the all-zero accession number 0000000000-00-000000: not an accession"
    )


def test_a_document_over_the_size_limit_is_rejected_unread(tmp_path: Path) -> None:
    small = Settings(lake=str(tmp_path / "lake"), max_document_bytes=6000)
    big, fits = FORM4_DIR / "form4.snow.xml", FORM4_DIR / "374WaterForm4.xml"  # 21,803 and 5,396 bytes
    with open_platform(small) as platform:
        report = ingest_paths(platform, [big, fits])
    rejected, ingested = report.documents
    assert rejected.outcome == "rejected"
    assert rejected.reason == (
        "the document is larger than 6000 bytes (at least 21803), the limit"
        " (--max-document-bytes / SECFILINGS_MAX_DOCUMENT_BYTES); not read"
    )
    assert rejected.quarantine_key is None  # never read, so never copied
    assert ingested.outcome == "new"
    with open_platform(small.with_changes(max_document_bytes=64 * 1024 * 1024)) as platform:
        assert ingest_paths(platform, [big]).documents[0].outcome == "new"


def test_the_size_limit_is_a_setting_with_its_variable() -> None:
    assert Settings().max_document_bytes == 64 * 1024 * 1024
    assert Settings.from_env(environ={"SECFILINGS_MAX_DOCUMENT_BYTES": "4096"}).max_document_bytes == 4096
    with pytest.raises(SecfilingsError, match="SECFILINGS_MAX_DOCUMENT_BYTES: expected a whole number, got 'big'"):
        Settings.from_env(environ={"SECFILINGS_MAX_DOCUMENT_BYTES": "big"})
