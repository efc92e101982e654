"""Interpreter start-up switch, imported by ``costguard_runtime.pth`` only when ``COSTGUARD_RUNTIME`` is set.

It never breaks an interpreter: a bad or missing policy prints one warning line on stderr and
leaves the process unguarded, so pip and every other tool in the environment keep working.
"""

from __future__ import annotations

import os
import sys


def start() -> None:
    """Install the guard from the environment, or say in one line why not."""
    try:
        from runtime_guard.config import ENV_CONFIG, ENV_MODE, env_mode
        from runtime_guard.hook import install

        try:
            if env_mode() == "off":
                return
            install()
        except Exception as exc:  # PolicyError, or anything unexpected: one line, unguarded
            where = os.environ.get(ENV_CONFIG) or os.getcwd()
            sys.stderr.write(f"costguard: {ENV_MODE} is set but the runtime guard is off ({where}): {exc}\n")
    except Exception as exc:  # pragma: no cover - a broken installation
        sys.stderr.write(f"costguard: the runtime guard could not start: {exc}\n")


start()
