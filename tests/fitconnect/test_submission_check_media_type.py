"""The connection check's test submission is Fachdaten of the service's media type.

Since the sandbox's Fachverfahren validates XML data, a test submission that sent JSON
under an XML service was rejected: the check now prefers a JSON service, and for an XML
one sends well-formed XML.
"""

from __future__ import annotations

from dataclasses import replace

from fitconnect import demo
from fitconnect.checks.base import Expected, ExpectedService
from fitconnect.sandbox import Sandbox
from tests.fitconnect.test_checks import CREDENTIALS, EXPECTED, verify

DESTINATION = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
SUBSCRIBER = ("media-subscriber", "media-subscriber-secret")
XML_SERVICE = {
    "key": "99107009017000",
    "name": "Grundsicherung im Alter und bei Erwerbsminderung Bewilligung",
    "schema_uri": demo.XOEV_SCHEMA_URI,
    "mime_type": "application/xml",
}
OTHER_XSD = {**XML_SERVICE, "schema_uri": "urn:xoev-de:bmk:standard:xbau_2.4"}


def _expected(services: list[dict[str, str]]) -> Expected:
    return replace(
        EXPECTED,
        destination_id=DESTINATION,
        services=tuple(
            ExpectedService(
                key=s["key"],
                name=s["name"],
                schema_uri=s["schema_uri"],
                mime_type=s["mime_type"],
                regions=tuple(demo.REGIONS),
                reply_channels={},
            )
            for s in services
        ),
    )


def _submission_status(sandbox: Sandbox, services: list[dict[str, str]]) -> str:
    keys = sandbox.keys
    sandbox.add_destination(
        destination_id=DESTINATION,
        services=[{**s, "reply_channels": {}} for s in services],
        regions=demo.REGIONS,
        encryption_key=keys["encryption"].public,
        signature_key=keys["signature"].public,
        encryption_private_key=keys["encryption"].private,
        signature_private_key=keys["signature"].private,
    )
    sandbox.add_client(*SUBSCRIBER, role="subscriber", destinations=(DESTINATION,))
    credentials = replace(CREDENTIALS, subscriber_id=SUBSCRIBER[0], subscriber_secret=SUBSCRIBER[1])
    expected = _expected(services)
    check = verify(sandbox, expected=expected, credentials=credentials)
    return check.run_check("submission").status


def test_with_an_xml_service_first_the_test_submission_goes_to_the_json_one(
    sandbox: Sandbox,
) -> None:
    assert _submission_status(sandbox, [XML_SERVICE, dict(demo.SERVICES[0])]) == "ok"


def test_an_xml_only_destination_gets_well_formed_xml(sandbox: Sandbox) -> None:
    # An XSD the sandbox does not have: it checks only that the data is well-formed XML.
    assert _submission_status(sandbox, [OTHER_XSD]) == "ok"
