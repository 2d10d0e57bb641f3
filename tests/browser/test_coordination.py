"""The coordination office in the browser: from the dashboard to an onboarding and back."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from checklist.models import AuditEvent, EnvironmentRecord, Onboarding
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


def _csv(*rows: str) -> dict[str, Any]:
    text = "\n".join(["Behörde;Fachverfahren;IT-Dienstleister;Ziel-Go-live", *rows])
    return {"name": "vorhaben.csv", "mimeType": "text/csv", "buffer": text.encode()}


def test_export_xlsx_and_import_with_a_bad_row_then_fixed(
    browser: Browser, live_server: Any, world: World
) -> None:
    page = sign_in_coordinator(browser, live_server.url)
    page.get_by_role("link", name="Alle Anbindungsvorhaben in der Übersicht").click()
    page.get_by_label("Region (ARS eines Landes oder Kreises)").fill("06")
    page.get_by_role("button", name="Anzeigen").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Fachverfahren", "Behörde", "Amtlicher Regionalschlüssel (ARS)")
    assert [row[0] for row in rows[1:]] == ["Gewerbeanmeldung"]

    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Anbindungsvorhaben aus einer Datei anlegen").click()
    before = Onboarding.objects.count()
    next_year = (timezone.localdate() + timedelta(days=365)).strftime("%d.%m.%Y")
    page.get_by_label("Datei (CSV oder Excel)").set_input_files(
        _csv(
            f"064350014014;Wohngeld;Kommunal-IT GmbH;{next_year}",
            "Landkreis Beispiel;Hundesteuer;;",
        )
    )
    page.get_by_role("button", name="Datei prüfen").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("1 Zeile ist fehlerhaft: nichts wurde angelegt")
    expect(alert).to_contain_text(
        "Zeile 3: Keine Behörde Ihres Bereichs heißt „Landkreis Beispiel“."
    )
    assert_accessible(page, "import-preview")
    assert Onboarding.objects.count() == before
    page.get_by_label("Datei (CSV oder Excel)").set_input_files(
        _csv(
            f"064350014014;Wohngeld;Kommunal-IT GmbH;{next_year}",
            "Stadt Musterstadt;Hundesteuer;in Eigenregie;",
        )
    )
    page.get_by_role("button", name="Datei prüfen").click()
    page.get_by_role("button", name="2 Anbindungsvorhaben anlegen").click()
    expect(page.get_by_text("2 Anbindungsvorhaben wurden angelegt.")).to_be_visible()
    created = Onboarding.objects.filter(name__in=["Wohngeld", "Hundesteuer"])
    assert created.count() == 2
    events = AuditEvent.objects.filter(onboarding__in=created, action=AuditEvent.Action.CREATED)
    assert sorted(event.actor_id for event in events) == [world.coordinator.pk] * 2
