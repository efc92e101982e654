"""Settings and the platform they open: a folder lake (embedded engines) or an S3 lake (AWS).

Every setting is a command-line flag and a ``SECFILINGS_*`` environment variable; flags win.
``open_platform(settings)`` builds the storage roles from the lake's kind:

- a folder: ``LocalObjectStore`` + ``SqliteLookupIndex`` (``<lake>/_index/lookup-index.sqlite``)
  + ``DuckDBEngine``;
- ``s3://bucket/prefix``: ``S3ObjectStore`` + ``DynamoLookupIndex`` (``--index-table``) +
  ``AthenaEngine`` (``--athena-database``, ``--athena-workgroup``, ``--athena-output``), with
  boto3 clients configured by boto3's environment (``AWS_ENDPOINT_URL``, region, credentials).
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from secfilings.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover - the adapters are imported when a platform is opened
    from secfilings.index.base import LookupIndex
    from secfilings.lake.objects import ObjectStore
    from secfilings.sql.engine import SqlEngine

__all__ = [
    "Settings",
    "Platform",
    "open_platform",
    "INDEX_MODES",
    "INDEX_READ_MODES",
    "ENV_VARS",
    "FLAGS",
    "MAX_BATCH_SIZE",
    "parse_s3_url",
    "backend_error_message",
]

INDEX_MODES = ("off", "write", "read-fallback", "read-only")
INDEX_READ_MODES = ("read-fallback", "read-only")  # the modes that read the index first
MAX_BATCH_SIZE = 100  # DynamoDB BatchGetItem's limit

ENV_VARS = {
    "lake": "SECFILINGS_LAKE",
    "index_table": "SECFILINGS_INDEX_TABLE",
    "index_path": "SECFILINGS_INDEX_PATH",
    "athena_database": "SECFILINGS_ATHENA_DATABASE",
    "athena_workgroup": "SECFILINGS_ATHENA_WORKGROUP",
    "athena_output": "SECFILINGS_ATHENA_OUTPUT",
    "index_mode": "SECFILINGS_INDEX_MODE",
    "batch_size": "SECFILINGS_BATCH_SIZE",
    "window_days": "SECFILINGS_WINDOW_DAYS",
    "max_document_bytes": "SECFILINGS_MAX_DOCUMENT_BYTES",
}
DEFAULT_MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
FLAGS = {name: "--" + name.replace("_", "-") for name in ENV_VARS}

# DuckDB's file_search_path is a comma-separated list and its globs expand {a,b} and backslashes:
# a lake whose absolute path holds one of these would be read as another folder (or fail)
_LAKE_PATH_REFUSED = (",", "\\", "{", "}")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_TABLE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_DATABASE = re.compile(r"^[A-Za-z0-9_]{1,255}$")
_WORKGROUP = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def parse_s3_url(url: str, source: str = "--lake") -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ``("bucket", "some/prefix")``; ConfigError naming ``source``."""
    if not url.startswith("s3://"):
        raise ConfigError(f"{source}: expected an s3://bucket/prefix URL, got {url!r}")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise ConfigError(f"{source}: invalid S3 bucket name {bucket!r} in {url!r}")
    prefix = prefix.strip("/")
    if prefix:
        parts = prefix.split("/")
        if any(part in ("", ".", "..") for part in parts) or "\\" in prefix or "\x00" in prefix:
            raise ConfigError(f"{source}: invalid S3 prefix {prefix!r} in {url!r}")
    return bucket, prefix


def _is_s3(lake: str) -> bool:
    return lake.startswith("s3://")


def _check(name: str, value: Any, source: str) -> Any:
    """Convert and validate one setting; errors name ``source`` (a flag or a variable)."""
    if name in ("batch_size", "window_days", "max_document_bytes"):
        if isinstance(value, bool):
            raise ConfigError(f"{source}: expected a whole number, got {value!r}")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ConfigError(f"{source}: expected a whole number, got {value!r}") from None
        if name == "batch_size" and not 1 <= number <= MAX_BATCH_SIZE:
            raise ConfigError(
                f"{source}: expected 1 to {MAX_BATCH_SIZE} (DynamoDB's batch limit), got {number}"
            )
        if name == "max_document_bytes" and not 1 <= number <= 2**40:
            raise ConfigError(f"{source}: expected 1 to {2**40} bytes, got {number}")
        if name == "window_days" and not 1 <= number <= 36500:
            raise ConfigError(f"{source}: expected 1 to 36500 days, got {number}")
        return number
    if value is None:
        if name in ("index_path", "athena_output"):
            return None
        raise ConfigError(f"{source}: a value is required")
    text = str(value).strip() if not isinstance(value, os.PathLike) else os.fspath(value)
    if name == "index_mode":
        if text not in INDEX_MODES:
            raise ConfigError(f"{source}: expected one of {', '.join(INDEX_MODES)}, got {text!r}")
        return text
    if not text:
        raise ConfigError(f"{source}: empty value")
    if "\x00" in text:
        raise ConfigError(f"{source}: contains a NUL character")
    if name == "lake":
        if "://" in text and not _is_s3(text):
            raise ConfigError(f"{source}: expected a folder or an s3://bucket/prefix URL, got {text!r}")
        if _is_s3(text):
            bucket, prefix = parse_s3_url(text, source)
            return f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        absolute = os.path.abspath(os.path.expanduser(text))
        for character in _LAKE_PATH_REFUSED:
            if character in absolute:
                raise ConfigError(
                    f"{source}: a folder lake's path may not contain {character!r}"
                    f" (DuckDB reads it as a list of folders or a pattern): {absolute!r}"
                )
        return text
    if name == "index_table" and not _TABLE.match(text):
        raise ConfigError(f"{source}: invalid DynamoDB table name {text!r} (3-255 of A-Z a-z 0-9 _ . -)")
    if name == "athena_database" and not _DATABASE.match(text):
        raise ConfigError(f"{source}: invalid Athena database name {text!r} (letters, digits, _)")
    if name == "athena_workgroup" and not _WORKGROUP.match(text):
        raise ConfigError(f"{source}: invalid Athena workgroup name {text!r}")
    if name == "athena_output":
        parse_s3_url(text, source)
        return text if text.endswith("/") else text + "/"
    return text


@dataclass(frozen=True)
class Settings:
    """The platform's settings (see the module docstring); validated on creation."""

    lake: str = "./secfilings-lake"
    index_table: str = "lookup-index"
    index_path: str | None = None  # SQLite file; default <lake>/_index/lookup-index.sqlite
    athena_database: str = "secfilings"
    athena_workgroup: str = "primary"
    athena_output: str | None = None  # default <lake>/_athena-results/ for an s3:// lake
    index_mode: str = "read-fallback"
    batch_size: int = 100
    window_days: int = 90
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES  # ingest refuses larger documents unread

    def __post_init__(self) -> None:
        for field in fields(self):
            checked = _check(field.name, getattr(self, field.name), FLAGS[field.name])
            object.__setattr__(self, field.name, checked)
        if self.index_path is None and not self.is_s3:
            default = os.path.join(self.lake, "_index", "lookup-index.sqlite")
            object.__setattr__(self, "index_path", default)
        if self.athena_output is None and self.is_s3:
            object.__setattr__(self, "athena_output", self.lake.rstrip("/") + "/_athena-results/")

    @property
    def is_s3(self) -> bool:
        return _is_s3(self.lake)

    @classmethod
    def from_env(
        cls,
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> "Settings":
        """Settings from ``SECFILINGS_*`` variables, then ``overrides`` (flags; None = unset)."""
        env = os.environ if environ is None else environ
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(ENV_VARS))
        if unknown:
            raise ConfigError(f"unknown setting {unknown[0]!r}: expected one of {', '.join(ENV_VARS)}")
        values: dict[str, Any] = {}
        for name, variable in ENV_VARS.items():
            if overrides.get(name) is not None:
                values[name] = _check(name, overrides[name], FLAGS[name])
            elif env.get(variable, "") != "":
                values[name] = _check(name, env[variable], variable)
        return cls(**values)

    def with_changes(self, **changes: Any) -> "Settings":
        """A copy with some settings changed (derived paths recomputed unless given)."""
        if "lake" in changes:
            changes.setdefault("index_path", None)
            changes.setdefault("athena_output", None)
        return replace(self, **changes)


class Platform:
    """The storage roles of one configuration (a context manager), each typed by its protocol:
    ``store`` (:class:`~secfilings.lake.objects.ObjectStore`), ``index``
    (:class:`~secfilings.index.base.LookupIndex`) and ``sql``
    (:class:`~secfilings.sql.engine.SqlEngine`)."""

    settings: Settings
    store: ObjectStore
    index: LookupIndex
    sql: SqlEngine

    def __init__(self, settings: Settings, store: ObjectStore, index: LookupIndex, sql: SqlEngine) -> None:
        self.settings = settings
        self.store = store
        self.index = index
        self.sql = sql

    def __repr__(self) -> str:
        return f"Platform(store={self.store!r}, index={self.index!r}, sql={self.sql!r})"

    def close(self) -> None:
        for role in (self.sql, self.index):
            closer = getattr(role, "close", None)
            if closer is not None:
                closer()

    def __enter__(self) -> "Platform":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_platform(settings: Settings | None = None, *, create: bool = True) -> Platform:
    """Open the lake, index and SQL engine that ``settings`` (default: from the environment) name.

    ``create=False`` (the read commands): a folder lake that does not exist is a ConfigError
    ("no lake at PATH"), never created, and neither is its index.
    """
    settings = Settings.from_env() if settings is None else settings
    if settings.is_s3:
        return _open_aws(settings)
    return _open_local(settings, create)


def _open_local(settings: Settings, create: bool = True) -> Platform:
    from secfilings.lake.objects import LocalObjectStore
    from secfilings.index.sqlite import SqliteLookupIndex
    from secfilings.sql.engine import DuckDBEngine

    root = Path(settings.lake).expanduser()
    if not create and not root.is_dir():
        raise ConfigError(f"no lake at {settings.lake} (--lake / SECFILINGS_LAKE)")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"--lake: cannot create folder {settings.lake!r}: {error.strerror}") from None
    if not root.is_dir():
        raise ConfigError(f"--lake: {settings.lake!r} is not a folder")
    assert settings.index_path is not None
    try:
        index = SqliteLookupIndex(Path(settings.index_path).expanduser())
    except (OSError, sqlite3.Error) as error:  # a path we cannot use
        raise ConfigError(f"--index-path: cannot open {settings.index_path!r}: {error}") from None
    store = LocalObjectStore(root)
    return Platform(settings, store, index, DuckDBEngine(store))


def _open_aws(settings: Settings) -> Platform:
    from secfilings import aws
    from secfilings.lake.objects import S3ObjectStore
    from secfilings.index.dynamodb import DynamoLookupIndex
    from secfilings.sql.engine import AthenaEngine

    bucket, prefix = parse_s3_url(settings.lake)
    store = S3ObjectStore(bucket, prefix, aws.client("s3"))
    index = DynamoLookupIndex(settings.index_table, aws.client("dynamodb"))
    sql = AthenaEngine(
        aws.client("athena"),
        database=settings.athena_database,
        workgroup=settings.athena_workgroup,
        output_location=settings.athena_output,
    )
    return Platform(settings, store, index, sql)


_DYNAMODB_OPERATIONS = frozenset({"PutItem", "GetItem", "Query", "BatchGetItem", "DeleteItem", "UpdateItem"})


def backend_error_message(error: BaseException, settings: Settings | None) -> str:
    """One line for a backend's error, naming the AWS resource when AWS says it is missing."""
    from secfilings.errors import one_line

    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    operation = getattr(error, "operation_name", None)
    if settings is not None and code == "ResourceNotFoundException" and operation in _DYNAMODB_OPERATIONS:
        return (
            f"DynamoDB table {settings.index_table!r} not found (--index-table / SECFILINGS_INDEX_TABLE; "
            "create it from infra/terraform/dynamodb_indexes.tf)"
        )
    if settings is not None and code == "NoSuchBucket":
        return f"the bucket of the lake {settings.lake!r} does not exist (--lake / SECFILINGS_LAKE)"
    return f"{type(error).__name__}: {one_line(error)}"
