"""Errors the platform reports to people: one line naming the input, never a traceback."""

from __future__ import annotations


class SecfilingsError(Exception):
    """Base class: ``str(error)`` is the one-line message shown to the user."""


class ConfigError(SecfilingsError):
    """A bad setting (flag, environment variable) — the message names it."""


class RejectedDocument(SecfilingsError):
    """A document that cannot be ingested. ``source`` names the input, ``reason`` says why."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")

    def __reduce__(self):  # crosses process boundaries intact
        return (type(self), (self.source, self.reason))


class NotFound(SecfilingsError):
    """A CIK or accession number that the platform does not know."""


def one_line(error: BaseException) -> str:
    """The first line of an error's message (its type's name when it has none)."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
