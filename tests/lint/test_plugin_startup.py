"""Loading the plugin costs no libcst: flake8 imports the entry point on every run, whatever
``--select`` says, so the plugin imports only its policy loader; libcst loads only when a file
reaches the exact stage (issue 9, item 4). Each check runs in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .test_flake8_behaviour import POLICY

#: What the plugin may add to a process that already runs flake8: its own two packages, the
#: TOML reader and the two small stdlib modules the policy loader uses.
ALLOWED_NEW = {"flake8_costguard", "runtime_guard", "tomllib", "dataclasses", "unicodedata", "tomli"}

LOAD_ENTRY_POINT = """
import json, sys
import flake8.checker, flake8.main.cli, flake8.plugins.finder  # what flake8 has loaded anyway
before = set(sys.modules)
from importlib.metadata import entry_points
(ep,) = [e for e in entry_points(group="flake8.extension") if e.name == "CG"]
plugin = ep.load()
print(json.dumps({"value": ep.value, "class": plugin.__name__, "new": sorted(set(sys.modules) - before)}))
"""

RUN_FLAKE8 = """
import json, sys
from flake8.main import cli
status = cli.main(sys.argv[1:])
from flake8_costguard.checker import CostguardChecker
print(json.dumps({"status": status, "libcst": "libcst" in sys.modules,
                  "rules": "flake8_costguard.rules" in sys.modules, "stages": CostguardChecker.stage_counts}))
"""


def fresh_python(code: str, *args: str, cwd: Path | None = None) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.stderr == "", result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_loading_the_entry_point_imports_neither_libcst_nor_the_rules() -> None:
    loaded = fresh_python(LOAD_ENTRY_POINT)
    assert (loaded["value"], loaded["class"]) == ("flake8_costguard.checker:CostguardChecker", "CostguardChecker")
    new_top_level = {name.partition(".")[0] for name in loaded["new"]}
    assert "libcst" not in new_top_level
    assert "flake8_costguard.rules" not in loaded["new"]
    assert "runtime_guard.hook" not in loaded["new"]  # the runtime guard's hook is not the lint's business
    assert new_top_level <= ALLOWED_NEW, sorted(new_top_level - ALLOWED_NEW)


def project(root: Path, body: str) -> Path:
    for package in ("shop", "shop/services", "shop/storage"):
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").write_text("", encoding="utf-8")
    (root / "shop" / "storage" / "s3_direct_read.py").write_text("", encoding="utf-8")  # named by the policy
    (root / "pyproject.toml").write_text(POLICY, encoding="utf-8")
    target = root / "shop" / "services" / "orders.py"
    target.write_text(body, encoding="utf-8")
    return target


def test_a_guarded_file_that_never_spells_a_banned_leaf_loads_no_libcst(tmp_path: Path) -> None:
    project(tmp_path, "import json\nimport shop.storage.lookup_index\n\nprint(json.dumps({}))\n")
    for select in ("E", "CG"):
        run = fresh_python(RUN_FLAKE8, "--isolated", "-j1", "--select", select, "shop", cwd=tmp_path)
        assert run["status"] == 0
        assert run["stages"]["within"] == 2 and run["stages"]["mentions"] == 0  # orders.py, services/__init__.py
        assert (run["libcst"], run["rules"]) == (False, False)


def test_a_file_that_mentions_the_leaf_but_has_no_candidate_loads_the_rules_only(tmp_path: Path) -> None:
    project(tmp_path, 'NOTE = "s3_direct_read is banned here"\n')
    run = fresh_python(RUN_FLAKE8, "--isolated", "-j1", "--select", "CG", "shop", cwd=tmp_path)
    assert run["status"] == 0
    assert run["stages"]["mentions"] == 1 and run["stages"]["candidates"] == 0
    assert (run["libcst"], run["rules"]) == (False, True)


def test_a_file_reaching_the_exact_stage_loads_libcst(tmp_path: Path) -> None:
    project(tmp_path, "import shop.storage.s3_direct_read\n")
    run = fresh_python(RUN_FLAKE8, "--isolated", "-j1", "--select", "CG", "shop", cwd=tmp_path)
    assert run["status"] == 1
    assert run["stages"]["exact"] == 1 and run["stages"]["libcst"] == 1
    assert run["libcst"] is True
