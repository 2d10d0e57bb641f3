"""Who is told what, in Chromium: a declaration reaches Bernd, his approval reaches Clara,
a mention reaches Anna, and the digest collects what waits for a person in one e-mail.
axe-core checks the new pages: Meine Aufgaben, the inbox, the settings, the due dates, the
authorities a provider serves and the operator's home.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from checklist import catalogue, services
from checklist.models import SignOff
from notifications import jobs
from notifications.models import Channel, Kind, Notification, Preference
from tests.browser.conftest import assert_accessible, new_page
from tests.checklist.helpers import ready_for_test
from tests.conftest import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SLUG = "musterstadt-gewerbe"

# Home: "Willkommen, …", or the dashboard of coordination offices and site operators.
HOME_HEADING = re.compile("Willkommen|Steuerung")


def sign_in(browser: Browser, base: str, email: str) -> Page:
    page = new_page(browser)
    page.goto(f"{base}/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(HOME_HEADING)
    return page


def test_declare_approve_mention_and_digest(
    browser: Browser, live_server: Any, world: World
) -> None:
    base = live_server.url
    ready_for_test(world.onboarding, world.provider_staff)
    mail.outbox.clear()

    # Clara declares Test ready for sign-off.
    clara = sign_in(browser, base, "clara@kommunal-it.example")
    clara.goto(f"{base}/vorhaben/{SLUG}/schritt/3/")
    clara.get_by_role("button", name="Test als bereit zur Abnahme erklären").click()
    expect(clara.locator("#messages")).to_contain_text("bereit zur Abnahme")

    # Bernd's "Meine Aufgaben" lists the sign-off, and an e-mail to him is in the outbox.
    assert any("bernd@musterstadt.example" in m.to for m in mail.outbox)
    bernd = sign_in(browser, base, "bernd@musterstadt.example")
    task = bernd.get_by_role("link", name="Abnahme von Test freigeben")
    expect(task).to_be_visible()
    expect(bernd.locator("#inbox-link")).to_contain_text("1 ungelesen")
    assert_accessible(bernd, "my-tasks")
    task.click()
    bernd.get_by_role("button", name="Test freigeben").click()
    expect(bernd.locator("#messages")).to_contain_text("abgenommen")
    assert SignOff.objects.get().is_valid

    # Clara is told.
    clara.goto(f"{base}/")
    expect(clara.locator("#inbox-link")).to_contain_text("1 ungelesen")
    clara.locator("#inbox-link").click()
    expect(clara.get_by_role("heading", level=1)).to_have_text("Benachrichtigungen")
    expect(clara.locator("main")).to_contain_text("Gewerbeanmeldung: Test ist abgenommen")
    assert_accessible(clara, "inbox")
    assert any(
        "clara@kommunal-it.example" in m.to and "ist abgenommen" in m.subject for m in mail.outbox
    )

    # A mention, chosen from the participants' list, notifies Anna.
    clara.goto(f"{base}/vorhaben/{SLUG}/schritt/2/")
    item = clara.locator("#item-step2-client")
    item.locator("summary").click()
    item.get_by_label("Neuer Kommentar").fill("Bitte den Client freigeben.")
    item.get_by_label("Person benachrichtigen (optional)").fill("Anna Amtmann")
    item.get_by_role("button", name="Kommentar hinzufügen").click()
    expect(clara.locator("#messages")).to_contain_text("Ihr Kommentar")
    anna = sign_in(browser, base, "anna@musterstadt.example")
    expect(
        anna.get_by_role("button", name="Gewerbeanmeldung: Clara Code hat Sie erwähnt")
    ).to_be_visible()

    # Anna collects assignments in a daily digest: one e-mail with all pending items.
    anna.goto(f"{base}/benachrichtigungen/einstellungen/")
    assert_accessible(anna, "notification-settings")
    Preference.objects.create(
        user=world.authority_admin, kind=Kind.ASSIGNED, channel=Channel.DIGEST
    )
    Preference.objects.create(
        user=world.authority_admin, kind=Kind.SIGNOFF_REQUESTED, channel=Channel.DIGEST
    )
    mail.outbox.clear()
    # Two open items (a done one is assigned to nobody).
    services.assign_item(
        world.onboarding,
        catalogue.load().by_key()["step5.terms_of_use"],
        world.authority_admin,
        world.provider_staff,
    )
    services.assign_item(
        world.onboarding,
        catalogue.load().by_key()["step5.avv"],
        world.authority_admin,
        world.provider_staff,
    )
    assert mail.outbox == []
    assert jobs.send_digests(datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))) == 1
    [digest] = mail.outbox
    assert digest.to == ["anna@musterstadt.example"]
    assert "2 Benachrichtigungen" in digest.subject
    assert "Nutzungsbedingungen für die Produktivumgebung akzeptieren" in digest.body
    assert "Auftragsverarbeitungsvertrag (AVV) mit der FITKO abschließen" in digest.body
    assert not Notification.objects.filter(email_state=Notification.Delivery.DIGEST).exists()


@pytest.mark.parametrize(
    ("email", "path", "name"),
    [
        ("anna@musterstadt.example", f"/vorhaben/{SLUG}/termine/", "due-dates"),
        ("anna@musterstadt.example", "/organisationen/{org}/", "organisation-with-providers"),
        ("clara@kommunal-it.example", "/behoerden/", "served-authorities"),
        ("betrieb@portal.example", "/", "operator-home"),
        ("kora@koordinierung.example", "/", "coordinator-home"),
        ("clara@kommunal-it.example", f"/vorhaben/{SLUG}/schritt/2/", "step-with-assignees"),
    ],
)
def test_new_pages_are_accessible(
    browser: Browser, live_server: Any, world: World, email: str, path: str, name: str
) -> None:
    page = sign_in(browser, live_server.url, email)
    page.goto(live_server.url + path.format(org=world.authority.pk))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page, name)
