"""URLs of the home page and of onboardings (Anbindungsvorhaben)."""

from __future__ import annotations

from django.urls import include, path

from checklist import (
    archive_views,
    bulk_import_views,
    conformance_views,
    dashboard_export,
    dashboard_views,
    export_views,
    file_export_views,
    reminder_views,
    report_views,
    saved_filter_views,
    verification_views,
    views,
    work_views,
    xml_template_views,
)

onboarding_patterns = [
    # The most requested first: Django tries the patterns in order (a step page went through
    # 27 before it). No pattern before them has their shape, so the order changes no match.
    path("<slug:slug>/schritt/<int:number>/", views.step_page, name="step"),
    path("<slug:slug>/punkte/<key:key>/abhaken/", views.item_toggle, name="item_toggle"),
    path("", views.overview, name="overview"),
    path("neu/", views.create, name="onboarding_create"),
    path("filter/speichern/", saved_filter_views.save_filter, name="save_filter"),
    path("filter/<id:pk>/loeschen/", saved_filter_views.delete_filter, name="delete_filter"),
    path("steuerung/", dashboard_views.dashboard_page, name="dashboard"),
    path("steuerung/bericht/", report_views.management_report, name="management_report"),
    path("steuerung/export.csv", dashboard_export.dashboard_csv, name="dashboard_csv"),
    path("steuerung/export.xlsx", dashboard_export.dashboard_xlsx, name="dashboard_xlsx"),
    path("export.csv", file_export_views.overview_csv, name="overview_csv"),
    path("export.xlsx", file_export_views.overview_xlsx, name="overview_xlsx"),
    path(
        "export/<id:export_id>/",
        file_export_views.overview_export_status,
        name="overview_export_status",
    ),
    path(
        "export/<id:export_id>/herunterladen/",
        file_export_views.overview_export_download,
        name="overview_export_download",
    ),
    path("import/", bulk_import_views.bulk_import_page, name="onboarding_import"),
    path("leere-checkliste.pdf", export_views.blank_pdf, name="blank_pdf"),
    path(
        "leere-checkliste/<id:export_id>/", export_views.blank_pdf_status, name="blank_pdf_status"
    ),
    path(
        "leere-checkliste/<id:export_id>.pdf",
        export_views.blank_pdf_download,
        name="blank_pdf_download",
    ),
    path("schluessel/", verification_views.key_tool, name="key_tool"),
    path("schluessel/pruefen/", verification_views.jwk_validator, name="jwk_validator"),
    path("leistungsschluessel/", views.leika_lookup, name="leika_lookup"),
    path("<slug:slug>/", views.detail, name="onboarding_detail"),
    path("<slug:slug>/bearbeiten/", views.edit, name="onboarding_edit"),
    path("<slug:slug>/leistungen/neu/", views.leistung_form, name="leistung_create"),
    path("<slug:slug>/leistungen/<id:pk>/", views.leistung_form, name="leistung_edit"),
    path(
        "<slug:slug>/leistungen/<id:pk>/entfernen/", views.leistung_delete, name="leistung_delete"
    ),
    path(
        "<slug:slug>/leistungen/<id:pk>/xml-vorlage/",
        xml_template_views.xml_template,
        name="xml_template",
    ),
    path("<slug:slug>/metadaten/", views.metadata_versions, name="metadata_versions"),
    path(
        "<slug:slug>/umgebung/<key:environment>/", views.environment_form, name="environment_edit"
    ),
    path("<slug:slug>/punkte/<key:key>/notiz/", views.item_note, name="item_note"),
    path("<slug:slug>/punkte/<key:key>/kommentare/", views.item_comment, name="item_comment"),
    path("<slug:slug>/punkte/<key:key>/zuweisen/", work_views.item_assign, name="item_assign"),
    path("<slug:slug>/termine/", work_views.deadlines, name="deadlines"),
    path("<slug:slug>/erinnern/", reminder_views.remind, name="onboarding_remind"),
    path(
        "<slug:slug>/abnahme/<key:environment>/erklaeren/",
        views.signoff_declare,
        name="signoff_declare",
    ),
    path(
        "<slug:slug>/abnahme/<key:environment>/freigeben/",
        views.signoff_approve,
        name="signoff_approve",
    ),
    path(
        "<slug:slug>/abnahme/<key:environment>/zurueckweisen/",
        views.signoff_return,
        name="signoff_return",
    ),
    path("<slug:slug>/protokoll/", views.audit_trail, name="audit_trail"),
    path("<slug:slug>/archivkopien/", archive_views.archive_request, name="archive_request"),
    path(
        "<slug:slug>/archivkopien/<id:copy_id>.pdf",
        archive_views.archive_download,
        name="archive_download",
    ),
    path("<slug:slug>/checkliste.pdf", export_views.onboarding_pdf, name="onboarding_pdf"),
    path("<slug:slug>/checkliste/<id:export_id>/", export_views.pdf_status, name="pdf_status"),
    path(
        "<slug:slug>/checkliste/<id:export_id>.pdf", export_views.pdf_download, name="pdf_download"
    ),
    path(
        "<slug:slug>/pruefung/<key:environment>/",
        verification_views.verify_start,
        name="verify_start",
    ),
    path(
        "<slug:slug>/pruefungen/<id:run_id>/fortschritt/",
        verification_views.verify_progress,
        name="verify_progress",
    ),
    path(
        "<slug:slug>/pruefungen/<id:run_id>/",
        verification_views.verify_run,
        name="verify_run",
    ),
    path(
        "<slug:slug>/konformitaet/<key:environment>/",
        conformance_views.conformance_start,
        name="conformance_start",
    ),
    path(
        "<slug:slug>/konformitaetspruefungen/<id:run_id>/fortschritt/",
        conformance_views.conformance_progress,
        name="conformance_progress",
    ),
    path(
        "<slug:slug>/konformitaetspruefungen/<id:run_id>/erneut/",
        conformance_views.conformance_look_again,
        name="conformance_look_again",
    ),
    path(
        "<slug:slug>/konformitaetspruefungen/<id:run_id>/",
        conformance_views.conformance_run,
        name="conformance_run",
    ),
    path(
        "<slug:slug>/pruefung/<key:environment>/geheimnis/<key:kind>/loeschen/",
        verification_views.secret_delete,
        name="secret_delete",
    ),
    path(
        "<slug:slug>/pruefung/<str:environment>/adressen-bestaetigen/",
        verification_views.hosts_confirm,
        name="hosts_confirm",
    ),
]

urlpatterns = [
    path("vorhaben/", include(onboarding_patterns)),
    path("behoerden/", work_views.served_authorities, name="served_authorities"),
    path("abdeckung/", include("checklist.coverage_urls")),
]
