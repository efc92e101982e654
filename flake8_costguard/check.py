"""``costguard check [PATH...]``: the costguard rules over a whole tree, without flake8.

Same policy, rules, messages and positions as the flake8 plugin: both call the rule functions of
``flake8_costguard.rules`` (``scan_candidates``, ``find_violations``) after the same stages,
cheapest first (module not guarded -> done; text never spells a banned leaf -> done; no ast
candidate -> done; exact answer). This module imports no flake8; the rules (and libcst, which
they may use for the exact answer) are imported only when a file reaches the ast stage.

``# noqa`` and ``# noqa: CG101`` work as in flake8 (same pattern, on the same logical line),
and so does a ``# flake8: noqa`` line for the whole file. Exit status: 0 no finding, 1
findings, 2 a policy or usage error (one line on stderr).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import argparse

# argparse, subprocess, tokenize and dataclasses are not imported here: a clean run over files
# given on the command line needs none of them (each is imported where it is used).

from runtime_guard.policy import Policy, PolicyError, load_policy, load_policy_for, module_name_for_path

from . import __version__
from .cache import CheckCache, content_digest, policy_key
from .output import FORMATS, Report, render
from .stages import new_counts, staged_findings

__all__ = ["CheckError", "Selection", "check_file", "discover", "main", "run"]

#: Folders never walked into (ruff's and flake8's defaults, plus virtual environments).
SKIPPED_DIRS = frozenset(
    {".venv", "venv", ".git", "build", "dist", "__pycache__", ".tox", ".nox", "node_modules", "site-packages",
     ".eggs", ".hg", ".svn", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
)
SOURCE_SUFFIXES = (".py",)  # flake8's default --filename=*.py: the two tools see the same files

# flake8's own patterns (flake8/defaults.py), so `noqa` means the same in both tools.
NOQA_INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.I)
_CODE_LIST = re.compile(r"[,\s]")


class CheckError(Exception):
    """A usage or policy problem: ``str()`` is the one line printed before exiting with 2."""


# ---------------------------------------------------------------------------------------------
# Selection (flake8's rule: the longest matching prefix decides, select wins a tie)
# ---------------------------------------------------------------------------------------------


class Selection:
    __slots__ = ("select", "ignore")

    def __init__(self, select: tuple[str, ...] = ("CG",), ignore: tuple[str, ...] = ()) -> None:
        self.select = tuple(select)
        self.ignore = tuple(ignore)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Selection) and (self.select, self.ignore) == (other.select, other.ignore)

    def __hash__(self) -> int:
        return hash((self.select, self.ignore))

    def __repr__(self) -> str:
        return f"Selection(select={self.select!r}, ignore={self.ignore!r})"

    @staticmethod
    def parse(value: str | None) -> tuple[str, ...]:
        return tuple(item.strip().upper() for item in _CODE_LIST.split(value or "") if item.strip())

    def wants(self, code: str) -> bool:
        selected = max((len(p) for p in self.select if code.startswith(p)), default=-1)
        ignored = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        return selected >= 0 and selected >= ignored


# ---------------------------------------------------------------------------------------------
# One file
# ---------------------------------------------------------------------------------------------


_SPLITLINES_ONLY = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e")  # ASCII breaks of str.splitlines, not of files


def _utf8_lines(data: bytes) -> list[str] | None:
    """``decode_lines`` for the usual file (no BOM, no coding cookie, valid UTF-8) without
    ``tokenize`` or a text wrapper: decoded, universal newlines (``\r\n`` and ``\r`` read as
    ``\n``), split after each newline; None for anything else."""
    if data.startswith(b"\xef\xbb\xbf"):
        return None
    head_end = data.find(b"\n", data.find(b"\n") + 1)
    head = data if head_end < 0 else data[:head_end]
    if b"coding" in head:
        return None  # a PEP 263 cookie may be there (or CR line ends): tokenize decides
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii() and not any(mark in text for mark in _SPLITLINES_ONLY):
        return text.splitlines(keepends=True)  # the same lines here, at C speed
    lines = text.split("\n")
    last = lines.pop()
    lines = [line + "\n" for line in lines]
    if last:
        lines.append(last)
    return lines


def decode_lines(data: bytes) -> list[str]:
    """Source bytes as flake8 reads them: PEP 263 encoding (``tokenize.open``), else latin-1."""
    fast = _utf8_lines(data)
    return fast if fast is not None else decode_with_tokenize(data)


def decode_with_tokenize(data: bytes) -> list[str]:
    """``decode_lines`` the way flake8 does it, for every file (``_utf8_lines`` is its shortcut)."""
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return io.TextIOWrapper(io.BytesIO(data), encoding, line_buffering=True).readlines()
    except (SyntaxError, UnicodeError):
        return io.TextIOWrapper(io.BytesIO(data), "latin-1").readlines()


def read_lines(path: str) -> list[str]:
    """The file's lines as flake8 reads them."""
    with open(path, "rb") as handle:
        return decode_lines(handle.read())


def noqa_lines(lines: Sequence[str]) -> dict[int, str]:
    """Line number -> the text flake8 searches for ``noqa`` (the whole logical line)."""
    import tokenize

    mapping: dict[int, str] = {}
    low, high = len(lines) + 2, -1
    try:
        tokens = list(tokenize.generate_tokens(iter(lines).__next__))
    except (tokenize.TokenError, SyntaxError):
        return {}
    for kind, _, (start, _), (end, _), _ in tokens:
        if kind in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        low, high = min(low, start), max(high, end)
        if kind in (tokenize.NL, tokenize.NEWLINE):
            joined = "".join(lines[low - 1 : high])
            for number in range(low, high + 1):
                mapping[number] = joined
            low, high = len(lines) + 2, -1
    return mapping


def _silenced(code: str, physical_line: str | None) -> bool:
    match = NOQA_INLINE.search(physical_line or "")
    if match is None:
        return False
    codes_text = match.groupdict()["codes"]
    if codes_text is None:
        return True
    codes = [item.strip() for item in _CODE_LIST.split(codes_text) if item.strip()]
    return code in codes or code.startswith(tuple(codes))


class Counts:
    """How many files reached each stage (the plugin's stages)."""

    __slots__ = ("files", "within", "mentions", "candidates", "exact")

    def __init__(self, files: int = 0, within: int = 0, mentions: int = 0, candidates: int = 0, exact: int = 0) -> None:
        self.files, self.within, self.mentions, self.candidates, self.exact = files, within, mentions, candidates, exact

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Counts) and all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __repr__(self) -> str:
        return "Counts(" + ", ".join(f"{k}={getattr(self, k)}" for k in self.__slots__) + ")"


def file_findings(filename: str, lines: Sequence[str], policy: Policy, counts: Counts | None = None) -> list[tuple[int, int, str]]:
    """(line, 0-based column, "CODE message") of the file's violations: the plugin's own stages
    (``flake8_costguard.stages``), the file parsed only if a stage needs it."""
    stage = new_counts()
    # The ast reading of the exact stage: the same findings at the same places as libcst's on
    # every example (tests/lint/test_examples.py, test_check.py), without libcst's ~140 ms import.
    found = staged_findings(filename, lines, policy, stage, use_libcst=False, read_statements=True)
    if counts is not None:
        counts.files += stage["files"]
        counts.within += stage["within"]
        counts.mentions += stage["mentions"]
        counts.candidates += stage["candidates"]
        counts.exact += stage["exact"]
    return found


def file_findings_or_error(filename: str, lines: Sequence[str], policy: Policy, counts: Counts | None = None) -> list[tuple[int, int, str]]:
    """``file_findings``, with an internal error as one CG100 on line 1 (as the plugin)."""
    try:
        return file_findings(filename, lines, policy, counts)
    except PolicyError:
        raise
    except Exception as exc:  # noqa: BLE001 - as the plugin: one CG100, never a crash
        return [(1, 0, f"CG100 costguard could not check this file: {type(exc).__name__}: {exc}")]


def reports_for(
    display: str,
    lines: Sequence[str],
    found: Iterable[tuple[int, int, str]],
    selection: Selection,
    *,
    logical_lines: bool = True,
) -> list[Report]:
    """Findings of one file as reports: selected, ``noqa`` applied (flake8's rules).

    ``logical_lines`` False: the file is tokenized (for flake8's noqa line of a statement
    spanning lines) only when it spells ``noqa`` somewhere; reports then carry their physical
    line alone (the JSON format wants flake8's joined lines, the others print none)."""
    found = sorted(found)
    if not found or any(NOQA_FILE.match(line) for line in lines):
        return []
    if logical_lines or any("noqa" in line.lower() for line in lines):
        logical = noqa_lines(lines)
    else:
        logical = {number: line for number, line in enumerate(lines, start=1)}
    reports = []
    for line, col, message in found:
        code, _, text = message.partition(" ")
        physical = logical.get(line)
        if not selection.wants(code) or _silenced(code, physical if physical is not None else _line(lines, line)):
            continue
        reports.append(Report(display, line, col + 1, code, text, physical))
    return reports


def noqa_index(lines: Sequence[str]) -> dict[str, Any]:
    """What ``noqa`` decides for a file, small enough to cache: whether ``# flake8: noqa``
    skips it, and the text flake8 searches for each line where a ``noqa`` comment applies."""
    if any(NOQA_FILE.match(line) for line in lines):
        return {"off": True, "lines": {}}
    if not any("noqa" in line.lower() for line in lines):
        return {"off": False, "lines": {}}
    logical = noqa_lines(lines)
    found = {}
    for number, line in enumerate(lines, start=1):
        text = logical.get(number, line)
        if NOQA_INLINE.search(text):
            found[number] = text
    return {"off": False, "lines": found}


def reports_from_index(
    display: str, found: Iterable[tuple[int, int, str]], selection: Selection, index: dict[str, Any]
) -> list[Report]:
    """``reports_for`` from a cached ``noqa_index`` (no physical lines: text, SARIF, GitHub)."""
    if index["off"]:
        return []
    reports = []
    for line, col, message in sorted(found):
        code, _, text = message.partition(" ")
        if not selection.wants(code) or _silenced(code, index["lines"].get(line)):
            continue
        reports.append(Report(display, line, col + 1, code, text))
    return reports


def check_file(path: str, display: str, policy: Policy, selection: Selection, counts: Counts | None = None) -> list[Report]:
    """The reports for one file (no cache, no CG104)."""
    lines = read_lines(path)
    return reports_for(display, lines, file_findings_or_error(path, lines, policy, counts), selection)


def _line(lines: Sequence[str], number: int) -> str:
    return lines[number - 1] if 1 <= number <= len(lines) else ""


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


def _skipped(relative_parts: Iterable[str]) -> bool:
    return any(part in SKIPPED_DIRS or part.endswith(".egg") for part in relative_parts)


def _git_files(directory: Path) -> list[str] | None:
    """Files git would not ignore under ``directory`` (tracked and untracked; relative, with
    ``/``), or None (not in a work tree, or the folder itself is ignored: a folder named on the
    command line is walked)."""
    import subprocess

    try:
        ignored = subprocess.run(["git", "-C", str(directory), "check-ignore", "-q", "."], capture_output=True, timeout=60)
        if ignored.returncode == 0:
            return None
        result = subprocess.run(
            ["git", "-C", str(directory), "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return [name for name in result.stdout.decode("utf-8", "surrogateescape").split("\0") if name]


def _walk(directory: Path) -> list[str]:
    found = []
    top = str(directory)
    for root, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if not _skipped([d])]
        relative = os.path.relpath(root, top)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        found.extend(prefix + name for name in files)
    return found


def discover(paths: Sequence[str]) -> list[Path]:
    """The source files to check: files as given; directories through git (respecting
    ``.gitignore``) when inside a work tree, else walked; virtual environments and build folders
    skipped either way."""
    found: dict[str, None] = {}
    for given in paths:
        if os.path.isfile(given):
            found[given] = None
            continue
        if not os.path.isdir(given):
            raise CheckError(f"costguard check: {given}: no such file or directory")
        directory = Path(given)
        listed = _git_files(directory)
        names = listed if listed is not None else _walk(directory)
        for name in sorted(names):
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            parts = name.split("/")
            if _skipped(parts[:-1]):
                continue
            candidate = os.path.join(given, *parts) if given not in (".", "") else os.path.join(*parts)
            if listed is None or os.path.isfile(candidate):
                found[candidate] = None
    return [Path(name) for name in found]


def _display(path: Path) -> str:
    text = os.path.normpath(str(path))
    if os.path.isabs(text):
        try:
            relative = os.path.relpath(text)
        except ValueError:
            return text
        return relative if not relative.startswith("..") else text
    return text


# ---------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------


class Outcome:
    def __init__(self) -> None:
        self.reports: list[Report] = []
        self.files: list[str] = []
        self.counts = Counts()
        self.cache: CheckCache | None = None


def _policies(config: str | None, files: Sequence[Path]) -> tuple[Policy | None, dict[str, Policy | None]]:
    """The --config policy, or each pyproject's, all loaded and validated before any check."""
    if config:
        return load_policy(config, required=True), {}
    return None, {str(path): load_policy_for(path.parent) for path in files}


class _Files:
    """Each file read at most once per run, and not at all when the cache knows it."""

    def __init__(self, cache: CheckCache) -> None:
        self.cache = cache
        self._lines: dict[str, list[str]] = {}

    def lines(self, path: str) -> list[str]:
        if path not in self._lines:
            self._lines[path] = read_lines(path)
        return self._lines[path]

    def entry(self, path: str, module: str) -> dict[str, Any]:
        stat = os.stat(path)
        entry = self.cache.entry(path, module, stat)
        if entry is not None:
            self.cache.hits += 1
            return entry
        self.cache.misses += 1
        with open(path, "rb") as handle:
            data = handle.read()
        self._lines[path] = decode_lines(data)
        return self.cache.entry_for_content(path, module, stat, content_digest(data))


def _rule_findings(files: _Files, path: str, policy: Policy, counts: Counts) -> list[tuple[int, int, str]]:
    module = module_name_for_path(path, policy.roots)
    if not policy.bans_guarding(module) and not any(ban.guards(module) for ban in policy.operations):
        counts.files += 1
        return []  # stage 1: decided from the path alone, nothing read
    entry = files.entry(path, module)
    key = policy_key(policy)
    found = entry["findings"].get(key)
    if found is None:
        found = file_findings_or_error(path, files.lines(path), policy, counts)
        entry["findings"][key] = [list(item) for item in found]
        files.cache.dirty = True
    else:
        counts.files += 1
    return [tuple(item) for item in found]  # type: ignore[misc]


def _imports(files: _Files, path: str) -> tuple[str, list[Any]]:
    from .graph import Import, read_imports

    module = module_name_for_path(path)
    entry = files.entry(path, module)
    stored = entry.get("imports")
    if stored is None:
        is_package = os.path.basename(path).partition(".")[0] == "__init__"
        found = read_imports(files.lines(path), module, is_package)
        entry["imports"] = stored = [[list(i.candidates), i.line, i.col, i.statement] for i in found]
        files.cache.dirty = True
    return module, [Import(tuple(c), line, col, statement) for c, line, col, statement in stored]


def _chains(
    files: _Files, checked: Sequence[str], policy_of: dict[str, Policy | None], fixed: bool
) -> dict[str, list[tuple[int, int, str]]]:
    """CG104 findings of the checked files, from a graph of each policy's whole project."""
    groups: dict[int, tuple[Policy, list[str]]] = {}
    for path in checked:
        policy = policy_of[path]
        if policy is not None and any(ban.transitive for ban in policy.bans):
            groups.setdefault(id(policy), (policy, []))[1].append(path)
    found: dict[str, list[tuple[int, int, str]]] = {}
    if not groups:
        return found
    from .graph import ImportGraph, chain_findings  # only for policies with a transitive ban

    for policy, paths in groups.values():
        root = policy.source.parent if policy.source is not None and not fixed else Path.cwd()
        project = {os.path.abspath(p) for p in discover([str(root)])} | set(paths)
        graph = ImportGraph()
        for path in sorted(project):
            module, imports = _imports(files, path)
            graph.imports[module] = imports
            graph.paths[module] = path
        modules = {module_name_for_path(p): p for p in paths}
        for module, findings in chain_findings(graph, policy, modules).items():
            found[modules[module]] = findings
    return found


def run(
    paths: Sequence[str],
    *,
    config: str | None = None,
    selection: Selection = Selection(),
    cache_dir: Path | None = None,
    logical_lines: bool = True,
) -> Outcome:
    """Check ``paths`` (default: the working directory); raises CheckError for usage/policy.

    ``cache_dir`` None: no cache."""
    found_files = discover(paths or ["."])
    cache = CheckCache(cache_dir)
    files = _Files(cache)
    try:
        fixed, per_file = _policies(config, found_files)
        checked = [os.path.abspath(p) for p in found_files]
        policy_of = {
            absolute: (fixed if fixed is not None else per_file[str(given)]) for absolute, given in zip(checked, found_files)
        }
        chains = _chains(files, checked, policy_of, fixed is not None) if selection.wants("CG104") else {}
        outcome = Outcome()
        outcome.cache = cache
        for absolute, given in zip(checked, found_files):
            policy = policy_of[absolute]
            display = _display(given)
            outcome.files.append(display)
            if policy is None:
                continue
            found = _rule_findings(files, absolute, policy, outcome.counts) + chains.get(absolute, [])
            if found and logical_lines:
                outcome.reports.extend(reports_for(display, files.lines(absolute), found, selection))
            elif found:
                entry = files.entry(absolute, module_name_for_path(absolute))
                index = entry.get("noqa")
                if index is None:
                    index = entry["noqa"] = noqa_index(files.lines(absolute))
                    cache.dirty = True
                outcome.reports.extend(reports_from_index(display, found, selection, index))
    except PolicyError as exc:
        raise CheckError(f"costguard: invalid policy: {exc}") from None
    except OSError as exc:
        raise CheckError(f"costguard check: {exc.filename or ''}: {exc.strerror or exc}") from None
    cache.save()
    return outcome


def build_parser() -> argparse.ArgumentParser:
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # type: ignore[override]
            raise CheckError(f"costguard check: {message} (see costguard check --help)")

    parser = _Parser(
        prog="costguard check",
        description="Check files for imports of modules banned by [tool.costguard] (the flake8 plugin's rules, without flake8).",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: the working directory)")
    parser.add_argument("--config", metavar="FILE", help="read the policy from FILE instead of the nearest pyproject.toml")
    parser.add_argument("--select", metavar="CODES", help="comma-separated codes or prefixes to report (default: CG)")
    parser.add_argument("--ignore", metavar="CODES", help="comma-separated codes or prefixes not to report")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--cache-dir", metavar="DIR", default=".costguard_cache", help="where the cache lives (default: .costguard_cache)")
    parser.add_argument("--no-cache", action="store_true", help="read and check every file, and keep no cache")
    parser.add_argument("--version", action="version", version=f"costguard {__version__}")
    return parser


class _Arguments:
    """What ``build_parser().parse_args`` returns, for the arguments ``_quick_arguments`` reads."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.config: str | None = None
        self.select: str | None = None
        self.ignore: str | None = None
        self.format = "text"
        self.cache_dir = ".costguard_cache"
        self.no_cache = False


_VALUE_OPTIONS = {"--config": "config", "--select": "select", "--ignore": "ignore", "--format": "format", "--cache-dir": "cache_dir"}


def _quick_arguments(argv: Sequence[str]) -> _Arguments | None:
    """The arguments of the usual command line (paths, and the options spelled out in full with
    their value as the next argument), read without argparse (a few ms per run); None for
    anything else (``--help``, ``--x=y``, abbreviations, errors), which argparse reads."""
    args = _Arguments()
    items = list(argv)
    index = 0
    paths_ended = False  # argparse reads one run of paths: paths on both sides of an option are its call
    while index < len(items):
        item = items[index]
        if args.paths and (item == "--no-cache" or item in _VALUE_OPTIONS):
            paths_ended = True
        if item == "--no-cache":
            args.no_cache = True
        elif item in _VALUE_OPTIONS:
            if index + 1 >= len(items) or items[index + 1].startswith("-"):
                return None
            index += 1
            setattr(args, _VALUE_OPTIONS[item], items[index])
        elif item.startswith("-") or paths_ended:
            return None
        else:
            args.paths.append(item)
        index += 1
    if args.format not in FORMATS:
        return None
    return args


def main(argv: Sequence[str] | None = None) -> int:
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        args = _quick_arguments(argv) or build_parser().parse_args(argv)
        selection = Selection(Selection.parse(args.select) or ("CG",), Selection.parse(args.ignore))
        cache_dir = None if args.no_cache else Path(args.cache_dir)
        outcome = run(
            args.paths, config=args.config, selection=selection, cache_dir=cache_dir, logical_lines=args.format == "json"
        )
    except CheckError as exc:
        print(exc, file=sys.stderr)
        return 2
    text = render(args.format, outcome.reports, files=outcome.files, tool="costguard", version=__version__)
    if text:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 1 if outcome.reports else 0
