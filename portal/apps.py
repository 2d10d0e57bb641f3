from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Accounts and organisations")

    def ready(self) -> None:
        from django.urls import register_converter

        from portal.converters import IdConverter, KeyConverter

        # Before any URLconf is loaded: ``<id:pk>`` and ``<key:environment>`` in the
        # addresses of the portal, the checklist and the API.
        register_converter(IdConverter, "id")
        register_converter(KeyConverter, "key")
