"""EDGAR submission envelopes: ``.txt`` full submissions (SEC-HEADER) and ``.nc`` dissemination SGML.

Both carry the accession number, the submission type, the filing date and the period in a header,
then ``<DOCUMENT>`` blocks; a document's XML sits between ``<XML>`` and ``</XML>``. Documents
without XML (an EX-24 power of attorney, a PDF...) are listed with ``xml=None`` and skipped by
the parsers. Line endings may be mixed (``\\r``, ``\\r\\n``, ``\\n``): they are normalised first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

__all__ = ["Envelope", "EnvelopeDocument", "is_envelope", "parse_envelope", "EnvelopeError"]


class EnvelopeError(ValueError):
    """A submission whose header cannot be read."""


@dataclass(frozen=True)
class EnvelopeDocument:
    type: str
    filename: str | None
    xml: bytes | None  # None: not an XML document


@dataclass(frozen=True)
class Envelope:
    accession_number: str | None  # as written (normalised by the caller)
    form_type: str | None
    filed: date | None
    period: date | None
    filer_ciks: tuple[str, ...]  # every CENTRAL INDEX KEY / <CIK> of the header, as written
    documents: tuple[EnvelopeDocument, ...]


_START = re.compile(rb"^\s*<(SEC-DOCUMENT|SUBMISSION|SEC-HEADER|IMS-DOCUMENT)>", re.I)
_DOCUMENT = re.compile(rb"<DOCUMENT>(.*?)(?:</DOCUMENT>|\Z)", re.S | re.I)
_XML = re.compile(rb"<XML>(.*?)</XML>", re.S | re.I)
_TAG_LINE = re.compile(rb"^<([A-Z0-9-]+)>([^\n<]*)$", re.M)
_HEADER_LINE = re.compile(rb"^\s*([A-Z][A-Z0-9 -]*?):[ \t]*([^\n]*)$", re.M)


def document_blocks(data: bytes) -> list[bytes]:
    """What ``_DOCUMENT.findall(data)`` returns, by ``find`` on an upper-cased copy (several times
    faster: the lazy ``.*?`` tries the closing tag at every byte). ``bytes.upper`` changes ASCII
    letters only, as ``re.I`` folds them for bytes patterns, so offsets match."""
    upper = data.upper()
    blocks: list[bytes] = []
    pos = 0
    while True:
        start = upper.find(b"<DOCUMENT>", pos)
        if start < 0:
            return blocks
        body = start + len(b"<DOCUMENT>")
        end = upper.find(b"</DOCUMENT>", body)
        if end < 0:
            blocks.append(data[body:])
            return blocks
        blocks.append(data[body:end])
        pos = end + len(b"</DOCUMENT>")


def xml_body(block: bytes) -> bytes | None:
    """What ``_XML.search(block).group(1)`` gives (None when it finds nothing), by ``find``."""
    upper = block.upper()
    start = upper.find(b"<XML>")
    if start < 0:
        return None
    end = upper.find(b"</XML>", start + len(b"<XML>"))
    if end < 0:
        return None
    return block[start + len(b"<XML>") : end]


def is_envelope(data: bytes) -> bool:
    return bool(_START.match(data[:200]))


def _date(value: bytes | None) -> date | None:
    if not value:
        return None
    text = value.strip().decode("ascii", "replace")
    if len(text) == 8 and text.isdigit():
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            raise EnvelopeError(f"invalid date {text!r} in the submission header") from None
    raise EnvelopeError(f"invalid date {text!r} in the submission header")


def _text(value: bytes | None) -> str | None:
    if value is None:
        return None
    text = value.strip().decode("utf-8", "replace")
    return text or None


def parse_envelope(data: bytes) -> Envelope:
    """Split a ``.txt``/``.nc`` submission into its header fields and documents."""
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    first_document = data.find(b"<DOCUMENT>")
    header = data if first_document < 0 else data[:first_document]
    tags: dict[bytes, bytes] = {}
    ciks: list[str] = []
    for name, value in _TAG_LINE.findall(header):  # .nc style: <ACCESSION-NUMBER>0001...
        tags.setdefault(name.upper(), value)
        if name.upper() == b"CIK":
            ciks.append(value.strip().decode("ascii", "replace"))
    fields: dict[bytes, bytes] = {}
    for name, value in _HEADER_LINE.findall(header):  # .txt style: ACCESSION NUMBER:\t\t0001...
        fields.setdefault(name.upper().strip(), value)
        if name.upper().strip() == b"CENTRAL INDEX KEY":
            ciks.append(value.strip().decode("ascii", "replace"))
    accession = _text(tags.get(b"ACCESSION-NUMBER") or fields.get(b"ACCESSION NUMBER"))
    form_type = _text(tags.get(b"TYPE") or fields.get(b"CONFORMED SUBMISSION TYPE"))
    filed = _date(tags.get(b"FILING-DATE") or fields.get(b"FILED AS OF DATE"))
    period = _date(tags.get(b"PERIOD") or fields.get(b"CONFORMED PERIOD OF REPORT"))
    documents = []
    for block in document_blocks(data[first_document:] if first_document >= 0 else b""):
        type_value = b""
        filename = None
        for name, value in _TAG_LINE.findall(block.split(b"<TEXT>", 1)[0]):
            if name.upper() == b"TYPE" and not type_value:
                type_value = value
            elif name.upper() == b"FILENAME" and filename is None:
                filename = _text(value)
        xml = xml_body(block)
        documents.append(
            EnvelopeDocument(
                type=_text(type_value) or "",
                filename=filename,
                xml=xml.strip() if xml is not None else None,
            )
        )
    return Envelope(
        accession_number=accession,
        form_type=form_type,
        filed=filed,
        period=period,
        filer_ciks=tuple(ciks),
        documents=tuple(documents),
    )
