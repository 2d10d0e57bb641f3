"""The coordination offices' daily watch digest as a notification kind (choices only)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0005_watch_kinds'),
    ]

    operations = [
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('signoff_requested', 'Ready for sign-off: your approval is needed'), ('signoff_approved', 'Sign-off approved'), ('signoff_returned', 'Sign-off sent back'), ('signoff_invalidated', 'Sign-off invalid after a change'), ('assigned', 'An item was assigned to you'), ('mentioned', 'You were mentioned in a comment'), ('commented', 'New comment on an item assigned to you'), ('verification_failed', 'Connection check failed'), ('due_soon', 'Step due in 7 days'), ('overdue', 'Step overdue'), ('key_expiring', 'Key or certificate expires soon'), ('hosts_changed', 'Addresses of an environment changed'), ('reminder', 'Reminder of the open work of an onboarding'), ('watch_red', 'Production watch: a connection is disrupted'), ('watch_expiring', 'Production watch: a key expires soon'), ('watch_waiting', 'Production watch: submissions are not picked up'), ('watch_outage', 'Production watch: an outage requires deactivation'), ('watch_digest', 'Production watch: daily overview for coordination offices')], max_length=30, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='preference',
            name='kind',
            field=models.CharField(choices=[('signoff_requested', 'Ready for sign-off: your approval is needed'), ('signoff_approved', 'Sign-off approved'), ('signoff_returned', 'Sign-off sent back'), ('signoff_invalidated', 'Sign-off invalid after a change'), ('assigned', 'An item was assigned to you'), ('mentioned', 'You were mentioned in a comment'), ('commented', 'New comment on an item assigned to you'), ('verification_failed', 'Connection check failed'), ('due_soon', 'Step due in 7 days'), ('overdue', 'Step overdue'), ('key_expiring', 'Key or certificate expires soon'), ('hosts_changed', 'Addresses of an environment changed'), ('reminder', 'Reminder of the open work of an onboarding'), ('watch_red', 'Production watch: a connection is disrupted'), ('watch_expiring', 'Production watch: a key expires soon'), ('watch_waiting', 'Production watch: submissions are not picked up'), ('watch_outage', 'Production watch: an outage requires deactivation'), ('watch_digest', 'Production watch: daily overview for coordination offices')], max_length=30, verbose_name='kind'),
        ),
    ]
