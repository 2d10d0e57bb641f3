"""The tamper-evident Protokoll: a hash chain per onboarding, ``verify_audit``, the guard.

The guard tests run on the session's database (SQLite by default, PostgreSQL in CI); the
test of concurrent writers needs PostgreSQL's row locks.
"""

from __future__ import annotations

import importlib
import io
from collections.abc import Callable
from itertools import pairwise

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from checklist import audit_chain, catalogue, services
from checklist.audit import audit
from checklist.models import AuditEvent
from tests.conftest import World, run_together

backfill = importlib.import_module("checklist.migrations.0021_audit_chain").backfill


def verify_audit() -> tuple[str, int]:
    """Run the command; return what it printed and its exit status."""
    out = io.StringIO()
    try:
        call_command("verify_audit", stdout=out)
    except CommandError as error:
        return out.getvalue(), error.returncode
    return out.getvalue(), 0


def tick_some(world: World) -> None:
    items = catalogue.load().by_key()
    for key in ("step2.client", "step2.keys"):
        services.set_item_done(world.onboarding, items[key], True, world.provider_staff)
    services.set_item_done(world.onboarding, items["step2.keys"], False, world.provider_staff)


def raw_sql(sql: str, params: list[object]) -> None:
    """What someone with database access does, past the guard (it is tested below)."""
    with audit_chain.released(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_every_entry_chains_onto_the_one_before_and_verify_audit_passes(world: World) -> None:
    tick_some(world)

    entries = list(world.onboarding.audit_events.order_by("pk"))
    assert len(entries) >= 4
    assert entries[0].previous_hash == ""
    for before, entry in pairwise(entries):
        assert entry.previous_hash == before.entry_hash
        assert entry.entry_hash == audit_chain.content_hash(entry)
    output, status = verify_audit()
    assert status == 0
    assert "alle unverändert" in output


def test_editing_one_entry_in_the_database_makes_verify_audit_name_it(world: World) -> None:
    tick_some(world)
    edited = world.onboarding.audit_events.filter(action=AuditEvent.Action.ITEM_TICKED).first()
    assert edited is not None
    raw_sql("UPDATE checklist_auditevent SET new_value = %s WHERE id = %s", ["false", edited.pk])

    output, status = verify_audit()

    assert status == 1
    when = timezone.localtime(edited.created_at).strftime("%d.%m.%Y %H:%M:%S")
    assert f"Vorhaben „{world.onboarding.name}“" in output
    assert f"der Eintrag vom {when} von {world.provider_staff.full_name}" in output
    assert "nachträglich geändert" in output
    assert "1 verändert" in output
    assert output.count("Vorhaben „") == 1  # only the first mismatch of the chain


def test_removing_an_entry_makes_verify_audit_name_the_one_after_it(world: World) -> None:
    tick_some(world)
    entries = list(world.onboarding.audit_events.order_by("pk"))
    raw_sql("DELETE FROM checklist_auditevent WHERE id = %s", [entries[1].pk])

    output, status = verify_audit()

    assert status == 1
    when = timezone.localtime(entries[2].created_at).strftime("%d.%m.%Y %H:%M:%S")
    assert f"der Eintrag vom {when}" in output
    assert "ein Eintrag davor fehlt" in output


def test_the_database_refuses_to_change_or_delete_an_entry(world: World) -> None:
    entry = world.onboarding.audit_events.first()
    assert entry is not None

    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=entry.pk).update(new_value="forged")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM checklist_auditevent WHERE id = %s", [entry.pk])
    # Deleting the onboarding would delete its Protokoll: refused too.
    with pytest.raises(IntegrityError), transaction.atomic():
        world.onboarding.delete()

    entry.refresh_from_db()
    assert entry.new_value != "forged"
    assert verify_audit()[1] == 0


def test_only_the_released_path_may_delete_an_onboarding_with_its_protokoll(
    world: World,
) -> None:
    onboarding_id = world.onboarding.pk
    with audit_chain.released():
        world.onboarding.delete()
    assert not AuditEvent.objects.filter(onboarding_id=onboarding_id).exists()
    # The release ends with its block.
    other = AuditEvent.objects.first()
    if other is not None:
        with pytest.raises(IntegrityError), transaction.atomic():
            AuditEvent.objects.filter(pk=other.pk).update(new_value="forged")


def test_the_migration_seals_entries_written_before_the_chain(world: World) -> None:
    tick_some(world)
    raw_sql("UPDATE checklist_auditevent SET previous_hash = '', entry_hash = ''", [])
    assert verify_audit()[1] == 1

    with audit_chain.released():
        backfill(apps, None)

    assert verify_audit()[1] == 0


def _notes(world: World, subject: str, rounds: int) -> Callable[[], None]:
    """A writer of ``rounds`` Protokoll entries on ``subject``, each in its own transaction."""

    def run() -> None:
        for round_ in range(rounds):
            with transaction.atomic():
                audit(
                    world.onboarding,
                    world.provider_staff,
                    AuditEvent.Action.NOTE_CHANGED,
                    subject,
                    "",
                    str(round_),
                )

    return run


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL (CI)"
)
def test_concurrent_writers_never_fork_the_chain(world: World) -> None:
    run_together(
        *(_notes(world, f"item:step2.client:{number}", 5) for number in range(6)), timeout=60
    )

    assert_one_chain(world)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL (CI)"
)
def test_concurrent_ticks_and_entries_never_fork_the_chain(world: World) -> None:
    """A tick reads the Protokoll's head together with the item's state, under the row lock
    taken before; other writers' entries in between would fork the chain."""
    items = catalogue.load().by_key()
    keys = ["step2.client", "step2.keys", "step2.private_keys"]

    def tick(key: str) -> Callable[[], None]:
        def run() -> None:
            for round_ in range(6):
                services.set_item_done(
                    world.onboarding, items[key], round_ % 2 == 0, world.provider_staff
                )

        return run

    run_together(*(tick(key) for key in keys), _notes(world, "item:step2.client", 6), timeout=60)

    ticks = world.onboarding.audit_events.filter(subject__in=[f"item:{key}" for key in keys])
    assert ticks.exclude(action=AuditEvent.Action.NOTE_CHANGED).count() == 6 * len(keys)
    assert_one_chain(world)


def assert_one_chain(world: World) -> None:
    """No two entries follow the same one, and the Protokoll verifies."""
    entries = list(world.onboarding.audit_events.order_by("pk"))
    previous = [entry.previous_hash for entry in entries]
    assert len(set(previous)) == len(previous)
    output, status = verify_audit()
    assert status == 0, output
