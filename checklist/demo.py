"""Demo onboardings in every stage, so the overview shows variety. Used by ``seed_demo``.

Every Leistungsschlüssel here is real and carries the name its public source gives it; the
sources are listed per key in ``checklist/data/leika.csv`` (FIM-Portal Leistungssteckbriefe,
PVOG Suchdienst, Bundesportal), see ``checklist/data/README.md``.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.conf import settings

from checklist import catalogue, services, verification
from checklist.models import (
    Environment,
    EnvironmentRecord,
    FitConnectEnvironment,
    Leistung,
    Onboarding,
)
from checklist.signoff import approve, declare_ready
from checklist.state import OnboardingState
from fitconnect import demo as fitconnect_demo
from portal.models import Organisation, User

MUSTERSTADT_ARS = "064350014014"
DEMO_NAMESPACE = uuid.UUID("6f1c1a52-3c1e-4a58-9a57-0d7c4f1f2a10")

CONTACTS = {
    "responsible_name": "Anna Amtmann",
    "responsible_email": "admin@musterstadt.example",
    "responsible_phone": "+49 6151 12345-0",
    "technical_name": "Clara Code",
    "technical_email": "entwicklung@kommunal-it.example",
    "technical_phone": "+49 6151 98765-12",
    "organisational_name": "Bernd Beispiel",
    "organisational_email": "sachbearbeitung@musterstadt.example",
    "organisational_phone": "+49 6151 12345-20",
}


def _record(onboarding: Onboarding, environment: Environment) -> None:
    EnvironmentRecord.objects.create(
        onboarding=onboarding,
        environment=environment,
        client_id=f"{onboarding.slug}-{environment.value}-subscriber",
        destination_id=uuid.uuid5(DEMO_NAMESPACE, f"{onboarding.slug}/{environment.value}"),
        encryption_kid=f"enc-{environment.value}-2026",
        signature_kid=f"sig-{environment.value}-2026",
        certificate_expiry=None if environment == Environment.TEST else date(2028, 6, 30),
    )


SANDBOX = "sandbox"


def ensure_sandbox_environment(base_url: str | None = None) -> FitConnectEnvironment:
    """Define the portal's local sandbox as an environment standing in for the test stage."""
    found = fitconnect_demo.sandbox_urls(base_url or settings.FITCONNECT_SANDBOX_URL)
    environment, _created = FitConnectEnvironment.objects.update_or_create(
        key=SANDBOX,
        defaults={
            "name": "Sandbox",
            "stage": Environment.TEST,
            "position": 10,
            "allow_private_addresses": True,
            "token_url": found["token_url"],
            "submission_base": found["submission_base"],
            "api_version": "v1",
            "routing_base": found["routing_base"],
            "routing_prefix": "/v1",
            "ssp_jwks_url": found["ssp_jwks_url"],
            "self_signed_allowed": True,
            "test_submission_allowed": True,
            "notes": "The portal's local stand-in (manage.py fitconnect_sandbox), for the demo. "
            "Runs against it are rehearsals: they tick no checklist item.",
        },
    )
    return environment


def _sandbox(onboarding: Onboarding, user: User) -> None:
    """Record the local sandbox's demo destination and store its demo secrets encrypted."""
    EnvironmentRecord.objects.create(
        onboarding=onboarding,
        environment=SANDBOX,
        client_id=fitconnect_demo.SUBSCRIBER_CLIENT_ID,
        destination_id=uuid.UUID(fitconnect_demo.DESTINATION_ID),
        encryption_kid=fitconnect_demo.ENCRYPTION_KID,
        signature_kid=fitconnect_demo.SIGNATURE_KID,
        callback_url=fitconnect_demo.sandbox_urls(settings.FITCONNECT_SANDBOX_URL)["callback_url"],
    )
    for kind, secret, client_id in (
        ("subscriber", fitconnect_demo.SUBSCRIBER_CLIENT_SECRET, ""),
        ("sender", fitconnect_demo.SENDER_CLIENT_SECRET, fitconnect_demo.SENDER_CLIENT_ID),
        ("callback", fitconnect_demo.CALLBACK_SECRET, ""),
    ):
        verification.store_secret(onboarding, SANDBOX, kind, secret, user, client_id=client_id)


def _tick(onboarding: Onboarding, step: int, user: User, fraction: float = 1.0) -> None:
    """Tick the manual and check items of a step that are visible (a fraction of them)."""
    state = OnboardingState(onboarding)
    items = [
        item
        for item in catalogue.load().for_step(step)
        if item.completion in ("manual", "check") and state.visible(item)
    ]
    for item in items[: round(len(items) * fraction)]:
        services.set_item_done(onboarding, item, True, user)


def _sign_off(
    onboarding: Onboarding, environment: Environment, provider: User, approver: User
) -> None:
    declare_ready(onboarding, environment, provider)
    approve(onboarding, environment, approver)


def _create(
    authority: Organisation, provider: Organisation | None, slug: str, name: str, creator: User
) -> Onboarding | None:
    if Onboarding.objects.filter(slug=slug).exists():
        return None  # already seeded: leave it as people may have changed it
    onboarding = Onboarding(
        authority=authority,
        provider=provider,
        in_house=provider is None,
        slug=slug,
        name=name,
        **CONTACTS,
    )
    return services.create_onboarding(onboarding, creator)


def _step_one(onboarding: Onboarding, leistungen: list[dict[str, Any]]) -> None:
    """Record the services and tick step 1's tasks (the metadata versions belong to step 2)."""
    for data in leistungen:
        Leistung.objects.create(onboarding=onboarding, regions=[MUSTERSTADT_ARS], **data)
    onboarding.metadata_versions = ["1.2.0", "1.3.0", "1.5.0"]
    onboarding.save(update_fields=["metadata_versions"])
    if onboarding.created_by is not None:
        _tick(onboarding, 1, onboarding.created_by)


# 99050012104000 "Gewerbe anmelden" (Bundesportal, verwaltung.bund.de/leistungsverzeichnis).
GEWERBE: list[dict[str, Any]] = [
    {
        "key": "99050012104000",
        "name": "Gewerbe anmelden",
        "schema_kind": "fim",
        "schema_uri": "https://schema.fitko.de/fim/s00000092_1.0.schema.json",
        "mime_type": "application/json",
        "reply_email": True,
        "email_pgp": True,
        "reply_elster": True,
    },
]

# 99107023037000 "Wohngeld - Mietzuschuss beantragen" (PVOG, Land Berlin).
WOHNGELD: dict[str, Any] = {
    "key": "99107023037000",
    "name": "Wohngeld - Mietzuschuss beantragen",
    "schema_kind": "fim",
    "schema_uri": "https://schema.fitko.de/fim/s00000096_1.0.schema.json",
    "mime_type": "application/json",
    "reply_email": True,
    "reply_bundid": True,
}

# 99107009017000 "Grundsicherung im Alter und bei Erwerbsminderung Bewilligung" (FIM-Portal
# Leistungssteckbrief); a production Zustellpunkt declares XSozial-basis 2.5.0 for it
# (benjaminaaron/d-stack-kg, data/2-enrich-kg/fit-connect.ttl, read 2026-06-18).
GRUNDSICHERUNG: dict[str, Any] = {
    "key": "99107009017000",
    "name": "Grundsicherung im Alter und bei Erwerbsminderung Bewilligung",
    "schema_kind": "xoev",
    "schema_uri": "urn:xoev-de:d-nrw:standard:xsozialbasis_2.5.0",
    "mime_type": "application/xml",
    "reply_bundid": True,
    "reply_fink": True,
}

# 99108001001000 "Parkausweis für Bewohner beantragen" (PVOG, Land Berlin).
PARKAUSWEIS: dict[str, Any] = {
    "key": "99108001001000",
    "name": "Parkausweis für Bewohner beantragen",
    "schema_kind": "fim",
    "schema_uri": "https://schema.fitko.de/fim/s00000114_1.1.schema.json",
    "mime_type": "application/json",
}


def seed_onboardings(organisations: dict[str, Organisation], people: dict[str, User]) -> None:
    musterstadt = organisations["stadt-musterstadt"]
    provider = organisations["kommunal-it"]
    anna = people["admin@musterstadt.example"]
    bernd = people["sachbearbeitung@musterstadt.example"]
    clara = people["entwicklung@kommunal-it.example"]

    # The main demo: step 1 complete, Test configured, step 2 half done.
    if onboarding := _create(
        musterstadt, provider, "musterstadt-gewerbe", "Gewerbeanmeldung", anna
    ):
        onboarding.product = "GewerbePro 5 (Muster Software AG)"
        onboarding.target_go_live = date(2027, 6, 1)
        onboarding.save(update_fields=["product", "target_go_live"])
        _step_one(onboarding, GEWERBE)
        _record(onboarding, Environment.TEST)
        _sandbox(onboarding, clara)
        _tick(onboarding, 2, clara, fraction=0.5)

    # Just started: one service recorded.
    if onboarding := _create(musterstadt, provider, "musterstadt-hundesteuer", "Hundesteuer", anna):
        # 99102013104000 "Hundesteuer Anmeldung" (PVOG, Stadt Köln).
        Leistung.objects.create(
            onboarding=onboarding,
            key="99102013104000",
            name="Hundesteuer Anmeldung",
            schema_kind="fim",
            schema_uri="https://schema.fitko.de/fim/s00000114_1.1.schema.json",
            mime_type="application/json",
            regions=[],
        )

    # Test signed off, testing on the reference environment; replies also to the BundID.
    if onboarding := _create(musterstadt, provider, "musterstadt-wohngeld", "Wohngeld", anna):
        _step_one(onboarding, [WOHNGELD])
        _record(onboarding, Environment.TEST)
        _tick(onboarding, 2, clara)
        _tick(onboarding, 3, clara)
        _sign_off(onboarding, Environment.TEST, clara, bernd)
        _record(onboarding, Environment.REFERENCE)

    # Reference signed off, going to production; an XÖV schema.
    if onboarding := _create(
        musterstadt, provider, "musterstadt-grundsicherung", "Grundsicherung", anna
    ):
        _step_one(onboarding, [GRUNDSICHERUNG])
        for environment, step in ((Environment.TEST, 3), (Environment.REFERENCE, 4)):
            _record(onboarding, environment)
            _tick(onboarding, 2, clara)
            _tick(onboarding, step, clara)
            _sign_off(onboarding, environment, clara, bernd)
        _tick(onboarding, 5, anna, fraction=0.5)

    # Another authority, in-house, for isolation checks.
    landkreis = organisations["landkreis-beispiel"]
    dieter = people["admin@landkreis-beispiel.example"]
    if onboarding := _create(landkreis, None, "landkreis-parken", "Bewohnerparken", dieter):
        _step_one(onboarding, [PARKAUSWEIS])


def point_at_sandbox(base: str) -> None:
    """Point the sandbox environment and the demo's sandbox record at a sandbox on ``base``.

    ``seed_demo`` calls it with ``FITCONNECT_SANDBOX_URL``, so the demo follows
    ``make run SANDBOX_PORT=…``.
    """
    ensure_sandbox_environment(base)
    EnvironmentRecord.objects.filter(
        onboarding__slug="musterstadt-gewerbe", environment=SANDBOX
    ).update(callback_url=fitconnect_demo.sandbox_urls(base)["callback_url"])
