"""Every way a guarded module can reach the banned one, through real interpreters (issue item 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.runtime.conftest import run_scenarios
from tests.runtime.guard_project import BANNED, REASON, USE_INSTEAD, build_project
from tests.runtime.guard_scenarios import FORMS

FIRST = [f"first:{form}" for form in FORMS] + ["first:relative_pkg", "first:relative_mod"]
CACHED = [f"cached:{form}" for form in FORMS] + ["cached:reload", "cached:relative_pkg", "cached:relative_mod"]
BY_PATH = ["path:spec_from_file_location", "path:run_path", "path:run_path_main", "path:run_module_main", "path:zip"]
NEVER = [
    "never:scripts",
    "never:clean",
    "never:prefix",
    "never:through_script",
    "never:cloud_from_scripts",
    "never:own_calls",
]
OTHER = ["helper_chain", "allowed_imports_guarded_helper", "transitive", "call_from_guarded", "repeat", "thread", "pickle"]
PROCESSES = ["mp_fork", "mp_spawn", "subprocess"]


def importer_of(name: str) -> str:
    form = name.split(":", 1)[1]
    if form.startswith("relative_"):
        return "acme.svc.store.rel_" + form.split("_", 1)[1]
    return f"acme.jobs.form_{form}"


@pytest.fixture(scope="module")
def hooked(acme_root: Path) -> dict[str, Any]:
    """One interpreter with runtime_guard.install(): every scenario, each from a clean sys.modules."""
    return run_scenarios(acme_root, "hook", FIRST + CACHED + BY_PATH + NEVER + OTHER + PROCESSES)


@pytest.fixture(scope="module")
def protect_only(acme_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """No hook at all, run from an unrelated working directory: only protect() inside the module."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    return run_scenarios(acme_root, "protect", BY_PATH + ["first:import", "cached:import", "call_from_guarded", "never:own_calls"], cwd=elsewhere)


def assert_forbidden(result: dict[str, Any], importer: str, module: str = BANNED) -> None:
    assert result["outcome"] == "forbidden", result
    assert result["importer"] == importer
    assert result["module"] == module
    assert result["chain"][-2:] == [importer, module]
    assert f"(imported by {importer}; import chain: " in result["message"]
    if module.startswith(BANNED):
        assert result["message"].endswith(f": {REASON}; use {USE_INSTEAD}")


@pytest.mark.parametrize("name", FIRST)
def test_first_load_forms_raise(hooked: dict[str, Any], name: str) -> None:
    module = BANNED + ".fast" if name.endswith("submodule") else BANNED
    assert_forbidden(hooked[name], importer_of(name), module)


@pytest.mark.parametrize("name", CACHED)
def test_cache_hits_raise(hooked: dict[str, Any], name: str) -> None:
    module = BANNED + ".fast" if name.endswith("submodule") else BANNED
    assert_forbidden(hooked[name], importer_of(name), module)


@pytest.mark.parametrize("name", BY_PATH)
def test_loads_by_path_raise_with_hook(hooked: dict[str, Any], name: str) -> None:
    form = name.split(":", 1)[1]
    assert_forbidden(hooked[name], "acme.jobs.form_import" if form == "zip" else f"acme.jobs.form_{form}")


@pytest.mark.parametrize("name", BY_PATH)
def test_protect_alone_catches_loads_by_path(protect_only: dict[str, Any], name: str) -> None:
    form = name.split(":", 1)[1]
    assert_forbidden(protect_only[name], "acme.jobs.form_import" if form == "zip" else f"acme.jobs.form_{form}")


def test_protect_alone_checks_first_execution_and_every_call(protect_only: dict[str, Any]) -> None:
    assert_forbidden(protect_only["first:import"], "acme.jobs.form_import")
    assert_forbidden(protect_only["call_from_guarded"], "acme.jobs.calls_read")
    # Without the hook a later import served from sys.modules is not seen; the call check is.
    assert protect_only["cached:import"]["outcome"] == "ok"
    assert protect_only["never:own_calls"] == {
        "name": "never:own_calls",
        "outcome": "ok",
        "value": [["object:a", "object:b"], "object:z"],
    }


def test_guarded_helper_is_the_importer(hooked: dict[str, Any]) -> None:
    result = hooked["helper_chain"]
    assert_forbidden(result, "acme.svc.common.h")
    assert result["chain"][-3:] == ["acme.jobs.x", "acme.svc.common.h", BANNED]
    allowed = hooked["allowed_imports_guarded_helper"]
    assert_forbidden(allowed, "acme.svc.common.h")
    assert allowed["chain"][-3:] == ["acme.scripts.uses_helper", "acme.svc.common.h", BANNED]


def test_transitive_ban_forbids_chains_through_allowed_modules(hooked: dict[str, Any]) -> None:
    result = hooked["transitive"]
    assert result["outcome"] == "forbidden"
    assert result["importer"] == "acme.jobs.through_script_cloud"
    assert result["chain"][-3:] == ["acme.jobs.through_script_cloud", "acme.scripts.load_cloud", "acme.svc.cloud"]


@pytest.mark.parametrize("name", NEVER)
def test_never_raised(hooked: dict[str, Any], name: str) -> None:
    assert hooked[name]["outcome"] == "ok", hooked[name]


def test_calls_and_repeats(hooked: dict[str, Any]) -> None:
    assert_forbidden(hooked["call_from_guarded"], "acme.jobs.calls_read")
    assert hooked["repeat"]["value"] == 3  # a cached import inside a function, three times


def test_threads_and_pickling(hooked: dict[str, Any]) -> None:
    assert_forbidden(hooked["thread"], "acme.jobs.form_import")
    assert hooked["pickle"]["value"] == {"same": True}


@pytest.mark.parametrize("name", ["mp_fork", "mp_spawn"])
def test_multiprocessing_children_are_guarded(hooked: dict[str, Any], name: str) -> None:
    # The child's error crossed the process boundary pickled, attributes intact.
    assert_forbidden(hooked[name], "acme.jobs.form_import")


def test_subprocess_children_are_guarded(hooked: dict[str, Any]) -> None:
    value = hooked["subprocess"]["value"]
    assert value["returncode"] == 1
    assert value["last"].startswith("runtime_guard.errors.ForbiddenImportError: acme.svc.store.raw is banned in acme.jobs")


@pytest.fixture(scope="module")
def quiet_modes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out = {}
    for mode, name in (("warn", "warn_twice"), ("log", "log_twice")):
        root = build_project(tmp_path_factory.mktemp(mode) / "project", mode=mode)
        out[mode] = run_scenarios(root, "hook", [name])[name]
    return out


def test_warn_mode_warns_once_per_importer_and_module(quiet_modes: dict[str, dict[str, Any]]) -> None:
    result = quiet_modes["warn"]
    assert result["outcome"] == "ok"
    warned = result["value"]
    assert [category for category, _ in warned] == ["CostguardWarning"] * 3
    importers = [message.split("(imported by ", 1)[1].split(";", 1)[0] for _, message in warned]
    assert importers == ["acme.jobs.form_import", "acme.jobs.form_from_pkg", "acme.jobs.lazy_use"]


def test_log_mode_logs_once(quiet_modes: dict[str, dict[str, Any]]) -> None:
    result = quiet_modes["log"]
    assert result["outcome"] == "ok"
    assert [level for level, _ in result["value"]] == ["WARNING", "WARNING"]
    assert "imported by acme.jobs.form_import;" in result["value"][0][1]
    assert "imported by acme.jobs.form_from_pkg;" in result["value"][1][1]
