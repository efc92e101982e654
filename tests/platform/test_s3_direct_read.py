"""s3_direct_read: the module the ban names reads objects for scripts and refuses guarded code.

The guard's verdicts are checked through real interpreters (cwd = the repository, so the
policy in pyproject.toml is found) with the import hook off: the module guards itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from secfilings.errors import NotFound, SecfilingsError
from secfilings.lake.objects import LocalObjectStore
from secfilings.services.api.athena.s3_direct_read import ObjectMissing, read_object

REPO = Path(__file__).resolve().parents[2]

# Runs code as if it were the body of a module of the given name, and reports what happened.
HARNESS = textwrap.dedent(
    """
    import json, sys, types
    from runtime_guard import hook

    def run_as(name, code, **values):
        module = types.ModuleType(name)
        module.__dict__.update(values)
        sys.modules[name] = module
        try:
            exec(compile(code, name.replace(".", "/") + ".py", "exec"), module.__dict__)
            return {"ok": module.__dict__.get("result")}
        except Exception as error:
            return {"error": type(error).__name__, "message": str(error)}

    lake = sys.argv[1]
    steps = json.loads(sys.argv[2])
    report = {"hook_active": hook.active_checker() is not None, "steps": []}
    for name, code in steps:
        report["steps"].append(run_as(name, code, lake=lake))
    print(json.dumps(report))
    """
)

READ = (
    "from secfilings.lake.objects import LocalObjectStore\n"
    "from secfilings.services.api.athena.s3_direct_read import read_object\n"
    "result = read_object(LocalObjectStore(lake), 'raw/a.xml').decode()\n"
)
IMPORT_ONLY = "import secfilings.services.api.athena.s3_direct_read\n"


def _run(lake: Path, steps: list[tuple[str, str]]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COSTGUARD")}
    completed = subprocess.run(
        [sys.executable, "-c", HARNESS, str(lake), json.dumps(steps)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["hook_active"] is False  # the module protects itself, no hook needed
    return report


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    LocalObjectStore(tmp_path / "lake").put("raw/a.xml", b"<doc/>")
    return tmp_path / "lake"


def test_scripts_may_read_but_workers_may_not_call(lake: Path) -> None:
    report = _run(
        lake,
        [
            ("secfilings.scripts.probe_backfill", READ),  # imports it first: allowed
            ("secfilings.workers.probe_worker", READ),  # the module is loaded: the call is checked
            ("secfilings.services.api.athena.probe_endpoint", READ),
            ("secfilings.scripts.probe_again", READ),
        ],
    )
    allowed, worker, service, again = report["steps"]
    assert allowed == {"ok": "<doc/>"}
    assert again == {"ok": "<doc/>"}
    for step, caller in ((worker, "secfilings.workers"), (service, "secfilings.services")):
        assert step["error"] == "ForbiddenImportError"
        assert "secfilings.services.api.athena.s3_direct_read" in step["message"]
        assert caller in step["message"]


def test_guarded_code_cannot_import_it(lake: Path) -> None:
    report = _run(
        lake,
        [
            ("secfilings.services.api.athena.probe_companies", IMPORT_ONLY),
            ("secfilings.workers.form4_probe", IMPORT_ONLY),
            ("secfilings.workers.form4_probe2", READ),
        ],
    )
    for step in report["steps"]:
        assert step["error"] == "ForbiddenImportError", step
        assert "s3_direct_read" in step["message"]


def test_read_object_returns_the_bytes(lake: Path) -> None:
    assert read_object(LocalObjectStore(lake), "raw/a.xml") == b"<doc/>"


def test_missing_key_is_one_clear_error(lake: Path) -> None:
    with pytest.raises(ObjectMissing) as caught:
        read_object(LocalObjectStore(lake), "raw/missing.xml")
    assert isinstance(caught.value, NotFound)
    assert str(caught.value) == f"no object 'raw/missing.xml' in the lake {lake.resolve().as_uri()}"


def test_escaping_key_is_refused(lake: Path) -> None:
    with pytest.raises(SecfilingsError, match=r"'\.\./secret'"):
        read_object(LocalObjectStore(lake), "../secret")


def test_reads_from_s3_on_the_moto_server(aws_platform) -> None:  # type: ignore[no-untyped-def]
    aws_platform.store.put("raw/form=4/year=2025/month=05/x.xml", b"<ownershipDocument/>")
    assert read_object(aws_platform.store, "raw/form=4/year=2025/month=05/x.xml") == (
        b"<ownershipDocument/>"
    )
    with pytest.raises(ObjectMissing, match="s3://"):
        read_object(aws_platform.store, "raw/none.xml")
