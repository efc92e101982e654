"""SQL engines over the lake's tables: DuckDB (embedded default) and Athena (production).

Both take ``?`` placeholders and a sequence of parameters (never string formatting) and return
rows as dicts with Python values (str, int, float, bool, date, datetime, Decimal or None).

Tables: ``ownership_filings``, ``insider_transactions``, ``fund_filings``, ``fund_holdings``,
each with the columns of ``secfilings.lake.layout.TABLE_COLUMNS`` plus the Hive partition
columns of ``layout.PARTITION_COLUMNS`` (``form``, ``year``, ``month``: strings, as in the
keys); and the view ``top_companies`` from ``secfilings/sql/top_companies.sql`` when that file
exists (the same SQL for both engines).
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, Sequence, runtime_checkable

from secfilings import meter
from secfilings.errors import SecfilingsError

__all__ = [
    "SqlEngine",
    "SqlError",
    "DuckDBEngine",
    "AthenaEngine",
    "PARTITION_COLUMNS",
    "TOP_COMPANIES_SQL",
    "table_columns",
    "partition_columns",
    "load_view_sql",
    "read_views",
    "with_read_views",
]

# the Hive partition columns when the layout module does not say (it does: layout.PARTITION_COLUMNS)
PARTITION_COLUMNS: dict[str, str] = {"form": "VARCHAR", "year": "VARCHAR", "month": "VARCHAR"}
TOP_COMPANIES_SQL = Path(__file__).with_name("top_companies.sql")
_FALLBACK_TABLES = ("ownership_filings", "insider_transactions", "fund_filings", "fund_holdings")
_SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BAD_FILE = re.compile(r'in file "([^"]+)"')  # DuckDB's words for a row file it cannot read
_MAX_SKIPPED_PER_QUERY = 100
_COMPACTED_NAME = "compacted.parquet"  # layout.COMPACTED_NAME: a partition's compacted rows

# Athena/Hive type names -> DuckDB type names (anything else is passed through upper-cased)
_TYPE_MAP = {
    "string": "VARCHAR",
    "varchar": "VARCHAR",
    "char": "VARCHAR",
    "int": "INTEGER",
    "integer": "INTEGER",
    "tinyint": "TINYINT",
    "smallint": "SMALLINT",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "float": "FLOAT",
    "real": "FLOAT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}


class SqlError(SecfilingsError):
    """A query the engine refused or that failed; the message says which and why."""


@runtime_checkable
class SqlEngine(Protocol):
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...


def _duck_type(type_name: str) -> str:
    text = type_name.strip()
    mapped = _TYPE_MAP.get(text.lower())
    if mapped:
        return mapped
    if text.lower().startswith("array<") and text.endswith(">"):
        return _duck_type(text[6:-1]) + "[]"
    return text.upper()


def table_columns() -> dict[str, dict[str, str]]:
    """``{table: {column: duckdb_type}}`` from ``secfilings.lake.layout.TABLE_COLUMNS``.

    Imported when first needed, so this module works before and apart from the layout module.
    ``TABLE_COLUMNS`` may map each table to a mapping or to a sequence of (name, type) pairs.
    """
    from secfilings.lake import layout  # noqa: PLC0415 - lazy on purpose

    result: dict[str, dict[str, str]] = {}
    for table, columns in layout.TABLE_COLUMNS.items():
        pairs = columns.items() if isinstance(columns, Mapping) else columns
        result[table] = {str(name): _duck_type(str(kind)) for name, kind in pairs}
    return result


def partition_columns() -> dict[str, str]:
    """``{column: duckdb_type}`` of the Hive partitions, from ``layout.PARTITION_COLUMNS``."""
    try:
        from secfilings.lake import layout  # noqa: PLC0415
    except ImportError:
        return dict(PARTITION_COLUMNS)
    pairs = getattr(layout, "PARTITION_COLUMNS", None)
    if pairs is None:
        return dict(PARTITION_COLUMNS)
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    return {str(name): _duck_type(str(kind)) for name, kind in items}


def load_view_sql(path: Path = TOP_COMPANIES_SQL) -> str | None:
    """The ``top_companies`` view's body (a SELECT), or None when no file defines it yet.

    The file may hold the bare SELECT or a full ``CREATE [OR REPLACE] VIEW ... AS SELECT``.
    """
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.strip().startswith("--")]
    body = "\n".join(lines).strip().rstrip(";").strip()
    match = re.match(r"(?is)^create\s+(?:or\s+replace\s+)?view\s+[\w.\"`]+\s+as\s+(.*)$", body)
    return match.group(1).strip() if match else body


# a table named after FROM or JOIN (optionally double-quoted), not followed by more of a name
_FROM_TABLE = re.compile(r'(?i)\b(FROM|JOIN)(\s+)("?)([A-Za-z_][A-Za-z0-9_]*)\3(?![\w."])')


def read_views() -> dict[str, str]:
    """``{table: view}``: what Athena reads each lake table through (``layout.READ_VIEWS``, the
    ``<table>_all`` views of infra/athena/ddl/compacted/: compacted and fresh rows alike)."""
    from secfilings.lake import layout  # noqa: PLC0415 - lazy, as table_columns

    return dict(layout.READ_VIEWS)


def with_read_views(sql: str, views: Mapping[str, str] | None = None) -> str:
    """``sql`` with every lake table named after ``FROM`` / ``JOIN`` replaced by its view
    (``views``, default :func:`read_views`): ``FROM ownership_filings f`` becomes
    ``FROM ownership_filings_all f``. Other names (CTEs, the views themselves, columns) are kept,
    so applying it twice changes nothing."""
    names = {name.lower(): view for name, view in (read_views() if views is None else views).items()}
    if not names:
        return sql

    def swap(match: re.Match[str]) -> str:
        view = names.get(match.group(4).lower())
        if view is None:
            return match.group(0)
        quote = match.group(3)
        return f"{match.group(1)}{match.group(2)}{quote}{view}{quote}"

    return _FROM_TABLE.sub(swap, sql)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _tables_in(sql: str, names: Sequence[str]) -> set[str]:
    lowered = sql.lower()
    return {name for name in names if re.search(rf"\b{re.escape(name)}\b", lowered)}


# -- DuckDB (embedded default) ------------------------------------------------------------------


class DuckDBEngine:
    """DuckDB over the lake folder's NDJSON rows: ``tables/<table>/form=/year=/month=/*.json``.

    Views read the files at query time, so rows written after the engine opened are seen. A
    table without files yet is an empty table of the right columns and types. A row file DuckDB
    cannot read (corrupt NDJSON) is skipped, named once on stderr (and in ``skipped_files``):
    the other files, and so the other issuers, still answer; ``verify-partitions`` reports it.
    """

    def __init__(
        self, store_or_root: Any, *, columns: Mapping[str, Mapping[str, str]] | None = None
    ) -> None:
        """``store_or_root``: a LocalObjectStore or a folder; ``columns`` overrides the layout's."""
        import duckdb  # noqa: PLC0415 - the engine is optional until used

        # a folder (str or Path: a Path's own ``.root`` is "/", not a lake) or a store's root
        root = store_or_root if isinstance(store_or_root, (str, os.PathLike)) else store_or_root.root
        self.root = Path(root).resolve()
        self._conn = duckdb.connect(database=":memory:")
        # globs are relative to the lake: a folder named like a pattern ("lake[1]", "a*b") is a
        # plain folder, never a pattern that fails or matches another lake's files
        self._conn.execute(f"SET file_search_path = {self._literal(str(self.root))}")
        self._lock = threading.Lock()
        self._columns: dict[str, dict[str, str]] | None = (
            {t: {n: _duck_type(k) for n, k in c.items()} for t, c in columns.items()}
            if columns is not None
            else None
        )
        self._has_files: dict[str, tuple[bool, tuple[str, ...]]] = {}
        self._partitions = partition_columns()
        self._view_sql: str | None = None
        self._view_tables: set[str] = set()
        self._view_error: str | None = None
        self.skipped_files: dict[str, str] = {}  # lake key -> why it was skipped
        self._skipped_by_table: dict[str, set[str]] = {}

    def __repr__(self) -> str:
        return f"DuckDBEngine({str(self.root)!r})"

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _table_dir(self, table: str) -> Path:
        return self.root / "tables" / table

    def _files_state(self, table: str) -> tuple[bool, tuple[str, ...]]:
        """(any NDJSON row file of the table, its compacted Parquet files)."""
        has_json = False
        for _dirpath, _dirnames, filenames in os.walk(self._table_dir(table)):
            if any(name.endswith(".json") for name in filenames):
                has_json = True
                break
        parquet: list[str] = []
        for dirpath, _dirnames, filenames in os.walk(self.root / "compacted" / table):
            if _COMPACTED_NAME in filenames:
                parquet.append(os.path.join(dirpath, _COMPACTED_NAME))
        return has_json, tuple(sorted(parquet))

    def _literal(self, text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    def _create_view(self, table: str, columns: dict[str, str], state: tuple[bool, tuple[str, ...]]) -> None:
        """The table's view: compacted Parquet rows plus the rows of NDJSON files they do not cover.

        A partition's ``compacted/<table>/.../compacted.parquet`` holds the rows of the NDJSON files it replaced; while
        those files are still there (a compaction between its swap and its deletes, or a crash
        there) their rows are left out by (partition, accession), so no row is counted twice.
        Parquet files written before a column existed read that column as null.
        """
        has_files, parquet = state
        partitions = self._partitions
        own = {name: kind for name, kind in columns.items() if name not in partitions}
        all_columns = {**own, **partitions}
        select_list = ", ".join(f'"{name}"' for name in all_columns)
        hive = ", ".join(f"{self._literal(name)}: {self._literal(kind)}" for name, kind in partitions.items())
        skipped = self._skipped_by_table.get(table)
        files: list[str] | None = None
        if has_files and skipped:
            files = [key for key in self._table_keys(table) if key not in skipped]
            has_files = bool(files)
        json_body: str | None = None
        if has_files:
            glob = f"tables/{table}/**/*.json"  # relative to file_search_path, the lake
            if files is not None:  # every file but the skipped ones (keys are layout-safe names)
                glob_sql = "[" + ", ".join(self._literal(key) for key in files) + "]"
            else:
                glob_sql = self._literal(glob)
            spec = ", ".join(f"{self._literal(name)}: {self._literal(kind)}" for name, kind in own.items())
            source = (
                f"read_json({glob_sql}, format='newline_delimited',"
                f" hive_partitioning=true, hive_types={{{hive}}}, columns={{{spec}}})"
            )
            json_body = f"SELECT {select_list} FROM {source}"
        parquet_body: str | None = None
        if parquet:
            glob_sql = self._literal(f"compacted/{table}/**/{_COMPACTED_NAME}")
            source = (
                f"read_parquet({glob_sql}, hive_partitioning=true, hive_types={{{hive}}}, union_by_name=true)"
            )
            present = {
                row[0] for row in self._conn.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
            }
            items = [
                f'CAST("{name}" AS {kind}) AS "{name}"' if name in present else f'CAST(NULL AS {kind}) AS "{name}"'
                for name, kind in all_columns.items()
            ]
            parquet_body = f"SELECT {', '.join(items)} FROM {source}"
        if parquet_body and json_body:
            keys = ", ".join(f'"{name}"' for name in (*partitions, "accession_number"))
            body = (
                f"{parquet_body} UNION ALL SELECT fresh.* FROM ({json_body}) AS fresh"
                f" ANTI JOIN (SELECT DISTINCT {keys} FROM ({parquet_body}) AS c) AS done USING ({keys})"
            )
        elif parquet_body or json_body:
            body = parquet_body or json_body or ""
        else:
            casts = ", ".join(f'CAST(NULL AS {kind}) AS "{name}"' for name, kind in all_columns.items())
            body = f"SELECT {casts} WHERE false"
        self._conn.execute(f'CREATE OR REPLACE VIEW "{table}" AS {body}')

    def _refresh(self) -> None:
        """Make every table's view match the files now present (cheap when nothing changed)."""
        if self._columns is None:
            columns = table_columns()
            for table in columns:
                if not _SAFE_NAME.match(table):
                    raise SqlError(f"invalid table name {table!r} in TABLE_COLUMNS")
            self._columns = columns
        for table, columns in self._columns.items():
            state = self._files_state(table)
            if self._has_files.get(table) != state or table in self._skipped_by_table:
                self._create_view(table, columns, state)
                self._has_files[table] = state
        view = load_view_sql()
        if view is not None and view != self._view_sql:
            import duckdb  # noqa: PLC0415

            self._view_sql = view
            self._view_tables = _tables_in(view, list(self._columns))
            try:
                self._conn.execute(f"CREATE OR REPLACE VIEW top_companies AS {view}")
                self._view_error = None
            except duckdb.Error as error:  # reported when a query uses the view
                self._view_error = f"view top_companies ({TOP_COMPANIES_SQL.name}): {_first_line(error)}"

    def _table_keys(self, table: str) -> list[str]:
        keys = []
        for dirpath, _dirnames, filenames in os.walk(self._table_dir(table)):
            for name in filenames:
                if name.endswith(".json"):
                    keys.append(Path(dirpath, name).relative_to(self.root).as_posix())
        return sorted(keys)

    def _skip_bad_file(self, error: BaseException) -> bool:
        """Leave out the row file ``error`` names (True), if it is one of the lake's."""
        match = _BAD_FILE.search(str(error))
        if match is None:
            return False
        try:
            key = Path(match.group(1)).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return False
        parts = key.split("/")
        if len(parts) < 3 or parts[0] != "tables" or self._columns is None or parts[1] not in self._columns:
            return False
        table = parts[1]
        if key in self._skipped_by_table.get(table, set()):
            return False  # skipped already and still failing: not this file's fault
        reason = _first_line(error)
        self._skipped_by_table.setdefault(table, set()).add(key)
        self.skipped_files[key] = reason
        sys.stderr.write(f"secfilings: skipped the unreadable row file {key} ({reason[:200]})\n")
        self._create_view(table, self._columns[table], self._files_state(table))
        return True

    def _bytes_of(self, tables: set[str]) -> int:
        total = 0
        for table in tables:
            for dirpath, _dirnames, filenames in (
                *os.walk(self._table_dir(table)), *os.walk(self.root / "compacted" / table)
            ):
                for name in filenames:
                    if name.endswith(".json") or name == _COMPACTED_NAME:
                        try:
                            total += os.stat(os.path.join(dirpath, name)).st_size
                        except FileNotFoundError:
                            pass
        return total

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        import duckdb  # noqa: PLC0415

        if not isinstance(params, (list, tuple)):
            raise SqlError(f"query parameters must be a list or tuple, got {type(params).__name__}")
        with self._lock:
            self._refresh()
            if self._view_error and "top_companies" in sql.lower():
                raise SqlError(f"DuckDB query failed: {self._view_error}")
            for _attempt in range(_MAX_SKIPPED_PER_QUERY + 1):
                try:
                    cursor = self._conn.execute(sql, list(params))
                    names = [column[0] for column in cursor.description or ()]
                    rows = cursor.fetchall()
                    break
                except duckdb.Error as error:
                    if not self._skip_bad_file(error):
                        raise SqlError(f"DuckDB query failed: {_first_line(error)}") from None
            else:
                raise SqlError(f"DuckDB query failed: more than {_MAX_SKIPPED_PER_QUERY} unreadable row files")
            touched: set[str] = set()
            if meter.active():
                assert self._columns is not None
                touched = _tables_in(sql, list(self._columns))
                if "top_companies" in sql.lower():
                    touched |= self._view_tables
        meter.record("athena.query")
        if touched:
            meter.record("athena.bytes_scanned", self._bytes_of(touched))
        return [dict(zip(names, row)) for row in rows]


# -- Athena (production) ------------------------------------------------------------------------


def _convert(value: str | None, kind: str) -> Any:
    if value is None:
        return None
    kind = kind.lower()
    if kind in ("integer", "int", "bigint", "smallint", "tinyint"):
        return int(value)
    if kind in ("double", "float", "real"):
        return float(value)
    if kind == "boolean":
        return value.lower() == "true"
    if kind == "decimal":
        return Decimal(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind.startswith("timestamp"):
        return datetime.fromisoformat(value.replace(" ", "T")[:26])
    return value


def _athena_literal(value: Any) -> str:
    """A parameter as Athena's ExecutionParameters expects it: a SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise SqlError(f"unsupported query parameter {value!r} ({type(value).__name__})")


class AthenaEngine:
    """Athena: ``StartQueryExecution`` (with ``ExecutionParameters``), poll, page the results.

    The SQL it is given names the lake's tables as DuckDB has them (``ownership_filings``...);
    it sends it with each table after FROM/JOIN replaced by its read view (``views``, default
    ``layout.READ_VIEWS``: ``ownership_filings_all``...), which reads a partition's compacted
    Parquet rows and the NDJSON rows no compacted file holds yet, so a compacted lake answers as
    before. ``views={}`` sends the SQL as it is (the JSON tables only).
    """

    def __init__(
        self,
        client: Any = None,
        database: str = "secfilings",
        workgroup: str = "primary",
        output_location: str | None = None,
        *,
        poll_interval_s: float = 0.2,
        timeout_s: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        views: Mapping[str, str] | None = None,
    ) -> None:
        if client is None:
            from secfilings.aws import client as make_client  # noqa: PLC0415

            client = make_client("athena")
        self.views = read_views() if views is None else dict(views)
        for name in (*self.views, *self.views.values()):
            if not _SAFE_NAME.match(name):
                raise SqlError(f"invalid Athena table or view name {name!r}")
        if output_location is not None and not output_location.startswith("s3://"):
            raise SqlError(f"invalid Athena output location {output_location!r}: expected s3://...")
        self.client = client
        self.database = database
        self.workgroup = workgroup
        self.output_location = output_location
        self.poll_interval_s = poll_interval_s
        self.timeout_s = timeout_s
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"AthenaEngine(database={self.database!r}, workgroup={self.workgroup!r})"

    def close(self) -> None:
        """Nothing to release."""

    def athena_sql(self, sql: str) -> str:
        """The SQL this engine sends for ``sql``: the tables read through their views."""
        return with_read_views(sql, self.views)

    def start(self, sql: str, params: Sequence[Any] = ()) -> str:
        request: dict[str, Any] = {
            "QueryString": self.athena_sql(sql),
            "QueryExecutionContext": {"Database": self.database},
            "WorkGroup": self.workgroup,
        }
        if params:
            request["ExecutionParameters"] = [_athena_literal(value) for value in params]
        if self.output_location:
            request["ResultConfiguration"] = {"OutputLocation": self.output_location}
        response = self._call("StartQueryExecution", self.client.start_query_execution, **request)
        return response["QueryExecutionId"]

    def wait(self, query_id: str) -> dict[str, Any]:
        """Poll until the query ends; bounded by ``timeout_s`` of accumulated back-off delays."""
        waited = 0.0
        delay = self.poll_interval_s
        while True:
            execution = self._call(
                "GetQueryExecution", self.client.get_query_execution, QueryExecutionId=query_id
            )["QueryExecution"]
            status = execution.get("Status", {})
            state = status.get("State")
            if state == "SUCCEEDED":
                return execution
            if state in ("FAILED", "CANCELLED"):
                reason = status.get("StateChangeReason") or "no reason given"
                error = status.get("AthenaError", {}).get("ErrorMessage")
                detail = f"{reason} ({error})" if error and error not in reason else reason
                raise SqlError(f"Athena query {query_id} {state}: {detail}")
            if waited >= self.timeout_s:
                raise SqlError(
                    f"Athena query {query_id} still {state} after waiting {self.timeout_s:g} s"
                )
            self._sleep(delay)
            waited += delay
            delay = min(delay * 2, 5.0)

    def _call(self, operation: str, method: Callable[..., Any], **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            return method(**kwargs)
        except ClientError as error:
            info = error.response.get("Error", {})
            message = info.get("Message") or info.get("Code") or str(error)
            raise SqlError(f"Athena {operation} failed: {message}") from None
        except BotoCoreError as error:
            raise SqlError(f"Athena {operation} failed: {error}") from None

    def results(self, query_id: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        request: dict[str, Any] = {"QueryExecutionId": query_id}
        names: list[str] = []
        kinds: list[str] = []
        first_page = True
        while True:
            page = self._call("GetQueryResults", self.client.get_query_results, **request)
            result_set = page.get("ResultSet", {})
            if not names:
                info = result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                names = [column["Name"] for column in info]
                kinds = [column.get("Type", "varchar") for column in info]
            data_rows = result_set.get("Rows", [])
            if first_page and data_rows and names:
                header = [cell.get("VarCharValue") for cell in data_rows[0].get("Data", [])]
                if header == names:  # SELECT results repeat the column names as the first row
                    data_rows = data_rows[1:]
            first_page = False
            for row in data_rows:
                cells = [cell.get("VarCharValue") for cell in row.get("Data", [])]
                if not names:
                    names = [f"_col{i}" for i in range(len(cells))]
                    kinds = ["varchar"] * len(cells)
                rows.append(
                    {name: _convert(value, kind) for name, value, kind in zip(names, cells, kinds)}
                )
            token = page.get("NextToken")
            if not token:
                return rows
            request["NextToken"] = token

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        if not isinstance(params, (list, tuple)):
            raise SqlError(f"query parameters must be a list or tuple, got {type(params).__name__}")
        query_id = self.start(sql, params)
        self.wait(query_id)
        return self.results(query_id)
