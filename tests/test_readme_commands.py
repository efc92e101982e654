"""The README's first two commands are the set-up; CI must run exactly the second one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block, "README.md has no ```sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_first_command_installs_and_runs_the_main_job() -> None:
    first = readme_commands()[0]
    assert "pip install '.[platform]'" in first and first.endswith("secfilings demo")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    second = readme_commands()[1]
    assert "pytest" in second
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert second in ci_lines, f".ci/run does not run the README's test command: {second}"


# ---------------------------------------------------------------------------------------------
