"""Archive copies (PDF/A-3 with the evidence embedded) and their Protokoll entry.

The new audit action only changes choices: no column changes, so no SQLite table rebuild
and the revision triggers stay.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('checklist', '0021_audit_chain'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('created', 'Onboarding created'), ('field_changed', 'Value changed'), ('provider_changed', 'Service provider assigned'), ('leistung_added', 'Service added'), ('leistung_removed', 'Service removed'), ('item_ticked', 'Item ticked'), ('item_ticked_reason', 'Check item ticked by hand with a reason'), ('item_unticked', 'Item unticked'), ('note_changed', 'Note changed'), ('comment_added', 'Comment added'), ('item_assigned', 'Item assigned'), ('due_date_changed', 'Due date changed'), ('signoff_declared', 'Declared ready for sign-off'), ('signoff_approved', 'Sign-off approved'), ('signoff_returned', 'Sign-off sent back'), ('signoff_invalidated', 'Sign-off invalid – check again'), ('catalogue_updated', 'Checklist catalogue updated'), ('secret_stored', 'Secret stored encrypted'), ('secret_deleted', 'Stored secret deleted'), ('verification_run', 'Connection checked'), ('hosts_changed', 'Addresses of an environment changed'), ('hosts_confirmed', 'New addresses confirmed for the stored secrets'), ('conformance_run', 'Conformance checked'), ('conformance_ticked', 'Item ticked by a conformance run'), ('conformance_reopened', 'Item reopened by a conformance run'), ('reminded', 'Reminder sent'), ('archive_copy', 'Archive copy stored')], max_length=30),
        ),
        migrations.CreateModel(
            name='ArchiveCopy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('onboarding_name', models.CharField(editable=False, max_length=300)),
                ('onboarding_slug', models.SlugField(editable=False, max_length=100)),
                ('reason', models.CharField(choices=[('approval', 'Sign-off approved'), ('on_demand', 'Requested')], editable=False, max_length=20)),
                ('environment', models.CharField(blank=True, choices=[('test', 'Test'), ('reference', 'Reference'), ('production', 'Production')], editable=False, max_length=20)),
                ('pdf', models.BinaryField()),
                ('sha256', models.CharField(editable=False, max_length=64)),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('onboarding', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='archive_copies', to='checklist.onboarding')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
            },
        ),
    ]
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('checklist', '0021_audit_chain'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('created', 'Onboarding created'), ('field_changed', 'Value changed'), ('provider_changed', 'Service provider assigned'), ('leistung_added', 'Service added'), ('leistung_removed', 'Service removed'), ('item_ticked', 'Item ticked'), ('item_ticked_reason', 'Check item ticked by hand with a reason'), ('item_unticked', 'Item unticked'), ('note_changed', 'Note changed'), ('comment_added', 'Comment added'), ('item_assigned', 'Item assigned'), ('due_date_changed', 'Due date changed'), ('signoff_declared', 'Declared ready for sign-off'), ('signoff_approved', 'Sign-off approved'), ('signoff_returned', 'Sign-off sent back'), ('signoff_invalidated', 'Sign-off invalid – check again'), ('catalogue_updated', 'Checklist catalogue updated'), ('secret_stored', 'Secret stored encrypted'), ('secret_deleted', 'Stored secret deleted'), ('verification_run', 'Connection checked'), ('hosts_changed', 'Addresses of an environment changed'), ('hosts_confirmed', 'New addresses confirmed for the stored secrets'), ('conformance_run', 'Conformance checked'), ('conformance_ticked', 'Item ticked by a conformance run'), ('conformance_reopened', 'Item reopened by a conformance run'), ('reminded', 'Reminder sent'), ('archive_copy', 'Archive copy stored')], max_length=30),
        ),
        migrations.CreateModel(
            name='ArchiveCopy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('onboarding_name', models.CharField(editable=False, max_length=300)),
                ('onboarding_slug', models.SlugField(editable=False, max_length=100)),
                ('reason', models.CharField(choices=[('approval', 'Sign-off approved'), ('on_demand', 'Requested'), ('removal', 'Before removal')], editable=False, max_length=20)),
                ('environment', models.CharField(blank=True, choices=[('test', 'Test'), ('reference', 'Reference'), ('production', 'Production')], editable=False, max_length=20)),
                ('pdf', models.BinaryField()),
                ('sha256', models.CharField(editable=False, max_length=64)),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('onboarding', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='archive_copies', to='checklist.onboarding')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
            },
        ),
    ]
