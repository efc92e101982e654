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
