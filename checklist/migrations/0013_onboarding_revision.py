"""``Onboarding.revision`` and the database triggers that raise it (``checklist.revision_triggers``
says which and why)."""

from __future__ import annotations

from django.db import migrations, models

from checklist.revision_triggers import create_triggers, drop_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("checklist", "0012_environment_record_join"),
        ("portal", "0005_user_unread_notifications"),
    ]

    operations = [
        migrations.AddField(
            model_name="onboarding",
            name="revision",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
