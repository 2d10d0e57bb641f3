"""6. Test submission: send one, then wait until the Fachverfahren accepts or rejects it."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from fitconnect import crypto
from fitconnect.checks.base import Check, ExpectedService, Failed, Outcome, RunContext
from fitconnect.checks.fixes import RECEIVING, SET_CREATION, Fix, fix
from fitconnect.constants import METADATA_SCHEMA, service_identifier
from fitconnect.i18n import gettext as _
from fitconnect.i18n import gettext_lazy


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
        json_body={
            "destinationId": ctx.expected.destination_id,
            "announcedAttachments": [],
            "serviceType": {
                "name": service.name,
                "identifier": service_identifier(service.key),
            },
        },
        expect=(200, 201),
    ).json_object(_("The response to creating the submission"))
    submission_id, case_id = str(created.get("submissionId", "")), str(created.get("caseId", ""))
    if not submission_id or not case_id:
        raise Failed(
            _("The response to creating the submission contains no submissionId or caseId.")
        )
    data = json.dumps(
        {
            "testeinreichung": True,
            "hinweis": "Testeinreichung des FIT-Connect Anbindungsportals",
            "leistung": service.key,
            "erstellt": ctx.clock().isoformat(),
            "id": str(uuid.uuid4()),
        },
        ensure_ascii=False,
    ).encode()
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
    ctx.http.request(
        "PUT",
        ctx.target.api(f"/submissions/{submission_id}"),
        headers=auth,
        json_body={
            "encryptedMetadata": crypto.encrypt_jwe(json.dumps(metadata).encode(), encryption_key),
            "encryptedData": crypto.encrypt_jwe(
                data, encryption_key, content_type=service.mime_type
            ),
        },
        expect=(200, 202, 204),
    )
    return submission_id, case_id


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
        ).json_object(_("The event log"))
        entries = log.get("eventLog")
        if not isinstance(entries, list):
            raise Failed(
                _(
                    "The response does not have the expected structure: the event log "
                    "contains no list eventLog."
                ),
                evidence=evidence,
            )
        events = []
        for token in entries:
            if not isinstance(token, str):
                raise Failed(_("An entry in the event log is not a SET."), evidence=evidence)
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
            raise Failed(
                _(
                    "The Fachverfahren did not accept or reject the test submission within "
                    "%(seconds)g s. Does it fetch submissions?"
                )
                % {"seconds": ctx.submission_timeout},
                evidence=(evidence | {"events": events}),
            )
        time.sleep(ctx.poll_interval)


def run(ctx: RunContext) -> Outcome:
    if not ctx.target.test_submission_allowed:
        raise Failed(
            _("In the production environment the portal sends no test submissions."),
            status="skipped",
        )
    if not ctx.expected.services:
        raise Failed(
            _("No service is recorded for which a submission could be made."),
            status="skipped",
        )
    started = time.monotonic()
    sender_token, _evidence = ctx.token(
        ctx.credentials.sender_id,
        ctx.credentials.sender_secret,
        _("Sender client (online service)"),
    )
    destination, _evidence = ctx.destination()
    encryption_kid = str(destination.get("encryptionKid") or ctx.expected.encryption_kid)
    encryption_key, _evidence = ctx.key(encryption_kid)
    service = ctx.expected.services[0]
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
        return Outcome(
            "failed",
            _("The Fachverfahren rejected the test submission (reject-submission)."),
            evidence,
            fixes=[
                fix(
                    _(
                        "Find out in the log of the Fachverfahren why it rejected the test "
                        "submission; it must accept submissions of the recorded services."
                    ),
                    RECEIVING,
                )
            ],
        )
    return Outcome(
        "ok",
        _("Test submission received, decrypted and accepted (%(seconds)s s).")
        % {"seconds": evidence["duration_s"]},
        evidence,
    )


def fixes(ctx: RunContext, outcome: Outcome) -> list[Fix]:
    return [
        fix(
            _(
                "Make sure the Fachverfahren fetches new submissions, decrypts them and confirms "
                "them with accept-submission."
            ),
            RECEIVING,
        ),
        fix(
            _("Sign the confirmation (a SET) with the signature key of the destination."),
            SET_CREATION,
        ),
    ]


CHECK = Check(
    "submission", gettext_lazy("Test submission"), run, fixes=fixes, waits_for_submission=True
)
