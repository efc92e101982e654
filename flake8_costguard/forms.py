"""The import forms the rules understand, read from libcst (exact) or from ast (fallback).

Both readers produce the same small records, so the rules have one implementation. libcst
reads the candidate statement or call from its own source text and gives the exact position of
every name in it (ast has no position for the module of ``from a.b import c``); when libcst
cannot parse that text, the ast node flake8 already has is used instead.

libcst itself is imported only by ``read_form`` (from ``cst_reader``), the first time a file
reaches the exact stage: importing the plugin costs no libcst import (about 0.15 s).
"""

from __future__ import annotations

import ast
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Sequence, Union

from .constants import Concat, NameRef, StrValue, string_expr
from .sources import Segment, node_position

__all__ = [
    "Arg", "CallForm", "Concat", "FromImportForm", "ImportForm", "NameRef", "Pos", "StrValue", "identifier",
    "read_form", "read_with_ast",
]

Pos = tuple[int, int]  # (line, character column), 1-based line, 0-based column


#: An argument as the rules see it: a string made of constants (``str``, a ``NameRef`` or a
#: ``Concat`` of pieces and names, resolved by the rules), an int, or a list of such strings.
ArgValue = Union[str, int, NameRef, Concat, list[tuple[StrValue, Pos]], None]


@dataclass(frozen=True)
class Arg:
    value: ArgValue
    pos: Pos


@dataclass
class ImportForm:
    """``import a.b.c [as x], d``: each dotted name and where it is."""

    names: list[tuple[str, Pos]]


@dataclass
class FromImportForm:
    """``from <dots><module> import <names>``; ``*`` is a name."""

    level: int
    module: str | None
    module_pos: Pos
    names: list[tuple[str, Pos]]


@dataclass
class CallForm:
    """A call's literal arguments (positional up to the first ``*args``, and keywords)."""

    positional: list[Arg] = field(default_factory=list)
    keywords: dict[str, Arg] = field(default_factory=dict)

    def argument(self, index: int, keyword: str) -> Arg | None:
        if keyword in self.keywords:
            return self.keywords[keyword]
        return self.positional[index] if index < len(self.positional) else None


Form = Union[ImportForm, FromImportForm, CallForm]


def identifier(text: str | None) -> str | None:
    """A name as Python reads it: identifiers are NFKC-normalized (``ｓ3`` is ``s3``); ast does it too."""
    if text is None or text.isascii():
        return text
    return unicodedata.normalize("NFKC", text)

# ---------------------------------------------------------------------------------------------
# ast (fallback)
# ---------------------------------------------------------------------------------------------

_FROM_MODULE = re.compile(r"from\s*(?:\\\r?\n\s*)*")


def _ast_value(lines: Sequence[str], node: ast.expr) -> ArgValue:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        items: list[tuple[StrValue, Pos]] = []
        for element in node.elts:
            item = string_expr(element)
            if item is not None:
                items.append((item, node_position(lines, element)))
        return items
    return string_expr(node)


def read_with_ast(lines: Sequence[str], node: ast.AST) -> Form | None:
    """The same records from the ast node (positions of ``from`` modules approximated)."""
    if isinstance(node, ast.Import):
        return ImportForm([(alias.name, node_position(lines, alias)) for alias in node.names])
    if isinstance(node, ast.ImportFrom):
        line, col = node_position(lines, node)
        segment = Segment.of(lines, node)
        if segment is not None:
            match = _FROM_MODULE.match(segment.text)
            if match is not None:
                before = segment.text[: match.end()]
                line, col = segment.to_file(before.count("\n") + 1, len(before.rpartition("\n")[2]))
        names = [(alias.name, node_position(lines, alias)) for alias in node.names]
        return FromImportForm(node.level or 0, node.module, (line, col), names)
    if isinstance(node, ast.Call):
        form = CallForm()
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                break
            form.positional.append(Arg(_ast_value(lines, arg), node_position(lines, arg)))
        for keyword in node.keywords:
            if keyword.arg is not None:
                form.keywords[keyword.arg] = Arg(_ast_value(lines, keyword.value), node_position(lines, keyword.value))
        return form
    return None


def read_form(lines: Sequence[str], node: ast.AST, use_libcst: bool = True) -> tuple[Form | None, bool]:
    """The node's form, read with libcst when possible; the flag says whether libcst read it."""
    if use_libcst:
        segment = Segment.of(lines, node)
        if segment is not None:
            from .cst_reader import read_with_libcst  # libcst loads here, at the exact stage only

            form = read_with_libcst(segment, type(node))
            if form is not None:
                return form, True
    return read_with_ast(lines, node), False
