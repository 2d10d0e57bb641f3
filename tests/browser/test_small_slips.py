"""Small slips a user noticed: counters screen readers never heard, a run box re-read whole
inside a live region, inbox titles smaller than their text, English and doubled words."""

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


def test_a_tick_announces_the_new_count_of_the_step(
    browser: Browser, live_server: Any, world: World
) -> None:
    clara = sign_in(browser, live_server.url, "clara@kommunal-it.example")
    clara.goto(f"{live_server.url}/vorhaben/{SLUG}/schritt/2/")
    clara.locator("#toggle-step2-client").click()
    messages = clara.locator("#messages")
    expect(messages).to_have_attribute("aria-live", "polite")
    expect(messages).to_contain_text(re.compile(r"Dieser Schritt: 1 von \d+ Pflichtpunkten"))


def test_a_running_check_is_announced_once_per_step_not_as_a_whole_box(
    browser: Browser, live_server: Any, world: World
) -> None:
    record(world.onboarding, Environment.TEST)
    run = VerificationRun.objects.create(
        onboarding=world.onboarding, environment="test", started_by=world.provider_staff
    )
    clara = sign_in(browser, live_server.url, "clara@kommunal-it.example")
    clara.goto(f"{live_server.url}/vorhaben/{SLUG}/schritt/3/")
    # The box the poll replaces is no live region; a short status line beside it is.
    box = clara.locator("#verify-results-test")
    expect(box.locator(f"#run-{run.pk}")).to_be_visible()
    assert box.get_attribute("aria-live") is None
    assert clara.locator("#verify-results-test [aria-live]").count() == 0
    status = clara.locator("#verify-status-test")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_text("")
    run.results = [{"check": "token", "status": "ok", "evidence": {}}]
    run.save(update_fields=["results"])
    expect(status).to_have_text(re.compile(r"^Prüfung läuft: 1 von \d+ Prüfungen erledigt$"))
    VerificationRun.objects.filter(pk=run.pk).update(
        status=VerificationRun.Outcome.OK, finished_at=timezone.now()
    )
    expect(status).to_contain_text("Ergebnis: Alle Prüfungen bestanden")
    assert_accessible(clara, "step 3 after a check")


def test_the_run_page_speaks_german_and_no_item_says_optional_twice(
    browser: Browser, live_server: Any, world: World
) -> None:
    record(world.onboarding, Environment.TEST)
    run = VerificationRun.objects.create(
        onboarding=world.onboarding,
        environment="test",
        started_by=world.provider_staff,
        status=VerificationRun.Outcome.OK,
        finished_at=timezone.now(),
        hosts=["token.fitko.example"],
        api_version="v1",
    )
    clara = sign_in(browser, live_server.url, "clara@kommunal-it.example")
    clara.goto(f"{live_server.url}/vorhaben/{SLUG}/pruefungen/{run.pk}/")
    expect(clara.get_by_role("main")).to_contain_text(
        "token.fitko.example, über die Submission API in Version 1"
    )
    clara.goto(f"{live_server.url}/vorhaben/{SLUG}/schritt/3/")
    routing = clara.locator("#item-step3-routing")
    expect(routing).to_contain_text("Routing-Eintrag in der Testumgebung")
    expect(routing.get_by_role("heading", level=3)).not_to_contain_text("Optional")


def test_inbox_titles_are_headings_at_least_as_large_as_their_text(
    browser: Browser, live_server: Any, world: World
) -> None:
    from checklist import catalogue, services

    item = catalogue.load().by_key()["step2.client"]
    services.assign_item(world.onboarding, item, world.provider_staff, world.authority_admin)
    clara = sign_in(browser, live_server.url, "clara@kommunal-it.example")
    clara.goto(f"{live_server.url}/benachrichtigungen/")
    entry = clara.locator(".portal-task").first
    title = entry.get_by_role("heading", level=2).get_by_role("button")
    body = entry.locator("p.kern-body").first
    expect(title).to_contain_text("ist Ihnen zugewiesen")

    def size(locator: Any) -> float:
        return float(locator.evaluate("(e) => parseFloat(getComputedStyle(e).fontSize)"))

    assert size(title) >= size(body)
    assert_accessible(clara, "inbox with headings")
