"""Create the demo organisations and people. Safe to run any number of times."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from checklist.demo import point_at_sandbox, seed_onboardings, seed_work
from checklist.demo_land import OFFICE_NAME, OFFICE_SLUG, seed_land
from notifications.models import Notification
from notifications.services import without_email
from portal.models import Membership, Organisation, User
from sso.demo import seed_identity_provider
from watch.demo import seed_watch

DEMO_PASSWORD = "Anbindung-Demo-2026"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    full_name: str
    organisation: str
    role: str


ORGANISATIONS = [
    ("Stadt Musterstadt", "stadt-musterstadt", Organisation.Kind.AUTHORITY),
    ("Kommunal-IT GmbH", "kommunal-it", Organisation.Kind.PROVIDER),
    ("Landkreis Beispiel", "landkreis-beispiel", Organisation.Kind.AUTHORITY),
    (OFFICE_NAME, OFFICE_SLUG, Organisation.Kind.COORDINATION),
]

PEOPLE = [
    DemoPerson("admin@musterstadt.example", "Anna Amtmann", "stadt-musterstadt", "admin"),
    DemoPerson(
        "sachbearbeitung@musterstadt.example", "Bernd Beispiel", "stadt-musterstadt", "staff"
    ),
    DemoPerson("entwicklung@kommunal-it.example", "Clara Code", "kommunal-it", "staff"),
    DemoPerson("leitung@kommunal-it.example", "Karl Kommunal", "kommunal-it", "admin"),
    DemoPerson("admin@landkreis-beispiel.example", "Dieter Dritter", "landkreis-beispiel", "admin"),
    DemoPerson("koordinierung@land-hessen.example", "Lena Land", OFFICE_SLUG, "admin"),
]

OPERATOR = DemoPerson("betrieb@portal.example", "Petra Plattform", "", "")


class Command(BaseCommand):
    help = "Create or update the demo organisations and accounts (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        organisations = {}
        for name, slug, kind in ORGANISATIONS:
            organisation, _ = Organisation.objects.update_or_create(
                slug=slug, defaults={"name": name, "kind": kind}
            )
            organisations[slug] = organisation
        for person in PEOPLE:
            user = self._user(person)
            Membership.objects.update_or_create(
                user=user,
                organisation=organisations[person.organisation],
                defaults={"role": person.role},
            )
        people = {p.email: User.objects.get(email=p.email) for p in PEOPLE}
        # The demo's events happen all at once: their notifications fill the inboxes, but
        # their e-mails would come in a burst and partly tell of states already changed.
        with without_email():
            seed_onboardings(organisations, people)
            seed_work(people)
            # A Land's coordination office with a few hundred onboardings of its Kreise.
            seed_land(people, organisations["kommunal-it"])
        point_at_sandbox(settings.FITCONNECT_SANDBOX_URL)
        # Three onboardings live in production, watched against the sandbox.
        with without_email():
            seed_watch(
                organisations["stadt-musterstadt"],
                organisations["kommunal-it"],
                people["entwicklung@kommunal-it.example"],
                people["admin@musterstadt.example"],
                settings.FITCONNECT_SANDBOX_URL,
            )
        # "Mit Dienstkonto anmelden": the demo identity provider `make run` starts (Node.js).
        seed_identity_provider(settings.SSO_DEMO_ISSUER)
        operator = self._user(OPERATOR)
        if not operator.is_superuser:
            operator.is_staff = operator.is_superuser = True
            operator.save(update_fields=["is_staff", "is_superuser"])

        self.stdout.write(
            f"The demo inboxes hold {Notification.objects.count()} notifications; the demo "
            "data sends no e-mail for them. E-mails from now on (reminders of the scheduled "
            "jobs, what you do in the portal) are printed by the worker."
        )
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in with:"))
        for person in [*PEOPLE, OPERATOR]:
            where = (
                organisations[person.organisation].name if person.organisation else "Django admin"
            )
            self.stdout.write(
                f"  {person.email:<40} {DEMO_PASSWORD}   ({person.full_name}, {where})"
            )

    def _user(self, person: DemoPerson) -> User:
        user = User.objects.filter(email=person.email).first()
        if user is None:
            return User.objects.create_user(person.email, DEMO_PASSWORD, full_name=person.full_name)
        if user.full_name != person.full_name or not user.check_password(DEMO_PASSWORD):
            user.full_name = person.full_name
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["full_name", "password"])
        return user
