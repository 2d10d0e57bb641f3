"""The revision triggers (``checklist.revision_triggers``) are complete and survive migrations.

A page is cached on ``Onboarding.revision``; a table whose rows a page shows but that no
trigger watches would leave a stale page, and a migration that makes SQLite rebuild a table
without ``around_table_rebuild`` would drop triggers silently. Both fail here, on SQLite and
on PostgreSQL (CI runs both).
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from checklist.models import Onboarding
from checklist.revision_triggers import (
    WATCHED,
    around_table_rebuild,
    existing_trigger_names,
    trigger_names,
)

# Tables that point to an onboarding but whose rows no cached page shows, and why.
NOT_ON_CACHED_PAGES = {
    "checklist_auditevent": "the Protokoll page is rendered afresh every time",
    "checklist_pdfexport": "an export is keyed on the record it rendered, not on a page",
    # Written once by archive.make_copy, which raises the revision in the same transaction.
    "checklist_archivecopy": "made once by the worker, which raises the revision itself",
    "notifications_notification": "the inbox and unread count are per person, never cached",
    "watch_watchdestination": "its state is in the onboarding page's cache key (views.detail)",
    "watch_outage": "the Betrieb page is rendered afresh every time",
}


def _tables_pointing_to_onboardings() -> set[str]:
    return {
        model._meta.db_table
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if getattr(field, "concrete", False)
        and (field.many_to_one or field.one_to_one)
        and field.related_model is Onboarding
    }


def test_every_table_that_points_to_an_onboarding_is_watched_or_said_why_not() -> None:
    tables = _tables_pointing_to_onboardings()
    assert "checklist_itemstate" in tables  # the walk finds the obvious one
    unaccounted = tables - WATCHED.keys() - NOT_ON_CACHED_PAGES.keys()
    assert unaccounted == set(), (
        "Watch these tables in checklist/revision_triggers.py (and a migration that creates "
        f"their triggers), or say here why no cached page shows them: {sorted(unaccounted)}"
    )
    assert not (NOT_ON_CACHED_PAGES.keys() & WATCHED.keys())


@pytest.mark.django_db
def test_after_all_migrations_every_trigger_exists_and_no_other() -> None:
    expected = trigger_names(connection.vendor)
    assert len(expected) > 3 * len(WATCHED)  # insert, update and delete of each table
    assert existing_trigger_names(connection) == expected


def test_a_rebuilding_migration_is_wrapped_in_drop_and_create() -> None:
    operations = around_table_rebuild("the operation")
    assert len(operations) == 3
    assert operations[1] == "the operation"
    first, last = operations[0], operations[2]
    # The first drops before the rebuild and creates on the way back, the last the reverse.
    assert first.code is last.reverse_code
    assert first.reverse_code is last.code
