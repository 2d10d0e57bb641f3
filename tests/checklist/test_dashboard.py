"""The dashboard of coordination offices and site operators: figures with denominators,
each linking to the overview that lists them, charts with the same numbers as tables."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import time_machine
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
# 1 for the session and its person; 5 for the figures and lists (one pass over the
# onboardings counts all their figures; each list carries its count); 1 for the
# environments' names; 1 for the keys expiring (checklist.dashboard_keys); 1 for the median
# lead times of all stages (checklist.dashboard_lead); 1 for the production watch's counts.
DASHBOARD_BUDGET = 10


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


def test_each_bar_links_its_overview_with_its_label_and_numbers(world: World) -> None:
    _hessen(world, 1, current_step=3, target_go_live=timezone.localdate())
    html = signed_in(world.coordinator).get(reverse("dashboard")).content.decode()
    chart = html.split('<title id="chart-steps-title">')[1].split("</svg>")[0]
    overview = reverse("overview")
    bar = chart.split(f'<a href="{overview}?step=3" aria-label="Schritt 3: 1 von 2">')[1]
    assert bar.split("</a>")[0] == (
        '\n    <text x="192" y="100.0" text-anchor="end" font-size="14" fill="#1b1b1b">'
        "Schritt 3</text>\n"
        '    <rect x="200" y="82" width="300.0" height="26" fill="#0b5ea8"></rect>\n'
        '    <text x="506.0" y="100.0" font-size="14" fill="#1b1b1b">1 von 2</text>\n  '
    )
    # The go-lives done have no overview to link: a group, drawn grey.
    go_lives = html.split('<title id="chart-go-lives-title">')[1].split("</svg>")[0]
    assert go_lives.count("<g>") == 12
    assert '<rect x="200" y="24" width="0.0" height="16" fill="#5a6b7b"></rect>' in go_lives


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


def _figure(html: str, label: str) -> str:
    row = html.split('id="funnel-heading"')[1].split(f'scope="row">{label}</th>')[1]
    return row.split("</a>")[0].rsplit(">", 1)[1]


def test_one_pass_counts_each_step_and_each_month_s_go_lives_to_the_day(world: World) -> None:
    # The steps and the months planned are counted in the one pass over the onboardings
    # that counts the totals: each day at a month's and the window's ends in its month.
    with time_machine.travel(datetime(2026, 12, 20, 12, tzinfo=UTC), tick=False):
        for number, (step, go_live) in enumerate(
            (
                (2, date(2026, 6, 30)),  # the day before the window (July to June)
                (2, date(2026, 7, 1)),
                (3, date(2026, 7, 31)),
                (5, date(2026, 12, 31)),
                (None, date(2027, 1, 1)),
                (None, date(2027, 6, 30)),
                (4, date(2027, 7, 1)),  # the day after the window
            )
        ):
            _hessen(world, number, current_step=step, target_go_live=go_live)
        html = signed_in(world.coordinator).get(reverse("dashboard")).content.decode()
    # Hessen: Musterstadt's onboarding (step 1, no target go-live) and the seven above.
    expected = {"Schritt 1": 1, "Schritt 2": 2, "Schritt 3": 1, "Schritt 4": 1}
    expected |= {"Schritt 5": 1, "In Betrieb": 2}
    assert {label: _figure(html, label) for label in expected} == {
        label: f"{count} von 8 Vorhaben" for label, count in expected.items()
    }
    go_lives = html.split('id="go-live-caption"')[1].split("</table>")[0]
    planned = {
        row.split("</th>")[0]: row.split('<td class="kern-table__cell">')[1].split("</td>")[0]
        for row in go_lives.split('scope="row">')[1:]
    }
    assert len(planned) == 12
    assert [month for month, count in planned.items() if count != "0"] == [
        "Juli 2026",
        "Dezember 2026",
        "Januar 2027",
        "Juni 2027",
    ]
    assert ">2</a>" in planned["Juli 2026"]
    for month in ("Dezember 2026", "Januar 2027", "Juni 2027"):
        assert ">1</a>" in planned[month]


def test_each_overdue_or_blocked_row_links_its_page_reminder_and_step(world: World) -> None:
    # The rows' links are reversed once per page with a stand-in for the slug.
    today = timezone.localdate()
    _hessen(world, 1, target_go_live=today - timedelta(days=3), current_step=2)
    _hessen(world, 2, current_step=None, signoff_production="returned")
    html = signed_in(world.coordinator).get(reverse("dashboard")).content.decode()
    stuck = html.split('id="stuck-caption"')[1].split("</table>")[0]
    live = stuck.split(">Verfahren 2<")[1]
    assert f'href="{reverse("onboarding_detail", args=["darmstadt-1"])}">Verfahren 1<' in stuck
    assert f'href="{reverse("onboarding_remind", args=["darmstadt-1"])}">' in stuck
    assert f'href="{reverse("step", args=["darmstadt-1", 2])}#checkliste">' in stuck
    assert (today - timedelta(days=3)).strftime("%d.%m.%Y") in stuck
    # Live: no reminder, its comments on step 5; no target go-live.
    assert f'href="{reverse("step", args=["darmstadt-2", 5])}#checkliste">' in live
    assert reverse("onboarding_remind", args=["darmstadt-2"]) not in stuck
    assert '<td class="kern-table__cell">–</td>' in live
