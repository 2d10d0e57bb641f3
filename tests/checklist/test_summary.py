"""The summary stored on each onboarding equals the one derived from scratch, after any changes."""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Callable

import pytest

from checklist import catalogue, services, summary, verification
from checklist.models import (
    Environment,
    EnvironmentRecord,
    FitConnectEnvironment,
    Leistung,
    Onboarding,
    SignOff,
)
from checklist.signoff import approve, declare_ready, send_back
from checklist.state import ItemHidden, NotAllowed
from tests.checklist.helpers import passed_run, signed_off_test
from tests.conftest import World, make_onboarding

KEYS = ["99050035001000", "99050012104000", "99107005001000"]


def _leistung(onboarding: Onboarding, rng: random.Random) -> Leistung:
    key = rng.choice(KEYS)
    leistung = onboarding.leistungen.filter(key=key).first() or Leistung(
        onboarding=onboarding, key=key, name=f"Leistung {key}", schema_kind="fim"
    )
    leistung.schema_uri = rng.choice(["", "https://schema.fitko.de/fim/s00000092_1.0.schema.json"])
    leistung.mime_type = "application/json"
    leistung.regions = rng.choice([[], ["064350014014"]])
    leistung.reply_email = rng.random() < 0.5
    leistung.reply_fitconnect = rng.random() < 0.3
    leistung.process_standards = ["urn:xoev-de:bmk:standard:xbau_2.4"]
    return leistung


def _changes(world: World) -> list[Callable[[Onboarding, random.Random], object]]:
    provider, admin, staff = world.provider_staff, world.authority_admin, world.authority_staff
    items = [i for i in catalogue.load().items if i.kind.tickable]

    def tick(o: Onboarding, rng: random.Random) -> object:
        item = rng.choice(items)
        actor = admin if item.step in (1, 5) else provider
        return services.set_item_done(
            o, item, rng.random() < 0.8, actor, reason=rng.choice(["", "Vom Team geprüft"])
        )

    def record(o: Onboarding, rng: random.Random) -> object:
        env = rng.choice(["test", "reference", "production", "sandbox"])
        row = o.environments.filter(environment=env).first() or EnvironmentRecord(
            onboarding=o, environment=env
        )
        row.client_id = rng.choice(["", "client-1", "client-2"])
        row.destination_id = uuid.uuid4() if rng.random() < 0.8 else None
        row.callback_url = rng.choice(["", "https://fachverfahren.example/callback"])
        return services.save_environment_record(row, provider)

    def work_through(o: Onboarding, rng: random.Random) -> object:
        """Do everything a step asks for by hand, so that sign-offs become possible."""
        step = rng.choice([2, 3, 4, 5])
        environment = Environment.of_step(step)
        if environment is not None:
            services.save_environment_record(
                EnvironmentRecord(
                    pk=getattr(o.environments.filter(environment=environment).first(), "pk", None),
                    onboarding=o,
                    environment=environment,
                    client_id="client",
                    destination_id=uuid.uuid4(),
                ),
                provider,
            )
        for item in catalogue.load().for_step(step):
            if item.kind.tickable:
                with contextlib.suppress(ItemHidden):
                    services.set_item_done(
                        o, item, True, admin if step == 5 else provider, reason="Von Hand geprüft"
                    )
        if environment is not None and rng.random() < 0.7:
            passed_run(o, environment, provider)
        return None

    def declare(o: Onboarding, rng: random.Random) -> object:
        environment = rng.choice(list(Environment))
        if rng.random() < 0.6:  # a fresh passed check first, as people do
            passed_run(o, environment, provider)
        return declare_ready(o, environment, provider)

    def decide(o: Onboarding, rng: random.Random) -> object:
        env = rng.choice(list(Environment))
        if rng.random() < 0.7:
            return approve(o, env, staff)
        return send_back(o, env, staff, "Bitte nachbessern")

    def run(o: Onboarding, rng: random.Random) -> object:
        env = FitConnectEnvironment.objects.get(key="test")
        started = verification.start_run(o, env, provider)
        for check in verification.checks_for(env):
            status = rng.choice(["ok", "ok", "warning", "failed", "skipped"])
            started.results = [*started.results, {"check": check, "status": status}]
        started.save(update_fields=["results"])
        return verification.finish_run(started, provider)

    return [
        work_through,
        work_through,
        declare,
        decide,
        tick,
        tick,
        tick,
        tick,
        record,
        declare,
        decide,
        run,
        lambda o, rng: services.save_leistung(_leistung(o, rng), admin),
        lambda o, rng: (
            services.remove_leistung(leistung, admin)
            if (leistung := o.leistungen.order_by("?").first())
            else None
        ),
        lambda o, rng: services.save_metadata_versions(
            o, rng.choice([[], ["1.2.0"], ["1.2.0", "1.3.0"]]), admin
        ),
        lambda o, rng: services.update_onboarding(
            o,
            {
                "technical_name": rng.choice(["", "Clara Code"]),
                "technical_email": "clara@kommunal-it.example",
                "organisational_name": "Bernd Beispiel",
                "organisational_email": "bernd@musterstadt.example",
            },
            admin,
            provider=rng.choice([world.provider, None]),
        ),
    ]


@pytest.mark.parametrize("seed", [1, 3, 4])
def test_the_stored_summary_equals_a_fresh_derivation_after_random_changes(
    world: World, seed: int
) -> None:
    rng = random.Random(seed)  # noqa: S311 - a reproducible sequence, not a secret
    onboardings = [
        world.onboarding,
        make_onboarding(world.authority, world.provider, world.authority_admin, "zwei", "Zwei"),
        make_onboarding(world.authority, None, world.authority_admin, "drei", "Drei"),
    ]
    changes = _changes(world)
    # Start from a signed-off Test environment, so that random changes can invalidate it.
    signed_off_test(world.onboarding, world.provider_staff, world.authority_staff)
    refused = 0
    for _ in range(120):
        onboarding = Onboarding.objects.get(pk=rng.choice(onboardings).pk)
        change = rng.choice(changes)
        try:
            change(onboarding, rng)
        except (NotAllowed, ItemHidden):
            refused += 1
        # After every change, not only at the end: a later change would hide a drift.
        assert summary.stored(onboarding) == summary.recompute(onboarding), change
    for onboarding in onboardings:
        assert summary.stored(onboarding) == summary.recompute(onboarding), onboarding.slug
    # The sequence went through sign-offs and refused some changes.
    assert SignOff.objects.count() >= 2
    assert refused > 0


def test_refresh_summaries_repairs_a_summary_changed_outside_the_portal(world: World) -> None:
    Onboarding.objects.filter(pk=world.onboarding.pk).update(progress_done=99, current_step=5)
    assert summary.refresh_all() == 1
    assert summary.stored(world.onboarding) == summary.recompute(world.onboarding)
