"""The due dates kept on each onboarding equal those derived from the rows, after any changes."""

from __future__ import annotations

import importlib
import random
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from checklist import deadlines, services
from checklist.models import Onboarding, StepDeadline
from checklist.state import OnboardingState
from tests.conftest import World, make_onboarding


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_kept_due_dates_equal_the_rows_after_random_changes(world: World, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - a reproducible sequence, not a secret
    today = timezone.localdate()
    onboardings = [
        world.onboarding,
        make_onboarding(world.authority, world.provider, world.authority_admin, "zwei", "Zwei"),
    ]
    for _ in range(40):
        onboarding = Onboarding.objects.get(pk=rng.choice(onboardings).pk)
        if rng.random() < 0.15:
            go_live = rng.choice([None, today + timedelta(weeks=rng.randint(16, 40))])
            services.update_onboarding(
                onboarding, {"target_go_live": go_live}, world.authority_admin
            )
        else:
            dates = {
                step: rng.choice([None, today + timedelta(days=rng.randint(1, 200))])
                for step in rng.sample(range(1, 6), rng.randint(1, 3))
            }
            services.set_due_dates(onboarding, dates, world.authority_admin)
        # After every change, not only at the end: a later change would hide a drift.
        assert deadlines.stored(onboarding) == deadlines.recompute(onboarding)
        # What pages show comes from the kept dates; the rows say the same.
        fresh = Onboarding.objects.get(pk=onboarding.pk)
        shown = {step: due.date for step, due in OnboardingState(fresh).due_dates.items()}
        for row in StepDeadline.objects.filter(onboarding=fresh):
            assert shown[row.step] == row.due_date
    assert StepDeadline.objects.exists()


def test_a_set_due_date_shows_on_the_step_page(world: World, client_for: Any) -> None:
    day = timezone.localdate() + timedelta(days=30)
    services.set_due_dates(world.onboarding, {3: day}, world.authority_admin)
    page = client_for("provider_staff").get(reverse("step", args=["musterstadt-gewerbe", 3]))
    html = page.content.decode()
    assert f"fällig bis {day:%d.%m.%Y}" in html
    assert "Vorschlag" not in html  # set, not proposed (no go-live date)
    services.set_due_dates(world.onboarding, {3: None}, world.authority_admin)
    page = client_for("provider_staff").get(reverse("step", args=["musterstadt-gewerbe", 3]))
    assert "fällig bis" not in page.content.decode()


def test_kept_due_dates_are_repaired_and_filled_by_the_migration(world: World) -> None:
    day = timezone.localdate() + timedelta(days=10)
    services.set_due_dates(world.onboarding, {2: day}, world.authority_admin)
    Onboarding.objects.filter(pk=world.onboarding.pk).update(explicit_due_dates={})
    migration = importlib.import_module("checklist.migrations.0011_explicit_due_dates")
    migration.keep_set_dates(apps, None)
    assert deadlines.stored(world.onboarding) == {"2": day.isoformat()}
    Onboarding.objects.filter(pk=world.onboarding.pk).update(explicit_due_dates={"4": "2030-01-01"})
    assert deadlines.refresh_all() == 1
    assert deadlines.stored(world.onboarding) == deadlines.recompute(world.onboarding)
