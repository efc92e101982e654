"""Policy problems are said, never silent: every broken policy file is one line and exit status 2
through real flake8 (no traceback, nothing checked), and a name that cannot be right is a warning
(an error with ``strict = true``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runtime_guard.policy import MAX_POLICY_BYTES, PolicyError, clear_caches, load_policy, policy_warnings

BAN = '[[tool.costguard.ban]]\nmodule = "shop.storage.raw"\nwithin = ["shop.services"]\n'


def make_shop(root: Path) -> None:
    for package in ("shop", "shop/services", "shop/storage"):
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").write_text("", encoding="utf-8")
    (root / "shop/storage/raw.py").write_text("", encoding="utf-8")
    (root / "shop/services/orders.py").write_text("import shop.storage.raw\n", encoding="utf-8")
    clear_caches()


def flake8(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "CG", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert (result.returncode, result.stdout) == (2, ""), (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("costguard: invalid policy: ")
    for fragment in fragments:
        assert fragment in lines[0]


def write_bytes(path: Path, data: bytes) -> None:
    path.write_bytes(data)


@pytest.mark.parametrize(
    ("name", "make", "fragment"),
    [
        ("invalid UTF-8", lambda p: write_bytes(p, BAN.encode() + b'reason = "\xff"\n'), "toml: not valid UTF-8 (byte "),
        ("nested thousands deep", lambda p: write_bytes(p, b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n"), "toml: not valid TOML (nested too deeply)"),
        ("tool = 5", lambda p: write_bytes(p, b"tool = 5\n"), "tool: expected a table ([tool]), got int 5"),
        ("a directory", lambda p: p.mkdir(), "file: a directory, not a policy file"),
        ("a FIFO", lambda p: os.mkfifo(p), "file: a FIFO, not a policy file"),
        ("a dangling link", lambda p: p.symlink_to(p.parent / "gone.toml"), "file: a dangling symbolic link"),
        ("bad roots", lambda p: write_bytes(p, b"[tool.costguard]\nroots = 'src'\n"), "tool.costguard.roots: expected a list"),
        ("bad strict", lambda p: write_bytes(p, b"[tool.costguard]\nstrict = 1\n"), "tool.costguard.strict: expected true or false"),
        (
            "bad operation",
            lambda p: write_bytes(p, b'[[tool.costguard.operation]]\nservice = "s3"\noperations = ["get_object"]\nwithin = ["shop"]\n'),
            "tool.costguard.operation[0].operations[0]: expected a botocore operation name",
        ),
    ],
)
def test_broken_pyproject_is_one_line_and_status_2(tmp_path: Path, name: str, make, fragment: str) -> None:
    make_shop(tmp_path)
    make(tmp_path / "pyproject.toml")
    result = flake8(tmp_path, "shop")
    assert_one_line_error(result, str(tmp_path / "pyproject.toml"), fragment)


def test_config_option_reads_a_bounded_size(tmp_path: Path) -> None:
    make_shop(tmp_path)
    (tmp_path / "pyproject.toml").write_text(BAN, encoding="utf-8")
    result = flake8(tmp_path, "--costguard-config", "/dev/zero", "shop")
    assert_one_line_error(result, "/dev/zero: file: larger than 4 MiB, not a policy file")
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (MAX_POLICY_BYTES + 1))
    assert_one_line_error(flake8(tmp_path, "--costguard-config", "big.toml", "shop"), "big.toml: file: larger than")


def test_a_module_that_does_not_exist_is_a_warning(tmp_path: Path) -> None:
    make_shop(tmp_path)
    policy = BAN.replace("shop.storage.raw", "shop.storage.rwa") + 'allow = ["shop.services.legacy", "vendorlib.x"]\n'
    (tmp_path / "pyproject.toml").write_text(policy, encoding="utf-8")
    result = flake8(tmp_path, "shop")
    assert result.returncode == 0, result.stdout + result.stderr  # nothing imports shop.storage.rwa
    assert result.stderr.splitlines() == [
        f"costguard: warning: {tmp_path / 'pyproject.toml'}: tool.costguard.ban[0].module: "
        f"'shop.storage.rwa' names no module: shop is under {tmp_path}, shop.storage.rwa is not",
        f"costguard: warning: {tmp_path / 'pyproject.toml'}: tool.costguard.ban[0].allow[0]: "
        f"'shop.services.legacy' names no module: shop is under {tmp_path}, shop.services.legacy is not",
    ]  # vendorlib is not on disk: third party, not checked


def test_strict_makes_the_warning_an_error(tmp_path: Path) -> None:
    make_shop(tmp_path)
    policy = "[tool.costguard]\nstrict = true\n\n" + BAN.replace('within = ["shop.services"]', 'within = ["shop.service"]')
    (tmp_path / "pyproject.toml").write_text(policy, encoding="utf-8")
    assert_one_line_error(flake8(tmp_path, "shop"), "tool.costguard.ban[0].within[0]: 'shop.service' names no module")


def test_strict_policy_found_while_linting_is_cg100(tmp_path: Path) -> None:
    make_shop(tmp_path)
    (tmp_path / "pyproject.toml").write_text(BAN, encoding="utf-8")
    nested = tmp_path / "shop" / "services"
    (nested / "pyproject.toml").write_text(
        "[tool.costguard]\nstrict = true\nroots = ['../..']\n" + BAN.replace("shop.storage.raw", "shop.storage.nope"),
        encoding="utf-8",
    )
    result = flake8(tmp_path, ".")
    assert result.returncode == 1
    assert "CG100 invalid costguard policy:" in result.stdout and "'shop.storage.nope' names no module" in result.stdout


def test_policy_warnings_are_policy_errors_naming_key_and_file(tmp_path: Path) -> None:
    make_shop(tmp_path)
    (tmp_path / "pyproject.toml").write_text(BAN.replace('"shop.services"', '"shop.services", "shop.nothing"'), encoding="utf-8")
    policy = load_policy(tmp_path / "pyproject.toml")
    assert policy is not None
    problems = policy_warnings(policy)
    assert [(type(p), p.key) for p in problems] == [(PolicyError, "tool.costguard.ban[0].within[1]")]
    assert problems[0].path == str(tmp_path / "pyproject.toml")


def test_namespace_and_src_modules_exist(tmp_path: Path) -> None:
    (tmp_path / "src/ns/inner").mkdir(parents=True)  # namespace packages: folders without __init__.py
    (tmp_path / "src/ns/inner/mod.py").write_text("", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[[tool.costguard.ban]]\nmodule = "ns.inner.mod"\nwithin = ["ns.inner", "ns"]\n', encoding="utf-8"
    )
    clear_caches()
    assert policy_warnings(load_policy(tmp_path / "pyproject.toml")) == []  # type: ignore[arg-type]


def test_first_party_packages_below_the_policy_folder_are_checked(tmp_path: Path) -> None:
    """Layouts met on real projects, the policy in the top pyproject.toml without ``roots``:
    LocalStack's ``localstack-core/localstack`` (a non-identifier folder), and the
    opentelemetry-python monorepo's sub-projects ``dist/src/ns`` and ``group/dist/src/ns``. A
    misspelt first-party name there was taken for a third-party one and passed in silence."""
    for folder in ("proj-core/app/services", "opentelemetry-api/src/ns/api", "exporter/ns-exporter/src/ns/exporter",
                   "exporter/ns-other/src/ns/other"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "proj-core/app/services/orders.py").write_text("import requests\n", encoding="utf-8")
    for project in ("opentelemetry-api", "exporter/ns-exporter", "exporter/ns-other"):
        (tmp_path / project / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    (tmp_path / "venv/lib/python3.11").mkdir(parents=True)  # a virtual environment is not a root
    (tmp_path / "venv/pyvenv.cfg").write_text("", encoding="utf-8")
    (tmp_path / "venv/lib/python3.11/json.py").write_text("", encoding="utf-8")
    bans = [("app.services", "app.servces.orders"), ("ns.api", "ns.exporter.nothing"), ("json.nothing", "ns.api")]
    policy = "[tool.costguard]\nstrict = true\n" + "".join(
        f'[[tool.costguard.ban]]\nmodule = "{module}"\nwithin = ["{within}"]\n' for module, within in bans
    )
    (tmp_path / "pyproject.toml").write_text(policy, encoding="utf-8")
    clear_caches()
    problems = policy_warnings(load_policy(tmp_path / "pyproject.toml"))  # type: ignore[arg-type]
    assert [(p.key, p.problem) for p in problems] == [
        ("tool.costguard.ban[0].within[0]",
         f"'app.servces.orders' names no module: app is under {tmp_path / 'proj-core'}, app.servces.orders is not"),
        ("tool.costguard.ban[1].within[0]",
         f"'ns.exporter.nothing' names no module: ns is under {tmp_path / 'opentelemetry-api/src'} and 2 other "
         "roots, ns.exporter.nothing is not"),  # one short line however many sub-projects hold ns
    ]  # json: only inside the virtual environment, so third party
    assert_one_line_error(flake8(tmp_path, "proj-core"), "tool.costguard.ban[0].within[0]: 'app.servces.orders' names no module")
