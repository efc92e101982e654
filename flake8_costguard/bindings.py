"""Which module (or module attribute) a name refers to, resolved over the ast flake8 parsed.

A small scope analysis in the spirit of libcst's ScopeProvider, many times cheaper: it records,
per scope, the names bound by import statements (with the dotted name they refer to), the
module-level names bound to a string made of constants (``MODULE = "a.b" + ".c"``), and the
names bound any other way. A name bound twice in one scope (unless by the same import), or both
ways, is ambiguous and never resolves: the rules only report what they are sure of.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Iterable

from runtime_guard.policy import is_within

from .constants import ModuleConstants, string_expr
from .resolve import resolve_from_module

__all__ = ["ConstantBinding", "ImportBinding", "NameResolver"]


@dataclass(frozen=True)
class ImportBinding:
    """A name bound by an import: ``qualname`` is what the name refers to.

    ``imported`` holds the full modules the binding statements imported (``import a.b.c``
    binds ``a`` but imports ``a.b.c``), so a use of ``a.b.c`` is not reported a second time.
    """

    qualname: str
    imported: frozenset[str]


@dataclass(frozen=True)
class ConstantBinding:
    """A module-level name bound by ``NAME = <string made of constants>`` (its only binding)."""

    expr: ast.expr


_AMBIGUOUS = None
_FUNCTION_LIKE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


@dataclass
class _Scope:
    kind: str  # module | function | class | comprehension
    parent: _Scope | None
    bindings: dict[str, ImportBinding | ConstantBinding | None] = field(default_factory=dict)
    global_names: set[str] = field(default_factory=set)
    nonlocal_names: set[str] = field(default_factory=set)

    def bind(self, name: str, binding: ImportBinding | ConstantBinding | None) -> None:
        target = self
        if name in self.global_names:
            while target.parent is not None:
                target = target.parent
        elif name in self.nonlocal_names and self.parent is not None:
            target = self.parent
        if name not in target.bindings:
            target.bindings[name] = binding
            return
        old = target.bindings[name]
        if isinstance(old, ImportBinding) and isinstance(binding, ImportBinding) and old.qualname == binding.qualname:
            target.bindings[name] = ImportBinding(old.qualname, old.imported | binding.imported)
        else:
            target.bindings[name] = _AMBIGUOUS


def _arg_names(args: ast.arguments) -> Iterable[str]:
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        yield arg.arg
    if args.vararg is not None:
        yield args.vararg.arg
    if args.kwarg is not None:
        yield args.kwarg.arg


class NameResolver:
    """Resolve names at given ast nodes to the dotted names their import bindings refer to."""

    def __init__(self, tree: ast.AST, importer: str, is_package: bool, wanted: Iterable[ast.AST]) -> None:
        self._importer = importer
        self._is_package = is_package
        self._wanted = {id(node) for node in wanted}
        self._scope_of: dict[int, _Scope] = {}
        self._module = _Scope("module", None)
        self._walk(tree)
        self._constants = ModuleConstants(self._module_definition)

    # -- lookup -----------------------------------------------------------------------------

    def binding(self, at: ast.AST, name: str) -> ImportBinding | None:
        """The import binding ``name`` refers to where node ``at`` is, or None."""
        found = self._lookup(at, name)
        return found if isinstance(found, ImportBinding) else None

    def constant(self, at: ast.AST, name: str) -> str | None:
        """The string ``name`` holds where node ``at`` is, when it refers to a module-level name
        bound once, to a string made of constants, and never rebound; else None."""
        if not isinstance(self._lookup(at, name), ConstantBinding):
            return None
        return self._constants.value(name)

    def _module_definition(self, name: str) -> ast.expr | None:
        found = self._module.bindings.get(name)
        return found.expr if isinstance(found, ConstantBinding) else None

    def _lookup(self, at: ast.AST, name: str) -> ImportBinding | ConstantBinding | None:
        scope: _Scope | None = self._scope_of.get(id(at))
        if scope is None:
            return None
        first = True
        while scope is not None:
            if scope.kind == "class" and not first:
                scope = scope.parent
                continue
            if name in scope.global_names:
                return self._module.bindings.get(name)
            if name in scope.bindings and name not in scope.nonlocal_names:
                return scope.bindings[name]
            scope = scope.parent
            first = False
        return None

    def is_unbound(self, at: ast.AST, name: str) -> bool:
        """True when no scope visible at ``at`` binds ``name`` (so it is a builtin)."""
        scope: _Scope | None = self._scope_of.get(id(at))
        if scope is None:
            return False
        first = True
        while scope is not None:
            if not (scope.kind == "class" and not first) and name in scope.bindings:
                return False
            scope = scope.parent
            first = False
        return True

    def qualified_name(self, at: ast.AST, expr: ast.expr) -> tuple[str, ImportBinding] | None:
        """``a.b.c`` for an attribute chain whose root is an import binding, else None."""
        attrs: list[str] = []
        while isinstance(expr, ast.Attribute):
            attrs.append(expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None
        if expr.id == "__import__" and not attrs and self.is_unbound(at, "__import__"):
            return "builtins.__import__", ImportBinding("builtins.__import__", frozenset())
        binding = self.binding(at, expr.id)
        if binding is None:
            return None
        return ".".join([binding.qualname, *reversed(attrs)]), binding

    # -- scope building ---------------------------------------------------------------------

    def _walk(self, tree: ast.AST) -> None:
        stack: list[tuple[ast.AST, _Scope]] = [(tree, self._module)]
        while stack:
            node, scope = stack.pop()
            if id(node) in self._wanted:
                self._scope_of[id(node)] = scope
            if isinstance(node, _FUNCTION_LIKE):
                stack.extend(self._enter_function(node, scope))
                continue
            if isinstance(node, ast.ClassDef):
                scope.bind(node.name, _AMBIGUOUS)
                inner = _Scope("class", scope)
                for child in (*node.decorator_list, *node.bases, *node.keywords):
                    stack.append((child, scope))
                stack.extend((child, inner) for child in node.body)
                continue
            if isinstance(node, _COMPREHENSIONS):
                inner = _Scope("comprehension", scope)
                generators = node.generators
                if generators:
                    stack.append((generators[0].iter, scope))
                for index, generator in enumerate(generators):
                    stack.append((generator.target, inner))
                    if index:
                        stack.append((generator.iter, inner))
                    stack.extend((cond, inner) for cond in generator.ifs)
                if isinstance(node, ast.DictComp):
                    stack.extend(((node.key, inner), (node.value, inner)))
                else:
                    stack.append((node.elt, inner))
                continue
            if scope.kind == "module" and self._bind_constant(node, scope, stack):
                continue
            self._bind_node(node, scope)
            stack.extend((child, scope) for child in ast.iter_child_nodes(node))

    @staticmethod
    def _bind_constant(node: ast.AST, scope: _Scope, stack: list[tuple[ast.AST, _Scope]]) -> bool:
        """``NAME = <string made of constants>`` at module level: a constant binding (True)."""
        kind = type(node)
        if kind is ast.Assign:
            targets = node.targets  # type: ignore[attr-defined]
            if len(targets) != 1 or type(targets[0]) is not ast.Name:
                return False
            target, value, others = targets[0], node.value, ()  # type: ignore[attr-defined]
        elif kind is ast.AnnAssign:
            target, value = node.target, node.value  # type: ignore[attr-defined]
            if type(target) is not ast.Name or value is None:
                return False
            others = (node.annotation,)  # type: ignore[attr-defined]
        else:
            return False
        if string_expr(value) is None:
            return False
        scope.bind(target.id, ConstantBinding(value))
        stack.append((value, scope))
        stack.extend((other, scope) for other in others)
        return True

    def _enter_function(self, node: ast.AST, scope: _Scope) -> list[tuple[ast.AST, _Scope]]:
        assert isinstance(node, _FUNCTION_LIKE)
        inner = _Scope("function", scope)
        args = node.args
        outer: list[ast.AST] = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
        if not isinstance(node, ast.Lambda):
            scope.bind(node.name, _AMBIGUOUS)
            outer.extend(node.decorator_list)
            if node.returns is not None:
                outer.append(node.returns)
            for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
                if arg is not None and arg.annotation is not None:
                    outer.append(arg.annotation)
        for name in _arg_names(args):
            inner.bind(name, _AMBIGUOUS)
        # global/nonlocal declarations apply to the whole body: collect them first.
        body = node.body if isinstance(node.body, list) else [node.body]
        for statement in body:
            for sub in ast.walk(statement):
                if isinstance(sub, ast.Global):
                    inner.global_names.update(sub.names)
                elif isinstance(sub, ast.Nonlocal):
                    inner.nonlocal_names.update(sub.names)
        pairs: list[tuple[ast.AST, _Scope]] = [(child, scope) for child in outer]
        pairs.extend((statement, inner) for statement in body)
        return pairs

    def _bind_node(self, node: ast.AST, scope: _Scope) -> None:
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                scope.bind(node.id, _AMBIGUOUS)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    scope.bind(alias.asname, ImportBinding(alias.name, frozenset({alias.name})))
                else:
                    top = alias.name.partition(".")[0]
                    scope.bind(top, ImportBinding(top, frozenset({alias.name})))
        elif isinstance(node, ast.ImportFrom):
            base = resolve_from_module(self._importer, self._is_package, node.level or 0, node.module)
            for alias in node.names:
                if alias.name == "*":
                    continue
                bound = alias.asname or alias.name
                if base is None:
                    scope.bind(bound, _AMBIGUOUS)
                else:
                    full = f"{base}.{alias.name}"
                    scope.bind(bound, ImportBinding(full, frozenset({full})))
        elif isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            target = scope
            while target.kind == "comprehension" and target.parent is not None:
                target = target.parent
            target.bind(node.target.id, _AMBIGUOUS)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            scope.bind(node.name, _AMBIGUOUS)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            scope.bind(node.name, _AMBIGUOUS)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            scope.bind(node.rest, _AMBIGUOUS)
        elif isinstance(node, ast.Global):
            scope.global_names.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            scope.nonlocal_names.update(node.names)


def imported_already(binding: ImportBinding, banned_module: str) -> bool:
    """True when the binding's own import statement named the banned module (reported there)."""
    return any(is_within(name, banned_module) for name in binding.imported)
