"""``StoredSecret.bound_hosts``: a stored secret is sent only to the hosts it was stored for.

Secrets stored before are bound to their environment's hosts as they are now.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

from checklist.models.fitconnect import SECRET_HOST_FIELDS, origin_of
from checklist.revision_triggers import around_table_rebuild

def bind(apps: Any, schema_editor: Any) -> None:
    StoredSecret = apps.get_model("checklist", "StoredSecret")
    FitConnectEnvironment = apps.get_model("checklist", "FitConnectEnvironment")
    hosts = {
        environment.key: {
            name: origin_of(getattr(environment, name))
            for name in SECRET_HOST_FIELDS
            if getattr(environment, name)
        }
        for environment in FitConnectEnvironment.objects.all()
    }
    for key, bound in hosts.items():
        StoredSecret.objects.filter(environment=key).update(bound_hosts=bound)


class Migration(migrations.Migration):
    dependencies = [("checklist", "0014_onboarding_done_items")]

    operations = [
        *around_table_rebuild(
            migrations.AddField(
                model_name="storedsecret",
                name="bound_hosts",
                field=models.JSONField(blank=True, default=dict, editable=False),
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("created", "Onboarding created"),
                    ("field_changed", "Value changed"),
                    ("provider_changed", "Service provider assigned"),
                    ("leistung_added", "Service added"),
                    ("leistung_removed", "Service removed"),
                    ("item_ticked", "Item ticked"),
                    ("item_unticked", "Item unticked"),
                    ("note_changed", "Note changed"),
                    ("comment_added", "Comment added"),
                    ("item_assigned", "Item assigned"),
                    ("due_date_changed", "Due date changed"),
                    ("signoff_declared", "Declared ready for sign-off"),
                    ("signoff_approved", "Sign-off approved"),
                    ("signoff_returned", "Sign-off sent back"),
                    ("signoff_invalidated", "Sign-off invalid – check again"),
                    ("catalogue_updated", "Checklist catalogue updated"),
                    ("secret_stored", "Secret stored encrypted"),
                    ("secret_deleted", "Stored secret deleted"),
                    ("verification_run", "Connection checked"),
                    ("hosts_changed", "Addresses of an environment changed"),
                    ("hosts_confirmed", "New addresses confirmed for the stored secrets"),
                ],
                max_length=30,
            ),
        ),
        migrations.RunPython(bind, migrations.RunPython.noop),
    ]
