"""Downloading the checklist and go-live record as PDF, rendered by the worker and cached."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from checklist import export, lost_work, tasks
from checklist.models import Onboarding, PdfExport
from checklist.view_support import participation_for
from portal.types import AuthenticatedHttpRequest


def _pdf_response(pdf: bytes, name: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def _pdf_or_wait(
    request: AuthenticatedHttpRequest, pdf_export: PdfExport, onboarding: Onboarding | None
) -> HttpResponse:
    """Send a rendered PDF; otherwise the page that waits for it (it polls with htmx)."""
    if pdf_export.ready:
        return _pdf_response(
            bytes(pdf_export.pdf or b""), export.filename(onboarding, timezone.now())
        )
    context = {"export": pdf_export, "onboarding": onboarding}
    if request.htmx:
        return render(request, "checklist/pdf_wait.html#status", context)
    return render(request, "checklist/pdf_wait.html", context)


@login_required
@require_GET
def onboarding_pdf(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    participation = participation_for(request, slug)
    onboarding = participation.onboarding
    pdf_export = tasks.request_pdf(onboarding)
    if pdf_export.ready:
        return _pdf_or_wait(request, pdf_export, onboarding)
    return redirect("pdf_status", slug=slug, export_id=pdf_export.pk)


@login_required
@require_GET
def pdf_status(request: AuthenticatedHttpRequest, slug: str, export_id: int) -> HttpResponse:
    """The waiting page of a PDF (htmx polls its status part); the PDF itself once ready."""
    participation = participation_for(request, slug)
    pdf_export = _export(participation.onboarding, export_id, with_pdf=False)
    if pdf_export.ready and not request.htmx:
        return redirect("pdf_download", slug=slug, export_id=export_id)
    context = {"export": pdf_export, "onboarding": participation.onboarding}
    template = "checklist/pdf_wait.html#status" if request.htmx else "checklist/pdf_wait.html"
    return render(request, template, context)


@login_required
@require_GET
def pdf_download(request: AuthenticatedHttpRequest, slug: str, export_id: int) -> HttpResponse:
    participation = participation_for(request, slug)
    pdf_export = _export(participation.onboarding, export_id, with_pdf=True)
    if not pdf_export.ready:
        return redirect("pdf_status", slug=slug, export_id=export_id)
    return _pdf_or_wait(request, pdf_export, participation.onboarding)


def _export(onboarding: Onboarding | None, export_id: int, *, with_pdf: bool) -> PdfExport:
    exports = PdfExport.objects.filter(onboarding=onboarding, pk=export_id)
    found = (exports if with_pdf else exports.defer("pdf")).defer("html").first()
    if found is None:
        raise Http404
    lost_work.settle_export(found)  # rendered again or failed if its worker was lost
    return found


@login_required
@require_GET
def blank_pdf(request: AuthenticatedHttpRequest) -> HttpResponse:
    pdf_export = tasks.request_pdf(None)
    if pdf_export.ready:
        return _pdf_or_wait(request, pdf_export, None)
    return redirect("blank_pdf_status", export_id=pdf_export.pk)


@login_required
@require_GET
def blank_pdf_status(request: AuthenticatedHttpRequest, export_id: int) -> HttpResponse:
    pdf_export = _export(None, export_id, with_pdf=False)
    if pdf_export.ready and not request.htmx:
        return redirect("blank_pdf_download", export_id=export_id)
    context = {"export": pdf_export, "onboarding": None}
    template = "checklist/pdf_wait.html#status" if request.htmx else "checklist/pdf_wait.html"
    return render(request, template, context)


@login_required
@require_GET
def blank_pdf_download(request: AuthenticatedHttpRequest, export_id: int) -> HttpResponse:
    pdf_export = _export(None, export_id, with_pdf=True)
    if not pdf_export.ready:
        return redirect("blank_pdf_status", export_id=export_id)
    return _pdf_or_wait(request, pdf_export, None)
