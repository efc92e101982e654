"""The cache of ``costguard check``: a second run over an unchanged tree reads no file, a change
is seen, and a broken or unwritable cache never changes the result."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_costguard.cache import CACHE_FILE
from flake8_costguard.check import run

POLICY = """\
[[tool.costguard.ban]]
module = "shop.storage.raw"
within = ["shop.jobs"]
transitive = true
"""

FILES = {
    "shop/jobs/a.py": "from shop.storage import helper\n",
    "shop/jobs/b.py": "import shop.storage.raw\n",
    "shop/jobs/c.py": "x = 1\n",
    "shop/storage/helper.py": "from . import raw\n",
    "shop/storage/raw.py": "",
}


@pytest.fixture()
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text(POLICY, encoding="utf-8")
    for relative, text in FILES.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text, encoding="utf-8")
    for package in ("shop", "shop/jobs", "shop/storage"):
        (tmp_path / package / "__init__.py").touch()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lines(outcome) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{r.path}:{r.line}:{r.col}: {r.code}" for r in outcome.reports]


def test_second_run_reads_no_file_and_finds_the_same(tree: Path) -> None:
    cache = tree / ".cache"
    cold = run(["shop"], cache_dir=cache)
    assert cold.cache is not None and cold.cache.misses > 0
    warm = run(["shop"], cache_dir=cache)
    assert warm.cache is not None and (warm.cache.misses, warm.cache.hits) == (0, cold.cache.misses + cold.cache.hits)
    assert lines(warm) == lines(cold) == ["shop/jobs/a.py:1:26: CG104", "shop/jobs/b.py:1:8: CG101"]
    assert warm.counts.exact == 0  # no rule ran again


def test_a_changed_file_is_read_again(tree: Path) -> None:
    cache = tree / ".cache"
    run(["shop"], cache_dir=cache)
    (tree / "shop/storage/helper.py").write_text("import json\n", encoding="utf-8")  # breaks the chain
    (tree / "shop/jobs/c.py").write_text("import shop.storage.raw  # new\n", encoding="utf-8")
    outcome = run(["shop"], cache_dir=cache)
    assert outcome.cache is not None and outcome.cache.misses == 2
    assert lines(outcome) == ["shop/jobs/b.py:1:8: CG101", "shop/jobs/c.py:1:8: CG101"]


def test_same_content_with_a_new_time_is_not_checked_again(tree: Path) -> None:
    cache = tree / ".cache"
    run(["shop"], cache_dir=cache)
    target = tree / "shop/jobs/b.py"
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    outcome = run(["shop"], cache_dir=cache)
    assert outcome.cache is not None and outcome.cache.misses == 1
    assert outcome.counts.exact == 0 and "shop/jobs/b.py:1:8: CG101" in lines(outcome)


def test_a_changed_policy_is_not_served_old_findings(tree: Path) -> None:
    cache = tree / ".cache"
    run(["shop"], cache_dir=cache)
    (tree / "pyproject.toml").write_text(POLICY.replace('within = ["shop.jobs"]', 'within = ["shop.nothing"]'), encoding="utf-8")
    assert lines(run(["shop"], cache_dir=cache)) == []


def test_a_file_whose_module_name_changed_is_read_again(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module's name depends on the folders above it (packages, roots), not only on its text."""
    import flake8_costguard.check as check

    cache = tree / ".cache"
    run(["shop"], cache_dir=cache)
    real = check.module_name_for_path
    monkeypatch.setattr(check, "module_name_for_path", lambda path, *roots: real(path, *roots).replace("shop.jobs.b", "shop.jobs.renamed"))
    outcome = run(["shop"], cache_dir=cache)
    assert outcome.cache is not None and outcome.cache.misses == 1
    assert "shop/jobs/b.py:1:8: CG101" in lines(outcome)


def test_a_corrupt_cache_is_ignored_and_replaced(tree: Path) -> None:
    cache = tree / ".cache"
    cache.mkdir()
    (cache / CACHE_FILE).write_bytes(b"\x00garbage")
    outcome = run(["shop"], cache_dir=cache)
    assert len(outcome.reports) == 2
    with open(cache / CACHE_FILE, "rb") as handle:
        assert marshal.load(handle)["entries"]


def test_an_unwritable_cache_is_skipped(tree: Path) -> None:
    (tree / "blocked").write_text("a file where the cache folder would be", encoding="utf-8")
    outcome = run(["shop"], cache_dir=tree / "blocked" / "cache")
    assert len(outcome.reports) == 2


def test_command_line_default_cache_and_no_cache(tree: Path) -> None:
    costguard = str(Path(sys.executable).with_name("costguard"))
    first = subprocess.run([costguard, "check", "--no-cache", "shop"], cwd=tree, capture_output=True, text=True)
    assert first.returncode == 1 and not (tree / ".costguard_cache").exists()
    second = subprocess.run([costguard, "check", "shop"], cwd=tree, capture_output=True, text=True)
    assert second.stdout == first.stdout
    assert (tree / ".costguard_cache" / CACHE_FILE).is_file()
    assert (tree / ".costguard_cache" / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"


def test_noqa_is_honoured_from_the_cache_and_after_an_edit(tree: Path) -> None:
    costguard = str(Path(sys.executable).with_name("costguard"))

    def check() -> list[str]:
        result = subprocess.run([costguard, "check", "shop"], cwd=tree, capture_output=True, text=True)
        return [line.split(": ")[0] for line in result.stdout.splitlines()]

    assert check() == check() == ["shop/jobs/a.py:1:26", "shop/jobs/b.py:1:8"]
    (tree / "shop/jobs/b.py").write_text("import shop.storage.raw  # noqa: CG101\n", encoding="utf-8")
    assert check() == check() == ["shop/jobs/a.py:1:26"]
    (tree / "shop/jobs/a.py").write_text("from shop.storage import (\n    helper,  # NOQA\n)\n", encoding="utf-8")
    assert check() == check() == []
