"""Sign-off on evidence: the rules per FITKO stage, the operator's allowance, expired runs,
changes after a run, the evidence lines and what the approval freezes in words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from checklist import catalogue, frozen, services
from checklist.demo import ensure_sandbox_environment
from checklist.models import (
    Environment,
    EnvironmentRecord,
    FitConnectEnvironment,
    SignOff,
    VerificationRun,
)
from checklist.signoff import approve, declare_ready, refresh_signoffs, snapshot_hash
from checklist.signoff_evidence import evidence_for
from checklist.state import NotAllowed, OnboardingState, ReasonRequired
from checklist.verification import finish_run
from tests.checklist.helpers import (
    admin_change,
    complete_step_one,
    passed_run,
    record,
    signed_off_test,
    tick_step,
)
from tests.conftest import World

TEST, REFERENCE, PRODUCTION = Environment.TEST, Environment.REFERENCE, Environment.PRODUCTION
REASON = "Im Fachverfahren mit dem Testwerkzeug des Herstellers geprüft."


def item(key: str) -> catalogue.Item:
    return catalogue.load().by_key()[key]


def check_items(environment: Environment) -> list[catalogue.Item]:
    return [i for i in catalogue.load().for_step(environment.step) if i.kind.proven_by_run]


def ticked_by_hand(world: World, environment: Environment = TEST) -> None:
    """Step 1 and 2 done, the environment recorded, its check items ticked by hand with a
    reason, and no connection check ever run."""
    onboarding = world.onboarding
    complete_step_one(onboarding)
    record(onboarding, environment)
    tick_step(onboarding, 2, world.provider_staff)
    state = OnboardingState(onboarding)
    for check in check_items(environment):
        if check.required and state.visible(check):
            services.set_item_done(onboarding, check, True, world.provider_staff, reason=REASON)


def test_a_check_item_ticked_by_hand_needs_a_reason_and_a_manual_item_does_not(
    world: World,
) -> None:
    onboarding = world.onboarding
    complete_step_one(onboarding)
    record(onboarding, TEST)
    tick_step(onboarding, 2, world.provider_staff)
    with pytest.raises(ReasonRequired, match="Begründung"):
        services.set_item_done(onboarding, item("step3.token"), True, world.provider_staff)
    assert not onboarding.item_states.get(key="step3.token").done
    services.set_item_done(onboarding, item("step3.reject"), True, world.provider_staff)
    services.set_item_done(
        onboarding, item("step3.token"), True, world.provider_staff, reason=f"  {REASON} "
    )
    state = onboarding.item_states.get(key="step3.token")
    assert (state.done, state.hand_reason) == (True, REASON)
    # Reopened, the reason goes with the tick.
    services.set_item_done(onboarding, item("step3.token"), False, world.provider_staff)
    assert onboarding.item_states.get(key="step3.token").hand_reason == ""


def test_declaring_on_hand_ticks_alone_is_refused_and_names_the_connection_check(
    world: World,
) -> None:
    ticked_by_hand(world)
    with pytest.raises(NotAllowed, match=r"noch keine Verbindungsprüfung.*„Verbindung prüfen“"):
        declare_ready(world.onboarding, TEST, world.provider_staff)
    assert not SignOff.objects.exists()


def test_a_rehearsal_against_the_sandbox_never_counts(world: World) -> None:
    ticked_by_hand(world)
    sandbox = ensure_sandbox_environment("http://127.0.0.1:9")
    run = VerificationRun.objects.create(
        onboarding=world.onboarding,
        environment=sandbox.key,
        started_by=world.provider_staff,
        results=[{"check": "token", "status": "ok"}],
    )
    finish_run(run, world.provider_staff)
    run.refresh_from_db()
    assert run.rehearsal
    assert run.status == VerificationRun.Outcome.OK
    with pytest.raises(NotAllowed, match="noch keine Verbindungsprüfung"):
        declare_ready(world.onboarding, TEST, world.provider_staff)


def test_after_a_passed_run_the_declaration_goes_through_and_keeps_its_evidence(
    world: World,
) -> None:
    ticked_by_hand(world)
    run = passed_run(world.onboarding, TEST, world.provider_staff)
    signoff = declare_ready(world.onboarding, TEST, world.provider_staff)
    summary = signoff.evidence["summary"]
    assert summary.startswith("5 von 5 Prüfpunkten durch eine Verbindungsprüfung gegen Test")
    token = next(i for i in signoff.evidence["items"] if i["key"] == "step3.token")
    assert (token["basis"], token["run"]) == ("run", run.pk)
    assert f"Verbindungsprüfung Nr. {run.pk} vom" in token["text"]
    assert "gestartet von Clara Code" in token["text"]
    # The approval replaces it with the evidence as approved, and the Protokoll names it.
    approve(world.onboarding, TEST, world.authority_staff)
    signoff.refresh_from_db()
    assert signoff.evidence["summary"] == summary
    approved = world.onboarding.audit_events.get(action="signoff_approved")
    from checklist.audit_sentences import sentence

    assert sentence(approved).endswith(f"Nachweis: {summary}")


def test_a_run_older_than_the_operators_limit_does_not_carry_a_declaration(
    world: World,
) -> None:
    ticked_by_hand(world)
    run = passed_run(world.onboarding, TEST, world.provider_staff)
    VerificationRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(days=31))
    with pytest.raises(NotAllowed, match="älter als 30 Tage"):
        declare_ready(world.onboarding, TEST, world.provider_staff)
    FitConnectEnvironment.objects.filter(key="test").update(evidence_max_age_days=60)
    assert declare_ready(world.onboarding, TEST, world.provider_staff).state == "declared"


def test_a_change_after_the_run_needs_a_new_run_and_blocks_the_approval_too(
    world: World,
) -> None:
    ticked_by_hand(world)
    passed_run(world.onboarding, TEST, world.provider_staff)
    declare_ready(world.onboarding, TEST, world.provider_staff)
    row = EnvironmentRecord.objects.get(onboarding=world.onboarding, environment="test")
    row.client_id = "ein-anderer-client"
    services.save_environment_record(row, world.provider_staff)
    evidence = evidence_for(OnboardingState(world.onboarding), TEST)
    assert "Seit der Verbindungsprüfung" in evidence.refusal
    assert any("Subscriber-Client-ID" in change for change in evidence.changes)
    with pytest.raises(NotAllowed, match="Seit der Verbindungsprüfung"):
        approve(world.onboarding, TEST, world.authority_staff)
    passed_run(world.onboarding, TEST, world.provider_staff)
    assert approve(world.onboarding, TEST, world.authority_staff).is_valid


def test_a_failed_newest_run_refuses_even_after_an_older_passed_one(world: World) -> None:
    ticked_by_hand(world)
    passed_run(world.onboarding, TEST, world.provider_staff)
    failed = VerificationRun.objects.create(
        onboarding=world.onboarding,
        environment="test",
        started_by=world.provider_staff,
        results=[{"check": "token", "status": "failed", "conclusive": False}],
    )
    finish_run(failed, world.provider_staff)
    with pytest.raises(NotAllowed, match="fehlgeschlagen"):
        declare_ready(world.onboarding, TEST, world.provider_staff)


def test_the_operators_allowance_lets_hand_evidence_carry_and_says_so(world: World) -> None:
    FitConnectEnvironment.objects.filter(key="test").update(
        hand_evidence_allowed=True,
        hand_evidence_reason="Die Testumgebung ist aus dem Rechenzentrum nicht erreichbar.",
    )
    ticked_by_hand(world)
    signoff = declare_ready(world.onboarding, TEST, world.provider_staff)
    evidence = signoff.evidence
    assert evidence["hand_evidence_allowed"] is True
    assert evidence["summary"].startswith(
        "0 von 5 Prüfpunkten durch eine Verbindungsprüfung gegen Test belegt, 4 von Hand mit "
        "Begründung, 1 offen."
    )
    token = next(i for i in evidence["items"] if i["key"] == "step3.token")
    assert token["text"] == (
        f"Von Hand abgehakt von Clara Code am {token_when(world)}. Begründung: {REASON}"
    )


def token_when(world: World) -> str:
    state = world.onboarding.item_states.get(key="step3.token")
    assert state.done_at is not None
    return timezone.localtime(state.done_at).strftime("%d.%m.%Y, %H:%M")


def test_hand_ticks_without_a_reason_from_before_the_rule_are_refused_too(
    world: World,
) -> None:
    FitConnectEnvironment.objects.filter(key="test").update(
        hand_evidence_allowed=True, hand_evidence_reason="Netzwerkregeln"
    )
    ticked_by_hand(world)
    world.onboarding.item_states.filter(key="step3.keys").update(hand_reason="")
    with pytest.raises(NotAllowed, match=r"ohne Begründung abgehakt: .*Schlüssel"):
        declare_ready(world.onboarding, TEST, world.provider_staff)


@pytest.mark.parametrize("environment", [REFERENCE, PRODUCTION])
def test_the_same_rules_hold_for_reference_and_production(
    world: World, environment: Environment
) -> None:
    onboarding = world.onboarding
    signed_off_test(onboarding, world.provider_staff, world.authority_staff)
    if environment == PRODUCTION:
        record(onboarding, REFERENCE)
        tick_step(onboarding, 4, world.provider_staff)
        declare_ready(onboarding, REFERENCE, world.provider_staff)
        approve(onboarding, REFERENCE, world.authority_staff)
    record(onboarding, environment)
    contacts = {
        "technical_name": "Clara Code",
        "technical_email": "clara@kommunal-it.example",
        "organisational_name": "Anna Amtmann",
        "organisational_email": "anna@musterstadt.example",
    }
    onboarding = services.update_onboarding(onboarding, contacts, world.authority_admin)
    actor = world.authority_admin if environment == PRODUCTION else world.provider_staff
    state = OnboardingState(onboarding)
    for manual in catalogue.load().for_step(environment.step):
        if manual.kind.tickable and not manual.kind.proven_by_run and state.visible(manual):
            services.set_item_done(onboarding, manual, True, actor)
    for check in check_items(environment):
        if check.required and state.visible(check):
            services.set_item_done(onboarding, check, True, actor, reason=REASON)
    with pytest.raises(NotAllowed, match=f"(?i)gegen {environment.label}"):
        declare_ready(onboarding, environment, world.provider_staff)
    run = passed_run(onboarding, environment, world.provider_staff)
    VerificationRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(days=40))
    with pytest.raises(NotAllowed, match="älter als 30 Tage"):
        declare_ready(onboarding, environment, world.provider_staff)
    passed_run(onboarding, environment, world.provider_staff)
    assert declare_ready(onboarding, environment, world.provider_staff).state == "declared"


def test_what_is_frozen_reads_in_words_and_differs_from_the_previous_stage(
    world: World,
) -> None:
    onboarding = world.onboarding
    signed_off_test(onboarding, world.provider_staff, world.authority_staff)
    reference = record(onboarding, REFERENCE, callback_url="https://fv.example/callback")
    test_snapshot = SignOff.objects.get(environment="test").snapshot
    now = OnboardingState(onboarding).snapshot(REFERENCE)
    words = {
        (group.title, row.label): row.value for group in frozen.groups(now) for row in group.rows
    }
    assert words[("Zustellpunkt und Client", "Zustellpunkt-ID")] == str(reference.destination_id)
    assert words[("Schlüssel", "Zertifikat gültig bis")] == "31.01.2028"
    version = FitConnectEnvironment.objects.get(key="reference").api_version
    assert words[("Callback und Schnittstelle", "Version der Submission API")] == (
        f"Version {version[1:]}"
    )
    service = next(title for title, _label in words if title.startswith("Leistung 99050012104000"))
    assert words[(service, "Antwortkanäle")]
    changed = {(d.label, d.before, d.after) for d in frozen.differences(test_snapshot, now)}
    assert ("Callback-URL", "–", "https://fv.example/callback") in changed
    assert ("Subscriber-Client-ID", "test-client", "reference-client") in changed
    text = " ".join(
        f"{d.group} {d.label} {d.before} {d.after}" for d in frozen.differences(test_snapshot, now)
    )
    assert "None" not in text
    assert "_" not in text


def test_a_sign_off_frozen_before_snapshots_named_their_evidence_stays_valid(
    world: World,
) -> None:
    onboarding = world.onboarding
    signed_off_test(onboarding, world.provider_staff, world.authority_staff)
    signoff = SignOff.objects.get(environment="test")
    old = dict(signoff.snapshot)
    old.pop("format"), old.pop("api_version")
    old["items"] = {
        key: {name: value for name, value in entry.items() if name not in ("run", "reason")}
        for key, entry in old["items"].items()
    }
    SignOff.objects.filter(pk=signoff.pk).update(snapshot=old, snapshot_sha256=snapshot_hash(old))
    assert refresh_signoffs(onboarding, None) == []
    # A real change still invalidates it.
    row = EnvironmentRecord.objects.get(onboarding=onboarding, environment="test")
    row.destination_id = None
    services.save_environment_record(row, world.provider_staff)
    signoff.refresh_from_db()
    assert signoff.invalidated_at is not None


def test_the_operator_allows_hand_evidence_only_with_a_reason(world: World) -> None:
    production = FitConnectEnvironment.objects.get(key="production")
    url = reverse("admin:checklist_fitconnectenvironment_change", args=[production.pk])
    operator = Client()
    operator.force_login(world.site_operator)
    response = operator.post(url, admin_change(production, hand_evidence_allowed="on"))
    assert response.status_code == 200
    assert "Bitte geben Sie an, warum das Portal diese Umgebung nicht prüfen kann" in (
        response.content.decode()
    )
    production.refresh_from_db()
    assert production.hand_evidence_allowed is False
    reason = "Aus dem Rechenzentrum des Portals nicht erreichbar (Netzwerkregeln)."
    data = admin_change(
        production,
        hand_evidence_allowed="on",
        hand_evidence_reason=reason,
        evidence_max_age_days=14,
    )
    assert operator.post(url, data).status_code == 302
    production.refresh_from_db()
    assert (production.hand_evidence_allowed, production.hand_evidence_reason) == (True, reason)
    assert production.evidence_max_age_days == 14
