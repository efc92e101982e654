"""The import forms the rules understand, read from libcst (exact) or from ast (fallback).

Both readers produce the same small records, so the rules have one implementation. libcst
reads the candidate statement or call from its own source text and gives the exact position of
every name in it (ast has no position for the module of ``from a.b import c``); when libcst
cannot parse that text, the ast node flake8 already has is used instead.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Sequence, Union

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from .sources import Segment, node_position

__all__ = [
    "Arg", "CallForm", "FromImportForm", "ImportForm", "NameRef", "Pos",
    "read_form", "read_with_ast", "read_with_libcst",
]

Pos = tuple[int, int]  # (line, character column), 1-based line, 0-based column


@dataclass(frozen=True)
class NameRef:
    """A bare name used as an argument (``__package__``)."""

    id: str


ArgValue = Union[str, int, NameRef, list[tuple[str, Pos]], None]


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


def _identifier(text: str | None) -> str | None:
    """A name as Python reads it: identifiers are NFKC-normalized (``ｓ3`` is ``s3``); ast does it too."""
    if text is None or text.isascii():
        return text
    return unicodedata.normalize("NFKC", text)

# ---------------------------------------------------------------------------------------------
# libcst
# ---------------------------------------------------------------------------------------------


class _CstReader:
    def __init__(self, segment: Segment, positions: object) -> None:
        self.segment = segment
        self.positions = positions

    def pos(self, node: cst.CSTNode) -> Pos:
        code_range: CodeRange = self.positions[node]  # type: ignore[index]
        return self.segment.to_file(code_range.start.line, code_range.start.column)

    def import_form(self, node: cst.Import) -> ImportForm:
        names = []
        for alias in node.names:
            dotted = _identifier(get_full_name_for_node(alias.name))
            if dotted:
                names.append((dotted, self.pos(alias.name)))
        return ImportForm(names)

    def from_import_form(self, node: cst.ImportFrom) -> FromImportForm:
        module = _identifier(get_full_name_for_node(node.module)) if node.module is not None else None
        if node.relative:
            module_pos = self.pos(node.relative[0])
        elif node.module is not None:
            module_pos = self.pos(node.module)
        else:  # pragma: no cover - not valid Python
            module_pos = self.segment.to_file(1, 0)
        names: list[tuple[str, Pos]] = []
        if isinstance(node.names, cst.ImportStar):
            names.append(("*", self.pos(node.names)))
        else:
            for alias in node.names:
                name = _identifier(get_full_name_for_node(alias.name))
                if name:
                    names.append((name, self.pos(alias.name)))
        return FromImportForm(len(node.relative), module, module_pos, names)

    def value(self, node: cst.BaseExpression) -> ArgValue:
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = node.evaluated_value
            return value if isinstance(value, str) else None
        if isinstance(node, cst.Integer):
            number = node.evaluated_value
            return number if isinstance(number, int) else None
        if isinstance(node, cst.Name):
            return NameRef(node.value)
        if isinstance(node, (cst.List, cst.Tuple)):
            items: list[tuple[str, Pos]] = []
            for element in node.elements:
                if isinstance(element, cst.Element):
                    item = self.value(element.value)
                    if isinstance(item, str):
                        items.append((item, self.pos(element.value)))
            return items
        return None

    def call_form(self, node: cst.Call) -> CallForm:
        form = CallForm()
        positional_open = True
        for arg in node.args:
            if arg.star:
                positional_open = positional_open and arg.star == "**"
                continue
            entry = Arg(self.value(arg.value), self.pos(arg.value))
            if arg.keyword is not None:
                form.keywords[arg.keyword.value] = entry
            elif positional_open:
                form.positional.append(entry)
        return form


def read_with_libcst(segment: Segment, kind: type[ast.AST]) -> Form | None:
    """Parse ``segment`` with libcst and read it as ``kind`` (ast class); None if it cannot."""
    try:
        module = cst.parse_module(segment.text)
        if len(module.body) != 1 or not isinstance(module.body[0], cst.SimpleStatementLine):
            return None
        statement = module.body[0].body
        if len(statement) != 1:
            return None
        node = statement[0]
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        reader = _CstReader(segment, positions)
        if kind is ast.Import and isinstance(node, cst.Import):
            return reader.import_form(node)
        if kind is ast.ImportFrom and isinstance(node, cst.ImportFrom):
            return reader.from_import_form(node)
        if kind is ast.Call and isinstance(node, cst.Expr) and isinstance(node.value, cst.Call):
            return reader.call_form(node.value)
        return None
    except (KeyboardInterrupt, SystemExit):  # pragma: no cover
        raise
    except BaseException:  # libcst's native parser may raise a PanicException (a BaseException)
        return None


# ---------------------------------------------------------------------------------------------
# ast (fallback)
# ---------------------------------------------------------------------------------------------

_FROM_MODULE = re.compile(r"from\s*(?:\\\r?\n\s*)*")


def _ast_value(lines: Sequence[str], node: ast.expr) -> ArgValue:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name):
        return NameRef(node.id)
    if isinstance(node, (ast.List, ast.Tuple)):
        return [
            (element.value, node_position(lines, element))
            for element in node.elts
            if isinstance(element, ast.Constant) and isinstance(element.value, str)
        ]
    return None


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
            form = read_with_libcst(segment, type(node))
            if form is not None:
                return form, True
    return read_with_ast(lines, node), False
