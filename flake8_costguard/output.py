"""Machine-readable output of lint findings: text, JSON, SARIF 2.1.0 and GitHub annotations.

Written once, for every front end: the flake8 formatters (``flake8_costguard.formatters``) and
``costguard check`` both hand a list of :class:`Report` to :func:`render`. This module imports
neither flake8 nor libcst (the fast path of ``costguard check`` never loads them).

- ``text``: flake8's default ``path:line:col: CODE message``.
- ``json``: exactly what flake8-json's ``--format=json`` prints (``{"path": [{"code", "filename",
  "line_number", "column_number", "text", "physical_line"}, ...], ...}``, one line, files in
  name order, each file's findings by position, files without findings as ``[]``), so tools
  that read flake8-json read this.
- ``sarif``: one SARIF 2.1.0 run; rule metadata from the ``RULES`` table and the rule pages.
- ``github``: one workflow command per finding, ``::error file=...,line=...,col=...,title=...::``
  with the escaping GitHub's toolkit uses (``%``, CR, LF in the message; also ``:`` and ``,``
  in properties).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterable, Mapping, NamedTuple, Sequence

# ``typing`` is loaded anyway (``tomllib`` imports it); json, re, urllib and pathlib load only in
# the formats that need them, so ``costguard check`` with text output pays for none of them.
if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

__all__ = [
    "FORMATS",
    "Report",
    "RuleInfo",
    "costguard_rules",
    "format_github",
    "format_json",
    "format_sarif",
    "format_text",
    "render",
]

FORMATS = ("text", "json", "sarif", "github")

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


class Report(NamedTuple):
    """One finding as every format needs it. ``col`` is 1-based, as flake8 prints it."""

    path: str
    line: int
    col: int
    code: str
    message: str  # without the code
    physical_line: str | None = None  # the source line(s) of the finding, as flake8 gives them


class RuleInfo(NamedTuple):
    """What SARIF says about a rule: its summary, and its page when there is one."""

    id: str
    summary: str = ""
    description: str = ""  # the page's "What it does" section, as plain text
    help_markdown: str = ""  # the whole page
    page: str = ""  # the page's path relative to the project root, e.g. docs/rules/CG101.md


def _ordered(reports: Iterable[Report]) -> list[Report]:
    return sorted(reports, key=lambda r: (r.path, r.line, r.col, r.code))


# ---------------------------------------------------------------------------------------------
# text
# ---------------------------------------------------------------------------------------------


def format_text(reports: Iterable[Report]) -> str:
    """flake8's default format, one finding a line (empty when there is none)."""
    return "".join(f"{r.path}:{r.line}:{r.col}: {r.code} {r.message}\n" for r in _ordered(reports))


# ---------------------------------------------------------------------------------------------
# json (flake8-json's DefaultJSON, byte for byte)
# ---------------------------------------------------------------------------------------------


def format_json(reports: Iterable[Report], files: Iterable[str] = ()) -> str:
    """flake8-json's shape: ``files`` (every file checked) appear even without findings."""
    import json

    by_file: dict[str, list[Report]] = {path: [] for path in files}
    for report in reports:
        by_file.setdefault(report.path, []).append(report)
    parts = []
    for path in sorted(by_file):
        items = ", ".join(
            json.dumps(
                {
                    "code": r.code,
                    "filename": r.path,
                    "line_number": r.line,
                    "column_number": r.col,
                    "text": r.message,
                    "physical_line": r.physical_line,
                }
            )
            for r in sorted(by_file[path], key=lambda r: (r.line, r.col))
        )
        parts.append(f"{json.dumps(path)}: [{items}]")
    return "{" + ", ".join(parts) + "}"


# ---------------------------------------------------------------------------------------------
# GitHub workflow commands
# ---------------------------------------------------------------------------------------------


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_github(reports: Iterable[Report], tool: str = "costguard") -> str:
    """``::error file=F,line=L,col=C,title=T::CODE message`` per finding (GitHub's escaping)."""
    lines = []
    for r in _ordered(reports):
        path = r.path[2:] if r.path.startswith("./") else r.path
        props = ",".join(
            f"{key}={_escape_property(value)}"
            for key, value in (("file", path), ("line", str(r.line)), ("col", str(r.col)), ("title", f"{tool} {r.code}"))
        )
        lines.append(f"::error {props}::{_escape_data(f'{r.code} {r.message}')}\n")
    return "".join(lines)


# ---------------------------------------------------------------------------------------------
# SARIF 2.1.0
# ---------------------------------------------------------------------------------------------

_SECTION = r"^## (.+?)\n(.*?)(?=^## |\Z)"  # compiled by costguard_rules (SARIF only)


def _plain(markdown: str) -> str:
    """A markdown section as plain text: paragraphs kept, lines within a paragraph joined."""
    paragraphs = [" ".join(line.strip() for line in p.splitlines()) for p in markdown.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p).replace("`", "")


def _rule_pages_dir() -> Path | None:
    """The rule pages: shipped in the wheel, or the source checkout's docs/rules."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    for candidate in (here / "rule_pages", here.parent / "docs" / "rules"):
        if candidate.is_dir():
            return candidate
    return None


def costguard_rules() -> dict[str, RuleInfo]:
    """Every costguard code (``RULES``), with its page's text where the page exists."""
    import re

    from .graph import CHAIN_RULE  # CG104, reported by costguard check
    from .rules import RULES  # the table; importing it loads no flake8

    pages = _rule_pages_dir()
    rules: dict[str, RuleInfo] = {}
    for code, summary in {**RULES, CHAIN_RULE[0]: CHAIN_RULE[1]}.items():
        description = help_markdown = page = ""
        if pages is not None and (pages / f"{code}.md").is_file():
            help_markdown = (pages / f"{code}.md").read_text(encoding="utf-8")
            sections = {title.strip(): body for title, body in re.findall(_SECTION, help_markdown, re.S | re.M)}
            description = _plain(sections.get("What it does", ""))
            page = f"docs/rules/{code}.md"
        rules[code] = RuleInfo(code, summary, description, help_markdown, page)
    return rules


def _artifact_location(path: str) -> dict[str, str]:
    posix = path.replace(os.sep, "/")
    if posix.startswith("./"):
        posix = posix[2:]
    if os.path.isabs(path):
        from pathlib import Path

        return {"uri": Path(path).as_uri()}
    import urllib.parse

    return {"uri": urllib.parse.quote(posix), "uriBaseId": "%SRCROOT%"}


def _sarif_rule(info: RuleInfo) -> dict[str, object]:
    rule: dict[str, object] = {"id": info.id}
    if info.summary:
        rule["shortDescription"] = {"text": info.summary}
    if info.description:
        rule["fullDescription"] = {"text": info.description}
    if info.help_markdown:
        rule["help"] = {"text": info.description or info.summary, "markdown": info.help_markdown}
    if info.page:
        rule["properties"] = {"page": info.page}
    rule["defaultConfiguration"] = {"level": _level(info.id)}
    return rule


def _level(code: str) -> str:
    return "error" if code.startswith("CG") else "warning"


def format_sarif(
    reports: Iterable[Report],
    *,
    tool: str = "costguard",
    version: str = "",
    rules: Mapping[str, RuleInfo] | None = None,
) -> str:
    """One SARIF 2.1.0 log with one run: every known rule, then every code seen, as rules."""
    import json

    ordered = _ordered(reports)
    known = dict(costguard_rules() if rules is None else rules)
    for report in ordered:
        known.setdefault(report.code, RuleInfo(report.code))
    codes = sorted(known)
    index = {code: i for i, code in enumerate(codes)}
    driver: dict[str, object] = {"name": tool}
    if version:
        driver["version"] = version
    driver["rules"] = [_sarif_rule(known[code]) for code in codes]
    results = [
        {
            "ruleId": r.code,
            "ruleIndex": index[r.code],
            "level": _level(r.code),
            "message": {"text": f"{r.code} {r.message}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact_location(r.path),
                        "region": {"startLine": r.line, "startColumn": r.col},
                    }
                }
            ],
        }
        for r in ordered
    ]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "columnKind": "unicodeCodePoints", "results": results}],
    }
    return json.dumps(log, indent=2) + "\n"


# ---------------------------------------------------------------------------------------------


def render(
    fmt: str,
    reports: Sequence[Report],
    *,
    files: Iterable[str] = (),
    tool: str = "costguard",
    version: str = "",
) -> str:
    """The whole output of one run in format ``fmt`` (one of ``FORMATS``)."""
    if fmt == "text":
        return format_text(reports)
    if fmt == "json":
        return format_json(reports, files)
    if fmt == "sarif":
        return format_sarif(reports, tool=tool, version=version)
    if fmt == "github":
        return format_github(reports, tool)
    raise ValueError(f"unknown output format {fmt!r} (expected one of: {', '.join(FORMATS)})")
