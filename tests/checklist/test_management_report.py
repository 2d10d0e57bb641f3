"""The management report: the dashboard's figures, charts and tables for a chosen month as
a PDF the worker builds; the text in it (pdftotext) carries the figures."""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from checklist import management_report
from checklist.models import FileExport, Onboarding, SignOff
from portal.models import Organisation
from tests.conftest import World, make_onboarding


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def pdf_text(pdf: bytes) -> str:
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    return re.sub(r"[ \t]+", " ", text)


def _month_before(today: date) -> date:
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def _area(world: World, month: date) -> None:
    """Hessen: Musterstadt (step 1), Darmstadt 1 (step 3, go-live planned in the month),
    Darmstadt 2 (live: production signed off in the month, 40 days after its start)."""
    darmstadt = Organisation.objects.create(
        name="Stadt Darmstadt", slug="darmstadt", kind="authority", ars="064110000000"
    )
    first = make_onboarding(darmstadt, None, world.authority_admin, "da-1", "Verfahren 1")
    Onboarding.objects.filter(pk=first.pk).update(
        current_step=3, target_go_live=month.replace(day=15)
    )
    live = make_onboarding(darmstadt, None, world.authority_admin, "da-2", "Verfahren 2")
    decided = timezone.make_aware(timezone.datetime(month.year, month.month, 20, 12, 0))
    Onboarding.objects.filter(pk=live.pk).update(
        current_step=None,
        signoff_production="approved",
        created_at=decided - timedelta(days=40),
    )
    SignOff.objects.create(
        onboarding=live,
        environment="production",
        state=SignOff.State.APPROVED,
        declared_at=decided - timedelta(days=1),
        decided_at=decided,
    )
    # Bayern: outside Kora's area, never in her report.
    muenchen = Organisation.objects.create(
        name="Stadt München", slug="muenchen", kind="authority", ars="091620000000"
    )
    make_onboarding(muenchen, None, world.authority_admin, "mu-1", "Kfz München")


MONTHS = management_report.MONTH_NAMES


def test_the_report_for_a_month_carries_the_dashboards_figures(world: World) -> None:
    month = _month_before(timezone.localdate())
    _area(world, month)
    client = signed_in(world.coordinator)
    page = client.get(reverse("management_report"))
    assert "Monat des Berichts" in page.content.decode()
    response = client.post(reverse("management_report"), {"month": f"{month:%Y-%m}"})
    export = FileExport.objects.get(format="pdf")
    assert response["Location"] == reverse("overview_export_status", args=[export.pk])
    download = client.get(reverse("overview_export_download", args=[export.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert f"management-bericht-{month:%Y-%m}.pdf" in download["Content-Disposition"]
    assert download.content == bytes(export.content or b"")
    text = pdf_text(download.content)
    name = f"{MONTHS[month.month - 1]} {month.year}"
    assert f"Management-Bericht {name}" in text
    assert "Koordinierungsstelle Hessen" in text
    assert "Gezählte Anbindungsvorhaben 3" in text
    # The month's go-lives: one planned, one done.
    assert "Geplant (Ziel-Go-live im Monat) 1 von 3 Vorhaben" in text
    assert "Erfolgt (Produktiv-Abnahme im Monat) 1 von 3 Vorhaben" in text
    # The funnel, the sign-offs and the median lead time, with their denominators.
    assert "Schritt 3 1 von 3 Vorhaben 33 %" in text
    assert "In Betrieb 1 von 3 Vorhaben 33 %" in text
    assert "Produktiv abgenommen 1 von 3 Vorhaben" in text
    assert "40 Tage Median aus 1 Vorhaben" in text
    # The charts are in it too (their titles), and the tables of the lists.
    assert "Anbindungsvorhaben nach aktuellem Schritt" in text
    assert "Go-lives je Monat" in text
    assert "Verbindungsprüfungen" in text
    assert "Kfz München" not in text


def test_the_report_keeps_the_dashboards_filters(world: World) -> None:
    month = _month_before(timezone.localdate())
    _area(world, month)
    client = signed_in(world.coordinator)
    dashboard = client.get(reverse("dashboard"), {"region": "06435"}).content.decode()
    assert f'href="{reverse("management_report")}?region=06435"' in dashboard
    client.post(f"{reverse('management_report')}?region=06435", {"month": f"{month:%Y-%m}"})
    export = FileExport.objects.get(format="pdf")
    text = pdf_text(bytes(export.content or b""))
    assert "Region (ARS eines Landes oder Kreises): 06435" in text
    assert "Gezählte Anbindungsvorhaben 1" in text
    assert "Schritt 1 1 von 1 Vorhaben" in text


def test_a_month_not_offered_is_refused_at_the_field(world: World) -> None:
    response = signed_in(world.coordinator).post(reverse("management_report"), {"month": "1999-01"})
    assert response.status_code == 200
    assert "Bitte wählen Sie einen der aufgeführten Monate." in response.content.decode()
    assert not FileExport.objects.exists()


def test_only_coordinators_and_operators_create_reports(world: World) -> None:
    for user in (world.authority_admin, world.provider_staff, world.outsider):
        response = signed_in(user).post(reverse("management_report"), {"month": "2026-01"})
        assert response.status_code == 404
    assert not FileExport.objects.exists()
