"""The ingestion worker: files and folders in, de-duplicated filings in the lake out.

``ingest_paths(platform, paths)`` reads each document (bare XML, ``.txt`` or ``.nc`` submission),
parses it with the hardened parser, and writes it through ``insert_filing_with_dedup``. Each
document ends as ``new``, ``duplicate`` or ``rejected`` (with one reason naming the input). A
rejected document is copied to ``quarantine/<day>/<sha256[:16]>-<name>`` in the lake with a
``.reason.txt`` beside it; the user's file is never moved or changed, nothing else is written for
it, and the rest of the batch goes on.

Accession number of a document, in order: the submission header; for a bare document, its file
name when it holds one (``0001127602-25-004598.xml``, ``13F.000189418823000007.xml``); else the
``accession=`` argument (``--accession``); else the content key ``sha256-<40 hex>``
(``layout.content_accession``: SHA-256 of the bytes with line endings normalised), which can never
equal a real accession number and is the same every time, so de-dup holds. When both a document
and ``accession=`` name an accession and they differ, the document is rejected naming both; the
same holds for ``cik=``, checked against the issuer and reporting owners (ownership) or the filer (13F).
"""

from __future__ import annotations

import multiprocessing
import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Union

from secfilings.errors import SecfilingsError
from secfilings.lake import layout
from secfilings.model import FundFiling, InvalidIdentifier, OwnershipFiling, normalize_accession, normalize_cik
from secfilings.index.keys import LEDGER_SK, ledger_pk
from secfilings.ingest.complete import is_bare_table
from secfilings.ingest.dedup import insert_filing_with_dedup
from secfilings.workers.form4_parser.envelope import EnvelopeError, is_envelope, parse_envelope
from secfilings.workers.form4_parser.ownership import ParseProblem, parse_ownership
from secfilings.workers.form4_parser.thirteenf import bare_information_table, parse_thirteenf
from secfilings.workers.form4_parser.xmlsafe import MalformedXml, UnsafeXml, parse_xml

__all__ = [
    "DocumentOutcome",
    "IngestReport",
    "ingest_paths",
    "ingest_document",
    "parse_document",
    "expand_paths",
    "INGEST_SUFFIXES",
]

INGEST_SUFFIXES = (".xml", ".txt", ".nc")  # what a folder contributes (files named outright: any)
_ACCESSION_IN_NAME = re.compile(r"(?<!\d)(\d{10})-?(\d{2})-?(\d{6})(?!\d)", re.ASCII)

Filing = Union[OwnershipFiling, FundFiling]
Outcome = Literal["new", "duplicate", "rejected"]


class _Rejected(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class DocumentOutcome:
    source: str
    outcome: Outcome
    accession_number: str | None = None
    form_type: str | None = None
    kind: str | None = None  # "ownership" | "13f"
    reason: str | None = None  # rejected: why
    quarantine_key: str | None = None

    @property
    def message(self) -> str:
        if self.outcome == "rejected":
            return f"{self.source}: rejected: {self.reason}"
        return f"{self.source}: {self.outcome} {self.form_type} {self.accession_number}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "outcome": self.outcome,
            "accession_number": self.accession_number,
            "form_type": self.form_type,
            "kind": self.kind,
            "reason": self.reason,
            "quarantine_key": self.quarantine_key,
        }


@dataclass
class IngestReport:
    documents: list[DocumentOutcome] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for doc in self.documents if doc.outcome == outcome)

    @property
    def new(self) -> int:
        return self.count("new")

    @property
    def duplicate(self) -> int:
        return self.count("duplicate")

    @property
    def rejected(self) -> int:
        return self.count("rejected")

    @property
    def ok(self) -> bool:
        """False when something was rejected (the CLI's exit status follows it)."""
        return self.rejected == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "new": self.new,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
            "documents": [doc.as_dict() for doc in self.documents],
        }


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; folders walked (sorted) for ``.xml``/``.txt``/``.nc`` files, hidden ones skipped."""
    result: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            result.extend(path / rel for rel in sorted(_files_under(str(path)), key=_parts))
        else:
            result.append(path)
    return result


def _parts(relative: str) -> list[str]:
    return relative.split(os.sep)  # Path order: part by part


def _files_under(folder: str, prefix: str = "") -> list[str]:
    """Relative paths of the ingestible files below ``folder``: not hidden, no symlinked folders."""
    found: list[str] = []
    try:
        entries = os.scandir(folder)
    except OSError:  # unreadable: skipped, as Path.rglob does
        return found
    with entries:
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    found.extend(_files_under(entry.path, prefix + name + os.sep))
                elif os.path.splitext(name)[1].lower() in INGEST_SUFFIXES and entry.is_file():
                    found.append(prefix + name)
            except OSError:
                continue
    return found


def _check_cik(filing: Filing, cik: str | None) -> None:
    if cik is None:
        return
    if isinstance(filing, OwnershipFiling):
        known = {filing.issuer_cik, *(owner.cik for owner in filing.reporting_owners)}
        if cik not in known:
            raise _Rejected(
                f"CIK mismatch: --cik says {cik}, the document's issuer is {filing.issuer_cik}"
                f" and its reporting owners are {', '.join(o.cik for o in filing.reporting_owners)}"
            )
    elif cik != filing.filer_cik:
        raise _Rejected(f"CIK mismatch: --cik says {cik}, the document's filer is {filing.filer_cik}")


def _accession_for_bare(name: str, data: bytes, accession: str | None) -> tuple[str, str]:
    match = _ACCESSION_IN_NAME.search(name)
    if match:
        from_name = "-".join(match.groups())
        if not any(int(part) for part in match.groups()):
            raise _Rejected(f"the file name holds the all-zero accession number {from_name}: not an accession")
        if accession is not None and accession != from_name:
            raise _Rejected(
                f"accession mismatch: the file name says {from_name}, --accession says {accession}"
            )
        return from_name, "file name"
    if accession is not None:
        return accession, "command line"
    return layout.content_accession(data), "content hash"


_QUARTER_ENDS = frozenset({(3, 31), (6, 30), (9, 30), (12, 31)})


def _bare_table(root: Any, name: str, data: bytes, accession: str | None, cik: str | None, period: date | None) -> Filing:
    """A 13F information table without its cover page: ``--cik`` names the filer (the table names
    none, so there is nothing to check it against), ``--accession`` (or the file name) the filing
    and ``--period`` its quarter; it is stored as a ``13F-HR`` partitioned by that period."""
    missing = [flag for flag, value in (("--cik", cik), ("--period", period)) if value is None]
    if accession is None and not _ACCESSION_IN_NAME.search(name):
        missing.insert(1 if cik is None else 0, "--accession")
    if missing:
        raise _Rejected(
            "a 13F information table alone names no fund, no filing and no period: give --cik, "
            f"--accession and --period (missing: {', '.join(missing)}), or ingest the whole "
            "submission (.txt/.nc) or its primary document"
        )
    assert cik is not None and period is not None
    if (period.month, period.day) not in _QUARTER_ENDS:
        raise _Rejected(
            f"--period {period.isoformat()} is not the last day of a calendar quarter: a 13F reports"
            " a quarter (YYYY-03-31, YYYY-06-30, YYYY-09-30 or YYYY-12-31)"
        )
    acc, source = _accession_for_bare(name, data, accession)
    return bare_information_table(root, accession_number=acc, filer_cik=cik, period=period, accession_source=source)


def _check_period(filing: Filing, period: date | None) -> None:
    if period is not None and filing.period != period:
        raise _Rejected(
            f"period mismatch: --period says {period.isoformat()}, the document's period is "
            f"{filing.period.isoformat() if filing.period else 'not given'}"
        )


def parse_document(
    data: bytes, name: str, *, accession: str | None = None, cik: str | None = None, period: date | None = None
) -> Filing:
    """Parse one document (bare XML or a submission); raises ``_Rejected`` with the reason.

    ``period`` (``--period``) is the quarter of a bare 13F information table; for any other
    document it is the period the document must name, as ``cik`` is its CIK."""
    try:
        if is_envelope(data):
            envelope = parse_envelope(data)
            if envelope.accession_number is None:
                raise _Rejected("the submission header has no accession number")
            try:
                acc = normalize_accession(envelope.accession_number)
            except InvalidIdentifier as error:
                raise _Rejected(str(error)) from None
            if accession is not None and accession != acc:
                raise _Rejected(f"accession mismatch: the submission says {acc}, --accession says {accession}")
            roots = [(doc.type, parse_xml(doc.xml)) for doc in envelope.documents if doc.xml is not None]
            if not roots:
                raise _Rejected(f"the submission ({envelope.form_type}) holds no XML document")
            by_tag = {root.tag: root for _, root in roots}
            if "ownershipDocument" in by_tag:
                filing: Filing = parse_ownership(
                    by_tag["ownershipDocument"],
                    accession_number=acc,
                    filed=envelope.filed,
                    form_type=envelope.form_type,
                )
            elif "edgarSubmission" in by_tag:
                filing = parse_thirteenf(
                    by_tag["edgarSubmission"],
                    by_tag.get("informationTable"),
                    accession_number=acc,
                    filed=envelope.filed,
                    form_type=envelope.form_type,
                )
            else:
                tags = ", ".join(f"<{tag}>" for tag in by_tag)
                raise _Rejected(
                    f"not an ownership (Form 3/4/5) or 13F filing: submission type "
                    f"{envelope.form_type!r} with XML {tags}"
                )
        else:
            root = parse_xml(data)
            if root.tag == "informationTable":
                return _bare_table(root, name, data, accession, cik, period)
            if root.tag not in ("ownershipDocument", "edgarSubmission"):
                raise _Rejected(
                    f"not an ownership (Form 3/4/5) or 13F document: root element <{root.tag}>"
                )
            acc, source = _accession_for_bare(name, data, accession)
            if root.tag == "ownershipDocument":
                filing = parse_ownership(root, accession_number=acc, accession_source=source)
            else:
                filing = parse_thirteenf(root, None, accession_number=acc, accession_source=source)
    except (MalformedXml, UnsafeXml, ParseProblem, EnvelopeError) as error:
        raise _Rejected(str(error)) from None
    _check_cik(filing, cik)
    _check_period(filing, period)
    return filing


def _raw_ext(path_name: str, data: bytes) -> str:
    suffix = os.path.splitext(path_name)[1].lower().lstrip(".")
    if suffix in ("xml", "txt", "nc"):
        return suffix
    return "txt" if is_envelope(data) else "xml"


def _quarantine(platform: Any, data: bytes, source: str, reason: str) -> str:
    key = layout.quarantine_key(date.today(), data, source)
    platform.store.put(key, data)
    platform.store.put(
        key + ".reason.txt", f"source: {source}\nreason: {reason}\n".encode("utf-8", "replace")
    )
    return key


def ingest_document(
    platform: Any,
    data: bytes,
    source: str,
    *,
    accession: str | None = None,
    cik: str | None = None,
    fail_after: str | None = None,
    period: date | None = None,
) -> DocumentOutcome:
    """Parse and write one document's bytes; ``source`` names it in messages."""
    try:
        filing = parse_document(data, source, accession=accession, cik=cik, period=period)
        kind = "ownership" if isinstance(filing, OwnershipFiling) else "13f"
        try:
            outcome = insert_filing_with_dedup(
                platform, filing, data, _raw_ext(source, data), fail_after=fail_after
            )
        except ValueError as error:  # a key the layout refuses (validated before any write)
            raise _Rejected(str(error)) from None
    except _Rejected as rejected:
        key = _quarantine(platform, data, source, rejected.reason)
        return DocumentOutcome(source, "rejected", reason=rejected.reason, quarantine_key=key)
    form_type = filing.form_type
    if is_bare_table(filing) and outcome == "new":  # it joined a stored cover: say the filing's form
        ledger = platform.index.get_item(ledger_pk(filing.accession_number), LEDGER_SK)
        form_type = str((ledger or {}).get("form_type") or form_type)
    return DocumentOutcome(source, outcome, filing.accession_number, form_type, kind)


def _too_large(size: int, limit: int) -> str:
    return (
        f"the document is larger than {limit} bytes (at least {size}), the limit"
        " (--max-document-bytes / SECFILINGS_MAX_DOCUMENT_BYTES); not read"
    )


def _ingest_file(
    platform: Any, path: Path, accession: str | None, cik: str | None, fail_after: str | None,
    period: date | None = None,
) -> DocumentOutcome:
    source = str(path)
    limit = platform.settings.max_document_bytes
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            data = b"" if size > limit else file.read(limit + 1)  # never more than the limit
    except OSError as error:
        return DocumentOutcome(source, "rejected", reason=f"cannot read the file: {error.strerror or error}")
    if size > limit or len(data) > limit:
        return DocumentOutcome(source, "rejected", reason=_too_large(max(size, len(data)), limit))
    return ingest_document(platform, data, source, accession=accession, cik=cik, fail_after=fail_after, period=period)


_worker_platform: Any = None  # the platform a pool worker process opened for itself


def _pool_init(settings: Any) -> None:
    global _worker_platform
    from secfilings.config import open_platform

    _worker_platform = open_platform(settings)


def _pool_ingest(args: tuple[Path, str | None, str | None, date | None]) -> DocumentOutcome:
    path, accession, cik, period = args
    return _ingest_file(_worker_platform, path, accession, cik, None, period)


def ingest_paths(
    platform: Any,
    paths: Iterable[str | Path],
    *,
    accession: str | None = None,
    cik: str | None = None,
    progress: Callable[[int, int, DocumentOutcome], None] | None = None,
    fail_after: str | None = None,
    jobs: int = 1,
    period: str | date | None = None,
) -> IngestReport:
    """Ingest files and folders; see the module docstring. ``accession=``/``cik=`` are the
    ``--accession``/``--cik`` overrides (``accession=`` names one document). ``jobs`` > 1 spreads
    the documents over that many processes (each opens the platform from ``platform.settings``;
    ``jobs=0`` means one per CPU); the report keeps the input order. Raises ``SecfilingsError``
    only for bad arguments (nothing is written then); every document problem is a ``rejected``
    outcome in the report. ``fail_after`` injects a crash (tests only; single process)."""
    files = expand_paths(paths)
    if accession is not None:
        try:
            accession = normalize_accession(accession)
        except InvalidIdentifier as error:
            raise SecfilingsError(f"--accession: {error}") from None
        if len(files) != 1:
            raise SecfilingsError(f"--accession names one document, got {len(files)} files")
    if cik is not None:
        try:
            cik = normalize_cik(cik)
        except InvalidIdentifier as error:
            raise SecfilingsError(f"--cik: {error}") from None
    if isinstance(period, str):
        try:
            if len(period.strip()) != 10:
                raise ValueError(period)
            period = date.fromisoformat(period.strip())
        except ValueError:
            raise SecfilingsError(f"--period: expected a date YYYY-MM-DD, got {period!r}") from None
    if jobs < 0:
        raise SecfilingsError(f"--jobs: expected 0 (one per CPU) or more, got {jobs}")
    jobs = jobs or (os.cpu_count() or 1)
    report = IngestReport()
    total = len(files)
    if jobs > 1 and total > 1 and fail_after is None:
        context = multiprocessing.get_context()
        chunk = max(1, min(64, total // (jobs * 4) or 1))
        with context.Pool(jobs, initializer=_pool_init, initargs=(platform.settings,)) as pool:
            results = pool.imap(_pool_ingest, [(path, accession, cik, period) for path in files], chunk)
            for done, result in enumerate(results, 1):
                report.documents.append(result)
                if progress is not None:
                    progress(done, total, result)
        return report
    for done, path in enumerate(files, 1):
        result = _ingest_file(platform, path, accession, cik, fail_after, period)
        report.documents.append(result)
        if progress is not None:
            progress(done, total, result)
    return report
