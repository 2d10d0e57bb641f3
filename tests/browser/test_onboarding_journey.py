"""The whole journey in Chromium: three organisations' people, four browser contexts.

The authority admin creates the onboarding and records two services; a colleague joins by
invitation; the provider generates test keys, records the Test environment, runs
"Verbindung prüfen" and declares Test ready; the colleague approves; a schema change
invalidates the sign-off; the provider checks again and re-declares; the colleague approves
again; the admin downloads the PDF. axe-core checks every page on the way. Screenshots of
every step land in test-artifacts/ on failure.

No test talks to FITKO: a site operator has pointed FITKO's Test environment at the local
sandbox. That is how a sandbox can tick Test items at all (runs of the "Sandbox" environment
are rehearsals that tick nothing), and it is visible: the panel names the foreign host and
the sign-off section the hosts its evidence called.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from checklist import audit_chain
from checklist.models import EnvironmentRecord, FitConnectEnvironment, Onboarding, SignOff
from fitconnect import demo
from fitconnect.sandbox import Sandbox, urls
from tests.browser.conftest import ARTIFACTS, assert_accessible, new_page
from tests.conftest import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIM_URI = "https://schema.fitko.de/fim/s00000092_1.0.schema.json"
# Every check item of step 3 proven by a run (how many depends on the callback being set).
ALL_PROVEN = re.compile(r"(\d) von \1 Prüfpunkten durch eine Verbindungsprüfung gegen Test belegt")
HAND_REASON = "Mit dem Testwerkzeug des Herstellers im Fachverfahren geprüft."
FIM_URI_NEW = "https://schema.fitko.de/fim/s00000096_1.0.schema.json"
# Real pairs (checklist/data/leika.csv); XSozial-basis is declared for Grundsicherung by a
# production Zustellpunkt (see checklist/demo.py).
XOEV_URI = "urn:xoev-de:d-nrw:standard:xsozialbasis_2.5.0"
NEW_PASSWORD = "Nora-neues-Passwort-2026"


class Journey:
    """Screenshots of every step, kept only when the test fails."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def step(self, page: Page, name: str, *, accessible: bool = True) -> None:
        self.count += 1
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"), full_page=True)
        if accessible:
            assert_accessible(page, name)


@pytest.fixture
def journey(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journey]:
    shots = Journey(tmp_path)
    yield shots
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        target = ARTIFACTS / request.node.name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(tmp_path, target)
        print(f"Screenshots of every step: {target}")


def sign_in(browser: Browser, base: str, email: str, password: str = PASSWORD) -> Page:
    page = new_page(browser, accept_downloads=True)
    page.goto(f"{base}/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Willkommen")
    return page


def add_leistung(
    page: Page, key: str, name: str, kind: str, uri: str, channels: list[str], standards: str = ""
) -> None:
    page.get_by_role("link", name="Leistung hinzufügen").click()
    page.get_by_label("Leistungsschlüssel").fill(key)
    page.get_by_label("Name der Leistung").fill(name)
    page.get_by_label("Regionen (ARS)").fill(demo.REGIONS[0])
    page.get_by_label(kind, exact=True).check()
    page.get_by_label("Schema-URI").fill(uri)
    for label in channels:
        page.get_by_label(label, exact=True).check()
    if standards:
        page.get_by_label("Prozessstandards für Antworten über FIT-Connect").fill(standards)
    page.get_by_role("button", name="Leistung speichern").click()
    expect(page.locator("#messages")).to_contain_text(key.rsplit(":", 1)[-1])


def tick_all_open(page: Page) -> None:
    buttons = page.get_by_role("button", name="Als erledigt markieren")
    while buttons.count():
        before = buttons.count()
        buttons.first.click()
        expect(buttons).to_have_count(before - 1)


def services(fim_uri: str) -> list[dict[str, Any]]:
    """What the provider configures in the (sandbox) Self-Service-Portal."""
    return [
        {
            "key": "99107009017000",
            "name": "Grundsicherung im Alter und bei Erwerbsminderung Bewilligung",
            "schema_uri": XOEV_URI,
            "mime_type": "application/xml",
            "reply_channels": {},
        },
        {
            "key": "99107023037000",
            "name": "Wohngeld - Mietzuschuss beantragen",
            "schema_uri": fim_uri,
            "mime_type": "application/json",
            "reply_channels": {"eMail": {"usePgp": True}},
        },
    ]


def run_checks(page: Page, *, first: bool) -> None:
    panel = page.locator("#verify-test")
    if first:
        panel.get_by_label("Client-Secret des Subscriber-Clients").fill(
            "wohngeld-subscriber-secret"
        )
        panel.get_by_label("Client-ID eines Sender-Clients (für die Testeinreichung)").fill(
            demo.SENDER_CLIENT_ID
        )
        panel.get_by_label("Client-Secret des Sender-Clients").fill(demo.SENDER_CLIENT_SECRET)
        panel.get_by_label("Callback-Secret").fill(demo.CALLBACK_SECRET)
        panel.get_by_label("Verschlüsselt speichern für spätere Prüfungen").check()
    panel.get_by_role("button", name="Verbindung prüfen").click()
    expect(panel.locator(".portal-result--summary")).to_be_visible(timeout=60_000)
    results = panel.locator(".portal-result:not(.portal-result--summary)")
    expect(results).to_have_count(7)
    expect(panel.locator(".portal-result--failed")).to_have_count(0)


def test_the_whole_journey_with_accessibility_checks(
    browser: Browser,
    live_server: Any,
    world: World,
    sandbox: Sandbox,
    settings: Any,
    journey: Journey,
) -> None:
    base = live_server.url
    settings.FITCONNECT_SUBMISSION_TIMEOUT = 20
    endpoints = urls(sandbox.base)
    sandbox_host = sandbox.base.removeprefix("http://")
    # The operator points FITKO's Test environment at the sandbox (in the admin; here
    # directly). update_or_create: transactional tests before this one flush its row.
    FitConnectEnvironment.objects.update_or_create(
        key="test",
        defaults={
            "stage": "test",
            "position": 1,
            "allow_private_addresses": True,
            "token_url": endpoints["token_url"],
            "submission_base": endpoints["submission_base"],
            "api_version": "v1",
            "routing_base": endpoints["routing_base"],
            "ssp_jwks_url": endpoints["ssp_jwks_url"],
            "self_signed_allowed": True,
        },
    )
    with audit_chain.released():  # the onboarding goes with its Protokoll
        world.onboarding.delete()

    # 1. The authority admin creates the onboarding and records two services.
    anna = sign_in(browser, base, "anna@musterstadt.example")
    journey.step(anna, "home")
    anna.get_by_role("link", name="Anbindungsvorhaben", exact=True).first.click()
    journey.step(anna, "overview-empty")
    anna.get_by_role("link", name="Neues Anbindungsvorhaben").click()
    anna.get_by_role("button", name="Anbindungsvorhaben anlegen").click()
    expect(anna).to_have_title(re.compile("^Fehler: "))
    journey.step(anna, "create-error")
    anna.get_by_label("Name des Fachverfahrens").fill("Wohngeld und Bau")
    anna.get_by_label("IT-Dienstleister").select_option(label="Kommunal-IT GmbH")
    anna.get_by_role("button", name="Anbindungsvorhaben anlegen").click()
    expect(anna.get_by_role("heading", level=1)).to_have_text("Wohngeld und Bau")
    journey.step(anna, "onboarding")
    slug = Onboarding.objects.get().slug

    anna.get_by_role("link", name="Konzeptionelle Vorüberlegungen").click()
    journey.step(anna, "step-1-empty")
    anna.get_by_role("link", name="Leistung hinzufügen").click()
    anna.get_by_label("Leistungsschlüssel").fill("12345")
    anna.get_by_role("button", name="Leistung speichern").click()
    expect(anna.locator("#error-summary")).to_be_visible()
    journey.step(anna, "leistung-error")
    anna.go_back()
    anna.goto(f"{base}/vorhaben/{slug}/schritt/1/")
    add_leistung(
        anna,
        "urn:de:fim:leika:leistung:99107023037000",
        "Wohngeld - Mietzuschuss beantragen",
        "FIM",
        FIM_URI,
        ["E-Mail", "Antworten per E-Mail sind PGP-verschlüsselt"],
    )
    add_leistung(
        anna,
        "99107009017000",
        "Grundsicherung im Alter und bei Erwerbsminderung Bewilligung",
        "XÖV",
        XOEV_URI,
        [],
    )
    expect(anna.locator("#leistungen")).to_contain_text("Antwort per Brief")
    tick_all_open(anna)  # the V-PKI application and the FIM Redaktion
    expect(anna.locator("#step-progress")).to_contain_text("100 %")
    journey.step(anna, "step-1-done")

    # 2. The admin invites a colleague, who joins with the link from the e-mail.
    anna.goto(f"{base}/organisationen/{world.authority.pk}/")
    anna.get_by_label("E-Mail-Adresse", exact=True).fill("nora@musterstadt.example")
    anna.get_by_role("button", name="Einladung senden").click()
    expect(anna.locator("#messages")).to_contain_text("nora@musterstadt.example")
    journey.step(anna, "members")
    link = re.search(r"http://\S+/einladung/\S+/", mail.outbox[-1].body)
    assert link is not None
    nora = new_page(browser)
    nora.goto(link.group(0).replace("http://testserver", base))
    journey.step(nora, "invitation")
    nora.get_by_label("Ihr Name").fill("Nora Neu")
    nora.get_by_label("Passwort", exact=True).fill(NEW_PASSWORD)
    nora.get_by_label("Passwort wiederholen").fill(NEW_PASSWORD)
    nora.get_by_role("button", name="Konto anlegen und Einladung annehmen").click()
    expect(nora.get_by_role("heading", level=1)).to_have_text("Willkommen, Nora Neu")

    # 3. The provider generates test keys and configures the sandbox "SSP" with them.
    clara = sign_in(browser, base, "clara@kommunal-it.example")
    clara.goto(f"{base}/vorhaben/{slug}/schritt/2/")
    journey.step(clara, "step-2")
    clara.get_by_role("link", name=re.compile("Schlüsselwerkzeug")).click()
    journey.step(clara, "key-tool")
    clara.get_by_role("button", name="Zwei Schlüsselpaare erzeugen").click()
    expect(
        clara.get_by_role("link", name="Private Schlüssel herunterladen (JWK-Set)")
    ).to_be_visible()
    journey.step(clara, "key-tool-generated")
    public_enc = json.loads(clara.locator("#public-enc").input_value())
    public_sig = json.loads(clara.locator("#public-sig").input_value())
    href = clara.get_by_role(
        "link", name="Private Schlüssel herunterladen (JWK-Set)"
    ).get_attribute("href")
    assert href is not None
    private = json.loads(base64.b64decode(href.split(",", 1)[1]))["keys"]
    destination = str(uuid.uuid4())

    def configure_zustellpunkt(fim_uri: str) -> None:
        sandbox.add_destination(
            destination_id=destination,
            services=services(fim_uri),
            regions=list(demo.REGIONS),
            encryption_key=public_enc,
            signature_key=public_sig,
            encryption_private_key=private[0],
            signature_private_key=private[1],
            metadata_versions=["1.2.0"],
        )

    configure_zustellpunkt(FIM_URI)
    sandbox.add_client(
        "wohngeld-subscriber",
        "wohngeld-subscriber-secret",
        role="subscriber",
        destinations=(destination,),
    )

    clara.goto(f"{base}/vorhaben/{slug}/umgebung/test/")
    clara.get_by_label("Subscriber-Client-ID").fill("wohngeld-subscriber")
    clara.get_by_label("Zustellpunkt-ID").fill(destination)
    clara.get_by_label("Schlüssel-ID (kid) für Verschlüsselung").fill(public_enc["kid"])
    clara.get_by_label("Schlüssel-ID (kid) für Signatur").fill(public_sig["kid"])
    clara.get_by_label("Callback-URL").fill(endpoints["callback_url"])
    journey.step(clara, "environment-form")
    clara.get_by_role("button", name="Speichern").click()
    expect(clara.locator("#messages")).to_contain_text("gespeichert")
    clara.get_by_label("1.2.0").check()
    clara.get_by_role("button", name="Metadatenversionen speichern").click()
    expect(clara.locator("#messages")).to_contain_text("Metadaten")
    tick_all_open(clara)
    expect(clara.locator("#messages")).to_contain_text("als erledigt markiert")
    journey.step(clara, "step-2-ticked")

    # 4a. Ticking the check items by hand needs a reason, refused at the field without one;
    # even with reasons, hand ticks alone do not carry a declaration: the sign-off section
    # says why and links "Verbindung prüfen".
    clara.goto(f"{base}/vorhaben/{slug}/schritt/3/")
    token = clara.locator("#item-step3-token")
    token.get_by_text("Von Hand abhaken, mit Begründung").click()
    clara.locator("#toggle-step3-token").click()
    expect(clara.locator("#reason-step3-token_error")).to_contain_text(
        "Bitte geben Sie eine Begründung an"
    )
    expect(token).to_contain_text("Offen")
    for key in ("token", "destination", "keys", "submission"):
        item = clara.locator(f"#item-step3-{key}")
        if key != "token":
            item.get_by_text("Von Hand abhaken, mit Begründung").click()
        clara.locator(f"#reason-step3-{key}").fill(HAND_REASON)
        clara.locator(f"#toggle-step3-{key}").click()
        expect(item).to_contain_text(f"Begründung: {HAND_REASON}")
    clara.reload()
    refusal = clara.locator("#abnahme .portal-signoff-refusal")
    expect(refusal).to_contain_text("noch keine Verbindungsprüfung")
    expect(clara.get_by_role("button", name="Test als bereit zur Abnahme erklären")).to_have_count(
        0
    )
    refusal.get_by_role("link", name="Zu „Verbindung prüfen“").click()
    expect(clara).to_have_url(re.compile("#verbindung$"))
    journey.step(clara, "declaration-refused")

    # 4. "Verbindung prüfen" on Test: all seven checks, bound items tick; the page says the
    # environment points at a host that is not FITKO's, and which hosts the evidence called.
    expect(clara.locator("#verify-test")).to_contain_text(
        f"Hosts gerichtet, die nicht der FITKO gehören: {sandbox_host}"
    )
    run_checks(clara, first=True)
    journey.step(clara, "verification-panel")
    expect(clara.locator("#item-step3-submission")).to_contain_text(
        "Abgehakt durch die Verbindungsprüfung"
    )
    # Without reloading: the run's end updated the status and the sign-off section.
    expect(clara.locator("#abnahme")).to_contain_text(f"gegen {sandbox_host}")
    clara.get_by_role("button", name="Test als bereit zur Abnahme erklären").click()
    expect(clara.locator("#abnahme")).to_contain_text("Bereit zur Abnahme")
    journey.step(clara, "declared")

    # 5. The colleague approves, having read what is proven, by what, and what he freezes.
    nora.goto(f"{base}/vorhaben/{slug}/schritt/3/")
    section = nora.locator("#abnahme")
    expect(section).to_contain_text(ALL_PROVEN)
    expect(section).to_contain_text("Belegt durch Verbindungsprüfung Nr. ")
    expect(section).to_contain_text(f"gegen {sandbox_host}")
    expect(section).to_contain_text("Die Werte, die eine Freigabe festschreibt")
    expect(section).to_contain_text(
        str(EnvironmentRecord.objects.get(environment="test").destination_id)
    )
    expect(section).to_contain_text("99107023037000")
    expect(section.locator("details", has_text="SHA-256")).to_have_count(0)  # not yet approved
    journey.step(nora, "approval-dialog")
    nora.get_by_role("button", name="Test freigeben").click()
    expect(nora.locator("#abnahme")).to_contain_text("Abgenommen")
    journey.step(nora, "approved")

    # 6. The admin changes a schema: the sign-off turns invalid by itself.
    anna.goto(f"{base}/vorhaben/{slug}/schritt/1/")
    anna.get_by_role("link", name="Bearbeiten 99107023037000").click()
    anna.get_by_label("Schema-URI").fill(FIM_URI_NEW)
    anna.get_by_role("button", name="Leistung speichern").click()
    anna.goto(f"{base}/vorhaben/{slug}/schritt/3/")
    expect(anna.locator("#abnahme")).to_contain_text("ungültig – erneut prüfen")
    journey.step(anna, "invalidated")
    anna.goto(f"{base}/vorhaben/{slug}/protokoll/")
    expect(anna.locator("table")).to_contain_text("Die Abnahme der Testumgebung gilt nicht mehr")
    journey.step(anna, "audit-trail")

    # 7. The provider updates the Zustellpunkt, checks again and re-declares; approval again.
    configure_zustellpunkt(FIM_URI_NEW)
    clara.goto(f"{base}/vorhaben/{slug}/schritt/3/")
    run_checks(clara, first=False)
    clara.reload()
    clara.get_by_role("button", name="Test als bereit zur Abnahme erklären").click()
    expect(clara.locator("#abnahme")).to_contain_text("Bereit zur Abnahme")
    nora.goto(f"{base}/vorhaben/{slug}/schritt/3/")
    changed = nora.locator("#abnahme")
    expect(changed).to_contain_text("Seit der letzten Freigabe geändert")
    expect(changed).to_contain_text(FIM_URI_NEW)
    journey.step(nora, "re-approval-with-changes")
    mail.outbox.clear()
    nora.get_by_role("button", name="Test freigeben").click()
    expect(nora.locator("#abnahme")).to_contain_text("Abgenommen")
    assert SignOff.objects.filter(state="approved", invalidated_at=None).count() == 1
    approved = SignOff.objects.get(state="approved", invalidated_at=None)
    summary_line = approved.evidence["summary"]
    assert ALL_PROVEN.match(summary_line), summary_line
    evidence_lines = [summary_line] + [
        f"{entry['title']}: {entry['text']}" for entry in approved.evidence["items"]
    ]
    # The approval e-mail carries the same evidence lines (sent by the background tasks).
    approval_mails = [m for m in mail.outbox if "ist abgenommen" in m.subject]
    assert approval_mails, [m.subject for m in mail.outbox]
    for line in evidence_lines:
        assert line in approval_mails[0].body, line

    # 8. The admin downloads the PDF: both services and the approver are in it.
    anna.goto(f"{base}/vorhaben/{slug}/")
    journey.step(anna, "onboarding-signed-off")
    # Rendering the record takes a while on a busy machine: wait for it like a person would.
    with anna.expect_download(timeout=90_000) as download_info:
        anna.get_by_role("link", name="Checkliste als PDF herunterladen").click(timeout=90_000)
    pdf = Path(download_info.value.path())
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "99107023037000" in text
    assert "99107009017000" in text
    assert "Nora Neu" in text
    flat = re.sub(r"\s+", " ", text)
    for line in evidence_lines:  # the PDF carries the same evidence lines
        assert re.sub(r"\s+", " ", line) in flat, line
    letters = re.sub(r"[\s\-\u2010\u00ad]", "", text)  # names may be hyphenated across lines
    assert "WohngeldMietzuschussbeantragen" in letters
    assert "GrundsicherungimAlter" in letters
