"""The rules: CG101 import statements, CG102 dynamic imports, CG103 attribute access.

``scan_candidates`` is the cheap ast stage (could this node name a banned module?);
``find_violations`` gives the exact answer for those candidates only.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from runtime_guard.policy import Ban

from .bindings import NameResolver, imported_already
from .constants import ModuleConstants, NameRef, evaluate, module_level_definitions, string_expr
from .forms import ArgValue, CallForm, FromImportForm, ImportForm, read_form
from .importers import DYNAMIC_IMPORTERS
from .resolve import package_of, resolve_from_module, resolve_import_module_name
from .sources import node_position

__all__ = ["RULES", "Finding", "find_violations", "scan_candidates"]

#: Every code the plugin reports, with its one-line summary (docs/rules/<code>.md has the rest).
RULES: dict[str, str] = {
    "CG100": "the costguard policy is invalid, or the file could not be checked",
    "CG101": "an import statement names a banned module",
    "CG102": "a dynamic import names a banned module with a constant string",
    "CG103": "attribute access reaches a banned module through an allowed parent import",
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


class _Mentions:
    """Could an argument name a banned module? A literal containing a leaf name, or a string
    built from constants (sums, f-strings, module-level names) that does once evaluated.

    Names are looked up optimistically (any module-level ``NAME = ...`` assigned once, shadowing
    and rebinding ignored): a superset of what the exact stage accepts, so nothing is lost here.
    """

    def __init__(self, tree: ast.AST, leaves: frozenset[str]) -> None:
        self.tree = tree
        self.leaves = leaves
        self._constants: ModuleConstants | None = None
        self._definitions: dict[str, ast.expr] = {}

    def _contains_leaf(self, text: str | None) -> bool:
        return text is not None and any(leaf in text for leaf in self.leaves)

    def _name_value(self, name: str) -> str | None:
        if self._constants is None:
            self._definitions = module_level_definitions(self.tree)
            self._constants = ModuleConstants(self._definitions.get)
        return self._constants.value(name)

    def __call__(self, node: ast.expr) -> bool:
        kind = type(node)
        if kind is ast.Constant:
            value = node.value  # type: ignore[attr-defined]
            return type(value) is str and any(leaf in value for leaf in self.leaves)
        if kind is ast.List or kind is ast.Tuple:
            return any(self(element) for element in node.elts)  # type: ignore[attr-defined]
        if kind is ast.Name or kind is ast.BinOp or kind is ast.JoinedStr:
            return self._contains_leaf(evaluate(string_expr(node), self._name_value))
        return False


def scan_candidates(tree: ast.AST, leaves: frozenset[str]) -> list[ast.AST]:
    """Nodes that could name a banned module: imports spelling a leaf name, calls with a string
    argument (built from constants) containing one, and attribute accesses of one."""
    found: list[ast.AST] = []
    mentions = _Mentions(tree, leaves)
    for node in ast.walk(tree):
        kind = type(node)
        if kind is ast.Attribute:
            if node.attr in leaves:  # type: ignore[attr-defined]
                found.append(node)
        elif kind is ast.Call:
            call: ast.Call = node  # type: ignore[assignment]
            if any(mentions(arg) for arg in call.args) or any(mentions(keyword.value) for keyword in call.keywords):
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


class _Strings:
    """Argument values as strings, names resolved at one call (module-level constants)."""

    def __init__(self, resolver: NameResolver, call: ast.AST) -> None:
        self.resolver = resolver
        self.call = call

    def __call__(self, value: ArgValue) -> str | None:
        if isinstance(value, (int, list)):
            return None
        return evaluate(value, self._name_value)

    def _name_value(self, name: str) -> str | None:
        return self.resolver.constant(self.call, name)


def _import_module_findings(ctx: _Context, form: CallForm, strings: _Strings) -> Iterable[Finding]:
    name = form.argument(0, "name")
    text = strings(name.value) if name is not None else None
    if name is None or text is None:
        return
    package_arg = form.argument(1, "package")
    package: str | None = None
    if package_arg is not None:
        value = package_arg.value
        if value == NameRef("__package__"):
            package = package_of(ctx.importer, ctx.is_package)
        elif value == NameRef("__name__"):
            package = ctx.importer
        else:
            package = strings(value)
    target = resolve_import_module_name(text, package)
    ban = ctx.ban_for(target) if target else None
    if ban is not None:
        yield Finding(*name.pos, "CG102", ban)


def _find_spec_findings(ctx: _Context, form: CallForm, strings: _Strings) -> Iterable[Finding]:
    """``importlib.util.find_spec("a.b.c")`` imports the parent package ``a.b`` (not ``a.b.c``)."""
    name = form.argument(0, "name")
    text = strings(name.value) if name is not None else None
    if name is None or text is None:
        return
    package_arg = form.argument(1, "package")
    package = strings(package_arg.value) if package_arg is not None else None
    target = resolve_import_module_name(text, package)
    parent = target.rpartition(".")[0] if target else ""
    ban = ctx.ban_for(parent) if parent else None
    if ban is not None:
        yield Finding(*name.pos, "CG102", ban)


# pkgutil.resolve_name's own pattern (Lib/pkgutil.py): "pkg.mod:obj.attr" or dotted "pkg.mod.obj"
_DOTTED_WORDS = r"(?!\d)(\w+)(\.(?!\d)(\w+))*"
_RESOLVE_NAME = re.compile(f"^(?P<pkg>{_DOTTED_WORDS})(?P<cln>:(?P<obj>{_DOTTED_WORDS})?)?$", re.UNICODE)


def resolve_name_reaches(name: str) -> str | None:
    """The dotted path ``pkgutil.resolve_name(name)`` imports or reaches, or None (invalid name).

    ``"a.b:c.d"`` imports ``a.b`` and then reads attributes ``c``, ``d``: it reaches ``a.b.c.d``
    (a banned ``a.b.c`` is used as an attribute of ``a.b``, as CG103 reports for code). Dotted
    ``"a.b.c.d"`` imports ``a``, ``a.b``, ... as long as each import succeeds: every prefix that
    would be imported is a prefix of the name, so the ban applies when the name is within it.
    Both come to the same test: is ``pkg.obj`` (colon read as a dot) within a banned module.
    """
    match = _RESOLVE_NAME.match(name)
    if match is None:
        return None
    package, obj = match.group("pkg"), match.group("obj")
    return f"{package}.{obj}" if obj else package


def _resolve_name_findings(ctx: _Context, form: CallForm, strings: _Strings) -> Iterable[Finding]:
    name = form.argument(0, "name")
    text = strings(name.value) if name is not None else None
    target = resolve_name_reaches(text) if text is not None else None
    ban = ctx.ban_for(target) if target else None
    if name is not None and ban is not None:
        yield Finding(*name.pos, "CG102", ban)


def _run_module_findings(ctx: _Context, form: CallForm, strings: _Strings) -> Iterable[Finding]:
    """``runpy.run_module("a.b.c")`` imports ``a.b`` and runs ``a.b.c`` (or its ``__main__``)."""
    name = form.argument(0, "mod_name")
    text = strings(name.value) if name is not None else None
    ban = ctx.ban_for(text) if text else None
    if name is not None and ban is not None:
        yield Finding(*name.pos, "CG102", ban)


def _dunder_import_findings(ctx: _Context, form: CallForm, strings: _Strings) -> Iterable[Finding]:
    name = form.argument(0, "name")
    text = strings(name.value) if name is not None else None
    if name is None or text is None:
        return
    level_arg = form.argument(4, "level")
    level = level_arg.value if level_arg is not None and isinstance(level_arg.value, int) else 0
    if level > 0:
        if form.argument(1, "globals") is None:  # no globals: Python cannot resolve it either
            return
        base = resolve_from_module(ctx.importer, ctx.is_package, level, text or None)
    else:
        base = text or None
    if base is None:
        return
    ban = ctx.ban_for(base)
    if ban is not None:
        yield Finding(*name.pos, "CG102", ban)
        return
    fromlist = form.argument(3, "fromlist")
    if fromlist is not None and isinstance(fromlist.value, list):
        for value, (line, col) in fromlist.value:
            item = strings(value)
            if item is not None and item != "*":
                ban = ctx.ban_for(f"{base}.{item}")
                if ban is not None:
                    yield Finding(line, col, "CG102", ban)


_CALL_RULES = {
    "import_module": _import_module_findings,
    "__import__": _dunder_import_findings,
    "find_spec": _find_spec_findings,
    "resolve_name": _resolve_name_findings,
    "run_module": _run_module_findings,
}


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
            kind = DYNAMIC_IMPORTERS.get(resolved[0]) if resolved is not None else None
            if kind is None:
                continue
            form, by_libcst = read_form(lines, node, use_libcst)
            used_libcst = used_libcst or by_libcst
            if isinstance(form, CallForm):
                produced = _CALL_RULES[kind](ctx, form, _Strings(resolver, node))
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
