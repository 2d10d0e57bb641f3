"""Conformance runs stored (``checklist.conformance``): run in the worker against the sandbox,
each case's state kept, resumable, "no answer" after the environment's timeout, and against
a FITKO stage ticking or reopening ``step3.reject`` with the run and the case in the audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from checklist import conformance, tasks
from checklist.audit_sentences import sentence
from checklist.evidence_record import recorded
from checklist.models import (
    AuditEvent,
    ConformanceRun,
    Environment,
    FitConnectEnvironment,
    ItemState,
    SignOff,
)
from checklist.signoff import declare_ready
from checklist.signoff_evidence import evidence_for
from checklist.state import OnboardingState
from fitconnect.conformance import DEFECT_CASES, valid_case
from fitconnect.sandbox import Sandbox
from tests.checklist.helpers import ready_for_test
from tests.checklist.test_conformance_command import store_sender
from tests.checklist.test_verification import SLUG, point_sandbox_at, sandboxed
from tests.conftest import World

__all__ = ["sandboxed"]  # the fixture, used by name

VALID = valid_case("99050012104000")  # the one Leistung "Gewerbe anmelden"
CASE_ORDER = (VALID, *DEFECT_CASES)


@pytest.fixture
def quick(settings: Any) -> None:
    settings.FITCONNECT_CONFORMANCE_POLL = 0.1


def sandbox_env() -> FitConnectEnvironment:
    return FitConnectEnvironment.objects.get(key="sandbox")


def test_a_sandbox_run_is_stored_per_case_passes_and_is_a_rehearsal(
    sandboxed: World, sandbox: Sandbox, quick: None
) -> None:
    store_sender(sandboxed)
    run = tasks.begin_conformance(sandboxed.onboarding, sandbox_env(), sandboxed.provider_staff)
    assert run.finished_at is not None
    assert run.status == ConformanceRun.Outcome.PASSED
    assert set(run.cases) == set(CASE_ORDER)  # jsonb keeps no key order; rows() does
    assert {s["verdict"] for s in run.cases.values()} == {"passed"}
    assert run.rehearsal
    assert run.hosts
    assert run.api_version
    assert run.started_by == sandboxed.provider_staff
    assert not ItemState.objects.get(onboarding=sandboxed.onboarding, key="step3.reject").done
    assert conformance.latest_for(sandboxed.onboarding, "sandbox") == run
    with translation.override("de"):
        lines = conformance.verdict_lines(run)
        assert len(lines) == len(CASE_ORDER)
        assert all(": bestanden – " in line for line in lines), lines
        assert "Probelauf" in conformance.summary_line(run)


def test_a_lax_hash_fails_exactly_the_hash_cases(
    sandboxed: World, sandbox: Sandbox, quick: None
) -> None:
    store_sender(sandboxed)
    point_sandbox_at(f"{sandbox.base}/fault/lax-hash")
    run = tasks.begin_conformance(sandboxed.onboarding, sandbox_env(), sandboxed.provider_staff)
    assert run.status == ConformanceRun.Outcome.FAILED
    failed = {case for case, s in run.cases.items() if s["verdict"] == "failed"}
    assert failed == {"data_hash", "attachment_hash"}


def test_a_silent_fachverfahren_gives_no_answer_not_failed_after_the_timeout(
    sandboxed: World, sandbox: Sandbox, quick: None
) -> None:
    store_sender(sandboxed)
    point_sandbox_at(f"{sandbox.base}/fault/silent")
    FitConnectEnvironment.objects.filter(key="sandbox").update(conformance_timeout_s=1)
    run = tasks.begin_conformance(sandboxed.onboarding, sandbox_env(), sandboxed.provider_staff)
    assert run.status == ConformanceRun.Outcome.NO_ANSWER
    verdicts = {s["verdict"] for s in run.cases.values()}
    assert "failed" not in verdicts
    assert "no_answer" in verdicts
    with translation.override("de"):
        assert any("keine antwort" in line.lower() for line in conformance.verdict_lines(run))


def test_calling_the_task_again_does_not_send_a_case_again(
    sandboxed: World, sandbox: Sandbox, quick: None
) -> None:
    store_sender(sandboxed)
    run = conformance.start(sandboxed.onboarding, sandbox_env(), sandboxed.provider_staff)
    done_before = {**conformance.rows(run)[0], "status": "done", "verdict": "passed"}
    done_before |= {"case": VALID, "party": "fachverfahren", "marker": "kept"}
    run.cases = {VALID: done_before}
    run.save()
    tasks.run_conformance.enqueue(run.pk)
    run.refresh_from_db()
    assert run.cases[VALID]["marker"] == "kept"
    assert "submission_id" not in run.cases[VALID]
    assert "submission_id" in run.cases["data_hash"]


def _finished_run(world: World, verdicts: dict[str, str]) -> ConformanceRun:
    """A run against FITKO's test stage with the given verdicts (the others passed)."""
    run = conformance.start(
        world.onboarding, FitConnectEnvironment.objects.get(key="test"), world.provider_staff
    )
    run.cases = {
        case: {"case": case, "status": "done", "verdict": verdicts.get(case, "passed")}
        for case in CASE_ORDER
    }
    run.save()
    conformance.finish(run)
    return run


def test_all_passed_against_a_fitko_stage_ticks_the_rejection_item_a_failure_reopens_it(
    world: World,
) -> None:
    run = _finished_run(world, {})
    assert not run.rehearsal
    assert run.status == ConformanceRun.Outcome.PASSED
    state = ItemState.objects.get(onboarding=world.onboarding, key="step3.reject")
    assert state.done
    assert state.done_by == world.provider_staff
    assert run.changed_items == ["step3.reject"]
    event = AuditEvent.objects.filter(action=AuditEvent.Action.CONFORMANCE_TICKED).get()
    with translation.override("de"):
        text = sentence(event)
    assert text.startswith("Die Konformitätsprüfung vom ")
    assert "Clara" in text or str(world.provider_staff) in text
    failed = _finished_run(world, {"data_hash": "failed"})
    assert failed.status == ConformanceRun.Outcome.FAILED
    state.refresh_from_db()
    assert not state.done
    event = AuditEvent.objects.filter(action=AuditEvent.Action.CONFORMANCE_REOPENED).get()
    with translation.override("de"):
        text = sentence(event)
    assert "den Haken bei" in text, text
    assert "falscher Hashwert der Fachdaten" in text, text


def test_no_answer_against_a_fitko_stage_leaves_the_item_as_it_is(world: World) -> None:
    _finished_run(world, {})
    run = _finished_run(world, {"foreign_key": "no_answer"})
    assert run.status == ConformanceRun.Outcome.NO_ANSWER
    assert ItemState.objects.get(onboarding=world.onboarding, key="step3.reject").done
    assert run.changed_items == []


def test_the_step_page_starts_a_run_and_shows_its_table_in_the_readers_language(
    sandboxed: World, sandbox: Sandbox, quick: None
) -> None:
    store_sender(sandboxed)
    client = Client()
    client.force_login(sandboxed.provider_staff)
    step = client.get(reverse("step", args=[SLUG, 3])).content.decode()
    assert "Konformität prüfen" in step
    assert reverse("conformance_start", args=[SLUG, "sandbox"]) in step
    response = client.post(reverse("conformance_start", args=[SLUG, "sandbox"]), follow=True)
    page = response.content.decode()
    assert "Konformitätsprüfung vom" in page
    assert "Probelauf" in page
    assert "falscher Hashwert der Fachdaten" in page
    assert page.count('class="kern-table__row portal-case portal-case--passed"') == len(CASE_ORDER)
    run = ConformanceRun.objects.get()
    detail = client.get(reverse("conformance_run", args=[SLUG, run.pk])).content.decode()
    assert "Alle Fälle bestanden" in detail
    assert "reject-submission" in detail
    authority = Client()
    authority.force_login(sandboxed.authority_staff)
    refused = authority.post(reverse("conformance_start", args=[SLUG, "sandbox"]))
    assert refused.status_code == 403
    assert ConformanceRun.objects.count() == 1


def test_looking_again_picks_up_an_answer_that_came_after_the_waiting_time(
    sandboxed: World, sandbox: Sandbox, quick: None
) -> None:
    store_sender(sandboxed)
    run = tasks.begin_conformance(sandboxed.onboarding, sandbox_env(), sandboxed.provider_staff)
    # As if the Fachverfahren had answered the valid case only after the waiting time.
    runner = conformance.runner_for(sandboxed.onboarding, sandbox_env())
    given_up = runner.give_up({**run.cases[VALID], "status": "sent"}, 1)
    run.cases = {**run.cases, VALID: given_up}
    run.save()
    conformance.finish(run)
    assert run.status == ConformanceRun.Outcome.NO_ANSWER
    client = Client()
    client.force_login(sandboxed.provider_staff)
    page = client.get(reverse("step", args=[SLUG, 3])).content.decode()
    assert "Erneut nach Antworten sehen" in page
    client.post(reverse("conformance_look_again", args=[SLUG, run.pk]))
    run.refresh_from_db()
    assert run.status == ConformanceRun.Outcome.PASSED
    assert run.cases[VALID]["verdict"] == "passed"
    assert run.cases[VALID]["submission_id"] == given_up["submission_id"]  # not sent again


def test_a_passed_conformance_run_is_the_evidence_of_the_rejection_item_in_the_sign_off(
    world: World,
) -> None:
    """The sign-off names the run that proved the rejection path, and its cases; the
    approval keeps them for the e-mail and the PDF."""
    ready_for_test(world.onboarding, world.provider_staff)
    run = _finished_run(world, {})
    with translation.override("de"):
        evidence = evidence_for(OnboardingState(world.onboarding), Environment.TEST)
        reject = next(e for e in evidence.items if e.key == "step3.reject")
        assert reject.sentence.startswith("Belegt durch die Konformitätsprüfung vom ")
        assert "Weitere Punkte: 1 durch eine Konformitätsprüfung belegt" in evidence.summary
        assert evidence.conformance is not None
        assert evidence.conformance.pk == run.pk
        assert any("falscher Hashwert der Fachdaten" in line for line in evidence.lines)
    declare_ready(world.onboarding, Environment.TEST, world.provider_staff)
    kept = recorded(SignOff.objects.get())
    assert kept is not None
    assert kept.conformance[0].startswith("Konformitätsprüfung vom ")
    assert any("falscher Hashwert der Fachdaten" in line for line in kept.lines)
    client = Client()
    client.force_login(world.authority_staff)
    page = client.get(reverse("step", args=[SLUG, 3])).content.decode()
    assert "Belegt durch die Konformitätsprüfung vom " in page
    assert reverse("conformance_run", args=[SLUG, run.pk]) in page
