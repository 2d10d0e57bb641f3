"""The Protokoll and the activity feed speak in sentences: no "ja", no hash, no field names.

One onboarding goes through every change the services record (driven through the real
services), then both pages are scanned in German and English.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from checklist import archive, catalogue, conformance, reminders, services, verification
from checklist.access import get_onboarding_for_user
from checklist.models import (
    ArchiveCopy,
    AuditEvent,
    Environment,
    EnvironmentRecord,
    FitConnectEnvironment,
    Leistung,
    Onboarding,
    VerificationRun,
)
from checklist.secret_hosts import confirm_hosts, record_host_change
from checklist.services import IN_HOUSE
from checklist.signoff import approve, declare_ready, send_back
from fitconnect.conformance import CASE_ORDER
from notifications.home import recent_activity
from portal.models import ApiToken
from tests.checklist.helpers import ready_for_test
from tests.conftest import World
from watch import services as watch_services
from watch.models import Outage

SLUG = "musterstadt-gewerbe"

# What people must never read in a feed or the Protokoll.
FORBIDDEN = [
    re.compile(r":\s*(ja|nein|yes|no|true|false)\b", re.I),  # a yes/no after a colon
    re.compile(r"\b(true|false|None)\b"),
    re.compile(r"[0-9a-fA-F]{16,}"),  # a hash (the sign-off's SHA-256)
    re.compile(r"SHA-256"),
    re.compile(r":\s*–"),  # "MIME-Typ: –"
    re.compile(r"[\[\]{}]"),  # a Python list or dict, JSON
    re.compile(r"'\w+'\s*:"),
    re.compile(
        r"\b(mime_type|schema_kind|schema_uri|reply_\w+|email_pgp|regions|client_id|"
        r"destination_id|\w+_kid|certificate_expiry|metadata_versions|target_go_live|"
        r"catalogue_version|token_url|submission_base|routing_base)\b"
    ),
    re.compile(r"\b(item|signoff|secret|hosts|run|deadline):\w"),  # stored subjects
    re.compile(r"\b(leistung|environment|onboarding|leistungen|items)\.\w"),
]


def item(key: str) -> catalogue.Item:
    return catalogue.load().by_key()[key]


def drive_every_audited_change(world: World) -> Onboarding:
    onboarding = world.onboarding
    anna, bernd, clara = world.authority_admin, world.authority_staff, world.provider_staff
    services.update_onboarding(
        onboarding,
        {"product": "GewerbePro", "target_go_live": timezone.localdate() + timedelta(days=200)},
        anna,
    )
    services.update_onboarding(onboarding, {"product": ""}, anna)
    services.save_metadata_versions(onboarding, ["1.2.0", "1.3.0"], clara)
    # Assigned while open (a done item is assigned to nobody), then ticked.
    services.assign_item(onboarding, item("step2.keys"), clara, anna)
    services.assign_item(onboarding, item("step2.keys"), None, anna)
    services.assign_item(onboarding, item("step2.keys"), clara, anna)
    ready_for_test(onboarding, clara)
    services.set_item_done(onboarding, item("step2.client"), False, clara)
    services.set_item_done(onboarding, item("step2.client"), True, clara)
    services.set_item_done(onboarding, item("step3.reject"), True, clara)
    services.set_item_done(onboarding, item("step3.token"), False, clara)
    services.set_item_done(
        onboarding, item("step3.token"), True, clara, reason="Im Fachverfahren geprüft"
    )
    token, _plain = ApiToken.create(
        organisation=world.provider,
        name="Pipeline",
        scopes=["items:write"],
        valid_days=30,
        created_by=None,
    )
    services.set_item_note(onboarding, item("step2.client"), "Im SSP angelegt", token)
    services.set_item_note(onboarding, item("step2.client"), "", clara)
    services.add_comment(onboarding, item("step2.client"), "Bitte prüfen @Anna", clara)
    services.set_due_dates(onboarding, {3: timezone.localdate() + timedelta(days=30)}, anna)
    services.set_due_dates(onboarding, {3: None}, anna)
    # Sign-off: declared, sent back, declared again, approved.
    declare_ready(onboarding, Environment.TEST, clara)
    send_back(onboarding, Environment.TEST, anna, "Die Zustellpunkt-ID fehlt.")
    declare_ready(onboarding, Environment.TEST, clara)
    approve(onboarding, Environment.TEST, anna)
    archive.make_copy(onboarding.pk, reason="on_demand", requested_by_id=anna.pk)
    # A new service and a changed one make the sign-off invalid.
    services.save_leistung(
        Leistung(
            onboarding=onboarding,
            key="99102013104000",
            name="Hundesteuer Anmeldung",
            schema_kind="fim",
            schema_uri="https://schema.fitko.de/fim/s00000114_1.1.schema.json",
            mime_type="application/json",
            regions=["064350014014"],
            reply_fitconnect=True,
        ),
        anna,
    )
    changed = Leistung.objects.get(onboarding=onboarding, key="99050012104000")
    changed.mime_type = "application/xml"
    changed.schema_kind = "xoev"
    changed.reply_bundid = True
    changed.regions = ["064350014014", "064350015015"]
    services.save_leistung(changed, anna)
    services.remove_leistung(Leistung.objects.get(key="99102013104000"), anna)
    record = EnvironmentRecord.objects.get(onboarding=onboarding, environment="test")
    record.client_id = "neuer-client"
    record.certificate_expiry = date(2029, 3, 31)
    record.callback_url = "https://fachverfahren.example/callback"
    services.save_environment_record(record, clara)
    # Connection checks: a run started, an item ticked and reopened by a run.
    test = FitConnectEnvironment.objects.get(key="test")
    verification.start_run(onboarding, test, clara)
    run = VerificationRun.objects.create(
        onboarding=onboarding, environment="test", started_by=clara
    )
    services.mark_item_by_run(onboarding, item("step3.token"), False, run)
    services.mark_item_by_run(onboarding, item("step3.token"), True, run)
    # Conformance runs against the test stage reopen and tick the rejection item.
    for verdict in ("failed", "passed"):
        conformance_run = conformance.start(onboarding, test, clara)
        conformance_run.cases = {
            case: {"case": case, "status": "done", "verdict": verdict} for case in CASE_ORDER
        }
        conformance.finish(conformance_run)
    # Secrets and the addresses they are bound to.
    verification.store_secret(onboarding, "test", "subscriber", "geheim", clara)
    old_hosts = test.secret_hosts
    test.token_url = "https://auth.elsewhere.example/token"
    test.save()
    record_host_change(test, old_hosts, world.site_operator)
    confirm_hosts(onboarding, test, clara)
    verification.delete_secret(onboarding, "test", "subscriber", clara)
    # The provider records a long outage and confirms the Zustellpunkt deactivated.
    outage = watch_services.record_outage(
        Outage(kind="unplanned", starts_on=date(2026, 11, 1), ends_on=date(2026, 11, 20)),
        onboarding,
        clara,
    )
    watch_services.confirm_deactivated(onboarding, outage.pk, clara)
    # The coordination office reminds whoever holds the onboarding.
    reminders.send_reminder(
        get_onboarding_for_user(world.coordinator, SLUG), "Bitte bis Freitag weitermachen."
    )
    # A newer catalogue adopted, the provider changed (Clara's assignment ends).
    Onboarding.objects.filter(pk=onboarding.pk).update(
        catalogue_version=catalogue.load().version - 1
    )
    onboarding.refresh_from_db()
    services.ensure_catalogue(onboarding, bernd)
    services.update_onboarding(onboarding, {}, anna, provider=IN_HOUSE)
    return onboarding


def scanned(text: str) -> str:
    """The visible text of an HTML fragment, one space between words."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


def protokoll(client: Client) -> str:
    html = client.get(reverse("audit_trail", args=[SLUG])).content.decode()
    return scanned(html[html.index("<tbody") : html.index("</tbody>")])


def feed(client: Client) -> str:
    html = client.get(reverse("home")).content.decode()
    start = html.index('id="activity-heading"')
    return scanned(html[start : html.index("</section>", start)])


# The one hash a reader is shown: an archive copy's checksum, labelled as such (its purpose
# is to be compared with the file years later).
CHECKSUM = re.compile(r"\((Prüfsumme|checksum) SHA-256 [0-9a-f]{64}\)")


def assert_readable(text: str) -> None:
    text = CHECKSUM.sub("", text)
    for pattern in FORBIDDEN:
        found = pattern.search(text)
        where = text[max(0, found.start() - 80) : found.end() + 40] if found else ""
        assert found is None, f"{pattern.pattern!r} found: …{where}…"


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_protokoll_and_the_feed_speak_in_sentences(world: World, language: str) -> None:
    onboarding = drive_every_audited_change(world)
    actions = set(onboarding.audit_events.values_list("action", flat=True))
    assert actions == set(AuditEvent.Action.values)  # every kind of change was driven
    anna = Client()
    anna.force_login(world.authority_admin)
    if language != "de":
        anna.post(reverse("set_language"), {"language": language})
    trail = protokoll(anna)
    assert_readable(trail)
    assert_readable(feed(anna))
    # The feed shows the newest 15; every other event is scanned as the feed would word it.
    with translation.override(language):
        for activity in recent_activity(world.authority_admin, limit=500):
            assert_readable(activity.sentence)
    if language == "de":
        title = item("step2.client").title
        assert f"Clara Code hat „{title}“ abgehakt." in trail
        assert "Anna Amtmann hat die Abnahme der Testumgebung erteilt. Nachweis: " in trail
        assert "Leistung 99102013104000 hinzugefügt" in trail
        assert (
            "Anna Amtmann hat „MIME-Typ“ der Leistung 99050012104000 von „application/json“ "
            "in „application/xml“ geändert." in trail
        )
        assert "„Datenschema“ der Leistung 99050012104000 von „FIM“ in „XÖV“" in trail
        assert "hat „BundID-Postfach“ der Leistung 99050012104000 ausgewählt." in trail
        assert "API-Token Pipeline (Kommunal-IT GmbH) hat eine Notiz zu" in trail
        assert "Clara Code hat die Konformitätsprüfung für Test gestartet." in trail
        assert "(gestartet von Clara Code) hat „" in trail
        assert (
            "Nicht so beantwortet, wie die FITKO es verlangt: „eine gültige Einreichung“" in trail
        )
        copy = ArchiveCopy.objects.get()
        assert (
            "Anna Amtmann hat eine Archivkopie des Protokolls abgelegt "
            f"(Prüfsumme SHA-256 {copy.sha256})." in trail
        )
        run_actor = r"Die Verbindungsprüfung vom [\d.]+, [\d:]+ \(gestartet von Clara Code\) hat"
        assert re.search(run_actor, trail)
