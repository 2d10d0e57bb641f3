"""A pipeline polling its onboarding: the answer is kept until anything in it changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from checklist import catalogue, services
from checklist.models import Environment, FitConnectEnvironment, VerificationRun
from checklist.state import OnboardingState
from tests.api.conftest import ApiClient
from tests.checklist.helpers import complete_step_one, record, tick_step
from tests.conftest import World

BASE = "/api/v1/onboardings/musterstadt-gewerbe"
NOON = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.get_default_timezone())


def test_a_repeated_read_costs_one_statement_and_shows_every_change_at_once(
    world: World, api_for: Callable[..., ApiClient]
) -> None:
    api = api_for("provider", ["read"])
    first = api.get(BASE)
    with CaptureQueriesContext(connection) as captured:
        again = api.get(BASE)
    # The token, its rate-limit window and the onboarding: one statement on PostgreSQL
    # (api.auth), three elsewhere.
    assert len(captured) == (1 if connection.vendor == "postgresql" else 3), [
        q["sql"] for q in captured.captured_queries
    ]
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Content-Language"] == first["Content-Language"]
    state = OnboardingState(world.onboarding)
    item = next(
        i
        for i in catalogue.load().for_step(1)
        if i.kind.tickable and state.visible(i) and not state.item_view(i).done
    )
    services.set_item_done(world.onboarding, item, True, world.authority_staff)
    after = api.get(BASE).json()
    assert after["progress"]["done"] == first.json()["progress"]["done"] + 1
    # In another language: its own answer, not the German one kept before.
    english = api.get(BASE, **{"Accept-Language": "en"})
    assert english["Content-Language"] == "en"
    assert english.json()["steps"][0]["title"] != after["steps"][0]["title"]


def test_a_kept_answer_stops_calling_a_check_declarable_once_it_grew_too_old(
    world: World, api_for: Callable[..., ApiClient]
) -> None:
    FitConnectEnvironment.objects.filter(key="test").update(evidence_max_age_days=30)
    api = api_for("provider", ["read"])
    with time_machine.travel(NOON - timedelta(days=30, minutes=-20), tick=False):
        complete_step_one(world.onboarding)
        record(world.onboarding, Environment.TEST)
        tick_step(world.onboarding, 2, world.provider_staff)
        tick_step(world.onboarding, 3, world.provider_staff)  # a passed check, 30 days less 20 min
    assert VerificationRun.objects.filter(environment="test").exists()
    with time_machine.travel(NOON, tick=False):
        evidence = api.get(BASE).json()["signoffs"][0]["evidence"]
        assert evidence["declarable"] is True
    # The same day and within the cache's hour, nothing written since: only time made the
    # check too old.
    with time_machine.travel(NOON + timedelta(minutes=30), tick=False):
        evidence = api.get(BASE).json()["signoffs"][0]["evidence"]
    assert evidence["declarable"] is False
    assert "älter als 30 Tage" in evidence["refusal"]
