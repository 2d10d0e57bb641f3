"""``Leistung.xml_template``: the XML document the conformance run sends for an XSD schema."""

from __future__ import annotations

from django.db import migrations, models

from checklist.revision_triggers import around_table_rebuild


class Migration(migrations.Migration):
    dependencies = [("checklist", "0018_itemstate_done_by_conformance")]

    operations = [
        *around_table_rebuild(
            migrations.AddField(
                model_name="leistung",
                name="xml_template",
                field=models.TextField(blank=True, verbose_name="XML template for the conformance run"),
            ),
        ),
    ]
