"""What the production watch needs from the sandbox: waiting submissions with an age, a
Zustellpunkt set inactive, a key whose certificate expires in N days, and the watch demo's
three Zustellpunkte (green, amber, red)."""

from __future__ import annotations

import time
import uuid

from fitconnect import crypto, demo

from .events import record_service_event
from .keys import KeyPair
from .state import SUBMITTED, Case, State, Submission

DAY = 86400.0


def add_waiting_submission(state: State, destination_id: str, age_days: float) -> str:
    """Add a submission submitted ``age_days`` ago and not picked up; return its id.

    Its case's event log holds the Zustelldienst's ``submit-submission`` event with that
    time, from which the watch reads the age. It has no content.
    """
    destination = state.destination(destination_id)
    if destination is None:
        raise KeyError(destination_id)
    service = destination.services[0]
    submission = Submission(
        submission_id=str(uuid.uuid4()),
        case_id=str(uuid.uuid4()),
        destination_id=destination_id,
        sender=demo.SENDER_CLIENT_ID,
        service_type={"name": service.name, "identifier": service.identifier},
        announced=[],
        status=SUBMITTED,
    )
    case = Case(submission.case_id, destination_id, [submission.submission_id])
    with state.lock:
        state.submissions[submission.submission_id] = submission
        state.cases[case.case_id] = case
        record_service_event(
            state, case, submission, "submit-submission", {}, at=time.time() - age_days * DAY
        )
    return submission.submission_id


def set_status(state: State, destination_id: str, status: str) -> None:
    """Set a Zustellpunkt's status, e.g. ``inactive`` (FIT-Connect: created, active, …)."""
    destination = state.destination(destination_id)
    if destination is None:
        raise KeyError(destination_id)
    with state.lock:
        destination.status = status


def expiring(pair: KeyPair, days: int, *, kid: str | None = None) -> KeyPair:
    """Return the key pair with a self-signed certificate that expires in ``days`` days."""
    purpose: crypto.Purpose = (
        "encryption" if "wrapKey" in pair.public.get("key_ops", []) else ("signature")
    )
    public, private = dict(pair.public), dict(pair.private)
    if kid:
        public["kid"] = private["kid"] = kid
    return KeyPair(*crypto.reissue_certificate(public, private, purpose, days=days))


def add_watch_demo(state: State) -> None:
    """Add the watch demo's Zustellpunkte and their subscriber client (call under no lock)."""
    keys = state.keys
    encryption, signature = keys["encryption"], keys["signature"]
    for name, destination_id in demo.WATCH_DESTINATIONS.items():
        enc = encryption
        if name == "amber":
            enc = expiring(encryption, demo.WATCH_EXPIRY_DAYS)
        state.add_destination(
            destination_id=destination_id,
            name=f"Stadt Musterstadt - Bewohnerparken {name} (Sandbox)",
            services=[demo.WATCH_SERVICE],
            regions=demo.REGIONS,
            encryption_key=enc.public,
            signature_key=signature.public,
        )
    state.add_client(
        demo.WATCH_SUBSCRIBER_CLIENT_ID,
        demo.WATCH_SUBSCRIBER_CLIENT_SECRET,
        role="subscriber",
        destinations=list(demo.WATCH_DESTINATIONS.values()),
    )
    add_waiting_submission(state, demo.WATCH_DESTINATIONS["red"], demo.WATCH_WAITING_DAYS)
