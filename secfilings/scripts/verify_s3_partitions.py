"""Check the lake's partitions: ``python -m secfilings.scripts.verify_s3_partitions [--lake ...]``.

It walks the lake with delimiter listings (one ``LIST`` per page at each level, never a full
listing of every key at once) and reports:

- ``outside-scheme``: an object or folder that is not where the layout puts things
  (``raw/form=<form>/year=<YYYY>/month=<MM>/<accession>.<xml|txt|nc>``,
  ``tables/<table>/form=.../year=.../month=.../<accession>.json``,
  ``tables/insider_activity/window_end=<date>/window_days=<n>/activity.json``,
  ``quarantine/<yyyy-mm-dd>/...``,
  ``compacted/<table>/form=.../year=.../month=.../compacted.parquet``, ``secfilings compact``'s
  files); top-level names starting with ``_`` or ``.`` (the SQLite
  index, Athena results, checkpoints) are private and not checked;
- ``mismatch``: a table file whose rows disagree with its key (form, filing year/month,
  accession number, window), or that is not NDJSON; a ``compacted.parquet`` that is not a
  readable Parquet file, or a row of which is not an accession number or disagrees with its
  partition (form, filing year/month);
- ``empty-partition``: a partition folder holding no data (only folder markers such as the S3
  console's ``.../month=02/`` or ``_SUCCESS``, or only empty raw documents); ``empty-object``:
  a zero-byte raw document beside real ones, or a zero-byte ``ownership_filings`` /
  ``fund_filings`` file (the filing's own row is lost). A zero-byte file of the other tables is
  a filing with no rows in that table (a Form 3 with no securities, a 13F cover page alone) and
  is fine;
- ``missing-raw``: an ``ownership_filings`` / ``fund_filings`` row file whose raw document
  (``raw/`` in the same form, year and month, same accession number) is gone (found from the
  listings alone, so ``--keys-only`` sees it too; for the filings of a compacted file, whose
  accessions are inside it, only when contents are checked).

An empty folder of a folder lake counts as S3's folder marker (``.../month=05/``), so an empty
partition folder, or an empty folder named like a row file, is reported as on S3. Names are
printed escaped (a newline or a control character in a key cannot forge an output line).

With ``--keys-only`` it lists and never reads an object (LIST calls only); otherwise it reads
each table file once (one GET each; a ``compacted.parquet`` is read by DuckDB from a local copy)
to compare its rows with its key. It may read objects
directly: it is a script, not a service or worker. Exit status: 0 clean, 1 problems found, 2 a
usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Sequence, TextIO

from secfilings.lake import layout

__all__ = ["Problem", "VerifyReport", "verify_partitions", "main"]

_FORM_DIR = re.compile(r"^form=([0-9A-Z][0-9A-Z-]{0,15})/$")
_YEAR_DIR = re.compile(r"^year=(\d{4})/$", re.ASCII)
_MONTH_DIR = re.compile(r"^month=(0[1-9]|1[0-2])/$", re.ASCII)
_DAY_DIR = re.compile(r"^(\d{4}-\d{2}-\d{2})/$", re.ASCII)
_WINDOW_END_DIR = re.compile(r"^window_end=(\d{4}-\d{2}-\d{2})/$", re.ASCII)
_WINDOW_DAYS_DIR = re.compile(r"^window_days=([1-9]\d{0,4})/$", re.ASCII)
_MARKERS = ("_SUCCESS", "_$folder$")
ACTIVITY_TABLE = "insider_activity"
FILING_TABLES = ("ownership_filings", "fund_filings")  # one row per filing: never empty
RAW_EXTENSIONS = ("xml", "txt", "nc", layout.RAW_TABLE_EXT)  # raw documents; a table that joined its cover


@dataclass(frozen=True)
class Problem:
    kind: str  # outside-scheme | mismatch | empty-partition | empty-object
    key: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "key": self.key, "detail": self.detail}


@dataclass
class VerifyReport:
    lake: str
    problems: list[Problem] = field(default_factory=list)
    partitions: int = 0
    objects: int = 0
    list_calls: int = 0
    get_calls: int = 0
    contents_checked: bool = True

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "lake": self.lake,
            "ok": self.ok,
            "partitions": self.partitions,
            "objects": self.objects,
            "list_calls": self.list_calls,
            "get_calls": self.get_calls,
            "contents_checked": self.contents_checked,
            "problems": [problem.to_json() for problem in self.problems],
        }

    def write_text(self, out: TextIO) -> None:
        reads = f", {self.get_calls} GET" if self.contents_checked else ", keys only"
        out.write(
            f"verify-partitions: {self.objects} objects in {self.partitions} partitions of {self.lake} "
            f"({self.list_calls} LIST calls{reads}): "
            + ("no problems\n" if self.ok else f"{len(self.problems)} problem(s)\n")
        )
        for problem in self.problems:
            out.write(f"  {problem.kind:<15} {escaped(problem.key)}: {escaped(problem.detail)}\n")


def escaped(text: str) -> str:
    """``text`` with backslashes and unprintable characters escaped (``\\n``, ``\\x1b``...)."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(c if c.isprintable() and c != "\\" else c.encode("unicode_escape").decode("ascii") for c in text)


class _Walker:
    def __init__(self, store: Any, report: VerifyReport, check_contents: bool) -> None:
        self.store = store
        self.report = report
        self.check_contents = check_contents
        self.raw_documents: set[tuple[str, int, int, str]] = set()  # (form, year, month, accession)
        self.filing_rows: dict[tuple[str, int, int, str], str] = {}  # the same -> its row file's key

    def problem(self, kind: str, key: str, detail: str) -> None:
        self.report.problems.append(Problem(kind, key, detail))

    def list(self, prefix: str) -> tuple[list[tuple[str, int]], list[str]]:
        result = self.store.list(prefix, "/")
        self.report.list_calls += result.pages
        return result.keys, result.common_prefixes

    def read(self, key: str) -> bytes:
        from secfilings.services.api.athena.s3_direct_read import read_object

        self.report.get_calls += 1
        return read_object(self.store, key)

    # -- levels ---------------------------------------------------------------------------------

    def root(self) -> None:
        keys, prefixes = self.list("")
        for key, _ in keys:
            if not key.startswith(("_", ".")):
                self.problem("outside-scheme", key, "object at the top of the lake")
        for prefix in prefixes:
            if prefix == layout.RAW_PREFIX:
                self.partitioned(prefix, table=None)
            elif prefix == layout.TABLES_PREFIX:
                self.tables(prefix)
            elif prefix == layout.QUARANTINE_PREFIX:
                self.quarantine(prefix)
            elif prefix == layout.COMPACTED_PREFIX:
                self.compacted_tables(prefix)
            elif not prefix.startswith(("_", ".")):
                self.problem("outside-scheme", prefix, "unknown top-level folder")

    def stray_keys(self, keys: list[tuple[str, int]], where: str) -> None:
        for key, size in keys:
            if size == 0 and (key.endswith("/") or key.rsplit("/", 1)[-1] in _MARKERS):
                continue  # a folder marker
            self.problem("outside-scheme", key, f"object directly under {where}")

    def tables(self, prefix: str) -> None:
        keys, prefixes = self.list(prefix)
        self.stray_keys(keys, prefix)
        for sub in prefixes:
            table = sub[len(prefix) : -1]
            if table in layout.TABLE_COLUMNS:
                self.partitioned(sub, table=table)
            elif table == ACTIVITY_TABLE:
                self.activity(sub)
            else:
                self.problem("outside-scheme", sub, f"unknown table {table!r}")

    def expect(self, prefix: str, pattern: re.Pattern[str], what: str) -> list[tuple[str, str]]:
        """Sub-folders of ``prefix`` matching ``pattern`` as (prefix, value); the rest are problems."""
        keys, prefixes = self.list(prefix)
        self.stray_keys(keys, prefix)
        found = []
        for sub in prefixes:
            match = pattern.match(sub[len(prefix) :])
            if match is None:
                self.problem("outside-scheme", sub, f"expected a {what} folder")
            else:
                found.append((sub, match.group(1)))
        if not found and not prefixes and not self.compacted(prefix):
            self.problem("empty-partition", prefix, f"no {what} folder below")
        return found

    def compacted(self, prefix: str) -> bool:
        """``tables/<table>/`` emptied by ``secfilings compact``: its rows are in ``compacted/<table>/``."""
        parts = prefix.split("/")
        if len(parts) != 3 or parts[0] + "/" != layout.TABLES_PREFIX or parts[1] not in layout.TABLE_COLUMNS:
            return False
        _keys, below = self.list(f"{layout.COMPACTED_PREFIX}{parts[1]}/")
        return bool(below)

    def partitioned(self, prefix: str, table: str | None) -> None:
        for form_prefix, form in self.expect(prefix, _FORM_DIR, "form=<form>"):
            for year_prefix, year in self.expect(form_prefix, _YEAR_DIR, "year=<YYYY>"):
                for month_prefix, month in self.expect(year_prefix, _MONTH_DIR, "month=<MM>"):
                    self.partition(month_prefix, table, form, int(year), int(month))

    def partition(self, prefix: str, table: str | None, form: str, year: int, month: int) -> None:
        self.report.partitions += 1
        keys, prefixes = self.list(prefix)
        for sub in prefixes:
            self.problem("outside-scheme", sub, "folder below a month partition")
        data: list[tuple[str, str]] = []
        empties: list[str] = []
        for key, size in keys:
            name = key[len(prefix) :]
            if size == 0 and (key.endswith("/") or name in _MARKERS):
                continue  # a folder marker (S3 console, Hadoop)
            self.report.objects += 1
            parts = layout.parse_key(key)
            if parts is None or parts["table"] != table or (table is None and parts["ext"] not in RAW_EXTENSIONS):
                expected = "<accession>.json" if table else "<accession>.xml|txt|nc"
                self.problem("outside-scheme", key, f"name is not {expected}")
            elif size == 0 and (table is None or table in FILING_TABLES):
                empties.append(key)  # a raw document or a filing's own row is never empty
            else:
                data.append((key, parts["accession"]))  # a table file may be empty: no rows
            if parts is not None and parts["table"] == table:
                where = (form, year, month, parts["accession"])
                if table is None:
                    self.raw_documents.add(where)
                elif table in FILING_TABLES:
                    self.filing_rows[where] = key
        if not data:
            detail = "only empty files" if empties else "no data in this partition"
            self.problem("empty-partition", prefix, detail)
            return
        for key in empties:
            self.problem("empty-object", key, "zero-byte file")
        if table is not None and self.check_contents:
            for key, accession in data:
                if dict(keys).get(key) == 0:
                    continue  # a filing without rows in this table: nothing to compare
                self.check_rows(key, form, year, month, accession)

    def rows_of(self, key: str) -> list[dict[str, Any]] | None:
        try:
            text = self.read(key).decode("utf-8")
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        except (UnicodeDecodeError, ValueError) as error:
            self.problem("mismatch", key, f"not NDJSON ({error.__class__.__name__})")
            return None
        except KeyError:
            return None  # deleted since it was listed
        if not all(isinstance(row, dict) for row in rows):
            self.problem("mismatch", key, "a line is not a JSON object")
            return None
        return rows

    def check_rows(self, key: str, form: str, year: int, month: int, accession: str) -> None:
        rows = self.rows_of(key)
        if rows is None:
            return
        for number, row in enumerate(rows, start=1):
            issues = []
            if row.get("accession_number") != accession:
                issues.append(f"accession {row.get('accession_number')!r}, key says {accession!r}")
            issues += self.partition_issues(row, form, year, month)
            if issues:
                self.problem("mismatch", key, f"row {number}: " + "; ".join(issues))
                return  # one finding per file is enough

    def partition_issues(self, row: dict[str, Any], form: str, year: int, month: int) -> list[str]:
        """What in ``row`` disagrees with its partition: its form type, its filing year/month."""
        issues = []
        form_type = row.get("form_type")
        try:
            row_form = layout.form_partition(str(form_type))
        except ValueError:
            row_form = None
        if row_form != form:
            issues.append(f"form {form_type!r}, partition says form={form}")
        when_text = row.get("filed") or row.get("period") or row.get("signed")
        if when_text:
            try:
                when = date.fromisoformat(str(when_text)[:10])
            except ValueError:
                issues.append(f"date {when_text!r} is not ISO")
            else:
                if (when.year, when.month) != (year, month):
                    issues.append(
                        f"filed {when.isoformat()}, partition says year={year:04d}/month={month:02d}"
                    )
        return issues

    def compacted_tables(self, prefix: str) -> None:
        """``compacted/<table>/form=/year=/month=/compacted.parquet`` and nothing else."""
        keys, prefixes = self.list(prefix)
        self.stray_keys(keys, prefix)
        for sub in prefixes:
            table = sub[len(prefix) : -1]
            if table not in layout.TABLE_COLUMNS:
                self.problem("outside-scheme", sub, f"unknown table {table!r}")
                continue
            for form_prefix, form in self.expect(sub, _FORM_DIR, "form=<form>"):
                for year_prefix, year in self.expect(form_prefix, _YEAR_DIR, "year=<YYYY>"):
                    for month_prefix, month in self.expect(year_prefix, _MONTH_DIR, "month=<MM>"):
                        self.compacted_partition(month_prefix, table, form, int(year), int(month))

    def compacted_partition(self, prefix: str, table: str, form: str, year: int, month: int) -> None:
        self.report.partitions += 1
        keys, prefixes = self.list(prefix)
        for sub in prefixes:
            self.problem("outside-scheme", sub, "folder below a month partition")
        found = False
        for key, size in keys:
            name = key[len(prefix) :]
            if size == 0 and (key.endswith("/") or name in _MARKERS):
                continue  # a folder marker
            self.report.objects += 1
            if name != layout.COMPACTED_NAME:
                self.problem("outside-scheme", key, f"name is not {layout.COMPACTED_NAME}")
                continue
            found = True
            if size == 0:
                self.problem("empty-object", key, "zero-byte file")
            elif self.check_contents:
                self.check_parquet(key, table, form, year, month)
        if not found:
            self.problem("empty-partition", prefix, f"no {layout.COMPACTED_NAME}")

    def parquet_rows(self, key: str) -> list[dict[str, Any]] | None:
        """The rows of a Parquet object (one GET, read by DuckDB from a local copy), or None."""
        import duckdb  # noqa: PLC0415 - only a compacted lake needs it

        from secfilings.services.api.athena.s3_direct_read import ObjectMissing

        try:
            data = self.read(key)
        except (KeyError, ObjectMissing):
            return None  # deleted since it was listed
        folder = tempfile.mkdtemp(prefix="secfilings-verify-")
        path = os.path.join(folder, "rows.parquet")
        try:
            with open(path, "wb") as handle:
                handle.write(data)
            with duckdb.connect(database=":memory:") as conn:
                cursor = conn.execute("SELECT * FROM read_parquet(?)", [path])
                names = [column[0] for column in cursor.description]
                return [dict(zip(names, row)) for row in cursor.fetchall()]
        except duckdb.Error as error:
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            first = first.replace(path, "<file>")
            self.problem("mismatch", key, f"not a readable Parquet file ({first[:160]})")
            return None
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def check_parquet(self, key: str, table: str, form: str, year: int, month: int) -> None:
        rows = self.parquet_rows(key)
        if rows is None:
            return
        for number, row in enumerate(rows, start=1):
            accession = row.get("accession_number")
            issues = []
            if not isinstance(accession, str) or not layout.is_accession_key(accession):
                issues.append(f"accession {accession!r} is not an accession number")
            issues += self.partition_issues(row, form, year, month)
            if issues:
                self.problem("mismatch", key, f"row {number}: " + "; ".join(issues))
                return  # one finding per file is enough
        if table in FILING_TABLES:
            for row in rows:
                self.filing_rows.setdefault((form, year, month, row["accession_number"]), key)

    def activity(self, prefix: str) -> None:
        for end_prefix, end in self.expect(prefix, _WINDOW_END_DIR, "window_end=<date>"):
            for days_prefix, days in self.expect(end_prefix, _WINDOW_DAYS_DIR, "window_days=<n>"):
                self.report.partitions += 1
                keys, prefixes = self.list(days_prefix)
                for sub in prefixes:
                    self.problem("outside-scheme", sub, "folder below a window partition")
                found = False
                for key, size in keys:
                    if key != days_prefix + "activity.json":
                        self.problem("outside-scheme", key, "name is not activity.json")
                        continue
                    self.report.objects += 1
                    found = True
                    if self.check_contents and size > 0:
                        for number, row in enumerate(self.rows_of(key) or [], start=1):
                            if row.get("window_end") != end or str(row.get("window_days")) != days:
                                self.problem("mismatch", key, f"row {number}: window disagrees with the key")
                                break
                if not found:
                    self.problem("empty-partition", days_prefix, "no activity.json")

    def quarantine(self, prefix: str) -> None:
        keys, prefixes = self.list(prefix)
        self.stray_keys(keys, prefix)
        for sub in prefixes:
            if not _DAY_DIR.match(sub[len(prefix) :]):
                self.problem("outside-scheme", sub, "expected a <yyyy-mm-dd> folder")


def verify_partitions(store: Any, *, check_contents: bool = True) -> VerifyReport:
    """Walk the lake in ``store`` and return what is wrong (see the module docstring)."""
    report = VerifyReport(lake=getattr(store, "url", repr(store)), contents_checked=check_contents)
    walker = _Walker(store, report, check_contents)
    walker.root()
    for where, key in sorted(walker.filing_rows.items(), key=lambda pair: pair[1]):
        if where not in walker.raw_documents:
            form, year, month, accession = where
            walker.problem(
                "missing-raw", key,
                f"no raw document raw/form={form}/year={year:04d}/month={month:02d}/{accession}.xml|txt|nc",
            )
    return report


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """``verify_s3_partitions [--lake L] [--keys-only] [--json]``; 0 clean, 1 problems, 2 usage."""
    from secfilings.config import Settings, open_platform
    from secfilings.errors import SecfilingsError

    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    parser = argparse.ArgumentParser(prog="verify_s3_partitions", description=__doc__.split("\n")[0])
    parser.add_argument("--lake", help="a folder or s3://bucket/prefix (default: SECFILINGS_LAKE)")
    parser.add_argument("--keys-only", action="store_true", help="list only; never read an object")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env({"lake": args.lake})
        with open_platform(settings) as platform:
            report = verify_partitions(platform.store, check_contents=not args.keys_only)
    except SecfilingsError as error:
        err.write(f"verify_s3_partitions: {error}\n")
        return 2
    if args.json:
        out.write(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        report.write_text(out)
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
