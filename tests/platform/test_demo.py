"""``secfilings demo``: the README's main job, twice on one lake (nothing doubled), and run as a
fresh install runs it (a new process, outside the repository)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from secfilings.cli import main


def _demo_json(lake: Path) -> dict:
    out, err = io.StringIO(), io.StringIO()
    status = main(["demo", "--lake", str(lake), "--json"], out=out, err=err)
    assert status == 0, err.getvalue()
    return json.loads(out.getvalue())


def test_demo_twice_shows_duplicates_and_doubles_nothing(tmp_path: Path) -> None:
    first = _demo_json(tmp_path / "lake")
    second = _demo_json(tmp_path / "lake")
    assert first["guard"]["probe"].startswith("refused: ")
    ingest1, ingest2 = first["ingest"], second["ingest"]
    assert ingest1["new"] == 13 and ingest1["duplicate"] == 0
    assert ingest2["new"] == 0 and ingest2["duplicate"] == 13
    assert ingest1["rejected"] == ingest2["rejected"] == 1  # the lone information table, quarantined
    assert ingest1["lake_before"] == {"ownership_filings": 0, "insider_rows": 0, "fund_filings": 0, "fund_holdings": 0}
    assert ingest2["lake_before"] == ingest2["lake_after"] == ingest1["lake_after"]
    for run in (first, second):
        assert run["company"]["answer"]["name"] == "Snowflake Inc."
        assert run["fund"]["answer"]["cik"] == "0001894188"
        for lookup in ("company", "fund"):  # served by the index
            assert run[lookup]["requests"]["s3.GET"] == 0 and run[lookup]["requests"]["athena.query"] == 0
        assert run["sync"]["issuers"] and run["verify_partitions"]["ok"]
    assert first["company"]["answer"] == second["company"]["answer"]
    assert first["sync"] == second["sync"]


def test_demo_runs_in_a_new_process_outside_the_repository(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECFILINGS_", "COSTGUARD_"))}
    done = subprocess.run(
        [sys.executable, "-m", "secfilings", "demo"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    text = done.stdout
    assert (tmp_path / "secfilings-lake" / "_index").is_dir()  # the default lake: ./secfilings-lake
    # No pyproject here: the policy is found from the program's location (this checkout's
    # pyproject.toml in an editable install) or is the one the installed package ships.
    assert "/pyproject.toml)" in text or "/secfilings/costguard_policy.toml)" in text, text
    for needle in ("13 new, 0 duplicate, 1 rejected", "Snowflake Inc. (CIK 0001640147)",
                   "LTS One Management LP (CIK 0001894188)", "served by the lookup index: 0 S3 GET, 0 SQL queries",
                   "sync: insider activity", "no problems"):
        assert needle in text, needle
