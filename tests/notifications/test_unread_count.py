"""The count of unread notifications kept on each user equals a fresh count, after any changes."""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.urls import reverse

from checklist import audit_chain, catalogue, services
from checklist.models import Onboarding
from notifications import unread
from notifications.models import Kind, Notification
from notifications.services import mark_read, notify
from portal.models import User
from tests.conftest import World, make_onboarding


def _changes(world: World, onboardings: list[Onboarding]) -> list[Callable[[random.Random], Any]]:
    people = [
        world.authority_admin,
        world.authority_staff,
        world.provider_staff,
        world.outsider,
        world.site_operator,
    ]

    def send(rng: random.Random) -> Any:
        onboarding = Onboarding.objects.filter(pk__in=[o.pk for o in onboardings]).first()
        return notify(
            rng.sample(people, rng.randint(1, 4)),
            rng.choice(list(Kind)),
            onboarding=onboarding,
            actor=rng.choice([None, *people]),  # never told of their own doing
            url="/",
            # A reminder sent twice reaches nobody the second time.
            dedupe_key=rng.choice(["", "", "reminder:1", "reminder:2"]),
        )

    def open_one(rng: random.Random) -> Any:
        notification = Notification.objects.order_by("?").first()
        if notification is None:
            return 0
        return mark_read(notification.recipient, notification.pk)  # read or not yet

    def read_all(rng: random.Random) -> Any:
        return mark_read(rng.choice(people))

    def delete_one(rng: random.Random) -> Any:
        # A site operator deletes a notification in the administration.
        notification = Notification.objects.order_by("?").first()
        return notification.delete() if notification else None

    def delete_onboarding(rng: random.Random) -> Any:
        # Its notifications go with it (cascade).
        if len(onboardings) < 2:
            return None
        with audit_chain.released():  # the Protokoll goes with it (checklist.audit_chain)
            return onboardings.pop(rng.randrange(len(onboardings))).delete()

    def assign(rng: random.Random) -> Any:
        # A notification sent by the checklist's receivers, in the transaction of the change.
        if not onboardings:
            return None
        state = onboardings[0]
        key = rng.choice(["step2.client", "step2.keys", "step3.reject"])
        assignee = rng.choice([None, world.provider_staff])
        return services.assign_item(
            state, catalogue.load().by_key()[key], assignee, world.authority_admin
        )

    return [send, send, send, open_one, open_one, read_all, delete_one, delete_onboarding, assign]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_kept_unread_count_equals_a_fresh_count_after_random_changes(
    world: World, seed: int
) -> None:
    rng = random.Random(seed)  # noqa: S311 - a reproducible sequence, not a secret
    onboardings = [
        world.onboarding,
        *(
            make_onboarding(world.authority, world.provider, world.authority_admin, f"o-{n}")
            for n in range(3)
        ),
    ]
    changes = _changes(world, onboardings)
    for _ in range(80):
        change = rng.choice(changes)
        change(rng)
        # After every change, not only at the end: a later change would hide a drift.
        for user in User.objects.all():
            assert unread.stored(user) == unread.recount(user), (change.__name__, user)
    assert Notification.objects.filter(read_at__isnull=True).exists()
    assert Notification.objects.filter(read_at__isnull=False).exists()


def test_saving_a_user_loaded_earlier_keeps_the_count(world: World) -> None:
    stale = User.objects.get(pk=world.provider_staff.pk)
    notify([world.provider_staff], Kind.ASSIGNED, onboarding=world.onboarding, url="/")
    stale.full_name = "Clara Code-Neu"
    stale.save()  # e.g. the administration's change form, or a new password
    assert unread.stored(world.provider_staff) == 1
    assert User.objects.get(pk=stale.pk).full_name == "Clara Code-Neu"


def test_the_header_shows_the_kept_count(world: World, client_for: Any) -> None:
    notify(
        [world.provider_staff, world.authority_staff],
        Kind.ASSIGNED,
        onboarding=world.onboarding,
        url="/",
    )
    notify([world.provider_staff], Kind.MENTIONED, onboarding=world.onboarding, url="/")
    client = client_for("provider_staff")
    assert "2 ungelesen" in client.get(reverse("imprint")).content.decode()
    client.post(reverse("mark_all_read"))
    page = client.get(reverse("inbox")).content.decode()
    assert "ungelesen" not in page.split("<main")[0]  # the header counts none
    assert "Alle als gelesen markieren" not in page
    assert "1 ungelesen" in client_for("authority_staff").get(reverse("imprint")).content.decode()


def test_kept_counts_are_repaired_and_filled_by_the_migration(world: World) -> None:
    notify(
        [world.provider_staff, world.authority_staff],
        Kind.ASSIGNED,
        onboarding=world.onboarding,
        url="/",
    )
    User.objects.update(unread_notifications=5)
    migration = importlib.import_module("notifications.migrations.0002_count_unread")
    migration.count_unread(apps, None)
    assert [unread.stored(u) for u in (world.provider_staff, world.authority_admin)] == [1, 0]
    User.objects.filter(pk=world.authority_admin.pk).update(unread_notifications=3)
    assert unread.refresh_all() == 1
    for user in User.objects.all():
        assert unread.stored(user) == unread.recount(user)
