"""Both PDF links in Chromium while the PDF is still being rendered by the background worker.

A PDF is rendered by the worker; the first click after a change finds none yet. The link
must then open the waiting page in the browser (which starts the download once the PDF is
ready), never save that page as ``download.html``. Tasks are queued in the database here,
as in production, and the test runs the worker itself.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import Browser, Download, Page, expect

from checklist import catalogue
from checklist import services as checklist_services
from checklist.models import PdfExport
from tests.browser.conftest import assert_accessible, new_page
from tests.conftest import PASSWORD, World

# The worker runs in the test's thread while the live server answers requests
# in its own: on SQLite both share the test database's one in-memory connection ("cannot open
# savepoint - SQL statements in progress"), so these tests run on PostgreSQL (CI does both).
WORKER_BESIDE_SERVER = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="a worker beside the live server needs PostgreSQL (DATABASE_URL=postgres://…)",
)
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), WORKER_BESIDE_SERVER]
SLUG = "musterstadt-gewerbe"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def _queued_tasks() -> Any:
    with override_settings(TASKS=DATABASE_TASKS):
        yield


def run_worker() -> None:
    """What ``manage.py db_worker`` does in production: run every queued task."""
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", stdout=StringIO())


def sign_in(browser: Browser, base: str, email: str) -> tuple[Page, list[Download]]:
    page = new_page(browser, accept_downloads=True)
    downloads: list[Download] = []
    page.on("download", lambda download: downloads.append(download))
    page.goto(f"{base}/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Willkommen")
    return page, downloads


def assert_pdf(download: Download, name_start: str) -> None:
    assert download.suggested_filename.startswith(name_start)
    assert download.suggested_filename.endswith(".pdf")
    assert Path(download.path()).read_bytes().startswith(b"%PDF-")


def wait_then_download(page: Page, downloads: list[Download], name_start: str) -> None:
    """The waiting page is shown (no file saved); the worker renders; the PDF arrives."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkliste als PDF")
    expect(page.locator("#pdf-status")).to_contain_text("Das PDF wird erstellt")
    assert downloads == []  # the waiting page was not saved as a file
    assert_accessible(page, "pdf-wait")
    with page.expect_download() as started:
        run_worker()  # the page polls and starts the download by itself once it is ready
    assert_pdf(started.value, name_start)
    expect(page.locator("#pdf-status")).to_contain_text("Das PDF ist fertig")
    with page.expect_download() as again:
        page.get_by_role("link", name="PDF herunterladen").click()
    assert_pdf(again.value, name_start)


def test_the_checklist_pdf_link_right_after_a_change_waits_and_delivers_the_pdf(
    browser: Browser, live_server: Any, world: World
) -> None:
    anna, downloads = sign_in(browser, live_server.url, "anna@musterstadt.example")
    anna.goto(f"{live_server.url}/vorhaben/{SLUG}/")
    anna.get_by_role("link", name="Checkliste als PDF herunterladen").click()
    wait_then_download(anna, downloads, f"checkliste-{SLUG}-")

    # Unchanged: the cached PDF comes at once.
    anna.goto(f"{live_server.url}/vorhaben/{SLUG}/")
    with anna.expect_download() as cached:
        anna.get_by_role("link", name="Checkliste als PDF herunterladen").click()
    assert_pdf(cached.value, f"checkliste-{SLUG}-")

    # A change: the next click waits for a new render again, in the browser.
    item = catalogue.load().by_key()["step1.vpki"]
    checklist_services.set_item_done(world.onboarding, item, True, world.authority_admin)
    downloads.clear()
    anna.goto(f"{live_server.url}/vorhaben/{SLUG}/")
    anna.get_by_role("link", name="Checkliste als PDF herunterladen").click()
    wait_then_download(anna, downloads, f"checkliste-{SLUG}-")
    assert PdfExport.objects.filter(onboarding=world.onboarding).count() == 2


def test_the_blank_checklist_link_waits_and_delivers_the_pdf(
    browser: Browser, live_server: Any, world: World
) -> None:
    clara, downloads = sign_in(browser, live_server.url, "clara@kommunal-it.example")
    clara.get_by_role("link", name="Leere Checkliste als PDF").click()
    wait_then_download(clara, downloads, "checkliste-leer-")
