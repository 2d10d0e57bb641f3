"""The battery for an XML (XSD) schema, checked from outside the code that built it.

Each case built from the provider's template is decrypted with jwcrypto alone, its data is
read with the standard library's XML parser and validated with lxml's XMLSchema directly
(not ``fitconnect.xml_documents``), to confirm that the case carries exactly its defect.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from typing import Any

import pytest
from lxml import etree

from fitconnect import demo
from fitconnect.conformance import CASE_ORDER, Declared, build
from fitconnect.conformance.battery import CannotBuild
from fitconnect.sandbox import Sandbox
from tests.fitconnect.test_conformance_battery import INTENDED, decrypt, sha512

XSD = etree.XMLSchema(etree.parse(str(demo.XSD_SCHEMAS[demo.XOEV_SCHEMA_URI])))
TEMPLATE = demo.XML_SAMPLES[demo.XOEV_SCHEMA_URI].read_bytes()
DESTINATION = "5c0e6a3b-8f1d-4e2a-9b7c-1d2e3f4a5b6c"


def declared(sandbox: Sandbox, template: bytes | None = TEMPLATE) -> Declared:
    return Declared(
        destination_id=DESTINATION,
        encryption_key=sandbox.keys["encryption"].public,
        service_name="Grundsicherung im Alter und bei Erwerbsminderung Bewilligung",
        service_identifier="urn:de:fim:leika:leistung:99107009017000",
        schema_uri=demo.XOEV_SCHEMA_URI,
        mime_type="application/xml",
        metadata_versions=tuple(demo.METADATA_VERSIONS),
        template=template,
    )


def defects(sandbox: Sandbox, case: str) -> set[str]:
    """Every defect an independent receiver finds in the XML case."""
    built = build(case, declared(sandbox))
    private = sandbox.keys["encryption"].private
    found: set[str] = set()
    if built.destination_id != DESTINATION:
        found.add("unknown destination")
    if built.skip_upload:
        found.add("announced attachment not uploaded")
    metadata_plain = decrypt(built.encrypted_metadata, private)
    data = decrypt(built.encrypted_data or "", private)
    if metadata_plain is None or data is None:
        return found | {"not decryptable"}
    metadata: dict[str, Any] = json.loads(metadata_plain)
    version = re.search(r"/metadata/(\d+\.\d+\.\d+)/", metadata["$schema"])
    assert version is not None
    if version[1] not in demo.METADATA_VERSIONS:
        found.add("unlisted metadata version")
    structure = metadata["contentStructure"]
    if structure["data"]["hash"]["content"] != sha512(data):
        found.add("data hash")
    submission_schema = structure["data"]["submissionSchema"]
    assert submission_schema["mimeType"] == "application/xml"
    if submission_schema["schemaUri"] != demo.XOEV_SCHEMA_URI:
        found.add("unlisted schema")
    try:
        ElementTree.fromstring(data)  # noqa: S314 - the battery's own document
    except ElementTree.ParseError:
        found.add("not JSON")  # the table's name for "neither JSON nor XML"
    else:
        if not XSD.validate(etree.fromstring(data)):
            found.add("invalid against the schema")
    attachments = {a: decrypt(t, private) for a, t in built.attachments.items()}
    for item in structure["attachments"]:
        content = attachments.get(item["attachmentId"])
        if item["attachmentId"] not in built.announced:
            found.add("named attachment not sent")
        elif content is not None and item["hash"]["content"] != sha512(content):
            found.add("attachment hash")
    return found


@pytest.mark.parametrize("case", CASE_ORDER)
def test_each_xml_case_carries_exactly_its_intended_defect(sandbox: Sandbox, case: str) -> None:
    assert defects(sandbox, case) == INTENDED[case]


def test_the_valid_xml_case_is_the_template_and_validates_against_the_xsd(
    sandbox: Sandbox,
) -> None:
    built = build("valid", declared(sandbox))
    data = decrypt(built.encrypted_data or "", sandbox.keys["encryption"].private)
    assert data == TEMPLATE
    assert XSD.validate(etree.fromstring(data))


def test_without_a_template_no_xml_case_can_be_built(sandbox: Sandbox) -> None:
    for case in CASE_ORDER:
        with pytest.raises(CannotBuild) as missing:
            build(case, declared(sandbox, template=None))
        assert missing.value.missing == "template"


def test_a_json_schema_the_generator_cannot_satisfy_asks_for_no_template(
    sandbox: Sandbox,
) -> None:
    """Only XML needs a template; for JSON the case is "not run" for the schema's sake."""
    json_declared = replace(
        declared(sandbox, template=None),
        mime_type="application/json",
        schema={
            "type": "object",
            "required": ["a"],
            "properties": {"a": {"type": "string", "pattern": "^x$"}},
        },
    )
    with pytest.raises(CannotBuild) as missing:
        build("valid", json_declared)
    assert missing.value.missing == "schema"
