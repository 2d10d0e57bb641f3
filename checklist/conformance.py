"""Conformance runs of onboardings: stored, run in the worker, shown, ticking the rejection item.

``start`` opens a run (``ConformanceRun``) and the background task
(``checklist.tasks.run_conformance``) calls ``execute``: it sends every case not sent yet,
then looks in each case's event log until the Fachverfahren answered or the environment's
``conformance_timeout_s`` passed ("no answer", not failed), storing each case's state after
every step, so the page shows progress and calling the task again resumes the run. ``finish``
closes it: against a FITKO stage, all cases passed ticks the stage's rejection item
(``step3.reject``, ``step4.reject``), a wrong answer reopens it and the audit trail names the
run and the case; a run against a stand-in (the sandbox) is a rehearsal and changes nothing.
The judging is ``fitconnect.conformance`` (Django-free).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from checklist import catalogue, summary, verification
from checklist.audit import audit, split_actor
from checklist.conformance_words import REJECT_ITEMS
from checklist.conformance_words import case_order as case_order
from checklist.conformance_words import latest_for as latest_for  # this module's too
from checklist.conformance_words import party_label as party_label
from checklist.conformance_words import progress as progress
from checklist.conformance_words import rows as rows
from checklist.conformance_words import running_for as running_for
from checklist.conformance_words import summary_line as summary_line
from checklist.conformance_words import verdict_label as verdict_label
from checklist.conformance_words import verdict_lines as verdict_lines
from checklist.models import (
    AuditEvent,
    ConformanceRun,
    FitConnectEnvironment,
    ItemState,
    Leistung,
    Onboarding,
)
from checklist.signoff import refresh_signoffs
from fitconnect import demo
from fitconnect.conformance import DEFECT_CASES, Conformance, kind_of
from fitconnect.environments import host_of
from portal.models import Actor

Outcome = ConformanceRun.Outcome


def runner_for(
    onboarding: Onboarding,
    environment: FitConnectEnvironment,
    provided: dict[str, str] | None = None,
) -> Conformance:
    """Return the conformance runner as the onboarding's Sender in the environment."""
    return Conformance(
        verification.target_for(environment),
        verification.expected_for(onboarding, environment.key),
        verification.credentials_for(onboarding, environment.key, provided),
        schemas=demo.SCHEMAS,
        templates=templates_for(onboarding),
        connect_timeout=settings.FITCONNECT_CONNECT_TIMEOUT,
        check_timeout=settings.FITCONNECT_CHECK_TIMEOUT,
    )


def templates_for(onboarding: Onboarding) -> dict[str, bytes]:
    """The XML templates the provider uploaded, by schema URI (``xml_template_views``)."""
    return {
        leistung.schema_uri: leistung.xml_template.encode()
        for leistung in onboarding.leistungen.exclude(xml_template="")
        if leistung.mime_type == Leistung.MimeType.XML  # left over after a switch to JSON
    }


@transaction.atomic
def start(
    onboarding: Onboarding, environment: FitConnectEnvironment, actor: Actor | None
) -> ConformanceRun:
    """Open a conformance run and record it in the audit trail."""
    user, token = split_actor(actor)
    run = ConformanceRun.objects.create(
        onboarding=onboarding,
        environment=environment.key,
        started_by=user,
        started_by_token=token,
        api_version=environment.api_version,
        rehearsal=environment.stands_in,
        hosts=_hosts(environment),
    )
    audit(
        onboarding,
        actor,
        AuditEvent.Action.CONFORMANCE_RUN,
        f"conformance:{environment.key}",
        step=environment.step,
    )
    return run


def _hosts(environment: FitConnectEnvironment) -> list[str]:
    return sorted({host_of(url) for url in environment.endpoints})


def _save_case(run: ConformanceRun, state: dict[str, Any]) -> None:
    run.cases = {**run.cases, state["case"]: state}
    run.save(update_fields=["cases"])


def execute(
    run_id: int,
    *,
    provided: dict[str, str] | None = None,
    on_case: Callable[[dict[str, Any]], None] | None = None,
    timeout: float | None = None,
) -> ConformanceRun | None:
    """Send the cases not sent yet, wait for the answers, store each state, then finish.

    Idempotent: a case already sent is not sent again, so the task may be called again to
    resume a run (a worker that died, or a look for answers that came late).
    """
    run = ConformanceRun.objects.select_related("onboarding").filter(pk=run_id).first()
    if run is None or run.finished_at is not None:
        return run
    environment = FitConnectEnvironment.objects.filter(key=run.environment).first()
    if environment is None:
        return run
    runner = runner_for(run.onboarding, environment, provided)
    for case in runner.cases():
        if case not in run.cases:
            state = runner.send(case)
            _save_case(run, state)
            if on_case is not None and state["status"] != "sent":
                on_case(state)
    wait = float(timeout if timeout is not None else environment.conformance_timeout_s)
    deadline = time.monotonic() + wait
    interval = float(settings.FITCONNECT_CONFORMANCE_POLL)
    while True:
        waiting = [s for s in run.cases.values() if s.get("status") == "sent"]
        if not waiting:
            break
        for state in waiting:
            answered = runner.poll(state)
            if answered.get("status") != "sent":
                _save_case(run, answered)
                if on_case is not None:
                    on_case(answered)
        if time.monotonic() + interval > deadline:
            for state in [s for s in run.cases.values() if s.get("status") == "sent"]:
                given_up = runner.give_up(state, wait / 60)
                _save_case(run, given_up)
                if on_case is not None:
                    on_case(given_up)
            break
        if any(s.get("status") == "sent" for s in run.cases.values()):
            time.sleep(interval)
    finish(run)
    return run


@transaction.atomic
def reopen(run: ConformanceRun) -> bool:
    """Let a finished run look again for the answers it gave up on ("no answer"): those cases
    wait again and the run is running; ``execute`` then only polls them. Returns whether
    there was anything to look for."""
    run = ConformanceRun.objects.select_for_update().get(pk=run.pk)
    waiting = {
        case: {
            key: value
            for key, value in state.items()
            if key not in ("verdict", "received", "message", "problems", "type_compared")
        }
        | {"status": "sent"}
        for case, state in run.cases.items()
        if state.get("verdict") == "no_answer" and state.get("submission_id")
    }
    if run.finished_at is None or not waiting:
        return False
    run.cases = {**run.cases, **waiting}
    run.finished_at = None
    run.status = Outcome.RUNNING
    run.lease_until, run.attempts = None, 0  # a new task takes it (portal.leases)
    run.save(update_fields=["cases", "finished_at", "status", "lease_until", "attempts"])
    return True


def outcome_of(cases: dict[str, dict[str, Any]]) -> str:
    verdicts = [s.get("verdict") for s in cases.values()]
    if "failed" in verdicts:
        return Outcome.FAILED
    if "no_answer" in verdicts:
        return Outcome.NO_ANSWER
    complete = set(DEFECT_CASES) <= set(cases) and any(kind_of(c) == "valid" for c in cases)
    if any(v != "passed" for v in verdicts) or not complete:
        return Outcome.INCOMPLETE
    return Outcome.PASSED


@transaction.atomic
def finish(run: ConformanceRun) -> list[str]:
    """Close the run; against a FITKO stage tick or reopen the rejection item.

    Returns the keys of the items whose state changed.
    """
    run.status = outcome_of(run.cases)
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    environment = FitConnectEnvironment.objects.filter(key=run.environment).first()
    key = REJECT_ITEMS.get(environment.stage) if environment is not None else None
    if run.rehearsal or key is None or run.status not in (Outcome.PASSED, Outcome.FAILED):
        return []
    onboarding = run.onboarding
    onboarding.lock()
    failed = [case for case, s in run.cases.items() if s.get("verdict") == "failed"]
    if not _mark(onboarding, key, run.status == Outcome.PASSED, run, failed):
        return []
    refresh_signoffs(onboarding, None)
    summary.store(onboarding)
    run.changed_items = [key]
    run.save(update_fields=["changed_items"])
    return [key]


def _mark(
    onboarding: Onboarding, key: str, done: bool, run: ConformanceRun, failed: list[str]
) -> bool:
    """Tick (all passed) or reopen (a case failed) the item; the audit names run and cases."""
    item = catalogue.load().resolve(key)
    state = ItemState.objects.select_for_update().filter(onboarding=onboarding, key=key).first()
    if item is None or state is None or state.done == done:
        return False
    user, token = split_actor(run.started_by_token or run.started_by) if done else (None, None)
    state.done = done
    state.done_by = user
    state.done_by_token = token
    state.done_at = timezone.now() if done else None
    state.done_by_run = None
    state.done_by_conformance = run if done else None
    state.hand_reason = ""
    state.save(update_fields=ItemState.DONE_FIELDS)
    action = (
        AuditEvent.Action.CONFORMANCE_TICKED if done else AuditEvent.Action.CONFORMANCE_REOPENED
    )
    detail = json.dumps({"run": run.pk, "cases": failed})
    audit(onboarding, None, action, f"item:{key}", "", detail, item.step)
    return True
