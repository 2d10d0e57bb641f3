"""Two people ticking at the same moment (PostgreSQL row locks; skipped on SQLite)."""

from __future__ import annotations

import pytest
from django.db import connection

from checklist import catalogue, services
from checklist.models import AuditEvent
from tests.conftest import World, run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL (CI)"
    ),
]


def test_two_people_ticking_different_items_both_persist(world: World) -> None:
    items = catalogue.load().by_key()
    for _ in range(5):
        run_together(
            lambda: services.set_item_done(
                world.onboarding, items["step2.client"], True, world.provider_staff
            ),
            lambda: services.set_item_done(
                world.onboarding, items["step2.keys"], True, world.provider_staff
            ),
        )
        states = dict(world.onboarding.item_states.values_list("key", "done"))
        assert states["step2.client"]
        assert states["step2.keys"]
        for key in ("step2.client", "step2.keys"):
            services.set_item_done(world.onboarding, items[key], False, world.provider_staff)


def test_the_same_item_edited_twice_keeps_the_last_write_and_audits_both(world: World) -> None:
    item = catalogue.load().by_key()["step5.terms_of_use"]
    run_together(
        lambda: services.set_item_note(
            world.onboarding, item, "Anna: akzeptiert", world.authority_admin
        ),
        lambda: services.set_item_note(
            world.onboarding, item, "Bernd: liegt vor", world.authority_staff
        ),
    )
    events = list(
        world.onboarding.audit_events.filter(action=AuditEvent.Action.NOTE_CHANGED).order_by("pk")
    )
    assert len(events) == 2
    final = world.onboarding.item_states.get(key=item.key).note
    # the later write wins, and its audit entry records the earlier note as the old value
    assert final == events[-1].new_value
    assert events[-1].old_value == events[0].new_value
    assert events[0].old_value == ""
