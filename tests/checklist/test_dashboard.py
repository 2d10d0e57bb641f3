"""The dashboard of coordination offices and site operators: figures with denominators,
each linking to the overview that lists them, charts with the same numbers as tables."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from checklist import summary
from checklist.models import EnvironmentRecord, Onboarding, SignOff, VerificationRun
from portal.models import Organisation
from tests.conftest import World, make_onboarding

NOT_COUNTED = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")
# 12 for the figures, 4 for the median lead times (checklist.dashboard_lead), 1 for the
# keys expiring (checklist.dashboard_keys), 1 for the production watch's counts.
DASHBOARD_BUDGET = 18


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _hessen(world: World, number: int, **fields: object) -> Onboarding:
    authority, _ = Organisation.objects.get_or_create(
        slug="darmstadt",
        defaults={"name": "Stadt Darmstadt", "kind": "authority", "ars": "064110000000"},
    )
    onboarding = make_onboarding(
        authority, None, world.authority_admin, f"darmstadt-{number}", f"Verfahren {number}"
    )
    if fields:
        Onboarding.objects.filter(pk=onboarding.pk).update(**fields)
    return onboarding


def test_the_coordinator_sees_her_area_with_denominators_and_links(world: World) -> None:
    bayern = Organisation.objects.create(
        name="Stadt München", slug="muenchen", kind="authority", ars="091620000000"
    )
    make_onboarding(bayern, None, world.authority_admin, "muenchen-kfz", "Kfz München")
    _hessen(world, 1, current_step=3)
    _hessen(world, 2, current_step=None, signoff_test="approved")
    html = signed_in(world.coordinator).get(reverse("home")).content.decode()
    # Hessen: Musterstadt (step 1), Darmstadt 1 (step 3), Darmstadt 2 (live); not München.
    assert "3 Anbindungsvorhaben in Ihrem Bereich" in html
    assert f'href="{reverse("overview")}?step=3">1 von 3 Vorhaben' in html
    assert f'href="{reverse("overview")}?approved=test">1 von 3 Vorhaben' in html
    assert "Kfz München" not in html
    # The filtered overview lists exactly what the figure counts.
    listed = signed_in(world.coordinator).get(reverse("overview"), {"step": "3"})
    assert "Verfahren 1" in listed.content.decode()
    assert "Gewerbeanmeldung" not in listed.content.decode()


def test_each_chart_is_an_svg_with_title_description_and_the_same_numbers_as_a_table(
    world: World,
) -> None:
    html = signed_in(world.site_operator).get(reverse("dashboard")).content.decode()
    charts = re.findall(r"<svg[^>]*aria-labelledby=\"([^\"]+)\"", html)
    assert len(charts) == 3
    for ids in charts:
        title, desc = ids.split()
        assert f'<title id="{title}">' in html
        assert f'<desc id="{desc}">' in html
    assert "Anbindungsvorhaben nach aktuellem Schritt</caption>" in html
    assert "<script" not in html.split("<main", 1)[-1].split("</main>")[0]


def test_overdue_expiring_and_failed_name_who_holds_them(world: World) -> None:
    today = timezone.localdate()
    late = _hessen(world, 1, target_go_live=today - timedelta(days=3), current_step=2)
    summary.store(late)
    EnvironmentRecord.objects.create(
        onboarding=late, environment="test", certificate_expiry=today + timedelta(days=10)
    )
    VerificationRun.objects.create(
        onboarding=late,
        environment="test",
        status=VerificationRun.Outcome.FAILED,
        finished_at=timezone.now() - timedelta(days=1),
    )
    html = signed_in(world.coordinator).get(reverse("dashboard")).content.decode()
    stuck = html.split('id="attention-heading"')[1].split("</section>")[0]
    assert "Verfahren 1" in stuck
    assert "Stadt Darmstadt" in stuck  # in-house: the authority holds it
    assert "überfällig" in stuck
    expiring = html.split('id="expiring-heading"')[1].split("</section>")[0]
    assert "Verfahren 1" in expiring
    assert (today + timedelta(days=10)).strftime("%d.%m.%Y") in expiring
    failed = html.split('id="failed-heading"')[1].split("</section>")[0]
    assert "Verfahren 1" in failed


def _statements(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return len([q for q in captured.captured_queries if not q["sql"].startswith(NOT_COUNTED)])


def test_the_dashboard_costs_the_same_statements_for_ten_times_the_onboardings(
    world: World,
) -> None:
    today = timezone.localdate()
    client = signed_in(world.coordinator)
    _statements(client)  # the first request of a session also refreshes the session
    for number in range(3):
        _hessen(world, number, target_go_live=today - timedelta(days=number + 1))
    few = _statements(client)
    for number in range(3, 30):
        late = _hessen(world, number, target_go_live=today - timedelta(days=number + 1))
        EnvironmentRecord.objects.create(
            onboarding=late, environment="test", certificate_expiry=today + timedelta(days=5)
        )
        # Signed off: the median lead times have onboardings to order.
        Onboarding.objects.filter(pk=late.pk).update(signoff_test="approved")
        SignOff.objects.create(
            onboarding=late,
            environment="test",
            state=SignOff.State.APPROVED,
            declared_at=timezone.now(),
            decided_at=timezone.now(),
        )
        soon = (today + timedelta(days=5)).isoformat()
        VerificationRun.objects.create(
            onboarding=late,
            environment="test",
            status=VerificationRun.Outcome.OK,
            finished_at=timezone.now(),
            results=[{"check": "keys", "evidence": {"keys": [{"kid": "k", "expires": soon}]}}],
        )
    many = _statements(client)
    assert many == few
    assert many <= DASHBOARD_BUDGET
