"""The XML template of a Leistung with an XSD schema: uploaded by the provider on the
Leistung's template page, checked (size, UTF-8, well-formed, no DTD) with a German message
at the field and nothing saved when refused, and sent by the conformance run."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from checklist import conformance
from checklist.audit_sentences import sentence
from checklist.models import AuditEvent, FitConnectEnvironment, Leistung
from fitconnect import demo, xml_documents
from tests.checklist.test_verification import SLUG
from tests.conftest import World

TEMPLATE = demo.XML_SAMPLES[demo.XOEV_SCHEMA_URI].read_bytes()


def _xml_leistung(world: World) -> Leistung:
    leistung = world.onboarding.leistungen.get()
    leistung.schema_kind = Leistung.SchemaKind.XOEV
    leistung.schema_uri = demo.XOEV_SCHEMA_URI
    leistung.mime_type = Leistung.MimeType.XML
    leistung.save()
    return leistung


def _upload(world: World, leistung: Leistung, content: bytes, name: str = "vorlage.xml") -> str:
    client = Client()
    client.force_login(world.provider_staff)
    response = client.post(
        reverse("xml_template", args=[SLUG, leistung.pk]),
        {"template": SimpleUploadedFile(name, content, "application/xml")},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_the_provider_uploads_a_valid_template_and_the_run_sends_it(world: World) -> None:
    leistung = _xml_leistung(world)
    client = Client()
    client.force_login(world.provider_staff)
    step1 = client.get(reverse("step", args=[SLUG, 1])).content.decode()
    assert "XML-Vorlage für die Konformitätsprüfung: fehlt" in step1
    assert reverse("xml_template", args=[SLUG, leistung.pk]) in step1

    page = _upload(world, leistung, TEMPLATE)

    assert f"Die XML-Vorlage von {leistung.key} ist gespeichert." in page
    assert "Wurzelelement antrag" in page
    leistung.refresh_from_db()
    assert leistung.xml_template.encode() == TEMPLATE
    step1 = client.get(reverse("step", args=[SLUG, 1])).content.decode()
    assert "XML-Vorlage für die Konformitätsprüfung: vorhanden" in step1
    event = AuditEvent.objects.filter(subject__endswith=".xml_template").get()
    with translation.override("de"):
        text = sentence(event)
    assert "XML-Vorlage für die Konformitätsprüfung" in text, text
    assert "xml_template" not in text, text
    runner = conformance.runner_for(world.onboarding, FitConnectEnvironment.objects.get(key="test"))
    assert runner.templates == {demo.XOEV_SCHEMA_URI: TEMPLATE}


def test_a_file_that_is_not_well_formed_xml_is_refused_at_the_field(world: World) -> None:
    leistung = _xml_leistung(world)
    page = _upload(world, leistung, b"<antrag><antragsteller></antrag>")
    assert "Die Datei ist kein wohlgeformtes XML (Fehler in Zeile 1)." in page
    assert 'aria-invalid="true"' in page
    leistung.refresh_from_db()
    assert leistung.xml_template == ""
    assert not AuditEvent.objects.filter(subject__endswith=".xml_template").exists()


def test_large_files_dtds_other_encodings_and_json_leistungen_are_refused(world: World) -> None:
    leistung = _xml_leistung(world)
    big = b"<a>" + b"x" * xml_documents.MAX_TEMPLATE_BYTES + b"</a>"
    assert "Die Datei ist größer als 256 KB." in _upload(world, leistung, big)
    bomb = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx">]><a>&x;</a>'
    assert "Die Datei enthält eine DOCTYPE-Deklaration." in _upload(world, leistung, bomb)
    latin = "<a>Grünfläche</a>".encode("latin-1")
    assert "Die Datei ist nicht in UTF-8 kodiert." in _upload(world, leistung, latin)
    leistung.refresh_from_db()
    assert leistung.xml_template == ""
    Leistung.objects.filter(pk=leistung.pk).update(mime_type=Leistung.MimeType.JSON)
    assert "Die Fachdaten dieser Leistung sind JSON" in _upload(world, leistung, TEMPLATE)
    leistung.refresh_from_db()
    assert leistung.xml_template == ""


def test_a_stored_template_can_be_removed(world: World) -> None:
    leistung = _xml_leistung(world)
    _upload(world, leistung, TEMPLATE)
    client = Client()
    client.force_login(world.provider_staff)
    page = client.post(
        reverse("xml_template", args=[SLUG, leistung.pk]), {"remove": "on"}, follow=True
    ).content.decode()
    assert f"Die XML-Vorlage von {leistung.key} ist entfernt." in page
    leistung.refresh_from_db()
    assert leistung.xml_template == ""
    assert conformance.templates_for(world.onboarding) == {}
