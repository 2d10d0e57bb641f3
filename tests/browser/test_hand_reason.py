"""A check item ticked by hand in the browser: refused at the field without a reason, the
focus on that field; accepted with one, and the item names who, when and why."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_accessibility import sign_in
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SLUG = "musterstadt-gewerbe"


def test_a_hand_tick_needs_a_reason_at_the_field(
    browser: Browser, live_server: Any, world: World
) -> None:
    clara = sign_in(browser, live_server.url, "clara@kommunal-it.example")
    clara.goto(f"{live_server.url}/vorhaben/{SLUG}/schritt/3/")
    item = clara.locator("#item-step3-token")
    expect(item).to_contain_text("ersetzt die Verbindungsprüfung für die Abnahme nicht")
    item.get_by_text("Von Hand abhaken, mit Begründung").click()
    reason = item.get_by_label("Begründung")
    expect(reason).to_have_accessible_description(
        re.compile("^Warum belegt keine Verbindungsprüfung diesen Punkt\\?")
    )
    clara.locator("#toggle-step3-token").click()

    # Refused at the field: the message is its description, the focus is on it.
    reason = clara.locator("#reason-step3-token")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_be_focused()
    expect(reason).to_have_accessible_description(re.compile("Bitte geben Sie eine Begründung an"))
    expect(clara.locator("#reason-step3-token_error")).to_contain_text(
        "Bitte geben Sie eine Begründung an"
    )
    expect(item).to_contain_text("Offen")
    assert_accessible(clara, "hand-tick-refused")

    reason.fill("Die Testumgebung ist aus unserem Netz nicht erreichbar.")
    clara.locator("#toggle-step3-token").click()
    expect(item).to_contain_text("Von Hand abgehakt von Clara Code am")
    expect(item).to_contain_text(
        "Begründung: Die Testumgebung ist aus unserem Netz nicht erreichbar."
    )
    expect(clara.locator("#assignee-step3-token")).to_have_count(0)  # done: nobody to assign
