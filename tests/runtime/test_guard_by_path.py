"""Item 4: the unprotected banned package's files executed by path from guarded code are refused
by the exec audit hook, under install() and under COSTGUARD_RUNTIME=raise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.runtime.conftest import run_scenarios
from tests.runtime.guard_project import BARE, BARE_REASON, USE_INSTEAD
from tests.runtime.guard_scenarios import BARE_BY_PATH, BARE_FORMS

BY_NAME = [f"bare_first:{form}" for form in BARE_FORMS] + [f"bare_cached:{form}" for form in BARE_FORMS]
BY_PATH = [f"bare_path:{form}" for form in BARE_BY_PATH] + ["bare_path:zip_on_sys_path"]
ALL = BY_NAME + BY_PATH + ["never:bare_by_path_from_scripts"]


@pytest.fixture(scope="module", params=["install", "environment"])
def results(request: pytest.FixtureRequest, acme_root: Path) -> dict[str, Any]:
    if request.param == "install":
        return run_scenarios(acme_root, "hook", ALL)
    return run_scenarios(acme_root, "none", ALL, COSTGUARD_RUNTIME="raise")


def expected_module(name: str) -> str:
    form = name.split(":", 1)[1]
    return {"submodule_by_path": f"{BARE}.sub", "run_path_folder": f"{BARE}.__main__"}.get(form, BARE)


def expected_importer(name: str) -> str:
    kind, form = name.split(":", 1)
    if kind == "bare_path":
        return "acme.jobs.bare_import" if form == "zip_on_sys_path" else f"acme.jobs.bare_path_{form}"
    return f"acme.jobs.{form}"


@pytest.mark.parametrize("name", BY_NAME + BY_PATH)
def test_refused(results: dict[str, Any], name: str) -> None:
    result = results[name]
    assert result["outcome"] == "forbidden", result
    assert (result["importer"], result["module"]) == (expected_importer(name), expected_module(name))
    assert result["chain"][-2:] == [expected_importer(name), expected_module(name)]
    assert result["message"].endswith(f": {BARE_REASON}; use {USE_INSTEAD}")


def test_allowed_importer_may_run_it_by_path(results: dict[str, Any]) -> None:
    assert results["never:bare_by_path_from_scripts"] == {
        "name": "never:bare_by_path_from_scripts", "outcome": "ok", "value": "bare"
    }
