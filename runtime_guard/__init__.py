"""costguard runtime side: an import guard that enforces ``[tool.costguard]`` bans while programs run.

Standard library only. Four ways to turn it on, all reading the same policy:
``install()`` (or ``with install():``), ``COSTGUARD_RUNTIME=raise`` at interpreter start (a
``.pth`` file), ``python -m runtime_guard [-m module | script.py]``, and the pytest plugin. A
banned module protects itself with ``guarded = protect(__name__)``.

PYTEST_DONT_REWRITE: with ``COSTGUARD_RUNTIME`` set this package is imported at start-up, before
pytest could rewrite it (the pytest plugin has no assertions to rewrite).
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # not ``typing.TYPE_CHECKING``: importing typing costs every command ~10 ms
if TYPE_CHECKING:  # pragma: no cover - for type checkers; at run time names load on first use
    from runtime_guard.errors import CostguardWarning, ForbiddenImportError
    from runtime_guard.hook import Guard, install, uninstall
    from runtime_guard.operations import ForbiddenOperationError
    from runtime_guard.policy import Policy, PolicyError, load_policy
    from runtime_guard.protect import Protection, protect
    from typing import Any

# The public names load on first use (PEP 562): the flake8 plugin imports
# ``runtime_guard.policy`` and must not pay for the hook's modules on every flake8 run.
_LAZY = {
    "CostguardWarning": "runtime_guard.errors",
    "ForbiddenImportError": "runtime_guard.errors",
    "Guard": "runtime_guard.hook",
    "install": "runtime_guard.hook",
    "uninstall": "runtime_guard.hook",
    "ForbiddenOperationError": "runtime_guard.operations",
    "Policy": "runtime_guard.policy",
    "PolicyError": "runtime_guard.policy",
    "load_policy": "runtime_guard.policy",
    "Protection": "runtime_guard.protect",
    "protect": "runtime_guard.protect",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runtime_guard' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "CostguardWarning",
    "ForbiddenImportError",
    "ForbiddenOperationError",
    "Guard",
    "Policy",
    "PolicyError",
    "Protection",
    "install",
    "load_policy",
    "protect",
    "uninstall",
]
