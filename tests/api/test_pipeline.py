"""A deployment pipeline drives the Test-environment step through the API alone.

It reads the onboarding, ticks what its deployment proves, leaves a note, starts the
connection checks against the local FIT-Connect sandbox (the Test stand-in), polls the run,
sees the check items ticked by the passed checks, and fetches the PDF.
"""

from __future__ import annotations

import logging

import pytest

from checklist.models import AuditEvent, ItemState, VerificationRun
from fitconnect import demo
from tests.api.conftest import ApiClient, make_token
from tests.checklist.test_verification import SECRETS, sandboxed  # noqa: F401
from tests.conftest import World

BASE = "/api/v1/onboardings/musterstadt-gewerbe"


def test_a_pipeline_runs_the_test_environment_checks_through_the_api(
    sandboxed: World,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    token, plain = make_token(sandboxed.provider, name="GitLab Deploy")
    api = ApiClient(plain, **{"Accept-Language": "en"})

    environments = {e["key"]: e for e in api.get("/api/v1/environments").json()["items"]}
    assert environments["sandbox"]["stage"] == "test"
    assert environments["sandbox"]["step"] == 3

    # What the deployment proves in step 2.
    step2 = api.get(f"{BASE}/items?step=2").json()["items"]
    for item in step2:
        if item["may_tick"] and item["required"] and not item["done"]:
            assert api.put(f"{BASE}/items/{item['key']}/done", {"done": True}).status_code == 200
    note = api.put(
        f"{BASE}/items/step2.impl_receive/note", {"note": "Pipeline #4711, commit abc123"}
    )
    assert note.status_code == 200

    # "Verbindung prüfen" in the background; the answer says where to poll.
    with caplog.at_level(logging.DEBUG):
        started = api.post(
            f"{BASE}/environments/sandbox/runs",
            {
                "secrets": {
                    "subscriber_secret": demo.SUBSCRIBER_CLIENT_SECRET,
                    "sender_id": demo.SENDER_CLIENT_ID,
                    "sender_secret": demo.SENDER_CLIENT_SECRET,
                    "callback_secret": demo.CALLBACK_SECRET,
                }
            },
            **{"Idempotency-Key": "deploy-4711"},
        )
    assert started.status_code == 202
    location = started["Location"]
    assert location.endswith(f"{BASE}/runs/{started.json()['id']}")
    run = api.get(location.removeprefix("http://testserver")).json()
    assert run["status"] == "ok", run
    assert [r["check"] for r in run["results"]] == [
        "token",
        "destination",
        "keys",
        "jwks",
        "routing",
        "submission",
        "callback",
    ]
    assert {r["status"] for r in run["results"]} == {"ok"}
    assert run["started_by"] == "API token GitLab Deploy (Kommunal-IT GmbH)"

    # The sandbox stands in for FITKO's test environment: a rehearsal that names its hosts
    # and ticks no checklist item, exactly as in the portal.
    assert run["rehearsal"] is True
    assert run["hosts"]
    assert all(host.startswith("127.0.0.1") for host in run["hosts"])
    step3 = {i["key"]: i for i in api.get(f"{BASE}/items?step=3").json()["items"]}
    for key in ("step3.token", "step3.destination", "step3.keys", "step3.submission"):
        assert not step3[key]["done"], key

    # A retry of the same POST (a re-run pipeline job) starts no second run.
    again = api.post(
        f"{BASE}/environments/sandbox/runs",
        {
            "secrets": {
                "subscriber_secret": demo.SUBSCRIBER_CLIENT_SECRET,
                "sender_id": demo.SENDER_CLIENT_ID,
                "sender_secret": demo.SENDER_CLIENT_SECRET,
                "callback_secret": demo.CALLBACK_SECRET,
            }
        },
        **{"Idempotency-Key": "deploy-4711"},
    )
    assert again.json()["id"] == run["id"]
    assert VerificationRun.objects.count() == 1

    pdf = api.get(f"{BASE}/record.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    # Everything it changed is the token's in the audit trail; its secrets are nowhere.
    run_event = AuditEvent.objects.get(action=AuditEvent.Action.VERIFICATION_RUN)
    assert run_event.api_token == token
    assert ItemState.objects.filter(done=True, done_by_token=token).exists()  # step 2 ticks
    evidence = repr(VerificationRun.objects.get().results) + caplog.text + started.content.decode()
    evidence += repr(list(AuditEvent.objects.values_list("old_value", "new_value")))
    for secret in SECRETS:
        assert secret not in evidence
