"""Hardened XML parsing: expat through defusedxml, no DTDs, no entities, no external references.

Namespaces are dropped from tag names (``{uri}infoTable`` and ``ns1:infoTable`` both become
``infoTable``): EDGAR documents use default namespaces and ``ns1:``-style prefixes for the same
schema, and the parsers only care about local names.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring

__all__ = ["UnsafeXml", "MalformedXml", "parse_xml", "text_of"]


class MalformedXml(ValueError):
    """Not well-formed XML (truncated, bad characters, mismatched tags...)."""


class UnsafeXml(ValueError):
    """XML that declares a DTD, entities or external references: refused, never expanded."""


def parse_xml(data: bytes) -> Element:
    """Parse ``data`` and return the root element with namespace-free tag names."""
    data = data.lstrip()
    try:
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
    for element in root.iter():
        tag = element.tag
        if isinstance(tag, str) and tag[0] == "{":
            element.tag = tag[tag.index("}") + 1 :]
    return root


def text_of(element: Element | None) -> str | None:
    """The stripped text of ``element``; None when absent or empty."""
    if element is None or element.text is None:
        return None
    text = element.text.strip()
    return text or None
