"""The demo data command can run any number of times and prints the logins."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from checklist.management.commands.seed_demo import DEMO_PASSWORD
from portal.models import Membership, Organisation, User


@pytest.fixture(autouse=True)
def _german() -> Iterator[None]:
    """Read the evidence in German: a request of an earlier test may leave English active
    (portal.middleware.german_first_locale activates the cookie's language for the thread)."""
    with translation.override("de"):
        yield


def run() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> tuple[list[tuple[str, str]], list[str], list[tuple[str, str, str]]]:
    return (
        list(Organisation.objects.order_by("slug").values_list("slug", "kind")),
        list(User.objects.order_by("email").values_list("email", flat=True)),
        list(
            Membership.objects.order_by("user__email").values_list(
                "user__email", "organisation__slug", "role"
            )
        ),
    )


def test_seed_demo_is_idempotent_and_prints_every_login(db: None) -> None:
    output = run()
    first = snapshot()
    run()
    assert snapshot() == first
    land = {"koordinierung-hessen", "hessen-it-kommunal", "regio-rz-nord"}  # checklist.demo_land
    core = [o for o, _ in first[0] if o not in land and not o.startswith("hessen-0")]
    assert core == ["kommunal-it", "landkreis-beispiel", "stadt-musterstadt"]
    for email in first[1]:
        assert email in output
    assert DEMO_PASSWORD in output
    assert ("admin@musterstadt.example", "stadt-musterstadt", "admin") in first[2]
    assert ("sachbearbeitung@musterstadt.example", "stadt-musterstadt", "staff") in first[2]
    assert ("entwicklung@kommunal-it.example", "kommunal-it", "staff") in first[2]


def test_demo_accounts_can_sign_in(db: None) -> None:
    run()
    client = Client()
    response = client.post(
        reverse("login"),
        {"username": "admin@musterstadt.example", "password": DEMO_PASSWORD},
        follow=True,
    )
    assert "Willkommen, Anna Amtmann" in response.content.decode()
    operator = User.objects.get(email="betrieb@portal.example")
    assert operator.is_staff
    assert operator.is_superuser


def test_demo_onboardings_show_every_stage(db: None) -> None:
    from checklist.models import Onboarding
    from checklist.state import OnboardingState, StepStatus

    run()
    run()  # idempotent: existing onboardings are left as they are
    gewerbe = Onboarding.objects.get(slug="musterstadt-gewerbe")
    assert gewerbe.authority.name == "Stadt Musterstadt"
    assert gewerbe.provider is not None
    assert gewerbe.provider.name == "Kommunal-IT GmbH"
    keys = sorted(gewerbe.leistungen.values_list("key", flat=True))
    assert keys == ["99050012104000"]  # Gewerbe anmelden
    assert all(
        uri.startswith("https://schema.fitko.de/fim/")
        for uri in gewerbe.leistungen.values_list("schema_uri", flat=True)
    )
    state = OnboardingState(gewerbe)
    assert state.status(1) == StepStatus.DONE
    assert state.status(2) == StepStatus.IN_PROGRESS
    assert 0 < state.progress(2).done < state.progress(2).total
    assert state.records["test"].is_configured
    steps = {
        o.slug: OnboardingState(o).current_step()
        for o in Onboarding.objects.filter(authority__slug="stadt-musterstadt")
    }
    # The production watch's three live onboardings (watch.demo) have no current step.
    assert sorted(s for s in steps.values() if s is not None) == [1, 2, 4, 5]
    assert Onboarding.objects.filter(authority__slug="landkreis-beispiel").count() == 1


def test_demo_onboarding_is_ready_for_the_sandbox(db: None) -> None:
    from checklist import verification
    from checklist.models import Onboarding
    from fitconnect import demo

    run()
    gewerbe = Onboarding.objects.get(slug="musterstadt-gewerbe")
    record = gewerbe.environments.get(environment="sandbox")
    assert str(record.destination_id) == demo.DESTINATION_ID
    credentials = verification.credentials_for(gewerbe, "sandbox")
    assert credentials.subscriber_secret == demo.SUBSCRIBER_CLIENT_SECRET
    assert credentials.sender_id == demo.SENDER_CLIENT_ID
    assert credentials.callback_secret == demo.CALLBACK_SECRET
    expected = verification.expected_for(gewerbe, "sandbox")
    assert [(s.key, s.reply_channels) for s in expected.services] == [
        (s["key"], s["reply_channels"]) for s in sorted(demo.SERVICES, key=lambda s: s["key"])
    ]


def test_demo_follows_the_sandbox_url(db: None, settings: Any) -> None:
    from checklist import verification
    from checklist.environments import get_environment
    from checklist.models import Onboarding

    settings.FITCONNECT_SANDBOX_URL = "http://127.0.0.1:8766"
    run()
    target = verification.target_for(get_environment("sandbox"))
    assert target.token_url == "http://127.0.0.1:8766/token"
    assert target.submission_base == "http://127.0.0.1:8766/submission-api"
    assert target.routing_base == "http://127.0.0.1:8766/routing-api"
    assert target.ssp_jwks_url == "http://127.0.0.1:8766/ssp/.well-known/jwks.json"
    record = Onboarding.objects.get(slug="musterstadt-gewerbe").environments.get(
        environment="sandbox"
    )
    assert record.callback_url == "http://127.0.0.1:8766/fachverfahren/callback"

    settings.FITCONNECT_SANDBOX_URL = "http://127.0.0.1:8765"
    run()  # a later run with the default port moves the demo back
    assert (
        verification.target_for(get_environment("sandbox")).token_url
        == "http://127.0.0.1:8765/token"
    )
    record.refresh_from_db()
    assert record.callback_url == "http://127.0.0.1:8765/fachverfahren/callback"


def test_demo_services_use_only_sourced_keys_with_their_names(db: None) -> None:
    from checklist import leika
    from checklist.models import Leistung
    from fitconnect import demo

    run()
    recorded = list(Leistung.objects.values_list("key", "name"))
    recorded += [(s["key"], s["name"]) for s in demo.SERVICES]
    for key, name in recorded:
        entry = leika.lookup(key)
        assert entry is not None, key
        assert entry.name == name


def test_the_demo_gives_every_part_of_my_tasks_something_to_show(db: None) -> None:
    from notifications.home import my_tasks
    from notifications.models import Kind, Notification

    run()
    call_command("run_scheduled_jobs", stdout=StringIO())
    people = {u.email: u for u in User.objects.all()}
    bernd = my_tasks(people["sachbearbeitung@musterstadt.example"])
    assert sorted(t.onboarding.slug for t in bernd.signoffs) == [
        "musterstadt-grundsicherung",  # Production, declared on hand evidence
        "musterstadt-wohngeld",
    ]
    clara = my_tasks(people["entwicklung@kommunal-it.example"])
    assert len(clara.assigned) == 2
    assert all(t.overdue for t in clara.assigned)
    anna = my_tasks(people["admin@musterstadt.example"])
    assert len(anna.mentions) == 1
    assert Notification.objects.filter(
        recipient=people["entwicklung@kommunal-it.example"], kind=Kind.KEY_EXPIRING
    ).exists()
    count = Notification.objects.count()
    run()
    call_command("run_scheduled_jobs", stdout=StringIO())
    assert Notification.objects.count() == count


def test_the_demo_data_fills_the_inboxes_but_sends_no_e_mail(db: None) -> None:
    """make run printed 26 e-mails of the seed at start, some about states already changed."""
    from django.core import mail

    from notifications.models import Notification

    output = run()
    assert Notification.objects.exists()
    assert mail.outbox == []  # the tests run tasks at once: a queued e-mail would be here
    assert set(Notification.objects.values_list("email_state", flat=True)) == {
        Notification.Delivery.NONE
    }
    assert f"The demo inboxes hold {Notification.objects.count()} notifications" in output
    # The scheduled jobs' reminders are e-mails of now: only those are sent.
    call_command("run_scheduled_jobs", stdout=StringIO())
    sent = Notification.objects.filter(email_state=Notification.Delivery.SENT)
    assert len(mail.outbox) == sent.count() > 0
    assert set(sent.values_list("kind", flat=True)) <= {"overdue", "due_soon", "key_expiring"}


def test_the_demo_shows_a_stage_declared_on_a_fresh_passed_run_marked_as_demo_material(
    db: None,
) -> None:
    from checklist.models import Environment, Onboarding
    from checklist.signoff_evidence import evidence_for
    from checklist.state import OnboardingState

    run()
    wohngeld = Onboarding.objects.get(slug="musterstadt-wohngeld")
    evidence = evidence_for(OnboardingState(wohngeld), Environment.REFERENCE)
    assert evidence.refusal == ""
    assert evidence.newest_run is not None
    assert evidence.newest_run.passed
    assert evidence.newest_run.demo  # no fake run: marked as demo material
    assert evidence.summary.startswith("4 von 4 Prüfpunkten durch eine Verbindungsprüfung")
    assert all(
        "(Demo-Material: Es wurde nicht wirklich geprüft)" in line
        for line in [e.line for e in evidence.items if e.run is not None]
    )
    signoff = wohngeld.signoffs.get(environment=Environment.REFERENCE)
    assert signoff.state == "declared"
    assert signoff.evidence["newest_run"]["demo"] is True


def test_the_demo_declares_production_on_hand_evidence_the_operator_allowed(db: None) -> None:
    from checklist.evidence_record import recorded
    from checklist.models import Environment, FitConnectEnvironment, Onboarding

    run()
    production = FitConnectEnvironment.objects.get(key="production")
    assert production.hand_evidence_allowed
    assert "nicht erreichbar" in production.hand_evidence_reason
    grundsicherung = Onboarding.objects.get(slug="musterstadt-grundsicherung")
    signoff = grundsicherung.signoffs.get(environment=Environment.PRODUCTION)
    assert signoff.state == "declared"
    assert signoff.declared_by is not None
    assert signoff.declared_by.email == "entwicklung@kommunal-it.example"
    lines = recorded(signoff)
    assert lines is not None
    assert lines.summary.startswith(
        "0 von 3 Prüfpunkten durch eine Verbindungsprüfung gegen Produktiv belegt, "
        "3 von Hand mit Begründung"
    )
    assert "Das Portal kann Produktiv nicht selbst prüfen" in lines.allowance
    assert "Netzwerkregeln" in lines.allowance
    hand = [line for line in lines.items if "Von Hand abgehakt" in line]
    assert len(hand) == 3
    assert all(
        "Begründung: Im Fachverfahren mit dem Produktivzugang geprüft" in line for line in hand
    )


def test_the_demo_shows_a_declaration_refused_for_want_of_a_connection_check(db: None) -> None:
    from checklist.models import Environment, Onboarding
    from checklist.signoff import declare_ready
    from checklist.signoff_evidence import Basis, evidence_for
    from checklist.state import NotAllowed, OnboardingState

    run()
    gewerbe = Onboarding.objects.get(slug="musterstadt-gewerbe")
    evidence = evidence_for(OnboardingState(gewerbe), Environment.TEST)
    hand = [e for e in evidence.items if e.basis == Basis.HAND]
    assert {e.key for e in hand} >= {"step3.token", "step3.destination", "step3.keys"}
    assert all(e.reason.startswith("Im Fachverfahren GewerbePro") for e in hand)
    assert evidence.newest_run is None  # the sandbox rehearsal never counts
    assert "Verbindung prüfen" in evidence.refusal
    clara = User.objects.get(email="entwicklung@kommunal-it.example")
    with pytest.raises(NotAllowed, match="Verbindung prüfen"):
        declare_ready(gewerbe, Environment.TEST, clara)
    assert not gewerbe.signoffs.exists()
