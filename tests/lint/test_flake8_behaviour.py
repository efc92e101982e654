"""The plugin behaves like any flake8 plugin: noqa, selection, per-file ignores, formats, jobs,
configuration in flake8's own config file, and one clear error for a bad policy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

POLICY = """\
[[tool.costguard.ban]]
module = "shop.storage.s3_direct_read"
within = ["shop.services"]
reason = "each call is a billed S3 GET"
use_instead = "shop.storage.lookup_index"
transitive = true
"""

VIOLATIONS = """\
import importlib
import shop.storage.s3_direct_read
from shop.storage import s3_direct_read  # noqa: CG101
from shop.storage import s3_direct_read as other  # noqa: E501
importlib.import_module("shop.storage.s3_direct_read")
"""

MESSAGE = "shop.storage.s3_direct_read is banned in shop.services: each call is a billed S3 GET; use shop.storage.lookup_index"


def make_project(root: Path, policy: str = POLICY) -> Path:
    for package in ("shop", "shop/services", "shop/storage"):
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").write_text("", encoding="utf-8")
    (root / "shop" / "storage" / "s3_direct_read.py").write_text("", encoding="utf-8")
    (root / "pyproject.toml").write_text(policy, encoding="utf-8")
    target = root / "shop" / "services" / "orders.py"
    target.write_text(VIOLATIONS, encoding="utf-8")
    return target


def flake8(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    make_project(tmp_path)
    return tmp_path


def test_noqa_for_the_code_silences_only_that_line(project: Path) -> None:
    result = flake8(project, "--select", "CG", "shop")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"shop/services/orders.py:2:8: CG101 {MESSAGE}",
        f"shop/services/orders.py:4:26: CG101 {MESSAGE}",
        f"shop/services/orders.py:5:25: CG102 {MESSAGE}",
    ]
    assert result.stderr == ""


def test_extend_ignore_and_per_file_ignores(project: Path) -> None:
    ignored = flake8(project, "--select", "CG", "--extend-ignore", "CG101", "shop")
    assert [line.split(": ")[1].split()[0] for line in ignored.stdout.splitlines()] == ["CG102"]
    per_file = flake8(project, "--select", "CG", "--per-file-ignores", "shop/services/*.py:CG", "shop")
    assert (per_file.returncode, per_file.stdout) == (0, "")


def test_format_and_parallel_jobs(project: Path) -> None:
    for index in range(6):  # enough files for flake8 to really use a process pool
        (project / "shop" / "services" / f"copy{index}.py").write_text(VIOLATIONS, encoding="utf-8")
    serial = flake8(project, "--select", "CG", "-j", "1", "--format", "pylint", "shop")
    parallel = flake8(project, "--select", "CG", "-j", "2", "--format", "pylint", "shop")
    assert serial.returncode == parallel.returncode == 1
    assert sorted(serial.stdout.splitlines()) == sorted(parallel.stdout.splitlines())
    assert f"shop/services/copy3.py:5: [CG102] {MESSAGE}" in serial.stdout.splitlines()
    assert len(serial.stdout.splitlines()) == 7 * 3


def test_costguard_config_option_and_flake8_config_file(tmp_path: Path) -> None:
    make_project(tmp_path, policy="[project]\nname = 'no-policy-here'\n")
    (tmp_path / "policy.toml").write_text(POLICY, encoding="utf-8")
    unconfigured = flake8(tmp_path, "--select", "CG", "shop")  # would check nothing: said, status 2
    assert (unconfigured.returncode, unconfigured.stdout) == (2, "")
    assert unconfigured.stderr.splitlines() == [
        f"costguard: invalid policy: {tmp_path / 'shop'}: tool.costguard: no [tool.costguard] policy in any "
        "pyproject.toml at or above shop, so CG would check nothing (add one, or name one with --costguard-config PATH)"
    ]
    assert flake8(tmp_path, "--select", "E", "shop").returncode == 0  # other codes: not our business
    by_option = flake8(tmp_path, "--select", "CG", "--costguard-config", "policy.toml", "shop")
    assert by_option.returncode == 1 and by_option.stdout.count("CG10") == 3
    (tmp_path / "setup.cfg").write_text("[flake8]\ncostguard-config = ./policy.toml\nselect = CG\n", encoding="utf-8")
    by_config = subprocess.run(
        [sys.executable, "-m", "flake8", "shop"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert by_config.stdout == by_option.stdout


@pytest.mark.parametrize(
    ("policy", "named"),
    [
        ('[[tool.costguard.ban]]\nmodule = ""\nwithin = ["shop"]\n', "tool.costguard.ban[0].module: must not be empty"),
        ('[[tool.costguard.ban]]\nmodule = "a.b"\nwithin = "shop"\n', "tool.costguard.ban[0].within: expected a list"),
        ('[[tool.costguard.ban]]\nmodule = "a.b"\nwithin = ["shop"]\nreasons = "x"\n', "tool.costguard.ban[0].reasons: unknown key"),
        ("[tool.costguard]\nban = [\n", "toml: not valid TOML"),
    ],
)
def test_bad_policy_is_one_clear_error_without_traceback(tmp_path: Path, policy: str, named: str) -> None:
    make_project(tmp_path, policy=policy)
    result = flake8(tmp_path, "--select", "CG", "shop")
    assert (result.returncode, result.stdout) == (2, "")
    errors = result.stderr.splitlines()
    assert len(errors) == 1 and errors[0].startswith("costguard: invalid policy:")
    assert f"{tmp_path / 'pyproject.toml'}: {named}" in errors[0]


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    make_project(tmp_path)
    result = flake8(tmp_path, "--costguard-config", "absent.toml", "shop")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"costguard: invalid policy: {tmp_path / 'absent.toml'}: file: cannot read the policy file")
    assert len(result.stderr.splitlines()) == 1


def test_bad_nested_policy_found_while_linting_is_reported_as_cg100(tmp_path: Path) -> None:
    make_project(tmp_path)
    nested = tmp_path / "shop" / "services"
    (nested / "pyproject.toml").write_text('[[tool.costguard.ban]]\nmodule = 3\nwithin = ["shop"]\n', encoding="utf-8")
    result = flake8(tmp_path, "--select", "CG", ".")
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert (
        f"./shop/services/orders.py:1:1: CG100 invalid costguard policy: {nested / 'pyproject.toml'}: "
        "tool.costguard.ban[0].module: expected a module name (string), got int 3"
    ) in result.stdout.splitlines()
