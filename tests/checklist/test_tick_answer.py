"""A tick answers with the item's status, its assign form and the counters exactly as the
step page's partials render them from the whole row with every context processor, while
the tick works out and runs only what those partials show (issue 26: every tick pays for
its answer): no comments, note or help of the row, no context processor but the CSRF
token's."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.shortcuts import render
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from checklist import catalogue, presentation, rules, tick_counters
from checklist.access import get_onboarding_for_user
from checklist.state import OnboardingState
from tests.conftest import World

SLUG = "musterstadt-gewerbe"
HTMX = {"hx-request": "true"}
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def masked(html: str) -> str:
    """The HTML without the CSRF tokens' values (masked anew for every form and answer)."""
    return TOKEN.sub('name="csrfmiddlewaretoken" value="…"', html)


def as_the_page_renders(world: World, persona: str, key: str, announcement: str) -> str:
    """The tick's answer rendered the usual way: the whole row of a state read afresh, the
    people read on their own, the partial rendered with the request's context processors."""
    user = world.persona(persona)
    assert user is not None
    participation = get_onboarding_for_user(user, SLUG)
    item = catalogue.load().by_key()[key]
    state = OnboardingState(participation.onboarding)
    view = state.item_view(item)
    assignable = (
        presentation.assignable_people(participation.onboarding)
        if rules.may_assign(participation, view)
        else None
    )
    card = presentation.step_card(state, item.step)
    context = {
        "onboarding": participation.onboarding,
        "participation": participation,
        "entry": presentation.item_context(participation, state, view, card.status, assignable),
        "card": card,
        "overall": state.overall(),
    }
    context["counters"] = tick_counters.counters(card.progress, context["overall"], announcement)
    request = RequestFactory().post("/")
    request.user = user
    html: str = render(request, "checklist/step.html#tick_answer", context).content.decode()
    return html


def tick(client: Client, key: str, done: str, **more: str) -> Any:
    url = reverse("item_toggle", args=[SLUG, key])
    answer = client.post(url, {"done": done, **more}, headers=HTMX)
    assert answer.status_code == 200
    return answer


@pytest.mark.parametrize(
    ("persona", "key", "steps"),
    [
        # Ticked: no assign form; opened again: the form with the side's people.
        ("provider_staff", "step2.client", [("1", {}), ("0", {})]),
        # A check item ticked by hand, with its reason; then opened again.
        ("provider_staff", "step3.token", [("1", {"reason": "Weil <das> & so"}), ("0", {})]),
        # The authority's administrator may assign the authority's items.
        ("authority_admin", "step1.vpki", [("1", {}), ("0", {})]),
    ],
)
def test_a_tick_answers_as_the_page_renders_the_item(
    world: World, client_for: Any, persona: str, key: str, steps: list[tuple[str, dict[str, str]]]
) -> None:
    client: Client = client_for(persona)
    item = catalogue.load().by_key()[key]
    for done, more in steps:
        html = tick(client, key, done, **more).content.decode()
        with translation.override("de"):
            text = (
                _("“%(title)s” is marked as done.")
                if done == "1"
                else _("“%(title)s” is open again.")
            )
            expected = as_the_page_renders(world, persona, key, text % {"title": item.title})
        assert masked(html) == masked(expected)
        assert ("csrfmiddlewaretoken" in html) is True


def test_a_tick_works_out_only_what_its_answer_shows(world: World, client_for: Any) -> None:
    client: Client = client_for("provider_staff")
    for done in ("1", "0"):
        context = tick(client, "step2.client", done).context
        # None of the other context processors ran: not the person's organisations, not
        # the unread notifications, not the session's expiry.
        for name in ("user_memberships", "unread_notifications", "session_seconds", "perms"):
            assert name not in context
        assert "csrf_token" in context
        # The row's note, comments and help are not worked out: the answer does not show them.
        for name in ("note_fields", "comment_fields", "details_summary", "help", "comments"):
            assert name not in context["entry"]
