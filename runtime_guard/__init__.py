"""costguard runtime side: an import guard that enforces ``[tool.costguard]`` bans while programs run.

Standard library only. Four ways to turn it on, all reading the same policy:
``install()`` (or ``with install():``), ``COSTGUARD_RUNTIME=raise`` at interpreter start (a
``.pth`` file), ``python -m runtime_guard [-m module | script.py]``, and the pytest plugin. A
banned module protects itself with ``guarded = protect(__name__)``.

PYTEST_DONT_REWRITE: with ``COSTGUARD_RUNTIME`` set this package is imported at start-up, before
pytest could rewrite it (the pytest plugin has no assertions to rewrite).
"""

from runtime_guard.errors import CostguardWarning, ForbiddenImportError
from runtime_guard.hook import Guard, install, uninstall
from runtime_guard.operations import ForbiddenOperationError
from runtime_guard.policy import Policy, PolicyError, load_policy
from runtime_guard.protect import Protection, protect

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
