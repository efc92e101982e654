"""Every .py file of the running interpreter's standard library goes through the checker with
bans that reach every stage (libcst included): zero exceptions, and real findings."""

from __future__ import annotations

import ast
import os
import sysconfig
import tokenize
import warnings
from collections import Counter
from multiprocessing import get_context
from pathlib import Path

from flake8_costguard.checker import CostguardChecker
from runtime_guard.policy import Ban, Policy

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def stdlib_files() -> list[str]:
    files = []
    for directory, subdirs, names in os.walk(STDLIB):
        subdirs[:] = sorted(d for d in subdirs if d not in ("site-packages", "dist-packages", "__pycache__"))
        files.extend(os.path.join(directory, name) for name in sorted(names) if name.endswith(".py"))
    return files


def top_level_names() -> tuple[str, ...]:
    names = {entry.name.removesuffix(".py") for entry in STDLIB.iterdir()}
    return tuple(sorted(name for name in names if name.isidentifier()))


def policy() -> Policy:
    everywhere = top_level_names()
    return Policy(
        bans=(
            Ban("http.client", everywhere, reason="billed", use_instead="http.server"),
            Ban("xml.etree.ElementTree", everywhere, allow=("xml.etree",)),
            Ban("email.mime", everywhere),
            Ban("importlib.util", ("test", "unittest")),
        )
    )


def check_files(paths: list[str]) -> tuple[Counter[str], list[str]]:
    """(counts, problems) for a chunk of files; a problem is an exception or a CG100."""
    CostguardChecker.config_policy = policy()
    CostguardChecker.stage_counts = Counter()
    counts: Counter[str] = Counter()
    problems: list[str] = []
    for path in paths:
        try:
            with tokenize.open(path) as handle:  # what flake8 reads: universal newlines
                lines = handle.readlines()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse("".join(lines))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            counts["unparsable"] += 1  # flake8 reports E999 and runs no AST plugin
            continue
        checker = CostguardChecker(tree, path, lines)
        try:
            findings = checker.findings()
        except Exception as exc:  # the test's whole point: there must be none
            problems.append(f"{path}: {type(exc).__name__}: {exc}")
            continue
        counts["findings"] += len(findings)
        results = list(CostguardChecker(tree, path, lines).run())
        problems.extend(f"{path}: {text}" for _, _, text, _ in results if text.startswith("CG100"))
    counts.update(CostguardChecker.stage_counts)
    return counts, problems


def test_every_stdlib_file_is_checked_without_an_exception() -> None:
    files = stdlib_files()
    assert len(files) > 1000
    chunks = [files[index::2] for index in range(2)]
    with get_context("spawn").Pool(2) as pool:
        results = pool.map(check_files, chunks)
    counts: Counter[str] = Counter()
    problems: list[str] = []
    for chunk_counts, chunk_problems in results:
        counts.update(chunk_counts)
        problems.extend(chunk_problems)
    print(dict(counts))
    assert problems == []
    # Every stage was reached, and real importers of the banned modules were reported.
    assert counts["files"] == 2 * (len(files) - counts["unparsable"])  # findings() and run() each
    assert counts["within"] > counts["mentions"] > counts["candidates"] >= counts["exact"] > 0
    assert counts["libcst"] > 50
    assert counts["findings"] > 20
