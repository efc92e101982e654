"""Every ``console`` block of the README and of docs/ runs as shown.

A block is a sequence of ``$ command`` lines, each followed by the output it prints (stdout and
stderr together). The commands of one block run in order in one ``bash``, in a fresh copy of the
repository (``cd examples`` and files written by one command are seen by the next), with this
interpreter's ``bin`` folder first on ``PATH``. Output is compared line by line: a line ``...``
stands for any number of lines, and ``...`` inside a line for any text (that is how the docs
mark trimmed output, timings and paths). ``<!-- docs-test: cwd=DIR -->`` on the line before a
block runs it in DIR of the copy; ``<!-- docs-test: skip REASON -->`` does not run it (the reason
is required).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_BLOCK = re.compile(r"(?:<!--\s*docs-test:\s*(?P<directive>[^>]*?)\s*-->\s*\n)?```console\n(?P<body>.*?)```", re.S)
_SKIP_COPY = shutil.ignore_patterns(".git", ".venv", "secfilings-lake", "__pycache__", "*.egg-info", ".pytest_cache", "build", "dist")
_MARK = "@@costguard-docs-test-status:"


@dataclass(frozen=True)
class Step:
    command: str
    expected: tuple[str, ...]


@dataclass(frozen=True)
class Block:
    document: Path
    line: int
    directive: str
    steps: tuple[Step, ...]

    @property
    def id(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"


def read_blocks() -> list[Block]:
    blocks: list[Block] = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            steps: list[Step] = []
            for line in match.group("body").splitlines():
                if line.startswith("$ "):
                    steps.append(Step(line[2:], ()))
                elif steps:
                    steps[-1] = Step(steps[-1].command, (*steps[-1].expected, line.rstrip()))
                else:
                    raise AssertionError(f"{document}: a console block must start with a '$ ' command")
            line_number = text.count("\n", 0, match.start("body"))
            blocks.append(Block(document, line_number, match.group("directive") or "", tuple(steps)))
    return blocks


def _line_pattern(expected: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in expected.split("...")) + r"\Z")


def output_matches(expected: tuple[str, ...], actual: list[str]) -> bool:
    """``expected`` lines against ``actual`` lines; ``...`` is any lines, or any text in a line."""
    memo: dict[tuple[int, int], bool] = {}

    def match(i: int, j: int) -> bool:
        key = (i, j)
        if key not in memo:
            if i == len(expected):
                memo[key] = j == len(actual)
            elif expected[i].strip() == "...":
                memo[key] = match(i + 1, j) or (j < len(actual) and match(i, j + 1))
            else:
                memo[key] = j < len(actual) and bool(_line_pattern(expected[i]).match(actual[j])) and match(i + 1, j + 1)
        return memo[key]

    return match(0, 0)


def run_block(block: Block, workdir: Path) -> list[tuple[Step, int, list[str]]]:
    script = ["exec 2>&1"]
    for step in block.steps:
        script.append(f"{step.command}\n__cg_status=$?; printf '\\n{_MARK}%d\\n' $__cg_status; (exit $__cg_status)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COSTGUARD_", "SECFILINGS_", "PYTEST_", "GITHUB_"))}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["COLUMNS"] = "200"
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)], cwd=workdir, env=env, capture_output=True, text=True, timeout=600
    )
    # step k's output ends where its status mark starts; the mark line holds the status
    chunks = result.stdout.split("\n" + _MARK)
    runs: list[tuple[Step, int, list[str]]] = []
    for index, step in enumerate(block.steps):
        output = chunks[index] if index == 0 else chunks[index].partition("\n")[2] if index < len(chunks) else ""
        status = chunks[index + 1].partition("\n")[0] if index + 1 < len(chunks) else ""
        runs.append((step, int(status) if status.isdigit() else -1, [line.rstrip() for line in output.splitlines()]))
    return runs


BLOCKS = read_blocks()


def test_the_documents_have_examples() -> None:
    assert any(block.document.name == "README.md" for block in BLOCKS)
    assert all(block.steps for block in BLOCKS)


def test_the_matcher_is_strict() -> None:
    assert output_matches(("a", "...", "c 12 us"), ["a", "x", "y", "c 12 us"])
    assert output_matches(("t ... us",), ["t 581 us"])
    assert not output_matches(("a", "b"), ["a", "b", "c"])
    assert not output_matches(("a ... z",), ["a b y"])
    assert not output_matches(("x",), [])


@pytest.mark.parametrize("block", BLOCKS, ids=[block.id for block in BLOCKS])
def test_console_block_runs_as_shown(block: Block, tmp_path: Path) -> None:
    if block.directive.startswith("skip"):
        reason = block.directive[4:].strip()
        assert reason, f"{block.id}: a skipped block must say why"
        pytest.skip(reason)
    workdir = tmp_path / "repo"
    shutil.copytree(ROOT, workdir, ignore=_SKIP_COPY, symlinks=True)
    if block.directive.startswith("cwd="):
        workdir = workdir / block.directive[4:].strip()
        assert workdir.is_dir(), f"{block.id}: no folder {block.directive[4:]}"
    for step, status, actual in run_block(block, workdir):
        assert status >= 0, f"{block.id}: `{step.command}` did not finish"
        assert output_matches(step.expected, actual), (
            f"{block.id}: `{step.command}` printed (status {status}):\n" + "\n".join(actual)
            + "\n\nthe document shows:\n" + "\n".join(step.expected)
        )
