"""The Protokoll as a hash chain per onboarding, and the database's guard over it.

Existing entries are chained in their order (``checklist.audit_chain``), then the guard
triggers refuse any later UPDATE or DELETE of an entry. On SQLite the new columns rebuild
the table, so the revision triggers are dropped and created around it.
"""

from typing import Any

import django.utils.timezone
from django.db import migrations, models

from checklist.audit_chain import chain_in_order, create_guard, drop_guard
from checklist.revision_triggers import around_table_rebuild

BATCH = 2000


def backfill(apps: Any, schema_editor: Any) -> None:
    """Seal every existing entry, onboarding by onboarding, oldest first."""
    AuditEvent = apps.get_model("checklist", "AuditEvent")
    heads: dict[int, str] = {}
    pending: list[Any] = []
    for event in AuditEvent.objects.order_by("onboarding_id", "pk").iterator(chunk_size=BATCH):
        chain_in_order([event], heads)
        pending.append(event)
        if len(pending) >= BATCH:
            AuditEvent.objects.bulk_update(pending, ["previous_hash", "entry_hash"])
            pending = []
    AuditEvent.objects.bulk_update(pending, ["previous_hash", "entry_hash"])


class Migration(migrations.Migration):
    dependencies = [("checklist", "0020_task_leases")]

    operations = [
        *around_table_rebuild(
            migrations.AddField(
                model_name="auditevent",
                name="entry_hash",
                field=models.CharField(blank=True, editable=False, max_length=64),
            ),
            migrations.AddField(
                model_name="auditevent",
                name="previous_hash",
                field=models.CharField(blank=True, editable=False, max_length=64),
            ),
            migrations.AlterField(
                model_name="auditevent",
                name="created_at",
                field=models.DateTimeField(
                    db_index=True, default=django.utils.timezone.now, editable=False
                ),
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(create_guard, drop_guard, elidable=False),
    ]
