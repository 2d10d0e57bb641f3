"""The event log of a case: SETs of the Zustelldienst and of the subscriber.

The Zustelldienst writes ``create-submission`` and ``submit-submission`` (signed with its own
key, verifiable through ``/submission-api/.well-known/jwks.json``); the subscriber (or the
simulated Fachverfahren) writes ``accept-submission`` or ``reject-submission``, signed with
the destination's signature key, once per submission.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from fitconnect import crypto

from . import callbacks
from .keys import sign
from .state import SUBMITTED, Case, Event, State, Submission
from .web import urls

# The subscriber's events; any other a subscriber may not write.
SUBSCRIBER_EVENTS = ("accept-submission", "reject-submission")


@dataclass(frozen=True)
class Refusal:
    """Why a subscriber's SET is not recorded: 409 for a wrong state, 422 for a bad SET."""

    status: int
    detail: str


def last_segment(token: str) -> str:
    """Return the last part of a compact JWE: its authentication tag."""
    return token.rsplit(".", 1)[-1]


def record_service_event(
    state: State,
    case: Case,
    submission: Submission,
    event: str,
    details: dict[str, Any],
    *,
    at: float | None = None,
) -> None:
    """Append a SET of the Zustelldienst to the case's event log (call under the lock);
    ``at`` backdates it (the watch's waiting submissions)."""
    payload = crypto.make_set(
        issuer=urls(state.base)["submission_base"],
        submission_id=submission.submission_id,
        case_id=submission.case_id,
        event=event,
        details=details,
    )
    if at is not None:
        payload["iat"] = int(at)
    token = sign(payload, state.keys["zustelldienst"].private, typ=crypto.SET_TYPE)
    case.events.append(Event(token, payload))


def record_subscriber_event(state: State, submission: Submission, token: str) -> Refusal | None:
    """Verify a subscriber's SET and add it to the event log; return why not, or None."""
    with state.lock:
        destination = state.destinations.get(submission.destination_id)
        case = state.cases.get(submission.case_id)
    if destination is None or case is None:
        return Refusal(422, "Der Zustellpunkt existiert nicht mehr.")
    try:
        payload = crypto.verify_set(
            token,
            [destination.signature_key],
            submission_id=submission.submission_id,
            case_id=submission.case_id,
        )
    except crypto.CryptoError as error:
        return Refusal(422, str(error))
    if payload.get("iss") != destination.destination_id:
        return Refusal(422, "iss muss die destinationId des Zustellpunkts sein.")
    event = crypto.event_name(payload)
    if event not in SUBSCRIBER_EVENTS:
        return Refusal(422, f"Das Ereignis {event} darf ein Subscriber nicht schreiben.")
    with state.lock:
        if submission.status != SUBMITTED:
            detail = f"Die Einreichung ist nicht mehr offen (Status {submission.status})."
            return Refusal(409, detail)
        case.events.append(Event(token, payload))
        submission.status = "accepted" if event == "accept-submission" else "rejected"
    callbacks.new_events(submission)
    return None


def resign_weakly(state: State, events: list[Event]) -> list[str]:
    """Return the events signed with a foreign key under their own kid (the bad-set fault)."""
    weak = state.weak.private
    return [
        sign(e.payload, {**weak, "kid": _header(e.token).get("kid")}, typ=crypto.SET_TYPE)
        for e in events
    ]


def _segment(encoded: str) -> dict[str, Any]:
    """Return one base64url part of a compact JOSE token as JSON, or an empty dict."""
    try:
        data = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _header(token: str) -> dict[str, Any]:
    return _segment(token.split(".")[0])


def jwe_header(token: str) -> dict[str, Any]:
    """Return the protected header of a compact JWE (or JWS), or an empty dict."""
    return _header(token)


def jws_payload(token: str) -> dict[str, Any]:
    """Return the unverified payload of a compact JWS, or an empty dict."""
    parts = token.split(".")
    return _segment(parts[1]) if len(parts) == 3 else {}
