"""The sandbox's simulated Fachverfahren checks a submission as FITKO requires of a receiver."""

from __future__ import annotations

import json

from fitconnect import crypto, demo
from fitconnect.constants import EVENT_PROBLEMS
from fitconnect.sandbox import Sandbox
from fitconnect.sandbox.fachverfahren import review
from fitconnect.sandbox.state import State, Submission

LEIKA = "urn:de:fim:leika:leistung:" + demo.SERVICES[0]["key"]


def submission(sandbox: Sandbox, metadata: bytes, **extra: object) -> Submission:
    key = sandbox.keys["encryption"].public
    data = b'{"betrieb": "Musterbaeckerei"}'
    extra.setdefault("announced", [])
    return Submission(
        submission_id="s",
        case_id="c",
        destination_id=demo.DESTINATION_ID,
        sender="sender",
        service_type={"name": "Gewerbe anmelden", "identifier": LEIKA},
        encrypted_metadata=crypto.encrypt_jwe(metadata, key),
        encrypted_data=crypto.encrypt_jwe(data, key),
        **extra,  # type: ignore[arg-type]
    )


def problems(sandbox: Sandbox, sub: Submission) -> list[tuple[str, str]]:
    # A state of its own, with the session sandbox's keys (read from its state file).
    state = State(state_file=sandbox.state_file, fault=None, process_delay=0)
    destination = state.destination(demo.DESTINATION_ID)
    assert destination is not None
    found, _tags = review(sub, destination)
    return [(p["type"].removeprefix(EVENT_PROBLEMS), p["instance"]) for p in found]


def test_metadata_that_are_not_json_are_a_metadata_problem_not_encryption(
    sandbox: Sandbox,
) -> None:
    assert problems(sandbox, submission(sandbox, b"kein JSON")) == [
        ("syntax-violation", "metadata")
    ]


def test_an_attachment_missing_from_the_metadata_is_rejected(sandbox: Sandbox) -> None:
    data = b'{"betrieb": "Musterbaeckerei"}'
    metadata = {
        "$schema": "https://schema.fitko.de/fit-connect/metadata/1.2.0/metadata.schema.json",
        "contentStructure": {
            "data": {
                "hash": {"type": "sha512", "content": crypto.sha512_hex(data)},
                "submissionSchema": {
                    "schemaUri": demo.SERVICES[0]["schema_uri"],
                    "mimeType": "application/json",
                },
            },
            "attachments": [],
        },
    }
    key = sandbox.keys["encryption"].public
    sub = submission(
        sandbox,
        json.dumps(metadata).encode(),
        announced=["a1"],
        attachments={"a1": crypto.encrypt_jwe(b"Anlage", key)},
    )
    assert problems(sandbox, sub) == [("attachments-mismatch", "attachment:a1")]
