"""Demo data of a Land's coordination office: Hessen's Kreise with a few hundred onboardings.

Created once through the services (``services.create_onboardings``, ticks through
``services.set_item_done``), so that the dashboard, its charts, the overview's filters and
paging and the coverage gaps (the office expects each Kreis) show at once on ``make run``.
Run again, it changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from checklist import catalogue, coverage_import, services
from checklist.demo import GEWERBE, MUSTERSTADT_ARS
from checklist.models import Leistung, Onboarding
from checklist.state import OnboardingState
from portal.models import Organisation, User

OFFICE_SLUG = "koordinierung-hessen"
OFFICE_NAME = "FIT-Connect-Koordinierung Hessen"
LAND_ARS = "06"
SLUG_PREFIX = "hessen-"

# The Kreise and kreisfreien Städte of Hessen by their ARS (5 digits).
KREISE = [
    ("06411", "Stadt Darmstadt"),
    ("06412", "Stadt Frankfurt am Main"),
    ("06413", "Stadt Offenbach am Main"),
    ("06414", "Landeshauptstadt Wiesbaden"),
    ("06431", "Kreis Bergstraße"),
    ("06432", "Landkreis Darmstadt-Dieburg"),
    ("06433", "Kreis Groß-Gerau"),
    ("06434", "Hochtaunuskreis"),
    ("06435", "Main-Kinzig-Kreis"),
    ("06436", "Main-Taunus-Kreis"),
    ("06437", "Odenwaldkreis"),
    ("06438", "Kreis Offenbach"),
    ("06439", "Rheingau-Taunus-Kreis"),
    ("06440", "Wetteraukreis"),
    ("06531", "Landkreis Gießen"),
    ("06532", "Lahn-Dill-Kreis"),
    ("06533", "Landkreis Limburg-Weilburg"),
    ("06534", "Landkreis Marburg-Biedenkopf"),
    ("06535", "Vogelsbergkreis"),
    ("06611", "Stadt Kassel"),
    ("06631", "Landkreis Fulda"),
    ("06632", "Landkreis Hersfeld-Rotenburg"),
    ("06633", "Landkreis Kassel"),
    ("06634", "Schwalm-Eder-Kreis"),
    ("06635", "Landkreis Waldeck-Frankenberg"),
    ("06636", "Werra-Meißner-Kreis"),
]
FACHVERFAHREN = [
    "Gewerbeanmeldung",
    "Wohngeld",
    "Hundesteuer",
    "Elterngeld",
    "Kfz-Zulassung",
    "Bauantrag",
    "Meldebescheinigung",
    "Fischereischein",
    "Bewohnerparkausweis",
    "Sondernutzungserlaubnis",
    "Baumfällgenehmigung",
    "Führungszeugnis",
]
PROVIDERS = [
    ("Hessen-IT Kommunal GmbH", "hessen-it-kommunal"),
    ("Regio-Rechenzentrum Nord GmbH", "regio-rz-nord"),
]
# How many onboardings move on through the services: step 1 done for these many.
ADVANCED = 36


def seed_land(people: dict[str, User], kommunal_it: Organisation) -> int:
    """Create the office, its authorities and onboardings once; return how many were made."""
    office, _created = Organisation.objects.update_or_create(
        slug=OFFICE_SLUG,
        defaults={
            "name": OFFICE_NAME,
            "kind": Organisation.Kind.COORDINATION,
            "regions": [LAND_ARS],
        },
    )
    # The office expects every Kreis connected: the coverage page shows its gaps at once.
    if not office.expected_regions.exists():
        coverage_import.replace_regions(office, KREISE)
    # Stadt Musterstadt (the demo's main authority) lies in Hessen: the office reads along.
    Organisation.objects.filter(slug="stadt-musterstadt", ars="").update(ars=MUSTERSTADT_ARS)
    if Onboarding.objects.filter(slug__startswith=SLUG_PREFIX).exists():
        return 0
    authorities = []
    for ars, name in KREISE:
        authority, _ = Organisation.objects.update_or_create(
            slug=f"hessen-{ars}",
            defaults={"name": name, "kind": Organisation.Kind.AUTHORITY, "ars": f"{ars}0000000"},
        )
        authorities.append(authority)
    providers: list[Organisation | None] = [kommunal_it]
    for name, slug in PROVIDERS:
        firm, _ = Organisation.objects.update_or_create(
            slug=slug, defaults={"name": name, "kind": Organisation.Kind.PROVIDER}
        )
        providers.append(firm)
    creator = people.get("koordinierung@land-hessen.example") or next(iter(people.values()))
    today = timezone.localdate()
    batch = []
    for k_index, (authority, (ars, _name)) in enumerate(zip(authorities, KREISE, strict=True)):
        for f_index, fachverfahren in enumerate(FACHVERFAHREN):
            number = k_index * len(FACHVERFAHREN) + f_index
            provider = providers[number % len(providers)] if number % 5 else None
            # From four months ago to a year ahead: some overdue, most planned, some open.
            go_live = today + timedelta(days=(number * 37) % 480 - 120) if number % 6 else None
            batch.append(
                Onboarding(
                    authority=authority,
                    provider=provider,
                    in_house=provider is None,
                    slug=f"{SLUG_PREFIX}{ars}-{f_index:02d}",
                    name=fachverfahren,
                    target_go_live=go_live,
                )
            )
    created = services.create_onboardings(batch, creator)
    _advance(Onboarding.objects.filter(slug__startswith=SLUG_PREFIX).order_by("pk"), creator)
    return len(created)


def _advance(onboardings: QuerySet[Onboarding], user: User) -> None:
    """Some onboardings record their Leistung and tick their items through the services
    (step 1 done; every third also step 2's items), for variety in the funnel; the rest
    stay at the start, as most do in a Land."""
    for index, onboarding in enumerate(onboardings.select_related("authority")[:ADVANCED]):
        services.save_leistung(
            Leistung(onboarding=onboarding, regions=[onboarding.authority.ars], **GEWERBE[0]),
            user,
        )
        services.save_metadata_versions(onboarding, ["1.2.0", "1.5.0"], user)
        for step in (1, 2) if index % 3 == 0 else (1,):
            state = OnboardingState(onboarding)
            for item in catalogue.load().for_step(step):
                if item.kind.tickable and not item.kind.proven_by_run and state.visible(item):
                    services.set_item_done(onboarding, item, True, user)
