"""The comments of a step's item states come with the states, as plain lists.

A step page seen for the first time reads its item states and their comments in one
written-out statement (``checklist.item_state_rows``). Each state used to get a
``prefetch_related``-style queryset for its comments, built in Python per state, which cost
more than the read; the comments are now a list on the state, and the page shows them as
before: oldest first, each with its author.
"""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from checklist import item_state_rows
from checklist.models import Comment, ItemState
from tests.conftest import World


def _comment_on(world: World, key: str, text: str) -> Comment:
    state, _created = ItemState.objects.get_or_create(onboarding=world.onboarding, key=key)
    return Comment.objects.create(item=state, author=world.provider_staff, text=text)


def test_states_carry_their_comments_as_lists_oldest_first(world: World) -> None:
    first = _comment_on(world, "step2.client", "Erster Kommentar")
    second = _comment_on(world, "step2.client", "Zweiter Kommentar")
    ItemState.objects.get_or_create(onboarding=world.onboarding, key="step2.destination")
    states = {
        s.key: s
        for s in item_state_rows.load(
            world.onboarding, ["step2.client", "step2.destination"], with_comments=True
        )
    }
    commented = item_state_rows.shown_comments(states["step2.client"])
    assert commented == [first, second]
    assert commented[0].author == world.provider_staff
    assert item_state_rows.shown_comments(states["step2.destination"]) == []
    # No queryset per state: the comments are not set up as a prefetch.
    assert "comments" not in getattr(states["step2.client"], "_prefetched_objects_cache", {})


def test_states_read_without_comments_carry_none(world: World) -> None:
    _comment_on(world, "step2.client", "Kommentar")
    (state,) = item_state_rows.load(world.onboarding, ["step2.client"], with_comments=False)
    assert item_state_rows.shown_comments(state) is None


def test_step_page_shows_the_comments_with_their_authors(world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    _comment_on(world, "step2.client", "Erster Kommentar")
    _comment_on(world, "step2.client", "Zweiter Kommentar")
    client: Client = client_for("provider_staff")
    page = client.get(reverse("step", args=[world.onboarding.slug, 2])).content.decode()
    assert page.index("Erster Kommentar") < page.index("Zweiter Kommentar")
    assert "Notiz und 2 Kommentare" in page
    assert page.count("<strong>Clara Code</strong>") == 2


def test_note_form_shows_the_note_escaped_with_the_items_ids(world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    """The note and comment fields are put together from pieces rendered once per language:
    the row's own id and note, escaped, stand where the template put them."""
    ItemState.objects.update_or_create(
        onboarding=world.onboarding, key="step2.client", defaults={"note": '<b>"A" & B</b>'}
    )
    client: Client = client_for("provider_staff")
    page = client.get(reverse("step", args=[world.onboarding.slug, 2])).content.decode()
    dom_id = "step2-client"
    assert (
        f'<textarea class="kern-form-input__input" id="note-{dom_id}" name="note" rows="2" '
        'maxlength="2000">&lt;b&gt;&quot;A&quot; &amp; B&lt;/b&gt;</textarea>'
    ) in page
    assert f'<button id="note-save-{dom_id}"' in page
    assert f'<p class="kern-hint" id="comment-hint-{dom_id}">Schreiben Sie @' in page
    assert f'<label class="kern-label" for="mention-{dom_id}">Person benachrichtigen' in page
