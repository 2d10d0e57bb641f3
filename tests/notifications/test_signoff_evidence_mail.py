"""The sign-off e-mails carry the evidence the declaration or approval rests on, in words."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.html import escape

from checklist import catalogue, services
from checklist.models import Environment, FitConnectEnvironment
from checklist.signoff import approve, declare_ready
from checklist.signoff_evidence import evidence_for
from checklist.state import OnboardingState
from tests.checklist.helpers import complete_step_one, ready_for_test, record, tick_step
from tests.conftest import World

TEST = Environment.TEST


@pytest.fixture(autouse=True)
def _german() -> Iterator[None]:
    """Read the evidence in German: a request of an earlier test may leave English active
    (portal.middleware.german_first_locale activates the cookie's language for the thread)."""
    with translation.override("de"):
        yield


def mail_to(address: str) -> EmailMessage:
    [message] = [m for m in mail.outbox if address in m.to]
    return message


def html_of(message: EmailMessage) -> str:
    html, kind = message.alternatives[0]  # type: ignore[attr-defined]
    assert kind == "text/html"
    return str(html)


def test_the_approval_e_mail_carries_the_same_evidence_lines_as_the_page(world: World) -> None:
    ready_for_test(world.onboarding, world.provider_staff)
    declare_ready(world.onboarding, TEST, world.provider_staff)
    mail.outbox.clear()
    approve(world.onboarding, TEST, world.authority_staff)
    shown = evidence_for(OnboardingState(world.onboarding), TEST).lines
    assert shown[0].startswith("5 von 5 Prüfpunkten durch eine Verbindungsprüfung gegen Test")
    message = mail_to("clara@kommunal-it.example")
    html = html_of(message)
    for line in shown:
        assert line in message.body
        assert escape(line) in html
    assert "Worauf die Abnahme beruht:" in message.body
    signoff = world.onboarding.signoffs.get(environment=TEST)
    for text in (message.body, html):
        assert signoff.snapshot_sha256 not in text  # the hash is for the record, not the mail
        assert "step3." not in text  # no item keys


def test_the_request_e_mail_names_hand_ticks_with_reasons_and_the_operators_allowance(
    world: World,
) -> None:
    FitConnectEnvironment.objects.filter(key="test").update(
        hand_evidence_allowed=True,
        hand_evidence_reason="Test ist aus dem Rechenzentrum nicht erreichbar.",
    )
    complete_step_one(world.onboarding)
    record(world.onboarding, TEST)
    tick_step(world.onboarding, 2, world.provider_staff)
    state = OnboardingState(world.onboarding)
    for item in catalogue.load().for_step(3):
        if not state.visible(item):
            continue
        if item.kind.proven_by_run:
            services.set_item_done(
                world.onboarding,
                item,
                True,
                world.provider_staff,
                reason="Im Fachverfahren mit dem Testzugang geprüft",
            )
        elif item.kind.tickable and item.required:
            services.set_item_done(world.onboarding, item, True, world.provider_staff)
    mail.outbox.clear()
    declare_ready(world.onboarding, TEST, world.provider_staff)
    body = mail_to("bernd@musterstadt.example").body
    assert "0 von 5 Prüfpunkten durch eine Verbindungsprüfung gegen Test belegt" in body
    assert "5 von Hand mit Begründung" in body
    assert "Test ist aus dem Rechenzentrum nicht erreichbar." in body
    assert "Begründung: Im Fachverfahren mit dem Testzugang geprüft" in body


def test_the_daily_digest_names_the_evidence_summary_of_a_sign_off(world: World) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from notifications import jobs
    from notifications.models import Channel, Kind, Preference

    Preference.objects.create(
        user=world.authority_staff, kind=Kind.SIGNOFF_REQUESTED, channel=Channel.DIGEST
    )
    ready_for_test(world.onboarding, world.provider_staff)
    declare_ready(world.onboarding, TEST, world.provider_staff)
    mail.outbox.clear()
    assert jobs.send_digests(datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("Europe/Berlin"))) == 1
    summary = evidence_for(OnboardingState(world.onboarding), TEST).summary
    digest = mail_to("bernd@musterstadt.example")
    assert summary in digest.body
    assert escape(summary) in html_of(digest)


def test_other_notifications_carry_no_evidence_block(world: World) -> None:
    item = catalogue.load().by_key()["step2.destination"]
    mail.outbox.clear()
    services.assign_item(world.onboarding, item, world.provider_staff, world.authority_admin)
    assert "Worauf die Abnahme beruht" not in mail_to("clara@kommunal-it.example").body
