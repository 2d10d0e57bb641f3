"""Demo onboardings in every stage, so the overview shows variety. Used by ``seed_demo``.

Every Leistungsschlüssel here is real and carries the name its public source gives it; the
sources are listed per key in ``checklist/data/leika.csv`` (FIM-Portal Leistungssteckbriefe,
PVOG Suchdienst, Bundesportal), see ``checklist/data/README.md``.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from checklist import catalogue, services, verification
from checklist.models import (
    Environment,
    EnvironmentRecord,
    FitConnectEnvironment,
    Leistung,
    Onboarding,
    StoredSecret,
    VerificationRun,
)
from checklist.signoff import approve, declare_ready, send_back
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


def _record(onboarding: Onboarding, environment: Environment, user: User) -> None:
    record = EnvironmentRecord(
        onboarding=onboarding,
        environment=environment,
        client_id=f"{onboarding.slug}-{environment.value}-subscriber",
        destination_id=uuid.uuid5(DEMO_NAMESPACE, f"{onboarding.slug}/{environment.value}"),
        encryption_kid=f"enc-{environment.value}-2026",
        signature_kid=f"sig-{environment.value}-2026",
        certificate_expiry=None if environment == Environment.TEST else date(2028, 6, 30),
    )
    services.save_environment_record(record, user)


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
    record = EnvironmentRecord(
        onboarding=onboarding,
        environment=SANDBOX,
        client_id=fitconnect_demo.SUBSCRIBER_CLIENT_ID,
        destination_id=uuid.UUID(fitconnect_demo.DESTINATION_ID),
        encryption_kid=fitconnect_demo.ENCRYPTION_KID,
        signature_kid=fitconnect_demo.SIGNATURE_KID,
        callback_url=fitconnect_demo.sandbox_urls(settings.FITCONNECT_SANDBOX_URL)["callback_url"],
    )
    services.save_environment_record(record, user)
    for kind, secret, client_id in (
        ("subscriber", fitconnect_demo.SUBSCRIBER_CLIENT_SECRET, ""),
        ("sender", fitconnect_demo.SENDER_CLIENT_SECRET, fitconnect_demo.SENDER_CLIENT_ID),
        ("callback", fitconnect_demo.CALLBACK_SECRET, ""),
    ):
        verification.store_secret(onboarding, SANDBOX, kind, secret, user, client_id=client_id)


def _demo_run(onboarding: Onboarding, environment: Environment, user: User) -> None:
    """A passed connection check against a FITKO stage, as demo material: the demo cannot
    reach FITKO's stages offline. It is marked (``VerificationRun.demo``) and every page,
    e-mail and PDF that shows it says so. ``finish_run`` ticks the step's check items."""
    checks = verification.stage_checks(environment)
    run = VerificationRun.objects.create(
        onboarding=onboarding,
        environment=environment,
        started_by=user,
        demo=True,
        results=[
            {"check": check, "status": "ok", "message": "Demo-Material", "demo": True}
            for check in checks
        ],
    )
    verification.finish_run(run, user)


def _tick(onboarding: Onboarding, step: int, user: User, fraction: float = 1.0) -> None:
    """Tick the manual items of a step that are visible (a fraction of them); a whole step
    of a FITKO stage also gets its check items from a (demo) connection check."""
    state = OnboardingState(onboarding)
    items = [
        item
        for item in catalogue.load().for_step(step)
        if item.kind.tickable and not item.kind.proven_by_run and state.visible(item)
    ]
    for item in items[: round(len(items) * fraction)]:
        services.set_item_done(onboarding, item, True, user)
    environment = Environment.of_step(step)
    if environment is not None and fraction == 1.0:
        _demo_run(onboarding, environment, user)


def _tick_by_hand(
    onboarding: Onboarding, step: int, people: dict[str, User], reason: str, checks_only: bool
) -> None:
    """Tick a step's visible items as its sides do, the check items by hand with ``reason``
    (no connection check ran); ``people`` by role: authority, provider, both."""
    state = OnboardingState(onboarding)
    for item in catalogue.load().for_step(step):
        if not (item.kind.tickable and state.visible(item)):
            continue
        if item.kind.proven_by_run:
            services.set_item_done(onboarding, item, True, people[item.role], reason=reason)
        elif not checks_only:
            services.set_item_done(onboarding, item, True, people[item.role])


# The demo cannot reach FITKO's production environment: the site operator allows hand
# evidence for it, as a portal without a network path to it would (shown with every sign-off).
PRODUCTION_HAND_EVIDENCE = (
    "Die Produktivumgebung ist aus dem Rechenzentrum des Portals nicht erreichbar (Netzwerkregeln)."
)


def allow_hand_evidence_for_production() -> None:
    FitConnectEnvironment.objects.filter(key=Environment.PRODUCTION).update(
        hand_evidence_allowed=True, hand_evidence_reason=PRODUCTION_HAND_EVIDENCE
    )


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


def _step_one(onboarding: Onboarding, leistungen: list[dict[str, Any]], user: User) -> None:
    """Record the services and tick step 1's tasks (the metadata versions belong to step 2)."""
    for data in leistungen:
        services.save_leistung(
            Leistung(onboarding=onboarding, regions=[MUSTERSTADT_ARS], **data), user
        )
    services.save_metadata_versions(onboarding, ["1.2.0", "1.3.0", "1.5.0"], user)
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
    "schema_uri": fitconnect_demo.XOEV_SCHEMA_URI,
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


def take_live(
    onboarding: Onboarding, leistung: dict[str, Any], provider: User, authority: User
) -> None:
    """Take a new demo onboarding through the five steps to an approved Production sign-off
    (Production on hand evidence, as the demo allows): the production watch's demo."""
    _step_one(onboarding, [leistung], authority)
    for environment, step in ((Environment.TEST, 3), (Environment.REFERENCE, 4)):
        _record(onboarding, environment, provider)
        _tick(onboarding, 2, provider)
        _tick(onboarding, step, provider)
        _sign_off(onboarding, environment, provider, authority)
    _record(onboarding, Environment.PRODUCTION, provider)
    people = {"provider": provider, "authority": authority, "both": provider}
    _tick_by_hand(onboarding, 5, people, PRODUCTION_HAND_EVIDENCE, checks_only=False)
    _sign_off(onboarding, Environment.PRODUCTION, provider, authority)


def seed_onboardings(organisations: dict[str, Organisation], people: dict[str, User]) -> None:
    musterstadt = organisations["stadt-musterstadt"]
    provider = organisations["kommunal-it"]
    anna = people["admin@musterstadt.example"]
    bernd = people["sachbearbeitung@musterstadt.example"]
    clara = people["entwicklung@kommunal-it.example"]
    allow_hand_evidence_for_production()

    # The main demo: step 1 complete, Test configured, step 2 half done.
    if onboarding := _create(
        musterstadt, provider, "musterstadt-gewerbe", "Gewerbeanmeldung", anna
    ):
        onboarding = services.update_onboarding(
            onboarding,
            {"product": "GewerbePro 5 (Muster Software AG)", "target_go_live": date(2027, 6, 1)},
            anna,
        )
        _step_one(onboarding, GEWERBE, anna)
        _record(onboarding, Environment.TEST, clara)
        _sandbox(onboarding, clara)
        _tick(onboarding, 2, clara, fraction=0.5)
        # The refused declaration: Test's check items ticked by hand with a reason, but no
        # connection check ran against Test (only the sandbox rehearsal can run offline).
        _tick_by_hand(
            onboarding,
            3,
            {"provider": clara, "authority": anna, "both": clara},
            "Im Fachverfahren GewerbePro gegen die Testumgebung geprüft; die "
            "Verbindungsprüfung des Portals steht noch aus.",
            checks_only=True,
        )

    # Just started: one service recorded.
    if onboarding := _create(musterstadt, provider, "musterstadt-hundesteuer", "Hundesteuer", anna):
        # 99102013104000 "Hundesteuer Anmeldung" (PVOG, Stadt Köln).
        leistung = Leistung(
            onboarding=onboarding,
            key="99102013104000",
            name="Hundesteuer Anmeldung",
            schema_kind="fim",
            schema_uri="https://schema.fitko.de/fim/s00000114_1.1.schema.json",
            mime_type="application/json",
            regions=[],
        )
        services.save_leistung(leistung, anna)

    # Test signed off, testing on the reference environment; replies also to the BundID.
    if onboarding := _create(musterstadt, provider, "musterstadt-wohngeld", "Wohngeld", anna):
        _step_one(onboarding, [WOHNGELD], anna)
        _record(onboarding, Environment.TEST, clara)
        _tick(onboarding, 2, clara)
        _tick(onboarding, 3, clara)
        _sign_off(onboarding, Environment.TEST, clara, bernd)
        _record(onboarding, Environment.REFERENCE, clara)

    # Reference signed off, Production declared on hand evidence (the operator allows it for
    # Production) and waiting for approval; an XÖV schema.
    if onboarding := _create(
        musterstadt, provider, "musterstadt-grundsicherung", "Grundsicherung", anna
    ):
        _step_one(onboarding, [GRUNDSICHERUNG], anna)
        # The provider's XML template for the conformance run (the sandbox's sample).
        sample = fitconnect_demo.XML_SAMPLES[fitconnect_demo.XOEV_SCHEMA_URI]
        onboarding.leistungen.update(xml_template=sample.read_text(encoding="utf-8"))
        for environment, step in ((Environment.TEST, 3), (Environment.REFERENCE, 4)):
            _record(onboarding, environment, clara)
            _tick(onboarding, 2, clara)
            _tick(onboarding, step, clara)
            _sign_off(onboarding, environment, clara, bernd)
        # Production declared on hand evidence: the operator allows it (see above).
        _record(onboarding, Environment.PRODUCTION, clara)
        _tick_by_hand(
            onboarding,
            5,
            {"provider": clara, "authority": anna, "both": clara},
            "Im Fachverfahren mit dem Produktivzugang geprüft; das Portal erreicht die "
            "Produktivumgebung nicht.",
            checks_only=False,
        )
        declare_ready(onboarding, Environment.PRODUCTION, clara)

    # Another authority, in-house, for isolation checks.
    landkreis = organisations["landkreis-beispiel"]
    dieter = people["admin@landkreis-beispiel.example"]
    if onboarding := _create(landkreis, None, "landkreis-parken", "Bewohnerparken", dieter):
        _step_one(onboarding, [PARKAUSWEIS], dieter)


def seed_work(people: dict[str, User]) -> None:
    """Give every part of "Meine Aufgaben" something to show; safe to run again.

    A Reference sign-off waits for Bernd (as does Grundsicherung's Production sign-off), two
    items are assigned to Clara (step 2 overdue), Clara mentions Anna in a comment, and the
    Test certificate expires in 20 days.
    """
    anna = people["admin@musterstadt.example"]
    bernd = people["sachbearbeitung@musterstadt.example"]
    clara = people["entwicklung@kommunal-it.example"]
    del bernd  # the sign-off waits for him (and Anna) as authority members
    today = timezone.localdate()

    wohngeld = Onboarding.objects.filter(slug="musterstadt-wohngeld").first()
    if (
        wohngeld is not None
        and not wohngeld.signoffs.filter(environment=Environment.REFERENCE).exists()
    ):
        _tick(wohngeld, 4, clara)
        declare_ready(wohngeld, Environment.REFERENCE, clara)

    gewerbe = Onboarding.objects.filter(slug="musterstadt-gewerbe").first()
    if gewerbe is None:
        return
    items = catalogue.load().by_key()
    state = OnboardingState(gewerbe)
    open_items = [view.item for view in state.items(2) if not view.done and not view.automatic]
    if not gewerbe.item_states.filter(assignee__isnull=False).exists():
        for item in open_items[:2]:
            services.assign_item(gewerbe, item, clara, anna)
    if not gewerbe.deadlines.exists():
        services.set_due_dates(
            gewerbe, {2: today - timedelta(days=3), 3: today + timedelta(days=5)}, anna
        )
    mention = "@Anna Amtmann Bitte bestätigen Sie den Zustellpunkt, dann lege ich ihn an."
    item = items["step2.destination"]
    if not gewerbe.item_states.filter(comments__text=mention).exists():
        services.add_comment(gewerbe, item, mention, clara)
    EnvironmentRecord.objects.filter(
        onboarding=gewerbe, environment=Environment.TEST, certificate_expiry__isnull=True
    ).update(certificate_expiry=today + timedelta(days=20))


def point_at_sandbox(base: str) -> None:
    """Point the sandbox environment and the demo's sandbox record at a sandbox on ``base``.

    ``seed_demo`` calls it with ``FITCONNECT_SANDBOX_URL``, so the demo follows
    ``make run SANDBOX_PORT=…``.
    """
    environment = ensure_sandbox_environment(base)
    EnvironmentRecord.objects.filter(
        onboarding__slug="musterstadt-gewerbe", environment=SANDBOX
    ).update(callback_url=fitconnect_demo.sandbox_urls(base)["callback_url"])
    # The demo's sandbox secrets are the sandbox's own: they follow it to its new address.
    StoredSecret.objects.filter(onboarding__slug="musterstadt-gewerbe", environment=SANDBOX).update(
        bound_hosts=environment.secret_hosts
    )


# Benchmark data (make bench) ---------------------------------------------------------------


RICH = 240  # the benchmark provider's onboardings with the full mix (seed_bench)


def _realistic(onboarding: Onboarding, n: int, people: dict[str, User]) -> None:
    """Give a bench onboarding a realistic state: Leistungen, comments, due dates, and by
    ``n`` one of eight stages from step 1 to live with every sign-off state on the way."""
    provider, authority = people["provider"], people["authority"]
    stage = n % 8
    onboarding = services.update_onboarding(onboarding, dict(CONTACTS), authority)
    _step_one(
        onboarding, [{**GEWERBE[0], "key": f"9905003500{k:04d}"} for k in range(3)], authority
    )
    services.set_due_dates(
        onboarding,
        {step: date(2026, 3, 1) + timedelta(days=30 * step + n % 90) for step in range(2, 6)},
        authority,
    )
    items = catalogue.load().by_key()
    for k, key in enumerate(("step1.leistungen", "step2.client", "step2.destination")):
        if key in items:
            services.add_comment(onboarding, items[key], f"Rückfrage {k} zu {key}", provider)
    if stage == 0:
        return
    _tick(onboarding, 2, provider, fraction=1.0 if stage > 1 else 0.5)
    if stage == 1:
        return
    _record(onboarding, Environment.TEST, provider)
    _tick(onboarding, 3, provider)
    declare_ready(onboarding, Environment.TEST, provider)
    if stage == 2:
        return  # waits for the authority's approval
    if stage == 3:
        send_back(onboarding, Environment.TEST, authority, "Bitte Zertifikat prüfen.")
        return
    approve(onboarding, Environment.TEST, authority)
    if stage == 4:
        # Changed after the approval: the sign-off is invalid until checked again.
        services.save_leistung(
            Leistung(onboarding=onboarding, regions=[MUSTERSTADT_ARS], **WOHNGELD), authority
        )
        return
    _record(onboarding, Environment.REFERENCE, provider)
    _tick(onboarding, 4, provider)
    _sign_off(onboarding, Environment.REFERENCE, provider, authority)
    if stage == 5:
        return
    _record(onboarding, Environment.PRODUCTION, provider)
    _tick(onboarding, 5, authority, fraction=1.0 if stage == 7 else 0.5)
    if stage == 7:
        _sign_off(onboarding, Environment.PRODUCTION, provider, authority)


def seed_bench(
    count: int, authorities: int, providers: int, seen: int, password: str
) -> dict[str, Any]:
    """Create (once) ``count`` onboardings across the organisations, through the services.

    One provider is assigned ``seen`` of them; its member is the benchmark's user. Returns
    the e-mail addresses to sign in with, the onboarding whose step page is measured and
    those whose PDF is requested (their content is changed first, so each run renders anew).
    """
    from portal.models import Membership

    Organisation.objects.bulk_create(
        [
            Organisation(name=f"Bench-Behörde {n:03d}", slug=f"bench-b{n:03d}", kind="authority")
            for n in range(authorities)
        ]
        + [
            Organisation(name=f"Bench-IT {n:02d} GmbH", slug=f"bench-p{n:02d}", kind="provider")
            for n in range(providers)
        ],
        ignore_conflicts=True,
    )
    offices = list(Organisation.objects.filter(slug__startswith="bench-b").order_by("slug"))
    firms = list(Organisation.objects.filter(slug__startswith="bench-p").order_by("slug"))
    people = {}
    for key, email, organisation, role in (
        ("provider", "bench-it@bench.example", firms[0], "staff"),
        ("authority", "bench-amt@bench.example", offices[0], "admin"),
        ("operator", "bench-betrieb@bench.example", None, ""),
    ):
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, password, full_name=f"Bench {key}", is_staff=organisation is None
        )
        if organisation is not None:
            Membership.objects.get_or_create(
                user=user, organisation=organisation, defaults={"role": role}
            )
        people[key] = user
    main = Onboarding.objects.filter(slug="bench-main").first()
    if main is None:
        main = services.create_onboarding(
            Onboarding(authority=offices[0], provider=firms[0], slug="bench-main", name="Bench"),
            people["authority"],
        )
        for n in range(5):
            services.save_leistung(
                Leistung(
                    onboarding=main,
                    key=f"9905003500{n:04d}",
                    name=f"Leistung {n}",
                    schema_kind="fim",
                    schema_uri="https://schema.fitko.de/fim/s00000092_1.0.schema.json",
                    mime_type="application/json",
                    regions=[MUSTERSTADT_ARS],
                    reply_email=True,
                ),
                people["authority"],
            )
    existing = Onboarding.objects.filter(slug__startswith="bench-").count()
    missing = count - existing
    if missing > 0:
        batch = []
        for n in range(existing, existing + missing):
            own = n < seen  # the benchmark's provider serves the first ``seen`` ones
            provider = firms[0] if own else (firms[1 + n % (len(firms) - 1)] if n % 7 else None)
            batch.append(
                Onboarding(
                    authority=offices[n % len(offices)],
                    provider=provider,
                    in_house=provider is None,
                    slug=f"bench-{n:05d}",
                    name=f"Fachverfahren {n:05d}",
                    target_go_live=date(2026, 1, 1) + timedelta(days=n % 900),
                )
            )
        services.create_onboardings(batch, people["authority"])
        # A realistic mix where the benchmark looks (the provider's first ones by name: the
        # API's page of 100, the overview's first page, the step pages seen first), and
        # a hundred others (every tenth of the first thousand), all through the services.
        served = list(
            Onboarding.objects.filter(provider=firms[0]).exclude(pk=main.pk).order_by("slug")[:RICH]
        )
        rest = list(Onboarding.objects.exclude(provider=firms[0]).order_by("slug")[: count // 10])[
            ::10
        ]
        for n, onboarding in enumerate([*served, *rest]):
            _realistic(onboarding, n, people)
    # Data kept from an earlier run may predate the current catalogue: its first page view
    # would adopt the new items (a one-time write) and be measured as if pages did that.
    for outdated in Onboarding.objects.filter(
        slug__startswith="bench-", catalogue_version__lt=catalogue.load().version
    ).iterator():
        services.ensure_catalogue(outdated, people["authority"])
    pdf_onboardings = list(
        Onboarding.objects.filter(provider=firms[0]).exclude(pk=main.pk).order_by("slug")[:6]
    )
    item = catalogue.load().by_key()["step2.client"]
    for onboarding in pdf_onboardings:  # new content: each run renders these PDFs anew
        done = not OnboardingState(onboarding).is_done(item)
        services.set_item_done(onboarding, item, done, people["provider"])
    return {
        "emails": {key: people[key].email for key in ("provider", "operator")},
        "slug": main.slug,
        "pdf_slugs": [o.slug for o in pdf_onboardings],
        # Onboardings whose pages the benchmark opens once each (first views, not cached).
        "fresh_slugs": list(
            Onboarding.objects.filter(provider=firms[0])
            .exclude(pk__in=[main.pk, *(o.pk for o in pdf_onboardings)])
            .order_by("slug")
            .values_list("slug", flat=True)[:600]
        ),
        "onboardings": Onboarding.objects.count(),
    }
