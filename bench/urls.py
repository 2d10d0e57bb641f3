"""The portal's URLs plus the benchmark's: the bare view and the write floor of a tick."""

from __future__ import annotations

from django.urls import include, path

from bench import views

urlpatterns = [
    path("bench/bare/", views.bench_bare, name="bench_bare"),
    path("bench/schreiben/<slug:slug>/", views.bench_write_floor, name="bench_write_floor"),
    path("bench/lesen/<slug:slug>/<int:number>/", views.bench_read_floor, name="bench_read_floor"),
    path(
        "bench/zeichnen/<slug:slug>/<int:number>/",
        views.bench_render_floor,
        name="bench_render_floor",
    ),
    path("", include("portal.urls")),
]
