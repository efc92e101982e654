"""The libcst reader of the import forms: exact positions of every name in a candidate node.

Imported by ``forms.read_form`` only when a file reaches the exact stage, so that importing the
plugin does not import libcst.
"""

from __future__ import annotations

import ast

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from .constants import Concat, NameRef, StrValue, string_expr
from .forms import Arg, ArgValue, CallForm, Form, FromImportForm, ImportForm, Pos, identifier as _identifier
from .sources import Segment

__all__ = ["read_with_libcst"]


_EMPTY = cst.Module([])


def _string_from_code(node: cst.BaseExpression) -> StrValue | None:
    """A sum or f-string read as a string made of constants: its own code, parsed by ast, so
    both readers give the same answer (``constants.string_expr``)."""
    try:
        tree = ast.parse(f"(\n{_EMPTY.code_for_node(node)}\n)", mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    return string_expr(tree.body)


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
            if isinstance(value, str):
                return value
            return _string_from_code(node) if isinstance(node, cst.ConcatenatedString) else None
        if isinstance(node, (cst.BinaryOperation, cst.FormattedString)):
            return _string_from_code(node)
        if isinstance(node, cst.Integer):
            number = node.evaluated_value
            return number if isinstance(number, int) else None
        if isinstance(node, cst.Name):
            return NameRef(node.value)
        if isinstance(node, (cst.List, cst.Tuple)):
            items: list[tuple[StrValue, Pos]] = []
            for element in node.elements:
                if isinstance(element, cst.Element):
                    item = self.value(element.value)
                    if isinstance(item, (str, NameRef, Concat)):
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
