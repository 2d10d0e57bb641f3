"""A check item ticked by hand needs a written reason, on the step page and through the API.

An item a connection check proves ("check") is ticked by hand only with a reason: without
one the page says so at the field (with or without JavaScript), nothing is saved and what
was typed stays; with one the item shows who ticked it, when and why. Items people confirm
("manual") need no reason.
"""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import translation

from checklist.forms import HandTickForm
from checklist.hand_tick import BlankHandTickForm
from checklist.models import AuditEvent
from tests.api.conftest import ApiClient, make_token
from tests.conftest import World

SLUG = "musterstadt-gewerbe"
CHECK_ITEM = "step3.token"
URL = reverse("item_toggle", args=[SLUG, CHECK_ITEM])
HTMX = {"hx-request": "true"}
API_DONE = f"/api/v1/onboardings/{SLUG}/items/{CHECK_ITEM}/done"
MESSAGE = "Bitte geben Sie eine Begründung an"


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def field_error(html: str) -> str:
    """The error shown at the reason field of the item, which the textarea names."""
    textarea = re.search(r'<textarea[^>]*id="reason-step3-token"[^>]*>', html)
    assert textarea is not None, "no reason field"
    described = re.search(r'aria-describedby="([^"]*)"', textarea.group(0))
    assert described is not None
    assert "reason-step3-token_error" in described.group(1).split()
    assert 'aria-invalid="true"' in textarea.group(0)
    error = re.search(r'<p class="kern-error" id="reason-step3-token_error">(.*?)</p>', html, re.S)
    assert error is not None
    return error.group(1)


def item_done(world: World) -> bool:
    state = world.onboarding.item_states.filter(key=CHECK_ITEM).first()
    return bool(state and state.done)


def test_the_open_check_item_asks_for_a_reason_and_says_it_does_not_replace_the_check(
    world: World,
) -> None:
    page = signed_in(world.provider_staff).get(reverse("step", args=[SLUG, 3])).content.decode()
    assert "Bis dahin können Sie den Punkt von Hand abhaken" not in page
    assert "ersetzt die Verbindungsprüfung für die Abnahme nicht" in page
    assert '<label class="kern-label" for="reason-step3-token">Begründung' in page
    assert "Warum belegt keine Verbindungsprüfung diesen Punkt?" in page


def test_a_page_tick_without_a_reason_is_refused_at_the_field(world: World) -> None:
    provider = signed_in(world.provider_staff)
    response = provider.post(URL, {"done": "1", "reason": "   "})
    assert response.status_code == 200
    html = response.content.decode()
    assert MESSAGE in field_error(html)
    assert "<title>Fehler:" in html
    assert '<details class="portal-hand-tick" open>' in html
    assert not item_done(world)
    assert not world.onboarding.audit_events.filter(subject=f"item:{CHECK_ITEM}").exists()


def test_a_page_tick_with_a_reason_is_saved_and_shown(world: World) -> None:
    provider = signed_in(world.provider_staff)
    reason = "Die Testumgebung ist aus unserem Netz nicht erreichbar."
    response = provider.post(URL, {"done": "1", "reason": reason})
    assert response.status_code == 302
    assert item_done(world)
    page = provider.get(reverse("step", args=[SLUG, 3])).content.decode()
    item = page[page.index('id="item-step3-token"') :][:3000]
    assert "Von Hand abgehakt von Clara Code am" in item
    assert f"Begründung: {reason}" in item
    event = world.onboarding.audit_events.get(subject=f"item:{CHECK_ITEM}")
    assert event.action == AuditEvent.Action.ITEM_TICKED_WITH_REASON
    assert event.new_value == reason


def test_an_htmx_tick_without_a_reason_keeps_what_was_typed_and_saves_nothing(
    world: World,
) -> None:
    provider = signed_in(world.provider_staff)
    typed = "x" * 2001  # too long: refused at the field, the text stays to be shortened
    response = provider.post(URL, {"done": "1", "reason": typed}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="item-status-step3-token"')
    assert "höchstens 2000 Zeichen" in field_error(html)
    assert f"{typed}</textarea>" in html
    assert "kern-alert--danger" in html  # announced as well
    assert not item_done(world)

    empty = provider.post(URL, {"done": "1", "reason": ""}, headers=HTMX).content.decode()
    assert MESSAGE in field_error(empty)
    assert not item_done(world)


def test_an_htmx_tick_with_a_reason_shows_it_in_the_items_status(world: World) -> None:
    provider = signed_in(world.provider_staff)
    response = provider.post(URL, {"done": "1", "reason": "Im Fachverfahren geprüft"}, headers=HTMX)
    html = response.content.decode()
    assert "Von Hand abgehakt von Clara Code am" in html
    assert "Begründung: Im Fachverfahren geprüft" in html
    assert 'id="reason-step3-token"' not in html  # done: no reason field any more
    assert item_done(world)


def test_a_manual_item_needs_no_reason(world: World) -> None:
    provider = signed_in(world.provider_staff)
    url = reverse("item_toggle", args=[SLUG, "step3.reject"])
    assert provider.post(url, {"done": "1"}).status_code == 302
    assert world.onboarding.item_states.get(key="step3.reject").done
    page = provider.get(reverse("step", args=[SLUG, 3])).content.decode()
    assert 'id="reason-step3-reject"' not in page


def test_the_api_needs_a_reason_at_its_pointer(world: World) -> None:
    _token, plain = make_token(world.provider)
    api = ApiClient(plain)
    refused = api.put(API_DONE, {"done": True})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "/reason"
    assert not item_done(world)

    assert (
        api.put(API_DONE, {"done": True, "reason": "Im Fachverfahren geprüft"}).status_code == 200
    )
    state = world.onboarding.item_states.get(key=CHECK_ITEM)
    assert state.done
    assert state.hand_reason == "Im Fachverfahren geprüft"


def test_the_api_ticks_a_manual_item_without_a_reason(world: World) -> None:
    _token, plain = make_token(world.provider)
    done = ApiClient(plain).put(
        f"/api/v1/onboardings/{SLUG}/items/step3.reject/done", {"done": True}
    )
    assert done.status_code == 200
    assert world.onboarding.item_states.get(key="step3.reject").done


def test_the_reason_field_on_the_step_page_is_the_forms_own_html_in_both_languages() -> None:
    """The step page's reason fields are rendered once per language (``checklist.hand_tick``);
    each is the HTML the form itself renders for the item, with the item's ids."""
    for language in ("de", "en"):
        with translation.override(language):
            for dom_id in ("step3-token", "step4-zustellung"):
                blank = BlankHandTickForm(dom_id)
                own = HandTickForm(dom_id=dom_id)["reason"].as_field_group()
                assert blank.reason.as_field_group() == own
                assert f'id="id_reason-{dom_id}"' in own or f"reason-{dom_id}" in own
                assert not blank.errors
