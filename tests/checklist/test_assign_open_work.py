"""Assignments only where work is open: a done item is assigned to nobody new.

Before, a done item offered an assignee; assigning it e-mailed "ist Ihnen zugewiesen" and
the item never showed up in that person's tasks. Reopening an item keeps its assignee.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from checklist import catalogue, services
from checklist.models import AuditEvent
from checklist.state import NotAllowed
from notifications.home import my_tasks
from notifications.models import Kind, Notification
from tests.conftest import World, make_onboarding

SLUG = "musterstadt-gewerbe"
ITEMS = catalogue.load().by_key()
CLIENT_ITEM = ITEMS["step2.client"]
REFUSAL = "Dieser Punkt ist erledigt: Zugewiesen werden nur offene Punkte."
HTMX = {"hx-request": "true"}


def tick(world: World, done: bool) -> None:
    services.set_item_done(world.onboarding, CLIENT_ITEM, done, world.provider_staff)


def assigned_notifications(world: World) -> int:
    return Notification.objects.filter(recipient=world.provider_staff, kind=Kind.ASSIGNED).count()


def test_the_service_refuses_to_assign_a_done_item_and_nobody_is_told(world: World) -> None:
    tick(world, True)
    with pytest.raises(NotAllowed, match=REFUSAL):
        services.assign_item(
            world.onboarding, CLIENT_ITEM, world.provider_staff, world.authority_admin
        )
    assert world.onboarding.item_states.get(key=CLIENT_ITEM.key).assignee is None
    assert assigned_notifications(world) == 0
    assert not world.onboarding.audit_events.filter(action=AuditEvent.Action.ITEM_ASSIGNED).exists()
    assert my_tasks(world.provider_staff).assigned == []


def test_an_item_done_by_the_recorded_data_is_refused_too(world: World) -> None:
    leistungen = ITEMS["step1.leistungen"]  # the world has a Leistung: done by the data
    with pytest.raises(NotAllowed, match=REFUSAL):
        services.assign_item(
            world.onboarding, leistungen, world.authority_staff, world.authority_admin
        )


def test_a_done_items_assignee_can_still_be_taken_away(world: World) -> None:
    services.assign_item(world.onboarding, CLIENT_ITEM, world.provider_staff, world.authority_admin)
    tick(world, True)
    services.assign_item(world.onboarding, CLIENT_ITEM, None, world.authority_admin)
    assert world.onboarding.item_states.get(key=CLIENT_ITEM.key).assignee is None


def test_reopening_an_item_keeps_its_assignee_and_it_is_a_task_again(world: World) -> None:
    services.assign_item(world.onboarding, CLIENT_ITEM, world.provider_staff, world.authority_admin)
    assert [t.title for t in my_tasks(world.provider_staff).assigned] == [CLIENT_ITEM.title]
    tick(world, True)
    assert my_tasks(world.provider_staff).assigned == []  # done: never among the tasks
    tick(world, False)
    assert world.onboarding.item_states.get(key=CLIENT_ITEM.key).assignee == world.provider_staff
    assert [t.title for t in my_tasks(world.provider_staff).assigned] == [CLIENT_ITEM.title]


def test_the_step_page_offers_no_assignee_for_a_done_item(world: World, client_for: Any) -> None:
    page = reverse("step", args=[SLUG, 2])
    anna = client_for("authority_admin")
    assert 'id="assignee-step2-client"' in anna.get(page).content.decode()
    tick(world, True)
    html = anna.get(page).content.decode()
    assert 'id="assignee-step2-client"' not in html
    assert 'id="assignee-step2-sender_client"' in html  # open items keep theirs


def test_an_htmx_tick_takes_the_assignee_control_away_and_reopening_brings_it_back(
    world: World, client_for: Any
) -> None:
    clara = client_for("provider_staff")
    url = reverse("item_toggle", args=[SLUG, CLIENT_ITEM.key])
    done = clara.post(url, {"done": "1"}, headers=HTMX).content.decode()
    slot = done[done.index('<div id="assign-slot-step2-client" hx-swap-oob="true">') :]
    assert slot[: slot.index("</div>")].split(">", 1)[1].strip() == ""
    reopened = clara.post(url, {"done": "0"}, headers=HTMX).content.decode()
    assert '<div id="assign-slot-step2-client" hx-swap-oob="true">' in reopened
    assert 'id="assignee-step2-client"' in reopened


def test_assigning_a_done_item_on_the_page_is_refused_with_the_reason(
    world: World, client_for: Any
) -> None:
    tick(world, True)
    anna = client_for("authority_admin")
    url = reverse("item_assign", args=[SLUG, CLIENT_ITEM.key])
    data = {"assignee": str(world.provider_staff.pk)}
    answer = anna.post(url, data, headers=HTMX)
    assert answer.status_code == 200
    assert REFUSAL in answer.content.decode()
    plain = anna.post(url, data, follow=True)
    assert REFUSAL in plain.content.decode()
    assert world.onboarding.item_states.get(key=CLIENT_ITEM.key).assignee is None
    assert assigned_notifications(world) == 0
    # Another side's person still gets the 403 of the matrix, not the message.
    assert client_for("authority_staff").post(url, data).status_code == 403


def _assignee_options(html: str, dom_id: str) -> str:
    select = html[html.index(f'id="assignee-{dom_id}"') :]
    return select[: select.index("</select>")]


@pytest.mark.parametrize("in_house", [False, True])
def test_reopening_by_htmx_offers_the_same_people_as_the_step_page(
    world: World, client_for: Any, in_house: bool
) -> None:
    # The tick reads the people with the item's state (checklist.tick_reads): the same
    # people in the same order as the step page, the authority's own where it is in-house.
    slug = SLUG
    if in_house:
        slug = make_onboarding(world.authority, None, world.authority_admin, slug="eigen").slug
    person = client_for("authority_admin" if in_house else "provider_staff")
    url = reverse("item_toggle", args=[slug, CLIENT_ITEM.key])
    person.post(url, {"done": "1"}, headers=HTMX)
    reopened = person.post(url, {"done": "0"}, headers=HTMX).content.decode()
    page = person.get(reverse("step", args=[slug, CLIENT_ITEM.step])).content.decode()
    offered = _assignee_options(reopened, CLIENT_ITEM.dom_id)
    assert offered == _assignee_options(page, CLIENT_ITEM.dom_id)
    # Step 2 is the provider's work: the authority's people do it where it is in-house.
    assert ("Anna Amtmann" in offered, "Clara Code" in offered) == (in_house, not in_house)
