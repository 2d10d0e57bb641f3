"""``Onboarding.done_items``: the ticked items' keys in the stored summary."""

from __future__ import annotations

import importlib
from collections import defaultdict
from typing import Any

from django.db import migrations, models


# SQLite adds a column by rebuilding the table, which drops the revision triggers on it
# and breaks those that name it: take them all away while it does, and put them back.
revision = importlib.import_module("checklist.migrations.0013_onboarding_revision")


def drop_sqlite_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        revision.drop_triggers(apps, schema_editor)


def create_sqlite_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        revision.create_triggers(apps, schema_editor)


def fill(apps: Any, schema_editor: Any) -> None:
    Onboarding = apps.get_model("checklist", "Onboarding")
    ItemState = apps.get_model("checklist", "ItemState")
    done: defaultdict[int, list[str]] = defaultdict(list)
    rows = ItemState.objects.filter(done=True).values_list("onboarding_id", "key").iterator()
    for onboarding_id, key in rows:
        done[onboarding_id].append(key)
    changed = [Onboarding(pk=pk, done_items=sorted(keys)) for pk, keys in done.items()]
    Onboarding.objects.bulk_update(changed, ["done_items"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("checklist", "0013_onboarding_revision")]

    operations = [
        migrations.RunPython(drop_sqlite_triggers, create_sqlite_triggers),
        migrations.AddField(
            model_name="onboarding",
            name="done_items",
            field=models.JSONField(default=list, editable=False),
        ),
        migrations.RunPython(create_sqlite_triggers, drop_sqlite_triggers),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
