"""``secfilings demo``: the main job, end to end on the bundled real filings, under the runtime guard.

1. turns the runtime guard on (the ``[tool.costguard]`` policy found from the working directory
   or the program's location upward, else the one the installed package ships) and shows that it refuses the banned import;
2. ingests the bundled real SEC filings (``secfilings/data``) through the de-duplicated write;
   a second run finds them all as duplicates and the lake's counts do not move;
3. answers a company lookup (Snowflake, CIK 1640147) and a fund lookup (LTS One Management,
   CIK 1894188), counting the requests each costs (served by the index: no object read, no query);
4. runs the smart-money sync and the partition check;
5. ends with the cost report (``secfilings.cost.report``) at list prices.

Exit status: 0 when every step ran and the partition check is clean, 1 when it found a problem
(a document of the bundled set is rejected on purpose: a lone 13F information table, to show the
quarantine; that is not a failure).
"""

from __future__ import annotations

import io
import json
from importlib import resources
from pathlib import Path
from typing import Any, Iterator, TextIO

from secfilings.meter import cost_meter

__all__ = ["DEMO_COMPANY", "DEMO_FUND", "bundled_data", "run_demo"]

DEMO_COMPANY = "1640147"  # Snowflake Inc.
DEMO_FUND = "1894188"  # LTS One Management LP
_PROBE = "import secfilings.services.api.athena.s3_direct_read"
_PROBE_MODULE = "secfilings.services.api.athena.demo_probe"


def bundled_data() -> Path:
    """The folder of the bundled real filings (``form4/`` and ``13f/``)."""
    return Path(str(resources.files("secfilings").joinpath("data")))


class _Guard:
    """The runtime guard for the demo's duration (left alone if one is already on)."""

    def __init__(self) -> None:
        from runtime_guard import install
        from runtime_guard.config import resolve_policy
        from runtime_guard.hook import active_guard

        self.previous = active_guard()
        if self.previous is not None:
            self.guard = self.previous
        else:
            policy = resolve_policy()  # cwd, the program's location, else the policy the installed package ships
            self.guard = install(policy, mode="raise")

    @property
    def description(self) -> str:
        return f"on (mode {self.guard.mode}, policy {self.guard.policy.source})"

    def probe(self) -> str:
        """Try the banned import from a guarded module; say what the guard did."""
        from runtime_guard import ForbiddenImportError

        try:
            exec(compile(_PROBE, "<demo probe>", "exec"), {"__name__": _PROBE_MODULE})  # noqa: S102
        except ForbiddenImportError as error:
            return "refused: " + str(error).splitlines()[0]
        return f"allowed (guard mode {self.guard.mode})"

    def close(self) -> None:
        if self.previous is None:
            self.guard.uninstall()


def _lake_counts(platform: Any) -> dict[str, int]:
    row = platform.sql.query(
        "SELECT (SELECT count(*) FROM ownership_filings) AS ownership_filings,"
        " (SELECT count(*) FROM insider_transactions) AS insider_rows,"
        " (SELECT count(*) FROM fund_filings) AS fund_filings,"
        " (SELECT count(*) FROM fund_holdings) AS fund_holdings"
    )[0]
    return {key: int(value or 0) for key, value in row.items()}


def _requests(counts: Any) -> dict[str, float]:
    kinds = ("s3.GET", "s3.LIST", "athena.query", "dynamodb.read_units", "dynamodb.write_units")
    return {kind: counts.get(kind, 0) for kind in kinds}


def _served_by(requests: dict[str, float]) -> str:
    source = "the SQL fallback" if requests["athena.query"] else "the lookup index"
    return (
        f"served by {source}: {requests['s3.GET']:g} S3 GET, {requests['athena.query']:g} SQL queries,"
        f" {requests['dynamodb.read_units']:g} index read units"
    )


def _steps(platform: Any, guard: _Guard, out: TextIO, text: bool, summary: dict[str, Any]) -> Iterator[None]:
    """The demo's steps; yields between them (so the caller may stop on a failure)."""
    from secfilings.render import write_company, write_fund
    from secfilings.scripts.verify_s3_partitions import verify_partitions
    from secfilings.services.api.athena.companies import get_company
    from secfilings.services.api.athena.funds import get_fund
    from secfilings.workers.form4_parser.worker import ingest_paths
    from secfilings.workers.sec_smart_money_sync import run_sync

    settings = platform.settings
    data = bundled_data()
    summary["lake"] = platform.store.url
    summary["index_mode"] = settings.index_mode
    summary["guard"] = {"state": guard.description, "probe": guard.probe()}
    if text:
        out.write(f"secfilings demo: lake {platform.store.url}, index mode {settings.index_mode}\n")
        out.write(f"  runtime guard {guard.description}\n")
        out.write(f"  guard check: `{_PROBE}` in a module of secfilings.services:\n")
        out.write(f"    {summary['guard']['probe']}\n\n")
    yield

    before = _lake_counts(platform)
    report = ingest_paths(platform, [data / "form4", data / "13f"])
    after = _lake_counts(platform)
    summary["ingest"] = {**report.as_dict(), "lake_before": before, "lake_after": after}
    if text:
        out.write(f"1. ingest the bundled real filings ({data})\n")
        for doc in report.documents:
            name = Path(doc.source).relative_to(data).as_posix()
            detail = (
                f"{doc.reason}" + (f" (copy in {doc.quarantine_key})" if doc.quarantine_key else "")
                if doc.outcome == "rejected"
                else f"Form {doc.form_type} {doc.accession_number}"
            )
            out.write(f"   {doc.outcome:<9} {name}: {detail}\n")
        out.write(
            f"   => {len(report.documents)} documents: {report.new} new, {report.duplicate} duplicate,"
            f" {report.rejected} rejected\n"
            f"   lake: {after['ownership_filings']} ownership filings ({after['insider_rows']} rows),"
            f" {after['fund_filings']} 13F filings ({after['fund_holdings']} holdings)"
            f" (before this run: {before['ownership_filings']} + {before['fund_filings']})\n\n"
        )
    yield

    for number, (label, cik, lookup, writer) in enumerate(
        (("company", DEMO_COMPANY, get_company, write_company), ("fund", DEMO_FUND, get_fund, write_fund)),
        start=2,
    ):
        with cost_meter() as meter:
            answer = lookup(platform, cik)
        requests = _requests(meter.counts)
        summary[label] = {"answer": answer, "requests": requests}
        if text:
            out.write(f"{number}. {label} {cik} ({_served_by(requests)})\n")
            if answer is None:
                out.write("   not found\n")
            else:
                buffer = io.StringIO()
                if label == "fund":
                    writer(answer, buffer, limit=5)
                else:
                    writer(answer, buffer)
                out.write("".join("   " + line + "\n" for line in buffer.getvalue().splitlines()) + "\n")
        yield

    buffer = io.StringIO()
    sync = run_sync(platform, out=buffer)
    summary["sync"] = sync.to_json()
    if text:
        out.write("4. smart-money sync (top_companies view, batched fetches)\n")
        out.write("".join("   " + line + "\n" for line in buffer.getvalue().splitlines()) + "\n")
    yield

    check = verify_partitions(platform.store)
    summary["verify_partitions"] = check.to_json()
    if text:
        buffer = io.StringIO()
        check.write_text(buffer)
        out.write("5. partition check\n")
        out.write("".join("   " + line + "\n" for line in buffer.getvalue().splitlines()) + "\n")
    yield


def _cost_report(settings: Any, out: TextIO, text: bool, summary: dict[str, Any]) -> int:
    try:
        from secfilings.cost.report import run_cost_report
    except ImportError:
        summary["cost_report"] = None
        if text:
            out.write("6. cost report: not available in this build (secfilings.cost.report)\n")
        return 0
    if text:
        out.write("6. cost report (counted requests of the same workload, before and after the ban)\n")
        return int(run_cost_report(settings, "list", False, None, out))
    buffer = io.StringIO()
    status = int(run_cost_report(settings, "list", True, None, buffer))
    try:
        summary["cost_report"] = json.loads(buffer.getvalue())
    except ValueError:
        summary["cost_report"] = buffer.getvalue()
    return status


def run_demo(settings: Any, *, as_json: bool = False, out: TextIO) -> int:
    """Run the demo on ``settings`` (its lake, index and engines); returns the exit status."""
    from secfilings.config import open_platform

    summary: dict[str, Any] = {}
    text = not as_json
    guard = _Guard()
    try:
        with open_platform(settings) as platform:
            for _ in _steps(platform, guard, out, text, summary):
                pass
        cost_status = _cost_report(settings, out, text, summary)
    finally:
        guard.close()
    if as_json:
        out.write(json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n")
    ok = summary["verify_partitions"]["ok"] and cost_status == 0
    return 0 if ok else 1
