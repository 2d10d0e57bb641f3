"""The overview's saved filters and the waiting page of a large export, in the browser."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from checklist.models import FileExport
from tests.browser.conftest import assert_accessible
from tests.browser.test_coordination import sign_in_coordinator
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_save_a_filter_apply_it_and_delete_it(
    browser: Browser, live_server: Any, world: World
) -> None:
    page = sign_in_coordinator(browser, live_server.url)
    page.goto(f"{live_server.url}/vorhaben/?step=1")
    page.get_by_role("link", name="Diesen Filter speichern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Filter speichern")
    assert_accessible(page, "save-filter")
    page.get_by_label("Name des Filters").fill("Schritt eins")
    page.get_by_role("button", name="Filter speichern").click()
    expect(page.get_by_text("Der Filter „Schritt eins“ ist gespeichert.")).to_be_visible()
    assert_accessible(page, "overview-saved-filters")
    page.goto(f"{live_server.url}/vorhaben/")
    page.get_by_role("link", name="Schritt eins").click()
    expect(page.get_by_label("Aktueller Schritt")).to_have_value("1")
    page.get_by_role("button", name="„Schritt eins“ löschen").click()
    expect(page.get_by_text("Der gespeicherte Filter ist gelöscht.")).to_be_visible()
    expect(page.get_by_role("link", name="Schritt eins")).to_have_count(0)


def test_the_waiting_page_of_a_large_export(
    browser: Browser, live_server: Any, world: World
) -> None:
    export = FileExport.objects.create(
        requested_by=world.coordinator, organisation=world.coordination, format="xlsx"
    )
    page = sign_in_coordinator(browser, live_server.url)
    page.goto(f"{live_server.url}/vorhaben/export/{export.pk}/")
    expect(page.locator("#export-status")).to_contain_text("im Hintergrund erstellt")
    assert_accessible(page, "export-wait")


def test_the_management_report_from_the_dashboard(
    browser: Browser, live_server: Any, world: World
) -> None:
    page = sign_in_coordinator(browser, live_server.url)
    page.get_by_role("link", name="Management-Bericht als PDF").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Management-Bericht als PDF")
    assert_accessible(page, "management-report")
    with page.expect_download() as download:
        page.get_by_role("button", name="Bericht erstellen").click()
    assert download.value.suggested_filename.startswith("management-bericht-")
    assert FileExport.objects.get().format == "pdf"
