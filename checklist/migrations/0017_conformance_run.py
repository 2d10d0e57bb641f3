"""Conformance runs (``checklist.conformance``): the table of runs, watched by the revision
triggers so that cached step pages show a run's progress; per environment how long a run
waits for the Fachverfahren's answers; the audit actions of a conformance run.

Adding a column rebuilds ``fitconnectenvironment`` on SQLite (``around_table_rebuild``), and
the new watched table gets its triggers by dropping and creating them all (see
``checklist.revision_triggers``).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from checklist.revision_triggers import around_table_rebuild, create_triggers, drop_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("checklist", "0016_signoff_evidence"),
        ("portal", "0006_partnership_request"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ConformanceRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("environment", models.CharField(max_length=20)),
                ("started_at", models.DateTimeField(auto_now_add=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("running", "Running"),
                            ("passed", "All cases passed"),
                            ("failed", "Failed"),
                            ("no_answer", "Not every case answered yet"),
                            ("incomplete", "Not every case could be run"),
                        ],
                        default="running",
                        max_length=20,
                    ),
                ),
                ("cases", models.JSONField(default=dict)),
                ("hosts", models.JSONField(blank=True, default=list, verbose_name="hosts")),
                (
                    "api_version",
                    models.CharField(
                        blank=True, max_length=2, verbose_name="Submission API version"
                    ),
                ),
                (
                    "rehearsal",
                    models.BooleanField(
                        default=False,
                        help_text="Run against a stand-in (e.g. the sandbox): it ticks no checklist item.",
                        verbose_name="rehearsal",
                    ),
                ),
                ("changed_items", models.JSONField(default=list, editable=False)),
                (
                    "onboarding",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="conformance_runs",
                        to="checklist.onboarding",
                    ),
                ),
                (
                    "started_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "started_by_token",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="portal.apitoken",
                    ),
                ),
            ],
            options={
                "ordering": ["-started_at", "-pk"],
            },
        ),
        *around_table_rebuild(
            migrations.AddField(
                model_name="fitconnectenvironment",
                name="conformance_timeout_s",
                field=models.PositiveIntegerField(
                    default=600,
                    help_text="How long a conformance run waits for the Fachverfahren's answer to each case before it reports the case as without answer.",
                    verbose_name="conformance run: wait for answers (seconds)",
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
                        ("conformance_run", "Conformance checked"),
                        ("conformance_ticked", "Item ticked by a conformance run"),
                        ("conformance_reopened", "Item reopened by a conformance run"),
                    ],
                    max_length=30,
                ),
            ),
        ),
        migrations.RunPython(drop_triggers, create_triggers, elidable=False),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
