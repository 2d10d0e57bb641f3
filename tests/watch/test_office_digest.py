"""The coordination offices' daily digest of the watch: once per member and day, only for
the office's area, nothing while all is in order, as the person's preference says."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from fitconnect.sandbox import Sandbox
from notifications.describe import describe
from notifications.jobs import run_all
from notifications.models import Notification, Preference
from portal.models import Membership, Organisation
from tests.conftest import World, make_user
from tests.watch.helpers import make_live
from watch.cycle import run_cycle
from watch.office_digest import send_office_digests


@pytest.fixture(autouse=True)
def _settings(settings: Any) -> None:
    settings.WATCH_RETRY_BACKOFF = 0
    settings.NOTIFICATION_DIGEST_HOUR = 0  # any hour of the test's day is past it


def _other_office(world: World) -> Any:
    office = Organisation.objects.create(
        name="Koordinierungsstelle Bayern",
        slug="koordinierung-bayern",
        kind=Organisation.Kind.COORDINATION,
        regions=["09"],
    )
    member = make_user("bea@koordinierung-bayern.example", "Bea Bayer")
    Membership.objects.create(user=member, organisation=office, role="admin")
    return member


def test_the_coordinator_of_the_region_gets_the_digest_once_a_day_and_another_region_not(
    world: World, sandbox: Sandbox
) -> None:
    NOW = timezone.now()  # the sandbox dates submissions by its clock
    elsewhere = _other_office(world)
    _, destination_id = make_live(world, sandbox)
    sandbox.add_waiting_submission(destination_id, 10)
    run_all(NOW)
    run_all(NOW + timedelta(hours=1))
    run_all(NOW + timedelta(hours=2))
    digests = Notification.objects.filter(kind="watch_digest")
    assert [n.recipient for n in digests] == [world.coordinator]
    assert not digests.filter(recipient=elsewhere).exists()
    text = describe(digests.get())
    assert "Koordinierungsstelle Hessen" in text.title
    assert "Gewerbeanmeldung" in text.body
    since = timezone.localdate(NOW).strftime("%d.%m.%Y")
    assert f"gestört seit {since}" in text.body
    assert "Wartende Einreichungen" in text.body
    rejection = timezone.localdate(NOW) - timedelta(days=10) + timedelta(days=14)
    assert f"Am {rejection:%d.%m.%Y} weist der Zustelldienst die Einreichung zurück" in text.body
    sent = [m for m in mail.outbox if world.coordinator.email in m.to]
    assert len([m for m in sent if "Koordinierungsstelle Hessen" in m.subject]) == 1
    for message in mail.outbox:
        assert "secret-" not in message.body
    # The next day brings the next digest.
    assert send_office_digests(NOW + timedelta(days=1)) == 1
    assert Notification.objects.filter(kind="watch_digest").count() == 2


def test_nothing_is_sent_while_every_connection_is_in_order(world: World, sandbox: Sandbox) -> None:
    watched, _ = make_live(world, sandbox)
    run_cycle(timezone.now())
    watched.refresh_from_db()
    assert watched.state == "green"
    assert send_office_digests(timezone.now()) == 0
    assert not Notification.objects.filter(kind="watch_digest").exists()


def test_a_coordinator_who_wants_no_e_mail_finds_the_digest_only_in_the_portal(
    world: World, sandbox: Sandbox
) -> None:
    Preference.objects.create(user=world.coordinator, kind="watch_digest", channel="off")
    _, destination_id = make_live(world, sandbox)
    sandbox.set_destination_status(destination_id, "inactive")
    run_cycle(timezone.now())
    mail.outbox.clear()
    assert send_office_digests(timezone.now()) == 1
    assert Notification.objects.filter(kind="watch_digest", recipient=world.coordinator).exists()
    assert not [m for m in mail.outbox if world.coordinator.email in m.to]


def test_a_coordinator_who_collects_e_mails_finds_the_watch_in_the_same_days_digest(
    world: World, sandbox: Sandbox
) -> None:
    Preference.objects.create(user=world.coordinator, kind="watch_digest", channel="digest")
    _, destination_id = make_live(world, sandbox)
    sandbox.set_destination_status(destination_id, "inactive")
    run_all(timezone.now())
    sent = [m for m in mail.outbox if world.coordinator.email in m.to]
    assert len(sent) == 1
    assert "Koordinierungsstelle Hessen" in sent[0].body
