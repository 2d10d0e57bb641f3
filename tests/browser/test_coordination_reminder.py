"""The coordinator reminds whoever holds an overdue onboarding, from the dashboard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from checklist.models import Onboarding
from notifications.models import Kind, Notification
from tests.browser.conftest import assert_accessible
from tests.browser.test_coordination import sign_in_coordinator
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reminder_from_the_dashboard_reaches_the_authority(
    browser: Browser, live_server: Any, world: World
) -> None:
    Onboarding.objects.filter(pk=world.onboarding.pk).update(
        target_go_live=timezone.localdate() - timedelta(days=5)
    )
    page = sign_in_coordinator(browser, live_server.url)
    page.get_by_role("link", name="An „Gewerbeanmeldung“ erinnern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erinnerung senden")
    expect(page.get_by_role("list").filter(has_text="Anna Amtmann")).to_be_visible()
    assert_accessible(page, "reminder")
    page.get_by_label("Nachricht (optional)").fill("Bitte Schritt 1 bis Freitag abschließen.")
    page.get_by_role("button", name="Erinnerung senden").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Steuerung")
    expect(page.get_by_text("Die Erinnerung wurde an die Behörde gesendet.")).to_be_visible()
    reminded = Notification.objects.filter(kind=Kind.REMINDER)
    assert {n.recipient.email for n in reminded} == {
        "anna@musterstadt.example",
        "bernd@musterstadt.example",
    }
    # A second visit the same day says when the next reminder can be sent.
    page.get_by_role("link", name="An „Gewerbeanmeldung“ erinnern").click()
    expect(page.get_by_text("höchstens einmal innerhalb von 24 Stunden")).to_be_visible()
    expect(page.get_by_role("button", name="Erinnerung senden")).to_have_count(0)
    assert_accessible(page, "reminder-sent")
