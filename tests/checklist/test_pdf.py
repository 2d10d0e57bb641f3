"""The checklist PDF: accessible structure, content, escaping, and no fetching beyond our files."""

from __future__ import annotations

import io
import logging
import re
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from checklist import catalogue, export, services
from checklist.models import Leistung
from checklist.pdf import RefusedURL, static_path
from checklist.signoff import refresh_signoffs
from tests.checklist.helpers import signed_off_test
from tests.conftest import World

SLUG = "musterstadt-gewerbe"


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def signed_off(world: World) -> World:
    signed_off_test(world.onboarding, world.provider_staff, world.authority_staff)
    world.onboarding.responsible_name = "Anna Amtmann"
    world.onboarding.save()
    return world


def test_participants_download_the_record_and_outsiders_get_404(world: World) -> None:
    client = Client()
    client.force_login(world.provider_staff)
    response = client.get(reverse("onboarding_pdf", args=[SLUG]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="checkliste-musterstadt-gewerbe-'
    )
    assert response.content.startswith(b"%PDF-")
    outsider = Client()
    outsider.force_login(world.outsider)
    assert outsider.get(reverse("onboarding_pdf", args=[SLUG])).status_code == 404


def test_pdf_is_tagged_pdf_ua_with_language_title_and_embedded_fonts(signed_off: World) -> None:
    pdf = export.export_record(signed_off.onboarding)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        root = document.Root
        assert bool(root.MarkInfo.Marked) is True
        assert "/StructTreeRoot" in root
        assert str(root.Lang) == "de"
        assert bool(root.ViewerPreferences.DisplayDocTitle) is True
        assert (
            str(document.docinfo["/Title"]) == "Checkliste und Go-live-Protokoll: Gewerbeanmeldung"
        )
        xmp = root.Metadata.read_bytes().decode()
        assert "pdfuaid:part" in xmp
        fonts = set()
        for page in document.pages:
            for font in page.Resources.Font.values():
                descriptor = font.get("/FontDescriptor") or font.DescendantFonts[0].FontDescriptor
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                fonts.add(str(font.BaseFont).split("+")[-1])
        assert any(name.startswith("Fira-Sans") for name in fonts), fonts
        # tables carry header cells and captions in the structure tree
        roles = set()

        def walk(node: Any, depth: int = 0) -> None:
            if depth > 60 or not isinstance(node, pikepdf.Dictionary):
                return
            if "/S" in node:
                roles.add(str(node.S))
            kids = node.get("/K")
            if isinstance(kids, pikepdf.Array):
                for kid in kids:
                    walk(kid, depth + 1)
            elif isinstance(kids, pikepdf.Dictionary):
                walk(kids, depth + 1)

        walk(root.StructTreeRoot)
        assert {"/Table", "/TH", "/TD", "/Caption", "/H1", "/H2"} <= roles


def test_pdf_text_has_umlauts_keys_sign_off_and_approver(signed_off: World, tmp_path: Path) -> None:
    text = pdf_text(export.export_record(signed_off.onboarding), tmp_path)
    assert "Konzeptionelle Vorüberlegungen" in text
    assert "Schnittstellenimplementierung Empfänger" in text
    assert "99050012104000" in text
    assert "Bernd Beispiel" in text  # approved the Test sign-off
    assert "Clara Code" in text  # declared it and ticked items
    assert "abgenommen" in text
    signoff = signed_off.onboarding.signoffs.get()
    assert signoff.snapshot_sha256 in text.replace(" ", "").replace("\n", "")
    assert "Stand der Daten" in text
    assert "Anna Amtmann" in text
    assert "Seite 1 von" in text
    assert "Brief" in text  # no reply channel recorded
    assert "Ort, Datum, Unterschrift" in text


def test_an_invalidated_sign_off_is_marked_invalid_in_the_pdf(
    signed_off: World, tmp_path: Path
) -> None:

    leistung = signed_off.onboarding.leistungen.get()
    leistung.schema_uri = "https://schema.fitko.de/fim/s00000096_1.0.schema.json"
    leistung.save()
    refresh_signoffs(signed_off.onboarding, signed_off.authority_admin)
    text = pdf_text(export.export_record(signed_off.onboarding), tmp_path)
    assert "ungültig – erneut prüfen" in text
    # The changed value in words, never its field path (leistungen.<key>.schema_uri).
    flat = " ".join(text.split())
    assert "Leistung 99050012104000: Schema-URI:" in flat
    assert "schema_uri" not in text


HOSTILE = [
    '<img src="file:///etc/passwd">',
    '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">',
    '<iframe src="http://127.0.0.1:9/"></iframe>',
    '<style>@import url("http://127.0.0.1:9/y.css");</style>',
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_user_text_is_escaped_and_fetches_nothing(
    world: World, tmp_path: Path, payload: str, caplog: pytest.LogCaptureFixture
) -> None:
    Leistung.objects.filter(onboarding=world.onboarding).update(name=f"Gewerbe {payload}")
    state = world.onboarding.item_states.get(key="step2.client")
    state.note = payload
    state.save()
    with caplog.at_level(logging.WARNING):
        pdf = export.export_record(world.onboarding)
    text = pdf_text(pdf, tmp_path)
    assert "root:x:0:0" not in text
    shown = "file:///etc/passwd" if "passwd" in payload else "127.0.0.1:9"
    assert shown in "".join(text.split())  # shown as text, not loaded
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refused == []  # escaped markup never even reaches the fetcher


def test_the_fetcher_serves_static_files_only(settings: Any) -> None:
    assert static_path("https://anbindungsportal.invalid/static/css/pdf.css").name == "pdf.css"
    for url in [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "https://anbindungsportal.invalid/static/../../etc/passwd",
        "https://anbindungsportal.invalid/static/%2e%2e/portal/settings.py",
        "https://anbindungsportal.invalid/admin/",
        "data:text/css,body{}",
    ]:
        with pytest.raises(RefusedURL):
            static_path(url)


def test_blank_checklist_lists_every_catalogue_item(
    db: None, tmp_path: Path, client: Client
) -> None:
    def words(value: str) -> str:
        # pdftotext joins lines and drops a hyphen at a line break: compare letters only
        return re.sub(r"[\s\-]", "", value)

    text = words(pdf_text(export.export_blank(), tmp_path))
    for item in catalogue.load().items:
        assert words(item.title_de) in text
    assert text.count("☐") >= len(catalogue.load().items)


def test_blank_checklist_link_on_the_home_page(world: World) -> None:
    client = Client()
    client.force_login(world.authority_staff)
    assert reverse("blank_pdf") in client.get(reverse("home")).content.decode()
    response = client.get(reverse("blank_pdf"))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


def test_command_writes_the_pdf_and_refuses_unknown_onboardings(
    world: World, tmp_path: Path
) -> None:
    target = tmp_path / "record.pdf"
    call_command("export_checklist", SLUG, "--output", str(target), stdout=io.StringIO())
    assert target.read_bytes().startswith(b"%PDF-")
    call_command(
        "export_checklist", str(world.onboarding.pk), "--output", str(target), stdout=io.StringIO()
    )
    with pytest.raises(CommandError, match="no onboarding 'gibt-es-nicht'"):
        call_command("export_checklist", "gibt-es-nicht", "--output", str(target))
    blank = tmp_path / "blank.pdf"
    call_command("export_checklist", "--blank", "--output", str(blank), stdout=io.StringIO())
    assert blank.read_bytes().startswith(b"%PDF-")


def test_an_unchanged_onboarding_is_served_from_the_cache_without_rendering(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from checklist import services as checklist_services

    client = Client()
    client.force_login(world.provider_staff)
    first = client.get(reverse("onboarding_pdf", args=[SLUG]))
    assert first.content.startswith(b"%PDF-")

    renders: list[str] = []

    def counting(html: str) -> bytes:
        renders.append(html)
        return b"%PDF-1.7 new"

    monkeypatch.setattr(export, "render_html_to_pdf", counting)
    again = Client()
    again.force_login(world.authority_admin)  # another person gets the same file
    assert again.get(reverse("onboarding_pdf", args=[SLUG])).content == first.content
    assert renders == []
    # A change to what the PDF shows makes a new one.
    item = catalogue.load().by_key()["step2.client"]
    checklist_services.set_item_done(world.onboarding, item, True, world.provider_staff)
    assert client.get(reverse("onboarding_pdf", args=[SLUG])).content == b"%PDF-1.7 new"
    assert len(renders) == 1


def test_a_new_pdf_is_rendered_by_the_worker_while_the_page_polls(
    world: World, settings: Any
) -> None:
    from checklist.models import PdfExport

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    client = Client()
    client.force_login(world.provider_staff)
    response = client.get(reverse("onboarding_pdf", args=[SLUG]))
    pending = PdfExport.objects.get()
    status = reverse("pdf_status", args=[SLUG, pending.pk])
    assert response["Location"] == status
    page = client.get(status).content.decode()
    assert "Das PDF wird erstellt" in page
    assert f'hx-get="{status}" hx-trigger="every 1s"' in page
    export.render_export(pending.pk)  # what the background worker does
    ready = client.get(status, headers={"hx-request": "true"}).content.decode()
    assert reverse("pdf_download", args=[SLUG, pending.pk]) in ready
    assert "hx-trigger" not in ready
    download = client.get(reverse("pdf_download", args=[SLUG, pending.pk]))
    assert download.content.startswith(b"%PDF-")


def test_every_header_of_the_checklist_table_stays_inside_the_page(
    signed_off: World, tmp_path: Path
) -> None:
    path = tmp_path / "record.pdf"
    path.write_bytes(export.export_record(signed_off.onboarding))
    html = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    words = re.findall(r'<word xMin="([\d.]+)"[^>]*xMax="([\d.]+)"[^>]*>([^<]+)</word>', html)
    headers = [(float(right), word) for _left, right, word in words if word == "Kommentare"]
    assert headers  # the header of every step's table
    right_edge = (210 - 18) / 25.4 * 72  # A4 minus the right margin of 18 mm, in points
    assert all(right <= right_edge for right, _word in headers), headers


def flat(text: str) -> str:
    """The text without spaces, line breaks and hyphens: pdftotext breaks long lines anywhere
    and joins a hyphen at a line break (fit-connect: fitconnect)."""
    return "".join(text.split()).replace("-", "")


def test_the_pdf_carries_the_same_evidence_lines_as_the_approval_e_mail_and_what_it_froze(
    signed_off: World, tmp_path: Path
) -> None:
    from notifications.models import Kind, Notification

    told = Notification.objects.filter(kind=Kind.SIGNOFF_APPROVED).first()
    assert told is not None
    lines = told.params["evidence"]
    assert lines[0].startswith("5 von 5 Prüfpunkten durch eine Verbindungsprüfung gegen Test")
    text = pdf_text(export.export_record(signed_off.onboarding), tmp_path)
    assert "Worauf die Abnahme von Test beruht" in text
    for line in lines:
        assert flat(line) in flat(text)
    # What the approval froze, in words, grouped; the hash stays for the record.
    assert "Mit der Abnahme von Test festgeschriebene Werte" in text
    record = signed_off.onboarding.environments.get(environment="test")
    for words in (
        "Leistung 99050012104000: Gewerbe anmelden",
        "Datenschema FIM: https://schema.fitko.de/fim/s00000092_1.0.schema.json",
        "Zustellpunkt und Client",
        f"Zustellpunkt-ID {record.destination_id}",
        "Version 1",
    ):
        assert flat(words) in flat(text), words
    signoff = signed_off.onboarding.signoffs.get()
    assert signoff.snapshot_sha256 in flat(text)
    assert "destination_id" not in text


def test_hand_evidence_the_operator_allowed_and_demo_runs_are_named_in_plain_words(
    world: World, tmp_path: Path
) -> None:
    from checklist.models import Environment, FitConnectEnvironment
    from checklist.signoff import declare_ready
    from checklist.state import OnboardingState
    from tests.checklist.helpers import complete_step_one, record, tick_step

    onboarding = world.onboarding
    complete_step_one(onboarding)
    record(onboarding, Environment.TEST)
    tick_step(onboarding, 2, world.provider_staff)
    FitConnectEnvironment.objects.filter(key="test").update(
        hand_evidence_allowed=True, hand_evidence_reason="Netzwerkregeln des Rechenzentrums"
    )
    state = OnboardingState(onboarding)
    for item in catalogue.load().for_step(3):
        if item.kind.proven_by_run and state.visible(item):
            services.set_item_done(
                onboarding, item, True, world.provider_staff, reason="Im Fachverfahren geprüft"
            )
        elif item.kind.tickable and item.required and state.visible(item):
            services.set_item_done(onboarding, item, True, world.provider_staff)
    declare_ready(onboarding, Environment.TEST, world.provider_staff)
    text = flat(pdf_text(export.export_record(onboarding), tmp_path))
    assert flat("0 von 5 Prüfpunkten durch eine Verbindungsprüfung gegen Test belegt") in text
    assert flat("Das Portal kann Test nicht selbst prüfen") in text
    assert flat("Angegebener Grund: Netzwerkregeln des Rechenzentrums") in text
    assert flat("von Clara Code am") in text
    assert flat("Begründung: Im Fachverfahren geprüft") in text
    # Declared, not approved: nothing frozen yet.
    assert flat("festgeschriebene Werte") not in text


def test_a_run_of_demo_material_is_marked_as_such_in_the_evidence(
    world: World, tmp_path: Path
) -> None:
    from checklist.models import Environment, VerificationRun
    from checklist.signoff import declare_ready
    from tests.checklist.helpers import ready_for_test

    ready_for_test(world.onboarding, world.provider_staff)
    VerificationRun.objects.filter(onboarding=world.onboarding).update(demo=True)
    declare_ready(world.onboarding, Environment.TEST, world.provider_staff)
    text = flat(pdf_text(export.export_record(world.onboarding), tmp_path))
    assert flat("(Demo-Material: Es wurde nicht wirklich geprüft)") in text
    assert flat("Submission API Version 1") in text
