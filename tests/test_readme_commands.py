"""The README's first two commands are the set-up; CI must run exactly the second one."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
# Console blocks marked to run: `<!-- readme-run: DIR -->` on the line before a ```console block
# runs each `$ command` in a copy of DIR (relative to the repository root) with this
# interpreter's scripts first on PATH; the lines after a command are its output (stdout and
# stderr), where a line `...` stands for any number of lines.
# ---------------------------------------------------------------------------------------------

_RUN_BLOCK = re.compile(r"^<!-- readme-run: (\S+) -->\n```console\n(.*?)^```", re.S | re.M)


def run_blocks() -> list[tuple[str, list[tuple[str, list[str]]]]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = []
    for directory, body in _RUN_BLOCK.findall(text):
        steps: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                assert steps, f"output before any command in the block for {directory}"
                steps[-1][1].append(line)
        blocks.append((directory, steps))
    return blocks


def matches(expected: list[str], actual: list[str]) -> bool:
    """``expected`` equals ``actual``, where a line ``...`` matches any run of lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and actual[0] == expected[0] and matches(expected[1:], actual[1:])


def test_readme_has_blocks_to_run() -> None:
    assert len(run_blocks()) >= 1


@pytest.mark.parametrize("index", range(len(run_blocks())))
def test_readme_console_block_runs_as_shown(index: int, tmp_path: Path) -> None:
    directory, steps = run_blocks()[index]
    work = tmp_path / "work"
    shutil.copytree(ROOT / directory, work)
    marker = "@@readme-step@@"
    # `$?` after the marker's echo is still the previous command's status (for `echo $?`).
    script = "status=0\n" + "".join(f"echo {marker}\n(exit $status)\n{{ {command}\n}} 2>&1\nstatus=$?\n" for command, _ in steps)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("GITHUB_ACTIONS", None)
    result = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    outputs = result.stdout.split(f"{marker}\n")[1:]
    assert len(outputs) == len(steps), result.stdout + result.stderr
    for (command, expected), output in zip(steps, outputs):
        actual = output.splitlines()
        assert matches(expected, actual), f"$ {command}\n--- README\n" + "\n".join(expected) + "\n--- actual\n" + output
