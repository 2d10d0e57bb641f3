"""6. Test submission: send one, then wait until the Fachverfahren accepts or rejects it.

Submission API v1 names the service ``serviceType``; v2 names it ``publicService`` and wants
``cty`` in the protected header of the metadata's and the data's JWE (docs/fitko-facts.md §2).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from fitconnect import crypto
from fitconnect.checks.base import (
    SENDER_CLIENT,
    Check,
    ExpectedService,
    Failed,
    Outcome,
    RunContext,
)
from fitconnect.checks.fixes import RECEIVING, SET_CREATION, Fix, fix
from fitconnect.constants import METADATA_SCHEMA, service_identifier
from fitconnect.i18n import gettext_lazy, gettext_noop
from fitconnect.messages import define

# The namespace of the XML test submission: the portal's own, no standard's.
TEST_NAMESPACE = "urn:anbindungsportal:testeinreichung"

CREATE_RESPONSE = define(
    "what.create_response", gettext_noop("The response to creating the submission")
)
NO_IDS = define(
    "submission.no_ids",
    gettext_noop("The response to creating the submission contains no submissionId or caseId."),
)
EVENT_LOG = define("what.event_log", gettext_noop("The event log"))
NO_EVENT_LOG = define(
    "submission.no_event_log",
    gettext_noop(
        "The response does not have the expected structure: the event log contains no list "
        "eventLog."
    ),
)
NOT_A_SET = define("submission.not_a_set", gettext_noop("An entry in the event log is not a SET."))
NO_ANSWER = define(
    "submission.no_answer",
    gettext_noop(
        "The Fachverfahren did not accept or reject the test submission within %(seconds)g s. "
        "Does it fetch submissions?"
    ),
)
NOT_IN_PRODUCTION = define(
    "submission.production",
    gettext_noop("In the production environment the portal sends no test submissions."),
)
NO_SERVICE = define(
    "submission.no_service",
    gettext_noop("No service is recorded for which a submission could be made."),
)
REJECTED = define(
    "submission.rejected",
    gettext_noop("The Fachverfahren rejected the test submission (reject-submission)."),
)
FIX_REJECTED = define(
    "submission.fix_rejected",
    gettext_noop(
        "Find out in the log of the Fachverfahren why it rejected the test submission; it must "
        "accept submissions of the recorded services."
    ),
)
OK = define(
    "submission.ok",
    gettext_noop("Test submission received, decrypted and accepted (%(seconds)s s)."),
)
FIX_FETCH = define(
    "submission.fix_fetch",
    gettext_noop(
        "Make sure the Fachverfahren fetches new submissions, decrypts them and confirms them "
        "with accept-submission."
    ),
)
FIX_SIGN = define(
    "submission.fix_sign",
    gettext_noop("Sign the confirmation (a SET) with the signature key of the destination."),
)


def _set_issuer(token: str) -> str:
    try:
        part = token.split(".")[1]
        return str(
            json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))).get("iss", "")
        )
    except (ValueError, IndexError, AttributeError):
        return ""


def _submit(
    ctx: RunContext,
    auth: dict[str, str],
    encryption_key: dict[str, Any],
    service: ExpectedService,
) -> tuple[str, str]:
    """Create and send an encrypted test submission; return its submission and case ID."""
    created = ctx.http.request(
        "POST",
        ctx.target.api("/submissions"),
        headers=auth,
        json_body=create_body(ctx, service),
        expect=(200, 201),
    ).json_object(CREATE_RESPONSE())
    submission_id, case_id = str(created.get("submissionId", "")), str(created.get("caseId", ""))
    if not submission_id or not case_id:
        raise Failed(NO_IDS(), conclusive=False)
    data = _test_data(ctx, service)
    version = max(
        ctx.expected.metadata_versions,
        default="1.2.0",
        key=lambda v: tuple(int(p) for p in v.split(".")),
    )
    metadata = {
        "$schema": METADATA_SCHEMA.format(version=version),
        "contentStructure": {
            "data": {
                "hash": {"type": "sha512", "content": crypto.sha512_hex(data)},
                "submissionSchema": {
                    "schemaUri": service.schema_uri,
                    "mimeType": service.mime_type,
                },
            },
            "attachments": [],
        },
    }
    # v2 refuses a JWE without cty (422); v1 never needed it on the metadata.
    metadata_type = "application/json" if ctx.target.api_version == "v2" else None
    ctx.http.request(
        "PUT",
        ctx.target.api(f"/submissions/{submission_id}"),
        headers=auth,
        json_body={
            "encryptedMetadata": crypto.encrypt_jwe(
                json.dumps(metadata).encode(), encryption_key, content_type=metadata_type
            ),
            "encryptedData": crypto.encrypt_jwe(
                data, encryption_key, content_type=service.mime_type
            ),
        },
        expect=(200, 202, 204),
    )
    return submission_id, case_id


def _test_data(ctx: RunContext, service: ExpectedService) -> bytes:
    """The Fachdaten of the test submission, in the service's media type (JSON or XML)."""
    values = {
        "testeinreichung": True,
        "hinweis": "Testeinreichung des FIT-Connect Anbindungsportals",
        "leistung": service.key,
        "erstellt": ctx.clock().isoformat(),
        "id": str(uuid.uuid4()),
    }
    if "json" in service.mime_type:
        return json.dumps(values, ensure_ascii=False).encode()
    fields = "".join(
        f"<{k}>{escape(str(v))}</{k}>" for k, v in values.items() if k != "testeinreichung"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<testeinreichung xmlns="{TEST_NAMESPACE}">{fields}</testeinreichung>'
    ).encode()


def service_for_test_submission(services: tuple[ExpectedService, ...]) -> ExpectedService:
    """The service the test submission is for: one with JSON Fachdaten where there is one
    (the portal knows no valid XML document of an XSD), else the first."""
    return next((s for s in services if "json" in s.mime_type), services[0])


def create_body(ctx: RunContext, service: ExpectedService) -> dict[str, Any]:
    """Return the body that creates a submission, as the environment's API version has it."""
    return {
        "destinationId": ctx.expected.destination_id,
        "announcedAttachments": [],
        ctx.target.service_field: {
            "name": service.name,
            "identifier": service_identifier(service.key),
        },
    }


def _events(
    ctx: RunContext, auth: dict[str, str], evidence: dict[str, Any], started: float
) -> list[dict[str, Any]]:
    """Poll the event log until the submission is accepted or rejected; return its events."""
    submission_id, case_id = evidence["submission_id"], evidence["case_id"]
    signature_key, _evidence = (
        ctx.key(ctx.expected.signature_kid) if ctx.expected.signature_kid else ({}, {})
    )
    delivery_service_keys, _evidence = ctx.delivery_service_jwks()
    deadline = started + ctx.submission_timeout
    while True:
        log = ctx.http.request(
            "GET", ctx.target.api(f"/cases/{case_id}/events"), headers=auth
        ).json_object(EVENT_LOG())
        entries = log.get("eventLog")
        if not isinstance(entries, list):
            raise Failed(NO_EVENT_LOG(), evidence=evidence, conclusive=False)
        events = []
        for token in entries:
            if not isinstance(token, str):
                raise Failed(NOT_A_SET(), evidence=evidence)
            issuer_is_destination = _set_issuer(token) == ctx.expected.destination_id
            keys = (
                [signature_key]
                if issuer_is_destination and signature_key
                else delivery_service_keys
            )
            payload = crypto.verify_set(token, keys, submission_id=submission_id, case_id=case_id)
            events.append(
                {
                    "event": crypto.event_name(payload),
                    "issued_at": datetime.fromtimestamp(
                        int(payload.get("iat", 0)), UTC
                    ).isoformat(),
                    "issuer": payload.get("iss"),
                }
            )
        names = [e["event"] for e in events]
        if "accept-submission" in names or "reject-submission" in names:
            return events
        if time.monotonic() + ctx.poll_interval > deadline:
            # No answer yet proves nothing: the Fachverfahren may only be down for a while.
            raise Failed(
                NO_ANSWER(seconds=ctx.submission_timeout),
                evidence=(evidence | {"events": events}),
                conclusive=False,
            )
        time.sleep(ctx.poll_interval)


def run(ctx: RunContext) -> Outcome:
    if not ctx.target.test_submission_allowed:
        raise Failed(NOT_IN_PRODUCTION(), status="skipped")
    if not ctx.expected.services:
        raise Failed(NO_SERVICE(), status="skipped")
    started = time.monotonic()
    sender_token, _evidence = ctx.token(
        ctx.credentials.sender_id, ctx.credentials.sender_secret, SENDER_CLIENT()
    )
    destination, _evidence = ctx.destination()
    encryption_kid = str(destination.get("encryptionKid") or ctx.expected.encryption_kid)
    encryption_key, _evidence = ctx.key(encryption_kid)
    service = service_for_test_submission(ctx.expected.services)
    auth = {"Authorization": f"Bearer {sender_token}"}
    submission_id, case_id = _submit(ctx, auth, encryption_key, service)
    evidence: dict[str, Any] = {
        "submission_id": submission_id,
        "case_id": case_id,
        "leistung": service.key,
    }
    events = _events(ctx, auth, evidence, started)
    evidence |= {"events": events, "duration_s": round(time.monotonic() - started, 1)}
    if "reject-submission" in [e["event"] for e in events]:
        return Outcome("failed", REJECTED(), evidence, fixes=[fix(FIX_REJECTED(), RECEIVING)])
    return Outcome("ok", OK(seconds=evidence["duration_s"]), evidence)


def fixes(ctx: RunContext, outcome: Outcome) -> list[Fix]:
    return [fix(FIX_FETCH(), RECEIVING), fix(FIX_SIGN(), SET_CREATION)]


CHECK = Check(
    "submission", gettext_lazy("Test submission"), run, fixes=fixes, waits_for_submission=True
)
