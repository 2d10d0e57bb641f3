"""The watch's demo against the sandbox: one live onboarding green, one amber (certificate
in 20 days), one red (a submission waiting for 10 days)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command

from fitconnect.sandbox import Sandbox
from tests.conftest import World
from watch.demo import ONBOARDINGS, seed_watch
from watch.models import WatchDestination


def test_the_demo_has_a_green_an_amber_and_a_red_live_onboarding(
    world: World, sandbox: Sandbox, settings: Any
) -> None:
    settings.WATCH_RETRY_BACKOFF = 0
    seed_watch(
        world.authority, world.provider, world.provider_staff, world.authority_admin, sandbox.base
    )
    seed_watch(  # a second seed changes nothing
        world.authority, world.provider, world.provider_staff, world.authority_admin, sandbox.base
    )
    assert WatchDestination.objects.count() == 3
    call_command("watch_cycle", "--due-now", verbosity=0)
    found = {
        w.onboarding.slug: (w.state, dict(w.results.values_list("check_key", "state")))
        for w in WatchDestination.objects.select_related("onboarding")
    }
    green, amber, red = (ONBOARDINGS[name][0] for name in ("green", "amber", "red"))
    assert found[green][0] == "green"
    assert found[amber][0] == "amber"
    assert found[amber][1]["keys"] == "amber"
    assert found[red][0] == "red"
    assert found[red][1]["waiting"] == "red"
