"""The pytest plugin, run the way users run it: ``python -m pytest`` in a project with a policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runtime.conftest import run_python
from tests.runtime.guard_project import build_project

TESTS = """
def test_allowed():
    import acme.scripts.load  # loads the banned module through an allowed importer


def test_guarded_cached():
    import acme.scripts.load
    import acme.jobs.form_import  # a guarded module, served from sys.modules
"""

MESSAGE = (
    "ForbiddenImportError: acme.svc.store.raw is banned in acme.jobs (imported by acme.jobs.form_import; "
    "import chain: "
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = build_project(tmp_path_factory.mktemp("plugin") / "project")
    with open(root / "pyproject.toml", "a", encoding="utf-8") as handle:
        handle.write('\n[tool.pytest.ini_options]\npythonpath = ["."]\n')
    (root / "checks").mkdir()
    (root / "checks" / "test_acme_uses.py").write_text(TESTS, encoding="utf-8")
    return root


def pytest_run(root: Path, *args: str, **env: str) -> tuple[int, str]:
    done = run_python(["-m", "pytest", "-p", "no:cacheprovider", "checks", *args], root, **env)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("import_mode", ["prepend", "importlib"])
def test_plugin_fails_the_test_with_the_guards_message(project: Path, import_mode: str) -> None:
    code, output = pytest_run(project, f"--import-mode={import_mode}", "-rf")
    assert code == 1, output
    assert "1 failed, 1 passed" in output
    assert MESSAGE in output
    assert "FAILED checks/test_acme_uses.py::test_guarded_cached" in output
    assert "costguard: runtime guard raise (policy " in output  # the report header


@pytest.mark.parametrize("switch", [("-p", "no:costguard"), ("--costguard=off",), ("-o", "costguard=off")])
def test_plugin_turned_off(project: Path, switch: tuple[str, ...]) -> None:
    code, output = pytest_run(project, *switch)
    assert code == 0, output
    assert "2 passed" in output


@pytest.mark.parametrize(("flag", "outcome"), [(None, "1 failed, 1 passed"), ("--costguard=warn", "2 passed"), ("--costguard=off", "2 passed")])
def test_plugin_flag_beats_the_start_up_guard(project: Path, flag: str | None, outcome: str) -> None:
    """COSTGUARD_RUNTIME=raise guards pytest from start-up; the command-line flag still wins."""
    code, output = pytest_run(project, *([flag] if flag else []), COSTGUARD_RUNTIME="raise")
    assert outcome in output, output
    assert code == (1 if flag is None else 0), output
    assert "PytestAssertRewriteWarning" not in output


def test_plugin_warn_mode(project: Path) -> None:
    code, output = pytest_run(project, "--costguard=warn", "-W", "always::runtime_guard.errors.CostguardWarning")
    assert code == 0, output
    assert "2 passed, 1 warning" in output
    assert "CostguardWarning: acme.svc.store.raw is banned in acme.jobs" in output


def test_plugin_reports_a_bad_policy_once(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[[tool.costguard.ban]]\nmodule = "x.y"\nwithin = "x"\n', encoding="utf-8")
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "test_nothing.py").write_text("def test_nothing():\n    pass\n", encoding="utf-8")
    code, output = pytest_run(tmp_path)
    assert code == 4, output
    assert f"ERROR: costguard: {tmp_path / 'pyproject.toml'}: tool.costguard.ban[0].within: expected a list of module names, got str 'x'" in output
    assert "Traceback" not in output


LIFETIME_TESTS = """
import pytest
import runtime_guard


def test_1_a_test_installs_and_uninstalls_its_own_guard():
    guard = runtime_guard.install(mode="raise", inherit=False)
    guard.uninstall()


@pytest.mark.costguard(mode="off")
def test_2_marked_off():
    import acme.scripts.load
    import acme.jobs.form_import  # allowed for this test only


def test_3_guarded_cached():
    import acme.scripts.load
    import acme.jobs.form_from_pkg


def test_4_guarded_call():
    import acme.jobs.calls_read
    acme.jobs.calls_read.use()  # protect()'s call-time check consults the active guard


@pytest.mark.costguard("warn")
def test_5_marked_warn():
    import acme.jobs.calls_read
    with pytest.warns(runtime_guard.CostguardWarning):
        acme.jobs.calls_read.use()
"""


@pytest.mark.parametrize("env", [{}, {"COSTGUARD_RUNTIME": "raise"}], ids=["plugin", "environment"])
def test_session_guard_stays_on_and_the_marker_gives_one_test_its_mode(project: Path, env: dict[str, str]) -> None:
    (project / "checks" / "test_lifetime.py").write_text(LIFETIME_TESTS, encoding="utf-8")
    try:
        done = run_python(["-m", "pytest", "-p", "no:cacheprovider", "-rA", "checks/test_lifetime.py"], project, **env)
    finally:
        (project / "checks" / "test_lifetime.py").unlink()
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "2 failed, 3 passed" in output, output
    for test in ("test_1_a_test_installs_and_uninstalls_its_own_guard", "test_2_marked_off", "test_5_marked_warn"):
        assert f"PASSED checks/test_lifetime.py::{test}" in output
    assert "FAILED checks/test_lifetime.py::test_3_guarded_cached - " in output
    assert "FAILED checks/test_lifetime.py::test_4_guarded_call - " in output
    for importer in ("acme.jobs.form_from_pkg", "acme.jobs.calls_read"):
        assert f"runtime_guard.errors.ForbiddenImportError: acme.svc.store.raw is banned in acme.jobs (imported by {importer};" in output


def test_a_refusal_shows_the_users_import_and_the_message_first(project: Path) -> None:
    code, output = pytest_run(project, "-k", "test_guarded_cached")
    assert code == 1, output
    failure = output.split("_ test_guarded_cached _", 1)[1].split("short test summary", 1)[0]
    assert "runtime_guard/" not in failure  # none of the guard's own frames or source
    lines = [line for line in failure.splitlines() if line.strip(" ^") and not line.startswith(("_", "="))]
    assert lines[:4] == [
        "    def test_guarded_cached():",
        "        import acme.scripts.load",
        ">       import acme.jobs.form_import  # a guarded module, served from sys.modules",
        "checks/test_acme_uses.py:8: ",
    ]
    assert lines[4] == ">   import acme.svc.store.raw"
    assert lines[5].startswith("E   runtime_guard.errors.ForbiddenImportError: acme.svc.store.raw is banned in acme.jobs")
    assert len(lines) <= 8, failure
