"""``Onboarding.done_items``: the ticked items' keys in the stored summary."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import migrations, models

from checklist.revision_triggers import around_table_rebuild


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
        *around_table_rebuild(
            migrations.AddField(
                model_name="onboarding",
                name="done_items",
                field=models.JSONField(default=list, editable=False),
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
