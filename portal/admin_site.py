"""The admin site of site operators: signed in through the portal's own sign-in, with the
verified second factor where ``MFA_REQUIRED`` (``portal.mfa``).

The admin can reset other people's second factors and point environments at other hosts,
so a password alone must never reach it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from portal.mfa import second_factor_missing


def admin_has_permission(request: HttpRequest) -> bool:
    """The Django admin's own gate: active staff, and with a verified second factor where
    ``MFA_REQUIRED``."""
    user = request.user
    return bool(user.is_active and user.is_staff and not second_factor_missing(request))


def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The admin's sign-in page signs in with the password alone; the portal's sign-in (with
    its second step) is used instead."""
    target = request.GET.get("next") or reverse("admin:index")
    if request.user.is_authenticated:
        # Signed in without the rights (or the second factor) the admin needs.
        return redirect("mfa_setup" if second_factor_missing(request) else "home")
    return redirect(f"{reverse('login')}?{urlencode({'next': target})}")


class PortalAdminSite(admin.AdminSite):
    site_header = "FIT-Connect Anbindungsportal"
    site_title = "Anbindungsportal"

    def has_permission(self, request: HttpRequest) -> bool:
        return admin_has_permission(request)

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return admin_login(request, extra_context)
