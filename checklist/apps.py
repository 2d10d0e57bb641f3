from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChecklistConfig(AppConfig):
    name = "checklist"
    verbose_name = _("Onboardings")
