"""The Django admin as an app, with the portal's own admin site (``portal.admin_site``)."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """django.contrib.admin with the portal's sign-in and second factor."""

    default_site = "portal.admin_site.PortalAdminSite"
