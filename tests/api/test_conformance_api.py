"""``POST …/environments/<env>/conformance-runs`` and ``GET …/conformance-runs/<id>``: the
pipeline starts a conformance run against the sandbox and reads each case's verdict."""

from __future__ import annotations

from typing import Any

from fitconnect.conformance import DEFECT_CASES, valid_case
from fitconnect.sandbox import Sandbox
from tests.api.conftest import ApiClient, make_token
from tests.checklist.test_conformance_command import store_sender
from tests.checklist.test_verification import SLUG, sandboxed
from tests.conftest import World

__all__ = ["sandboxed"]  # the fixture, used by name


def test_a_pipeline_starts_a_conformance_run_and_reads_every_verdict(
    sandboxed: World, sandbox: Sandbox, settings: Any
) -> None:
    settings.FITCONNECT_CONFORMANCE_POLL = 0.1
    store_sender(sandboxed)
    _token, plain = make_token(sandboxed.provider, ["checks:run", "read"])
    client = ApiClient(plain, **{"Accept-Language": "de"})
    started = client.call(
        "post", f"/api/v1/onboardings/{SLUG}/environments/sandbox/conformance-runs", {}
    )
    assert started.status_code == 202, started.content
    run = client.get(started["Location"]).json()
    assert run["status"] == "passed"
    assert run["rehearsal"] is True
    assert [case["case"] for case in run["cases"]] == [valid_case("99050012104000"), *DEFECT_CASES]
    assert {case["verdict"] for case in run["cases"]} == {"passed"}
    data_hash = next(case for case in run["cases"] if case["case"] == "data_hash")
    assert data_hash["sent"] == (
        "falscher Hashwert der Fachdaten (Leistung Gewerbe anmelden, 99050012104000)"
    )
    assert data_hash["judged"] == "Fachverfahren"
    assert "Pipeline" in run["started_by"]


def test_production_and_a_missing_zustellpunkt_are_refused(world: World) -> None:
    _token, plain = make_token(world.provider, ["checks:run"])
    client = ApiClient(plain)
    for environment in ("production", "test"):
        path = f"/api/v1/onboardings/{SLUG}/environments/{environment}/conformance-runs"
        refused = client.call("post", path, {})
        assert refused.status_code == 409, refused.content
        assert refused["Content-Type"] == "application/problem+json"
