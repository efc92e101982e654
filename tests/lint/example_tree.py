"""Build the temporary package tree the example files are linted in, and read their expectations.

Each example under ``tests/lint/examples`` starts with ``# path: app/...`` (where it lives in
the tree, which decides its module name) and marks expected findings on the line they are
reported on: ``# expect: CG101:8`` (code and 1-based column, as flake8 prints them).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

EXAMPLES = Path(__file__).parent / "examples"
_PATH = re.compile(r"#\s*path:\s*(\S+)")
_EXPECT = re.compile(r"#\s*expect:\s*((?:CG\d{3}:\d+\s*)+)")

Finding = tuple[int, int, str]  # line, column (1-based), code


def example_names() -> list[str]:
    return sorted(path.name for path in EXAMPLES.glob("*.py"))


def destination(example: Path) -> str:
    match = _PATH.match(example.read_text(encoding="utf-8").splitlines()[0])
    if match is None:
        raise ValueError(f"{example}: first line must be '# path: <relative path in the tree>'")
    return match.group(1)


def expected_findings(example: Path) -> list[Finding]:
    found: list[Finding] = []
    for number, line in enumerate(example.read_text(encoding="utf-8").splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            for item in match.group(1).split():
                code, _, col = item.partition(":")
                found.append((number, int(col), code))
    return sorted(found)


def build_tree(root: Path, names: list[str] | None = None) -> dict[str, Path]:
    """Copy the policy and the examples into ``root``; every folder below gets ``__init__.py``.

    Returns example name -> its path in the tree.
    """
    shutil.copy(EXAMPLES / "pyproject.toml", root / "pyproject.toml")
    placed: dict[str, Path] = {}
    for name in names or example_names():
        target = root / destination(EXAMPLES / name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(EXAMPLES / name, target)
        placed[name] = target
    from runtime_guard.policy import load_policy

    for ban in load_policy(root / "pyproject.toml").bans:  # type: ignore[union-attr]
        # a real project has the modules its policy names (else costguard warns)
        module = root.joinpath(*ban.module.split("."))
        if not module.is_dir() and not module.with_suffix(".py").exists():
            module.parent.mkdir(parents=True, exist_ok=True)
            module.with_suffix(".py").write_text("", encoding="utf-8")
        for prefix in (*ban.within, *ban.allow):
            package = root.joinpath(*prefix.split("."))
            if not package.with_suffix(".py").exists():
                package.mkdir(parents=True, exist_ok=True)
    for directory in [d for d in root.rglob("*") if d.is_dir()]:
        init = directory / "__init__.py"
        if not init.exists():
            init.write_text("", encoding="utf-8")
    return placed
