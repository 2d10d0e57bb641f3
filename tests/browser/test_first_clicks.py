"""The first click goes where a new user expects: their onboardings from the home, the
connection check from the top of step 3, the overview's filters and rows at a glance."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from checklist.models import Environment, VerificationRun
from tests.browser.conftest import assert_accessible
from tests.browser.test_accessibility import sign_in
from tests.checklist.helpers import record
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SLUG = "musterstadt-gewerbe"


def test_the_home_lists_my_onboardings_and_their_names_open_the_onboarding(
    browser: Browser, live_server: Any, world: World
) -> None:
    clara = sign_in(browser, live_server.url, "clara@kommunal-it.example")
    mine = clara.get_by_role("region", name="Meine Anbindungsvorhaben")
    expect(mine).to_contain_text("Schritt 1 von 5")
    # The next action is one click away: the open item on its step page.
    mine.get_by_role("link", name=re.compile("^Behörde: ")).click()
    expect(clara).to_have_url(re.compile(rf"/vorhaben/{SLUG}/schritt/1/#item-"))
    clara.go_back()
    # In the latest activity the onboarding's name opens the onboarding, not its trail.
    activity = clara.get_by_role("region", name="Letzte Aktivitäten in Ihren Anbindungsvorhaben")
    activity.get_by_role("link", name="Gewerbeanmeldung", exact=True).first.click()
    expect(clara.get_by_role("heading", level=1)).to_have_text("Gewerbeanmeldung")
    assert clara.url.endswith(f"/vorhaben/{SLUG}/")
    clara.go_back()
    activity.get_by_role("link", name="Änderungsprotokoll (Gewerbeanmeldung)").first.click()
    expect(clara).to_have_url(re.compile(rf"/vorhaben/{SLUG}/protokoll/$"))
    clara.goto(live_server.url)
    mine.get_by_role("link", name="Gewerbeanmeldung", exact=True).click()
    expect(clara.get_by_role("heading", level=1)).to_have_text("Gewerbeanmeldung")
    clara.goto(live_server.url)
    assert_accessible(clara, "home with my onboardings")


def test_step_three_points_to_the_connection_check_from_the_top(
    browser: Browser, live_server: Any, world: World
) -> None:
    record(world.onboarding, Environment.TEST)
    run = VerificationRun.objects.create(
        onboarding=world.onboarding,
        environment="test",
        started_by=world.provider_staff,
        status=VerificationRun.Outcome.FAILED,
        finished_at=timezone.now(),
        results=[{"check": "token", "status": "failed", "evidence": {}}],
    )
    clara = sign_in(browser, live_server.url, "clara@kommunal-it.example")
    clara.goto(f"{live_server.url}/vorhaben/{SLUG}/schritt/3/")
    shortcut = clara.locator("#verify-shortcut")
    when = timezone.localtime(run.started_at).strftime("%d.%m.%Y, %H:%M")
    expect(shortcut).to_contain_text(f"Test: letzte Prüfung am {when} Fehlgeschlagen")
    # It comes before the checklist, in the first screen.
    top = shortcut.bounding_box()
    checklist = clara.get_by_role("heading", name="Checkliste", exact=True).bounding_box()
    assert top is not None
    assert checklist is not None
    assert top["y"] < checklist["y"]
    shortcut.get_by_role("link", name="Zur Verbindungsprüfung").click()
    expect(clara).to_have_url(re.compile("#verbindung$"))
    expect(clara.get_by_role("heading", name="Verbindung prüfen", exact=True)).to_be_in_viewport()
    assert_accessible(clara, "step 3 with the connection check shortcut")


def test_the_overviews_filters_fill_their_frames_and_rows_stay_short(
    browser: Browser, live_server: Any, world: World
) -> None:
    anna = sign_in(browser, live_server.url, "anna@musterstadt.example")
    anna.goto(f"{live_server.url}/vorhaben/")
    # Each select fills its frame, so the chevron sits at the select's edge.
    for label in ("Behörde", "IT-Dienstleister", "Aktueller Schritt", "Abnahme"):
        select = anna.get_by_label(label, exact=True)
        frame = select.locator("xpath=..")
        inner, outer = select.bounding_box(), frame.bounding_box()
        assert inner is not None
        assert outer is not None
        assert abs(inner["width"] - outer["width"]) <= 1, label
    # Search and date look like every other input; the date is a date picker.
    search = anna.get_by_label("Suche im Namen")
    expect(search).to_have_class(re.compile("kern-form-input__input"))
    date = anna.get_by_label("Geplanter Produktivstart vor dem")
    expect(date).to_have_attribute("type", "date")
    expect(date).to_have_class(re.compile("kern-form-input__input"))
    date.fill("2027-12-31")
    anna.get_by_role("button", name="Anzeigen").click()
    expect(anna).to_have_url(re.compile("go_live_before=2027-12-31"))
    expect(anna.get_by_label("Geplanter Produktivstart vor dem")).to_have_value("2027-12-31")
    # The three sign-offs take three short lines, not three badges; screen readers hear words.
    anna.goto(f"{live_server.url}/vorhaben/")
    row = anna.get_by_role("row", name=re.compile("Gewerbeanmeldung"))
    expect(row.locator(".portal-signoff-line")).to_match_aria_snapshot(
        "- list:\n"
        '  - listitem: "Test: Noch nicht erklärt"\n'
        '  - listitem: "Referenz: Noch nicht erklärt"\n'
        '  - listitem: "Produktiv: Noch nicht erklärt"'
    )
    box = row.bounding_box()
    assert box is not None
    assert box["height"] < 150, f"a row is {box['height']} px tall"
    assert_accessible(anna, "overview with compact sign-offs")
