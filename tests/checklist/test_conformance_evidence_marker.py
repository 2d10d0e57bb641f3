"""The sign-off evidence names the conformance run that ticked the rejection item from the
stored marker ``ItemState.done_by_conformance`` (which a tick by hand clears), not by
comparing the tick's time with the newest passed run's start: both would mislead."""

from __future__ import annotations

from typing import Any

from checklist import catalogue, conformance, services
from checklist.evidence_counts import Basis
from checklist.models import ConformanceRun, Environment, FitConnectEnvironment, ItemState
from checklist.signoff_evidence import evidence_for
from checklist.state import OnboardingState
from fitconnect.conformance import DEFECT_CASES, valid_case
from tests.checklist.helpers import ready_for_test
from tests.conftest import World


def passed_run(world: World) -> ConformanceRun:
    """A passed run against FITKO's test stage (it ticks step3.reject if still open)."""
    run = conformance.start(
        world.onboarding, FitConnectEnvironment.objects.get(key="test"), world.provider_staff
    )
    cases = (valid_case("99050012104000"), *DEFECT_CASES)
    run.cases = {c: {"case": c, "status": "done", "verdict": "passed"} for c in cases}
    run.save()
    conformance.finish(run)
    return run


def reject_evidence(world: World) -> Any:
    evidence = evidence_for(OnboardingState(world.onboarding), Environment.TEST)
    return next(e for e in evidence.items if e.key == "step3.reject")


def test_a_tick_by_hand_after_a_passed_run_is_not_shown_as_proven_by_the_run(
    world: World,
) -> None:
    ready_for_test(world.onboarding, world.provider_staff)
    passed_run(world)
    assert reject_evidence(world).basis == Basis.CONFORMANCE
    item = catalogue.load().resolve("step3.reject")
    assert item is not None
    # Later than the run's start, by hand: the times alone would still credit the run.
    services.set_item_done(world.onboarding, item, False, world.provider_staff)
    services.set_item_done(world.onboarding, item, True, world.provider_staff)
    state = ItemState.objects.get(onboarding=world.onboarding, key="step3.reject")
    assert state.done
    assert state.done_by_conformance is None
    evidence = reject_evidence(world)
    assert evidence.basis != Basis.CONFORMANCE
    assert evidence.conformance is None


def test_the_run_that_ticked_the_item_proves_it_even_after_a_newer_run(world: World) -> None:
    ready_for_test(world.onboarding, world.provider_staff)
    first = passed_run(world)
    second = passed_run(world)  # the item is done already: this run ticks nothing
    assert second.changed_items == []
    assert (
        second.started_at
        > ItemState.objects.get(onboarding=world.onboarding, key="step3.reject").done_at
    )  # type: ignore[operator]
    evidence = reject_evidence(world)
    assert evidence.basis == Basis.CONFORMANCE
    assert evidence.conformance is not None
    assert evidence.conformance.pk == first.pk
