"""Retention anonymises people who left; the Protokoll's chain stays verifiable."""

from __future__ import annotations

import io
from datetime import timedelta

from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from checklist import catalogue, services
from notifications import retention
from notifications.models import Kind, Notification
from portal.models import Membership, User
from tests.conftest import World

YEAR = timedelta(days=365)


def leave(user: User, long_ago: object) -> None:
    """The person left: out of every organisation, deactivated, not signed in since."""
    Membership.objects.filter(user=user).delete()
    User.objects.filter(pk=user.pk).update(is_active=False, last_login=long_ago)


def test_people_who_left_are_anonymised_and_the_protokoll_stays_verifiable(
    world: World,
) -> None:
    items = catalogue.load().by_key()
    services.set_item_done(world.onboarding, items["step2.client"], True, world.provider_staff)
    services.set_item_done(world.onboarding, items["step2.keys"], True, world.authority_staff)
    gone = world.provider_staff
    name, email = gone.full_name, gone.email
    now = timezone.now() + 2 * YEAR
    leave(gone, now - 400 * timedelta(days=1))
    Notification.objects.create(
        recipient=gone, kind=Kind.SIGNOFF_APPROVED, onboarding=world.onboarding
    )
    # Deactivated and long idle, but still in the organisation: never anonymised.
    User.objects.filter(pk=world.authority_staff.pk).update(
        is_active=False, last_login=now - 400 * timedelta(days=1)
    )
    # A site operator who left is left alone too.
    leave(world.site_operator, now - 400 * timedelta(days=1))

    assert retention.anonymise_people(now).text == "People who left anonymised: 1"

    gone.refresh_from_db()
    assert (gone.full_name, gone.is_active, gone.has_usable_password()) == (
        "Ehemalige Person",
        False,
        False,
    )
    assert name not in gone.email
    assert email != gone.email
    assert not Notification.objects.filter(recipient=gone).exists()
    world.authority_staff.refresh_from_db()
    assert world.authority_staff.full_name != "Ehemalige Person"
    world.site_operator.refresh_from_db()
    assert world.site_operator.full_name != "Ehemalige Person"
    # Every chain still verifies: the hash covers the person's id, not the name.
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "alle unverändert" in out.getvalue()
    # The Protokoll names a former person, without name, e-mail or internal id.
    client = Client()
    client.force_login(world.authority_admin)
    page = client.get(reverse("audit_trail", args=[world.onboarding.slug])).content.decode()
    assert "Ehemalige Person" in page
    assert name not in page
    assert email not in page
    assert gone.email not in page
    # A second run finds nobody new.
    assert retention.anonymise_people(now).text == "People who left anonymised: 0"


def test_the_retention_summary_counts_anonymised_people(world: World) -> None:
    now = timezone.now() + 2 * YEAR
    leave(world.outsider, now - 400 * timedelta(days=1))
    lines = {line.rule: line.text for line in retention.apply(now)}
    assert lines["anonymised"] == "People who left anonymised: 1"
