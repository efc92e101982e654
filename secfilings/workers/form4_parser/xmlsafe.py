"""Hardened XML parsing: expat through defusedxml, no DTDs, no entities, no external references.

Fast path: expat's C tree builder, used only when the bytes provably hold no DTD. In an
ASCII-compatible encoding (no BOM, no NUL bytes, an encoding declaration that is UTF-8, ASCII or
Latin-1 or none) a ``<!DOCTYPE`` must appear as those very bytes; without a DOCTYPE there is no
entity declaration and no external entity, and expat knows only the five predefined entities.
Anything else (a DOCTYPE, another encoding) goes through defusedxml, which refuses DTDs, entity
declarations and external references with the reasons below.

Namespaces are dropped from tag names (``{uri}infoTable`` and ``ns1:infoTable`` both become
``infoTable``): EDGAR documents use default namespaces and ``ns1:``-style prefixes for the same
schema, and the parsers only care about local names.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError, XMLParser

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring

__all__ = ["UnsafeXml", "MalformedXml", "parse_xml", "text_of", "child"]


class MalformedXml(ValueError):
    """Not well-formed XML (truncated, bad characters, mismatched tags...)."""


class UnsafeXml(ValueError):
    """XML that declares a DTD, entities or external references: refused, never expanded."""


_ENCODING_DECL = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_SAFE_ENCODINGS = frozenset({"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1"})
_DOCTYPE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.I)


def _fast_path_ok(data: bytes) -> bool:
    head = data[:200]
    if b"\x00" in head or head[:1] not in (b"<",):  # UTF-16/32, a BOM, or not markup at all
        return False
    match = _ENCODING_DECL.match(head)
    if match and match.group(1).decode("ascii").lower() not in _SAFE_ENCODINGS:
        return False
    return _DOCTYPE.search(data) is None


def _parse_fast(data: bytes) -> Element:
    parser = XMLParser()
    parser.feed(data)
    return parser.close()


def parse_xml(data: bytes) -> Element:
    """Parse ``data`` and return the root element with namespace-free tag names."""
    data = data.lstrip()
    try:
        if _fast_path_ok(data):
            root = _parse_fast(data)
        else:
            root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DTDForbidden:
        raise UnsafeXml(
            "refused: the XML declares a DTD (<!DOCTYPE>), which could expand entities or fetch "
            "external files"
        ) from None
    except EntitiesForbidden as error:
        raise UnsafeXml(f"refused: the XML declares the entity {error.name!r} (entity expansion)") from None
    except ExternalReferenceForbidden:
        raise UnsafeXml("refused: the XML references an external resource") from None
    except ParseError as error:
        raise MalformedXml(f"malformed XML: {error}") from None
    except (ValueError, UnicodeError) as error:  # e.g. an encoding expat does not know
        raise MalformedXml(f"malformed XML: {error}") from None
    if b"xmlns" in data:  # no namespace declaration: no namespaced tag either
        for element in root.iter():
            tag = element.tag
            if isinstance(tag, str) and tag[0] == "{":
                element.tag = tag.split("}", 1)[1]
    return root


def text_of(element: Element | None) -> str | None:
    """The stripped text of ``element``; None when absent or empty."""
    if element is None or element.text is None:
        return None
    text = element.text.strip()
    return text or None


def child(element: Element | None, *tags: str) -> Element | None:
    """``element.find("a/b/c")`` without ElementPath: one C-level ``find`` per step."""
    for tag in tags:
        if element is None:
            return None
        element = element.find(tag)
    return element
