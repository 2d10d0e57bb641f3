"""Archive copies: a PDF/A-3 of the record with its evidence embedded, kept byte for byte.

The structure is checked with pikepdf (veraPDF needs Java, not installed here): the XMP
metadata claims PDF/A-3B, an sRGB output intent is present, the evidence is an embedded
file with ``AFRelationship /Data`` listed in the catalogue's ``/AF`` array. That is what
PDF/A-3 asks of embedded files; it is not a full conformance validation.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.test import Client
from django.urls import reverse

from checklist import archive
from checklist.models import ArchiveCopy, AuditEvent, Environment, SignOff, VerificationRun
from checklist.signoff import approve, declare_ready
from tests.checklist.helpers import record, signed_off_test, tick_step
from tests.checklist.test_pdf import pdf_text
from tests.conftest import World

SLUG = "musterstadt-gewerbe"


def embedded(pdf: bytes) -> tuple[pikepdf.Pdf, dict[str, Any]]:
    document = pikepdf.open(io.BytesIO(pdf))
    files = document.attachments
    assert list(files) == [archive.EVIDENCE_NAME]
    data = json.loads(files[archive.EVIDENCE_NAME].get_file().read_bytes())
    return document, data


def approved_test(world: World, capture: Any) -> ArchiveCopy:
    with capture(execute=True):
        signed_off_test(world.onboarding, world.provider_staff, world.authority_staff)
    return ArchiveCopy.objects.get()


def finished(world: World, capture: Any) -> None:
    """After the test approval, reference and production approved (one archive copy each)."""
    onboarding = world.onboarding
    record(onboarding, Environment.REFERENCE)
    tick_step(onboarding, 4, world.provider_staff)
    with capture(execute=True):
        declare_ready(onboarding, Environment.REFERENCE, world.provider_staff)
        approve(onboarding, Environment.REFERENCE, world.authority_admin)
    record(onboarding, Environment.PRODUCTION)
    for field in ("technical", "organisational"):
        setattr(onboarding, f"{field}_name", "Kim Kontakt")
        setattr(onboarding, f"{field}_email", "kim@musterstadt.example")
    onboarding.save()
    tick_step(onboarding, 5, world.authority_admin)
    with capture(execute=True):
        declare_ready(onboarding, Environment.PRODUCTION, world.provider_staff)
        approve(onboarding, Environment.PRODUCTION, world.authority_staff)


def test_an_approval_keeps_an_archive_copy_whose_embedded_evidence_matches_the_record(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    copy = approved_test(world, django_capture_on_commit_callbacks)
    assert (copy.reason, copy.environment) == (ArchiveCopy.Reason.APPROVAL, "test")
    assert copy.sha256 == hashlib.sha256(bytes(copy.pdf)).hexdigest()

    _document, data = embedded(bytes(copy.pdf))
    signoff = SignOff.objects.get()
    assert data["catalogue_version"] == world.onboarding.catalogue_version
    assert data["onboarding"]["slug"] == SLUG
    [kept] = data["signoffs"]
    assert kept["state"] == "approved"
    assert kept["snapshot"] == signoff.snapshot
    assert kept["snapshot_sha256"] == signoff.snapshot_sha256
    assert kept["evidence"] == signoff.evidence
    assert kept["decided_by"] == str(world.authority_staff)
    runs = VerificationRun.objects.filter(onboarding=world.onboarding).order_by("started_at", "pk")
    assert [r["results"] for r in data["connection_checks"]] == [r.results for r in runs]
    assert [r["status"] for r in data["connection_checks"]] == [r.status for r in runs]
    assert data["conformance_runs"] == []
    # No stored secret of a run ever goes into the copy.
    assert "secrets_ciphertext" not in json.dumps(data)

    # The Protokoll records the checksum of exactly these bytes.
    entry = AuditEvent.objects.get(action=AuditEvent.Action.ARCHIVE_COPY)
    assert entry.new_value == f"SHA-256 {copy.sha256}"
    # The copy names the head of the Protokoll's hash chain when it was made: the entry
    # just before the one recording the copy (checklist.audit_chain).
    before = AuditEvent.objects.filter(onboarding=world.onboarding, pk__lt=entry.pk)
    head = before.order_by("-pk").first()
    assert head is not None
    assert head.entry_hash
    assert data["audit_chain_head"] == head.entry_hash


def test_the_archive_copy_has_the_structure_pdf_a_3_asks_for(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    copy = approved_test(world, django_capture_on_commit_callbacks)
    document, _data = embedded(bytes(copy.pdf))
    with document.open_metadata() as xmp:
        assert xmp["pdfaid:part"] == "3"
        assert xmp["pdfaid:conformance"] == "B"
    [intent] = document.Root.OutputIntents
    assert intent.S == "/GTS_PDFA1"
    assert "/DestOutputProfile" in intent
    # WeasyPrint 70 lists the one file specification twice in /AF (from the name tree and
    # from its scan of the objects): the same object, so one file associated with the PDF.
    [filespec_id] = {entry.objgen for entry in document.Root.AF}
    [name, filespec] = list(document.Root.Names.EmbeddedFiles.Names)
    assert (str(name), filespec.objgen) == (archive.EVIDENCE_NAME, filespec_id)
    assert filespec.AFRelationship == "/Data"
    assert filespec.UF == archive.EVIDENCE_NAME
    assert filespec.EF.F.Subtype == "/application/json"
    assert document.pdf_version >= "1.7"


def test_the_archive_copy_reads_as_the_record_and_names_its_embedded_evidence(
    world: World, django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    copy = approved_test(world, django_capture_on_commit_callbacks)
    text = " ".join(pdf_text(bytes(copy.pdf), tmp_path).split())
    assert "Checkliste und Go-live-Protokoll" in text
    assert "Archivkopie vom" in text
    assert "als Datei „nachweise.json“ in dieses PDF/A-3 eingebettet" in text


def test_the_onboarding_page_lists_the_copies_and_each_downloads_the_stored_bytes(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    copy = approved_test(world, django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(world.provider_staff)
    page = client.get(reverse("onboarding_detail", args=[SLUG])).content.decode()
    url = reverse("archive_download", args=[SLUG, copy.pk])
    assert url in page
    assert "Prüfsumme (SHA-256):" in page
    assert copy.sha256 in page
    assert "Abnahme: Test" in page

    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert response.content == bytes(copy.pdf)
    assert hashlib.sha256(response.content).hexdigest() == copy.sha256

    outsider = Client()
    outsider.force_login(world.outsider)
    assert outsider.get(url).status_code == 404


def test_an_archive_copy_is_never_changed(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    copy = approved_test(world, django_capture_on_commit_callbacks)
    copy.pdf = b"forged"
    with pytest.raises(ValueError, match="never changed"):
        copy.save()
    copy.refresh_from_db()
    assert copy.sha256 == hashlib.sha256(bytes(copy.pdf)).hexdigest()


def test_a_copy_on_request_only_for_a_finished_onboarding_and_the_protokoll_says_so(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    approved_test(world, django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(world.authority_staff)
    url = reverse("archive_request", args=[SLUG])
    form = f'action="{url}"'
    assert form not in client.get(reverse("onboarding_detail", args=[SLUG])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(url, follow=True).content.decode()
    assert "sobald die Produktionsumgebung abgenommen ist" in page
    assert ArchiveCopy.objects.count() == 1

    finished(world, django_capture_on_commit_callbacks)
    assert ArchiveCopy.objects.count() == 3
    assert form in client.get(reverse("onboarding_detail", args=[SLUG])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(url, follow=True).content.decode()
    assert "Die Archivkopie wird erstellt" in page
    newest = ArchiveCopy.objects.first()
    assert newest is not None
    assert (newest.reason, newest.requested_by) == (
        ArchiveCopy.Reason.ON_DEMAND,
        world.authority_staff,
    )
    _document, data = embedded(bytes(newest.pdf))
    assert [s["environment"] for s in data["signoffs"]] == ["test", "reference", "production"]

    trail = client.get(reverse("audit_trail", args=[SLUG])).content.decode()
    assert f"eine Archivkopie des Protokolls abgelegt (Prüfsumme SHA-256 {newest.sha256})" in trail
