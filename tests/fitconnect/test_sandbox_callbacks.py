"""The sandbox's Zustelldienst calls back as FITKO specifies (docs/fitko-facts.md §7):
NEW_SUBMISSIONS to the destination's callback URL, NEW_EVENTS to the Sender's, each signed
with HMAC-SHA-512 over "{timestamp}.{body}" in callback-authentication."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from fitconnect import crypto, demo
from fitconnect.conformance import Conformance
from fitconnect.constants import CALLBACK_TYPE_NEW_SUBMISSIONS
from fitconnect.sandbox import Sandbox
from fitconnect.sandbox.callbacks import CALLBACK_TYPE_NEW_EVENTS
from tests.fitconnect.test_checks import CREDENTIALS, EXPECTED, target

DESTINATION_SECRET = "zustellpunkt-callback-secret"
SENDER_SECRET = "sender-callback-secret"


class Receiver:
    """A callback receiver on a free loopback port that keeps what it was sent."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.changed = threading.Condition()
        calls, changed = self.calls, self.changed

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                with changed:
                    calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    changed.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/callback"

    def wait_for(self, count: int) -> list[tuple[dict[str, str], bytes]]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.calls) >= count, timeout=20)
        return list(self.calls)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver()
    yield box
    box.server.shutdown()


def test_new_submissions_and_new_events_are_called_back_signed(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    box = Sandbox(state_file=sandbox.state_file, process_delay=0.05)
    box.start(port=0)
    try:
        keys = box.keys
        box.add_destination(
            destination_id=demo.DESTINATION_ID,
            services=demo.SERVICES,
            regions=list(demo.REGIONS),
            encryption_key=keys["encryption"].public,
            signature_key=keys["signature"].public,
            encryption_private_key=keys["encryption"].private,
            signature_private_key=keys["signature"].private,
            callback={"url": receiver.url, "secret": DESTINATION_SECRET},
        )
        run = Conformance(
            target(box.base),
            EXPECTED,
            CREDENTIALS,
            schemas=demo.SCHEMAS,
            sender_callback={"url": receiver.url, "secret": SENDER_SECRET},
        )
        (state,) = run.run(cases=("valid",), answer_timeout=20, poll_interval=0.1)
        assert state["verdict"] == "passed"
        calls = receiver.wait_for(2)
    finally:
        box.stop()
    by_type = {json.loads(body)["type"]: (headers, body) for headers, body in calls}
    assert set(by_type) == {CALLBACK_TYPE_NEW_SUBMISSIONS, CALLBACK_TYPE_NEW_EVENTS}
    for kind, secret in (
        (CALLBACK_TYPE_NEW_SUBMISSIONS, DESTINATION_SECRET),
        (CALLBACK_TYPE_NEW_EVENTS, SENDER_SECRET),
    ):
        headers, body = by_type[kind]
        signature, timestamp = headers["callback-authentication"], headers["callback-timestamp"]
        assert crypto.verify_callback(secret, timestamp, signature, body)
        assert not crypto.verify_callback("a-wrong-secret", timestamp, signature, body)
        (submission,) = json.loads(body)["submissions"]
        assert submission == {
            "destinationId": demo.DESTINATION_ID,
            "submissionId": state["submission_id"],
            "caseId": state["case_id"],
        }
