from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Connect the receivers of the checklist's signals and those that keep the count of
        # unread notifications.
        from notifications import receivers, unread  # noqa: F401
