"""Two Protokoll actions for the production watch: an outage recorded, and the Zustellpunkt
confirmed deactivated for one. Only the choices change (no SQL), so the triggers stay."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('checklist', '0021_archive_copy'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('created', 'Onboarding created'), ('field_changed', 'Value changed'), ('provider_changed', 'Service provider assigned'), ('leistung_added', 'Service added'), ('leistung_removed', 'Service removed'), ('item_ticked', 'Item ticked'), ('item_ticked_reason', 'Check item ticked by hand with a reason'), ('item_unticked', 'Item unticked'), ('note_changed', 'Note changed'), ('comment_added', 'Comment added'), ('item_assigned', 'Item assigned'), ('due_date_changed', 'Due date changed'), ('signoff_declared', 'Declared ready for sign-off'), ('signoff_approved', 'Sign-off approved'), ('signoff_returned', 'Sign-off sent back'), ('signoff_invalidated', 'Sign-off invalid – check again'), ('catalogue_updated', 'Checklist catalogue updated'), ('secret_stored', 'Secret stored encrypted'), ('secret_deleted', 'Stored secret deleted'), ('verification_run', 'Connection checked'), ('hosts_changed', 'Addresses of an environment changed'), ('hosts_confirmed', 'New addresses confirmed for the stored secrets'), ('conformance_run', 'Conformance checked'), ('conformance_ticked', 'Item ticked by a conformance run'), ('conformance_reopened', 'Item reopened by a conformance run'), ('reminded', 'Reminder sent'), ('archive_copy', 'Archive copy stored'), ('outage_recorded', 'Outage recorded'), ('outage_deactivated', 'Zustellpunkt deactivated for an outage')], max_length=30),
        ),
    ]
