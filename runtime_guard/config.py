"""Which policy and which mode: explicit argument > ``COSTGUARD_RUNTIME`` > the policy file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Union

from runtime_guard.policy import RUNTIME_MODES, Policy, PolicyError, find_pyproject, load_policy, load_policy_for

__all__ = ["ENV_MODE", "ENV_CONFIG", "PolicySource", "resolve_policy", "resolve_mode", "env_mode", "policy_near"]

ENV_MODE = "COSTGUARD_RUNTIME"
ENV_CONFIG = "COSTGUARD_CONFIG"
# COSTGUARD_RUNTIME values that turn the guard on with the policy file's own mode.
_USE_POLICY_MODE = ("1", "on", "true", "yes", "policy")

PolicySource = Union[Policy, str, "os.PathLike[str]", None]


def resolve_policy(policy: PolicySource = None, start: str | os.PathLike[str] | None = None) -> Policy | None:
    """An explicit policy (object or file), else ``COSTGUARD_CONFIG``, else the nearest pyproject.

    Returns None when no policy exists; raises :class:`PolicyError` for a bad one.
    """
    if isinstance(policy, Policy):
        return policy
    if policy is not None:
        return load_policy(policy)
    configured = os.environ.get(ENV_CONFIG)
    if configured:
        return load_policy(configured)
    return load_policy_for(start if start is not None else os.getcwd())


def policy_near(path: str | os.PathLike[str]) -> Policy | None:
    """The policy of the pyproject.toml above ``path``, or None (never raises for a missing one)."""
    if find_pyproject(path) is None:
        return None
    return load_policy_for(path)


def env_mode() -> str | None:
    """The mode ``COSTGUARD_RUNTIME`` asks for: a mode, ``"policy"`` (use the file's), or None."""
    value = os.environ.get(ENV_MODE, "").strip().lower()
    if not value:
        return None
    if value in _USE_POLICY_MODE:
        return "policy"
    if value not in RUNTIME_MODES:
        raise PolicyError(
            ENV_MODE, "environment", f"expected one of {', '.join(RUNTIME_MODES)} (or 1/on), got {value!r}"
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
