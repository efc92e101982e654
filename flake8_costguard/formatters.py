"""flake8 formatters ``--format=json|sarif|github`` (the ``flake8.report`` entry points).

Thin wrappers: each collects flake8's violations and, when flake8 is done, writes what
``flake8_costguard.output`` renders for them (the same code ``costguard check`` uses).
Statistics and benchmarks (``--statistics``, ``--benchmark``) are not written in these formats:
the output must stay one parseable document.
"""

from __future__ import annotations

from typing import Any

import flake8
from flake8.formatting.base import BaseFormatter
from flake8.violation import Violation

from .output import Report, render

__all__ = ["GitHubFormatter", "JSONFormatter", "SARIFFormatter"]


class _Collecting(BaseFormatter):
    fmt = "text"

    def after_init(self) -> None:
        self.reports: list[Report] = []
        self.files: list[str] = []

    def beginning(self, filename: str) -> None:
        self.files.append(filename)

    def format(self, error: Violation) -> None:  # type: ignore[override]
        self.reports.append(
            Report(error.filename, error.line_number, error.column_number, error.code, error.text, error.physical_line)
        )
        return None

    def show_source(self, error: Violation) -> None:  # type: ignore[override]
        return None

    def show_statistics(self, statistics: Any) -> None:
        return None

    def show_benchmarks(self, benchmarks: Any) -> None:
        return None

    def stop(self) -> None:
        text = render(self.fmt, self.reports, files=self.files, tool="flake8", version=flake8.__version__)
        if text:
            self._write(text)
        super().stop()


class JSONFormatter(_Collecting):
    """flake8-json's ``json`` shape (one line, no trailing newline, as flake8-json prints it)."""

    fmt = "json"

    def after_init(self) -> None:
        super().after_init()
        self.newline = ""


class SARIFFormatter(_Collecting):
    """One SARIF 2.1.0 log; costguard's rules carry their rule pages."""

    fmt = "sarif"

    def after_init(self) -> None:
        super().after_init()
        self.newline = ""


class GitHubFormatter(_Collecting):
    """GitHub Actions workflow commands: one ``::error ...::`` annotation per finding."""

    fmt = "github"

    def after_init(self) -> None:
        super().after_init()
        self.newline = ""
