"""Single sign-on addresses, below the sign-in page's."""

from __future__ import annotations

from django.urls import path

from sso import views

urlpatterns = [
    path("anmelden/dienstkonto/<id:pk>/", views.start, name="sso_start"),
    path("anmelden/dienstkonto/rueckkehr/", views.callback, name="sso_callback"),
    path("anmelden/dienstkonto/verknuepfen/", views.link, name="sso_link"),
    path(
        "anmelden/dienstkonto/backchannel-logout/",
        views.backchannel_logout,
        name="sso_backchannel_logout",
    ),
]
