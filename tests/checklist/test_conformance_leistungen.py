"""A stored conformance run of an onboarding with two Leistungen: one valid row per Leistung
on the page, in the API answer, in the sign-off evidence and in the PDF."""

from __future__ import annotations

import re
import subprocess
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from api.presenters import conformance_run_row
from checklist import conformance, tasks
from checklist.evidence_record import recorded
from checklist.models import (
    ConformanceRun,
    Environment,
    EnvironmentRecord,
    FitConnectEnvironment,
    Leistung,
    SignOff,
)
from checklist.signoff import declare_ready
from checklist.signoff_evidence import evidence_for
from checklist.state import OnboardingState
from fitconnect import demo
from fitconnect.conformance import DEFECT_CASES, valid_case
from fitconnect.sandbox import Sandbox
from tests.checklist.helpers import ready_for_test
from tests.checklist.test_conformance_command import store_sender
from tests.checklist.test_verification import SLUG, sandboxed
from tests.conftest import World

__all__ = ["sandboxed"]  # the fixture, used by name

XML = {
    "key": "99107009017000",
    "name": "Grundsicherung im Alter und bei Erwerbsminderung Bewilligung",
    "schema_uri": demo.XOEV_SCHEMA_URI,
    "mime_type": "application/xml",
}
# An ARS (Hamburg) the demo routes nowhere, so these Zustellpunkte change no routing.
ELSEWHERE = "020000000000"
VALID_JSON = valid_case(demo.SERVICES[0]["key"])
VALID_XML = valid_case(XML["key"])
JSON_ROW = "eine gültige Einreichung für die Leistung Gewerbe anmelden (99050012104000)"
XML_ROW = (
    "eine gültige Einreichung für die Leistung Grundsicherung im Alter und bei "
    "Erwerbsminderung Bewilligung (99107009017000)"
)


@pytest.fixture
def quick(settings: Any) -> None:
    settings.FITCONNECT_CONFORMANCE_POLL = 0.1


def two_leistungen(world: World, sandbox: Sandbox) -> None:
    """Record the XÖV Leistung with its template too, and point the sandbox record at a
    simulated Zustellpunkt that offers both."""
    Leistung.objects.create(
        onboarding=world.onboarding,
        schema_kind="xoev",
        regions=list(demo.REGIONS),
        xml_template=demo.XML_SAMPLES[demo.XOEV_SCHEMA_URI].read_text(),
        **XML,
    )
    destination_id = str(uuid.uuid4())
    keys = sandbox.keys
    sandbox.add_destination(
        destination_id=destination_id,
        services=[demo.SERVICES[0], XML],
        regions=[ELSEWHERE],  # routing tests share the sandbox: never the demo's regions
        encryption_key=keys["encryption"].public,
        signature_key=keys["signature"].public,
        encryption_private_key=keys["encryption"].private,
        signature_private_key=keys["signature"].private,
        metadata_versions=list(demo.METADATA_VERSIONS),
    )
    EnvironmentRecord.objects.filter(onboarding=world.onboarding, environment="sandbox").update(
        destination_id=destination_id
    )


def pdf_text(pdf: bytes) -> str:
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return re.sub(r"\s+", " ", text)


def test_each_leistung_has_its_valid_row_on_the_page_in_the_api_the_evidence_and_the_pdf(
    sandboxed: World, sandbox: Sandbox, quick: None
) -> None:
    store_sender(sandboxed)
    two_leistungen(sandboxed, sandbox)
    environment = FitConnectEnvironment.objects.get(key="sandbox")
    run = tasks.begin_conformance(sandboxed.onboarding, environment, sandboxed.provider_staff)
    assert set(run.cases) == {VALID_JSON, VALID_XML, *DEFECT_CASES}
    assert run.status == ConformanceRun.Outcome.PASSED, {
        case: s.get("message") for case, s in run.cases.items()
    }
    with translation.override("de"):
        sent = [row["sent"] for row in conformance.rows(run)]
        api_cases = conformance_run_row(run)["cases"]
    assert sent[0].startswith(JSON_ROW), sent
    assert sent[1].startswith(XML_ROW), sent
    assert "Schema FIM: Gewerbeanmeldung (Sandbox), JSON" in sent[0]
    assert "Schema XÖV: urn:xoev-de:d-nrw:standard:xsozialbasis_2.5.0, XML" in sent[1]
    # The defect cases name the one Leistung they were sent for.
    assert all(s.endswith("(Leistung Gewerbe anmelden, 99050012104000)") for s in sent[2:])
    assert [c["case"] for c in api_cases] == [VALID_JSON, VALID_XML, *DEFECT_CASES]
    assert [c["verdict"] for c in api_cases[:2]] == ["passed", "passed"]
    assert api_cases[1]["sent"].startswith(XML_ROW)
    client = Client()
    client.force_login(sandboxed.provider_staff)
    page = client.get(reverse("conformance_run", args=[SLUG, run.pk])).content.decode()
    assert JSON_ROW in page
    assert XML_ROW in page

    # The same cases against FITKO's test stage: the sign-off evidence and the PDF list both.
    ready_for_test(sandboxed.onboarding, sandboxed.provider_staff)
    staged = conformance.start(
        sandboxed.onboarding,
        FitConnectEnvironment.objects.get(key="test"),
        sandboxed.provider_staff,
    )
    staged.cases = run.cases
    staged.save()
    conformance.finish(staged)
    with translation.override("de"):
        evidence = evidence_for(OnboardingState(sandboxed.onboarding), Environment.TEST)
        assert sum(1 for line in evidence.lines if line.startswith(JSON_ROW)) == 1
        assert sum(1 for line in evidence.lines if line.startswith(XML_ROW)) == 1
    declare_ready(sandboxed.onboarding, Environment.TEST, sandboxed.provider_staff)
    kept = recorded(SignOff.objects.get())
    assert kept is not None
    assert any(line.startswith(XML_ROW) for line in kept.conformance)
    response = client.get(reverse("onboarding_pdf", args=[SLUG]))
    text = pdf_text(response.content)
    assert "Grundsicherung im Alter und bei Erwerbsminderung Bewilligung (99107009017000)" in text
    assert "Gewerbe anmelden (99050012104000), Schema FIM" in text
