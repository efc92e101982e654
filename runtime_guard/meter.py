"""``costguard meter -- COMMAND...``: run any program and count every billable AWS request it makes.

The program and its Python child processes are metered through the same start-up switch as the
guard: ``COSTGUARD_METER`` names a folder; the ``.pth`` file the package installs starts
:func:`start_recording` in every interpreter that sees it, which appends one JSON line per
answered HTTP attempt to ``<folder>/<pid>.ndjson`` (written as they happen, so children that
leave through ``os._exit`` are counted too). When the program ends the lines are added up by
``service.Operation``, by calling module and by billing kind (``runtime_guard.billing``), priced
(``runtime_guard.prices``), and reported on stdout (or ``--output``); the exit status is the
program's.

In-process use: ``with Meter() as meter: ...`` counts what this process makes while it is open
(``meter.requests``, ``meter.by_caller``, ``meter.units``). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from runtime_guard import billing, operations

__all__ = ["Meter", "Totals", "ENV_METER", "start_recording", "collect", "report", "infracost_usage", "main"]

ENV_METER = "COSTGUARD_METER"
DAYS_PER_MONTH = 30


class Totals:
    """Counts by ``service.Operation``, by caller, and billing units by kind."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.by_caller: dict[str, Counter[str]] = {}
        self.units: Counter[str] = Counter()
        self.athena_scans: list[float] = []
        self._lock = threading.Lock()

    def add(self, operation: str, caller: str, units: Iterable[tuple[str, float]]) -> None:
        with self._lock:
            self.requests[operation] += 1
            self.by_caller.setdefault(caller, Counter())[operation] += 1
            for kind, amount in units:
                self.units[kind] += amount
                if kind == "athena.bytes_scanned":
                    self.athena_scans.append(float(amount))


class Meter(Totals):
    """A listener of the botocore layer (``runtime_guard.operations``): counts while attached."""

    def __init__(self) -> None:
        super().__init__()
        self._seen_queries: set[str] = set()

    def _first_report(self, query_id: str) -> bool:
        with self._lock:
            if query_id in self._seen_queries:
                return False
            self._seen_queries.add(query_id)
            return True

    # -- the listener protocol ------------------------------------------------------------------
    def wants(self, service: str, operation: str) -> bool:
        return True

    def before_call(self, *args: Any) -> None:
        return None

    def parameters(self, service: str, operation: str, params: Any, context: Any) -> None:
        billing.prepare(service, operation, params, context)

    def response(self, service: str, operation: str, caller: str, parsed: Any, response_dict: Any, context: Any) -> None:
        if parsed is None:
            return  # no answer (a connection error) is not billed
        units = list(billing.kinds(service, operation, parsed, response_dict, context, self._first_report))
        self.record(f"{service}.{operation}", caller, units)

    def record(self, operation: str, caller: str, units: list[tuple[str, float]]) -> None:
        self.add(operation, caller, units)

    def start(self) -> "Meter":
        operations.attach(self)
        return self

    def stop(self) -> None:
        operations.detach(self)

    def __enter__(self) -> "Meter":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Recorder(Meter):
    """Appends one line per request to ``<folder>/<pid>.ndjson`` (reopened after a fork)."""

    def __init__(self, folder: str) -> None:
        super().__init__()
        self.folder = folder
        self._fd: int | None = None
        self._pid = -1

    def record(self, operation: str, caller: str, units: list[tuple[str, float]]) -> None:
        line = json.dumps({"op": operation, "caller": caller, "units": units}, separators=(",", ":")) + "\n"
        try:
            pid = os.getpid()
            if self._fd is None or self._pid != pid:
                self._fd = os.open(os.path.join(self.folder, f"{pid}.ndjson"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                self._pid = pid
            os.write(self._fd, line.encode())
        except OSError as exc:  # never break the metered program
            sys.stderr.write(f"costguard meter: cannot record to {self.folder}: {exc}\n")


_recorder: _Recorder | None = None


def start_recording() -> None:
    """Called at interpreter start (``.pth``) when ``COSTGUARD_METER`` is set; never raises."""
    global _recorder
    folder = os.environ.get(ENV_METER, "")
    if not folder or _recorder is not None:
        return
    if not os.path.isdir(folder):
        sys.stderr.write(f"costguard meter: {ENV_METER}={folder} is not a folder; not metering\n")
        return
    _recorder = _Recorder(folder)
    _recorder.start()


def collect(folder: str | os.PathLike[str]) -> Totals:
    """Add up every ``*.ndjson`` record in ``folder``."""
    totals = Totals()
    for path in sorted(Path(folder).glob("*.ndjson")):
        for line in path.read_text().splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue  # a line cut short by a killed process
            totals.add(item["op"], item["caller"], [(kind, amount) for kind, amount in item["units"]])
    return totals


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------


def _scaled(counter: Mapping[str, float], factor: float) -> dict[str, float]:
    return {key: _number(value * factor) for key, value in sorted(counter.items())}


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def report(totals: Totals, prices: Any, per_day: float | None = None) -> dict[str, Any]:
    """The JSON report: requests, by_caller, units, usd (and ``per_day`` scaled, if asked)."""
    usd = prices.cost(totals.units, totals.athena_scans)
    result: dict[str, Any] = {
        "prices": prices.name,
        "prices_note": prices.describe(),
        "region": prices.region,
        "prices_date": prices.date,
        "requests": _scaled(totals.requests, 1),
        "by_caller": {caller: _scaled(ops, 1) for caller, ops in sorted(totals.by_caller.items())},
        "units": _scaled(totals.units, 1),
        "usd_by_kind": {kind: value for kind, value in usd.items() if value},
        "usd": sum(usd.values()),
    }
    if per_day is not None:
        result["per_day"] = {
            "runs": _number(per_day),
            "requests": _scaled(totals.requests, per_day),
            "units": _scaled(totals.units, per_day),
            "usd": sum(usd.values()) * per_day,
        }
    return result


def format_text(data: Mapping[str, Any], command: Sequence[str], status: int) -> str:
    lines = [f"costguard meter: {' '.join(command)} (exit status {status})", f"prices: {data['prices_note']}"]
    if not data["requests"]:
        lines.append("no AWS requests were made")
    else:
        width = max(len(k) for k in data["requests"]) + 2
        lines.append("requests")
        for key, count in data["requests"].items():
            lines.append(f"  {key:<{width}}{count:>10}")
        lines.append("billed units")
        for kind, amount in data["units"].items():
            lines.append(f"  {kind:<{width}}{amount:>10}")
        lines.append("by calling module")
        for caller, ops in data["by_caller"].items():
            lines.append(f"  {caller}: " + ", ".join(f"{op} {n}" for op, n in ops.items()))
    lines.append(f"total: ${data['usd']:.6f} for this run")
    if "per_day" in data:
        day = data["per_day"]
        lines.append(f"at {day['runs']} runs a day: ${day['usd']:.4f} a day, ${day['usd'] * DAYS_PER_MONTH:.2f} a month ({DAYS_PER_MONTH} days)")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Infracost usage file
# ---------------------------------------------------------------------------------------------

_RESOURCE = re.compile(r'^\s*resource\s+"([A-Za-z0-9_]+)"\s+"([A-Za-z0-9_-]+)"', re.MULTILINE)


def terraform_resources(folder: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """``(type, name)`` of each ``resource`` block in the ``*.tf`` files of ``folder``."""
    found: list[tuple[str, str]] = []
    for path in sorted(Path(folder).glob("*.tf")):
        found.extend(_RESOURCE.findall(path.read_text()))
    return found


def infracost_usage(totals: Totals, resources: Sequence[tuple[str, str]], runs_per_month: float) -> str:
    """An Infracost usage file (``version: 0.1``, ``resource_usage`` by Terraform address).

    S3 requests go to the first ``aws_s3_bucket`` (tier 1 = PUT/COPY/POST/LIST, tier 2 = GET,
    HEAD and the rest), DynamoDB units to the first ``aws_dynamodb_table``. Infracost prices no
    Athena resource, so the workgroup's scan is written as a comment only.
    """
    def first(kind: str) -> str | None:
        return next((f"{t}.{n}" for t, n in resources if t == kind), None)

    units = totals.units
    lines = [
        "# Infracost usage file written by costguard meter from counted requests",
        f"# ({_number(runs_per_month)} runs a month of the metered program).",
        "version: 0.1",
        "resource_usage:",
    ]
    bucket = first("aws_s3_bucket")
    if bucket:
        tier1 = sum(units.get(k, 0) for k in ("s3.PUT", "s3.LIST"))
        tier2 = sum(units.get(k, 0) for k in ("s3.GET", "s3.HEAD"))
        lines += [
            f"  {bucket}:",
            "    standard:",
            f"      monthly_tier_1_requests: {int(round(tier1 * runs_per_month))}  # PUT, COPY, POST, LIST",
            f"      monthly_tier_2_requests: {int(round(tier2 * runs_per_month))}  # GET, HEAD and all other",
        ]
    table = first("aws_dynamodb_table")
    if table:
        lines += [
            f"  {table}:",
            f"    monthly_read_request_units: {int(round(units.get('dynamodb.read_units', 0) * runs_per_month))}",
            f"    monthly_write_request_units: {int(round(units.get('dynamodb.write_units', 0) * runs_per_month))}",
        ]
    workgroup = first("aws_athena_workgroup")
    if workgroup:
        scanned = units.get("athena.bytes_scanned", 0) * runs_per_month / 10**12
        lines.append(f"  # {workgroup}: Infracost has no Athena pricing; {scanned:.6f} TB scanned a month ({_number(units.get('athena.query', 0) * runs_per_month)} queries)")
    if lines[-1] == "resource_usage:":
        lines[-1] = "resource_usage: {}"
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run COMMAND (and its Python child processes) and count every billable AWS request it makes.",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--per-day", type=float, default=None, metavar="N", help="scale the run to N runs a day")
    parser.add_argument("--prices", default="list", metavar="TABLE", help="price table: list (default) or a TOML file")
    parser.add_argument("--output", default=None, metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument("--infracost-usage", default=None, metavar="FILE", help="write an Infracost usage file")
    parser.add_argument("--terraform", default="infra/terraform", metavar="DIR", help="Terraform folder whose resources the usage file names (default: infra/terraform)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "costguard meter") -> int:
    from runtime_guard.policy import PolicyError
    from runtime_guard.prices import load_prices

    args = _parser(prog).parse_args(argv)
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        sys.stderr.write(f"{prog}: no command given (usage: {prog} [options] -- COMMAND ...)\n")
        return 2
    if args.per_day is not None and args.per_day <= 0:
        sys.stderr.write(f"{prog}: --per-day {args.per_day:g}: expected a positive number of runs a day\n")
        return 2
    try:
        prices = load_prices(args.prices)
    except PolicyError as exc:
        sys.stderr.write(f"{prog}: --prices: {exc}\n")
        return 2
    if args.infracost_usage and not os.path.isdir(args.terraform):
        sys.stderr.write(f"{prog}: --terraform {args.terraform}: no such folder\n")
        return 2
    folder = tempfile.mkdtemp(prefix="costguard-meter-")
    try:
        env = dict(os.environ)
        env[ENV_METER] = folder
        try:
            status = subprocess.call(command, env=env)
        except OSError as exc:
            sys.stderr.write(f"{prog}: cannot run {command[0]}: {exc.strerror or exc}\n")
            return 127
        except KeyboardInterrupt:
            status = 130
        if status < 0:  # killed by a signal: the shell's convention
            status = 128 - status
        totals = collect(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    data = report(totals, prices, args.per_day)
    data["command"] = command
    data["exit_status"] = status
    text = json.dumps(data, indent=2, sort_keys=False) + "\n" if args.json else format_text(data, command, status)
    try:
        if args.output:
            Path(args.output).write_text(text)
        else:
            sys.stdout.write(text)
        if args.infracost_usage:
            runs = (args.per_day or 1) * DAYS_PER_MONTH
            Path(args.infracost_usage).write_text(infracost_usage(totals, terraform_resources(args.terraform), runs))
    except OSError as exc:
        sys.stderr.write(f"{prog}: cannot write {exc.filename}: {exc.strerror or exc}\n")
        return status or 1
    return status


if __name__ == "__main__":  # pragma: no cover - python -m runtime_guard.meter
    sys.exit(main(prog="python -m runtime_guard.meter"))
