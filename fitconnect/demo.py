"""The demo destination the local sandbox serves and ``seed_demo`` records.

Shared by the sandbox (``fitconnect.sandbox``) and the demo data, so that "Verbindung prüfen"
against the sandbox passes out of the box for ``musterstadt-gewerbe``.
"""

from __future__ import annotations

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

# The services of the demo destination, exactly as musterstadt-gewerbe records them.
SERVICES: list[dict[str, Any]] = [
    {
        "key": "99050035001000",
        "name": "Gewerbeanmeldung",
        "schema_uri": "https://schema.fitko.de/fim/s00000092_1.0.schema.json",
        "mime_type": "application/json",
        "reply_channels": {"eMail": {"usePgp": True}, "elster": {}},
    },
    {
        "key": "99050012104000",
        "name": "Gewerbeummeldung",
        "schema_uri": "https://schema.fitko.de/fim/s00000096_1.0.schema.json",
        "mime_type": "application/json",
        "reply_channels": {},
    },
]
