"""The conformance run for a Leistung with an XML (XSD) schema, against the sandbox.

The sandbox's simulated Fachverfahren validates XML Fachdaten against the XSD it ships for
the demo's XÖV schema (``fitconnect/sandbox_schemas``): the provider's template is
accepted, text that is not XML is rejected as a syntax problem of the data, XML that
breaks the XSD as a schema problem. Without a template the cases are "not run", not failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from django.utils import translation

from fitconnect import demo
from fitconnect.checks.base import ExpectedService
from fitconnect.conformance import DEFECT_CASES, Conformance, valid_case
from fitconnect.constants import EVENT_PROBLEMS
from fitconnect.messages import render
from fitconnect.sandbox import Sandbox
from tests.fitconnect.test_checks import CREDENTIALS, EXPECTED, faulty, target

XML_DESTINATION = "5c0e6a3b-8f1d-4e2a-9b7c-1d2e3f4a5b6c"
XML_SERVICE = {
    "key": "99107009017000",
    "name": "Grundsicherung im Alter und bei Erwerbsminderung Bewilligung",
    "schema_uri": demo.XOEV_SCHEMA_URI,
    "mime_type": "application/xml",
}
VALID = valid_case(XML_SERVICE["key"])
CASE_ORDER = (VALID, *DEFECT_CASES)
TEMPLATE = demo.XML_SAMPLES[demo.XOEV_SCHEMA_URI].read_bytes()
EXPECTED_XML = replace(
    EXPECTED,
    destination_id=XML_DESTINATION,
    services=(
        ExpectedService(
            key=XML_SERVICE["key"],
            name=XML_SERVICE["name"],
            schema_uri=XML_SERVICE["schema_uri"],
            mime_type=XML_SERVICE["mime_type"],
            regions=tuple(demo.REGIONS),
            reply_channels={},
        ),
    ),
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def xml_sandbox(sandbox: Sandbox) -> Sandbox:
    """The sandbox with a simulated destination whose one Leistung has the XÖV schema."""
    keys = sandbox.keys
    sandbox.add_destination(
        destination_id=XML_DESTINATION,
        services=[XML_SERVICE],
        regions=demo.REGIONS,
        encryption_key=keys["encryption"].public,
        signature_key=keys["signature"].public,
        encryption_private_key=keys["encryption"].private,
        signature_private_key=keys["signature"].private,
    )
    return sandbox


def run(sandbox: Sandbox, templates: dict[str, bytes], fault: str | None = None) -> dict[str, Any]:
    where = faulty(sandbox, fault, "submission_base") if fault else target(sandbox.base)
    runner = Conformance(where, EXPECTED_XML, CREDENTIALS, templates=templates)
    return {s["case"]: s for s in runner.run(answer_timeout=30, poll_interval=0.1)}


def test_with_the_template_every_case_passes_and_the_xml_cases_are_judged(
    xml_sandbox: Sandbox,
) -> None:
    results = run(xml_sandbox, {demo.XOEV_SCHEMA_URI: TEMPLATE})
    assert {c: r["verdict"] for c, r in results.items()} == dict.fromkeys(CASE_ORDER, "passed"), {
        case: render(r["message"]) for case, r in results.items()
    }
    # the valid template was accepted; broken XML and XML breaking the XSD were rejected
    # for the data, with the problem FITKO's prefix names
    assert results[VALID]["problems"] == []
    syntax = results["unparseable_data"]["problems"]
    assert [(p["type"], p["instance"]) for p in syntax] == [
        (EVENT_PROBLEMS + "syntax-violation", "data")
    ]
    schema = results["schema_invalid_data"]["problems"]
    assert [(p["type"], p["instance"]) for p in schema] == [
        (EVENT_PROBLEMS + "schema-violation", "data")
    ]


def test_a_lax_schema_fachverfahren_fails_the_xml_data_cases(xml_sandbox: Sandbox) -> None:
    results = run(xml_sandbox, {demo.XOEV_SCHEMA_URI: TEMPLATE}, fault="lax-schema")
    failed = {case for case, r in results.items() if r["verdict"] == "failed"}
    assert failed == {"unlisted_schema", "schema_invalid_data", "unparseable_data"}


def test_without_a_template_the_cases_are_not_run_and_say_where_to_upload_it(
    xml_sandbox: Sandbox,
) -> None:
    results = run(xml_sandbox, {})
    assert {r["verdict"] for r in results.values()} == {"skipped"}
    assert not any(r.get("submission_id") for r in results.values())  # nothing was sent
    message = render(results[VALID]["message"])
    assert message.startswith("Not run: template missing.")
    assert XML_SERVICE["name"] in message
    assert "Upload an XML template" in message
    with translation.override("de"):
        german = render(results[VALID]["message"])
    assert german.startswith("Nicht ausgeführt: Vorlage fehlt."), german
    assert "„XML-Vorlage hochladen“" in german, german


def test_the_run_takes_the_first_leistung_it_can_build_a_battery_for(
    xml_sandbox: Sandbox,
) -> None:
    json_service = next(iter(EXPECTED.services))
    expected = replace(EXPECTED_XML, services=(*EXPECTED_XML.services, json_service))
    without = Conformance(target(xml_sandbox.base), expected, CREDENTIALS)
    with without.ctx.session():
        assert without.declared().service_name == json_service.name
    templates = {demo.XOEV_SCHEMA_URI: TEMPLATE}
    with_template = Conformance(
        target(xml_sandbox.base), expected, CREDENTIALS, templates=templates
    )
    with with_template.ctx.session():
        assert with_template.declared().service_name == XML_SERVICE["name"]
