"""The demo destination the local sandbox serves and ``seed_demo`` records.

Shared by the sandbox (``fitconnect/sandbox/``) and the demo data, so that "Verbindung prüfen"
against the sandbox passes out of the box for ``musterstadt-gewerbe``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SANDBOX_PORT = 8765
SANDBOX_HOST = "127.0.0.1"

SUBSCRIBER_CLIENT_ID = "sandbox-subscriber-musterstadt"
SUBSCRIBER_CLIENT_SECRET = "sandbox-subscriber-secret-not-for-production"  # noqa: S105
SENDER_CLIENT_ID = "sandbox-sender-onlinedienst"
SENDER_CLIENT_SECRET = "sandbox-sender-secret-not-for-production"  # noqa: S105
CALLBACK_SECRET = "sandbox-callback-secret-not-for-production"  # noqa: S105

DESTINATION_ID = "7d5b4a4e-2b8c-4f7e-9d1a-5c3e8f6a1b20"
ENCRYPTION_KID = "sandbox-musterstadt-enc-1"
SIGNATURE_KID = "sandbox-musterstadt-sig-1"
METADATA_VERSIONS = ["1.2.0", "1.3.0", "1.5.0"]
REGIONS = ["064350014014"]

# The services of the demo destination, exactly as musterstadt-gewerbe records them. The key
# and its name are real: "Gewerbe anmelden" in the Bundesportal's Leistungsverzeichnis,
# https://verwaltung.bund.de/leistungsverzeichnis/de/leistung/99050012104000 (also
# checklist/data/leika.csv). The schema URI is the older FIM form from public samples.
SERVICES: list[dict[str, Any]] = [
    {
        "key": "99050012104000",
        "name": "Gewerbe anmelden",
        "schema_uri": "https://schema.fitko.de/fim/s00000092_1.0.schema.json",
        "mime_type": "application/json",
        "reply_channels": {"eMail": {"usePgp": True}, "elster": {}},
    },
]


# The JSON Schema the sandbox's simulated Fachverfahren validates the demo's Fachdaten against,
# and from which the conformance run generates its documents. A small stand-in: FITKO's FIM
# schema s00000092 itself is not bundled. Nothing at the top is required, so that the test
# submission of "Verbindung prüfen" (fitconnect/checks/submission.py) stays valid.
SCHEMAS: dict[str, dict[str, Any]] = {
    SERVICES[0]["schema_uri"]: {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Gewerbeanmeldung (Sandbox)",
        "type": "object",
        "properties": {
            "betrieb": {"type": "string", "minLength": 1},
            "taetigkeit": {"type": "string", "minLength": 1},
            "beginn": {"type": "string", "format": "date"},
            "testeinreichung": {"type": "boolean"},
        },
    }
}


# The XSDs the sandbox's simulated Fachverfahren validates XML Fachdaten against, by schema
# URI; for any other XSD it checks only that the data is well-formed XML. The one here is a
# small stand-in for the demo's XÖV schema (checklist/demo.py GRUNDSICHERUNG), with a valid
# sample document (what a provider uploads as the Leistung's XML template).
SANDBOX_SCHEMAS = Path(__file__).with_name("sandbox_schemas")
XOEV_SCHEMA_URI = "urn:xoev-de:d-nrw:standard:xsozialbasis_2.5.0"
XSD_SCHEMAS: dict[str, Path] = {XOEV_SCHEMA_URI: SANDBOX_SCHEMAS / "xsozialbasis_2.5.0.xsd"}
XML_SAMPLES: dict[str, Path] = {XOEV_SCHEMA_URI: SANDBOX_SCHEMAS / "xsozialbasis_2.5.0.sample.xml"}


def sandbox_urls(base: str) -> dict[str, str]:
    """Return the environment URLs of a sandbox running at ``base``."""
    base = base.rstrip("/")
    submission = base + "/submission-api"
    return {
        "token_url": base + "/token",
        "submission_base": submission,
        "routing_base": base + "/routing-api",
        "ssp_jwks_url": base + "/ssp/.well-known/jwks.json",
        "jwks_url": submission + "/.well-known/jwks.json",
        "callback_url": base + "/fachverfahren/callback",
    }


# The production watch's demo (``watch.demo``): three Zustellpunkte of the sandbox, one in
# order, one whose key's certificate expires in 20 days, one with a submission waiting for
# pickup for 10 days. Their own subscriber client, so that the demo destination's list of
# submissions stays as it was.
WATCH_SUBSCRIBER_CLIENT_ID = "sandbox-subscriber-watch"
WATCH_SUBSCRIBER_CLIENT_SECRET = "sandbox-watch-secret-not-for-production"  # noqa: S105
WATCH_SERVICE: dict[str, Any] = {
    # "Parkausweis für Bewohner beantragen" (checklist/data/leika.csv)
    "key": "99108001001000",
    "name": "Parkausweis für Bewohner beantragen",
    "schema_uri": "https://schema.fitko.de/fim/s00000114_1.1.schema.json",
    "mime_type": "application/json",
    "reply_channels": {"eMail": {"usePgp": True}},
}
WATCH_DESTINATIONS = {
    "green": "0b7e2f4a-6c1d-4e8b-9a3f-1d2c3b4a5e60",
    "amber": "1c8f3a5b-7d2e-4f9c-8b4a-2e3d4c5b6f71",
    "red": "2d9a4b6c-8e3f-4a0d-9c5b-3f4e5d6c7a82",
}
WATCH_EXPIRY_DAYS = 20
WATCH_WAITING_DAYS = 10
