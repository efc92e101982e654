"""The flake8 plugin: ``CostguardChecker``, registered as the ``flake8.extension`` entry point ``CG``.

Work is staged, cheapest first, so files the policy cannot concern cost next to nothing:

1. ``within``: the file's module (from its path and the ``__init__.py`` files above it) is not
   guarded by any ban -> done.
2. ``mentions``: the raw text lacks every banned module's leaf name (every import statement and
   attribute access spells it) and the name of every dynamic importer (``import_module``,
   ``__import__``, ``find_spec``, ``resolve_name``, ``run_module``: a call the rules resolve to
   one spells it, in the call or in the import binding an alias) -> done. A string built from
   pieces may spell no leaf, but it names a module only when passed to a dynamic importer.
3. ``candidates``: the ast tree flake8 already parsed has no import, call or attribute that could
   name a banned module -> done.
4. ``exact``: the candidate statements and calls are read with libcst (ast when libcst cannot
   parse them), names are resolved through a scope analysis, and findings are reported.

Importing this module (what flake8 does for every run, whatever ``--select`` says) imports only
the policy loader: the rules load when a file first reaches stage 3, libcst at stage 4.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
from typing import Any, ClassVar, Iterator, NoReturn, Sequence

from flake8.exceptions import ExecutionError

from runtime_guard.policy import Policy, PolicyError, find_policy_file, load_policy, load_policy_for, policy_warnings

from . import __version__
from .stages import STAGES, module_of_file, staged_findings

__all__ = ["CostguardChecker", "InvalidPolicy", "module_of_file", "STAGES"]


class InvalidPolicy(ExecutionError):
    """A policy flake8 cannot run with (kept for callers that catch it; flake8 itself is stopped
    by :func:`stop_on_policy_error`)."""


#: The exit status of a run stopped by a policy problem (1 is flake8's "findings").
POLICY_ERROR_STATUS = 2


def stop_on_policy_error(error: PolicyError) -> NoReturn:
    """One line on stderr and exit status 2, before any file is checked.

    flake8 would print its own "There was a critical error" line above an ``ExecutionError``
    and exit 1, the status of an ordinary finding: a CI job could not tell the two apart.
    """
    sys.stderr.write(f"costguard: invalid policy: {error}\n")
    sys.stderr.flush()
    raise SystemExit(POLICY_ERROR_STATUS)


_strict_checked: dict[int, tuple[Policy, PolicyError | None]] = {}


def strict_problem(policy: Policy) -> PolicyError | None:
    """With ``strict = true``, the first policy warning, as an error (else None); once per policy."""
    if not policy.strict:
        return None
    known = _strict_checked.get(id(policy))
    if known is None or known[0] is not policy:
        problems = policy_warnings(policy)
        known = _strict_checked[id(policy)] = (policy, problems[0] if problems else None)
    return known[1]


def _selects_costguard(options: argparse.Namespace) -> bool:
    """True when the user asked for CG codes by name (``--select CG``, ``--select CG101``)."""
    for attribute in ("select", "extend_select"):
        for code in getattr(options, attribute, None) or ():
            if code.startswith("CG") or "CG".startswith(code):
                return True
    return False


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
        """Load and validate the policy once; a bad policy stops flake8 with one clear line.

        Policy warnings (a first-party module that does not exist) are printed once per policy
        file on stderr; with ``strict = true`` they are errors. Selecting CG codes where no
        policy exists is an error too: the run would check nothing.
        """
        cls.config_policy = None
        try:
            config = getattr(options, "costguard_config", None)
            policies: list[Policy] = []
            if config:
                cls.config_policy = load_policy(config, required=True)
                policies.append(cls.config_policy)  # type: ignore[arg-type]
            else:
                seen: set[str] = set()
                paths = list(getattr(options, "filenames", None) or args or ["."])
                for path in paths:
                    if path == "-":
                        path = "."
                    policy_file = find_policy_file(path)
                    if policy_file is not None and str(policy_file) not in seen:
                        seen.add(str(policy_file))
                        policies.append(load_policy(policy_file, required=True))  # type: ignore[arg-type]
                if not policies and _selects_costguard(options):
                    where = ", ".join(paths)
                    raise PolicyError(
                        os.path.abspath(paths[0]), "tool.costguard",
                        f"no [tool.costguard] policy in any pyproject.toml at or above {where}, so CG "
                        "would check nothing (add one, or name one with --costguard-config PATH)",
                    )
            for policy in policies:
                problems = policy_warnings(policy)
                if problems and policy.strict:
                    raise problems[0]
                for problem in problems:
                    sys.stderr.write(f"costguard: warning: {problem}\n")
        except PolicyError as exc:
            stop_on_policy_error(exc)

    # -- checking ---------------------------------------------------------------------------

    def _policy(self) -> Policy | None:
        if self.config_policy is not None:
            return self.config_policy
        policy = load_policy_for(os.path.dirname(os.path.abspath(self.filename)))
        if policy is not None:
            problem = strict_problem(policy)
            if problem is not None:
                raise problem
        return policy

    def findings(self, *, use_libcst: bool = True) -> list[tuple[int, int, str]]:
        """(line, column, message) of every violation; raises on internal errors (tests use it).

        The stages are ``flake8_costguard.stages``, shared with ``costguard check``.
        """
        policy = self._policy()
        if policy is not None:
            self.importer = module_of_file(self.filename, policy.roots)[0]
        return staged_findings(self.filename, self.lines, policy, self.stage_counts, self.tree, use_libcst=use_libcst)

    def run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        """flake8's entry: never raises; a problem becomes one CG100 finding on line 1."""
        try:
            results = self.findings()
        except PolicyError as exc:
            yield 1, 0, f"CG100 invalid costguard policy: {exc}", type(self)
            return
        except Exception as exc:  # noqa: BLE001 - a lint plugin must never crash flake8
            yield 1, 0, f"CG100 costguard could not check this file: {type(exc).__name__}: {exc}", type(self)
            return
        for line, col, message in results:
            yield line, col, message, type(self)
