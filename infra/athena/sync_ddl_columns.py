"""Rewrite the column lists of the Athena DDL from ``secfilings.lake.layout.TABLE_COLUMNS``.

The DDL files are what gets deployed, so they spell every column; this keeps the three files of
each table (JSON table, Parquet table, ``_all`` view) equal to the layout after a column change::

    python infra/athena/sync_ddl_columns.py

``tests/platform/test_ddl_tables.py`` and ``tests/platform/test_compact.py`` check the result.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DDL = Path(__file__).resolve().parent / "ddl"
sys.path.insert(0, str(DDL.parents[2]))

from secfilings.lake.layout import PARTITION_COLUMNS, TABLE_COLUMNS  # noqa: E402

_TABLE_BLOCK = re.compile(r"(CREATE EXTERNAL TABLE IF NOT EXISTS \w+ \(\n)(.*?)(\n\)\n)", re.S)
_VIEW_BLOCK = re.compile(r'(SELECT\n)((?:  (?:j\.)?"\w+",?\n)+)(FROM )')


def _table_columns(table: str) -> str:
    width = 4 + max(len(name) for name, _ in TABLE_COLUMNS[table])
    return ",\n".join(f"  `{name}`".ljust(width) + f" {kind}" for name, kind in TABLE_COLUMNS[table])


def _view_columns(table: str, prefix: str) -> str:
    names = [name for name, _ in TABLE_COLUMNS[table]] + [name for name, _ in PARTITION_COLUMNS]
    return ",\n".join(f'  {prefix}"{name}"' for name in names) + "\n"


def sync(table: str) -> None:
    for path in (DDL / f"{table}.sql", DDL / "compacted" / f"{table}_compacted.sql"):
        text, count = _TABLE_BLOCK.subn(lambda m: m[1] + _table_columns(table) + m[3], path.read_text("utf-8"))
        assert count == 1, path
        path.write_text(text, "utf-8")
    view = DDL / "compacted" / f"{table}_all.sql"
    prefixes = iter(["", "j."])
    text, count = _VIEW_BLOCK.subn(lambda m: m[1] + _view_columns(table, next(prefixes)) + m[3], view.read_text("utf-8"))
    assert count == 2, view
    view.write_text(text, "utf-8")


if __name__ == "__main__":
    for name in TABLE_COLUMNS:
        sync(name)
