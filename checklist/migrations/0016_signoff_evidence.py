"""Sign-off on evidence: the reason for a check item ticked by hand, and per environment the
age limit of the connection check a declaration needs and the operator's allowance of hand
evidence where the portal cannot reach the environment.

Adding columns rebuilds the tables on SQLite: the revision triggers are dropped and created
around it (``checklist.revision_triggers.around_table_rebuild``).
"""

from django.db import migrations, models

from checklist.revision_triggers import around_table_rebuild


class Migration(migrations.Migration):
    dependencies = [
        ("checklist", "0015_stored_secret_bound_hosts"),
    ]

    operations = [
        *around_table_rebuild(
            migrations.AddField(
                model_name="fitconnectenvironment",
                name="evidence_max_age_days",
                field=models.PositiveSmallIntegerField(
                    default=30,
                    help_text="A declaration of readiness needs a passed connection check against this environment that is at most this old.",
                    verbose_name="connection check valid for (days)",
                ),
            ),
            migrations.AddField(
                model_name="fitconnectenvironment",
                name="hand_evidence_allowed",
                field=models.BooleanField(
                    default=False,
                    help_text="Only where the portal cannot reach this environment (e.g. network rules): readiness may then be declared on items ticked by hand with a reason. The sign-off and the PDF say so.",
                    verbose_name="hand evidence allowed",
                ),
            ),
            migrations.AddField(
                model_name="fitconnectenvironment",
                name="hand_evidence_reason",
                field=models.CharField(
                    blank=True,
                    help_text="Shown with every sign-off that relies on it.",
                    max_length=500,
                    verbose_name="why hand evidence is allowed",
                ),
            ),
            migrations.AddField(
                model_name="itemstate",
                name="hand_reason",
                field=models.TextField(
                    blank=True, max_length=2000, verbose_name="reason for ticking by hand"
                ),
            ),
            migrations.AddField(
                model_name="signoff",
                name="evidence",
                field=models.JSONField(blank=True, default=dict),
            ),
            migrations.AddField(
                model_name="verificationrun",
                name="demo",
                field=models.BooleanField(
                    default=False,
                    help_text="Made by the demo data, not by a real check.",
                    verbose_name="demo material",
                ),
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
                    ("item_ticked_reason", "Check item ticked by hand with a reason"),
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
    ]
