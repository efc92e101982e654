"""Module names as Python gives them, through regular and namespace (PEP 420) packages.

One tree holds every layout the lint meets on real projects: a top-level namespace package, a
namespace folder inside a regular package, a ``src/`` layout, a nested sub-project with its own
``pyproject.toml`` (no ``[tool.costguard]``), and a folder whose name is not an identifier. The
test shows that Python imports each file under the name ``module_name_for_path`` gives it, that
flake8 flags the banned import in each, and that the runtime guard refuses it in each, imported
by name or run by path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runtime_guard.policy import clear_caches, find_policy_file, load_policy_for, module_name_for_path

BANNED = "corp.storage.raw"

POLICY = f"""\
[[tool.costguard.ban]]
module = "{BANNED}"
within = ["corp.jobs", "app.ns", "srcpkg", "subpkg", "core"]
reason = "each call is a billed GET"

[tool.costguard.runtime]
mode = "raise"
"""

# file (relative to the tree) -> the name Python imports it under
LAYOUT = {
    "corp/jobs/nightly.py": "corp.jobs.nightly",  # top-level namespace package, namespace inside
    "app/ns/inner.py": "app.ns.inner",  # a namespace folder inside a regular package
    "src/srcpkg/mod.py": "srcpkg.mod",  # src/ layout
    "sub/subpkg/worker.py": "subpkg.worker",  # nested sub-project: its own pyproject, no policy
    "project-core/core/thing.py": "core.thing",  # a folder that is not an identifier ends the walk
}
SYS_PATH = ["", "src", "sub", "project-core"]  # where Python finds them (relative to the tree)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("namespaces")
    (root / "pyproject.toml").write_text(POLICY, encoding="utf-8")
    for folder in ("corp/storage", "app", "src/srcpkg"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("", encoding="utf-8")
    (root / "corp/storage/raw.py").write_text("VALUE = 1\n", encoding="utf-8")
    for relative in LAYOUT:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"import {BANNED}\n", encoding="utf-8")
    (root / "sub/pyproject.toml").write_text("[project]\nname = 'sub'\n", encoding="utf-8")
    clear_caches()
    return root


def python_path(root: Path) -> str:
    return os.pathsep.join(str(root / entry) if entry else str(root) for entry in SYS_PATH)


def test_lint_names_every_file_as_python_does(tree: Path) -> None:
    names = {relative: module_name_for_path(tree / relative) for relative in LAYOUT}
    assert names == LAYOUT
    assert module_name_for_path(tree / "corp/storage/raw.py") == BANNED
    assert module_name_for_path(tree / "corp/storage/__init__.py") == "corp.storage"
    probe = "import importlib, sys\nfor name in sys.argv[1:]:\n    print(name, importlib.import_module(name).__file__)\n"
    result = subprocess.run(
        [sys.executable, "-c", probe, *LAYOUT.values()],
        cwd=tree, env={**os.environ, "PYTHONPATH": python_path(tree)}, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    imported = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert {name: Path(file) for name, file in imported.items()} == {name: tree / rel for rel, name in LAYOUT.items()}


def test_nested_sub_project_without_a_policy_is_passed_over(tree: Path) -> None:
    assert find_policy_file(tree / "sub/subpkg") == tree / "pyproject.toml"
    assert load_policy_for(tree / "sub/subpkg").bans[0].module == BANNED  # type: ignore[union-attr]


def test_flake8_flags_the_banned_import_in_every_layout(tree: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "CG", "--format", "%(path)s:%(row)d:%(code)s", "."],
        cwd=tree, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    assert sorted(result.stdout.splitlines()) == sorted(f"./{relative}:1:CG101" for relative in LAYOUT)


@pytest.mark.parametrize("relative", sorted(LAYOUT))
def test_the_guard_refuses_it_by_name_and_by_path(tree: Path, relative: str) -> None:
    env = {**os.environ, "PYTHONPATH": python_path(tree)}
    env.pop("COSTGUARD_RUNTIME", None)
    for target in (["-m", LAYOUT[relative]], [str(tree / relative)]):
        result = subprocess.run(
            [sys.executable, "-m", "runtime_guard", *target],
            cwd=tree, env=env, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 1, (target, result.stdout, result.stderr)
        assert f"{BANNED} is banned in" in result.stderr, (target, result.stderr)
        assert f"imported by {LAYOUT[relative]}" in result.stderr, (target, result.stderr)


def test_roots_override_the_markers(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.costguard]\nroots = ["lib"]\n', encoding="utf-8")
    (tmp_path / "lib/pkg").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    clear_caches()
    assert module_name_for_path(tmp_path / "lib/pkg/mod.py") == "pkg.mod"
    assert module_name_for_path(tmp_path / "other/mod.py") == "other.mod"  # outside every root: markers
    assert module_name_for_path(tmp_path / "lib/pkg/mod.py", roots=()) == "lib.pkg.mod"


def test_no_marker_falls_back_to_the_init_files(tmp_path: Path) -> None:
    if any((parent / marker).exists() for parent in tmp_path.parents for marker in ("pyproject.toml", "setup.cfg")):
        pytest.skip("a pyproject.toml or setup.cfg above the temporary folder")
    (tmp_path / "pkg/sub").mkdir(parents=True)
    (tmp_path / "pkg/__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "pkg/sub/__init__.py").write_text("", encoding="utf-8")
    clear_caches()
    assert module_name_for_path(tmp_path / "pkg/sub/mod.py") == "pkg.sub.mod"
    assert module_name_for_path(tmp_path / "loose.py") == "loose"
