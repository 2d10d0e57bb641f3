"""The dashboard's further figures: median lead times to each sign-off, keys expiring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from checklist.models import Onboarding, SignOff, VerificationRun
from portal.models import Organisation
from tests.conftest import World, make_onboarding


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _darmstadt(world: World, number: int) -> Onboarding:
    authority, _ = Organisation.objects.get_or_create(
        slug="darmstadt",
        defaults={"name": "Stadt Darmstadt", "kind": "authority", "ars": "064110000000"},
    )
    return make_onboarding(
        authority, None, world.authority_admin, f"darmstadt-{number}", f"Verfahren {number}"
    )


def _approved(onboarding: Onboarding, stage: str, after_days: int, now: bool = True) -> None:
    """The stage approved ``after_days`` after the onboarding's start (and signed off now)."""
    start = timezone.now() - timedelta(days=200)
    Onboarding.objects.filter(pk=onboarding.pk).update(
        created_at=start, **{f"signoff_{stage}": "approved" if now else "invalid"}
    )
    decided = start + timedelta(days=after_days)
    SignOff.objects.create(
        onboarding=onboarding,
        environment=stage,
        state=SignOff.State.APPROVED,
        declared_at=decided - timedelta(hours=1),
        decided_at=decided,
    )


def _section(html: str, heading_id: str) -> str:
    return html.split(f'id="{heading_id}"')[1].split("</section>")[0]


def test_the_median_lead_time_to_each_sign_off_shows_its_denominator(world: World) -> None:
    for number, days in enumerate((10, 20, 40)):
        _approved(_darmstadt(world, number), "test", days)
    # Reference: an even count, the mean of the two middle ones.
    _approved(_darmstadt(world, 3), "reference", 30)
    _approved(_darmstadt(world, 4), "reference", 50)
    # Signed off once but invalid now: not among the test stage's signed-off onboardings.
    _approved(_darmstadt(world, 5), "test", 190, now=False)
    html = signed_in(world.coordinator).get(reverse("dashboard")).content.decode()
    funnel = _section(html, "funnel-heading")
    rows = funnel.split('id="lead-caption"')[1].split("</table>")[0]
    test_row = rows.split(">Test</th>")[1].split("</tr>")[0]
    assert "20 Tage" in test_row
    assert f'href="{reverse("overview")}?approved=test">Median aus 3 Vorhaben' in test_row
    reference_row = rows.split(">Referenz</th>")[1].split("</tr>")[0]
    assert "40 Tage" in reference_row
    assert "Median aus 2 Vorhaben" in reference_row
    production_row = rows.split(">Produktiv</th>")[1].split("</tr>")[0]
    assert "Median aus 0 Vorhaben" in production_row


def test_the_median_lead_time_runs_to_each_onboarding_s_first_approval(world: World) -> None:
    # All three stages in one statement: each ranks its own onboardings.
    for number, days in enumerate((10, 60, 30, 70)):
        _approved(_darmstadt(world, number), "production", days)
    # Approved again now (after a new sign-off round): its first approval counts.
    _approved(Onboarding.objects.get(slug="darmstadt-0"), "production", 200)
    _approved(_darmstadt(world, 4), "test", 5)
    html = signed_in(world.coordinator).get(reverse("dashboard")).content.decode()
    rows = _section(html, "funnel-heading").split('id="lead-caption"')[1].split("</table>")[0]
    production_row = rows.split(">Produktiv</th>")[1].split("</tr>")[0]
    assert "45 Tage" in production_row  # (30 + 60) / 2
    assert "Median aus 4 Vorhaben" in production_row
    test_row = rows.split(">Test</th>")[1].split("</tr>")[0]
    assert "5 Tage" in test_row
    assert "Median aus 1 Vorhaben" in test_row
    reference_row = rows.split(">Referenz</th>")[1].split("</tr>")[0]
    assert "–" in reference_row
    assert "Median aus 0 Vorhaben" in reference_row


def _keys_run(onboarding: Onboarding, keys: list[dict[str, object]], **fields: object) -> None:
    run = VerificationRun.objects.create(
        onboarding=onboarding,
        environment="test",
        status=VerificationRun.Outcome.OK,
        finished_at=timezone.now(),
        results=[
            {"check": "destination", "status": "ok", "evidence": {}},
            {"check": "keys", "status": "ok", "evidence": {"keys": keys}},
        ],
        **fields,
    )
    # auto_now_add: the order of the runs is set afterwards.
    started = fields.get("started_at")
    if started:
        VerificationRun.objects.filter(pk=run.pk).update(started_at=started)


def test_keys_expiring_within_30_days_count_the_newest_check_of_each_environment(
    world: World,
) -> None:
    today = timezone.localdate()
    soon = (today + timedelta(days=12)).isoformat()
    later = (today + timedelta(days=45)).isoformat()
    first, second, third = (_darmstadt(world, n) for n in range(3))
    _keys_run(
        first,
        [
            {"kid": "enc-2026", "purpose": "encryption", "expires": soon},
            {"kid": "sig-2026", "purpose": "signature", "expires": later},
            {"kid": "bare-jwk", "purpose": "signature", "expires": None},
        ],
    )
    # Replaced: the older check saw an expiring key, the newest one a renewed key.
    _keys_run(
        second,
        [{"kid": "old-key", "purpose": "encryption", "expires": soon}],
        started_at=timezone.now() - timedelta(days=3),
    )
    _keys_run(second, [{"kid": "new-key", "purpose": "encryption", "expires": later}])
    # A rehearsal against a stand-in says nothing about the real keys.
    _keys_run(
        third, [{"kid": "stand-in", "purpose": "encryption", "expires": soon}], rehearsal=True
    )
    # Outside the coordinator's area (Bayern).
    bayern = Organisation.objects.create(
        name="Stadt München", slug="muenchen", kind="authority", ars="091620000000"
    )
    munich = make_onboarding(bayern, None, world.authority_admin, "muenchen-kfz", "Kfz München")
    _keys_run(munich, [{"kid": "bavarian", "purpose": "encryption", "expires": soon}])

    html = signed_in(world.coordinator).get(reverse("dashboard")).content.decode()
    section = _section(html, "expiring-heading")
    keys = section.split('id="keys-caption"')[1].split("</table>")[0]
    assert "1 Schlüssel</caption>" in keys
    assert "Verfahren 0" in keys
    assert "Verschlüsselungsschlüssel (enc-2026)" in keys
    assert (today + timedelta(days=12)).strftime("%d.%m.%Y") in keys
    for absent in ("sig-2026", "bare-jwk", "old-key", "new-key", "stand-in", "bavarian"):
        assert absent not in keys
    assert "Ein Schlüssel läuft mit dem Zertifikat ab" in section


def test_keys_expiring_are_counted_to_the_day_across_the_turn_of_the_year(world: World) -> None:
    # The database finds the runs by the dates named in their results (one pattern for
    # the 31 days, grouped by month): the window's ends, both months, no day beyond.
    with time_machine.travel(datetime(2026, 12, 20, 12, tzinfo=UTC), tick=False):
        _keys_run(
            _darmstadt(world, 0),
            [
                {"kid": "yesterday", "purpose": "encryption", "expires": "2026-12-19"},
                {"kid": "today", "purpose": "encryption", "expires": "2026-12-20"},
                {"kid": "new-year", "purpose": "signature", "expires": "2027-01-01"},
                {"kid": "last-day", "purpose": "encryption", "expires": "2027-01-19"},
                {"kid": "day-after", "purpose": "encryption", "expires": "2027-01-20"},
                {"kid": "next-month", "purpose": "encryption", "expires": "2027-02-01"},
            ],
        )
        _keys_run(
            _darmstadt(world, 1),
            [{"kid": "later-year", "purpose": "encryption", "expires": "2027-12-25"}],
        )
        html = signed_in(world.coordinator).get(reverse("dashboard")).content.decode()
    keys = _section(html, "expiring-heading").split('id="keys-caption"')[1].split("</table>")[0]
    assert "3 Schlüssel</caption>" in keys
    for counted in ("(today)", "(new-year)", "(last-day)"):
        assert counted in keys
    for absent in ("yesterday", "day-after", "next-month", "later-year"):
        assert absent not in keys
    assert keys.index("20.12.2026") < keys.index("01.01.2027") < keys.index("19.01.2027")
