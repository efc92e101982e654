"""The pre-commit hooks, used from another repository through ``pre-commit try-repo``: each
fails on a violating file and passes once the file is fixed; ``costguard`` (``costguard
check``) exits 2 on a broken policy, ``costguard-flake8`` runs the same rules through flake8."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]  # the checkout under test

POLICY = """\
[[tool.costguard.ban]]
module = "shop.storage.s3_direct_read"
within = ["shop.services"]
reason = "each call is a billed S3 GET"
use_instead = "shop.storage.lookup_index"
"""


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def try_repo(cwd: Path, home: Path, hook: str = "costguard") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never")
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO_ROOT), hook, "--all-files"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )


@pytest.mark.parametrize(("hook", "name"), [("costguard", "costguard (banned costly imports)"), ("costguard-flake8", "costguard via flake8")])
def test_hook_fails_on_a_banned_import_and_passes_once_fixed(tmp_path: Path, hook: str, name: str) -> None:
    assert (REPO_ROOT / ".pre-commit-hooks.yaml").is_file()
    user_repo = tmp_path / "user-repo"
    services = user_repo / "shop" / "services"
    services.mkdir(parents=True)
    (user_repo / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (services / "__init__.py").write_text("", encoding="utf-8")
    (user_repo / "pyproject.toml").write_text(POLICY, encoding="utf-8")
    orders = services / "orders.py"
    orders.write_text("from shop.storage import s3_direct_read\n\nprint(s3_direct_read)\n", encoding="utf-8")
    git(user_repo, "init", "-q")
    git(user_repo, "add", "-A")

    failing = try_repo(user_repo, tmp_path / "home", hook)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert (
        "shop/services/orders.py:1:26: CG101 shop.storage.s3_direct_read is banned in shop.services: "
        "each call is a billed S3 GET; use shop.storage.lookup_index"
    ) in failing.stdout

    orders.write_text("from shop.storage import lookup_index\n\nprint(lookup_index)\n", encoding="utf-8")
    git(user_repo, "add", "-A")
    passing = try_repo(user_repo, tmp_path / "home", hook)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert name in passing.stdout and "Passed" in passing.stdout

    if hook == "costguard":  # a broken policy is not a finding: exit 2, one line
        (user_repo / "pyproject.toml").write_text('[[tool.costguard.ban]]\nmodule = ""\nwithin = ["shop"]\n', encoding="utf-8")
        git(user_repo, "add", "-A")
        broken = try_repo(user_repo, tmp_path / "home", hook)
        assert broken.returncode == 1, broken.stdout + broken.stderr
        assert "- exit code: 2" in broken.stdout
        assert "tool.costguard.ban[0].module: must not be empty" in broken.stdout and "Traceback" not in broken.stdout
