"""``python -m runtime_guard [--mode M] [--policy FILE] (-m module | script.py) [args...]``.

Runs a program under the guard with its own arguments; the exit code is the program's
(2 for a usage error or a bad policy, before the program starts).
"""

from __future__ import annotations

import os
import runpy
import sys
from types import TracebackType
from typing import Sequence

from runtime_guard.policy import RUNTIME_MODES, PolicyError

USAGE = "usage: python -m runtime_guard [--mode raise|warn|log|off] [--policy FILE] (-m module | script.py) [args...]"


class UsageError(Exception):
    pass


def parse(argv: Sequence[str]) -> tuple[str | None, str | None, str | None, str | None, list[str]]:
    """(mode, policy, module, script, program args) from our own options up to the program."""
    mode = policy = module = script = None
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("-h", "--help"):
            raise UsageError("")
        if arg.startswith("--mode"):
            value = arg.partition("=")[2] if "=" in arg else (args.pop(0) if args else "")
            if value not in RUNTIME_MODES:
                raise UsageError(f"--mode: expected one of {', '.join(RUNTIME_MODES)}, got {value!r}")
            mode = value
        elif arg.startswith("--policy"):
            policy = arg.partition("=")[2] if "=" in arg else (args.pop(0) if args else "")
            if not policy:
                raise UsageError("--policy: expected a file")
        elif arg == "-m":
            if not args:
                raise UsageError("-m: expected a module name")
            module = args.pop(0)
            return mode, policy, module, None, args
        elif arg.startswith("-"):
            raise UsageError(f"unknown option {arg!r}")
        else:
            script = arg
            return mode, policy, None, script, args
    raise UsageError("expected -m module or a script to run")


def _not_found(exc: ImportError) -> bool:
    """True when runpy could not find the module to run (no frame of the program took part)."""
    from runtime_guard.errors import ForbiddenImportError
    from runtime_guard.frames import is_machinery_frame

    if isinstance(exc, ForbiddenImportError):
        return False
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        if not is_machinery_frame(tb.tb_frame):
            return False
        tb = tb.tb_next
    return True


def main(argv: Sequence[str] | None = None) -> int:
    try:
        mode, policy, module, script, args = parse(sys.argv[1:] if argv is None else argv)
    except UsageError as exc:
        print(f"{USAGE}\n{exc}" if str(exc) else USAGE, file=sys.stderr)
        return 0 if not str(exc) else 2
    if script is not None and not os.path.isfile(script):
        print(f"costguard: {script}: no such script", file=sys.stderr)
        return 2
    from runtime_guard.hook import active_guard, install

    program = os.path.abspath(script) if script is not None else None
    if module is not None:
        from runtime_guard.config import program_location

        program = program_location(["python", "-m", module])
    try:
        started = active_guard()  # a guard from start-up (COSTGUARD_RUNTIME)
        if started is not None and policy is None:
            install(mode=mode)  # our --mode overrides it while the program runs
        else:
            install(policy, mode, program=program)
    except PolicyError as exc:
        print(f"costguard: {exc}", file=sys.stderr)
        return 2
    if module is not None:
        sys.argv = [module, *args]
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        except ImportError as exc:
            if not _not_found(exc):
                raise
            print(f"costguard: {exc}", file=sys.stderr)  # as `python -m`: one line, status 1
            return 1
    else:
        assert script is not None
        sys.argv = [script, *args]
        sys.path[0] = os.path.dirname(os.path.abspath(script))
        runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    from runtime_guard._pipes import run_quietly

    sys.exit(run_quietly(main))
