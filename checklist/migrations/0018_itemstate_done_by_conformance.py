"""``ItemState.done_by_conformance``: the conformance run that ticked a rejection item.

The step page says "ticked by the conformance run of …" instead of "ticked by <person>".
"""

from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models

from checklist.revision_triggers import around_table_rebuild


class Migration(migrations.Migration):
    dependencies = [("checklist", "0017_conformance_run")]

    operations = [
        *around_table_rebuild(
            migrations.AddField(
                model_name="itemstate",
                name="done_by_conformance",
                field=models.ForeignKey(
                    blank=True,
                    null=True,
                    on_delete=django.db.models.deletion.SET_NULL,
                    related_name="+",
                    to="checklist.conformancerun",
                ),
            ),
        ),
    ]
