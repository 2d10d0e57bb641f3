"""Notifications reach only the people who take part in an onboarding, when written and when
delivered; assignments end with the membership or with the provider; API tokens are named."""

from __future__ import annotations

from datetime import datetime, timedelta
from smtplib import SMTPServerDisconnected
from typing import Any
from zoneinfo import ZoneInfo

from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from checklist import catalogue, services
from notifications import delivery, jobs, unread
from notifications.models import Channel, Kind, Notification, Preference
from portal.models import Membership, Organisation, User
from tests.api.conftest import ApiClient, make_token
from tests.conftest import World, make_user

SLUG = "musterstadt-gewerbe"
BERLIN = ZoneInfo("Europe/Berlin")
MORNING = datetime(2026, 11, 30, 8, 0, tzinfo=BERLIN)
SECRET = "Das neue Client-Secret liegt im Tresor unter Fach 7"


class BrokenMailServer(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        raise SMTPServerDisconnected("connection lost")


def item(key: str) -> catalogue.Item:
    return catalogue.load().by_key()[key]


def mails_to(user: User) -> list[EmailMessage]:
    return [m for m in mail.outbox if user.email in m.to]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def inbox_of(user: User) -> str:
    html: str = signed_in(user).get(reverse("inbox")).content.decode()
    return html


def provider_admin(world: World) -> User:
    """A second provider member, its administrator (who may remove the other one)."""
    frank = make_user("frank@kommunal-it.example", "Frank Fachmann")
    Membership.objects.create(user=frank, organisation=world.provider, role="admin")
    return frank


def remove_from_provider(world: World, admin: User, person: User) -> None:
    membership = Membership.objects.get(user=person, organisation=world.provider)
    response = signed_in(admin).post(
        reverse("remove_member", args=[world.provider.pk, membership.pk])
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


def comment(world: World, key: str, text: str = SECRET) -> None:
    services.add_comment(world.onboarding, item(key), text, world.authority_staff)


def assign(world: World, key: str, person: User) -> None:
    services.assign_item(world.onboarding, item(key), person, world.authority_admin)


def step2_for(user: User) -> str:
    html: str = signed_in(user).get(reverse("step", args=[SLUG, 2])).content.decode()
    return html


def test_a_removed_provider_member_gets_no_comment_and_their_assignment_ends(
    world: World,
) -> None:
    frank = provider_admin(world)
    clara = world.provider_staff
    assign(world, "step2.client", clara)
    assign(world, "step2.keys", frank)
    assert "Zugewiesen an Clara Code" in step2_for(world.authority_staff)
    mail.outbox.clear()

    remove_from_provider(world, frank, clara)
    comment(world, "step2.client")
    comment(world, "step2.keys")

    # The former member hears nothing, neither in the inbox nor by e-mail.
    assert not Notification.objects.filter(recipient=clara, kind=Kind.COMMENTED).exists()
    assert SECRET not in inbox_of(clara)
    assert mails_to(clara) == []
    # Her assignment ended: the item belongs to the whole side, and the audit trail says why.
    step2 = step2_for(world.authority_staff)
    assert "Zugewiesen an Clara Code" not in step2
    assert "Zugewiesen an Frank Fachmann" in step2
    trail = signed_in(world.authority_staff).get(reverse("audit_trail", args=[SLUG]))
    ended = "Die Zuweisung an Clara Code endete, weil die Person nicht mehr beteiligt ist."
    assert ended in trail.content.decode()
    # Positive control: the provider member who stays is told, by inbox and e-mail.
    assert SECRET in inbox_of(frank)
    [message] = mails_to(frank)
    assert SECRET in message.body
    # "Meine Aufgaben" lists Frank's item and none of Clara's any more.
    assert item("step2.keys").title in signed_in(frank).get(reverse("home")).content.decode()
    assert item("step2.client").title not in signed_in(clara).get(reverse("home")).content.decode()


def test_a_digest_written_before_leaving_is_not_sent_after(world: World) -> None:
    frank = provider_admin(world)
    clara = world.provider_staff
    for person in (clara, frank):
        Preference.objects.create(user=person, kind=Kind.COMMENTED, channel=Channel.DIGEST)
    assign(world, "step2.client", clara)
    assign(world, "step2.keys", frank)
    comment(world, "step2.client")
    comment(world, "step2.keys")
    assert SECRET in inbox_of(clara)  # while she takes part

    remove_from_provider(world, frank, clara)
    mail.outbox.clear()
    jobs.send_digests(MORNING)

    assert mails_to(clara) == []
    assert SECRET not in inbox_of(clara)
    assert "ungelesen" not in signed_in(clara).get(reverse("home")).content.decode()
    assert unread.stored(clara) == unread.recount(clara) == 0
    [digest] = mails_to(frank)  # positive control
    assert SECRET in digest.body


def test_an_e_mail_retried_after_leaving_is_not_sent(world: World, settings: Any) -> None:
    frank = provider_admin(world)
    clara = world.provider_staff
    assign(world, "step2.client", clara)
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.BrokenMailServer"}}
    comment(world, "step2.client")
    [failed] = Notification.objects.filter(recipient=clara, kind=Kind.COMMENTED)
    assert failed.email_state == Notification.Delivery.FAILED

    remove_from_provider(world, frank, clara)
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    mail.outbox.clear()
    delivery.retry_due(timezone.now() + timedelta(hours=2))
    assert delivery.deliver(failed.pk) == "skipped"
    assert mails_to(clara) == []


def test_after_the_provider_changes_its_people_hear_nothing_more(world: World) -> None:
    clara = world.provider_staff
    other = Organisation.objects.create(
        name="Rechenzentrum Nord", slug="rz-nord", kind=Organisation.Kind.PROVIDER
    )
    gabi = make_user("gabi@rz-nord.example", "Gabi Gateway")
    Membership.objects.create(user=gabi, organisation=other, role="admin")
    Preference.objects.create(user=clara, kind=Kind.COMMENTED, channel=Channel.DIGEST)
    assign(world, "step2.client", clara)
    comment(world, "step2.client", "Vor dem Wechsel: " + SECRET)

    world.onboarding = services.update_onboarding(
        world.onboarding, {}, world.authority_admin, provider=other
    )
    comment(world, "step2.client", "Nach dem Wechsel: " + SECRET)
    mail.outbox.clear()
    jobs.send_digests(MORNING)

    # Neither the pending digest nor the new comment reaches the former provider.
    assert mails_to(clara) == []
    assert SECRET not in inbox_of(clara)
    assert unread.stored(clara) == 0
    # The assignment ended with the partnership, named in the audit trail.
    step2 = step2_for(world.authority_staff)
    assert "Zugewiesen an Clara Code" not in step2
    trail = signed_in(world.authority_staff).get(reverse("audit_trail", args=[SLUG]))
    ended = "Die Zuweisung an Clara Code endete, weil die Person nicht mehr beteiligt ist."
    assert ended in trail.content.decode()
    assert not world.onboarding.item_states.filter(assignee=clara).exists()
    # Positive control: the new provider's people are assigned and told.
    assign(world, "step2.client", gabi)
    comment(world, "step2.client", "Willkommen: " + SECRET)
    assert "Willkommen" in inbox_of(gabi)
    assert any("Willkommen" in m.body for m in mails_to(gabi))


def test_a_comment_through_the_api_names_the_token(world: World) -> None:
    assign(world, "step2.client", world.provider_staff)
    _token, plain = make_token(world.authority, name="Fachverfahren-Pipeline")
    mail.outbox.clear()
    response = ApiClient(plain).post(
        f"/api/v1/onboardings/{SLUG}/items/step2.client/comments", {"text": "Bitte prüfen"}
    )
    assert response.status_code == 201
    named = "API-Token „Fachverfahren-Pipeline“ (Stadt Musterstadt)"
    inbox = inbox_of(world.provider_staff)
    assert named in inbox
    assert "ehemaliges Mitglied" not in inbox
    [message] = mails_to(world.provider_staff)
    assert named in message.body
    assert "ehemaliges Mitglied" not in message.body


def test_delivery_asks_again_when_a_membership_went_outside_the_portal(world: World) -> None:
    clara = world.provider_staff
    Preference.objects.create(user=clara, kind=Kind.COMMENTED, channel=Channel.DIGEST)
    assign(world, "step2.client", clara)
    comment(world, "step2.client")
    membership = Membership.objects.get(user=clara, organisation=world.provider)
    with connection.cursor() as cursor:  # no receiver hears this
        cursor.execute("DELETE FROM portal_membership WHERE id = %s", [membership.pk])
    mail.outbox.clear()

    assert jobs.send_digests(MORNING) == 0
    assert mails_to(clara) == []
    assert SECRET not in inbox_of(clara)
    unread.refresh_all()
    assert unread.stored(clara) == 0
