"""Fixtures for the runtime guard's tests: a throwaway ``acme`` project and fresh interpreters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.runtime.guard_project import build_project

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "guard_scenarios.py"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any costguard switch, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COSTGUARD_") and k != "PYTHONPATH"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def add_runtime_dependencies(site_packages: Path) -> None:
    """What the guard needs beside the standard library in a bare virtualenv: nothing on 3.11+,
    tomli (copied from this interpreter's environment) on 3.10, where a real install gets it
    from the distribution's dependencies."""
    if sys.version_info < (3, 11):
        import shutil

        import tomli

        source = Path(tomli.__file__).resolve().parent
        shutil.copytree(source, site_packages / source.name, dirs_exist_ok=True)


def run_python(args: list[str], cwd: Path, timeout: float = 120, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=clean_env(**extra), capture_output=True, text=True, timeout=timeout
    )


def run_scenarios(root: Path, setup: str, names: list[str], cwd: Path | None = None, **extra: str) -> dict[str, Any]:
    """Run driver scenarios in one fresh interpreter; results by name."""
    done = run_python([str(DRIVER), setup, *names], cwd or root, ACME_ROOT=str(root), **extra)
    results = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            item = json.loads(line)
            results[item["name"]] = item
    missing = [n for n in names if n not in results]
    assert not missing, f"driver did not report {missing}: rc={done.returncode}\n{done.stderr[-3000:]}"
    return results


@pytest.fixture(scope="module")
def acme_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_project(tmp_path_factory.mktemp("acme") / "project")


@pytest.fixture(scope="module")
def scenarios(acme_root: Path) -> Callable[..., dict[str, Any]]:
    return lambda setup, names, **kw: run_scenarios(acme_root, setup, names, **kw)
