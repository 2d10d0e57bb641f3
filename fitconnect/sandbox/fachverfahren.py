"""The simulated Fachverfahren: it processes submissions and receives callbacks.

For each submission to a destination whose private keys the sandbox holds, a background
thread waits ``process_delay`` seconds, decrypts metadata, data and attachments, checks
them as FITKO requires of a Fachverfahren (hashes, the offered schema and metadata version,
the media type of the data and its JSON Schema or XSD, attachments against the metadata)
and writes
``accept-submission`` or ``reject-submission`` (with problems) into the event log.

Fachverfahren fault modes (``FACHVERFAHREN_FAULTS``), set per submission by the fault of the
request that created or submitted it, make it misbehave as a faulty receiver would:
``lax-hash`` ignores wrong hashes, ``lax-schema`` ignores the schema and media type of the
data, ``wrong-problem-type`` names its own problem types instead of FITKO's, ``silent``
never answers, ``reject-xml`` rejects every XML Fachdatensatz, valid or not (a Fachverfahren
that handles only one of the schemas its Zustellpunkt offers). ``POST
/fachverfahren/callback`` is its callback receiver: it checks the HMAC signature and keeps
the bodies of valid callbacks.
"""

from __future__ import annotations

import heapq
import hmac
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import jsonschema
from starlette.responses import Response
from starlette.routing import Route

from fitconnect import crypto, demo, xml_documents
from fitconnect.constants import CALLBACK_TYPE_NEW_SUBMISSIONS, EVENT_PROBLEMS

from .events import last_segment, record_subscriber_event
from .keys import decrypt, sign
from .state import SUBMITTED, Destination, State, Submission
from .web import Call, body_json, json_response, nested, problem, route

logger = logging.getLogger(__name__)

Problem = Callable[[str, str, str, str], None]
# The type prefix a misbehaving Fachverfahren uses instead of FITKO's (wrong-problem-type).
OWN_PROBLEMS = "https://fachverfahren.example/probleme/"


def run(state: State, stopping: threading.Event) -> None:
    """Process due submissions until ``stopping`` is set (the body of a thread)."""
    while not stopping.is_set():
        with state.lock:
            if not state.queue:
                state.wakeup.wait(timeout=0.5)
                continue
            due, _, submission_id = state.queue[0]
            wait = due - time.monotonic()
            if wait > 0:
                state.wakeup.wait(timeout=min(wait, 0.5))
                continue
            heapq.heappop(state.queue)
            submission = state.submissions.get(submission_id)
        if submission is not None:
            try:
                process(state, submission)
            except Exception:  # the simulation must survive any one submission
                logger.exception("The simulated Fachverfahren failed on a submission")


def process(state: State, submission: Submission) -> None:
    """Accept or reject one submission with a SET signed by its destination."""
    with state.lock:
        destination = state.destinations.get(submission.destination_id)
        if destination is None or not destination.simulated or submission.status != SUBMITTED:
            return
    if submission.fault == "silent":
        return  # a Fachverfahren that never answers
    problems, tags = review(submission, destination)
    details: dict[str, Any]
    if problems:
        event, details = "reject-submission", {"problems": problems}
    else:
        event, details = "accept-submission", {"authenticationTags": tags}
    payload = crypto.make_set(
        issuer=destination.destination_id,
        submission_id=submission.submission_id,
        case_id=submission.case_id,
        event=event,
        details=details,
    )
    assert destination.signature_private is not None  # noqa: S101 - simulated
    token = sign(payload, destination.signature_private, typ=crypto.SET_TYPE)
    refusal = record_subscriber_event(state, submission, token)
    if refusal is not None:
        logger.info("The simulated Fachverfahren could not record its event: %s", refusal.detail)


def review(
    submission: Submission, destination: Destination
) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """Decrypt and check a submission as a Fachverfahren would; return problems and tags."""
    assert destination.encryption_private is not None  # noqa: S101 - simulated
    private = destination.encryption_private
    problems: list[dict[str, str]] = []
    prefix = OWN_PROBLEMS if submission.fault == "wrong-problem-type" else EVENT_PROBLEMS
    lax_hash = submission.fault == "lax-hash"

    def problem(name: str, title: str, detail: str, instance: str) -> None:
        problems.append(
            {
                "type": prefix + name,
                "title": title,
                "detail": detail,
                "instance": instance,
            }
        )

    metadata_token = submission.encrypted_metadata or ""
    tags: dict[str, Any] = {"metadata": last_segment(metadata_token), "attachments": {}}
    try:
        plain = decrypt(metadata_token, private)
    except crypto.CryptoError:
        problem("encryption-issue", "Entschlüsselungsfehler", "Metadaten unlesbar.", "metadata")
        return problems, tags
    try:
        metadata = json.loads(plain)
    except ValueError:
        problem("syntax-violation", "Syntaxfehler", "Metadaten sind kein JSON.", "metadata")
        return problems, tags
    if not isinstance(metadata, dict):
        problem("syntax-violation", "Syntaxfehler", "Metadaten sind kein Objekt.", "metadata")
        return problems, tags
    version = re.search(r"/metadata/(\d+\.\d+\.\d+)/", str(metadata.get("$schema", "")))
    if version and version[1] not in destination.metadata_versions:
        detail = f"Metadatenversion {version[1]} wird nicht unterstützt."
        problem("unsupported-metadata-schema", "Metadatenschema", detail, "metadata")
    data_info = nested(metadata, "contentStructure", "data")
    if submission.encrypted_data is not None:
        tags["data"] = last_segment(submission.encrypted_data)
        try:
            data = decrypt(submission.encrypted_data, private)
        except crypto.CryptoError:
            problem("encryption-issue", "Entschlüsselungsfehler", "Fachdaten unlesbar.", "data")
        else:
            _review_data(submission, destination, data, data_info, problem)
    elif data_info is not None:
        problem("missing-data", "Fachdaten fehlen", "Metadaten nennen Fachdaten.", "data")
    for attachment_id, uploaded in submission.attachments.items():
        tags["attachments"][attachment_id] = last_segment(uploaded)
    described = nested(metadata, "contentStructure", "attachments")
    for item in described if isinstance(described, list) else []:
        attachment_id = str(nested(item, "attachmentId"))
        token = submission.attachments.get(attachment_id)
        instance = f"attachment:{attachment_id}"
        if token is None:
            problem("missing-attachment", "Anlage fehlt", "Anlage nicht hochgeladen.", instance)
            continue
        try:
            content = decrypt(token, private)
        except crypto.CryptoError:
            problem("encryption-issue", "Entschlüsselungsfehler", "Anlage unlesbar.", instance)
            continue
        if not lax_hash and not _hash_matches(nested(item, "hash"), content):
            problem("hash-mismatch", "Prüfsumme falsch", "Hash der Anlage falsch.", instance)
    named = (
        {str(nested(item, "attachmentId")) for item in described or []}
        if isinstance(described, list)
        else set()
    )
    for attachment_id in submission.attachments:
        if attachment_id not in named:
            detail = "Die Anlage ist in den Metadaten nicht beschrieben."
            instance = f"attachment:{attachment_id}"
            problem("attachments-mismatch", "Anlage unbekannt", detail, instance)
    if submission.reject:
        detail = "Fehlermodus reject: der Fachverfahren-Simulator lehnt ab."
        problem("technical-error", "Abgelehnt (Sandbox)", detail, "submission")
    return problems, tags


def _review_data(
    submission: Submission,
    destination: Destination,
    data: bytes,
    data_info: Any,
    problem: Problem,
) -> None:
    if submission.fault != "lax-hash" and not _hash_matches(nested(data_info, "hash"), data):
        detail = "contentStructure.data.hash passt nicht zu den Fachdaten (sha512)."
        problem("hash-mismatch", "Prüfsumme falsch", detail, "data")
    parsed = _parsed(data)
    if submission.fault != "lax-schema":
        _review_schema(submission, destination, data_info, data, parsed, problem)
    if isinstance(parsed, dict) and parsed.get("sandbox") == "reject":
        detail = 'Die Fachdaten enthalten {"sandbox": "reject"}.'
        problem("technical-error", "Abgelehnt (Sandbox)", detail, "data")


_UNPARSED = object()


def _parsed(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return _UNPARSED


def _review_schema(
    submission: Submission,
    destination: Destination,
    data_info: Any,
    data: bytes,
    parsed: Any,
    problem: Problem,
) -> None:
    """Check the data against the offered schema, its media type and its JSON Schema or
    XSD."""
    schema_uri = nested(data_info, "submissionSchema", "schemaUri")
    service = destination.service(str(submission.service_type.get("identifier")))
    offered = {s["schemaUri"]: s["mimeType"] for s in service.schemas} if service else {}
    if schema_uri not in offered:
        detail = f"Das Schema {schema_uri!r} bietet der Zustellpunkt für die Leistung nicht an."
        problem("unsupported-schema", "Schema nicht unterstützt", detail, "data")
        return
    if "json" not in offered[schema_uri]:
        if submission.fault == "reject-xml":
            detail = "Fehlermodus reject-xml: der Fachverfahren-Simulator verarbeitet kein XML."
            problem("technical-error", "Abgelehnt (Sandbox)", detail, "data")
            return
        _review_xml(str(schema_uri), data, problem)
        return
    if parsed is _UNPARSED:
        problem("syntax-violation", "Syntaxfehler", "Die Fachdaten sind kein JSON.", "data")
        return
    schema = demo.SCHEMAS.get(str(schema_uri))
    if schema is None:
        return
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(parsed)
    )
    if error is not None:
        detail = f"Die Fachdaten entsprechen nicht dem Schema: {error.message}"
        problem("schema-violation", "Schemafehler", detail, "data")


def _review_xml(schema_uri: str, data: bytes, problem: Problem) -> None:
    """Check XML data: well-formed, and valid against the XSD where the sandbox has it
    (``demo.XSD_SCHEMAS``); for any other XSD only well-formedness is checked."""
    try:
        xml_documents.parse(data)
    except xml_documents.NotXml:
        detail = "Die Fachdaten sind kein wohlgeformtes XML."
        problem("syntax-violation", "Syntaxfehler", detail, "data")
        return
    xsd = demo.XSD_SCHEMAS.get(schema_uri)
    if xsd is None:
        return
    error = xml_documents.xsd_error(data, xsd)
    if error is not None:
        detail = f"Die Fachdaten entsprechen nicht dem XSD: {error}"
        problem("schema-violation", "Schemafehler", detail, "data")


def _hash_matches(declared: Any, content: bytes) -> bool:
    return (
        isinstance(declared, dict)
        and declared.get("type") == "sha512"
        and isinstance(declared.get("content"), str)
        and hmac.compare_digest(declared["content"].lower(), crypto.sha512_hex(content))
    )


# --- callback receiver ------------------------------------------------------------------------


def routes(state: State) -> list[Route]:
    return [route("POST", "/fachverfahren/callback", lambda call: callback(state, call))]


def callback(state: State, call: Call) -> Response:
    """Receive a callback of the Zustelldienst, signed with the demo callback secret."""
    timestamp = call.headers.get("callback-timestamp", "")
    signature = call.headers.get("callback-authentication", "")
    if not timestamp or not signature:
        detail = "callback-authentication und callback-timestamp sind nötig."
        return problem(401, "callback-unauthenticated", "Callback abgelehnt", detail, call=call)
    if not timestamp.isdigit():
        detail = "callback-timestamp muss Unix-Sekunden enthalten."
        return problem(400, "invalid-request", "Ungültiger Callback", detail, call=call)
    if abs(time.time() - int(timestamp)) > crypto.CALLBACK_MAX_AGE:
        detail = "Der Zeitstempel ist älter als 5 Minuten (oder liegt in der Zukunft)."
        return problem(401, "callback-stale", "Callback abgelehnt", detail, call=call)
    if not crypto.verify_callback(demo.CALLBACK_SECRET, timestamp, signature, call.body):
        detail = "Die HMAC-SHA-512-Signatur stimmt nicht."
        return problem(401, "callback-unauthenticated", "Callback abgelehnt", detail, call=call)
    data = body_json(call)
    if isinstance(data, Response):
        return data
    kind = CALLBACK_TYPE_NEW_SUBMISSIONS
    if data.get("type") != kind or not isinstance(data.get("submissions", []), list):
        detail = f"type muss {kind} sein, submissions eine Liste."
        return problem(400, "invalid-request", "Ungültiger Callback", detail, call=call)
    with state.lock:
        state.callbacks.append(data)
    return json_response(200, {"ok": True})
