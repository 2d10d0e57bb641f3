"""The onboarding's answer names what each sign-off rests on, item by item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from checklist.models import Environment, FitConnectEnvironment, SignOff
from checklist.signoff import approve, declare_ready
from tests.api.conftest import ApiClient
from tests.checklist.helpers import complete_step_one, passed_run, record, tick_step
from tests.conftest import World

BASE = "/api/v1/onboardings/musterstadt-gewerbe"
CHECK_ITEMS = ("step3.token", "step3.destination", "step3.keys", "step3.submission")


def signoffs(api: ApiClient) -> dict[str, Any]:
    return {s["environment"]: s for s in api.get(BASE).json()["signoffs"]}


def test_the_stage_being_signed_off_shows_its_evidence_and_why_it_cannot_be_declared(
    world: World, api_for: Callable[..., ApiClient]
) -> None:
    api = api_for("provider", ["read"])
    complete_step_one(world.onboarding)
    record(world.onboarding, Environment.TEST)
    found = signoffs(api)
    evidence = found["test"]["evidence"]
    assert evidence["declarable"] is False
    assert "Verbindung prüfen" in evidence["refusal"]
    assert evidence["newest_run"] is None
    assert evidence["summary"].startswith("0 von ")
    token = next(item for item in evidence["items"] if item["key"] == "step3.token")
    assert token["basis"] == "open"
    assert token["run"] is None
    assert token["by"] == ""
    assert token["at"] is None
    # The later stages wait for Test: nothing to decide on there yet.
    assert found["reference"]["evidence"] is None
    assert found["production"]["evidence"] is None


def test_a_passed_run_proves_the_check_items_and_the_approval_keeps_its_evidence(
    world: World, api_for: Callable[..., ApiClient]
) -> None:
    api = api_for("authority", ["read"])
    complete_step_one(world.onboarding)
    record(world.onboarding, Environment.TEST)
    tick_step(world.onboarding, 2, world.provider_staff)
    tick_step(world.onboarding, 3, world.provider_staff)  # a passed run ticks the check items
    evidence = signoffs(api)["test"]["evidence"]
    run = evidence["newest_run"]
    assert evidence["declarable"] is True
    assert evidence["refusal"] == ""
    assert run["status"] == "ok"
    assert run["demo"] is False
    assert run["api_version"] == "v1"
    assert run["hosts"]
    items = {item["key"]: item for item in evidence["items"]}
    for key in CHECK_ITEMS:
        assert items[key]["basis"] == "run"
        assert items[key]["run"] == run["id"]
        assert items[key]["text"].startswith(f"Belegt durch Verbindungsprüfung Nr. {run['id']}")
    declare_ready(world.onboarding, Environment.TEST, world.provider_staff)
    approve(world.onboarding, Environment.TEST, world.authority_staff)
    found = signoffs(api)
    signoff = SignOff.objects.get(environment=Environment.TEST)
    recorded = found["test"]["evidence"]  # as recorded at the approval
    assert recorded["summary"] == signoff.evidence["summary"] == evidence["summary"]
    assert [i["text"] for i in recorded["items"]] == [i["text"] for i in signoff.evidence["items"]]
    # Now Reference is the stage being signed off.
    assert found["reference"]["evidence"]["declarable"] is False
    assert found["production"]["evidence"] is None


def test_hand_ticks_show_who_when_and_why_and_the_operators_allowance(
    world: World, api_for: Callable[..., ApiClient]
) -> None:
    FitConnectEnvironment.objects.filter(key="test").update(
        hand_evidence_allowed=True, hand_evidence_reason="Netzwerkregeln des Rechenzentrums"
    )
    provider = api_for("provider")
    complete_step_one(world.onboarding)
    record(world.onboarding, Environment.TEST)
    for key in CHECK_ITEMS:
        body = {"done": True, "reason": "Im Fachverfahren geprüft"}
        assert provider.put(f"{BASE}/items/{key}/done", body).status_code == 200
    evidence = signoffs(provider)["test"]["evidence"]
    assert evidence["hand_evidence_allowed"] is True
    assert evidence["hand_evidence_reason"] == "Netzwerkregeln des Rechenzentrums"
    token = next(item for item in evidence["items"] if item["key"] == "step3.token")
    assert token["basis"] == "hand"
    assert token["reason"] == "Im Fachverfahren geprüft"
    assert token["by"].startswith("API-Token")
    assert token["at"] is not None
    assert "Begründung: Im Fachverfahren geprüft" in token["text"]


def test_the_list_of_onboardings_stays_without_evidence(
    world: World, api_for: Callable[..., ApiClient]
) -> None:
    api = api_for("provider", ["read"])
    [summary] = api.get("/api/v1/onboardings").json()["items"]
    assert "signoffs" not in summary
    assert "evidence" not in summary


def test_english_clients_read_the_current_evidence_in_english(
    world: World, api_for: Callable[..., ApiClient]
) -> None:
    api = api_for("provider", ["read"], **{"Accept-Language": "en"})
    complete_step_one(world.onboarding)
    record(world.onboarding, Environment.TEST)
    passed_run(world.onboarding, Environment.TEST, world.provider_staff)
    evidence = signoffs(api)["test"]["evidence"]
    assert "proven by a connection check against Test" in evidence["summary"]
