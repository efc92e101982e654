"""Every rule has a page, and each page's examples are flagged exactly as the page says
(Fixit style: the documentation's code is a test)."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from flake8_costguard.checker import CostguardChecker
from flake8_costguard.rules import RULES

from .example_tree import EXAMPLES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"
_BLOCK = re.compile(r"^## (Example|Use instead)\n```python\n(.*?)^```", re.S | re.M)
_EXPECT = re.compile(r"#\s*expect:\s*((?:CG\d{3}:\d+\s*)+)")
SECTIONS = ("## What it does", "## Why it costs money", "## Example", "## Use instead", "## Options", "## Limits")


def findings_for(tmp_path: Path, code: str) -> list[tuple[int, int, str]]:
    relative = re.match(r"#\s*path:\s*(\S+)", code)
    assert relative, "each example block starts with '# path: <where it lives>'"
    shutil.copy(EXAMPLES / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / relative.group(1)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(code, encoding="utf-8")
    directory = target.parent
    while directory != tmp_path:
        (directory / "__init__.py").touch()
        directory = directory.parent
    CostguardChecker.config_policy = None
    checker = CostguardChecker(ast.parse(code), str(target), code.splitlines(keepends=True))
    return [(line, col + 1, message.split()[0]) for line, col, message in checker.findings()]


def expected(code: str) -> list[tuple[int, int, str]]:
    out = []
    for number, line in enumerate(code.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            out.extend((number, int(item.split(":")[1]), item.split(":")[0]) for item in match.group(1).split())
    return sorted(out)


@pytest.mark.parametrize("code", sorted(c for c in RULES if c != "CG100"))
def test_rule_page_has_every_section_and_its_examples_hold(code: str, tmp_path: Path) -> None:
    page = (DOCS / f"{code}.md").read_text(encoding="utf-8")
    assert page.startswith(f"# {code}: ")
    assert [s for s in SECTIONS if s in page] == list(SECTIONS)
    blocks = _BLOCK.findall(page)
    assert {kind for kind, _ in blocks} == {"Example", "Use instead"}
    for index, (kind, block) in enumerate(blocks):
        root = tmp_path / str(index)
        root.mkdir()
        found = sorted(findings_for(root, block))
        if kind == "Example":
            assert found == expected(block) and found, block
            assert {c for _, _, c in found} == {code}
        else:
            assert found == [], block


def test_index_lists_every_code() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for code in RULES:
        assert code in index
