"""The ``costguard`` console script: ``costguard <command> [args...]``.

Each command lives in its own module, imported only when that command runs (so ``costguard
check`` never pays for another command's imports). Add a command with one line in ``COMMANDS``.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing is not imported: a command's own imports are all it pays for
if TYPE_CHECKING:  # pragma: no cover
    from typing import Sequence

__all__ = ["COMMANDS", "main"]

#: command -> (module:function taking argv and returning the exit status, one-line summary)
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("flake8_costguard.check:main", "check files for imports the policy bans (the lint, without flake8)"),
    "meter": ("runtime_guard.meter:main", "run a program and count every billable AWS request it makes (costguard meter -- COMMAND...)"),
}

USAGE = "usage: costguard <command> [args...]; commands: " + ", ".join(COMMANDS) + " (costguard <command> --help)"


def _help() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: costguard <command> [args...]", "", "commands:"]
    lines += [f"  {name:<{width}}  {summary}" for name, (_, summary) in COMMANDS.items()]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(USAGE, file=sys.stderr)
        return 2
    if args[0] in ("-h", "--help"):
        sys.stdout.write(_help())
        return 0
    entry = COMMANDS.get(args[0])
    if entry is None:
        print(f"costguard: unknown command {args[0]!r}; {USAGE}", file=sys.stderr)
        return 2
    module_name, _, function = entry[0].partition(":")
    __import__(module_name)
    command = getattr(sys.modules[module_name], function)
    return int(command(args[1:]) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
