from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChecklistConfig(AppConfig):
    name = "checklist"
    verbose_name = _("Onboardings")

    def ready(self) -> None:
        # Assignments end when a membership does (a receiver of its deletion).
        from checklist import leaving  # noqa: F401
