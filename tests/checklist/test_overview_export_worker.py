"""Large overview exports go through the worker: a page that waits (htmx), then the file,
exactly as it was built, for the person who asked and nobody else."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from checklist import export_tasks
from checklist.models import FileExport
from portal.models import Membership, Organisation
from tests.conftest import World, make_onboarding


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two rows count as large: the tests need not create 2,000 onboardings."""
    monkeypatch.setattr(export_tasks, "INLINE_LIMIT", 2)


def _darmstadt(world: World, count: int) -> Organisation:
    darmstadt = Organisation.objects.create(
        name="Stadt Darmstadt", slug="darmstadt", kind="authority", ars="064110000000"
    )
    for number in range(count):
        make_onboarding(
            darmstadt, None, world.authority_admin, f"da-{number}", f"Verfahren {number}"
        )
    return darmstadt


def test_a_small_export_is_sent_at_once(world: World, small_limit: None) -> None:
    _darmstadt(world, 1)
    response = signed_in(world.coordinator).get(reverse("overview_xlsx"), {"region": "06411"})
    assert response.status_code == 200
    assert not FileExport.objects.exists()


def test_a_large_export_waits_for_the_worker_then_downloads_what_was_built(
    world: World, small_limit: None
) -> None:
    darmstadt = _darmstadt(world, 3)
    client = signed_in(world.coordinator)
    response = client.get(reverse("overview_xlsx"), {"region": "06411", "sort": "-name"})
    export = FileExport.objects.get()
    status_url = reverse("overview_export_status", args=[export.pk])
    assert response["Location"] == status_url
    # The worker (run at once in the tests) built it: the page leads to the download.
    page = client.get(status_url)
    download_url = reverse("overview_export_download", args=[export.pk])
    assert page["Location"] == download_url
    part = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert "Die Datei mit 3 Anbindungsvorhaben ist fertig." in part
    assert f'data-start-download="{download_url}"' in part
    # A fourth onboarding afterwards: the download is still the file as built.
    make_onboarding(darmstadt, None, world.authority_admin, "da-later", "Verfahren später")
    downloaded = client.get(download_url)
    assert downloaded["Cache-Control"] == "no-store"
    export.refresh_from_db()
    assert downloaded.content == bytes(export.content or b"")
    assert hashlib.sha256(downloaded.content).hexdigest() == export.content_sha256
    sheet = load_workbook(io.BytesIO(downloaded.content)).active
    assert sheet is not None
    names = [row[0] for row in sheet.iter_rows(values_only=True)][1:]
    assert names == ["Verfahren 2", "Verfahren 1", "Verfahren 0"]  # filtered and sorted


def test_the_waiting_page_polls_until_the_file_is_built(world: World) -> None:
    export = FileExport.objects.create(
        requested_by=world.coordinator, organisation=world.coordination, format="csv"
    )
    client = signed_in(world.coordinator)
    html = client.get(reverse("overview_export_status", args=[export.pk])).content.decode()
    assert "im Hintergrund erstellt" in html
    assert f'hx-get="{reverse("overview_export_status", args=[export.pk])}"' in html
    assert 'hx-trigger="every 1s"' in html
    # Not built yet: the download leads back to the waiting page.
    download = client.get(reverse("overview_export_download", args=[export.pk]))
    assert download["Location"] == reverse("overview_export_status", args=[export.pk])
    export_tasks.build_overview_export.call(export.pk)
    part = client.get(
        reverse("overview_export_status", args=[export.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "ist fertig" in part
    assert "hx-get" not in part


def test_only_the_person_who_asked_gets_the_file_and_only_while_a_member(
    world: World, small_limit: None
) -> None:
    _darmstadt(world, 3)
    signed_in(world.coordinator).get(reverse("overview_csv"), {"region": "06411"})
    export = FileExport.objects.get()
    assert export.ready
    text = bytes(export.content or b"").decode("utf-8-sig")
    assert text.count("\n") == 4  # the header and three rows
    download = reverse("overview_export_download", args=[export.pk])
    for other in (world.authority_admin, world.site_operator, world.outsider):
        assert signed_in(other).get(download).status_code == 404
    # Left the coordination office: the file is no longer hers.
    Membership.objects.filter(user=world.coordinator).delete()
    assert signed_in(world.coordinator).get(download).status_code == 404


def test_an_export_for_an_office_she_has_left_is_not_built(world: World) -> None:
    export = FileExport.objects.create(
        requested_by=world.coordinator, organisation=world.coordination, format="csv"
    )
    Membership.objects.filter(user=world.coordinator).delete()
    export_tasks.build_overview_export.call(export.pk)
    export.refresh_from_db()
    assert export.failed
    assert export.content is None


def test_built_files_are_kept_a_week(world: World, small_limit: None) -> None:
    old = FileExport.objects.create(requested_by=world.site_operator, format="csv")
    FileExport.objects.filter(pk=old.pk).update(requested_at=timezone.now() - timedelta(days=8))
    recent = FileExport.objects.create(requested_by=world.site_operator, format="csv")
    _darmstadt(world, 3)
    signed_in(world.coordinator).get(reverse("overview_csv"), {"region": "06411"})
    assert not FileExport.objects.filter(pk=old.pk).exists()
    assert FileExport.objects.filter(pk=recent.pk).exists()
