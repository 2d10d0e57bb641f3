"""Who is told what, in which language, by which channel; failed sends and digests."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from smtplib import SMTPServerDisconnected
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from checklist import catalogue, people, services
from checklist.models import Environment
from checklist.signoff import approve, declare_ready, send_back
from checklist.state import NotAllowed
from notifications import delivery, jobs
from notifications.models import Channel, Kind, Notification, Preference
from portal.mail_backends import ReadableConsoleBackend
from tests.checklist.helpers import ready_for_test
from tests.conftest import World, make_onboarding

TEST = Environment.TEST
SLUG = "musterstadt-gewerbe"
BERLIN = ZoneInfo("Europe/Berlin")


def item(key: str) -> catalogue.Item:
    return catalogue.load().by_key()[key]


def kinds_for(user: Any) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def mails_to(address: str) -> list[EmailMessage]:
    return [m for m in mail.outbox if address in m.to]


class BrokenMailServer(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        raise SMTPServerDisconnected("connection lost")


def test_declaring_ready_tells_the_authority_by_inbox_and_e_mail(world: World) -> None:
    ready_for_test(world.onboarding, world.provider_staff)
    mail.outbox.clear()
    declare_ready(world.onboarding, TEST, world.provider_staff)
    assert kinds_for(world.authority_staff) == [Kind.SIGNOFF_REQUESTED]
    assert kinds_for(world.authority_admin) == [Kind.SIGNOFF_REQUESTED]
    assert kinds_for(world.provider_staff) == []  # the person who declared
    assert kinds_for(world.outsider) == []
    [message] = mails_to("bernd@musterstadt.example")
    assert message.subject == "[Anbindungsportal] Gewerbeanmeldung: Test wartet auf Ihre Freigabe"
    assert "Guten Tag Bernd Beispiel," in message.body
    assert "Clara Code hat die Umgebung Test als bereit zur Abnahme erklärt" in message.body
    assert f"http://127.0.0.1:8000/vorhaben/{SLUG}/schritt/3/#abnahme" in message.body
    html, kind = message.alternatives[0]  # type: ignore[attr-defined]
    assert kind == "text/html"
    assert '<html lang="de">' in html
    assert Notification.objects.filter(email_state=Notification.Delivery.SENT).count() == 2


def test_a_decision_tells_both_sides_but_not_the_decider(world: World) -> None:
    ready_for_test(world.onboarding, world.provider_staff)
    declare_ready(world.onboarding, TEST, world.provider_staff)
    approve(world.onboarding, TEST, world.authority_staff)
    assert Kind.SIGNOFF_APPROVED in kinds_for(world.provider_staff)
    assert Kind.SIGNOFF_APPROVED in kinds_for(world.authority_admin)
    assert Kind.SIGNOFF_APPROVED not in kinds_for(world.authority_staff)


def test_a_sent_back_sign_off_carries_the_reason(world: World) -> None:
    ready_for_test(world.onboarding, world.provider_staff)
    declare_ready(world.onboarding, TEST, world.provider_staff)
    mail.outbox.clear()
    send_back(world.onboarding, TEST, world.authority_staff, "Schlüssel fehlen")
    [message] = mails_to("clara@kommunal-it.example")
    assert "Begründung: Schlüssel fehlen" in message.body


def test_e_mails_are_written_in_the_recipients_language(world: World) -> None:
    world.authority_staff.language = "en"
    world.authority_staff.save()
    ready_for_test(world.onboarding, world.provider_staff)
    declare_ready(world.onboarding, TEST, world.provider_staff)
    [english] = mails_to("bernd@musterstadt.example")
    assert (
        english.subject == "[Onboarding portal] Gewerbeanmeldung: Test is waiting for your approval"
    )
    assert "Hello Bernd Beispiel," in english.body
    [german] = mails_to("anna@musterstadt.example")
    assert "wartet auf Ihre Freigabe" in german.subject


def test_a_mention_notifies_only_the_participant_named(world: World) -> None:
    services.add_comment(
        world.onboarding,
        item("step2.client"),
        "@Anna Amtmann bitte prüfen, @Dieter Dritter auch",
        world.provider_staff,
    )
    assert kinds_for(world.authority_admin) == [Kind.MENTIONED]
    assert kinds_for(world.outsider) == []  # not part of this onboarding
    assert kinds_for(world.authority_staff) == []
    [message] = mails_to("anna@musterstadt.example")
    assert "Clara Code hat Sie in einem Kommentar" in message.body
    assert "@Anna Amtmann bitte prüfen" in message.body


def test_the_mention_list_offers_only_the_onboardings_people(world: World, client_for: Any) -> None:
    html = client_for("provider_staff").get(reverse("step", args=[SLUG, 2])).content.decode()
    datalist = html.split('<datalist id="participants">')[1].split("</datalist>")[0]
    assert 'value="Anna Amtmann"' in datalist
    assert 'value="Clara Code"' in datalist
    assert "Dieter" not in datalist


def test_the_mention_field_refuses_a_stranger_and_saves_nothing(
    world: World, client_for: Any
) -> None:
    response = client_for("provider_staff").post(
        reverse("item_comment", args=[SLUG, "step2.client"]),
        {"text": "Bitte prüfen", "mention": "Dieter Dritter"},
        follow=True,
    )
    assert "niemand mit dem Namen „Dieter Dritter“ beteiligt" in response.content.decode()
    assert not world.onboarding.item_states.get(key="step2.client").comments.exists()
    client_for("provider_staff").post(
        reverse("item_comment", args=[SLUG, "step2.client"]),
        {"text": "Bitte prüfen", "mention": "Bernd Beispiel"},
    )
    assert kinds_for(world.authority_staff) == [Kind.MENTIONED]


def test_assigning_an_item_notifies_the_person_and_comments_reach_them(world: World) -> None:
    services.assign_item(
        world.onboarding, item("step2.client"), world.provider_staff, world.authority_admin
    )
    assert kinds_for(world.provider_staff) == [Kind.ASSIGNED]
    services.add_comment(
        world.onboarding, item("step2.client"), "Gibt es Neuigkeiten?", world.authority_staff
    )
    assert kinds_for(world.provider_staff) == [Kind.COMMENTED, Kind.ASSIGNED]


def test_only_a_person_of_the_responsible_side_can_be_assigned(world: World) -> None:
    with pytest.raises(NotAllowed, match="zuständigen Seite"):
        services.assign_item(
            world.onboarding, item("step2.client"), world.authority_staff, world.authority_admin
        )
    assert not world.onboarding.item_states.filter(assignee__isnull=False).exists()


def test_a_failed_send_keeps_the_notification_and_is_retried(world: World, settings: Any) -> None:
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.BrokenMailServer"}}
    services.assign_item(
        world.onboarding, item("step2.client"), world.provider_staff, world.authority_admin
    )
    notification = Notification.objects.get(recipient=world.provider_staff)
    assert notification.email_state == Notification.Delivery.FAILED
    assert notification.email_attempts == 1
    assert notification.email_error == "SMTPServerDisconnected"
    # Still in the inbox, with a hint that the e-mail is pending.
    client = Client()
    client.force_login(world.provider_staff)
    inbox = client.get(reverse("inbox")).content.decode()
    assert "ist Ihnen zugewiesen" in inbox
    assert "versucht es erneut" in inbox

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    assert delivery.retry_due(timezone.now()) == 0  # not before its retry time
    assert delivery.retry_due(timezone.now() + timedelta(minutes=6)) == 1
    notification.refresh_from_db()
    assert notification.email_state == Notification.Delivery.SENT
    assert len(mails_to("clara@kommunal-it.example")) == 1
    assert delivery.retry_due(timezone.now() + timedelta(hours=2)) == 0  # never twice


def test_off_means_no_e_mail_but_the_inbox_keeps_it(world: World) -> None:
    Preference.objects.create(user=world.provider_staff, kind=Kind.ASSIGNED, channel=Channel.OFF)
    services.assign_item(
        world.onboarding, item("step2.client"), world.provider_staff, world.authority_admin
    )
    assert mails_to("clara@kommunal-it.example") == []
    assert kinds_for(world.provider_staff) == [Kind.ASSIGNED]


def test_the_daily_digest_sends_everything_collected_once(world: World, settings: Any) -> None:
    for kind in (Kind.ASSIGNED, Kind.MENTIONED):
        Preference.objects.create(user=world.provider_staff, kind=kind, channel=Channel.DIGEST)
    services.assign_item(
        world.onboarding, item("step2.client"), world.provider_staff, world.authority_admin
    )
    services.add_comment(
        world.onboarding, item("step2.keys"), "@Clara Code bitte ansehen", world.authority_staff
    )
    assert mails_to("clara@kommunal-it.example") == []
    early = datetime(2026, 11, 30, 6, 0, tzinfo=BERLIN)
    assert jobs.send_digests(early) == 0  # before the digest hour
    morning = datetime(2026, 11, 30, 8, 0, tzinfo=BERLIN)
    assert jobs.send_digests(morning) == 1
    assert jobs.send_digests(morning + timedelta(hours=1)) == 0  # once a day
    [digest] = mails_to("clara@kommunal-it.example")
    assert "2 Benachrichtigungen" in digest.subject
    assert "ist Ihnen zugewiesen" in digest.body
    assert "Bernd Beispiel hat Sie in einem Kommentar" in digest.body
    assert "Ihre offenen Aufgaben" in digest.body  # the assigned item is still open
    assert not Notification.objects.filter(email_state=Notification.Delivery.DIGEST).exists()


def test_due_reminders_go_to_the_responsible_side_once(world: World) -> None:
    onboarding = world.onboarding
    today = timezone.localdate()
    services.set_due_dates(onboarding, {2: today + timedelta(days=5)}, world.authority_admin)
    services.set_due_dates(onboarding, {1: today + timedelta(days=1)}, world.authority_admin)
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        first = jobs.run_all()
        again = jobs.run_all()
    assert first["due_dates"] >= 2
    assert again["due_dates"] == 0
    assert Notification.objects.filter(
        recipient=world.provider_staff, kind=Kind.DUE_SOON, params__step=2
    ).exists()
    # step 1 is the authority's: it is overdue after three days
    assert Notification.objects.filter(
        recipient=world.authority_staff, kind=Kind.OVERDUE, params__step=1
    ).exists()
    assert not Notification.objects.filter(recipient=world.provider_staff, params__step=1).exists()
    assert not Notification.objects.filter(recipient=world.outsider).exists()


def test_certificate_expiry_is_reminded_30_14_and_7_days_before(world: World) -> None:
    from tests.checklist.helpers import record

    today = timezone.localdate()
    record(world.onboarding, Environment.REFERENCE, certificate_expiry=today + timedelta(days=20))
    assert jobs.scan_expiry(today) == 1  # within 30 days
    assert jobs.scan_expiry(today) == 0
    assert jobs.scan_expiry(today + timedelta(days=2)) == 0  # still the 30-day reminder
    assert jobs.scan_expiry(today + timedelta(days=7)) == 1  # 13 days left: 14
    assert jobs.scan_expiry(today + timedelta(days=14)) == 1  # 6 days left: 7
    reminders = Notification.objects.filter(recipient=world.provider_staff, kind=Kind.KEY_EXPIRING)
    assert reminders.count() == 3
    assert not Notification.objects.filter(recipient=world.authority_staff).exists()


def test_the_cron_command_says_what_it_did(world: World) -> None:
    out = io.StringIO()
    call_command("run_scheduled_jobs", stdout=out)
    assert "Reminders for due steps: 0" in out.getvalue()


def test_opening_a_notification_marks_it_read_and_the_header_counts_unread(
    world: World, client_for: Any
) -> None:
    services.assign_item(
        world.onboarding, item("step2.client"), world.provider_staff, world.authority_admin
    )
    client = client_for("provider_staff")
    home = client.get(reverse("home")).content.decode()
    assert "1 ungelesen" in home
    notification = Notification.objects.get(recipient=world.provider_staff)
    response = client.post(reverse("notification_open", args=[notification.pk]))
    assert response["Location"] == f"/vorhaben/{SLUG}/schritt/2/#item-step2-client"
    assert "1 ungelesen" not in client.get(reverse("home")).content.decode()


def test_preferences_and_language_are_saved(world: World, client_for: Any) -> None:
    client = client_for("authority_staff")
    data = {kind.value: Channel.IMMEDIATE for kind in Kind}
    data |= {Kind.DUE_SOON.value: Channel.DIGEST, "language": "en"}
    client.post(reverse("notification_settings"), data)
    world.authority_staff.refresh_from_db()
    assert world.authority_staff.language == "en"
    assert Preference.objects.get(user=world.authority_staff, kind=Kind.DUE_SOON).channel == (
        Channel.DIGEST
    )


def test_the_development_backend_prints_readable_german() -> None:
    stream = io.StringIO()
    backend = ReadableConsoleBackend(stream=stream)
    backend.send_messages(
        [EmailMessage("Prüfung für Gewerbeanmeldung", "Grüße aus Überlingen", to=["a@b.example"])]
    )
    printed = stream.getvalue()
    assert "Subject: Prüfung für Gewerbeanmeldung" in printed
    assert "Grüße aus Überlingen" in printed


def test_the_assign_form_offers_the_responsible_side_and_stays_after_a_comment(
    world: World, client_for: Any
) -> None:
    def assign_options(html: str, key: str) -> str:
        start = html.index(f'id="assignee-{key}"')
        return html[start : html.index("</select>", start)]

    provider = client_for("provider_staff")
    step2 = provider.get(reverse("step", args=[SLUG, 2])).content.decode()
    options = assign_options(step2, "step2-client")
    assert "Clara Code" in options
    assert "Anna Amtmann" not in options  # a provider item: the provider's people
    admin = client_for("authority_admin").get(reverse("step", args=[SLUG, 1])).content.decode()
    options = assign_options(admin, "step1-vpki")
    assert "Anna Amtmann" in options
    assert "Bernd Beispiel" in options
    assert "Clara Code" not in options  # an authority item: the authority's people
    # An item sent back after a comment (htmx) keeps its assign form.
    response = provider.post(
        reverse("item_comment", args=[SLUG, "step2.client"]),
        {"text": "Erledigt bis Freitag", "mention": ""},
        headers={"hx-request": "true"},
    )
    assert "Clara Code" in assign_options(response.content.decode(), "step2-client")


def test_in_house_the_authoritys_people_do_the_providers_items(world: World) -> None:
    in_house = make_onboarding(world.authority, None, world.authority_admin, "eigenbetrieb")
    authority, provider = people.sides(in_house)
    assert [str(p) for p in authority] == ["Anna Amtmann", "Bernd Beispiel"]
    assert [str(p) for p in provider] == ["Anna Amtmann", "Bernd Beispiel"]
    undecided = services.update_onboarding(in_house, {"in_house": False}, world.authority_admin)
    assert people.sides(undecided) == (authority, [])
    authority, provider = people.sides(world.onboarding)
    assert [str(p) for p in provider] == ["Clara Code"]
    world.provider_staff.is_active = False
    world.provider_staff.save()
    assert people.sides(world.onboarding)[1] == []
