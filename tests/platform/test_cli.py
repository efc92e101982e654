"""The ``secfilings`` command line: flags and variables, output for people and --json, exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from secfilings.cli import build_parser, main
from tests.platform.readside_helpers import bundled_lake


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(*argv: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), err if err is not None else io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> str:
    return bundled_lake(tmp_path_factory.mktemp("cli") / "lake").lake


def test_company_json_shape(lake: str) -> None:
    status, out, err = run("company", "1640147", "--lake", lake, "--json")
    assert status == 0 and err == ""
    answer = json.loads(out)
    assert answer["cik"] == "0001640147" and answer["name"] == "Snowflake Inc."
    assert {
        "accession_number", "form_type", "filed", "period", "date_of_original_submission", "amends",
        "remarks", "footnotes", "reporting_owners", "transactions", "holdings",
    } == set(answer["filings"][0])


@pytest.mark.parametrize("command, cik", [("company", "1640147"), ("fund", "1894188")])
def test_the_index_and_sql_print_the_same_json_bytes(lake: str, command: str, cik: str) -> None:
    """Key order included: index items keep the answer's field order (they are stored unsorted)."""
    texts = {}
    for mode in ("read-only", "off"):
        status, texts[mode], err = run(command, cik, "--lake", lake, "--index-mode", mode, "--json")
        assert status == 0 and err == ""
    assert texts["read-only"] == texts["off"]
    assert list(json.loads(texts["off"])["filings"][0])[:2] == ["accession_number", "form_type"]


def test_flags_go_before_or_after_the_subcommand_and_variables_fill_in(lake: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _, after, _ = run("fund", "1894188", "--lake", lake, "--json")
    _, before, _ = run("--lake", lake, "--json", "fund", "1894188")
    monkeypatch.setenv("SECFILINGS_LAKE", lake)
    _, from_env, _ = run("fund", "1894188", "--json")
    assert json.loads(after) == json.loads(before) == json.loads(from_env)
    assert json.loads(after)["cik"] == "0001894188"
    # a flag wins over its variable
    monkeypatch.setenv("SECFILINGS_INDEX_MODE", "bogus")
    assert run("fund", "1894188", "--index-mode", "off")[0] == 0
    status, _, err = run("fund", "1894188")
    assert status == 2 and err.strip().endswith("got 'bogus'") and "SECFILINGS_INDEX_MODE" in err


def test_people_output(lake: str) -> None:
    status, out, _ = run("company", "0001640147", "--lake", lake)
    assert status == 0
    assert out.startswith("Snowflake Inc. (CIK 0001640147): 4 filing(s)")
    status, out, _ = run("fund", "1894188", "--lake", lake)
    assert "LTS One Management LP (CIK 0001894188), period 2023-09-30: 14 holding(s)" in out


@pytest.mark.parametrize(
    ("argv", "status", "needle"),
    [
        (("company", "999999"), 3, "company CIK 0000999999: not found"),
        (("fund", "12"), 3, "fund CIK 0000000012: not found"),
        (("company", "12ab"), 2, "invalid CIK '12ab'"),
        (("company", "1", "--batch-size", "0"), 2, "--batch-size"),
        (("frobnicate",), 2, "invalid choice"),
        (("company",), 2, "the following arguments are required: CIK"),
        (("ingest", "x.xml", "--accession", "nope"), 2, "--accession"),
        (("verify-partitions", "--lake", "ftp://x"), 2, "--lake"),
    ],
)
def test_errors_are_one_line_with_a_documented_status(lake: str, argv: tuple[str, ...], status: int, needle: str) -> None:
    code, out, err = run(*argv, "--lake", lake) if "--lake" not in argv else run(*argv)
    assert code == status
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err
    assert out == ""


def test_ingest_reports_new_duplicate_rejected_and_exit_status(tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    docs = tmp_path / "docs"
    docs.mkdir()
    source = Path(__file__).resolve().parents[2] / "secfilings" / "data" / "form4"
    for name in ("0001127602-25-004598.nc", "form4.snow.xml"):
        (docs / name).write_bytes((source / name).read_bytes())
    status, out, err = run("ingest", str(docs), "--lake", lake)
    assert status == 0 and "2 documents: 2 new, 0 duplicate, 0 rejected" in out and err == ""
    (docs / "broken.xml").write_bytes(b"<ownershipDocument><issuer>")
    status, out, _ = run("ingest", str(docs), "--lake", lake, "--json")
    report = json.loads(out)
    assert status == 1
    assert (report["new"], report["duplicate"], report["rejected"]) == (0, 2, 1)
    rejected = [d for d in report["documents"] if d["outcome"] == "rejected"][0]
    assert rejected["source"].endswith("broken.xml") and rejected["quarantine_key"].startswith("quarantine/")


def test_progress_only_on_a_terminal(tmp_path: Path) -> None:
    docs = Path(__file__).resolve().parents[2] / "secfilings" / "data" / "form4"
    terminal = Terminal()
    assert run("ingest", str(docs), "--lake", str(tmp_path / "a"), err=terminal)[0] == 0
    assert "ingest: 8/8" in terminal.getvalue()
    piped = io.StringIO()
    assert run("ingest", str(docs), "--lake", str(tmp_path / "b"), err=piped)[0] == 0
    assert piped.getvalue() == ""


def test_sync_verify_backfill_subcommands(lake: str) -> None:
    status, out, _ = run("sync", "--lake", lake, "--json")
    assert status == 0 and json.loads(out)["window_end"] == "2025-04-30"
    status, out, _ = run("verify-partitions", "--lake", lake, "--keys-only")
    assert status == 0 and "no problems" in out and "keys only" in out
    status, out, _ = run("backfill-index", "--lake", lake, "--json")
    assert status == 0 and json.loads(out)["added"] == 0
    Path(lake, "raw", "stray.bin").write_bytes(b"x")
    try:
        status, out, _ = run("verify-partitions", "--lake", lake)
        assert status == 1 and "raw/stray.bin" in out
    finally:
        Path(lake, "raw", "stray.bin").unlink()


def test_cost_report_arguments() -> None:
    args = build_parser().parse_args(["cost-report", "--prices", "seed", "--chart", "c.svg", "--json"])
    assert (args.command, args.prices, args.chart, args.json) == ("cost-report", "seed", "c.svg", True)
    assert build_parser().parse_args(["cost-report"]).prices == "list"


def test_console_script_and_python_m(lake: str) -> None:
    scripts = {e.name: e.value for e in metadata.entry_points(group="console_scripts")}
    assert scripts.get("secfilings") == "secfilings.cli:main"
    env = {**os.environ, "SECFILINGS_LAKE": lake}
    done = subprocess.run(
        [sys.executable, "-m", "secfilings", "company", "7536", "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name"] == "ARROW ELECTRONICS, INC."


class _ClosedPipe(io.StringIO):
    """stdout of `secfilings ... | head -1` once head has exited."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_stops_quietly_with_status_141(lake: str) -> None:
    err = io.StringIO()
    assert main(["company", "1640147", "--lake", lake], out=_ClosedPipe(), err=err) == 141
    assert err.getvalue() == ""


def test_missing_aws_resources_are_named(aws_env: str, s3_bucket: str) -> None:
    # moto server: the bucket exists but the DynamoDB table does not; then neither does the bucket.
    missing_table = "lookup-index-missing"
    status, _, err = run("--lake", f"s3://{s3_bucket}/lake", "--index-table", missing_table,
                         "--athena-output", f"s3://{s3_bucket}/athena/", "company", "1640147")
    assert status == 4
    assert err.strip() == (
        f"secfilings company: DynamoDB table {missing_table!r} not found (--index-table / SECFILINGS_INDEX_TABLE; "
        "create it from infra/terraform/dynamodb_indexes.tf)"
    )
    status, _, err = run("--lake", "s3://no-such-bucket-costguard/lake", "verify-partitions")
    assert status == 4
    assert err.strip() == (
        "secfilings verify-partitions: the bucket of the lake 's3://no-such-bucket-costguard/lake' does not exist "
        "(--lake / SECFILINGS_LAKE)"
    )


@pytest.mark.parametrize("command", [("company", "1640147"), ("fund", "1894188"), ("sync",), ("verify-partitions",), ("backfill-index",)])
def test_read_commands_never_create_a_lake(tmp_path: Path, command: tuple[str, ...]) -> None:
    mistyped = tmp_path / "lake-typo"
    out, err = io.StringIO(), io.StringIO()
    assert main(["--lake", str(mistyped), *command], out=out, err=err) == 2
    assert err.getvalue() == f"secfilings {command[0]}: no lake at {mistyped} (--lake / SECFILINGS_LAKE)\n"
    assert out.getvalue() == ""
    assert not mistyped.exists()
