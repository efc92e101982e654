"""``costguard check``: the plugin's findings without flake8, its exit codes, selection,
formats and file discovery. Runs the real console script and real flake8 side by side."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .example_tree import build_tree

COSTGUARD = str(Path(sys.executable).with_name("costguard"))

POLICY = """\
[[tool.costguard.ban]]
module = "shop.storage.s3_direct_read"
within = ["shop.services", "shop.jobs"]
allow = ["shop.services.backfill"]
reason = "each call is a billed S3 GET"
use_instead = "shop.storage.lookup_index"

[[tool.costguard.ban]]
module = "shop.vendor.paid_api"
within = ["shop.jobs"]
"""

FILES = {
    "shop/services/orders.py": """\
import importlib
import shop.storage.s3_direct_read
from shop.storage import s3_direct_read  # noqa: CG101
from shop.storage import s3_direct_read as other  # noqa: E501
from shop.storage import (
    lookup_index,
    s3_direct_read as third,
)  # noqa
importlib.import_module("shop.storage.s3_direct_read")  # NOQA:CG1
x = __import__("shop.storage", fromlist=["s3_direct_read"])
""",
    "shop/services/backfill.py": "from shop.storage import s3_direct_read\n",
    "shop/services/api/readers.py": """\
from ...storage import s3_direct_read
from .. import orders


def use(store):
    import shop.storage
    return shop.storage.s3_direct_read.get(store)
""",
    "shop/services/ünïcode.py": "ﬁrst = 1\nfrom shop.storage import s３_direct_read\n",
    "shop/services/whole_file_off.py": "# flake8: noqa\nimport shop.storage.s3_direct_read\n",
    "shop/services/broken.py": "import shop.storage.s3_direct_read\ndef (:\n",
    "shop/jobs/nightly.py": "import shop.vendor.paid_api\nfrom shop.vendor import paid_api as p  # noqa: CG102\n",
    "shop/storage/s3_direct_read.py": "import shop.storage.s3_direct_read.sub\n",
    "shop/scripts/tool.py": "import shop.storage.s3_direct_read\n",
}


def make_tree(root: Path) -> Path:
    (root / "pyproject.toml").write_text(POLICY, encoding="utf-8")
    for relative, text in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for directory in [d for d in (root / "shop").rglob("*") if d.is_dir()] + [root / "shop"]:
        (directory / "__init__.py").touch()
    return root


def costguard(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    return subprocess.run([COSTGUARD, "check", *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


def flake8(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "CG", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )


def strip_dot(text: str) -> list[str]:
    return sorted(line[2:] if line.startswith("./") else line for line in text.splitlines())


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path)


# -- the same findings as the plugin ------------------------------------------------------------


def test_same_lines_as_flake8_on_the_example_files(tmp_path: Path) -> None:
    build_tree(tmp_path)
    ours, theirs = costguard(tmp_path), flake8(tmp_path, ".")
    assert (ours.returncode, theirs.returncode, ours.stderr) == (1, 1, "")
    assert strip_dot(ours.stdout) == strip_dot(theirs.stdout)
    assert len(ours.stdout.splitlines()) >= 20


def test_same_lines_as_flake8_on_noqa_unicode_relative_and_broken_files(tree: Path) -> None:
    ours, theirs = costguard(tree, "shop"), flake8(tree, "shop")
    assert ours.stdout.splitlines() == theirs.stdout.splitlines()
    found = {line.split(": ")[0] for line in ours.stdout.splitlines()}
    assert found == {
        "shop/jobs/nightly.py:1:8",
        "shop/jobs/nightly.py:2:25",
        "shop/services/api/readers.py:1:24",
        "shop/services/api/readers.py:7:12",
        "shop/services/orders.py:2:8",
        "shop/services/orders.py:4:26",
        "shop/services/orders.py:7:5",  # the `# noqa` two lines below is on another NL-token line
        "shop/services/orders.py:10:42",
        "shop/services/ünïcode.py:2:26",
    }


def test_json_is_byte_for_byte_flake8s(tree: Path) -> None:
    ours, theirs = costguard(tree, "--format", "json", "shop"), flake8(tree, "--format=json", "shop")
    assert json.loads(ours.stdout) == json.loads(theirs.stdout)
    assert ours.stdout == theirs.stdout + "\n"


@pytest.mark.parametrize("fmt", ["github", "sarif"])
def test_other_formats_differ_from_flake8s_only_in_the_tool_name(tree: Path, fmt: str) -> None:
    ours, theirs = costguard(tree, "--format", fmt, "shop"), flake8(tree, f"--format={fmt}", "shop")
    assert ours.returncode == theirs.returncode == 1
    if fmt == "github":
        assert ours.stdout == theirs.stdout.replace("title=flake8 ", "title=costguard ")
    else:
        a, b = json.loads(ours.stdout)["runs"][0], json.loads(theirs.stdout)["runs"][0]
        assert a["results"] == b["results"] and a["tool"]["driver"]["name"] == "costguard"


# -- exit status, selection, config --------------------------------------------------------------


def test_exit_0_when_clean(tree: Path) -> None:
    result = costguard(tree, "shop/scripts", "shop/storage", "shop/services/backfill.py")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_select_and_ignore_by_code(tree: Path) -> None:
    only_102 = costguard(tree, "--select", "CG102", "shop")
    assert {line.split()[1] for line in only_102.stdout.splitlines()} == {"CG102"}
    ignored = costguard(tree, "--select", "CG", "--ignore", "CG101,CG103", "shop")
    assert ignored.stdout == only_102.stdout
    nothing = costguard(tree, "--ignore", "CG1", "shop")
    assert (nothing.returncode, nothing.stdout) == (0, "")
    assert costguard(tree, "--select", "CG101", "--ignore", "CG1", "shop").returncode == 1  # longer prefix wins


def test_config_file_replaces_the_nearest_pyproject(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    other = tmp_path_factory.mktemp("cfg") / "costguard.toml"
    other.write_text('[[ban]]\nmodule = "shop.storage.lookup_index"\nwithin = ["shop.services"]\n', encoding="utf-8")
    result = costguard(tree, "--config", str(other), "shop")
    assert result.returncode == 1
    assert [line.split(": ")[0] for line in result.stdout.splitlines()] == ["shop/services/orders.py:6:5"]


@pytest.mark.parametrize(
    ("policy", "says"),
    [
        ('[[tool.costguard.ban]]\nmodule = ""\nwithin = ["a"]\n', "tool.costguard.ban[0].module: must not be empty"),
        ("[tool.costguard\n", "not valid TOML"),
        ('[[tool.costguard.ban]]\nmodule = "a.b"\nwithin = ["a"]\nbogus = 1\n', "tool.costguard.ban[0].bogus: unknown key"),
    ],
)
def test_exit_2_on_a_broken_policy_with_one_line(tree: Path, policy: str, says: str) -> None:
    (tree / "pyproject.toml").write_text(policy, encoding="utf-8")
    result = costguard(tree, "shop")
    assert (result.returncode, result.stdout) == (2, "")
    assert len(result.stderr.splitlines()) == 1 and says in result.stderr
    assert result.stderr.startswith("costguard: invalid policy: ") and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--format", "xml"], "argument --format: invalid choice: 'xml'"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["missing_dir"], "missing_dir: no such file or directory"),
        (["--config", "missing.toml"], "cannot read the policy file"),
    ],
)
def test_exit_2_on_a_usage_error_with_one_line(tree: Path, args: list[str], says: str) -> None:
    result = costguard(tree, *args)
    assert (result.returncode, result.stdout) == (2, "")
    assert len(result.stderr.splitlines()) == 1 and says in result.stderr


# -- discovery ----------------------------------------------------------------------------------


def test_discovery_respects_gitignore_in_a_work_tree(tree: Path) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is needed for costguard check's discovery in a work tree")
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    (tree / ".gitignore").write_text("shop/jobs/\n", encoding="utf-8")
    result = costguard(tree)
    assert result.returncode == 1
    files = {line.split(":")[0] for line in result.stdout.splitlines()}
    assert "shop/jobs/nightly.py" not in files and "shop/services/orders.py" in files
    given = costguard(tree, "shop/jobs/nightly.py")  # a file named on the command line is checked
    assert given.returncode == 1 and given.stdout.startswith("shop/jobs/nightly.py:1:8: CG101")
    folder = costguard(tree, "shop/jobs")  # and an ignored folder named on the command line is walked
    assert folder.returncode == 1 and folder.stdout.startswith("shop/jobs/nightly.py:1:8: CG101")


def test_walk_skips_virtual_environments_and_build_folders(tree: Path) -> None:
    for folder in (".venv/lib/shop/services", "build/lib/shop/services", "node_modules/x"):
        (tree / folder).mkdir(parents=True)
        shutil.copy(tree / "shop/services/orders.py", tree / folder / "orders.py")
    result = costguard(tree, "--format", "json")
    files = json.loads(result.stdout)
    assert "shop/services/orders.py" in files
    assert not [name for name in files if name.startswith((".venv", "build", "node_modules"))]


# -- cost ---------------------------------------------------------------------------------------


def test_fast_path_imports_neither_flake8_nor_libcst(tree: Path) -> None:
    code = (
        "import sys\n"
        "from flake8_costguard.check import run, Counts\n"
        "outcome = run(['shop/scripts', 'shop/storage', 'shop/services/backfill.py', 'shop/services/__init__.py'])\n"
        "print(outcome.counts.files, sorted({m.split('.')[0] for m in sys.modules} & {'flake8', 'libcst'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, check=True)
    assert result.stdout.split(" ", 1) == ["6", "[]\n"]


def test_neither_flake8_nor_libcst_is_imported_even_with_findings(tree: Path) -> None:
    probe = (
        "import sys\n"
        "from runtime_guard.cli import main\n"
        "status = main(['check', 'shop'])\n"
        "print('loaded:', sorted(m for m in ('flake8', 'libcst') if m in sys.modules), 'status:', status)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=tree, capture_output=True, text=True, timeout=120)
    assert "CG101" in done.stdout, done.stdout + done.stderr  # the file really reached the exact stage
    assert done.stdout.splitlines()[-1] == "loaded: [] status: 1", done.stdout + done.stderr
