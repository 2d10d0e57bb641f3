"""Catalogue version 3: FITKO's receiver duties, honest sources, and the upgrade from version 2.

The facts and their FITKO pages are in docs/fitko-facts.md §12.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checklist import catalogue, services, summary
from checklist.catalogue import parse
from checklist.models import AuditEvent, Comment, ItemState, Leistung, Onboarding
from checklist.state import OnboardingState
from tests.conftest import World, make_onboarding

V2_FILE = Path(__file__).with_name("catalogue_v2.json")
DEADLINES = (
    "https://docs.fitko.de/fit-connect/docs/getting-started/notifications-and-deletion-deadlines/"
)
# Items FITKO does not ask for: their help says they are this portal's practice.
PORTAL_PRACTICE = (
    "step1.go_live",
    "step2.sender_client",
    "step3.reject",
    "step3.signoff",
    "step4.reject",
    "step4.signoff",
    "step5.signoff",
)


def v2() -> catalogue.Catalogue:
    """The catalogue as shipped before version 3 (a copy kept for the upgrade test)."""
    return parse(json.loads(V2_FILE.read_text(encoding="utf-8")))


def test_version_3_adds_fitkos_receiver_duties_with_their_fitko_pages() -> None:
    cat = catalogue.load()
    assert cat.version >= 3
    items = cat.by_key()
    expected = {
        "step5.avv": (5, "authority", "https://docs.fitko.de/fit-connect/docs/details/avv/"),
        "step2.impl_archive": (2, "provider", DEADLINES),
        "step5.outage_deactivation": (5, "provider", DEADLINES),
        "step5.reminder_mailbox": (5, "both", DEADLINES),
        "step2.zbp": (2, "both", "https://docs.fitko.de/fit-connect/docs/zbp/"),
        "step2.replies_fitconnect": (
            2,
            "provider",
            "https://docs.fitko.de/fit-connect/docs/details/callbacks/",
        ),
        "step2.impl_reject_problems": (
            2,
            "provider",
            "https://docs.fitko.de/fit-connect/docs/receiving/verification/",
        ),
        "step2.private_keys": (
            2,
            "provider",
            "https://docs.fitko.de/fit-connect/docs/receiving/process-and-acknowledge/",
        ),
        "step2.impl_rate_limits": (
            2,
            "provider",
            "https://docs.fitko.de/fit-connect/docs/getting-started/rate-limiting",
        ),
    }
    for key, (step, role, url) in expected.items():
        item = items[key]
        assert (item.step, item.role, item.docs_url) == (step, role, url), key
        assert item.kind.tickable, key
        assert item.required, key
        assert item.title_de != item.title_en, key
        assert item.help_de != item.help_en, key
    assert items["step2.zbp"].condition == {"reply_channel": "idBundDeMailbox"}
    assert items["step2.replies_fitconnect"].condition == {"reply_channel": "fitConnect"}
    pickup = items["step5.pickup_monitoring"]
    assert pickup.docs_url == DEADLINES
    for fact in ("3 und nach 9 Tagen", "14 Tagen", "21 Tagen", "7 Tage", "730 Tage"):
        assert fact in pickup.help_de, fact


def test_every_item_links_a_fitko_page_or_says_it_is_the_portals_practice() -> None:
    items = catalogue.load().by_key()
    for item in items.values():
        assert item.docs_url.startswith("https://docs.fitko.de/"), item.key
    for key in PORTAL_PRACTICE:
        assert "Praxis dieses Portals, keine Vorgabe der FITKO" in items[key].help_de, key
        assert "this portal's practice, not a FITKO requirement" in items[key].help_en, key


def test_the_sender_item_names_fitkos_model_online_service_instead_of_denying_one() -> None:
    item = catalogue.load().by_key()["step2.sender_client"]
    assert "gibt es dafür nicht" not in item.help_de
    assert "no test sender" not in item.help_en
    assert "Muster-Onlinedienst" in item.help_de
    assert "git.fitko.de/fit-connect/planning, Issue 3960" in item.help_de


def test_the_bundid_mailbox_item_shows_only_where_bundid_is_a_reply_channel(
    world: World,
) -> None:
    onboarding = world.onboarding
    zbp = catalogue.load().by_key()["step2.zbp"]
    assert not OnboardingState(onboarding).visible(zbp)
    Leistung.objects.filter(onboarding=onboarding).update(reply_bundid=True)
    summary.store(onboarding)
    assert OnboardingState(onboarding).visible(zbp)


def _v2_onboarding(world: World, monkeypatch: pytest.MonkeyPatch) -> Onboarding:
    """Return an onboarding created and worked on under catalogue version 2."""
    old = v2()
    monkeypatch.setattr(catalogue, "load", lambda: old)
    onboarding = make_onboarding(
        world.authority, world.provider, world.authority_admin, slug="v2", name="Vorhaben v2"
    )
    assert onboarding.catalogue_version == 2
    by_key = old.by_key()
    services.set_item_done(onboarding, by_key["step2.sender_client"], True, world.provider_staff)
    services.set_item_note(
        onboarding,
        by_key["step5.pickup_monitoring"],
        "Abholung alle 5 Minuten",
        world.provider_staff,
    )
    services.add_comment(
        onboarding, by_key["step3.reject"], "Testfall fehlt", world.authority_admin
    )
    services.set_item_done(onboarding, by_key["step1.vpki"], True, world.authority_admin)
    monkeypatch.undo()
    return onboarding


def test_upgrade_from_version_2_keeps_ticks_notes_and_comments(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    onboarding = _v2_onboarding(world, monkeypatch)
    ticked_at = ItemState.objects.get(onboarding=onboarding, key="step2.sender_client").done_at

    services.ensure_catalogue(onboarding, world.provider_staff)

    onboarding.refresh_from_db()
    current = catalogue.load().version
    assert onboarding.catalogue_version == current
    states = {s.key: s for s in onboarding.item_states.all()}
    sender = states["step2.sender_client"]
    assert (sender.done, sender.done_by, sender.done_at) == (True, world.provider_staff, ticked_at)
    assert states["step1.vpki"].done
    assert states["step5.pickup_monitoring"].note == "Abholung alle 5 Minuten"
    comments = Comment.objects.filter(item=states["step3.reject"])
    assert [c.text for c in comments] == ["Testfall fehlt"]
    new = {"step5.avv", "step2.impl_archive", "step5.reminder_mailbox", "step2.private_keys"}
    assert new <= states.keys()
    assert not any(states[key].done for key in new)
    event = onboarding.audit_events.get(action=AuditEvent.Action.CATALOGUE_UPDATED)
    assert (event.old_value, event.new_value) == ("2", str(current))
    # the new required duties are open in their steps
    state = OnboardingState(onboarding)
    assert "step5.avv" in [view.item.key for view in state.open_required(5)]
    assert "step2.private_keys" in [view.item.key for view in state.open_required(2)]
