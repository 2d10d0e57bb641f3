"""URLs of the coverage page (``checklist.coverage_views``)."""

from __future__ import annotations

from django.urls import path

from checklist import coverage_views

urlpatterns = [
    path("", coverage_views.coverage_page, name="coverage"),
    path("regionen/", coverage_views.coverage_regions, name="coverage_regions"),
    path("leistungen/", coverage_views.coverage_leistungen, name="coverage_leistungen"),
    path("luecken.csv", coverage_views.coverage_gaps_csv, name="coverage_gaps_csv"),
    path("abgleich/", coverage_views.coverage_compare, name="coverage_compare"),
    path(
        "abgleich/<id:comparison_id>/",
        coverage_views.coverage_progress,
        name="coverage_progress",
    ),
]
