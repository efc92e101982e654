"""Source segments of ast nodes: the text libcst parses, and positions mapped back to the file.

ast columns are UTF-8 byte offsets; flake8 columns here are characters (what an editor shows).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Sequence


def char_column(line: str, byte_col: int) -> int:
    """The character column of a UTF-8 byte offset within ``line``."""
    if line.isascii():
        return byte_col
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", "replace"))


def node_position(lines: Sequence[str], node: ast.AST) -> tuple[int, int]:
    """(line, character column) of an ast node's start."""
    lineno: int = getattr(node, "lineno", 1)
    col: int = getattr(node, "col_offset", 0)
    if 1 <= lineno <= len(lines):
        col = char_column(lines[lineno - 1], col)
    return lineno, col


@dataclass(frozen=True)
class Segment:
    """The exact source text of one ast node, and where it starts in the file."""

    text: str
    first_line: int
    first_col: int  # characters

    @classmethod
    def of(cls, lines: Sequence[str], node: ast.AST) -> Segment | None:
        """The node's text, or None when the positions do not fit ``lines``."""
        first = getattr(node, "lineno", None)
        last = getattr(node, "end_lineno", None)
        col = getattr(node, "col_offset", None)
        end_col = getattr(node, "end_col_offset", None)
        if first is None or last is None or col is None or end_col is None:
            return None
        if not 1 <= first <= last <= len(lines):
            return None
        head = lines[first - 1].encode("utf-8")
        if first == last:
            text = head[col:end_col].decode("utf-8", "replace")
        else:
            tail = lines[last - 1].encode("utf-8")[:end_col].decode("utf-8", "replace")
            text = head[col:].decode("utf-8", "replace") + "".join(lines[first : last - 1]) + tail
        return cls(text, first, char_column(lines[first - 1], col))

    def to_file(self, line: int, col: int) -> tuple[int, int]:
        """Map a (1-based line, 0-based column) inside the segment to the file."""
        if line == 1:
            return self.first_line, self.first_col + col
        return self.first_line + line - 1, col
