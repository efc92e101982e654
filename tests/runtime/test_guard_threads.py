"""Item 3: allowed and guarded threads importing the banned modules at the same moment, many
rounds, first loads and cache hits: every guarded attempt refused, every allowed one succeeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runtime.conftest import run_scenarios

ROUNDS = 150


@pytest.mark.parametrize(("setup", "env"), [("hook", {}), ("none", {"COSTGUARD_RUNTIME": "raise"})], ids=["install", "environment"])
def test_concurrent_imports_over_many_rounds(acme_root: Path, setup: str, env: dict[str, str]) -> None:
    result = run_scenarios(acme_root, setup, ["race"], ACME_RACE_ROUNDS=str(ROUNDS), **env)["race"]
    assert result["outcome"] == "ok", result
    tally = result["value"]
    attempts = ROUNDS * 10  # per round: five statements, each by two guarded threads and one allowed
    assert tally == {
        "guarded_refused": attempts,
        "guarded_passed": 0,
        "allowed_ok": ROUNDS * 5,
        "allowed_failed": 0,
        "rounds": ROUNDS,
        "problems": [],
    }
