"""The admin site of site operators: signed in through the portal's own sign-in, with the
verified second factor where ``MFA_REQUIRED`` (``portal.mfa``).

The admin can reset other people's second factors and point environments at other hosts,
so a password alone must never reach it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from portal import mfa


class PortalAdminSite(admin.AdminSite):
    site_header = "FIT-Connect Anbindungsportal"
    site_title = "Anbindungsportal"

    def has_permission(self, request: HttpRequest) -> bool:
        return mfa.admin_has_permission(request)

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return mfa.admin_login(request, extra_context)
