"""Item 2: the guard's decision holds with other import hooks ahead of it (typeguard's
install_import_hook, pytest's assertion rewriter) and after meta-path reordering, under install()
and under COSTGUARD_RUNTIME=raise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.runtime.conftest import run_python, run_scenarios
from tests.runtime.guard_project import BANNED, BARE

NAMES = [
    "first:import", "cached:import", "first:from_pkg", "cached:from_pkg", "first:import_module",
    "cached:import_module", "first:lazy_loader", "cached:star",
    "bare_first:bare_import", "bare_cached:bare_import", "bare_first:bare_from", "bare_cached:bare_from",
    "bare_first:bare_find_spec", "bare_cached:bare_import_module", "bare_path:spec_from_file_location",
]
EXPECTED = {
    name: (
        f"acme.jobs.{name.split(':', 1)[1]}" if name.startswith("bare_first") or name.startswith("bare_cached")
        else "acme.jobs.bare_path_spec_from_file_location" if name.startswith("bare_path")
        else f"acme.jobs.form_{name.split(':', 1)[1]}",
        BARE if name.startswith("bare") else BANNED,
    )
    for name in NAMES
}
SETUPS = {
    "install+typeguard": ("hook+typeguard", {}),
    "install+reorder": ("hook+reorder", {}),
    "environment+typeguard": ("none+typeguard", {"COSTGUARD_RUNTIME": "raise"}),
    "environment+reorder": ("none+reorder", {"COSTGUARD_RUNTIME": "raise"}),
}


@pytest.fixture(scope="module", params=sorted(SETUPS))
def results(request: pytest.FixtureRequest, acme_root: Path) -> dict[str, Any]:
    setup, env = SETUPS[request.param]
    return run_scenarios(acme_root, setup, NAMES + ["never:scripts", "never:clean", "never:own_calls"], **env)


@pytest.mark.parametrize("name", NAMES)
def test_refused_with_another_hook_first(results: dict[str, Any], name: str) -> None:
    result = results[name]
    assert result["outcome"] == "forbidden", result
    assert (result["importer"], result["module"]) == EXPECTED[name]


def test_allowed_imports_still_work(results: dict[str, Any]) -> None:
    assert [results[n]["outcome"] for n in ("never:scripts", "never:clean", "never:own_calls")] == ["ok"] * 3


CONFTEST = """
import os
import sys
import pytest

pytest.register_assert_rewrite("acme")  # pytest's rewriter serves every acme module


def pytest_sessionstart(session):
    if os.environ.get("ACME_REORDER"):  # after the plugin's install(): move the guard's finder last
        from runtime_guard.hook import GuardFinder
        for finder in [f for f in sys.meta_path if isinstance(f, GuardFinder)]:
            sys.meta_path.remove(finder)
            sys.meta_path.append(finder)
"""

TESTS = """
import sys


def test_rewriter_is_ahead_of_the_guard():
    from _pytest.assertion.rewrite import AssertionRewritingHook
    from runtime_guard.hook import GuardFinder
    kinds = [type(f) for f in sys.meta_path]
    assert AssertionRewritingHook in kinds and GuardFinder in kinds
    assert kinds.index(AssertionRewritingHook) < kinds.index(GuardFinder)


def test_first_load():
    import acme.jobs.bare_import


def test_cache_hit():
    import acme.scripts.load_bare
    import acme.jobs.bare_from


def test_find_spec_load():
    import acme.jobs.bare_find_spec


def test_allowed():
    import acme.scripts.load_bare
    assert sys.modules["acme.svc.bare"].__loader__.__class__.__name__ == "AssertionRewritingHook"
"""


@pytest.fixture(scope="module")
def rewriter_project(acme_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    checks = tmp_path_factory.mktemp("rewriter") / "checks"
    checks.mkdir()
    (checks / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (checks / "test_hooks.py").write_text(TESTS, encoding="utf-8")
    return checks


@pytest.mark.parametrize(
    ("how", "args", "env"),
    [("environment", [], {"COSTGUARD_RUNTIME": "raise"}), ("plugin install(), finder moved last", [], {"ACME_REORDER": "1"})],
)
def test_pytest_assertion_rewriter_ahead(acme_root: Path, rewriter_project: Path, how: str, args: list[str], env: dict[str, str]) -> None:
    done = run_python(
        ["-m", "pytest", "-p", "no:cacheprovider", "-q", "-rf", f"--rootdir={acme_root}", str(rewriter_project / "test_hooks.py"), *args],
        acme_root, PYTHONPATH=str(acme_root), **env,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "3 failed, 2 passed" in output, output
    for importer in ("acme.jobs.bare_import", "acme.jobs.bare_from", "acme.jobs.bare_find_spec"):
        assert f"runtime_guard.errors.ForbiddenImportError: {BARE} is banned in acme.jobs (imported by {importer};" in output, output
    assert "runtime_guard/hook.py" not in output  # the guard's frames are hidden
