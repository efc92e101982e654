"""Copies of the bundled real filings under new accession numbers (same contents otherwise).

Submissions (``.txt``/``.nc``) carry their accession number in the header: every spelling of it
(``0001127602-25-001055`` and ``000112760225001055``) is replaced by the new one. Bare documents
get a file name in the accession's form (``0009900000-25-000123.xml``), which the ingestion
takes as their accession number. So each copy is a new filing to the de-dup ledger.
"""

from __future__ import annotations

import re
from pathlib import Path

from secfilings.demo import bundled_data

_ACCESSION = re.compile(rb"(\d{10})-(\d{2})-(\d{6})")
SKIP = {"sec-sample.information_table.xml"}  # a lone information table is rejected by design


def sources(include_13f: bool = False) -> list[Path]:
    folders = ["form4", "13f"] if include_13f else ["form4"]
    return sorted(
        path for folder in folders for path in (bundled_data() / folder).iterdir()
        if path.suffix in (".xml", ".txt", ".nc") and path.name not in SKIP
    )


def replicate(target: Path, count: int, *, include_13f: bool = False, agent: int = 9900000) -> list[Path]:
    """Write ``count`` documents into ``target`` (cycling over the sources); returns their paths."""
    target.mkdir(parents=True, exist_ok=True)
    originals = [(path, path.read_bytes()) for path in sources(include_13f)]
    written: list[Path] = []
    for number in range(count):
        path, data = originals[number % len(originals)]
        accession = f"{agent:010d}-25-{number:06d}"
        if path.suffix in (".txt", ".nc"):
            match = _ACCESSION.search(data)
            assert match is not None, path
            old = match.group(0)
            data = data.replace(old, accession.encode()).replace(old.replace(b"-", b""), accession.replace("-", "").encode())
            name = f"{accession}{path.suffix}"
        else:
            name = f"{accession}.xml"
        out = target / f"{number // 1000:04d}" / name
        out.parent.mkdir(exist_ok=True)
        out.write_bytes(data)
        written.append(out)
    return written
