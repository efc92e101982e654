"""Interpreter start-up switch, imported by ``costguard_runtime.pth`` only when ``COSTGUARD_RUNTIME`` is set.

``raise``/``warn``/``log``/``1`` never break an interpreter: a bad or missing policy prints one
warning line on stderr and leaves the process unguarded, so pip and every other tool in the
environment keep working. ``require`` makes it fatal: one line on stderr and exit status 2
before any user code runs (``os._exit``: in a ``.pth`` file ``sys.exit`` would become a fatal
error with status 1).
"""

from __future__ import annotations

import os
import sys

# The handle of the start-up guard (never uninstalled: it lives as long as the interpreter).
guard = None


def start() -> None:
    """Install the guard from the environment, or say in one line why not."""
    global guard
    # Read before anything is imported: an installation too broken to import the guard (a
    # missing dependency) must still stop a `require` run.
    required = os.environ.get("COSTGUARD_RUNTIME", "").strip().lower() == "require"
    try:
        from runtime_guard.config import ENV_CONFIG, ENV_MODE, env_mode, env_requires_policy
        from runtime_guard.hook import install

        required = required or env_requires_policy()
        try:
            if env_mode() == "off":
                return
            guard = install()
        except Exception as exc:  # PolicyError, or anything unexpected: one line
            where = os.environ.get(ENV_CONFIG) or os.getcwd()
            if required:
                sys.stderr.write(f"costguard: {ENV_MODE}=require and no usable policy ({where}): {exc}\n")
                sys.stderr.flush()
                os._exit(2)
            sys.stderr.write(f"costguard: {ENV_MODE} is set but the runtime guard is off ({where}): {exc}\n")
    except Exception as exc:  # pragma: no cover - a broken installation
        sys.stderr.write(f"costguard: the runtime guard could not start: {exc}\n")
        if required:
            sys.stderr.flush()
            os._exit(2)


start()
