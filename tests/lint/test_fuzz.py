"""hypothesmith-generated programs never make the checker raise, whatever they contain."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from flake8_costguard.checker import CostguardChecker
from runtime_guard.policy import Ban, Policy

# Lines that put every generated program through the exact stage (imports, dynamic imports and
# attribute chains of the banned module), so the scope analysis walks the generated code.
PREFIX = (
    "import importlib\n"
    "from fuzz import banned\n"
    "import fuzz.banned.inner\n"
    "importlib.import_module('fuzz.banned')\n"
    "fuzz.banned.inner.get()\n"
)


@pytest.fixture(scope="module")
def module_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    package = tmp_path_factory.mktemp("fuzzroot") / "fuzz" / "svc"
    package.mkdir(parents=True)
    (package.parent / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    return package / "generated.py"


def identifiers(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
        elif isinstance(node, ast.alias):
            names.append(node.name.rpartition(".")[2])
    return names


def check(path: Path, source: str, leaf: str | None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            assume(False)
            return
    bans = [Ban("fuzz.banned", ("fuzz.svc",))]
    if leaf is not None:  # a ban on a name the generated program really uses
        bans.append(Ban(f"fuzz.{leaf}", ("fuzz.svc",)))
    CostguardChecker.config_policy = Policy(bans=tuple(bans))
    lines = source.splitlines(keepends=True)
    checker = CostguardChecker(tree, str(path), lines)
    for use_libcst in (True, False):
        checker.findings(use_libcst=use_libcst)  # raises if anything is wrong
    assert not [text for *_, text, _ in checker.run() if text.startswith("CG100")]


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(source=hypothesmith.from_grammar(), data=st.data())
def test_generated_programs_never_raise(module_path: Path, source: str, data: st.DataObject) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            names = [n for n in identifiers(ast.parse(source)) if n.isidentifier()]
        except (SyntaxError, ValueError):
            names = []
    leaf = data.draw(st.sampled_from(names)) if names else None
    check(module_path, source, leaf)
    check(module_path, PREFIX + source, leaf)
