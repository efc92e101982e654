"""CG104 (flake8_costguard.graph through ``costguard check``): chains for ``transitive = true``
bans, checked against import-linter's forbidden contract (and its graph library, grimp) on the
same tree, plus the forms import-linter cannot see."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

COSTGUARD = str(Path(sys.executable).with_name("costguard"))
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))

POLICY = """\
[[tool.costguard.ban]]
module = "a.storage.raw_s3"
within = ["a.jobs"]
reason = "each call is a billed S3 GET"
use_instead = "a.storage.index"
transitive = true

[[tool.costguard.ban]]
module = "boto3"
within = ["a.jobs"]
transitive = true

[tool.importlinter]
root_package = "a"
include_external_packages = true

[[tool.importlinter.contracts]]
name = "jobs never reach raw_s3"
type = "forbidden"
source_modules = ["a.jobs"]
forbidden_modules = ["a.storage.raw_s3"]

[[tool.importlinter.contracts]]
name = "jobs never reach boto3"
type = "forbidden"
source_modules = ["a.jobs"]
forbidden_modules = ["boto3"]
"""

TREE = {
    "a/storage/raw_s3.py": "import boto3\n",
    "a/storage/backfill.py": "from a.storage import raw_s3\n",
    "a/storage/helper.py": "from . import backfill\n",
    "a/storage/index.py": "import json\n",
    "a/jobs/x.py": "import os\nfrom a.storage import backfill\n",  # absolute, 2 hops
    "a/jobs/deep.py": "def run():\n    from ..storage import helper\n",  # relative, in a function, 3 hops
    "a/jobs/typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a.storage.helper\n",
    "a/jobs/direct.py": "import a.storage.raw_s3\n",  # CG101, not CG104
    "a/jobs/via_job.py": "from a.jobs import x\n",  # through another guarded module
    "a/jobs/clean.py": "from a.storage import index\n",
    "a/jobs/dynamic.py": 'import importlib\nreader = importlib.import_module("a.storage.backfill")\n',  # import-linter cannot see it
    "a/jobs/allowed_star.py": "from a.storage.index import *\n",
}
DYNAMIC_ONLY = {"a.jobs.dynamic"}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("graph")
    (root / "pyproject.toml").write_text(POLICY, encoding="utf-8")
    (root / "boto3.py").write_text("", encoding="utf-8")  # an "external" package for grimp to see
    for relative, text in TREE.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for package in ("a", "a/storage", "a/jobs"):
        (root / package / "__init__.py").touch()
    return root


def costguard(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COSTGUARD, "check", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def findings(output: str) -> list[tuple[str, str, list[str]]]:
    """(module, code, chain) per finding line (chain is [] without one)."""
    out = []
    for line in output.splitlines():
        path, _, _, rest = line.split(":", 3)
        code = rest.split()[0]
        chain = re.search(r"import chain: ([^)]*)\)", rest)
        module = path[:-3].replace("/", ".")
        out.append((module, code, chain.group(1).split(" -> ") if chain else []))
    return out


@pytest.fixture(scope="module")
def reported(tree: Path) -> list[tuple[str, str, list[str]]]:
    result = costguard(tree, "a")
    assert result.returncode == 1 and result.stderr == "", result.stdout + result.stderr
    return findings(result.stdout)


@pytest.mark.parametrize("banned", ["a.storage.raw_s3", "boto3"])
def test_the_same_modules_break_the_ban_as_for_import_linter(tree: Path, reported: list, banned: str) -> None:
    sys.path.insert(0, str(tree))
    try:
        graph = grimp.build_graph("a", include_external_packages=True, cache_dir=None)
    finally:
        sys.path.remove(str(tree))
    guarded = sorted(m for m in graph.modules if m.startswith("a.jobs."))
    theirs = {m: graph.find_shortest_chain(importer=m, imported=banned) for m in guarded}
    theirs = {m: list(chain) for m, chain in theirs.items() if chain}
    ours: dict[str, list[str]] = {}
    for module, code, chain in reported:
        if code == "CG101" and banned in ("a.storage.raw_s3",) and module == "a.jobs.direct":
            ours[module] = [module, banned]
        elif code == "CG104" and chain[-1] == banned and (module not in ours or len(chain) < len(ours[module])):
            ours[module] = chain
    if banned == "boto3":  # direct.py reaches boto3 through raw_s3: a chain, so CG104 there
        assert "a.jobs.direct" in ours
    assert set(ours) - DYNAMIC_ONLY == set(theirs)
    assert DYNAMIC_ONLY <= set(ours)
    for module, chain in theirs.items():
        assert len(ours[module]) == len(chain), (module, ours[module], chain)


def test_lint_imports_breaks_both_contracts_that_costguard_reports(tree: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(tree))
    result = subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=tree, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Contracts: 0 kept, 2 broken." in result.stdout
    assert "a.jobs.x -> a.storage.backfill (l.2)" in result.stdout


def test_chains_are_shortest_and_one_per_statement(reported: list) -> None:
    chains = {(module, tuple(chain)) for module, code, chain in reported if code == "CG104"}
    assert ("a.jobs.x", ("a.jobs.x", "a.storage.backfill", "a.storage.raw_s3")) in chains
    assert ("a.jobs.deep", ("a.jobs.deep", "a.storage.helper", "a.storage.backfill", "a.storage.raw_s3")) in chains
    assert ("a.jobs.via_job", ("a.jobs.via_job", "a.jobs.x", "a.storage.backfill", "a.storage.raw_s3")) in chains
    per_module = [(module, chain[-1]) for module, code, chain in reported if code == "CG104"]
    assert len(per_module) == len(set(per_module))  # each of these files has one import per ban
    assert not [m for m, _, _ in reported if m in ("a.jobs.clean", "a.jobs.allowed_star")]


def test_message_position_and_noqa(tree: Path) -> None:
    result = costguard(tree, "a/jobs/x.py")
    assert result.stdout.splitlines()[0] == (
        "a/jobs/x.py:2:23: CG104 a.storage.raw_s3 is banned in a.jobs (import chain: "
        "a.jobs.x -> a.storage.backfill -> a.storage.raw_s3): each call is a billed S3 GET; use a.storage.index"
    )
    target = tree / "a" / "jobs" / "x.py"
    original = target.read_text(encoding="utf-8")
    try:
        target.write_text(original.replace("backfill\n", "backfill  # noqa: CG104\n"), encoding="utf-8")
        assert costguard(tree, "a/jobs/x.py").stdout == ""
    finally:
        target.write_text(original, encoding="utf-8")


def test_the_graph_covers_the_project_when_one_file_is_given(tree: Path) -> None:
    """pre-commit passes only the changed files: the chain still goes through the others."""
    result = costguard(tree, "a/jobs/deep.py")
    assert result.returncode == 1
    assert "a.jobs.deep -> a.storage.helper -> a.storage.backfill -> a.storage.raw_s3" in result.stdout
    assert {line.split(":")[0] for line in result.stdout.splitlines()} == {"a/jobs/deep.py"}


def test_no_transitive_ban_no_cg104(tree: Path, tmp_path: Path) -> None:
    config = tmp_path / "costguard.toml"
    config.write_text(POLICY.split("[tool.importlinter]")[0].replace("transitive = true", "transitive = false"), encoding="utf-8")
    result = costguard(tree, "--config", str(config), "a")
    assert "CG104" not in result.stdout and "a/jobs/direct.py:1:8: CG101" in result.stdout


PAGE = Path(__file__).resolve().parents[2] / "docs" / "rules" / "CG104.md"
_BLOCK = re.compile(r"^## (Example|Use instead)\n```python\n(.*?)^```", re.S | re.M)
PAGE_POLICY = '[[tool.costguard.ban]]\nmodule = "app.storage.raw_s3"\nwithin = ["app.jobs"]\ntransitive = true\n'


@pytest.mark.parametrize("kind", ["Example", "Use instead"])
def test_rule_page_examples_hold(kind: str, tmp_path: Path) -> None:
    page = PAGE.read_text(encoding="utf-8")
    for section in ("## What it does", "## Why it costs money", "## Example", "## Use instead", "## Options", "## Limits"):
        assert section in page
    block = dict(_BLOCK.findall(page))[kind]
    (tmp_path / "pyproject.toml").write_text(PAGE_POLICY, encoding="utf-8")
    expected = []
    for chunk in re.split(r"^(?=# path: )", block, flags=re.M):
        if not chunk.strip():
            continue
        relative = chunk.split("\n", 1)[0].removeprefix("# path: ").strip()
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(chunk, encoding="utf-8")
        for number, line in enumerate(chunk.splitlines(), start=1):
            for code, col in re.findall(r"expect: (CG\d{3}):(\d+)", line):
                expected.append(f"{relative}:{number}:{col}: {code}")
    for package in ("app", "app/jobs", "app/storage"):
        (tmp_path / package / "__init__.py").touch()
    result = costguard(tmp_path, "app")
    assert [" ".join(line.split()[:2]) for line in result.stdout.splitlines()] == expected
    assert result.returncode == (1 if expected else 0)
    assert bool(expected) == (kind == "Example")


def test_a_name_imported_from_the_banned_module_ends_the_chain_at_the_module(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(POLICY.split("[[tool.costguard.ban]]\nmodule = \"boto3\"")[0], encoding="utf-8")
    for package in ("a", "a/storage", "a/jobs"):
        (tmp_path / package).mkdir(parents=True, exist_ok=True)
        (tmp_path / package / "__init__.py").touch()
    (tmp_path / "a/storage/raw_s3.py").write_text("def get_object(key): ...\n", encoding="utf-8")
    (tmp_path / "a/storage/helper.py").write_text("from a.storage.raw_s3 import get_object\n", encoding="utf-8")
    (tmp_path / "a/jobs/x.py").write_text("from a.storage import helper\n", encoding="utf-8")
    result = costguard(tmp_path, "a")
    assert "(import chain: a.jobs.x -> a.storage.helper -> a.storage.raw_s3)" in result.stdout
    assert result.stdout.split(": CG104 ")[1].startswith("a.storage.raw_s3 is banned in a.jobs")


TRICKY = '''\
"""Docstring:
from a.storage import raw_s3
import a.storage.raw_s3
"""
import os, sys as system  # import nothing else
from a.storage \\
    import helper
from . import (
    x,  # import
    y as z,
)
s = "import a.storage.raw_s3"
if True: import json
def f():
    from ..storage.helper import thing; import a.b.c
    return """
    import a.fake
    """
from .. import *
'''


@pytest.mark.parametrize("text", [TRICKY, TRICKY.replace("if True: import json\n", ""), "import a\nimport_module('a.b')\n", "x = 1\n", "import é\n"])
def test_reading_statements_gives_what_parsing_the_file_gives(text: str) -> None:
    from flake8_costguard.graph import module_imports, read_imports

    lines = text.splitlines(keepends=True)
    whole = module_imports(ast.parse(text), lines, "a.jobs.m", False)
    fast = read_imports(lines, "a.jobs.m", False)
    assert sorted((i.candidates, i.line, i.col) for i in fast) == sorted((i.candidates, i.line, i.col) for i in whole)
