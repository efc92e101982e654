"""The example files, linted by real flake8, give exactly the findings written beside the code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_costguard.checker import CostguardChecker

from .example_tree import EXAMPLES, Finding, build_tree, example_names, expected_findings

FORMAT = "%(path)s|%(row)d|%(col)d|%(code)s|%(text)s"


def run_flake8(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def linted(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Path], dict[Path, list[Finding]], str]:
    root = tmp_path_factory.mktemp("examples")
    placed = build_tree(root)
    result = run_flake8(root, "--select", "CG", "--format", FORMAT, ".")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == ""
    found: dict[Path, list[Finding]] = {}
    for line in result.stdout.splitlines():
        path, row, col, code, _text = line.split("|", 4)
        found.setdefault((root / path).resolve(), []).append((int(row), int(col), code))
    return placed, found, result.stdout


@pytest.mark.parametrize("example", example_names())
def test_example_findings_match_the_expectations(example: str, linted: tuple) -> None:
    placed, found, _ = linted
    expected = expected_findings(EXAMPLES / example)
    actual = sorted(found.get(placed[example].resolve(), []))
    assert actual == expected


def test_every_example_rule_is_exercised(linted: tuple) -> None:
    _, found, _ = linted
    codes = {code for findings in found.values() for _, _, code in findings}
    assert codes == {"CG101", "CG102", "CG103"}


def test_message_names_module_scope_reason_and_replacement(linted: tuple) -> None:
    _, _, output = linted
    lines = [line for line in output.splitlines() if "import_statements.py|3|8|" in line]
    assert lines and lines[0].endswith(
        "|CG101|app.services.api.athena.s3_direct_read is banned in app.services: "
        "each call is a billed S3 GET; use app.services.api.athena.lookup_index"
    )
    paid = [line for line in output.splitlines() if "worker_relative.py|7|8|" in line]
    assert paid and paid[0].endswith("|CG101|app.vendor.paid_api is banned in app.workers")


def test_never_flagged_files_pass_flake8(tmp_path: Path) -> None:
    clean = [name for name in example_names() if not expected_findings(EXAMPLES / name)]
    assert "never_flagged.py" in clean and "outside_within.py" in clean
    placed = build_tree(tmp_path, clean)
    result = run_flake8(tmp_path, "--select", "CG", *[str(p.relative_to(tmp_path)) for p in placed.values()])
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("example", example_names())
def test_ast_fallback_agrees_with_libcst(example: str, tmp_path: Path) -> None:
    """Where libcst cannot parse a statement the ast reader is used: same findings, same places."""
    placed = build_tree(tmp_path, [example])
    path = placed[example]
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    CostguardChecker.config_policy = None
    checker = CostguardChecker(ast.parse(source), str(path), lines)
    exact = checker.findings(use_libcst=True)
    fallback = checker.findings(use_libcst=False)
    assert fallback == exact
    assert [(line, col + 1) for line, col, _ in exact] == [(line, col) for line, col, _ in expected_findings(EXAMPLES / example)]
