"""The battery checked from outside the code that built it: jwcrypto and jsonschema alone.

Each generated case is decrypted with the destination's private key straight through
jwcrypto (not ``fitconnect.crypto``), and its metadata, data and attachments are read as a
receiver would, to confirm that the case carries exactly its intended defect.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import jsonschema
import pytest
from jwcrypto import jwe, jwk

from fitconnect import demo
from fitconnect.conformance import CASE_ORDER, Declared, build
from fitconnect.sandbox import Sandbox


def declared(sandbox: Sandbox) -> Declared:
    service = demo.SERVICES[0]
    return Declared(
        destination_id=demo.DESTINATION_ID,
        encryption_key=sandbox.keys["encryption"].public,
        service_name=service["name"],
        service_identifier="urn:de:fim:leika:leistung:" + service["key"],
        schema_uri=service["schema_uri"],
        mime_type=service["mime_type"],
        metadata_versions=tuple(demo.METADATA_VERSIONS),
        schema=demo.SCHEMAS[service["schema_uri"]],
    )


def decrypt(token: str, private: dict[str, Any]) -> bytes | None:
    key = jwk.JWK(**{k: v for k, v in private.items() if k != "key_ops"})
    message = jwe.JWE()
    try:
        message.deserialize(token, key=key)
    except Exception:  # jwcrypto raises several types for a wrong key
        return None
    return bytes(message.payload)


def sha512(content: bytes) -> str:
    return hashlib.sha512(content).hexdigest()


def opened(sandbox: Sandbox, case: str) -> dict[str, Any]:
    """Build a case and open it as the Fachverfahren would."""
    built = build(case, declared(sandbox))
    private = sandbox.keys["encryption"].private
    metadata_plain = decrypt(built.encrypted_metadata, private)
    data = decrypt(built.encrypted_data or "", private)
    return {
        "built": built,
        "metadata": json.loads(metadata_plain) if metadata_plain is not None else None,
        "data": data,
        "attachments": {a: decrypt(t, private) for a, t in built.attachments.items()},
    }


def defects(sandbox: Sandbox, case: str) -> set[str]:
    """Return every defect an independent receiver finds in the case."""
    found: set[str] = set()
    parts = opened(sandbox, case)
    built, metadata, data = parts["built"], parts["metadata"], parts["data"]
    if built.destination_id != demo.DESTINATION_ID:
        found.add("unknown destination")
    if built.skip_upload:
        found.add("announced attachment not uploaded")
    if metadata is None or data is None:
        return found | {"not decryptable"}
    version = re.search(r"/metadata/(\d+\.\d+\.\d+)/", metadata["$schema"])
    assert version is not None
    if version[1] not in demo.METADATA_VERSIONS:
        found.add("unlisted metadata version")
    structure = metadata["contentStructure"]
    if structure["data"]["hash"]["content"] != sha512(data):
        found.add("data hash")
    schema_uri = structure["data"]["submissionSchema"]["schemaUri"]
    if schema_uri not in demo.SCHEMAS:
        found.add("unlisted schema")
    try:
        document = json.loads(data)
    except ValueError:
        found.add("not JSON")
    else:
        validator = jsonschema.Draft202012Validator(demo.SCHEMAS[demo.SERVICES[0]["schema_uri"]])
        if not validator.is_valid(document):
            found.add("invalid against the schema")
    uploaded = parts["attachments"]
    for item in structure["attachments"]:
        content = uploaded.get(item["attachmentId"])
        if item["attachmentId"] not in built.announced:
            found.add("named attachment not sent")
        elif content is not None and item["hash"]["content"] != sha512(content):
            found.add("attachment hash")
    return found


INTENDED = {
    "valid": set(),
    "data_hash": {"data hash"},
    "attachment_hash": {"attachment hash"},
    "unlisted_schema": {"unlisted schema"},
    "unlisted_metadata_version": {"unlisted metadata version"},
    "unsent_attachment": {"named attachment not sent"},
    "foreign_key": {"not decryptable"},
    "schema_invalid_data": {"invalid against the schema"},
    "unparseable_data": {"not JSON"},
    "unuploaded_attachment": {"announced attachment not uploaded"},
    "unknown_destination": {"unknown destination"},
}


@pytest.mark.parametrize("case", CASE_ORDER)
def test_each_case_carries_exactly_its_intended_defect(sandbox: Sandbox, case: str) -> None:
    assert defects(sandbox, case) == INTENDED[case]


def test_the_valid_case_decrypts_with_the_published_key_and_validates(sandbox: Sandbox) -> None:
    parts = opened(sandbox, "valid")
    assert parts["built"].announced == list(parts["attachments"])
    assert all(content is not None for content in parts["attachments"].values())
    jsonschema.validate(json.loads(parts["data"]), demo.SCHEMAS[demo.SERVICES[0]["schema_uri"]])
