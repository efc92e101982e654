"""flake8 --format=json|sarif|github, through real flake8 on temporary files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

POLICY = """\
[[tool.costguard.ban]]
module = "shop.storage.s3_direct_read"
within = ["shop.services"]
reason = "each call is a billed S3 GET, 100% avoidable"
use_instead = "shop.storage.lookup_index"
"""

ORDERS = """\
import importlib
from shop.storage import (
    s3_direct_read,
)
importlib.import_module("shop.storage.s3_direct_read")
import shop.storage.s3_direct_read  # noqa: CG101
"""

MESSAGE = "shop.storage.s3_direct_read is banned in shop.services: each call is a billed S3 GET, 100% avoidable; use shop.storage.lookup_index"
SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    for package in ("shop", "shop/services", "shop/storage"):
        (tmp_path / package).mkdir(parents=True)
        (tmp_path / package / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "shop" / "storage" / "s3_direct_read.py").write_text("", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "shop" / "services" / "orders.py").write_text(ORDERS, encoding="utf-8")
    (tmp_path / "shop" / "services" / "clean.py").write_text("x = 1\n", encoding="utf-8")
    return tmp_path


def flake8(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_json_is_flake8_json_shape(project: Path) -> None:
    result = flake8(project, "--select", "CG", "--format=json", "shop/services")
    assert (result.returncode, result.stderr) == (1, "")
    data = json.loads(result.stdout)
    assert list(data) == ["shop/services/__init__.py", "shop/services/clean.py", "shop/services/orders.py"]
    assert data["shop/services/clean.py"] == []
    assert data["shop/services/orders.py"] == [
        {"code": "CG101", "filename": "shop/services/orders.py", "line_number": 3, "column_number": 5,
         "text": MESSAGE, "physical_line": "    s3_direct_read,\n"},
        {"code": "CG102", "filename": "shop/services/orders.py", "line_number": 5, "column_number": 25,
         "text": MESSAGE, "physical_line": 'importlib.import_module("shop.storage.s3_direct_read")\n'},
    ]
    assert not result.stdout.endswith("\n")  # as flake8-json prints it


def test_json_mixes_with_other_plugins_codes(project: Path) -> None:
    (project / "shop" / "services" / "clean.py").write_text("import os\n", encoding="utf-8")
    result = flake8(project, "--select", "CG,F401", "--format=json", "shop/services")
    data = json.loads(result.stdout)
    assert [v["code"] for v in data["shop/services/clean.py"]] == ["F401"]


def test_sarif_validates_and_carries_the_findings(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "lint.sarif"
    result = flake8(project, "--select", "CG", "--format=sarif", "--output-file", str(out), "--statistics", ".")
    assert (result.returncode, result.stdout, result.stderr) == (1, "", "")
    log = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "flake8"
    places = [
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         r["locations"][0]["physicalLocation"]["region"]["startLine"],
         r["locations"][0]["physicalLocation"]["region"]["startColumn"], r["message"]["text"])
        for r in run["results"]
    ]
    assert places == [
        ("CG101", "shop/services/orders.py", 3, 5, f"CG101 {MESSAGE}"),
        ("CG102", "shop/services/orders.py", 5, 25, f"CG102 {MESSAGE}"),
    ]
    rule_ids = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    assert {"CG101", "CG102", "CG103"} <= rule_ids


def test_sarif_of_a_clean_run_is_valid_and_empty(project: Path) -> None:
    result = flake8(project, "--select", "CG", "--format=sarif", "shop/storage")
    assert result.returncode == 0
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    assert log["runs"][0]["results"] == []


def test_github_annotations(project: Path) -> None:
    result = flake8(project, "--select", "CG", "--format=github", "shop")
    assert (result.returncode, result.stderr) == (1, "")
    escaped = MESSAGE.replace("%", "%25")
    assert result.stdout.splitlines() == [
        f"::error file=shop/services/orders.py,line=3,col=5,title=flake8 CG101::CG101 {escaped}",
        f"::error file=shop/services/orders.py,line=5,col=25,title=flake8 CG102::CG102 {escaped}",
    ]


def test_formats_work_with_parallel_jobs(project: Path) -> None:
    serial = flake8(project, "--select", "CG", "--format=github", "-j", "1", ".")
    parallel = flake8(project, "--select", "CG", "--format=github", "-j", "2", ".")
    assert serial.stdout == parallel.stdout != ""
