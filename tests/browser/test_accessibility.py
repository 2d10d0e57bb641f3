"""Keyboard use, focus after htmx swaps, narrow screens, the session warning, the axe check."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    AccessibilityViolation,
    assert_accessible,
    new_page,
    open_enrolment_link,
)
from tests.conftest import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SLUG = "musterstadt-gewerbe"

# Home: "Willkommen, …", or the dashboard of coordination offices and site operators.
HOME_HEADING = re.compile("Willkommen|Steuerung")


def sign_in(browser: Browser, base: str, email: str, **options: Any) -> Page:
    page = new_page(browser, **options)
    page.goto(f"{base}/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_label("Passwort").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(HOME_HEADING)
    return page


def tab_to(page: Page, selector: str, limit: int = 150) -> None:
    """Press Tab until the element matching the selector has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "(s) => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


def test_the_axe_check_fails_on_a_known_violation(page: Page) -> None:
    page.set_content(
        '<!doctype html><html lang="de"><head><title>Testseite</title></head><body><main>'
        '<h1>Testseite</h1><img src="plan.png"><button style="width:10px;height:10px"></button>'
        "</main></body></html>"
    )
    with pytest.raises(AccessibilityViolation) as failure:
        assert_accessible(page, "known-violation")
    assert "image-alt" in str(failure.value)
    page.set_content(
        '<!doctype html><html lang="de"><head><title>Testseite</title></head><body><main>'
        '<h1>Testseite</h1><img src="plan.png" alt="Lageplan"></main></body></html>'
    )
    assert_accessible(page, "known-good")


def test_step_one_and_a_tick_with_the_keyboard_alone(
    browser: Browser, live_server: Any, world: World
) -> None:
    anna = sign_in(browser, live_server.url, "anna@musterstadt.example")
    anna.goto(f"{live_server.url}/vorhaben/{SLUG}/schritt/1/")
    tab_to(anna, "a[href$='/leistungen/neu/']")
    anna.keyboard.press("Enter")
    expect(anna.get_by_role("heading", level=1)).to_have_text("Leistung hinzufügen")
    tab_to(anna, "#id_key")
    anna.keyboard.type("99102013104000")  # "Hundesteuer Anmeldung", checklist/data/leika.csv
    # the name is looked up while typing and taken over with the keyboard
    expect(anna.locator("#leika-match")).to_contain_text("Hundesteuer Anmeldung")
    # Lookups for the shorter keys typed before may still be answering and replace the
    # button (a press on the replaced one does nothing): take it over until the name is in.
    anna.wait_for_load_state("networkidle")
    for _attempt in range(5):
        tab_to(anna, "#leika-match button")
        anna.keyboard.press("Enter")
        if anna.locator("#id_name").input_value() == "Hundesteuer Anmeldung":
            break
        anna.wait_for_timeout(500)
    expect(anna.locator("#id_name")).to_have_value("Hundesteuer Anmeldung")
    tab_to(anna, "#id_regions_text")
    anna.keyboard.type("064350014014")
    tab_to(anna, "#id_schema_kind_0")
    anna.keyboard.press("Space")
    tab_to(anna, "#id_schema_uri")
    anna.keyboard.type("https://schema.fitko.de/fim/s00000096_1.0.schema.json")
    tab_to(anna, "button[type=submit].kern-btn--primary")
    # the focus is visible
    outline = anna.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    anna.keyboard.press("Enter")
    expect(anna.locator("#messages")).to_contain_text("99102013104000")
    for toggle in ("#toggle-step1-vpki", "#toggle-step1-fim_redaktion"):
        tab_to(anna, toggle)
        anna.keyboard.press("Enter")
        expect(anna.locator(toggle)).to_contain_text("Als offen markieren")
    expect(anna.locator("#step-progress")).to_contain_text("100 %")

    clara = sign_in(browser, live_server.url, "clara@kommunal-it.example")
    clara.goto(f"{live_server.url}/vorhaben/{SLUG}/schritt/2/")
    tab_to(clara, "#toggle-step2-client")
    clara.keyboard.press("Enter")
    expect(clara.locator("#messages")).to_contain_text("als erledigt markiert")
    # after the htmx swap the focus stays on the same control, now offering the opposite
    expect(clara.locator("#toggle-step2-client")).to_be_focused()
    expect(clara.locator("#toggle-step2-client")).to_contain_text("Als offen markieren")
    expect(clara.locator("#messages")).to_have_attribute("aria-live", "polite")
    assert world.onboarding.item_states.get(key="step2.client").done


def test_buttons_are_disabled_and_say_so_while_a_request_runs(
    browser: Browser, live_server: Any, world: World
) -> None:
    clara = sign_in(browser, live_server.url, "clara@kommunal-it.example")
    clara.goto(f"{live_server.url}/vorhaben/{SLUG}/schritt/2/")

    # Hold the request until the page has been checked (a handler that sleeps blocks the
    # test's own thread, so the response could come before the checks ran).
    held: list[Any] = []

    def hold(route: Any) -> None:
        held.append(route)

    clara.route("**/abhaken/", hold)
    clara.locator("#toggle-step2-client").click()
    expect(clara.locator("#toggle-step2-client")).to_be_disabled()
    expect(clara.locator("#item-step2-client .htmx-indicator")).to_be_visible()
    held[0].continue_()
    expect(clara.locator("#toggle-step2-client")).to_contain_text(
        "Als offen markieren", timeout=10_000
    )


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/vorhaben/",
        f"/vorhaben/{SLUG}/",
        f"/vorhaben/{SLUG}/schritt/1/",
        f"/vorhaben/{SLUG}/schritt/3/",
        f"/vorhaben/{SLUG}/protokoll/",
        "/vorhaben/schluessel/",
    ],
)
def test_main_pages_fit_a_320_pixel_screen(
    browser: Browser, live_server: Any, world: World, path: str
) -> None:
    page = sign_in(
        browser,
        live_server.url,
        "clara@kommunal-it.example",
        viewport={"width": 320, "height": 640},
    )
    page.goto(f"{live_server.url}{path}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{path} is {width} px wide at a 320 px viewport"
    assert_accessible(page, f"320px {path}")


def test_the_session_warning_lets_the_user_stay_signed_in(
    browser: Browser, live_server: Any, world: World, settings: Any
) -> None:
    settings.SESSION_COOKIE_AGE = 6
    settings.SESSION_WARNING_SECONDS = 4
    page = sign_in(browser, live_server.url, "anna@musterstadt.example")
    dialog = page.locator("#session-dialog")
    expect(dialog).to_be_visible(timeout=5_000)
    expect(dialog).to_contain_text("Ihre Sitzung läuft bald ab")
    expect(page.locator("#session-extend")).to_be_focused()
    assert_accessible(page, "session-warning")
    page.locator("#session-extend").click()
    expect(dialog).to_be_hidden()
    page.wait_for_timeout(4_000)  # longer than the original session would have lasted
    settings.SESSION_COOKIE_AGE = 3600
    page.goto(f"{live_server.url}/vorhaben/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Anbindungsvorhaben")


def test_setting_up_two_factor_sign_in_and_the_recovery_codes(
    browser: Browser, live_server: Any, world: World, settings: Any
) -> None:
    settings.MFA_REQUIRED = True
    anna = new_page(browser)
    anna.goto(f"{live_server.url}/anmelden/")
    anna.get_by_label("E-Mail-Adresse").fill("anna@musterstadt.example")
    anna.get_by_label("Passwort").fill(PASSWORD)
    anna.get_by_label("Passwort").press("Enter")
    # An administrator goes to the set-up first: a link by e-mail, then the app.
    open_enrolment_link(anna, accessible_as="mfa-enrol-mail")
    expect(anna.get_by_role("heading", level=1)).to_have_text("Zwei-Faktor-Anmeldung einrichten")
    expect(anna.get_by_role("img", name=re.compile("QR-Code"))).to_be_visible()
    assert_accessible(anna, "mfa-setup")
    device = TOTPDevice.objects.get(user=world.authority_admin)
    anna.get_by_label("Code").fill(f"{totp(device.bin_key):06d}")
    anna.get_by_role("button", name="Einrichten").click()
    expect(anna.get_by_role("heading", level=1)).to_have_text("Ihre Wiederherstellungscodes")
    expect(anna.get_by_role("list", name="Wiederherstellungscodes").locator("li")).to_have_count(10)
    assert_accessible(anna, "mfa-recovery-codes")
    anna.get_by_role("link", name="Weiter zum Portal").click()
    expect(anna.get_by_role("heading", level=1)).to_contain_text("Willkommen")
    anna.get_by_role("link", name="Zwei-Faktor-Anmeldung").click()
    expect(anna.get_by_text("10 Wiederherstellungscodes sind noch übrig")).to_be_visible()
    assert_accessible(anna, "mfa-status")
