"""Which policy and which mode.

Policy, first found wins: an explicit argument, ``COSTGUARD_CONFIG``, the nearest policy from the
working directory upward, the nearest from the running program's location upward (the script's
folder, or the package of ``python -m pkg.mod``), then the policies installed distributions
ship (entry point group ``costguard.policy``; these apply together). Mode: explicit argument >
``COSTGUARD_RUNTIME`` > the policy file's ``[tool.costguard.runtime] mode``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Union

from runtime_guard.policy import RUNTIME_MODES, Policy, PolicyError, find_pyproject, load_policy, load_policy_for

__all__ = ["ENV_MODE", "ENV_CONFIG", "PolicySource", "resolve_policy", "resolve_mode", "env_mode", "env_requires_policy",
           "policy_near", "program_location", "installed_policy", "installed_policy_files"]

ENV_MODE = "COSTGUARD_RUNTIME"
ENV_CONFIG = "COSTGUARD_CONFIG"
# COSTGUARD_RUNTIME values that turn the guard on with the policy file's own mode.
_USE_POLICY_MODE = ("1", "on", "true", "yes", "policy")
# COSTGUARD_RUNTIME=require: mode raise, and a missing or broken policy is fatal at start-up.
REQUIRE = "require"
# Entry point group naming, per installed distribution, a package that ships POLICY_FILE.
ENTRY_POINT_GROUP = "costguard.policy"
POLICY_FILE = "costguard_policy.toml"
# Interpreter options that take a separate argument (the program is the first argument after them).
_OPTIONS_WITH_VALUE = frozenset({"-W", "-X", "--check-hash-based-pycs"})

PolicySource = Union[Policy, str, "os.PathLike[str]", None]


def resolve_policy(
    policy: PolicySource = None,
    start: str | os.PathLike[str] | None = None,
    program: str | None = None,
) -> Policy | None:
    """The policy, in the order the module docstring gives (``start`` replaces the working
    directory, ``program`` the running program's location).

    Returns None when no policy exists; raises :class:`PolicyError` for a bad one.
    """
    if isinstance(policy, Policy):
        return policy
    if policy is not None:
        return load_policy(policy)
    configured = os.environ.get(ENV_CONFIG)
    if configured:
        return load_policy(configured)
    found = load_policy_for(start if start is not None else os.getcwd())
    if found is not None:
        return found
    location = program if program is not None else program_location()
    if location:
        found = load_policy_for(location)
        if found is not None:
            return found
    return installed_policy()


def program_location(argv: list[str] | None = None, path: list[str] | None = None) -> str | None:
    """Where the running program lives: the script's file, or the folder of the top package of
    ``python -m pkg.mod`` (found on ``sys.path`` without importing anything), from
    ``sys.orig_argv`` (complete already while ``.pth`` files run). None for ``-c``, ``-`` and
    the interactive interpreter."""
    args = list(getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv]) if argv is None else list(argv)
    index = 1
    while index < len(args):
        arg = args[index]
        if arg.startswith(("-X", "-W")) and len(arg) > 2:  # -Xdev, -Wignore: the value is attached
            index += 1
            continue
        if arg == "-m" or (arg.startswith("-m") and not arg.startswith("--")):
            module = arg[2:] or (args[index + 1] if index + 1 < len(args) else "")
            if module == "runtime_guard":  # python -m runtime_guard [options] (-m mod | script.py)
                return _guarded_program(args[index + (1 if arg[2:] else 2) :], path)
            return _module_location(module, path)
        if arg == "-c" or (arg.startswith("-") and not arg.startswith("--") and "c" in arg[1:] and arg[1:].isalpha()):
            return None
        if arg in _OPTIONS_WITH_VALUE:
            index += 2
            continue
        if arg == "-" or arg == "--":
            return None
        if arg.startswith("-"):
            index += 1
            continue
        return os.path.abspath(arg)
    return None


def _guarded_program(args: list[str], path: list[str] | None) -> str | None:
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("--mode", "--policy"):
            index += 2
        elif arg.startswith(("--mode=", "--policy=")):
            index += 1
        elif arg == "-m":
            return _module_location(args[index + 1], path) if index + 1 < len(args) else None
        elif arg.startswith("-"):
            return None
        else:
            return os.path.abspath(arg)
    return None


def _module_location(module: str, path: list[str] | None) -> str | None:
    top = module.partition(".")[0]
    if not top.isidentifier():
        return None
    for entry in [os.getcwd(), *(sys.path if path is None else path)]:
        folder = os.path.join(entry or os.getcwd(), top)
        if os.path.isdir(folder):
            return folder
        if os.path.isfile(folder + ".py"):
            return folder + ".py"
    return None


def installed_policy_files() -> list[Path]:
    """The policy files installed distributions ship: each ``costguard.policy`` entry point
    names a package, whose folder holds ``costguard_policy.toml``."""
    from importlib import metadata

    files: list[Path] = []
    try:
        points = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda point: (point.name, point.value))
    except Exception:  # pragma: no cover - a broken distribution's metadata
        return files
    for point in points:
        package = point.value.partition(":")[0].strip()
        relative = os.path.join(*package.split("."), POLICY_FILE) if package else ""
        if not relative:
            continue
        candidates = []
        if point.dist is not None:
            try:
                candidates.append(Path(str(point.dist.locate_file(relative))))
            except Exception:  # pragma: no cover
                pass
        candidates += [Path(entry or os.getcwd()) / relative for entry in sys.path]
        for candidate in candidates:
            if candidate.is_file():
                if candidate not in files:
                    files.append(candidate)
                break
    return files


def installed_policy() -> Policy | None:
    """The bans and operation bans of every installed distribution's policy, together (each ban
    is self-contained); mode and prices from the first. None when no distribution ships one."""
    policies = [load_policy(file) for file in installed_policy_files()]
    policies = [policy for policy in policies if policy is not None]
    if not policies:
        return None
    if len(policies) == 1:
        return policies[0]
    first = policies[0]
    bans = tuple(ban for policy in policies for ban in policy.bans)
    operations = tuple(ban for policy in policies for ban in policy.operations)
    return Policy(bans=bans, runtime=first.runtime, prices=first.prices, source=None, operations=operations)


def policy_near(path: str | os.PathLike[str]) -> Policy | None:
    """The policy of the pyproject.toml above ``path``, or None (never raises for a missing one)."""
    if find_pyproject(path) is None:
        return None
    return load_policy_for(path)


def env_requires_policy() -> bool:
    """``COSTGUARD_RUNTIME=require``: a missing or broken policy stops the interpreter at start-up."""
    return os.environ.get(ENV_MODE, "").strip().lower() == REQUIRE


def env_mode() -> str | None:
    """The mode ``COSTGUARD_RUNTIME`` asks for: a mode, ``"policy"`` (use the file's), or None."""
    value = os.environ.get(ENV_MODE, "").strip().lower()
    if not value:
        return None
    if value in _USE_POLICY_MODE:
        return "policy"
    if value == REQUIRE:
        return "raise"
    if value not in RUNTIME_MODES:
        raise PolicyError(
            ENV_MODE, "environment", f"expected one of {', '.join(RUNTIME_MODES)}, {REQUIRE} (or 1/on), got {value!r}"
        )
    return value


def resolve_mode(mode: str | None, policy: Policy | None) -> str:
    """The explicit ``mode``, else ``COSTGUARD_RUNTIME``, else the policy's ``[tool.costguard.runtime] mode``."""
    if mode is not None:
        if mode not in RUNTIME_MODES:
            raise PolicyError("mode", "argument", f"expected one of {', '.join(RUNTIME_MODES)}, got {mode!r}")
        return mode
    from_env = env_mode()
    if from_env is not None and from_env != "policy":
        return from_env
    return policy.runtime.mode if policy is not None else "raise"


def policy_file(policy: Policy) -> Path | None:
    return policy.source
