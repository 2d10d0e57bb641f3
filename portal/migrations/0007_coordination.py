"""Coordination offices: the organisation kind, its regions and authorities; an authority's ARS.

Adding columns makes SQLite rebuild ``portal_organisation``, which the revision triggers
watch: they are dropped before and created again after (``around_table_rebuild``).
"""

import django.core.validators
import portal.models
from django.db import migrations, models

from checklist.revision_triggers import around_table_rebuild


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0006_partnership_request"),
        # the revision triggers exist (0013) and watch every table they will (0016)
        ("checklist", "0016_signoff_evidence"),
    ]

    operations = around_table_rebuild(
        migrations.AddField(
            model_name="organisation",
            name="ars",
            field=models.CharField(
                blank=True,
                db_index=True,
                help_text="Authorities only: the ARS of the area the authority is responsible for.",
                max_length=12,
                validators=[
                    django.core.validators.RegexValidator(
                        "^(\\d{2}|\\d{3}|\\d{5}|\\d{9}|\\d{12})$",
                        "An ARS has 2 (Land), 3 (Regierungsbezirk), 5 (Kreis), 9 (Gemeindeverband) or 12 (Gemeinde) digits.",
                    )
                ],
                verbose_name="Amtlicher Regionalschlüssel (ARS)",
            ),
        ),
        migrations.AddField(
            model_name="organisation",
            name="coordinated_authorities",
            field=models.ManyToManyField(
                blank=True,
                help_text="Coordination offices only: authorities it reads beyond its regions (e.g. authorities without an ARS).",
                limit_choices_to={"kind": "authority"},
                related_name="coordination_offices",
                to="portal.organisation",
                verbose_name="coordinated authorities",
            ),
        ),
        migrations.AddField(
            model_name="organisation",
            name="regions",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text='Coordination offices only: the ARS of the Länder or Kreise whose authorities\' onboardings the office reads, e.g. ["06"] for Hessen.',
                validators=[portal.models.validate_ars_list],
                verbose_name="regions (ARS prefixes)",
            ),
        ),
        migrations.AlterField(
            model_name="organisation",
            name="kind",
            field=models.CharField(
                choices=[
                    ("authority", "Authority"),
                    ("provider", "IT service provider"),
                    ("coordination", "Coordination office"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
    )
