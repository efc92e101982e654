"""CG104: chains of imports, over the whole project, for ``transitive = true`` bans.

The import graph has one node per module of the project (every ``*.py`` under the policy's
folder, named by ``runtime_guard.policy.module_name_for_path``, as the lint names files) and one
edge per import: statements anywhere (functions, ``try``, ``if TYPE_CHECKING:``), relative ones
resolved against the importer's package, and dynamic imports with a literal name
(``importlib.import_module``, ``__import__``). ``from a import b`` is an edge to ``a.b`` when
that is a module, else to ``a`` (grimp's rule). Modules outside the project count only when a
ban names them.

For a transitive ban, a guarded module's import statement whose target is not banned itself
(that is CG101/CG102) but reaches the banned module through other modules gets one CG104, with
the shortest chain. Standard library only (``ast``); no flake8, no libcst.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from runtime_guard.policy import Ban, Policy, module_name_for_path

from .resolve import package_of, resolve_from_module, resolve_import_module_name
from .sources import node_position

__all__ = ["CHAIN_RULE", "Import", "ImportGraph", "chain_findings", "module_imports", "read_imports"]

CHAIN_RULE = ("CG104", "an import starts a chain of imports that reaches a module banned with transitive = true")


@dataclass(frozen=True)
class Import:
    """One imported name: the modules it may mean (first existing wins), where it is written."""

    candidates: tuple[str, ...]
    line: int
    col: int  # 0-based characters
    statement: int  # index of the statement or call in the file (one finding per statement)


_DYNAMIC = {"import_module", "__import__"}


def _from_module_position(lines: Sequence[str], node: ast.ImportFrom) -> tuple[int, int]:
    """Where the module of ``from <module> import ...`` is written (ast does not say)."""
    line, col = node_position(lines, node)
    text = lines[line - 1] if 1 <= line <= len(lines) else ""
    rest = text[col + 4 :]  # after "from"
    return line, col + 4 + (len(rest) - len(rest.lstrip(" \t")))


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _dynamic_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id if func.id in _DYNAMIC else None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.attr in _DYNAMIC:
        return func.attr if func.value.id in ("importlib", "builtins") else None
    return None


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    return call.args[position] if len(call.args) > position else None


def module_imports(tree: ast.AST, lines: Sequence[str], importer: str, is_package: bool) -> list[Import]:
    """Every import of the file, in source order."""
    found: list[Import] = []
    statement = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            statement += 1
            for alias in node.names:
                line, col = node_position(lines, alias)
                found.append(Import((alias.name,), line, col, statement))
        elif isinstance(node, ast.ImportFrom):
            statement += 1
            base = resolve_from_module(importer, is_package, node.level, node.module)
            if base is None:
                continue
            module_pos = _from_module_position(lines, node) if node.module else node_position(lines, node)
            for alias in node.names:
                if alias.name == "*":
                    found.append(Import((base,), *module_pos, statement))
                else:
                    line, col = node_position(lines, alias)
                    found.append(Import((f"{base}.{alias.name}", base), line, col, statement))
        elif isinstance(node, ast.Call):
            kind = _dynamic_name(node)
            name_node = _argument(node, 0, "name") if kind else None
            name = _string(name_node)
            if not name or name_node is None:
                continue
            statement += 1
            line, col = node_position(lines, name_node)
            if kind == "import_module":
                package_node = _argument(node, 1, "package")
                package = _string(package_node)
                if isinstance(package_node, ast.Name) and package_node.id == "__package__":
                    package = package_of(importer, is_package)
                elif isinstance(package_node, ast.Name) and package_node.id == "__name__":
                    package = importer
                target = resolve_import_module_name(name, package)
                if target:
                    found.append(Import((target,), line, col, statement))
            else:
                level_node = _argument(node, 4, "level")
                level = level_node.value if isinstance(level_node, ast.Constant) and isinstance(level_node.value, int) else 0
                base = resolve_from_module(importer, is_package, level, name) if level else name
                if not base:
                    continue
                fromlist = _argument(node, 3, "fromlist")
                items = [_string(e) for e in fromlist.elts] if isinstance(fromlist, (ast.List, ast.Tuple)) else []
                names = [item for item in items if item and item != "*"]
                if names:
                    for item in names:
                        found.append(Import((f"{base}.{item}", base), line, col, statement))
                else:
                    found.append(Import((base,), line, col, statement))
    found.sort(key=lambda i: (i.line, i.col))
    return found


@dataclass
class ImportGraph:
    """Modules of one project and what each imports."""

    imports: dict[str, list[Import]] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)

    def add_file(self, path: str, lines: Sequence[str]) -> None:
        name = module_name_for_path(path)
        is_package = os.path.basename(path).partition(".")[0] == "__init__"
        try:
            tree = ast.parse("".join(lines))
        except (SyntaxError, ValueError):
            tree = ast.Module(body=[], type_ignores=[])
        self.imports[name] = module_imports(tree, lines, name, is_package)
        self.paths[name] = os.path.abspath(path)

    def target(self, item: Import, ban: Ban) -> str | None:
        """The module an import means: a project module (``a.b`` of ``from a import b`` when
        that is one, else ``a``), or outside the project the shortest banned name (else None)."""
        for candidate in item.candidates:
            if candidate in self.imports:
                return candidate
        for candidate in reversed(item.candidates):
            if ban.bans(candidate):
                return candidate
        return None

    def next_hops(self, ban: Ban) -> dict[str, str | None]:
        """module -> the next module on a shortest chain to the banned module (None: it is banned)."""
        edges: dict[str, set[str]] = {}
        reverse: dict[str, set[str]] = {}
        for importer, items in self.imports.items():
            if ban.bans(importer):
                continue  # the banned module's own imports are not part of a chain
            for item in items:
                target = self.target(item, ban)
                if target is not None and target != importer:
                    edges.setdefault(importer, set()).add(target)
                    reverse.setdefault(target, set()).add(importer)
        banned = sorted({t for targets in edges.values() for t in targets if ban.bans(t)})
        hop: dict[str, str | None] = dict.fromkeys(banned)
        queue = deque(banned)
        while queue:
            module = queue.popleft()
            for importer in sorted(reverse.get(module, ())):
                if importer not in hop:
                    hop[importer] = module
                    queue.append(importer)
        return hop


def _chain(start: str, first: str, hop: dict[str, str | None]) -> list[str]:
    chain = [start, first]
    while True:
        following = hop.get(chain[-1])
        if following is None:
            return chain
        chain.append(following)


def chain_message(ban: Ban, importer: str, chain: Sequence[str]) -> str:
    """``<module> is banned in <scope> (import chain: a -> b -> c): <reason>; use <x>``."""
    text = f"CG104 {ban.module} is banned in {ban.scope_of(importer)} (import chain: {' -> '.join(chain)})"
    if ban.reason:
        text += f": {ban.reason}"
    if ban.use_instead:
        text += f"; use {ban.use_instead}"
    return text


def chain_findings(graph: ImportGraph, policy: Policy, modules: Iterable[str]) -> dict[str, list[tuple[int, int, str]]]:
    """module -> (line, 0-based column, "CG104 message") for the given modules of the graph."""
    wanted = [m for m in modules if m in graph.imports]
    result: dict[str, list[tuple[int, int, str]]] = {}
    for ban in policy.bans:
        if not ban.transitive:
            continue
        hop = graph.next_hops(ban)
        for module in wanted:
            if not ban.guards(module):
                continue
            best: dict[int, tuple[int, Import, list[str]]] = {}
            for item in graph.imports[module]:
                target = graph.target(item, ban)
                if target is None or target == module or ban.bans(target) or target not in hop:
                    continue
                chain = _chain(module, target, hop)
                kept = best.get(item.statement)
                if kept is None or len(chain) < kept[0]:
                    best[item.statement] = (len(chain), item, chain)
            for _, item, chain in best.values():
                result.setdefault(module, []).append((item.line, item.col, chain_message(ban, module, chain)))
    for findings in result.values():
        findings.sort()
    return result


# ---------------------------------------------------------------------------------------------
# Reading import statements without parsing the whole file
# ---------------------------------------------------------------------------------------------

# Matched in "\n" + code: a literal newline first lets the engine skip ahead fast (``^`` with
# re.M is tried at every position); a match's start is then the statement's line start in code.
_STATEMENT = re.compile(
    r"\n([ \t]*)(?:import[ \t]+[\w(]|from(?:[ \t]|\\\n)+[.\w]+(?:[ \t]|\\\n)*import\b|from[ \t]+\.+import\b)"
)
_WORD = re.compile(r"\bimport\b")
# Comments and string literals, left to right (so a quote inside a comment or another string
# never starts one); they are removed (their newlines kept) before looking for statements.
# Each alternative starts with a literal character and loops without backtracking.
_NOT_CODE = re.compile(
    r"#[^\n]*"
    r'|"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'
    r"|'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"
    r'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
    r"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'",
    re.S,
)


def _blank(match: re.Match[str]) -> str:
    return "\n" * match.group(0).count("\n")


def _statement_end(code_lines: Sequence[str], first: int) -> int:
    """The last line (0-based) of the statement starting on line ``first`` (0-based)."""
    depth = 0
    index = first
    while index < len(code_lines):
        code = code_lines[index]
        depth += code.count("(") - code.count(")")
        if depth <= 0 and not code.rstrip().endswith("\\"):
            return index
        index += 1
    return len(code_lines) - 1


def statement_spans(lines: Sequence[str], text: str | None = None) -> list[tuple[int, int, bool]] | None:
    """(first line, last line, indented) of every import statement of the file (0-based lines),
    found without parsing it; None when that could miss one (the file must be parsed).

    Comments and strings are blanked out first; statements are then found by their first word
    at the start of a line, and must hold every ``import`` word of the code (not so for
    ``if x: import y``, or when a line break other than ``\\n`` would change the lines).
    Dynamic imports are not statements: the caller looks for them.
    """
    text = "".join(lines) if text is None else text
    if "import" not in text:
        return []
    code = _NOT_CODE.sub(_blank, text)
    if code.count("\n") + (0 if code.endswith("\n") or not code else 1) != len(lines) or _other_breaks(code):
        return None  # line breaks other than \n
    if sys.version_info >= (3, 12) and _F_STRING.search(text) is not None:
        return None  # PEP 701: quotes nest in f-strings, which the blanking does not follow
    words = _import_words(code)
    spans: list[tuple[int, int, bool]] = []
    covered = 0
    line_index, line_pos = 0, 0  # 0-based line of position line_pos (a line start)
    for match in _STATEMENT.finditer("\n" + code):
        start = match.start()
        line_index += code.count("\n", line_pos, start)
        line_pos = start
        first = line_index
        if first and lines_end_with_backslash(code, start):
            continue  # not at the start of a statement (a continuation line)
        last, end = _statement_end(code, start, first)
        covered += bisect_left(words, end) - bisect_left(words, start)
        spans.append((first, last, bool(match.group(1))))
    if covered != len(words):
        return None
    return spans


def parse_statement(lines: Sequence[str], first: int, last: int, indented: bool) -> list[ast.stmt]:
    """The statements of lines ``first`` to ``last`` (0-based), parsed alone, positions as in the
    file (an indented one inside ``if 1:``); raises SyntaxError."""
    statement_text = "".join(lines[first : last + 1])
    parsed = ast.parse("if 1:\n" + statement_text if indented else statement_text)
    ast.increment_lineno(parsed, first - 1 if indented else first)
    return parsed.body


def read_imports(lines: Sequence[str], importer: str, is_package: bool) -> list[Import]:
    """``module_imports`` of the file, parsing only its import statements when that is safe.

    The statements come from ``statement_spans`` and are read alone (positions unchanged): the
    usual one-line and parenthesized forms by a pattern, the rest by the parser. The whole file
    is parsed instead when this could miss an import: a dynamic import, a statement
    ``statement_spans`` cannot find, or one that does not parse alone.
    """
    text = "".join(lines)
    if "import" not in text:
        return []
    if "import_module" in text or "__import__" in text:
        return _parse_whole(text, lines, importer, is_package)
    spans = statement_spans(lines, text)
    if spans is None:
        return _parse_whole(text, lines, importer, is_package)
    found: list[Import] = []
    nodes: list[ast.stmt] = []
    for statement, (first, last, indented) in enumerate(spans, start=1):
        simple = _simple_imports("".join(lines[first : last + 1]), first + 1, importer, is_package, statement)
        if simple is not None:
            found.extend(simple)
            continue
        try:
            nodes.extend(parse_statement(lines, first, last, indented))
        except SyntaxError:
            return _parse_whole(text, lines, importer, is_package)
    if nodes:
        offset = len(spans)
        for item in module_imports(ast.Module(body=nodes, type_ignores=[]), lines, importer, is_package):
            found.append(Import(item.candidates, item.line, item.col, item.statement + offset))
    found.sort(key=lambda i: (i.line, i.col))
    return found


_ASCII_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")


def _other_breaks(code: str) -> bool:
    """True when ``str.splitlines`` would break ``code`` somewhere else than after ``\\n``."""
    if code.isascii():
        return any(mark in code for mark in _ASCII_BREAKS)
    return len(code.splitlines()) != code.count("\n") + (0 if code.endswith("\n") or not code else 1)


def _import_words(code: str) -> list[int]:
    """Where the word ``import`` starts in ``code`` (what ``\\bimport\\b`` finds, without the
    regular expression engine's slow scan for a word boundary)."""
    found = []
    position = code.find("import")
    while position >= 0:
        before = code[position - 1] if position else " "
        after = code[position + 6 : position + 7] or " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            found.append(position)
        position = code.find("import", position + 6)
    return found

_F_STRING = re.compile(r"(?i)(?:f|fr|rf)['\"]")


def lines_end_with_backslash(code: str, start: int) -> bool:
    """True when the line before position ``start`` (a line start) ends with a backslash."""
    previous = code[code.rfind("\n", 0, start - 1) + 1 : start]
    return previous.rstrip().endswith("\\")


def _statement_end(code: str, start: int, first: int) -> tuple[int, int]:
    """(last line, 0-based; the position after it) of the statement starting at ``start``."""
    depth = 0
    index = first
    position = start
    while True:
        newline = code.find("\n", position)
        stop = len(code) if newline < 0 else newline + 1
        line = code[position:stop]
        depth += line.count("(") - line.count(")")
        if (depth <= 0 and not line.rstrip().endswith("\\")) or stop >= len(code):
            return index, stop
        index += 1
        position = stop


_DOTTED = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
_ALIAS = re.compile(rf"\s*({_DOTTED})(?:[ \t]+as[ \t]+([A-Za-z_]\w*))?\s*", re.A)
_SIMPLE_IMPORT = re.compile(r"([ \t]*)import[ \t]+([^;()\\#\n]*?)[ \t]*(?:#[^\n]*)?\n?", re.A)
_SIMPLE_FROM = re.compile(
    rf"([ \t]*)from([ \t]+)(\.*)({_DOTTED})?[ \t]*import[ \t]+"
    r"(?:\(([^;()\\#]*)\)|([^;()\\#\n]*?))[ \t]*(?:#[^\n]*)?\n?",
    re.A,
)


def _aliases(text: str, offset: int, dotted: bool, trailing_comma: bool) -> list[tuple[str, int]] | None:
    """(name, offset in the statement) of each ``name [as alias]`` of a comma-separated list."""
    names = []
    position = offset
    parts = text.split(",")
    if trailing_comma and len(parts) > 1 and not parts[-1].strip():
        parts.pop()
    for part in parts:
        match = _ALIAS.fullmatch(part)
        if match is None or (not dotted and "." in match.group(1)):
            return None
        names.append((match.group(1), position + match.start(1)))
        position += len(part) + 1
    return names


def _simple_imports(statement: str, line: int, importer: str, is_package: bool, number: int) -> list[Import] | None:
    """What ``module_imports`` reads from an ASCII ``import a.b [as c], ...`` or ``from .a import
    b [as c], ...`` (one line, or names in parentheses over several lines, no comment inside),
    without the parser; None for anything else (the parser reads it)."""
    if not statement.isascii():
        return None
    if statement.count("\n") > 1 or (statement.count("\n") == 1 and not statement.endswith("\n")):
        match = _SIMPLE_FROM.fullmatch(statement)
        if match is None or match.group(5) is None:
            return None
    else:
        match = _SIMPLE_IMPORT.fullmatch(statement)
        if match is not None:
            names = _aliases(match.group(2), match.start(2), True, False)
            if names is None:
                return None
            return [Import((name,), line, col, number) for name, col in names]
        match = _SIMPLE_FROM.fullmatch(statement)
        if match is None:
            return None
    indent, gap, dots, module, inside, bare = match.groups()
    if (not dots and not module) or (module and statement[match.end(4)] not in " \t"):
        return None  # "from aimport x" is not "from a import x"
    base = resolve_from_module(importer, is_package, len(dots), module)
    if base is None:
        return []
    if inside is None and bare == "*":
        position = (line, len(indent) + 4 + len(gap)) if module else (line, len(indent))
        return [Import((base,), *position, number)]
    names = _aliases(inside, match.start(5), False, True) if inside is not None else _aliases(bare, match.start(6), False, False)
    if names is None or not names:
        return None
    found = []
    for name, offset in names:
        name_line = line + statement.count("\n", 0, offset)
        col = offset - (statement.rfind("\n", 0, offset) + 1)
        found.append(Import((f"{base}.{name}", base), name_line, col, number))
    return found


def _parse_whole(text: str, lines: Sequence[str], importer: str, is_package: bool) -> list[Import]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    return module_imports(tree, lines, importer, is_package)
