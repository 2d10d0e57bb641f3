"""The overview as CSV and XLSX: the rows of the filtered overview, nobody else's."""

from __future__ import annotations

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


def _darmstadt(world: World) -> Onboarding:
    darmstadt = Organisation.objects.create(
        name="Stadt Darmstadt", slug="darmstadt", kind="authority", ars="064110000000"
    )
    onboarding = make_onboarding(darmstadt, None, world.authority_admin, "da-kfz", "Kfz Darmstadt")
    Onboarding.objects.filter(pk=onboarding.pk).update(target_go_live=date(2027, 3, 31))
    return onboarding


def test_the_csv_holds_the_filtered_rows_as_german_spreadsheets_open_it(world: World) -> None:
    _darmstadt(world)
    response = signed_in(world.coordinator).get(reverse("overview_csv"), {"region": "06411"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Fachverfahren;Behörde;Amtlicher Regionalschlüssel (ARS);")
    assert len(lines) == 2
    assert lines[1].startswith(
        "Kfz Darmstadt;Stadt Darmstadt;064110000000;in Eigenregie;Schritt 1;"
    )
    assert "31.03.2027" in lines[1]


def test_the_xlsx_holds_the_filtered_rows_with_dates_as_dates(world: World) -> None:
    _darmstadt(world)
    response = signed_in(world.coordinator).get(reverse("overview_xlsx"), {"region": "06"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Fachverfahren"
    names = sorted(row[0] for row in rows[1:])
    assert names == ["Gewerbeanmeldung", "Kfz Darmstadt"]
    darmstadt = next(row for row in rows if row[0] == "Kfz Darmstadt")
    assert darmstadt[6].date() == date(2027, 3, 31)  # a date cell, not a text


def test_an_authority_exports_only_its_own_onboardings(world: World) -> None:
    _darmstadt(world)
    response = signed_in(world.authority_admin).get(reverse("overview_csv"))
    text = b"".join(response.streaming_content).decode("utf-8")
    assert "Gewerbeanmeldung" in text
    assert "Kfz Darmstadt" not in text


def test_a_name_that_looks_like_a_formula_is_exported_as_text(world: World) -> None:
    Onboarding.objects.filter(pk=world.onboarding.pk).update(name='=HYPERLINK("x")')
    response = signed_in(world.authority_admin).get(reverse("overview_xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sheet.cell(row=2, column=1).value == '\'=HYPERLINK("x")'
