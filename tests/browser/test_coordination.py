"""The coordination office in the browser: from the dashboard to an onboarding and back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from checklist.models import EnvironmentRecord, Onboarding
from tests.browser.conftest import assert_accessible, new_page
from tests.conftest import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SLUG = "musterstadt-gewerbe"


def sign_in_coordinator(browser: Browser, base: str) -> Page:
    page = new_page(browser)
    page.goto(f"{base}/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill("kora@koordinierung.example")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_label("Passwort").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Steuerung")
    return page


def test_dashboard_funnel_bar_overview_step_page_and_back(
    browser: Browser, live_server: Any, world: World
) -> None:
    # Overdue, with a certificate about to expire: every table of the dashboard shows.
    today = timezone.localdate()
    Onboarding.objects.filter(pk=world.onboarding.pk).update(
        target_go_live=today - timedelta(days=5)
    )
    EnvironmentRecord.objects.create(
        onboarding=world.onboarding,
        environment="test",
        certificate_expiry=today + timedelta(days=12),
    )
    page = sign_in_coordinator(browser, live_server.url)
    expect(
        page.get_by_role("table", name="1 Anbindungsvorhaben überfällig oder blockiert")
    ).to_be_visible()
    assert_accessible(page, "dashboard")
    # The chart's table is read by a screen reader: its caption, rows and denominators.
    table = page.get_by_role("table", name="Anbindungsvorhaben nach aktuellem Schritt")
    snapshot = table.aria_snapshot()
    assert "Schritt 1" in snapshot
    assert "1 von 1 Vorhaben" in snapshot
    # The chart itself: a named group whose bars are links with their figures.
    chart = page.get_by_role("group", name="Anbindungsvorhaben nach aktuellem Schritt")
    chart.get_by_role("link", name="Schritt 1: 1 von 1").click()
    expect(page).to_have_url(f"{live_server.url}/vorhaben/?step=1")
    expect(page.get_by_label("Aktueller Schritt")).to_have_value("1")
    assert_accessible(page, "overview-coordinator")
    page.get_by_role("link", name="Gewerbeanmeldung").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Gewerbeanmeldung")
    page.goto(f"{live_server.url}/vorhaben/{SLUG}/schritt/2/")
    assert_accessible(page, "step-coordinator")
    # Read-only: nothing to tick, but a comment may be written.
    expect(page.locator("form[action$='/abhaken/']")).to_have_count(0)
    assert page.locator("form[action$='/kommentare/']").count() > 0
    page.go_back()
    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/vorhaben/?step=1")
