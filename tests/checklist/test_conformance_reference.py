"""A conformance run against FITKO's reference stage ticks ``step4.reject`` (the step-4
counterpart of ``step3.reject``); a wrong answer reopens it and the audit names the case."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django.utils import translation

from checklist import catalogue, conformance, services
from checklist.audit_sentences import sentence
from checklist.models import AuditEvent, ConformanceRun, FitConnectEnvironment, ItemState
from fitconnect.conformance import CASE_ORDER
from tests.checklist.test_verification import SLUG
from tests.conftest import World


def _finished_run(
    world: World, verdicts: dict[str, str], stage: str = "reference"
) -> ConformanceRun:
    """A run against a FITKO stage with the given verdicts (the others passed)."""
    run = conformance.start(
        world.onboarding, FitConnectEnvironment.objects.get(key=stage), world.provider_staff
    )
    run.cases = {
        case: {"case": case, "status": "done", "verdict": verdicts.get(case, "passed")}
        for case in CASE_ORDER
    }
    run.save()
    conformance.finish(run)
    return run


def test_a_passed_run_against_the_reference_stage_ticks_the_step_4_rejection_item(
    world: World,
) -> None:
    run = _finished_run(world, {})
    assert not run.rehearsal
    assert run.status == ConformanceRun.Outcome.PASSED
    state = ItemState.objects.get(onboarding=world.onboarding, key="step4.reject")
    assert state.done
    assert state.done_by == world.provider_staff
    assert run.changed_items == ["step4.reject"]
    # the step-3 item is the test stage's: a reference run leaves it alone
    assert not ItemState.objects.get(onboarding=world.onboarding, key="step3.reject").done
    event = AuditEvent.objects.get(action=AuditEvent.Action.CONFORMANCE_TICKED)
    assert event.step == 4


def test_a_wrong_answer_against_the_reference_stage_reopens_it_naming_the_case(
    world: World,
) -> None:
    _finished_run(world, {})
    failed = _finished_run(world, {"unparseable_data": "failed"})
    assert failed.status == ConformanceRun.Outcome.FAILED
    assert not ItemState.objects.get(onboarding=world.onboarding, key="step4.reject").done
    assert failed.changed_items == ["step4.reject"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.CONFORMANCE_REOPENED)
    assert event.step == 4
    with translation.override("de"):
        text = sentence(event)
    assert "den Haken bei" in text, text
    assert "Referenzumgebung" in text, text
    assert "„Fachdaten, die weder JSON noch XML sind“" in text, text


def _item_row(page: str, dom_id: str) -> str:
    start = page.index(f'id="item-{dom_id}"')
    return page[start : page.index("</li>", start)]


def test_the_step_page_says_the_conformance_run_ticked_the_item_not_a_person(
    world: World,
) -> None:
    run = _finished_run(world, {})
    client = Client()
    client.force_login(world.authority_staff)
    row = _item_row(client.get(reverse("step", args=[SLUG, 4])).content.decode(), "step4-reject")
    assert f"Belegt durch die Konformitätsprüfung Nr. {run.pk} vom " in row
    assert reverse("conformance_run", args=[SLUG, run.pk]) in row
    assert "Abgehakt von" not in row


def test_a_hand_tick_after_a_conformance_runs_tick_names_the_person_again(world: World) -> None:
    run = _finished_run(world, {}, stage="test")
    client = Client()
    client.force_login(world.authority_staff)
    row = _item_row(client.get(reverse("step", args=[SLUG, 3])).content.decode(), "step3-reject")
    assert f"Belegt durch die Konformitätsprüfung Nr. {run.pk} vom " in row
    item = catalogue.load().by_key()["step3.reject"]
    services.set_item_done(world.onboarding, item, False, world.provider_staff)
    services.set_item_done(world.onboarding, item, True, world.provider_staff)
    row = _item_row(client.get(reverse("step", args=[SLUG, 3])).content.decode(), "step3-reject")
    assert "Belegt durch die Konformitätsprüfung" not in row
    assert f"Abgehakt von {world.provider_staff}" in row
