"""XML Fachdaten (XÖV): read safely, check against an XSD, derive a document that breaks it.

Used by the portal (the XML template a provider uploads per Leistung must be well-formed),
by the conformance battery (the invalid-data cases are derived from that template) and by
the sandbox's simulated Fachverfahren (it validates XML data against the XSD it knows).

lxml (libxml2) reads with entity resolution, DTD loading and network access switched off;
a document with a DOCTYPE is refused outright, so no entity expansion can happen.
Django-free.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

# The largest template the portal keeps (a minimal instance document is a few kilobytes).
MAX_TEMPLATE_BYTES = 256 * 1024


class NotXml(ValueError):
    """Not a well-formed XML document; ``reason`` is "doctype", "empty" or "syntax"."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def _parser() -> Any:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse(content: bytes) -> Any:
    """Return the root element of a well-formed document, or raise ``NotXml``."""
    if not content.strip():
        raise NotXml("empty")
    if b"<!DOCTYPE" in content.upper():
        raise NotXml("doctype")
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as error:
        raise NotXml("syntax", getattr(error, "lineno", None)) from None
    if root is None:
        raise NotXml("empty")
    return root


def is_well_formed(content: bytes) -> bool:
    try:
        parse(content)
    except NotXml:
        return False
    return True


def root_name(content: bytes) -> str:
    """The root element's local name (for messages)."""
    return str(etree.QName(parse(content)).localname)


def with_renamed_root(content: bytes) -> bytes:
    """Return the document with its root element renamed: well-formed, but no XSD that
    declared the original root accepts it."""
    root = parse(content)
    name = etree.QName(root)
    root.tag = etree.QName(name.namespace, f"{name.localname}Unbekannt").text
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@cache
def _schema(path: Path) -> Any:
    return etree.XMLSchema(etree.parse(str(path), _parser()))


def xsd_error(content: bytes, xsd: Path) -> str | None:
    """Return the first reason the document breaks the XSD (libxml2's words), or None."""
    schema = _schema(xsd)
    if schema.validate(etree.ElementTree(parse(content))):
        return None
    error = schema.error_log.last_error
    return f"Zeile {error.line}: {error.message}" if error is not None else "ungültig"
