"""The coordination office's coverage page in Chromium: open it from the dashboard, upload the
expected regions, read the gaps, compare with FIT-Connect (the test sandbox), read the answers.

The first test runs the comparison with the tests' immediate task backend (in the request);
the second queues it in the database, as in production, and runs the worker itself while the
page polls (that needs PostgreSQL, see tests/browser/test_pdf_downloads.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from playwright.sync_api import Browser, expect

from checklist.models import ExpectedRegion, Onboarding, RoutingComparison
from fitconnect.sandbox import Sandbox
from tests.browser.conftest import assert_accessible
from tests.browser.test_coordination import sign_in_coordinator
from tests.browser.test_pdf_downloads import DATABASE_TASKS, WORKER_BESIDE_SERVER, run_worker
from tests.checklist.test_verification import point_sandbox_at
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _csv(*rows: str) -> dict[str, Any]:
    text = "\n".join(["ARS;Name", *rows])
    return {"name": "regionen.csv", "mimeType": "text/csv", "buffer": text.encode()}


def test_coordinator_uploads_regions_sees_gaps_and_compares_with_fit_connect(
    browser: Browser, live_server: Any, world: World, sandbox: Sandbox, settings: Any
) -> None:
    settings.COVERAGE_ROUTING_ENVIRONMENT = "sandbox"
    point_sandbox_at(sandbox.base)
    # Musterstadt's Gewerbeanmeldung is live (production signed off, the stored summary).
    Onboarding.objects.filter(pk=world.onboarding.pk).update(signoff_production="approved")
    page = sign_in_coordinator(browser, live_server.url)
    page.get_by_role("link", name="Abdeckung je Leistung und Region").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Abdeckung je Leistung")
    assert_accessible(page, "coverage-empty")
    upload = page.get_by_label("Erwartete Regionen (CSV oder Excel)")
    # One bad row: nothing is saved, the row is named.
    upload.set_input_files(_csv("06435;Main-Kinzig-Kreis", "6411;Darmstadt"))
    page.get_by_role("button", name="Regionen hochladen").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("1 Zeile ist fehlerhaft: nichts wurde gespeichert")
    expect(alert).to_contain_text("Zeile 3: „6411“ ist kein ARS")
    assert_accessible(page, "coverage-upload-error")
    page.get_by_label("Erwartete Regionen (CSV oder Excel)").set_input_files(
        _csv("06435;Main-Kinzig-Kreis", "06411;Stadt Darmstadt")
    )
    page.get_by_role("button", name="Regionen hochladen").click()
    expect(page.get_by_text("2 erwartete Regionen wurden gespeichert.")).to_be_visible()
    services = page.get_by_role("table", name="1 Leistung")
    # Musterstadt's connection covers Musterstadt, not the whole Main-Kinzig-Kreis.
    expect(services).to_contain_text("0 von 2 Regionen")
    gaps = page.get_by_role("table", name="2 Regionen ohne freigegebene Produktivanbindung")
    expect(gaps).to_contain_text("Main-Kinzig-Kreis")
    expect(gaps).to_contain_text("Stadt Darmstadt")
    assert_accessible(page, "coverage-gaps")
    services.get_by_role("link", name="1 Region").click()
    connected = page.get_by_role("table", name="1 Region mit freigegebener Produktivanbindung")
    expect(connected.get_by_role("row", name="Stadt Musterstadt")).to_contain_text("064350014014")
    assert_accessible(page, "coverage-regions")

    page.get_by_role("button", name="Mit FIT-Connect abgleichen").click()
    answers = page.get_by_role("table", name="Was die Routing API von FIT-Connect geantwortet hat")
    # The sandbox's demo destination serves Gewerbe anmelden in Musterstadt (Main-Kinzig-Kreis);
    # no onboarding records it for the sandbox, so the portal does not know it.
    expect(answers.get_by_role("row", name="Main-Kinzig-Kreis")).to_contain_text(
        "leitet an einen Zustellpunkt, den das Portal nicht kennt"
    )
    expect(answers.get_by_role("row", name="Stadt Darmstadt")).to_contain_text(
        "leitet nirgendwohin"
    )
    expect(page.get_by_text("Abgleich vom")).to_be_visible()
    assert_accessible(page, "coverage-compared")


@WORKER_BESIDE_SERVER
def test_the_comparison_shows_its_progress_and_then_its_answers_without_a_reload(
    browser: Browser, live_server: Any, world: World, sandbox: Sandbox, settings: Any
) -> None:
    settings.COVERAGE_ROUTING_ENVIRONMENT = "sandbox"
    point_sandbox_at(sandbox.base)
    ExpectedRegion.objects.create(office=world.coordination, ars="06435", name="Main-Kinzig-Kreis")
    ExpectedRegion.objects.create(office=world.coordination, ars="06411", name="Stadt Darmstadt")
    with override_settings(TASKS=DATABASE_TASKS):
        page = sign_in_coordinator(browser, live_server.url)
        page.goto(f"{live_server.url}/abdeckung/")
        page.get_by_role("button", name="Mit FIT-Connect abgleichen").click()
        panel = page.locator("#comparison")
        expect(panel).to_contain_text("Abgleich läuft: 0 von 2 Paaren abgefragt.")
        expect(page.get_by_role("button", name="Mit FIT-Connect abgleichen")).to_be_disabled()
        assert_accessible(page, "coverage-comparing")
        run_worker()
        assert RoutingComparison.objects.get().finished_at is not None
        # The panel polls and shows the answers in place.
        expect(panel).to_contain_text("Abgleich vom", timeout=10_000)
        expect(panel.get_by_role("row", name="Stadt Darmstadt")).to_contain_text(
            "leitet nirgendwohin"
        )
        assert_accessible(page, "coverage-compared-polled")
