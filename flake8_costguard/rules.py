"""The rules: CG101 import statements, CG102 dynamic imports, CG103 attribute access.

``scan_candidates`` is the cheap ast stage (could this node name a banned module?);
``find_violations`` gives the exact answer for those candidates only.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterable, Sequence

from runtime_guard.policy import Ban

from .bindings import NameResolver, imported_already
from .forms import CallForm, FromImportForm, ImportForm, NameRef, read_form
from .resolve import package_of, resolve_from_module, resolve_import_module_name
from .sources import node_position

__all__ = ["RULES", "Finding", "find_violations", "scan_candidates"]

#: Every code the plugin reports, with its one-line summary (docs/rules/<code>.md has the rest).
RULES: dict[str, str] = {
    "CG100": "the costguard policy is invalid, or the file could not be checked",
    "CG101": "an import statement names a banned module",
    "CG102": "a dynamic import with a literal string names a banned module",
    "CG103": "attribute access reaches a banned module through an allowed parent import",
}

_DYNAMIC_IMPORTERS = {
    "importlib.import_module": "import_module",
    "importlib.__import__": "__import__",
    "builtins.__import__": "__import__",
}


@dataclass(frozen=True)
class Finding:
    line: int
    col: int
    code: str
    ban: Ban

    def message(self, importer: str) -> str:
        return f"{self.code} {self.ban.message(self.ban.scope_of(importer))}"


# ---------------------------------------------------------------------------------------------
# Stage 3: candidates from the ast flake8 parsed
# ---------------------------------------------------------------------------------------------


def _mentions(node: ast.expr, leaves: frozenset[str]) -> bool:
    if type(node) is ast.Constant:
        value = node.value
        return type(value) is str and any(leaf in value for leaf in leaves)
    if type(node) is ast.List or type(node) is ast.Tuple:
        return any(_mentions(element, leaves) for element in node.elts)  # type: ignore[attr-defined]
    return False


def scan_candidates(tree: ast.AST, leaves: frozenset[str]) -> list[ast.AST]:
    """Nodes that could name a banned module: imports spelling a leaf name, calls with a string
    argument containing one, and attribute accesses of one."""
    found: list[ast.AST] = []
    for node in ast.walk(tree):
        kind = type(node)
        if kind is ast.Attribute:
            if node.attr in leaves:  # type: ignore[attr-defined]
                found.append(node)
        elif kind is ast.Call:
            call: ast.Call = node  # type: ignore[assignment]
            if any(_mentions(arg, leaves) for arg in call.args) or any(
                _mentions(keyword.value, leaves) for keyword in call.keywords
            ):
                found.append(node)
        elif kind is ast.Import:
            if any(leaf in alias.name for alias in node.names for leaf in leaves):  # type: ignore[attr-defined]
                found.append(node)
        elif kind is ast.ImportFrom:
            module = node.module or ""  # type: ignore[attr-defined]
            if any(leaf in module for leaf in leaves) or any(
                alias.name in leaves for alias in node.names  # type: ignore[attr-defined]
            ):
                found.append(node)
    return found


# ---------------------------------------------------------------------------------------------
# Stage 4: the exact answer
# ---------------------------------------------------------------------------------------------


class _Context:
    def __init__(self, importer: str, is_package: bool, bans: Sequence[Ban]) -> None:
        self.importer = importer
        self.is_package = is_package
        self.bans = bans

    def ban_for(self, target: str) -> Ban | None:
        for ban in self.bans:
            if ban.bans(target):
                return ban
        return None


def _import_findings(ctx: _Context, form: ImportForm) -> Iterable[Finding]:
    for name, (line, col) in form.names:
        ban = ctx.ban_for(name)
        if ban is not None:
            yield Finding(line, col, "CG101", ban)


def _from_import_findings(ctx: _Context, form: FromImportForm) -> Iterable[Finding]:
    base = resolve_from_module(ctx.importer, ctx.is_package, form.level, form.module)
    if base is None:
        return
    ban = ctx.ban_for(base)
    if ban is not None:
        yield Finding(*form.module_pos, "CG101", ban)
        return
    for name, (line, col) in form.names:
        if name != "*":
            ban = ctx.ban_for(f"{base}.{name}")
            if ban is not None:
                yield Finding(line, col, "CG101", ban)


def _import_module_findings(ctx: _Context, form: CallForm) -> Iterable[Finding]:
    name = form.argument(0, "name")
    if name is None or not isinstance(name.value, str):
        return
    package_arg = form.argument(1, "package")
    package: str | None = None
    if package_arg is not None:
        value = package_arg.value
        if isinstance(value, str):
            package = value
        elif value == NameRef("__package__"):
            package = package_of(ctx.importer, ctx.is_package)
        elif value == NameRef("__name__"):
            package = ctx.importer
    target = resolve_import_module_name(name.value, package)
    ban = ctx.ban_for(target) if target else None
    if ban is not None:
        yield Finding(*name.pos, "CG102", ban)


def _dunder_import_findings(ctx: _Context, form: CallForm) -> Iterable[Finding]:
    name = form.argument(0, "name")
    if name is None or not isinstance(name.value, str):
        return
    level_arg = form.argument(4, "level")
    level = level_arg.value if level_arg is not None and isinstance(level_arg.value, int) else 0
    if level > 0:
        if form.argument(1, "globals") is None:  # no globals: Python cannot resolve it either
            return
        base = resolve_from_module(ctx.importer, ctx.is_package, level, name.value or None)
    else:
        base = name.value or None
    if base is None:
        return
    ban = ctx.ban_for(base)
    if ban is not None:
        yield Finding(*name.pos, "CG102", ban)
        return
    fromlist = form.argument(3, "fromlist")
    if fromlist is not None and isinstance(fromlist.value, list):
        for item, (line, col) in fromlist.value:
            if item != "*":
                ban = ctx.ban_for(f"{base}.{item}")
                if ban is not None:
                    yield Finding(line, col, "CG102", ban)


def _attribute_findings(
    ctx: _Context, resolver: NameResolver, lines: Sequence[str], node: ast.Attribute
) -> Iterable[Finding]:
    resolved = resolver.qualified_name(node, node)
    if resolved is None:
        return
    qualname, binding = resolved
    ban = ctx.ban_for(qualname)
    if ban is None or ctx.ban_for(binding.qualname) is not None or imported_already(binding, ban.module):
        return
    parent = resolver.qualified_name(node, node.value)
    if parent is not None and ctx.ban_for(parent[0]) is not None:
        return  # a shorter chain already reaches the banned module
    root: ast.expr = node
    while isinstance(root, ast.Attribute):
        root = root.value
    line, col = node_position(lines, root)
    yield Finding(line, col, "CG103", ban)


def find_violations(
    tree: ast.AST,
    lines: Sequence[str],
    importer: str,
    is_package: bool,
    bans: Sequence[Ban],
    candidates: Sequence[ast.AST],
    *,
    use_libcst: bool = True,
) -> tuple[list[Finding], bool]:
    """The findings among ``candidates``, sorted; the flag says whether libcst read any node."""
    ctx = _Context(importer, is_package, bans)
    dynamic = [node for node in candidates if isinstance(node, (ast.Call, ast.Attribute))]
    resolver = NameResolver(tree, importer, is_package, dynamic) if dynamic else None
    findings: dict[tuple[int, int, str], Finding] = {}
    used_libcst = False
    for node in candidates:
        produced: Iterable[Finding] = ()
        if isinstance(node, ast.Attribute):
            assert resolver is not None
            produced = _attribute_findings(ctx, resolver, lines, node)
        elif isinstance(node, ast.Call):
            assert resolver is not None
            resolved = resolver.qualified_name(node, node.func)
            kind = _DYNAMIC_IMPORTERS.get(resolved[0]) if resolved is not None else None
            if kind is None:
                continue
            form, by_libcst = read_form(lines, node, use_libcst)
            used_libcst = used_libcst or by_libcst
            if isinstance(form, CallForm):
                produced = (_import_module_findings if kind == "import_module" else _dunder_import_findings)(ctx, form)
        else:
            form, by_libcst = read_form(lines, node, use_libcst)
            used_libcst = used_libcst or by_libcst
            if isinstance(form, ImportForm):
                produced = _import_findings(ctx, form)
            elif isinstance(form, FromImportForm):
                produced = _from_import_findings(ctx, form)
        for finding in produced:
            findings.setdefault((finding.line, finding.col, finding.code), finding)
    return sorted(findings.values(), key=lambda f: (f.line, f.col, f.code)), used_libcst
