"""The dashboard's filters and period, and its tables as CSV and XLSX with them applied."""

from __future__ import annotations

import csv
import io
from datetime import date

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from checklist.models import Onboarding
from portal.models import Organisation
from tests.conftest import World, make_onboarding


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _darmstadt(world: World) -> None:
    """Two onboardings in Darmstadt (Kreis 06411) beside Musterstadt's (064350014014)."""
    darmstadt = Organisation.objects.create(
        name="Stadt Darmstadt", slug="darmstadt", kind="authority", ars="064110000000"
    )
    for number, step in ((1, 3), (2, 1)):
        onboarding = make_onboarding(
            darmstadt, None, world.authority_admin, f"darmstadt-{number}", f"Verfahren {number}"
        )
        Onboarding.objects.filter(pk=onboarding.pk).update(
            current_step=step, target_go_live=date(2027, 2, 10)
        )


FILTERS = {"region": "06411", "period_from": "2027-01-01", "period_to": "2027-03-31"}


def test_the_filters_narrow_every_figure_and_its_overview_link(world: World) -> None:
    _darmstadt(world)
    html = signed_in(world.coordinator).get(reverse("dashboard"), FILTERS).content.decode()
    funnel = html.split('id="funnel-heading"')[1].split("</section>")[0]
    overview = reverse("overview")
    assert f'href="{overview}?region=06411&amp;step=3">1 von 2 Vorhaben' in funnel
    go_lives = html.split('id="go-live-caption"')[1].split("</table>")[0]
    months = [part.split("</th>")[0] for part in go_lives.split('scope="row">')[1:]]
    assert months == ["Januar 2027", "Februar 2027", "März 2027"]
    # Unfiltered: all three onboardings of Hessen.
    html = signed_in(world.coordinator).get(reverse("dashboard")).content.decode()
    assert f'href="{overview}?step=3">1 von 3 Vorhaben' in html


def test_a_period_ending_before_it_starts_is_refused_at_the_field(world: World) -> None:
    response = signed_in(world.coordinator).get(
        reverse("dashboard"), {"period_from": "2027-05-01", "period_to": "2027-01-01"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Das Ende des Zeitraums darf nicht vor seinem Beginn liegen." in html
    assert "<title>Fehler:" in html


def test_the_dashboard_tables_as_csv_with_the_filters_and_period(world: World) -> None:
    _darmstadt(world)
    response = signed_in(world.coordinator).get(reverse("dashboard_csv"), FILTERS)
    assert response["Content-Disposition"].startswith('attachment; filename="steuerung-')
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert ["Filter", "Region (ARS eines Landes oder Kreises): 06411"] in rows
    assert ["Go-lives je Monat", "01/2027 – 03/2027"] in rows
    assert ["Gezählte Anbindungsvorhaben", "2"] in rows
    steps = rows.index(["Anbindungsvorhaben nach aktuellem Schritt"])
    assert rows[steps + 1] == ["Kennzahl", "Anbindungsvorhaben", "Von", "Anteil (%)"]
    assert ["Schritt 3", "1", "2", "50"] in rows[steps:]
    go_lives = rows.index(["Go-lives je Monat"], steps)
    assert rows[go_lives + 2 : go_lives + 5] == [
        ["01/2027", "0", "0"],
        ["02/2027", "2", "0"],
        ["03/2027", "0", "0"],
    ]
    assert "Gewerbeanmeldung" not in text  # Musterstadt is outside the region


def test_the_dashboard_tables_as_xlsx_one_sheet_each(world: World) -> None:
    _darmstadt(world)
    response = signed_in(world.coordinator).get(reverse("dashboard_xlsx"), FILTERS)
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[0] == "Steuerung"
    assert "Go-lives je Monat" in workbook.sheetnames
    steps = [list(row) for row in workbook["Anbindungsvorhaben nach aktuell"].values]
    assert ["Schritt 3", 1, 2, 50] in steps
    go_lives = [list(row) for row in workbook["Go-lives je Monat"].values]
    assert go_lives[1:] == [["01/2027", 0, 0], ["02/2027", 2, 0], ["03/2027", 0, 0]]
