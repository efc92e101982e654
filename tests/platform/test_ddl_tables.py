"""The Athena DDL of the tables parses as Athena SQL and its columns are layout.TABLE_COLUMNS."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from secfilings.lake.layout import PARTITION_COLUMNS, TABLE_COLUMNS

DDL_DIR = Path(__file__).resolve().parents[2] / "infra" / "athena" / "ddl"

# How sqlglot's Athena dialect spells each of the layout's types.
_ATHENA = {"string": "VARCHAR", "int": "INTEGER", "bigint": "BIGINT", "double": "DOUBLE",
           "boolean": "BOOLEAN", "date": "DATE"}


def _parse(table: str) -> exp.Create:
    statement = sqlglot.parse_one((DDL_DIR / f"{table}.sql").read_text(encoding="utf-8"), read="athena")
    assert isinstance(statement, exp.Create)
    return statement


@pytest.mark.parametrize("table", sorted(TABLE_COLUMNS))
def test_ddl_columns_match_layout(table: str) -> None:
    statement = _parse(table)
    assert statement.args["kind"] == "TABLE"
    schema = statement.this
    assert schema.this.name == table
    columns = [(col.name, col.args["kind"].sql("athena")) for col in schema.expressions]
    assert columns == [(name, _ATHENA[kind]) for name, kind in TABLE_COLUMNS[table]]


@pytest.mark.parametrize("table", sorted(TABLE_COLUMNS))
def test_ddl_is_external_partitioned_json_with_projection(table: str) -> None:
    statement = _parse(table)
    properties = statement.args["properties"]
    assert any(isinstance(p, exp.ExternalProperty) for p in properties.expressions)
    partitioned = properties.find(exp.PartitionedByProperty)
    assert partitioned is not None
    partition_columns = [(col.name, col.args["kind"].sql("athena")) for col in partitioned.this.expressions]
    assert partition_columns == [(name, _ATHENA[kind]) for name, kind in PARTITION_COLUMNS]
    text = (DDL_DIR / f"{table}.sql").read_text(encoding="utf-8")
    assert "org.openx.data.jsonserde.JsonSerDe" in text
    assert f"/tables/{table}/form=${{form}}/year=${{year}}/month=${{month}}'" in text
    location = properties.find(exp.LocationProperty)
    assert location is not None and location.this.name.endswith(f"/tables/{table}/")


def test_every_table_has_a_ddl_file_and_no_stray_table_files() -> None:
    created = set()
    for path in DDL_DIR.glob("*.sql"):
        statement = sqlglot.parse_one(path.read_text(encoding="utf-8"), read="athena")
        if statement.args.get("kind") == "TABLE":
            created.add(statement.this.this.name)
            assert path.stem == statement.this.this.name
    assert created == set(TABLE_COLUMNS)
