"""The cost report's workload, run twice on the same data: the *before* and the *after* path.

Data: the bundled real filings (``secfilings/data``), copied ``copies`` times under new
accession numbers (same contents, same partitions), as a lake grows by new filings.

Parts (each counted on its own, so the report can scale them to a daily rate):

* ``api_reads`` -- one ``company`` lookup per issuer and one ``fund`` lookup per filer in the data.
  Before: :mod:`secfilings.scripts.legacy_direct_reads` (list the table, read every object).
  After: ``get_company`` / ``get_fund`` (the lookup index first).
* ``worker_runs`` -- one form4-parser run over a new delivery (one more copy of the bundle), the
  same delivery again (feeds re-deliver), and one smart-money sync. Before: writes with no
  ledger and no index, and the legacy sync (one request per filing). After: the form4 parser
  worker's de-duplicated writes (index items written after inserts) and ``run_sync`` (batched).
* ``partition_checks`` -- ``verify_partitions`` in keys-only mode (LIST only), the same script
  on both lakes: the ban does not change it, but it is part of the daily LIST bill.

An ``initial_load`` (the first ``copies`` copies) is counted too but not scaled: it builds the lake.
Both paths run on the embedded engines in a temporary folder, so the report never touches the
user's lake; the requests they count are those the AWS services would bill (see
``secfilings.meter``; the AWS backends are counted from the real boto3 calls, tested on moto).
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from secfilings.config import Settings, open_platform
from secfilings.cost.arithmetic import PartCounts, solve_rates
from secfilings.meter import Meter, cost_meter

__all__ = [
    "BundleDocument",
    "PathRun",
    "bundle_documents",
    "copy_document",
    "run_before",
    "run_after",
    "measure",
    "Measurement",
    "DEFAULT_COPIES",
    "DEFAULT_WORKER_RUNS_PER_DAY",
    "SCALED_PARTS",
]

DEFAULT_COPIES = 4
DEFAULT_WORKER_RUNS_PER_DAY = 24.0  # hourly ingestion + sync; the other rates are solved
SCALED_PARTS = ("api_reads", "worker_runs", "partition_checks")
GUARDED = ("secfilings.services", "secfilings.workers")


@dataclass(frozen=True)
class BundleDocument:
    name: str
    data: bytes
    accession: str
    ext: str
    kind: str  # "ownership" | "13f"
    cik: str  # issuer (ownership) or filer (13F)


@dataclass
class PathRun:
    """What one path requested: per part, plus the whole run by caller."""

    path: str
    parts: dict[str, PartCounts] = field(default_factory=dict)
    initial_load: PartCounts = field(default_factory=PartCounts)
    whole: Meter = field(default_factory=Meter)
    companies: int = 0
    funds: int = 0
    sync_filings: int = 0
    sync_requests: int = 0
    batch_size: int = 0
    answers: dict[str, Any] = field(default_factory=dict)
    sync_answer: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    def gets_from(self, prefixes: tuple[str, ...] = GUARDED) -> float:
        return self.whole.from_callers(prefixes, "s3.GET")


def _ext(name: str, data: bytes) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    return suffix if suffix in ("xml", "txt", "nc") else "xml"


def bundle_documents() -> list[BundleDocument]:
    """The bundled filings that parse (the SEC's bare information-table sample does not)."""
    import secfilings.data as data_package
    from secfilings.model import OwnershipFiling
    from secfilings.workers.form4_parser.worker import parse_document

    root = Path(data_package.__file__).parent
    docs = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".xml", ".txt", ".nc")):
        data = path.read_bytes()
        try:
            filing = parse_document(data, path.name)
        except Exception:  # noqa: BLE001 - a document the platform rejects is not workload data
            continue
        if isinstance(filing, OwnershipFiling):
            docs.append(BundleDocument(path.name, data, filing.accession_number, _ext(path.name, data), "ownership", filing.issuer_cik))
        else:
            docs.append(BundleDocument(path.name, data, filing.accession_number, _ext(path.name, data), "13f", filing.filer_cik))
    return docs


def copy_document(doc: BundleDocument, copy: int, index: int) -> tuple[bytes, str]:
    """The document under a new accession number (``99<copy>-25-<index>``): bytes, accession."""
    new = f"99{copy:08d}-25-{index:06d}"
    data = doc.data
    if doc.ext != "xml":  # a submission carries its accession: rewrite it (dashed and bare)
        data = data.replace(doc.accession.encode(), new.encode())
        data = data.replace(doc.accession.replace("-", "").encode(), new.replace("-", "").encode())
    return data, new


def _parts(meter: Meter) -> PartCounts:
    return PartCounts(dict(meter.counts), list(meter.athena_scans))


def _deliver_before(platform: Any, docs: list[BundleDocument], copy: int) -> None:
    from secfilings.scripts.legacy_direct_reads import legacy_ingest
    from secfilings.workers.form4_parser.worker import parse_document

    for index, doc in enumerate(docs):
        data, accession = copy_document(doc, copy, index)
        filing = parse_document(data, doc.name, accession=accession)
        legacy_ingest(platform, filing, data, doc.ext)


def _deliver_after(platform: Any, docs: list[BundleDocument], copy: int) -> None:
    from secfilings.workers.form4_parser.worker import ingest_document

    for index, doc in enumerate(docs):
        data, accession = copy_document(doc, copy, index)
        outcome = ingest_document(platform, data, doc.name, accession=accession)
        if outcome.outcome == "rejected":
            raise RuntimeError(f"workload document {doc.name} (copy {copy}) was rejected: {outcome.reason}")


def _ciks(docs: list[BundleDocument]) -> tuple[list[str], list[str]]:
    companies = sorted({d.cik for d in docs if d.kind == "ownership"})
    funds = sorted({d.cik for d in docs if d.kind == "13f"})
    return companies, funds


def _run(path: str, root: Path, docs: list[BundleDocument], copies: int) -> PathRun:
    from secfilings.scripts.verify_s3_partitions import verify_partitions

    before = path == "before"
    settings = Settings(lake=str(root / path), index_mode="off" if before else "read-fallback")
    companies, funds = _ciks(docs)
    run = PathRun(path, companies=len(companies), funds=len(funds), batch_size=settings.batch_size)
    deliver = _deliver_before if before else _deliver_after
    with cost_meter() as whole, open_platform(settings) as platform:
        run.whole = whole
        with cost_meter() as meter:
            for copy in range(copies):
                deliver(platform, docs, copy)
        run.initial_load = _parts(meter)

        with cost_meter() as meter:
            if before:
                from secfilings.scripts.legacy_direct_reads import legacy_company, legacy_fund

                answers = {c: legacy_company(platform.store, c) for c in companies}
                answers.update({f: legacy_fund(platform.store, f) for f in funds})
            else:
                from secfilings.services.api.athena.companies import get_company
                from secfilings.services.api.athena.funds import get_fund

                answers = {c: get_company(platform, c) for c in companies}
                answers.update({f: get_fund(platform, f) for f in funds})
        run.parts["api_reads"] = _parts(meter)
        run.answers = answers

        with cost_meter() as meter:
            deliver(platform, docs, copies)  # a new delivery
            deliver(platform, docs, copies)  # ... delivered again
            if before:
                from secfilings.scripts.legacy_direct_reads import legacy_sync

                activity = legacy_sync(platform.store, settings.window_days)
                run.sync_answer = {cik: (a["buys"], a["sells"], a["filings"]) for cik, a in activity.items() if a["filings"]}
            else:
                from secfilings.workers.sec_smart_money_sync.worker import run_sync

                report = run_sync(platform)
                run.sync_answer = {i["issuer_cik"]: (i["buys"], i["sells"], i["filings"]) for i in report.issuers if i["filings"]}
                run.sync_filings = report.filings_fetched
                run.sync_requests = report.fetch_requests
        run.parts["worker_runs"] = _parts(meter)

        with cost_meter() as meter:
            verify_partitions(platform.store, check_contents=False)
        run.parts["partition_checks"] = _parts(meter)
    return run


def run_before(root: Path, docs: list[BundleDocument] | None = None, copies: int = DEFAULT_COPIES) -> PathRun:
    """The legacy path on a fresh lake under ``root/before``."""
    return _run("before", Path(root), bundle_documents() if docs is None else docs, copies)


def run_after(root: Path, docs: list[BundleDocument] | None = None, copies: int = DEFAULT_COPIES) -> PathRun:
    """The platform as it is now, on a fresh lake under ``root/after``."""
    return _run("after", Path(root), bundle_documents() if docs is None else docs, copies)


def _describe(before: PathRun, copies: int, docs: int) -> dict[str, Any]:
    return {
        "api_reads": {"description": f"{before.companies} company + {before.funds} fund lookups"},
        "worker_runs": {"description": f"ingest {docs} new filings twice (re-delivery) + 1 sync"},
        "partition_checks": {"description": "verify_partitions --keys-only over the lake"},
        "data": {"description": f"{docs} bundled filings x {copies} copies in the lake before the day starts"},
    }


@dataclass
class Measurement:
    """Both paths run and counted: what :func:`secfilings.cost.report.build_report` prices."""

    before: PartCounts
    after: PartCounts
    rates: Mapping[str, float]
    solved: tuple[str, ...]
    workload: dict[str, Any]
    checks: dict[str, Any]


def measure(
    settings: Any,
    *,
    rates: Mapping[str, float] | None = None,
    copies: int = DEFAULT_COPIES,
    workdir: str | Path | None = None,
) -> Measurement:
    """Run both paths and count them (the report prices the result; see the module docstring)."""
    del settings  # the workload runs on its own lakes (see the module docstring)
    docs = bundle_documents()
    with tempfile.TemporaryDirectory(prefix="costguard-workload-", dir=workdir) as tmp:
        before = run_before(Path(tmp), docs, copies)
        after = run_after(Path(tmp), docs, copies)
    solved: tuple[str, ...] = ()
    if rates is None:
        rates = solve_rates(before.parts, {"worker_runs": DEFAULT_WORKER_RUNS_PER_DAY})
        solved = ("api_reads", "partition_checks")
    checks = {
        "same answers before and after (api reads)": _same_answers(before, after),
        "same answers before and after (sync: buys, sells, filings per issuer)": bool(before.sync_answer) and before.sync_answer == after.sync_answer,
        "after: S3 GET from services and workers": after.gets_from(),
        "before: S3 GET from the legacy module": before.gets_from(("secfilings.scripts.legacy_direct_reads",)),
        "after: sync fetched": f"{after.sync_filings} filings in {after.sync_requests} batch requests "
                               f"(ceil({after.sync_filings}/{after.batch_size}) = {math.ceil(after.sync_filings / after.batch_size) if after.batch_size else 0})",
    }
    return Measurement(before.parts, after.parts, rates, solved, _describe(before, copies, len(docs)), checks)


def _same_answers(before: PathRun, after: PathRun) -> bool:
    """Same filings (accession numbers) and holdings for every lookup, both ways."""
    for cik, old in before.answers.items():
        new = after.answers.get(cik)
        if (old is None) != (new is None):
            return False
        if old is None:
            continue
        if "filings" in old:
            if sorted(f["accession_number"] for f in old["filings"]) != sorted(f["accession_number"] for f in new["filings"]):
                return False
        elif [h["cusip"] for h in old["holdings"]] != [h["cusip"] for h in new["holdings"]]:
            return False
    return True
