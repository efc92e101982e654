"""The ``costguard`` console script: one command, subcommands that import what they need lazily.

``costguard meter [options] -- COMMAND...`` runs a program and counts its billable AWS requests
(``runtime_guard.meter``). Each subcommand is ``name -> (module, help)``; its module's
``main(argv, prog=...)`` returns the exit status.
"""

from __future__ import annotations

import importlib
import sys
from typing import Sequence

__all__ = ["SUBCOMMANDS", "main"]

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "meter": ("runtime_guard.meter", "run a program and count every billable AWS request it makes"),
}


def _usage() -> str:
    lines = ["usage: costguard SUBCOMMAND [options] ...", "", "subcommands:"]
    lines += [f"  {name:<8} {help_text}" for name, (_, help_text) in SUBCOMMANDS.items()]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(_usage())
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in SUBCOMMANDS:
        sys.stderr.write(f"costguard: unknown subcommand {name!r} (expected one of: {', '.join(SUBCOMMANDS)})\n")
        return 2
    module = importlib.import_module(SUBCOMMANDS[name][0])
    return int(module.main(rest, prog=f"costguard {name}"))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
