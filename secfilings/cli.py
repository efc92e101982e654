"""``secfilings``: the platform's command line (see docs/cli.md).

Output is for people by default and JSON with ``--json``. Every setting is a flag (before or
after the subcommand) and a ``SECFILINGS_*`` environment variable; flags win. Errors are one
line on stderr, never a traceback. Exit status:

- 0: done, nothing wrong;
- 1: a problem was found: documents rejected (``ingest``), partitions out of scheme
  (``verify-partitions``), filings missing from a read-only index (``sync``);
- 2: usage or configuration error (a bad flag, variable, CIK or accession number);
- 3: not found (``company``/``fund`` of an unknown CIK);
- 4: a backend failed (SQL engine, AWS, the lake's storage) or the runtime guard refused an import.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, Sequence, TextIO

from secfilings.errors import ConfigError, NotFound, SecfilingsError
from secfilings.fastjson import indented
from secfilings.errors import one_line as _one_line
from secfilings.render import write_company, write_fund, write_fund_history

__all__ = ["main", "build_parser", "write_company", "write_fund", "EXIT_OK", "EXIT_PROBLEM", "EXIT_USAGE", "EXIT_NOT_FOUND", "EXIT_BACKEND"]

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_BACKEND = 4
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a killed writer

# setting name -> (flag, help); each also reads SECFILINGS_<NAME> (secfilings.config.ENV_VARS)
_SETTING_FLAGS = {
    "lake": ("--lake", "lake: a folder (default ./secfilings-lake) or s3://bucket/prefix"),
    "index_table": ("--index-table", "DynamoDB lookup table of an s3:// lake (default lookup-index)"),
    "index_path": ("--index-path", "SQLite lookup index of a folder lake (default <lake>/_index/lookup-index.sqlite)"),
    "athena_database": ("--athena-database", "Athena database (default secfilings)"),
    "athena_workgroup": ("--athena-workgroup", "Athena workgroup (default primary)"),
    "athena_output": ("--athena-output", "Athena results location s3://... (default <lake>/_athena-results/)"),
    "index_mode": ("--index-mode", "off | write | read-fallback (default) | read-only"),
    "batch_size": ("--batch-size", "filings per batch request of the sync, 1-100 (default 100)"),
    "window_days": ("--window-days", "days of the sync's window, ending at the latest filing (default 90)"),
    "max_document_bytes": ("--max-document-bytes", "ingest refuses larger documents before reading them (default 64 MiB)"),
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2 (what argparse uses too)."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: {message}")


class _UsageError(Exception):
    pass


def _global_options() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = options.add_argument_group("settings (each also a SECFILINGS_* environment variable)")
    for name, (flag, text) in _SETTING_FLAGS.items():
        group.add_argument(flag, dest=name, metavar=name.split("_")[-1].upper(), help=text)
    options.add_argument("--json", action="store_true", help="print JSON for machines")
    return options


def build_parser() -> argparse.ArgumentParser:
    common = _global_options()
    parser = _Parser(
        prog="secfilings",
        description="The SEC filings platform: lake, lookup index, workers and endpoints.",
        epilog="Exit status: 0 ok, 1 problem found, 2 usage/config error, 3 not found, 4 backend failure.",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    ingest = commands.add_parser("ingest", parents=[common], help="ingest files or folders of filings")
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="a document (.xml/.txt/.nc) or a folder")
    ingest.add_argument("--accession", help="accession number of a bare document (one PATH)")
    ingest.add_argument("--cik", help="CIK the document must name (issuer, owner or filer); a bare 13F table's filer")
    ingest.add_argument("--period", help="a bare 13F information table's quarter, YYYY-MM-DD (else: the period the document must name)")
    ingest.add_argument("--jobs", type=int, default=1, help="processes to use (0: one per CPU; default 1)")

    company = commands.add_parser("company", parents=[common], help="a company's insider filings")
    company.add_argument("cik", metavar="CIK", help="the issuer's CIK, with or without leading zeros")
    fund = commands.add_parser("fund", parents=[common], help="a fund's 13F holdings (latest quarter, or --period)")
    fund.add_argument("cik", metavar="CIK", help="the fund's CIK, with or without leading zeros")
    fund.add_argument("--period", help="a stored quarter, YYYY-MM-DD (default: the latest)")
    fund.add_argument("--history", action="store_true", help="every stored quarter with its filings")
    fund.add_argument("--aggregate", action="store_true", help="sum the rows of one position across sub-managers")

    commands.add_parser("sync", parents=[common], help="insider activity of the top companies")
    verify = commands.add_parser("verify-partitions", parents=[common], help="check the lake's partitions")
    verify.add_argument("--keys-only", action="store_true", help="list only; never read an object")
    backfill = commands.add_parser("backfill-index", parents=[common], help="fill the lookup index from the lake")
    backfill.add_argument("--restart", action="store_true", help="ignore the checkpoints of earlier runs")
    commands.add_parser("compact", parents=[common], help="rewrite each partition's row files to one sorted Parquet file")
    serve = commands.add_parser("serve", parents=[common], help="the endpoints over HTTP (see docs/cli.md)")
    serve.add_argument("--host", default=None, help="address to listen on (SECFILINGS_HOST; default 127.0.0.1)")
    serve.add_argument("--port", default=None, help="port, 0 for any free one (SECFILINGS_PORT; default 8000)")
    commands.add_parser("demo", parents=[common], help="the main job: ingest the bundled filings and show it all")
    cost = commands.add_parser("cost-report", parents=[common], help="before/after cost of the ban, from counted requests")
    cost.add_argument("--prices", default="list", metavar="list|seed|FILE", help="price table (default list)")
    cost.add_argument("--chart", metavar="FILE", help="also draw a before/after chart (an SVG file: name it FILE.svg)")
    return parser


def _settings(args: argparse.Namespace) -> Any:
    from secfilings.config import Settings

    overrides = {name: getattr(args, name) for name in _SETTING_FLAGS if hasattr(args, name)}
    return Settings.from_env(overrides)


def _progress(err: TextIO, what: str) -> Callable[..., None] | None:
    """A progress line on a terminal (stderr), nothing when piped."""
    isatty = getattr(err, "isatty", None)
    if not (isatty and isatty()):
        return None

    def show(done: int, total: int, *_: Any) -> None:
        err.write(f"\r  {what}: {done}/{total}")
        if done >= total:
            err.write("\n")
        err.flush()

    return show


def _dump(out: TextIO, value: Any) -> None:
    out.write(indented(value) + "\n")  # json.dumps(value, indent=2, ensure_ascii=False), faster


# -- subcommands --------------------------------------------------------------------------------


def _cmd_ingest(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from secfilings.config import open_platform
    from secfilings.workers.form4_parser.worker import ingest_paths

    with open_platform(_settings(args)) as platform:
        report = ingest_paths(
            platform,
            args.paths,
            accession=args.accession,
            cik=args.cik,
            period=args.period,
            progress=_progress(err, "ingest"),
            jobs=args.jobs,
        )
    if args.json:
        _dump(out, report.as_dict())
    else:
        for doc in report.documents:
            out.write(f"  {doc.outcome:<9} {doc.source}")
            if doc.outcome == "rejected":
                copy = f" (copy in {doc.quarantine_key})" if doc.quarantine_key else ""
                out.write(f": {doc.reason}{copy}\n")
            else:
                out.write(f": {doc.form_type} {doc.accession_number}\n")
        out.write(
            f"ingest: {len(report.documents)} documents: {report.new} new, "
            f"{report.duplicate} duplicate, {report.rejected} rejected\n"
        )
    return EXIT_OK if report.ok else EXIT_PROBLEM


def _cmd_lookup(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from secfilings.config import open_platform
    from secfilings.model import normalize_cik

    cik = normalize_cik(args.cik)
    options: dict[str, Any] = {}
    if args.command == "company":
        from secfilings.services.api.athena.companies import get_company as lookup
    else:
        from secfilings.services.api.athena.funds import get_fund as lookup
        from secfilings.services.api.athena.funds import parse_period

        if args.history and (args.period or args.aggregate):
            raise ConfigError("fund --history lists every quarter: it takes neither --period nor --aggregate")
        if args.period is not None:
            options["period"] = parse_period(args.period)  # checked before the lake is opened
        options.update(history=args.history, aggregate=args.aggregate)
    with open_platform(_settings(args), create=False) as platform:
        answer = lookup(platform, cik, **options)
    if answer is None:
        raise NotFound(f"{args.command} CIK {cik}: not found")
    if args.json:
        _dump(out, answer)
    elif args.command == "company":
        write_company(answer, out)
    elif "quarters" in answer:
        write_fund_history(answer, out)
    else:
        write_fund(answer, out)
    return EXIT_OK


def _cmd_sync(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from secfilings.config import open_platform
    from secfilings.workers.sec_smart_money_sync import run_sync

    with open_platform(_settings(args), create=False) as platform:
        report = run_sync(platform, out=None if args.json else out)
    if args.json:
        _dump(out, report.to_json())
    return EXIT_PROBLEM if report.missing else EXIT_OK


def _cmd_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from secfilings.config import open_platform
    from secfilings.scripts.verify_s3_partitions import verify_partitions

    with open_platform(_settings(args), create=False) as platform:
        report = verify_partitions(platform.store, check_contents=not args.keys_only)
    if args.json:
        _dump(out, report.to_json())
    else:
        report.write_text(out)
    return EXIT_OK if report.ok else EXIT_PROBLEM


def _cmd_backfill(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from secfilings.config import open_platform
    from secfilings.scripts.backfill_lookup_index import backfill_index

    with open_platform(_settings(args), create=False) as platform:
        report = backfill_index(platform, restart=args.restart, progress=_progress(err, "backfill partitions"))
    if args.json:
        _dump(out, report.to_json())
    else:
        report.write_text(out)
    return EXIT_OK


def _cmd_compact(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from secfilings.config import open_platform
    from secfilings.scripts.compact_lake import compact_store

    with open_platform(_settings(args), create=False) as platform:
        report = compact_store(platform.store, progress=_progress(err, "compact partitions"))
    if args.json:
        _dump(out, report.to_json())
    else:
        report.write_text(out)
    return EXIT_PROBLEM if report.failed else EXIT_OK


def _cmd_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from secfilings.serve import run_server

    return run_server(_settings(args), args.host, args.port, out=out, err=err)


def _cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from secfilings.demo import run_demo

    return run_demo(_settings(args), as_json=args.json, out=out)


def _cmd_cost_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        from secfilings.cost.report import run_cost_report
    except ImportError:
        raise ConfigError("cost-report: secfilings.cost.report is not installed in this build") from None
    return int(run_cost_report(_settings(args), args.prices, args.json, args.chart, out))


_COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO, TextIO], int]] = {
    "ingest": _cmd_ingest,
    "company": _cmd_lookup,
    "fund": _cmd_lookup,
    "sync": _cmd_sync,
    "verify-partitions": _cmd_verify,
    "backfill-index": _cmd_backfill,
    "compact": _cmd_compact,
    "serve": _cmd_serve,
    "demo": _cmd_demo,
    "cost-report": _cmd_cost_report,
}


def _exit_status(error: BaseException) -> int:
    from secfilings.model import InvalidIdentifier

    if isinstance(error, NotFound):
        return EXIT_NOT_FOUND
    if isinstance(error, (ConfigError, InvalidIdentifier)):
        return EXIT_USAGE
    if type(error).__module__.startswith("secfilings.sql") or type(error).__name__ == "SqlError":
        return EXIT_BACKEND
    if isinstance(error, (SecfilingsError, ValueError)):
        return EXIT_USAGE  # bad input: an argument, a key, a policy
    return EXIT_BACKEND


def _backend_message(error: BaseException, args: argparse.Namespace) -> str:
    """One line for a backend's error, naming the AWS resource when AWS says it is missing."""
    from secfilings.config import backend_error_message

    try:
        settings = _settings(args)
    except Exception:  # noqa: BLE001 - fall back to AWS's own words
        settings = None
    return backend_error_message(error, settings)


def _silence(out: TextIO) -> None:
    """Point a closed stdout at /dev/null so the interpreter's final flush raises nothing."""
    try:
        fileno = out.fileno()
    except (AttributeError, OSError, ValueError):
        return
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fileno)
    finally:
        os.close(devnull)


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except _UsageError as error:
        err.write(f"{error}\n")
        return EXIT_USAGE
    except SystemExit as exit_:  # --help
        return int(exit_.code or 0)
    args.json = getattr(args, "json", False)
    try:
        return _COMMANDS[args.command](args, out, err)
    except KeyboardInterrupt:
        err.write(f"secfilings {args.command}: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`secfilings company 7536 | head -1`): stop quietly
        _silence(out)
        return EXIT_BROKEN_PIPE
    except (SecfilingsError, ImportError, OSError, ValueError) as error:
        status = _exit_status(error)
        err.write(f"secfilings {args.command}: {_one_line(error)}\n")
        return status
    except Exception as error:  # a backend's own error (botocore, duckdb): one line, no traceback
        err.write(f"secfilings {args.command}: {_backend_message(error, args)}\n")
        return EXIT_BACKEND
