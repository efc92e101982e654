"""Strings made only of constants: what a module name given to a dynamic import can be built from.

A string argument is read as a small expression of literal pieces and names: ``"a.b"``,
``"a.b" ".c"`` (ast joins these), ``"a.b" + ".c"``, ``f"a.b.{'c'}"``, ``f"{BASE}.c"`` and a
bare name. The names are resolved later, by whoever knows what they are bound to (a module-level
name bound once to such a string, never rebound: see ``bindings.NameResolver.constant``).
Anything else (a call, an attribute, ``%`` or ``.format``/``.join``, a conversion ``!r``, a
format spec) is not a constant string: ``string_expr`` returns None for it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable, Iterable, Union

__all__ = ["Concat", "ModuleConstants", "NameRef", "StrValue", "evaluate", "module_level_definitions", "string_expr"]


@dataclass(frozen=True)
class NameRef:
    """A bare name used as an argument (``__package__``, or a module-level constant)."""

    id: str


@dataclass(frozen=True)
class Concat:
    """A string built from literal pieces and names, in order (at least one name)."""

    parts: tuple[Union[str, NameRef], ...]


StrValue = Union[str, NameRef, Concat]

_MAX_DEPTH = 100  # nested f-strings or parenthesised sums deeper than this are not read
_PLAIN_CONVERSIONS = (-1, ord("s"))  # ``f"{x}"`` and ``f"{x!s}"`` are ``x`` itself for a string


def _pieces(value: StrValue) -> Iterable[Union[str, NameRef]]:
    if isinstance(value, Concat):
        return value.parts
    return (value,)


def _join(pieces: Iterable[Union[str, NameRef]]) -> StrValue:
    parts: list[Union[str, NameRef]] = []
    for piece in pieces:
        if isinstance(piece, str) and parts and isinstance(parts[-1], str):
            parts[-1] = parts[-1] + piece
        else:
            parts.append(piece)
    if len(parts) == 1:
        return parts[0]
    return Concat(tuple(parts)) if parts else ""


def string_expr(node: ast.expr, depth: int = 0) -> StrValue | None:
    """``node`` as a string made of constants and names, or None when it is anything else."""
    kind = type(node)
    if kind is ast.Constant:
        value = node.value  # type: ignore[attr-defined]
        return value if type(value) is str else None
    if kind is ast.Name:
        return NameRef(node.id)  # type: ignore[attr-defined]
    if depth > _MAX_DEPTH:
        return None
    if kind is ast.BinOp:
        operands: list[ast.expr] = []
        while type(node) is ast.BinOp and type(node.op) is ast.Add:  # type: ignore[attr-defined]
            operands.append(node.right)  # type: ignore[attr-defined]
            node = node.left  # type: ignore[attr-defined]
        if not operands:
            return None
        operands.append(node)
        pieces: list[Union[str, NameRef]] = []
        for operand in reversed(operands):  # a + b + c is ((a + b) + c): walked left-first, iteratively
            value = string_expr(operand, depth + 1)
            if value is None:
                return None
            pieces.extend(_pieces(value))
        return _join(pieces)
    if kind is ast.JoinedStr:
        pieces = []
        for part in node.values:  # type: ignore[attr-defined]
            if type(part) is ast.Constant and type(part.value) is str:
                pieces.append(part.value)
            elif type(part) is ast.FormattedValue and part.conversion in _PLAIN_CONVERSIONS and part.format_spec is None:
                value = string_expr(part.value, depth + 1)
                if value is None:
                    return None
                pieces.extend(_pieces(value))
            else:
                return None
        return _join(pieces)
    return None


def evaluate(value: object, name_value: Callable[[str], str | None]) -> str | None:
    """The string ``value`` (a ``StrValue``) stands for, names looked up with ``name_value``."""
    if isinstance(value, str):
        return value
    if isinstance(value, NameRef):
        return name_value(value.id)
    if isinstance(value, Concat):
        out = []
        for part in value.parts:
            text = part if isinstance(part, str) else name_value(part.id)
            if text is None:
                return None
            out.append(text)
        return "".join(out)
    return None


class ModuleConstants:
    """The string values of module-level names, from ``definition(name)`` (the one expression the
    name is bound to, or None). Each name is evaluated once; a cycle evaluates to None."""

    def __init__(self, definition: Callable[[str], ast.expr | None]) -> None:
        self._definition = definition
        self._values: dict[str, str | None] = {}

    def value(self, name: str) -> str | None:
        if name in self._values:
            return self._values[name]
        self._values[name] = None  # in progress: a name defined through itself is no constant
        expr = self._definition(name)
        result = None
        if expr is not None:
            result = evaluate(string_expr(expr), self.value)
        self._values[name] = result
        return result


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def module_level_definitions(tree: ast.AST) -> dict[str, ast.expr]:
    """Names assigned exactly once at module level (in any ``if``/``try``/``with``/loop block,
    not inside a function or class) by ``NAME = <expr>`` or ``NAME: T = <expr>``.

    The cheap stage's view: it does not look for other ways of rebinding the names (the exact
    stage does), so it finds every constant the exact stage finds, and maybe more.
    """
    found: dict[str, ast.expr | None] = {}
    stack: list[ast.AST] = list(getattr(tree, "body", []))
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is ast.Assign:
            targets = node.targets  # type: ignore[attr-defined]
            if len(targets) == 1 and type(targets[0]) is ast.Name:
                name = targets[0].id
                found[name] = None if name in found else node.value  # type: ignore[attr-defined]
        elif kind is ast.AnnAssign:
            target = node.target  # type: ignore[attr-defined]
            if type(target) is ast.Name and node.value is not None:  # type: ignore[attr-defined]
                found[target.id] = None if target.id in found else node.value  # type: ignore[attr-defined]
        elif kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            continue
        else:
            for block in _BLOCKS:
                children = getattr(node, block, None)
                if type(children) is list:
                    stack.extend(children)
    return {name: expr for name, expr in found.items() if expr is not None}
