"""A coordinator reminds whoever holds an overdue or blocked onboarding: a notification of
its own kind (each person's e-mail preference applies), a Protokoll entry, once a day."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from checklist.models import AuditEvent, Onboarding
from notifications.models import Channel, Kind, Notification, Preference
from tests.conftest import World

SLUG = "musterstadt-gewerbe"


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _held_by_the_provider(world: World) -> None:
    """Step 2: the IT service provider's work (as the stored summary says)."""
    Onboarding.objects.filter(pk=world.onboarding.pk).update(
        current_step=2,
        next_action="",
        next_action_item="",
        target_go_live=timezone.localdate() - timedelta(days=5),
    )


def test_the_coordinator_reminds_the_provider_from_the_dashboard(world: World) -> None:
    _held_by_the_provider(world)
    client = signed_in(world.coordinator)
    dashboard = client.get(reverse("dashboard")).content.decode()
    remind_url = reverse("onboarding_remind", args=[SLUG])
    assert f'href="{remind_url}">An „Gewerbeanmeldung“ erinnern' in dashboard

    page = client.get(remind_url).content.decode()
    assert "wartet auf den IT-Dienstleister" in page
    assert "Clara Code" in page
    mail.outbox.clear()
    response = client.post(remind_url, {"message": "Bitte den Client bis Freitag anlegen."})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")

    [notification] = Notification.objects.filter(kind=Kind.REMINDER)
    assert notification.recipient == world.provider_staff  # not the authority: not its turn
    [message] = [m for m in mail.outbox if "clara@kommunal-it.example" in m.to]
    assert "Kora Koordina erinnert Sie an die offene Arbeit" in message.subject
    assert "Schritt 2 ist offen" in message.body
    assert "Nachricht: Bitte den Client bis Freitag anlegen." in message.body

    inbox = signed_in(world.provider_staff).get(reverse("inbox")).content.decode()
    assert "Kora Koordina erinnert Sie an die offene Arbeit" in inbox
    protokoll = client.get(reverse("audit_trail", args=[SLUG])).content.decode()
    assert (
        "Kora Koordina hat den IT-Dienstleister an die offene Arbeit erinnert: "
        "„Bitte den Client bis Freitag anlegen.“" in protokoll
    )


def test_the_authority_holding_step_one_is_reminded_and_preferences_apply(world: World) -> None:
    # Step 1 (the fixture's onboarding): the authority's turn. Bernd wants no e-mail.
    Preference.objects.create(user=world.authority_staff, kind=Kind.REMINDER, channel=Channel.OFF)
    mail.outbox.clear()
    signed_in(world.coordinator).post(reverse("onboarding_remind", args=[SLUG]), {"message": ""})
    reminded = set(
        Notification.objects.filter(kind=Kind.REMINDER).values_list("recipient__email", flat=True)
    )
    assert reminded == {"anna@musterstadt.example", "bernd@musterstadt.example"}
    assert [m.to for m in mail.outbox] == [["anna@musterstadt.example"]]
    event = AuditEvent.objects.get(action=AuditEvent.Action.REMINDED)
    assert event.actor == world.coordinator


def test_an_onboarding_is_reminded_at_most_once_within_24_hours(world: World) -> None:
    _held_by_the_provider(world)
    remind_url = reverse("onboarding_remind", args=[SLUG])
    signed_in(world.coordinator).post(remind_url, {"message": "Erste Erinnerung"})
    # The authority's administrator tries a second one the same day: refused, said why.
    admin = signed_in(world.authority_admin)
    page = admin.get(remind_url).content.decode()
    assert "Kora Koordina hat am" in page
    assert "höchstens einmal innerhalb von 24 Stunden" in page
    assert "Erinnerung senden</span></button>" not in page
    refused = admin.post(remind_url, {"message": "Zweite Erinnerung"})
    assert refused.status_code == 200
    assert "höchstens einmal innerhalb von 24 Stunden" in refused.content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REMINDED).count() == 1
    assert Notification.objects.filter(kind=Kind.REMINDER).count() == 1
    # A day later it may be sent again (the clock moves on; Protokoll entries are never
    # changed, so the first reminder keeps its time).
    later = timezone.now() + timedelta(hours=25)
    clock = mock.Mock(wraps=timezone, now=mock.Mock(return_value=later))
    with mock.patch("checklist.reminders.timezone", clock):
        assert admin.post(remind_url, {"message": "Zweite Erinnerung"}).status_code == 302
    assert Notification.objects.filter(kind=Kind.REMINDER).count() == 2


def test_a_live_onboarding_has_nothing_to_remind_of(world: World) -> None:
    Onboarding.objects.filter(pk=world.onboarding.pk).update(current_step=None)
    client = signed_in(world.coordinator)
    url = reverse("onboarding_remind", args=[SLUG])
    assert "ist live" in client.get(url).content.decode()
    assert "ist live" in client.post(url, {"message": ""}).content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REMINDED).exists()


def test_a_too_long_message_is_refused_at_the_field(world: World) -> None:
    response = signed_in(world.coordinator).post(
        reverse("onboarding_remind", args=[SLUG]), {"message": "x" * 1001}
    )
    assert response.status_code == 200
    assert "höchstens 1000 Zeichen" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REMINDED).exists()
