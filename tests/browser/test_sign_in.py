"""A person signs in, sees the home page and switches language, in a real browser."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from portal.mfa import confirm_enrolment, start_enrolment
from tests.browser.conftest import assert_accessible
from tests.conftest import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_authority_admin_signs_in_and_switches_to_english_and_back(
    page: Page, live_server: Any, world: World
) -> None:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{live_server.url}/")
    expect(page).to_have_title(re.compile(r"^Anmelden – FIT-Connect Anbindungsportal$"))
    page.get_by_label("E-Mail-Adresse").fill("anna@musterstadt.example")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Anna Amtmann")
    expect(page.get_by_role("heading", name="Ihnen zugewiesene Punkte")).to_be_visible()
    expect(page.get_by_role("link", name="Mitglieder von Stadt Musterstadt")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Anna Amtmann")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("Sign-offs waiting for your approval")).to_be_visible()

    page.get_by_role("button", name="Deutsch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Anna Amtmann")
    expect(page.locator("html")).to_have_attribute("lang", "de")

    # Stylesheets and fonts load under the CSP, and no script error or CSP violation occurs.
    assert page.evaluate("document.fonts.check('16px \"Fira Sans\"')")
    assert page.evaluate("typeof window.htmx") == "object"
    assert errors == []


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(
    page: Page, live_server: Any, world: World
) -> None:
    page.goto(f"{live_server.url}/impressum/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Zum Inhalt springen")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_a_person_signs_in_with_the_code_from_the_authenticator_app(
    page: Page, live_server: Any, world: World, settings: Any
) -> None:
    settings.MFA_REQUIRED = True
    device = start_enrolment(world.authority_admin)
    confirm_enrolment(device)
    page.goto(f"{live_server.url}/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill("anna@musterstadt.example")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Zwei-Faktor-Anmeldung")
    assert_accessible(page, "second-factor")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Bestätigen und anmelden").click()
    expect(page).to_have_title(re.compile("^Fehler: "))
    expect(page.locator("#error-summary")).to_contain_text("nicht richtig oder abgelaufen")
    assert_accessible(page, "second-factor-error")

    device.refresh_from_db()
    device.throttle_reset()  # the app's next code, without waiting out the pause
    page.get_by_label("Code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Bestätigen und anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Anna Amtmann")
