"""Coverage per Leistung and region: the regions and Leistungen a coordination office expects,
and the comparisons with FIT-Connect's Routing API with their answers (new tables only)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('checklist', '0019_leistung_xml_template'),
        ('portal', '0007_coordination'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RoutingComparison',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('environment', models.CharField(max_length=20)),
                ('started_at', models.DateTimeField(auto_now_add=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('pairs_total', models.PositiveIntegerField(default=0)),
                ('pairs_planned', models.PositiveIntegerField(default=0)),
                ('problem', models.TextField(blank=True)),
                ('office', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='routing_comparisons', to='portal.organisation')),
                ('started_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-started_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='RoutingAnswer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=200)),
                ('ars', models.CharField(max_length=12)),
                ('outcome', models.CharField(choices=[('known', 'routes to a destination known to the portal'), ('unknown', 'routes to a destination the portal does not know'), ('nowhere', 'routes nowhere'), ('fault', 'could not ask')], max_length=10)),
                ('destinations', models.JSONField(default=list)),
                ('detail', models.TextField(blank=True)),
                ('comparison', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='answers', to='checklist.routingcomparison')),
            ],
            options={
                'ordering': ['key', 'ars'],
            },
        ),
        migrations.CreateModel(
            name='ExpectedLeistung',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=200, verbose_name='Leistungsschlüssel')),
                ('name', models.CharField(blank=True, max_length=200, verbose_name='name of the service')),
                ('office', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='expected_leistungen', to='portal.organisation')),
            ],
            options={
                'verbose_name': 'expected service',
                'verbose_name_plural': 'expected services',
                'ordering': ['key'],
                'constraints': [models.UniqueConstraint(fields=('office', 'key'), name='expected_leistung_unique')],
            },
        ),
        migrations.CreateModel(
            name='ExpectedRegion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('ars', models.CharField(max_length=12, verbose_name='Amtlicher Regionalschlüssel (ARS)')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('office', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='expected_regions', to='portal.organisation')),
            ],
            options={
                'verbose_name': 'expected region',
                'verbose_name_plural': 'expected regions',
                'ordering': ['ars'],
                'constraints': [models.UniqueConstraint(fields=('office', 'ars'), name='expected_region_unique')],
            },
        ),
        migrations.AddIndex(
            model_name='routingcomparison',
            index=models.Index(fields=['office', '-started_at'], name='routing_comparison_office'),
        ),
        migrations.AddConstraint(
            model_name='routinganswer',
            constraint=models.UniqueConstraint(fields=('comparison', 'key', 'ars'), name='routing_answer_unique'),
        ),
    ]
