"""The demo's Land coordination office: a few hundred onboardings of Hessen's Kreise that
its persona reads through the dashboard and the overview, and nothing of other Länder."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from checklist.demo_land import KREISE, OFFICE_SLUG
from checklist.models import Onboarding
from portal.models import Membership, User


def test_the_land_office_persona_steers_a_few_hundred_onboardings(db: None) -> None:
    call_command("seed_demo", stdout=StringIO())
    lena = User.objects.get(email="koordinierung@land-hessen.example")
    membership = Membership.objects.get(user=lena)
    assert membership.organisation.slug == OFFICE_SLUG
    assert membership.is_admin  # she may import
    hessen = Onboarding.objects.filter(authority__ars__startswith="06")
    assert hessen.count() >= 300
    assert hessen.values("authority").distinct().count() == len(KREISE) + 1  # + Musterstadt
    # Moved on through the services: the funnel shows more than one step.
    assert hessen.exclude(current_step=1).count() >= 30
    client = Client()
    client.force_login(lena)
    html = client.get(reverse("home")).content.decode()
    assert f"{hessen.count()} Anbindungsvorhaben in Ihrem Bereich" in html
    overview = client.get(reverse("overview")).content.decode()
    assert "Seite 1 von" in overview
    assert "Landkreis Beispiel" not in overview  # an authority without an ARS
    # Seeding again creates nothing more.
    count = Onboarding.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert Onboarding.objects.count() == count


def test_the_land_office_sees_its_coverage_gaps_at_once(db: None) -> None:
    call_command("seed_demo", stdout=StringIO())
    lena = User.objects.get(email="koordinierung@land-hessen.example")
    client = Client()
    client.force_login(lena)
    html = client.get(reverse("coverage")).content.decode()
    assert f"{len(KREISE)} erwartete Regionen" in html
    assert f"0 von {len(KREISE)} Regionen" in html  # Gewerbe anmelden: nowhere signed off yet
    assert "Regionen ohne freigegebene Produktivanbindung" in html
