"""Fill ``User.unread_notifications`` from the notifications there are."""

from typing import Any

from django.db import migrations
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def count_unread(apps: Any, schema_editor: Any) -> None:
    user_model = apps.get_model("portal", "User")
    notification_model = apps.get_model("notifications", "Notification")
    unread = Subquery(
        notification_model.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(unread=Count("pk"))
        .values("unread")
    )
    user_model.objects.update(unread_notifications=Coalesce(unread, Value(0)))


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("portal", "0005_user_unread_notifications"),
    ]

    operations = [migrations.RunPython(count_unread, migrations.RunPython.noop)]
