from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChecklistConfig(AppConfig):
    name = "checklist"
    verbose_name = _("Onboardings")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        # Assignments end when a membership does (a receiver of its deletion).
        from checklist import leaving  # noqa: F401
        from checklist.audit_chain import register_sqlite_function

        # SQLite's guard of the Protokoll asks each connection whether it is released.
        connection_created.connect(register_sqlite_function, dispatch_uid="audit_release")
