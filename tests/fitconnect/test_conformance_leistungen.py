"""One valid case per Leistung and schema the Zustellpunkt offers, defect cases for one.

A Zustellpunkt of the sandbox offers two Leistungen: "Gewerbe anmelden" (FIM, JSON) and
"Grundsicherung …" (XÖV, XML). The run sends a valid submission for each and must find
both accepted with the tags of what was sent; a Fachverfahren that rejects XML fails exactly
the XML Leistung's valid case; a Leistung whose schema the Zustellpunkt does not offer is
"not run" with a sentence (the Fachverfahren was never asked, so it is not failed).
What the run uploaded is opened with jwcrypto alone (``test_conformance_battery.decrypt``).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import jsonschema
import pytest
from django.utils import translation
from lxml import etree

from fitconnect import demo
from fitconnect.checks.base import ExpectedService
from fitconnect.conformance import DEFECT_CASES, Conformance, valid_case
from fitconnect.messages import render
from fitconnect.sandbox import Sandbox
from tests.fitconnect.test_checks import CREDENTIALS, EXPECTED, faulty, target
from tests.fitconnect.test_conformance_battery import decrypt

JSON_SERVICE = {**demo.SERVICES[0], "schema_kind": "fim"}
XML_SERVICE = {
    "key": "99107009017000",
    "name": "Grundsicherung im Alter und bei Erwerbsminderung Bewilligung",
    "schema_uri": demo.XOEV_SCHEMA_URI,
    "mime_type": "application/xml",
    "schema_kind": "xoev",
}
# An ARS (Hamburg) the demo routes nowhere, so these Zustellpunkte change no routing.
ELSEWHERE = "020000000000"
VALID_JSON = valid_case(JSON_SERVICE["key"])
VALID_XML = valid_case(XML_SERVICE["key"])
TEMPLATES = {demo.XOEV_SCHEMA_URI: demo.XML_SAMPLES[demo.XOEV_SCHEMA_URI].read_bytes()}


def expected_service(service: dict[str, Any]) -> ExpectedService:
    return ExpectedService(
        key=service["key"],
        name=service["name"],
        schema_uri=service["schema_uri"],
        mime_type=service["mime_type"],
        regions=tuple(demo.REGIONS),
        reply_channels={},
        schema_kind=service["schema_kind"],
    )


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def zustellpunkt(sandbox: Sandbox, *offered: dict[str, Any]) -> str:
    """A new simulated Zustellpunkt offering the given Leistungen; return its ID."""
    keys = sandbox.keys
    destination_id = str(uuid.uuid4())
    sandbox.add_destination(
        destination_id=destination_id,
        services=[{k: v for k, v in s.items() if k != "schema_kind"} for s in offered],
        regions=[ELSEWHERE],  # routing tests share the sandbox: never the demo's regions
        encryption_key=keys["encryption"].public,
        signature_key=keys["signature"].public,
        encryption_private_key=keys["encryption"].private,
        signature_private_key=keys["signature"].private,
    )
    return destination_id


class Recording(httpx.HTTPTransport):
    """Keeps the body of every ``PUT …/submissions/{id}``: what the run really sent."""

    def __init__(self) -> None:
        super().__init__()
        self.submitted: dict[str, dict[str, Any]] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        found = re.search(r"/submissions/([0-9a-f-]{36})$", request.url.path)
        if request.method == "PUT" and found:
            self.submitted[found[1]] = json.loads(request.read())
        return super().handle_request(request)


def run(
    sandbox: Sandbox,
    destination_id: str,
    fault: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, Any]:
    """Run the battery for both Leistungen (JSON first) against the Zustellpunkt."""
    where = faulty(sandbox, fault, "submission_base") if fault else target(sandbox.base)
    expected = replace(
        EXPECTED,
        destination_id=destination_id,
        services=(expected_service(JSON_SERVICE), expected_service(XML_SERVICE)),
    )
    runner = Conformance(
        where,
        expected,
        CREDENTIALS,
        schemas=demo.SCHEMAS,
        templates=TEMPLATES,
        transport=transport,
    )
    assert runner.cases() == (VALID_JSON, VALID_XML, *DEFECT_CASES)
    return {s["case"]: s for s in runner.run(answer_timeout=30, poll_interval=0.1)}


def test_each_leistung_gets_a_valid_case_and_both_are_accepted_with_matching_tags(
    sandbox: Sandbox,
) -> None:
    results = run(sandbox, zustellpunkt(sandbox, JSON_SERVICE, XML_SERVICE))
    verdicts = {case: r["verdict"] for case, r in results.items()}
    assert verdicts == dict.fromkeys((VALID_JSON, VALID_XML, *DEFECT_CASES), "passed"), {
        case: render(r["message"]) for case, r in results.items()
    }
    for case in (VALID_JSON, VALID_XML):
        assert render(results[case]["received"]) == "accept-submission"
        assert render(results[case]["message"]) == (
            "Accepted, with the authentication tags of what was sent."
        )
    # Each row names its Leistung and schema in words; the JSON schema by its title.
    assert render(results[VALID_JSON]["sent"]) == (
        "a valid submission for the Leistung Gewerbe anmelden (99050012104000), "
        "schema FIM: Gewerbeanmeldung (Sandbox), JSON"
    )
    assert render(results[VALID_XML]["sent"]) == (
        "a valid submission for the Leistung Grundsicherung im Alter und bei "
        "Erwerbsminderung Bewilligung (99107009017000), schema XÖV: "
        "urn:xoev-de:d-nrw:standard:xsozialbasis_2.5.0, XML"
    )
    # The defect cases say which Leistung they were sent for: the first, JSON.
    assert render(results["data_hash"]["sent"]) == (
        "wrong hash of the data (Leistung Gewerbe anmelden, 99050012104000)"
    )
    with translation.override("de"):
        assert render(results[VALID_JSON]["sent"]).startswith(
            "eine gültige Einreichung für die Leistung Gewerbe anmelden (99050012104000), "
            "Schema FIM: "
        )


def test_a_fachverfahren_rejecting_xml_fails_exactly_the_xml_leistungs_valid_case(
    sandbox: Sandbox,
) -> None:
    results = run(sandbox, zustellpunkt(sandbox, JSON_SERVICE, XML_SERVICE), fault="reject-xml")
    failed = {case for case, r in results.items() if r["verdict"] == "failed"}
    assert failed == {VALID_XML}
    assert results[VALID_JSON]["verdict"] == "passed"
    message = render(results[VALID_XML]["message"])
    assert "rejected a valid submission" in message, message
    assert "technical-error" in message, message


def test_a_leistung_the_zustellpunkt_does_not_offer_is_not_run_and_says_why(
    sandbox: Sandbox,
) -> None:
    # The provider recorded the XML Leistung, but the Zustellpunkt offers only the JSON one.
    results = run(sandbox, zustellpunkt(sandbox, JSON_SERVICE))
    assert results[VALID_XML]["verdict"] == "skipped"
    assert "submission_id" not in results[VALID_XML]  # nothing was sent for it
    assert render(results[VALID_XML]["message"]) == (
        "Not run: the destination does not offer the schema XÖV: "
        "urn:xoev-de:d-nrw:standard:xsozialbasis_2.5.0, XML for the Leistung Grundsicherung "
        "im Alter und bei Erwerbsminderung Bewilligung (99107009017000), so no valid "
        "submission for it can be sent. Either the schema is recorded wrongly in step 1 or "
        "the destination's settings lack it; “Check the connection” compares the two."
    )
    others = {case: r["verdict"] for case, r in results.items() if case != VALID_XML}
    assert others == dict.fromkeys((VALID_JSON, *DEFECT_CASES), "passed")


def test_what_each_valid_case_sent_is_valid_for_its_schema_read_with_jwcrypto_alone(
    sandbox: Sandbox,
) -> None:
    recording = Recording()
    results = run(sandbox, zustellpunkt(sandbox, JSON_SERVICE, XML_SERVICE), transport=recording)
    private = sandbox.keys["encryption"].private
    xsd = etree.XMLSchema(etree.parse(str(demo.XSD_SCHEMAS[demo.XOEV_SCHEMA_URI])))
    for case, service in ((VALID_JSON, JSON_SERVICE), (VALID_XML, XML_SERVICE)):
        sent = recording.submitted[results[case]["submission_id"]]
        metadata = json.loads(decrypt(sent["encryptedMetadata"], private) or b"null")
        data = decrypt(sent["encryptedData"], private)
        assert data is not None
        described = metadata["contentStructure"]["data"]
        assert described["submissionSchema"] == {
            "schemaUri": service["schema_uri"],
            "mimeType": service["mime_type"],
        }
        assert described["hash"]["content"] == hashlib.sha512(data).hexdigest()
        if service is JSON_SERVICE:
            jsonschema.validate(json.loads(data), demo.SCHEMAS[service["schema_uri"]])
        else:
            assert xsd.validate(etree.fromstring(data)), xsd.error_log
        # the tags the run expects are the last segments of what it sent
        assert results[case]["tags"]["data"] == sent["encryptedData"].rsplit(".", 1)[1]
        assert results[case]["tags"]["metadata"] == sent["encryptedMetadata"].rsplit(".", 1)[1]
