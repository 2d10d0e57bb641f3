"""The home page ("Meine Aufgaben"), the inbox and the notification settings."""

from __future__ import annotations

from django.urls import path

from notifications import data_export, views

urlpatterns = [
    path("", views.home, name="home"),
    path("benachrichtigungen/", views.inbox, name="inbox"),
    path("benachrichtigungen/gelesen/", views.mark_all_read, name="mark_all_read"),
    path("benachrichtigungen/<id:pk>/oeffnen/", views.notification_open, name="notification_open"),
    path(
        "benachrichtigungen/einstellungen/",
        views.notification_settings,
        name="notification_settings",
    ),
    path("benachrichtigungen/einstellungen/meine-daten.json", data_export.my_data, name="my_data"),
]
