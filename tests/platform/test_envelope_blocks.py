"""The envelope's find-based splitting gives what its reference regular expressions give."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from secfilings.workers.form4_parser.envelope import _DOCUMENT, _XML, document_blocks, xml_body

_PIECES = st.sampled_from(
    [b"<DOCUMENT>", b"</DOCUMENT>", b"<document>", b"</Document>", b"<XML>", b"</XML>", b"<xml>",
     b"</xMl>", b"<TEXT>", b"\n", b"x", b"<", b">", b"/", b"DOCUMENT", b"\xc3\xa9", b"\xff"]
)
_DATA = st.lists(_PIECES, max_size=30).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(_DATA)
def test_document_blocks_match_the_regex(data: bytes) -> None:
    assert document_blocks(data) == _DOCUMENT.findall(data)


@settings(max_examples=400, deadline=None)
@given(_DATA)
def test_xml_body_matches_the_regex(block: bytes) -> None:
    found = _XML.search(block)
    assert xml_body(block) == (found.group(1) if found else None)
