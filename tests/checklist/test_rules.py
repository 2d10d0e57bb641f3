"""Every permission of ``checklist.rules``, asked by every persona that takes part.

The URL × persona matrix (tests/portal/test_url_matrix.py) shows the same answers through
the pages; here each rule is asked directly, with the reason a refusal gives.
"""

from __future__ import annotations

import pytest

from checklist import catalogue, rules, services
from checklist.access import get_onboarding_for_user
from checklist.models import Environment
from checklist.signoff import declare_ready
from checklist.state import OnboardingState
from tests.checklist.helpers import ready_for_test
from tests.conftest import World

SLUG = "musterstadt-gewerbe"
ITEMS = catalogue.load().by_key()


def _item(step: int, *, tickable: bool) -> catalogue.Item:
    return next(
        i
        for i in catalogue.load().items
        if i.step == step and i.kind.tickable == tickable and not i.condition
    )


def ask(world: World, persona: str) -> tuple[rules.Participation, OnboardingState]:
    participation = get_onboarding_for_user(world.persona(persona), SLUG)  # type: ignore[arg-type]
    return participation, OnboardingState(participation.onboarding)


# persona: (tick step 1, tick step 2, note step 2, assign step 2, due dates, start run)
EXPECTED = {
    "authority_admin": (True, False, False, True, True, False),
    "authority_staff": (True, False, False, False, False, False),
    "provider_staff": (False, True, True, True, False, True),
}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_persona_gets_its_answers(world: World, persona: str) -> None:
    participation, state = ask(world, persona)
    step1, step2 = _item(1, tickable=True), _item(2, tickable=True)
    answers = (
        rules.may_tick(participation, state, step1),
        rules.may_tick(participation, state, step2),
        rules.may_note(participation, step2),
        rules.may_assign(participation, state.item_view(step2)),
        rules.may_set_due_dates(participation),
        rules.may_start_run(participation),
    )
    assert tuple(bool(a) for a in answers) == EXPECTED[persona]
    for answer in answers:
        # A refusal is a sentence for people; another side's business is a 403.
        assert answer or (answer.reason.endswith(".") and answer.forbidden)
    assert rules.may_comment(participation, step2)


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_a_done_item_is_assigned_to_nobody(world: World, persona: str) -> None:
    """Only open work is assigned: a done item is refused to everybody, with the reason,
    as the onboarding's state (not the person's side) forbids it."""
    step2 = _item(2, tickable=True)
    services.set_item_done(world.onboarding, step2, True, world.provider_staff)
    participation, state = ask(world, persona)
    answer = rules.may_assign(participation, state.item_view(step2))
    assert not answer
    if EXPECTED[persona][3]:  # the side that may assign the open item
        assert not answer.forbidden
        assert answer.reason == ("Dieser Punkt ist erledigt: Zugewiesen werden nur offene Punkte.")


def test_an_item_that_ticks_itself_is_refused_to_everybody_with_its_reason(world: World) -> None:
    data_item = next(i for i in catalogue.load().items if i.step == 1 and not i.kind.tickable)
    participation, state = ask(world, "authority_admin")
    answer = rules.may_tick(participation, state, data_item)
    assert not answer
    assert not answer.forbidden
    assert answer.reason == "Dieser Punkt wird anhand der erfassten Daten automatisch abgehakt."


def test_a_locked_step_is_refused_until_the_test_sign_off(world: World) -> None:
    step4 = _item(4, tickable=True)
    participation, state = ask(world, "provider_staff")
    answer = rules.may_tick(participation, state, step4)
    assert not answer
    assert not answer.forbidden
    assert "gesperrt" in answer.reason


def test_declaring_and_deciding_follow_four_eyes(world: World) -> None:
    ready_for_test(world.onboarding, world.provider_staff)
    provider, state = ask(world, "provider_staff")
    assert rules.may_declare(provider, state, Environment.TEST)
    authority, state = ask(world, "authority_staff")
    refused = rules.may_declare(authority, state, Environment.TEST)
    assert not refused
    assert refused.forbidden
    assert not rules.may_decide(authority, state, Environment.TEST)  # nothing declared yet

    declare_ready(world.onboarding, Environment.TEST, world.provider_staff)
    provider, state = ask(world, "provider_staff")
    again = rules.may_declare(provider, state, Environment.TEST)
    assert not again
    assert again.reason == "Diese Umgebung wartet bereits auf die Abnahme."
    authority, state = ask(world, "authority_staff")
    assert rules.may_decide(authority, state, Environment.TEST)
    not_the_provider = rules.may_decide(provider, state, Environment.TEST)
    assert not not_the_provider
    assert not_the_provider.forbidden


def test_the_declarer_may_not_decide_in_house(world: World) -> None:
    """An in-house authority declares and decides itself: four eyes still hold."""
    onboarding = world.onboarding
    onboarding.provider, onboarding.in_house = None, True
    onboarding.save()
    ready_for_test(onboarding, world.authority_staff)
    declare_ready(onboarding, Environment.TEST, world.authority_staff)
    bernd, state = ask(world, "authority_staff")
    own = rules.may_decide(bernd, state, Environment.TEST)
    assert not own
    assert not own.forbidden
    assert "Vier-Augen" in own.reason or "andere Person" in own.reason
    anna, state = ask(world, "authority_admin")
    assert rules.may_decide(anna, state, Environment.TEST)
