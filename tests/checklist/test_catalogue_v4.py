"""Catalogue version 4: ``step4.reject``, the reference stage's counterpart of ``step3.reject``
(the item a conformance run against the reference environment ticks), and the upgrade from
version 3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checklist import catalogue, services
from checklist.catalogue import parse
from checklist.models import AuditEvent, ItemState, Onboarding
from checklist.state import OnboardingState
from tests.conftest import World, make_onboarding

V3_FILE = Path(__file__).with_name("catalogue_v3.json")


def v3() -> catalogue.Catalogue:
    """The catalogue as shipped before version 4 (a copy kept for the upgrade test)."""
    return parse(json.loads(V3_FILE.read_text(encoding="utf-8")))


def test_version_4_adds_the_rejection_test_of_the_reference_environment() -> None:
    cat = catalogue.load()
    assert cat.version == 4
    assert "step4.reject" not in v3().by_key()
    item = cat.by_key()["step4.reject"]
    step3 = cat.by_key()["step3.reject"]
    assert (item.step, item.role, item.required) == (4, "provider", False)
    assert item.kind.tickable
    assert item.kind == step3.kind  # ticked like its step-3 counterpart
    assert item.docs_url == "https://docs.fitko.de/fit-connect/docs/receiving/verification/"
    assert "Referenzumgebung" in item.title_de
    assert "reference environment" in item.title_en
    assert "Konformitätsprüfung" in item.help_de
    assert "Praxis dieses Portals, keine Vorgabe der FITKO" in item.help_de
    assert "this portal's practice, not a FITKO requirement" in item.help_en


def _v3_onboarding(world: World, monkeypatch: pytest.MonkeyPatch) -> Onboarding:
    """Return an onboarding created and worked on under catalogue version 3."""
    old = v3()
    monkeypatch.setattr(catalogue, "load", lambda: old)
    onboarding = make_onboarding(
        world.authority, world.provider, world.authority_admin, slug="v3", name="Vorhaben v3"
    )
    assert onboarding.catalogue_version == 3
    services.set_item_done(onboarding, old.by_key()["step3.reject"], True, world.provider_staff)
    monkeypatch.undo()
    return onboarding


def test_upgrade_from_version_3_adds_the_item_open_and_keeps_the_step_3_tick(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    onboarding = _v3_onboarding(world, monkeypatch)

    services.ensure_catalogue(onboarding, world.provider_staff)

    onboarding.refresh_from_db()
    assert onboarding.catalogue_version == 4
    assert ItemState.objects.get(onboarding=onboarding, key="step3.reject").done
    assert not ItemState.objects.get(onboarding=onboarding, key="step4.reject").done
    event = onboarding.audit_events.get(action=AuditEvent.Action.CATALOGUE_UPDATED)
    assert (event.old_value, event.new_value) == ("3", "4")
    titles = [str(view.item.title) for view in OnboardingState(onboarding).items(4)]
    assert str(catalogue.load().by_key()["step4.reject"].title) in titles
