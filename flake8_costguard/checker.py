"""The flake8 plugin: ``CostguardChecker``, registered as the ``flake8.extension`` entry point ``CG``.

Work is staged, cheapest first, so files the policy cannot concern cost next to nothing:

1. ``within``: the file's module (from its path and the ``__init__.py`` files above it) is not
   guarded by any ban -> done.
2. ``mentions``: the raw text lacks every banned module's leaf name (every literal import form
   spells it) -> done.
3. ``candidates``: the ast tree flake8 already parsed has no import, call or attribute that could
   name a banned module -> done.
4. ``exact``: the candidate statements and calls are read with libcst (ast when libcst cannot
   parse them), names are resolved through a scope analysis, and findings are reported.
"""

from __future__ import annotations

import argparse
import ast
import os
import unicodedata
from typing import Any, ClassVar, Iterator, Sequence

from flake8.exceptions import ExecutionError

from runtime_guard.policy import Ban, Policy, PolicyError, find_pyproject, load_policy, load_policy_for, module_name_for_path

from . import __version__
from .operations import operation_findings
from .rules import find_violations, scan_candidates

__all__ = ["CostguardChecker", "InvalidPolicy", "module_of_file"]

STAGES = ("files", "within", "mentions", "candidates", "exact", "libcst")


class InvalidPolicy(ExecutionError):
    """A policy flake8 cannot run with: flake8 prints this one line and exits with status 1."""


def module_of_file(filename: str) -> tuple[str, bool]:
    """(dotted module name, is a package ``__init__``) of a source file path (the policy's rule)."""
    stem = os.path.basename(filename).partition(".")[0]
    return module_name_for_path(filename), stem == "__init__"


class CostguardChecker:
    """flake8 checker for ``[tool.costguard]`` bans (CG101, CG102, CG103; CG100 for problems)."""

    name = "costguard"
    version = __version__

    #: Set from ``--costguard-config`` by ``parse_options``; otherwise each file's policy is the
    #: nearest ``pyproject.toml`` above it.
    config_policy: ClassVar[Policy | None] = None
    #: How many files reached each stage in this process (read by bench/lint_overhead.py).
    stage_counts: ClassVar[dict[str, int]] = dict.fromkeys(STAGES, 0)

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines
        self.importer = ""

    # -- options ----------------------------------------------------------------------------

    @classmethod
    def add_options(cls, parser: Any) -> None:
        parser.add_option(
            "--costguard-config",
            default=None,
            metavar="PATH",
            parse_from_config=True,
            normalize_paths=True,
            help="Read the costguard policy ([tool.costguard]) from PATH instead of the nearest "
            "pyproject.toml above each linted file.",
        )

    @classmethod
    def parse_options(cls, option_manager: Any, options: argparse.Namespace, args: Sequence[str]) -> None:
        """Load and validate the policy once; a bad policy stops flake8 with one clear line."""
        cls.config_policy = None
        try:
            config = getattr(options, "costguard_config", None)
            if config:
                cls.config_policy = load_policy(config, required=True)
                return
            seen: set[str] = set()
            for path in list(getattr(options, "filenames", None) or args or ["."]):
                if path == "-":
                    path = "."
                pyproject = find_pyproject(path)
                if pyproject is not None and str(pyproject) not in seen:
                    seen.add(str(pyproject))
                    load_policy(pyproject, required=False)
        except PolicyError as exc:
            raise InvalidPolicy(f"costguard: invalid policy: {exc}") from None

    # -- checking ---------------------------------------------------------------------------

    def _policy(self) -> Policy | None:
        if self.config_policy is not None:
            return self.config_policy
        return load_policy_for(os.path.dirname(os.path.abspath(self.filename)))

    def findings(self, *, use_libcst: bool = True) -> list[tuple[int, int, str]]:
        """(line, column, message) of every violation; raises on internal errors (tests use it)."""
        counts = self.stage_counts
        counts["files"] += 1
        policy = self._policy()
        if policy is None or not policy.bans:
            return []
        importer, is_package = module_of_file(self.filename)
        self.importer = importer
        bans: tuple[Ban, ...] = policy.bans_guarding(importer)
        if not bans:
            return []
        counts["within"] += 1
        text = "".join(self.lines)
        if not text.isascii():  # Python reads identifiers NFKC-normalized: so must the mention test
            text = unicodedata.normalize("NFKC", text)
        leaves = frozenset(ban.leaf for ban in bans if ban.leaf in text)
        if not leaves:
            return []
        counts["mentions"] += 1
        candidates = scan_candidates(self.tree, leaves)
        if not candidates:
            return []
        counts["candidates"] += 1
        bans = tuple(ban for ban in bans if ban.leaf in leaves)
        violations, used_libcst = find_violations(
            self.tree, self.lines, importer, is_package, bans, candidates, use_libcst=use_libcst
        )
        counts["exact"] += 1
        counts["libcst"] += int(used_libcst)
        return [(v.line, v.col, v.message(importer)) for v in violations]

    def run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        """flake8's entry: never raises; a problem becomes one CG100 finding on line 1."""
        try:
            results = self.findings()
            # CG201/CG202, banned AWS operations: flake8_costguard.operations
            results += operation_findings(self.tree, module_of_file(self.filename)[0], self.lines, self._policy())
        except PolicyError as exc:
            yield 1, 0, f"CG100 invalid costguard policy: {exc}", type(self)
            return
        except Exception as exc:  # noqa: BLE001 - a lint plugin must never crash flake8
            yield 1, 0, f"CG100 costguard could not check this file: {type(exc).__name__}: {exc}", type(self)
            return
        for line, col, message in results:
            yield line, col, message, type(self)
