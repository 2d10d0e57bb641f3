"""The dashboard's counts of the onboardings, written out as one statement, count what the
ORM's filters count: every figure, over every summary state, for a narrowed selection and
for none."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from django.db.models import Q, QuerySet

from checklist import dashboard_counts, dashboard_lead
from checklist.models import Onboarding
from portal.models import Organisation
from tests.conftest import World, make_onboarding

TODAY = date(2026, 12, 20)
MONTHS = [date(2026, month, 1) for month in range(7, 13)] + [date(2027, 1, 1)]
STATES = ("", "declared", "approved", "returned", "invalid")
STAGES = ("test", "reference", "production")


def _stages(state: str) -> Q:
    return Q(signoff_test=state) | Q(signoff_reference=state) | Q(signoff_production=state)


def _expected(onboardings: QuerySet[Onboarding]) -> dict[str, int]:
    """Each figure as the ORM counted it before (one filter per figure)."""
    overdue = Q(target_go_live__lt=TODAY, current_step__isnull=False)
    figures = {
        "overdue": overdue,
        "returned": _stages("returned"),
        "invalid": _stages("invalid"),
        "stuck": overdue | _stages("returned") | _stages("invalid"),
        "live": Q(current_step__isnull=True),
        **{f"approved_{stage}": Q(**{f"signoff_{stage}": "approved"}) for stage in STAGES},
        **{f"step_{n}": Q(current_step=n) for n in range(1, 6)},
    }
    for number, month in enumerate(MONTHS):
        following = MONTHS[number + 1] if number + 1 < len(MONTHS) else date(2027, 2, 1)
        figures[f"planned_{number}"] = Q(target_go_live__gte=month, target_go_live__lt=following)
    found = {name: onboardings.filter(q).count() for name, q in figures.items()}
    return {"total": onboardings.count(), **found}


def _mixed(world: World) -> None:
    """Onboardings in every step, each stage in every sign-off state, target go-lives on
    the window's and the months' edges, before and after today, and none."""
    authority = Organisation.objects.create(
        name="Stadt Darmstadt", slug="darmstadt", kind="authority", ars="064110000000"
    )
    go_lives = [None, TODAY, TODAY - timedelta(days=1), date(2026, 6, 30), date(2026, 7, 1)]
    go_lives += [date(2026, 7, 31), date(2026, 12, 31), date(2027, 1, 31), date(2027, 2, 1)]
    rows = itertools.product((None, 1, 2, 3, 4, 5), STATES, STATES)
    for number, (step, first, second) in enumerate(rows):
        onboarding = make_onboarding(
            authority, None, world.authority_admin, f"darmstadt-{number}", f"Verfahren {number}"
        )
        Onboarding.objects.filter(pk=onboarding.pk).update(
            current_step=step,
            target_go_live=go_lives[number % len(go_lives)],
            signoff_test=first,
            signoff_reference=second,
            signoff_production=STATES[number % len(STATES)],
        )


def test_every_figure_counts_what_the_orm_filters_count(world: World) -> None:
    _mixed(world)
    everything = Onboarding.objects.all()
    assert everything.count() > 150
    expected = _expected(everything)
    assert dashboard_counts.counts(everything, TODAY, MONTHS) == expected
    assert all(expected[name] for name in ("overdue", "returned", "invalid", "live"))
    # A selection narrowed through a join (as the dashboard's filters narrow it).
    darmstadt = everything.filter(authority__name__icontains="darmstadt", current_step__gte=3)
    assert dashboard_counts.counts(darmstadt, TODAY, MONTHS) == _expected(darmstadt)
    assert dashboard_counts.counts(darmstadt, TODAY, MONTHS)["total"] < expected["total"]


def test_a_selection_of_nothing_counts_zero_everywhere(world: World) -> None:
    counts = dashboard_counts.counts(Onboarding.objects.none(), TODAY, MONTHS)
    assert counts == dict.fromkeys(counts, 0)
    assert len(counts) == len(_expected(Onboarding.objects.none()))


def test_the_median_lead_times_of_no_onboardings_are_none(world: World) -> None:
    leads = dashboard_lead.median_lead_times(Onboarding.objects.none(), lambda **f: "")
    assert [(lead.count, lead.median_days) for lead in leads] == [(0, None)] * 3
