"""Closed pipes (``... | head -1``): the guard's command-line tools stop quietly, no traceback."""

from __future__ import annotations

import os
import sys
from typing import Callable

__all__ = ["print_out", "run_quietly"]


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # pragma: no cover - no real stdout
        pass


def print_out(text: str) -> bool:
    """Print ``text`` to stdout; False (and stdout silenced) when the reader has gone."""
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return False
    return True


def run_quietly(main: Callable[[], int]) -> int:
    """Run a command's ``main``; a closed pipe ends it with status 1 and no traceback."""
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return 1
    return status
