"""Callbacks of the sandbox's Zustelldienst, signed as FITKO specifies (docs/fitko-facts.md §7).

``NEW_SUBMISSIONS`` goes to the destination's callback URL when a submission is submitted,
``NEW_EVENTS`` to the callback a Sender registered with its submission (``callback`` of
CreateSubmission, spec 1.1.3) when the Fachverfahren writes an event. Both bodies follow the
spec's ``CallbackNewSubmissions`` / ``CallbackNewEvents``; the headers are
``callback-authentication`` (hex HMAC-SHA-512 over ``{timestamp}.{body}`` with the callback
secret) and ``callback-timestamp`` (Unix seconds). They are sent from a thread, so that no
request of the sandbox waits for a receiver; a callback that fails is logged and not retried
(FITKO publishes no retry policy). The sandbox is local: it also calls http:// and loopback
addresses, which a real Zustelldienst would not.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import httpx

from fitconnect import crypto
from fitconnect.constants import CALLBACK_TYPE_NEW_SUBMISSIONS

from .state import Submission

logger = logging.getLogger(__name__)

# spec 1.1.3, components.schemas.CallbackNewEvents
CALLBACK_TYPE_NEW_EVENTS = "https://schema.fitko.de/fit-connect/submission-api/callbacks/new-events"
TIMEOUT = 5.0


def body_of(kind: str, submission: Submission) -> bytes:
    """The callback's body for one submission."""
    return json.dumps(
        {
            "type": kind,
            "submissionIds": [submission.submission_id],  # deprecated, still in the spec
            "submissions": [submission.ids()],
        }
    ).encode()


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {
        "content-type": "application/json",
        "callback-authentication": crypto.callback_signature(secret, timestamp, body),
        "callback-timestamp": str(timestamp),
    }


def _post(url: str, body: bytes, headers: dict[str, str]) -> None:
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT)
        logger.info("callback %s → HTTP %s", url, response.status_code)
    except httpx.HTTPError as error:
        logger.warning("callback %s failed: %s", url, error)


def send(callback: dict[str, Any] | None, kind: str, submission: Submission) -> None:
    """Send a signed callback in the background, if a URL and a secret are registered."""
    url = str((callback or {}).get("url") or "")
    secret = str((callback or {}).get("secret") or "")
    if not url or not secret:
        return
    body = body_of(kind, submission)
    thread = threading.Thread(
        target=_post, args=(url, body, signed_headers(secret, body)), daemon=True
    )
    thread.start()


def new_submission(destination_callback: dict[str, Any] | None, submission: Submission) -> None:
    send(destination_callback, CALLBACK_TYPE_NEW_SUBMISSIONS, submission)


def new_events(submission: Submission) -> None:
    send(submission.callback, CALLBACK_TYPE_NEW_EVENTS, submission)
