"""Benchmark: documents per second of the SEC parsers, in process, beside edgartools on the same XML.

    python bench/parse.py [--runs 7] [--seconds 1.0] [--skip-edgartools]

Corpus: every XML document of the bundled real filings (``secfilings/data``): the bare ownership
and 13F documents, and the XML documents inside the ``.txt``/``.nc`` submissions (taken out of
their envelopes once, before timing, so both parsers get the same XML text). Three kinds:
ownership documents (Forms 3/4/5), 13F primary documents (cover pages), 13F information tables.

Ours: ``parse_xml`` (the hardened XML reading) + ``parse_ownership`` / ``parse_thirteenf`` /
``parse_information_table``, i.e. what ingest runs per document before writing. edgartools
(optional: ``pip install edgartools``; run offline with ``EDGAR_IDENTITY``,
``EDGAR_USE_LOCAL_DATA=1`` and a scratch ``EDGAR_LOCAL_DATA_DIR``, set here): ``Ownership.from_xml``,
``parse_primary_document_xml`` and ``parse_infotable_xml`` on the same strings (its per-owner
EDGAR look-up is answered "not found" locally, so no request is ever timed).

Each round times each parser in a fresh process of its own (so neither pays for the other's
heap: edgartools loads pandas, whose objects slow every garbage collection of a shared process
about 2x), over the whole corpus repeated until ``--seconds``, ours and theirs interleaved; the figure is the median of ``--runs`` rounds, in documents per
second, and the ratio ours/theirs per kind and over the corpus. Target (issue 12): at least 20x
edgartools' rate. Not a test: timings depend on the machine and its load (printed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from secfilings.data import FORM4_DIR, THIRTEENF_DIR  # noqa: E402
from secfilings.workers.form4_parser.envelope import is_envelope, parse_envelope  # noqa: E402
from secfilings.workers.form4_parser.ownership import parse_ownership  # noqa: E402
from secfilings.workers.form4_parser.thirteenf import parse_information_table, parse_thirteenf  # noqa: E402
from secfilings.workers.form4_parser.xmlsafe import parse_xml  # noqa: E402

KINDS = ("ownership", "13f-primary", "13f-table")
_ROOTS = {b"ownershipDocument": "ownership", b"edgarSubmission": "13f-primary", b"informationTable": "13f-table"}


def corpus() -> dict[str, list[bytes]]:
    """The bundled XML documents by kind (out of their envelopes)."""
    found: dict[str, list[bytes]] = {kind: [] for kind in KINDS}
    for path in sorted([*FORM4_DIR.iterdir(), *THIRTEENF_DIR.iterdir()]):
        if path.suffix not in (".xml", ".txt", ".nc"):
            continue
        data = path.read_bytes()
        documents = [doc.xml for doc in parse_envelope(data).documents if doc.xml] if is_envelope(data) else [data]
        for xml in documents:
            kind = _root_kind(xml)
            if kind:
                found[kind].append(xml)
    return found


def _root_kind(xml: bytes) -> str | None:
    root = parse_xml(xml).tag.encode()
    return _ROOTS.get(root)


def ours() -> dict[str, Callable[[bytes], object]]:
    return {
        "ownership": lambda xml: parse_ownership(parse_xml(xml), accession_number="0000000001-25-000001"),
        "13f-primary": lambda xml: parse_thirteenf(parse_xml(xml), None, accession_number="0000000001-25-000001"),
        "13f-table": lambda xml: parse_information_table(parse_xml(xml)),
    }


def theirs(scratch: str) -> dict[str, Callable[[bytes], object]] | str:
    """edgartools' parsers, or why they cannot run."""
    os.environ.setdefault("EDGAR_IDENTITY", "costguard bench bench@example.com")
    os.environ["EDGAR_USE_LOCAL_DATA"] = "1"
    os.environ["EDGAR_LOCAL_DATA_DIR"] = scratch
    try:
        from edgar.ownership import Ownership
        from edgar.thirteenf import parse_infotable_xml, parse_primary_document_xml
        from importlib.metadata import version
    except ImportError as error:
        return f"edgartools is not installed ({error}): pip install edgartools"
    import edgar.entity.submissions as submissions

    # Ownership.from_xml looks each reporting owner up on EDGAR (company or person, to order the
    # name); offline, the local store has no submissions, so answer "not found" at once rather
    # than try the network: edgartools is timed on its parsing alone, never on a request.
    submissions.download_entity_submissions_from_sec = lambda cik: None
    theirs.version = version("edgartools")  # type: ignore[attr-defined]
    return {
        "ownership": lambda xml: Ownership.from_xml(xml.decode("utf-8")),
        "13f-primary": lambda xml: parse_primary_document_xml(xml.decode("utf-8")),
        "13f-table": lambda xml: parse_infotable_xml(xml.decode("utf-8")),
    }


def one_round(parsers: dict[str, Callable[[bytes], object]], docs: dict[str, list[bytes]], seconds: float) -> dict[str, float]:
    """Documents per second per kind: passes over the kind's documents until ``seconds`` (split by kind)."""
    rates = {}
    for kind in KINDS:
        parse, items = parsers[kind], docs[kind]
        done, started = 0, time.perf_counter()
        while True:
            for xml in items:
                parse(xml)
            done += len(items)
            elapsed = time.perf_counter() - started
            if elapsed >= seconds / len(KINDS):
                break
        rates[kind] = done / elapsed
    return rates


def _corpus_rate(rates: dict[str, float], docs: dict[str, list[bytes]]) -> float:
    """Documents per second over the corpus as it is (each document once): total / sum of times."""
    total = sum(len(docs[kind]) for kind in KINDS)
    return total / sum(len(docs[kind]) / rates[kind] for kind in KINDS)


FLOORS = ("expat, no handlers", "ElementTree tree", "lxml tree")


def floors(docs: dict[str, list[bytes]], seconds: float) -> dict[str, dict[str, float]]:
    """Microseconds per document of what a parser must pay before it reads any field: expat
    tokenizing with no handler at all, ElementTree building the tree (C), and lxml (libxml2, what
    edgartools parses with) building its tree, per kind. lxml is measured only where it is
    installed (it comes with edgartools)."""
    import xml.parsers.expat
    from xml.etree.ElementTree import XMLParser

    def tokenize(data: bytes) -> None:
        xml.parsers.expat.ParserCreate().Parse(data, True)

    def tree(data: bytes) -> None:
        parser = XMLParser()
        parser.feed(data)
        parser.close()

    steps: list[tuple[str, Callable[[bytes], object]]] = [(FLOORS[0], tokenize), (FLOORS[1], tree)]
    try:
        from lxml import etree as lxml_etree
    except ImportError:
        pass
    else:
        hardened = lxml_etree.XMLParser(resolve_entities=False, no_network=True)
        steps.append((FLOORS[2], lambda data: lxml_etree.fromstring(data, hardened)))
    found: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        found[kind] = {}
        for name, step in steps:
            done, started = 0, time.perf_counter()
            while time.perf_counter() - started < seconds / len(KINDS):
                for data in docs[kind]:
                    step(data)
                done += len(docs[kind])
            found[kind][name] = (time.perf_counter() - started) / done * 1e6
    return found


def _worker(which: str, seconds: float) -> int:
    """One timed round in this process: prints the rates as JSON (or why edgartools cannot run)."""
    import json

    docs = corpus()
    with tempfile.TemporaryDirectory(prefix="edgar-local-") as scratch:
        parsers = ours() if which == "costguard" else theirs(scratch)
        if isinstance(parsers, str):
            print(json.dumps({"error": parsers}))
            return 0
        for kind in KINDS:  # every document must parse before any timing (and warms up)
            for xml in docs[kind]:
                parsers[kind](xml)
        rates = one_round(parsers, docs, seconds)
    print(json.dumps({"rates": rates, "version": getattr(theirs, "version", None)}))
    return 0


def _round(which: str, seconds: float) -> dict[str, object]:
    import json
    import subprocess

    result = subprocess.run(
        [sys.executable, "-W", "ignore", __file__, "--worker", which, "--seconds", str(seconds)],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"bench/parse.py: the {which} round failed:\n{result.stderr.strip()}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per parser per round")
    parser.add_argument("--skip-edgartools", action="store_true")
    parser.add_argument("--worker", choices=("costguard", "edgartools"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(args.worker, args.seconds)
    docs = corpus()
    print("corpus: " + ", ".join(f"{len(docs[k])} {k}" for k in KINDS) + " (bundled real filings; XML out of their envelopes)")
    results: dict[str, list[dict[str, float]]] = {"costguard": [], "edgartools": []}
    load = []
    use_edgartools = not args.skip_edgartools
    for _ in range(args.runs):
        load.append(os.getloadavg()[0])
        results["costguard"].append(_round("costguard", args.seconds)["rates"])  # type: ignore[arg-type]
        if use_edgartools:
            theirs_round = _round("edgartools", args.seconds)
            if "error" in theirs_round:
                print(theirs_round["error"])
                use_edgartools = False
            else:
                results["edgartools"].append(theirs_round["rates"])  # type: ignore[arg-type]
                theirs.version = theirs_round["version"]  # type: ignore[attr-defined]
    print(f"{args.runs} interleaved rounds, median; 1-minute load average {min(load):.1f}-{max(load):.1f} on {os.cpu_count()} CPUs")
    print(f"{'kind':<12} {'secfilings docs/s':>18} {'edgartools docs/s':>18} {'ratio':>8}")
    medians = {name: {kind: statistics.median(r[kind] for r in rounds) for kind in KINDS} for name, rounds in results.items() if rounds}
    corpus_rates = {
        name: statistics.median(_corpus_rate(r, docs) for r in rounds) for name, rounds in results.items() if rounds
    }
    for kind in [*KINDS, "corpus"]:
        ours_rate = corpus_rates["costguard"] if kind == "corpus" else medians["costguard"][kind]
        if "edgartools" in medians:
            their_rate = corpus_rates["edgartools"] if kind == "corpus" else medians["edgartools"][kind]
            print(f"{kind:<12} {ours_rate:>18,.0f} {their_rate:>18,.0f} {ours_rate / their_rate:>7.1f}x")
        else:
            print(f"{kind:<12} {ours_rate:>18,.0f} {'-':>18} {'-':>8}")
    if "edgartools" in medians:
        ratio = corpus_rates["costguard"] / corpus_rates["edgartools"]
        verdict = "met" if ratio >= 20 else "NOT met"
        print(f"edgartools {getattr(theirs, 'version', '?')}; target: at least 20x over the corpus: {ratio:.1f}x ({verdict})")
        print("floors (us per document, this process): what 20x edgartools allows beside what XML costs before any field is read")
        print(f"{'kind':<12} {'20x allows':>11} {'secfilings':>11} {'expat alone':>12} {'ET tree':>9} {'lxml tree':>10}")
        floor = floors(docs, args.seconds)
        measured = [name for name in FLOORS if name in floor[KINDS[0]]]
        for kind in KINDS:
            allowed = 1e6 / (20 * medians["edgartools"][kind])
            cells = "".join(f" {floor[kind][name]:>{width},.0f}" for name, width in zip(measured, (12, 9, 10)))
            print(f"{kind:<12} {allowed:>11,.0f} {1e6 / medians['costguard'][kind]:>11,.0f}{cells}")
        # The best corpus ratio a parser could reach if reading the fields cost nothing beyond
        # the floor: the corpus's documents at the floor's cost, beside edgartools' corpus rate.
        total = sum(len(docs[kind]) for kind in KINDS)
        ceilings = ", ".join(
            f"{name} {total / (sum(len(docs[k]) * floor[k][name] for k in KINDS) / 1e6) / corpus_rates['edgartools']:.1f}x"
            for name in measured
        )
        print(f"ceiling over the corpus if reading fields cost nothing beyond the floor: {ceilings}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
