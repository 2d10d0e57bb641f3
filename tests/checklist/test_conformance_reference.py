"""A conformance run against FITKO's reference stage ticks ``step4.reject`` (the step-4
counterpart of ``step3.reject``); a wrong answer reopens it and the audit names the case."""

from __future__ import annotations

from django.utils import translation

from checklist import conformance
from checklist.audit_sentences import sentence
from checklist.models import AuditEvent, ConformanceRun, FitConnectEnvironment, ItemState
from fitconnect.conformance import CASE_ORDER
from tests.conftest import World


def _finished_run(world: World, verdicts: dict[str, str]) -> ConformanceRun:
    """A run against FITKO's reference stage with the given verdicts (the others passed)."""
    run = conformance.start(
        world.onboarding, FitConnectEnvironment.objects.get(key="reference"), world.provider_staff
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
