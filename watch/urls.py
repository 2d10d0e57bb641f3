"""URLs of the production watch, under an onboarding."""

from __future__ import annotations

from django.urls import path

from watch import views

urlpatterns = [
    path("<slug:slug>/betrieb/", views.watch_page, name="watch_page"),
    path("<slug:slug>/betrieb/ausfall/", views.outage_record, name="watch_outage"),
    path(
        "<slug:slug>/betrieb/ausfall/<id:pk>/deaktiviert/",
        views.outage_deactivated,
        name="watch_outage_deactivated",
    ),
]
