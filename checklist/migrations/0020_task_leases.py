"""Leases of background tasks (portal.leases) on runs and PDF exports; runs can be aborted.

Runs are watched by the revision triggers: on SQLite adding columns rebuilds the tables,
so the triggers are dropped and created again around it (``around_table_rebuild``).
"""

from django.db import migrations, models

from checklist.revision_triggers import around_table_rebuild


class Migration(migrations.Migration):
    dependencies = [
        ("checklist", "0020_reminders_exports_saved_filters"),
    ]

    operations = around_table_rebuild(
        migrations.AddField(
            model_name="conformancerun",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="conformancerun",
            name="lease_until",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="pdfexport",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="pdfexport",
            name="lease_until",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="verificationrun",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="verificationrun",
            name="lease_until",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="conformancerun",
            name="status",
            field=models.CharField(
                choices=[
                    ("running", "Running"),
                    ("passed", "All cases passed"),
                    ("failed", "Failed"),
                    ("no_answer", "Not every case answered yet"),
                    ("incomplete", "Not every case could be run"),
                    ("aborted", "Aborted"),
                ],
                default="running",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="verificationrun",
            name="status",
            field=models.CharField(
                choices=[
                    ("running", "Running"),
                    ("ok", "All checks passed"),
                    ("warning", "Passed with warnings"),
                    ("failed", "Failed"),
                    ("aborted", "Aborted"),
                ],
                default="running",
                max_length=20,
            ),
        ),
    )
