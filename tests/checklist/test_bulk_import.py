"""Bulk creation of onboardings from CSV and XLSX: a preview with one German message per bad
row; a file with a bad row creates nothing; a good one creates all, one audit entry each."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from checklist.models import AuditEvent, Onboarding
from tests.conftest import World

HEADER = "Behörde;Fachverfahren;IT-Dienstleister;Ziel-Go-live"


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _csv(*lines: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "vorhaben.csv", ("\ufeff" + "\n".join([HEADER, *lines])).encode(), "text/csv"
    )


def _upload(client: Client, upload: SimpleUploadedFile) -> str:
    response = client.post(reverse("onboarding_import"), {"file": upload})
    assert response.status_code == 200
    return response.content.decode()


def _next_year() -> str:
    return (timezone.localdate() + timedelta(days=365)).strftime("%d.%m.%Y")


def test_a_file_with_one_bad_row_creates_nothing_and_names_the_row(world: World) -> None:
    client = signed_in(world.coordinator)
    before = Onboarding.objects.count()
    html = _upload(
        client,
        _csv(
            f"064350014014;Wohngeld;Kommunal-IT GmbH;{_next_year()}",
            "Stadt Musterstadt;Hundesteuer;;",
            "Landkreis Beispiel;Kfz-Zulassung;in Eigenregie;",  # not in Hessen's area
        ),
    )
    assert "1 Zeile ist fehlerhaft: nichts wurde angelegt" in html
    assert "Zeile 4: Keine Behörde Ihres Bereichs heißt „Landkreis Beispiel“." in html
    assert 'name="payload"' not in html  # nothing to confirm
    assert Onboarding.objects.count() == before


def test_every_wrong_cell_gets_its_german_reason(world: World) -> None:
    html = _upload(
        signed_in(world.coordinator),
        _csv(
            "099999999999;A;;",
            "Stadt Musterstadt;Gewerbeanmeldung;;",  # exists already
            "Stadt Musterstadt;B;Unbekannt GmbH;",
            "Stadt Musterstadt;C;;31.02.2030",
            "Stadt Musterstadt;D;;01.01.2020",
            "Stadt Musterstadt;;;",
        ),
    )
    for reason in (
        "Zeile 2: Keine Behörde Ihres Bereichs hat den ARS 099999999999.",
        "Zeile 3: Stadt Musterstadt hat bereits ein Anbindungsvorhaben „Gewerbeanmeldung“.",
        "Zeile 4: Kein IT-Dienstleister im Portal heißt „Unbekannt GmbH“.",
        "Zeile 5: „31.02.2030“ ist kein Datum; bitte schreiben Sie es als TT.MM.JJJJ.",
        "Zeile 6: Das Ziel-Go-live-Datum liegt in der Vergangenheit.",
        "Zeile 7: Der Name des Fachverfahrens fehlt.",
    ):
        assert reason in html


def test_the_fixed_file_creates_every_onboarding_with_one_audit_entry_each(
    world: World,
) -> None:
    client = signed_in(world.coordinator)
    html = _upload(
        client,
        _csv(
            f"064350014014;Wohngeld;Kommunal-IT GmbH;{_next_year()}",
            "Stadt Musterstadt;Hundesteuer;in Eigenregie;",
        ),
    )
    assert "2 Anbindungsvorhaben anlegen" in html
    payload = re.search(r'name="payload" value="([^"]+)"', html)
    assert payload is not None
    response = client.post(reverse("onboarding_import"), {"payload": payload.group(1)})
    assert response.status_code == 302
    wohngeld = Onboarding.objects.get(authority=world.authority, name="Wohngeld")
    assert wohngeld.provider == world.provider
    assert wohngeld.target_go_live is not None
    hundesteuer = Onboarding.objects.get(authority=world.authority, name="Hundesteuer")
    assert hundesteuer.in_house
    for onboarding in (wohngeld, hundesteuer):
        created = AuditEvent.objects.filter(onboarding=onboarding, action=AuditEvent.Action.CREATED)
        assert [event.actor for event in created] == [world.coordinator]
    # Sent again (a second click): the names exist now, nothing is created twice.
    client.post(reverse("onboarding_import"), {"payload": payload.group(1)})
    assert Onboarding.objects.filter(name="Wohngeld").count() == 1


def test_an_excel_file_is_read_with_its_date_cells(world: World) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Behörde", "Fachverfahren", "IT-Dienstleister", "Ziel-Go-live"])
    go_live = date(timezone.localdate().year + 1, 6, 30)
    sheet.append(["064350014014", "Elterngeld", "", go_live])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("liste.xlsx", buffer.getvalue())
    html = _upload(signed_in(world.site_operator), upload)
    assert "1 Anbindungsvorhaben anlegen" in html
    assert go_live.strftime("%d.%m.%Y") in html


def test_a_file_that_is_no_table_is_refused_at_the_field(world: World) -> None:
    html = _upload(signed_in(world.coordinator), SimpleUploadedFile("liste.xlsx", b"kein Excel"))
    assert "Die Datei ist keine Excel-Arbeitsmappe (XLSX)." in html
    html = _upload(signed_in(world.coordinator), SimpleUploadedFile("liste.pdf", b"%PDF"))
    assert "Bitte laden Sie eine CSV- oder Excel-Datei (XLSX) hoch." in html


def test_only_office_administrators_and_operators_import(world: World) -> None:
    staff = world.coordinator.memberships.get()
    staff.role = "staff"
    staff.save()
    assert signed_in(world.coordinator).get(reverse("onboarding_import")).status_code == 404
    assert signed_in(world.authority_admin).get(reverse("onboarding_import")).status_code == 404
