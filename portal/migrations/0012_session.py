"""Sessions in a table of their own that names each session's user and confirmed device.

The open sessions move over from Django's table (``django_session``), so that nobody has to
sign in again. Their user and device columns stay empty until the session is next saved (at
most a minute of activity later, ``portal.middleware.session_refresh``); until then the user
is read in a statement of its own, as before. Reversed, the sessions move back.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


BATCH = 500


def _move(source, target):
    now = timezone.now()
    moving = source.objects.filter(expire_date__gt=now).order_by("session_key")
    for offset in range(0, moving.count(), BATCH):
        target.objects.bulk_create(
            [
                target(session_key=s.session_key, session_data=s.session_data, expire_date=s.expire_date)
                for s in moving[offset : offset + BATCH]
            ],
            ignore_conflicts=True,
        )
    source.objects.all().delete()


def move_in(apps, schema_editor):
    _move(apps.get_model("sessions", "Session"), apps.get_model("portal", "Session"))


def move_back(apps, schema_editor):
    _move(apps.get_model("portal", "Session"), apps.get_model("sessions", "Session"))


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0011_retention'),
        ('sessions', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='Session',
            fields=[
                ('session_key', models.CharField(max_length=40, primary_key=True, serialize=False, verbose_name='session key')),
                ('session_data', models.TextField(verbose_name='session data')),
                ('expire_date', models.DateTimeField(db_index=True, verbose_name='expire date')),
                ('device_model', models.CharField(blank=True, default='', max_length=100)),
                ('device_number', models.BigIntegerField(blank=True, null=True)),
                ('user', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'session',
                'verbose_name_plural': 'sessions',
                'db_table': 'portal_session',
                'abstract': False,
            },
        ),
        migrations.RunPython(move_in, move_back),
    ]
