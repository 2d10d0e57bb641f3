"""The onboarding walked through in Chromium by three people, as the issue describes it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from checklist.models import Onboarding, SignOff
from tests.conftest import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(browser: Browser, base: str, email: str) -> Page:
    page = browser.new_context(locale="de-DE").new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Willkommen")
    return page


def add_leistung(page: Page, key: str, name: str, kind: str, uri: str, **replies: str) -> None:
    page.get_by_role("link", name="Leistung hinzufügen").click()
    page.get_by_label("Leistungsschlüssel").fill(key)
    page.get_by_label("Name der Leistung").fill(name)
    page.get_by_label("Regionen (ARS)").fill("064350014014")
    page.get_by_label(kind, exact=True).check()
    page.get_by_label("Schema-URI").fill(uri)
    for label in replies.get("channels", "").split("|"):
        if label:
            page.get_by_label(label, exact=True).check()
    if "standards" in replies:
        page.get_by_label("Prozessstandards für Antworten über FIT-Connect").fill(
            replies["standards"]
        )
    page.get_by_role("button", name="Leistung speichern").click()
    expect(page.locator("#messages")).to_contain_text(key.rsplit(":", 1)[-1])


def tick_all_open(page: Page) -> None:
    """Click every "Als erledigt markieren" button, waiting for each htmx swap."""
    buttons = page.get_by_role("button", name="Als erledigt markieren")
    while buttons.count():
        before = buttons.count()
        buttons.first.click()
        expect(buttons).to_have_count(before - 1)


def test_two_organisations_walk_to_a_test_sign_off_that_a_schema_change_invalidates(
    browser: Browser, live_server: Any, world: World
) -> None:
    base = live_server.url
    world.onboarding.delete()  # start from an empty overview

    # The authority admin creates the onboarding and records step 1.
    anna = sign_in(browser, base, "anna@musterstadt.example")
    anna.get_by_role("link", name="Anbindungsvorhaben", exact=True).first.click()
    anna.get_by_role("link", name="Neues Anbindungsvorhaben").click()
    anna.get_by_label("Name des Fachverfahrens").fill("Wohngeld")
    anna.get_by_label("IT-Dienstleister").select_option(label="Kommunal-IT GmbH")
    anna.get_by_role("button", name="Anbindungsvorhaben anlegen").click()
    expect(anna.get_by_role("heading", level=1)).to_have_text("Wohngeld")
    slug = Onboarding.objects.get(name="Wohngeld").slug

    anna.get_by_role("link", name="Konzeptionelle Vorüberlegungen").click()
    add_leistung(
        anna,
        "urn:de:fim:leika:leistung:99107005001000",
        "Wohngeld beantragen",
        "FIM",
        "https://schema.fitko.de/fim/s00000092_1.0.schema.json",
        channels="E-Mail|Antworten per E-Mail sind PGP-verschlüsselt",
    )
    add_leistung(
        anna,
        "99010003001000",
        "Baugenehmigung beantragen",
        "XÖV",
        "urn:xoev-de:bmk:standard:xbau_2.2#baugenehmigung.antrag.0200",
        channels="FIT-Connect (Nachrichten in beide Richtungen mit dem Onlinedienst)",
        standards="urn:xoev-de:bmk:standard:xbau_2.4",
    )
    expect(anna.locator("#leistungen")).to_contain_text("99107005001000")
    expect(anna.locator("#leistungen")).to_contain_text("application/xml")
    anna.get_by_label("1.2.0").check()
    anna.get_by_role("button", name="Metadatenversionen speichern").click()
    expect(anna.locator("#step-progress")).to_contain_text("100 %")

    # The provider records the Test environment, ticks steps 2 and 3 and declares Test ready.
    clara = sign_in(browser, base, "clara@kommunal-it.example")
    clara.goto(f"{base}/vorhaben/{slug}/umgebung/test/")
    clara.get_by_label("Subscriber-Client-ID").fill("wohngeld-test-client")
    clara.get_by_label("Zustellpunkt-ID").fill("3fa85f64-5717-4562-b3fc-2c963f66afa6")
    clara.get_by_role("button", name="Speichern").click()
    tick_all_open(clara)  # back on step 2 after saving
    expect(clara.locator("#messages")).to_contain_text("als erledigt markiert")
    clara.goto(f"{base}/vorhaben/{slug}/schritt/3/")
    tick_all_open(clara)
    clara.reload()
    clara.get_by_role("button", name="Test als bereit zur Abnahme erklären").click()
    expect(clara.locator("#abnahme")).to_contain_text("Bereit zur Abnahme")

    # A second person of the authority approves.
    bernd = sign_in(browser, base, "bernd@musterstadt.example")
    bernd.goto(f"{base}/vorhaben/{slug}/schritt/3/")
    bernd.get_by_role("button", name="Test freigeben").click()
    expect(bernd.locator("#abnahme")).to_contain_text("Abgenommen")
    assert SignOff.objects.get().is_valid

    # The admin changes a schema: the Test sign-off turns invalid by itself.
    anna.goto(f"{base}/vorhaben/{slug}/schritt/1/")
    anna.get_by_role("link", name="Bearbeiten 99107005001000").click()
    anna.get_by_label("Schema-URI").fill("https://schema.fitko.de/fim/s00000096_1.0.schema.json")
    anna.get_by_role("button", name="Leistung speichern").click()
    anna.goto(f"{base}/vorhaben/{slug}/schritt/3/")
    expect(anna.locator("#abnahme")).to_contain_text("ungültig – erneut prüfen")
    expect(anna.locator("#abnahme")).to_contain_text("leistungen.99107005001000.schema_uri")
