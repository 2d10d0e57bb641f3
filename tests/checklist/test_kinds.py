"""Item kinds (``checklist.kinds``): each knows how it becomes done and what people read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template.loader import get_template

from checklist import catalogue
from checklist.kinds import KINDS
from checklist.state import ItemView, OnboardingState
from tests.conftest import World


def test_every_kind_of_the_catalogue_is_registered_and_has_its_snippet() -> None:
    used = {item.kind.name for item in catalogue.load().items}
    assert used == set(KINDS)  # no kind unused, none missing
    for kind in KINDS.values():
        get_template(kind.template)  # raises if the snippet is missing


def test_only_kinds_a_person_may_tick_have_no_refusal() -> None:
    for kind in KINDS.values():
        assert (kind.refusal is None) == kind.tickable, kind


def test_an_unknown_kind_in_the_catalogue_is_refused() -> None:
    data = {
        "version": 1,
        "items": [{"key": "x", "step": 1, "role": "both", "title": "X", "completion": "magic"}],
    }
    with pytest.raises(ValueError, match="unknown kind 'magic'"):
        catalogue.parse(data)


@pytest.mark.django_db
def test_each_kind_counts_as_done_its_own_way(world: World) -> None:
    items = catalogue.load().by_key()
    state = OnboardingState(world.onboarding)
    leistungen = items["step1.leistungen"]  # data: the fixture recorded a Leistung
    assert leistungen.kind.name == "data"
    assert state.is_done(leistungen) == state.data_done("leistungen") is True
    signoff = next(i for i in items.values() if i.kind.is_signoff)
    assert not state.is_done(signoff)  # nothing signed off yet
    manual = items["step2.client"]
    assert not state.is_done(manual)
    state.set_done(manual.key, True)
    assert state.is_done(manual)


@pytest.mark.django_db
def test_the_pdf_says_who_did_it_in_words(world: World, settings: object) -> None:
    items = catalogue.load().by_key()
    state = OnboardingState(world.onboarding)
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    manual = ItemView(items["step2.client"], state.states["step2.client"], True, False, "", at)
    assert manual.item.kind.pdf_done_by(manual) == "ehemaliges Mitglied, 01.12.2026 10:30"
    data = state.item_view(items["step1.leistungen"])
    assert data.item.kind.pdf_done_by(data) == "aus den erfassten Daten"
    open_item = state.item_view(items["step2.client"])
    assert open_item.item.kind.pdf_done_by(open_item) == "–"
