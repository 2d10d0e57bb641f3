"""The page of a Leistung's XML template (``checklist.xml_templates``): upload, replace, remove."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from checklist.view_support import participation_for, require
from checklist.xml_templates import XML, XmlTemplateForm, set_xml_template, template_summary
from portal.types import AuthenticatedHttpRequest


@login_required
@require_http_methods(["GET", "POST"])
def xml_template(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    participation = participation_for(request, slug)
    require(participation.does_provider_work or participation.can_edit_step(1))
    onboarding = participation.onboarding
    leistung = onboarding.leistungen.filter(pk=pk).first()
    if leistung is None:
        raise Http404
    form = XmlTemplateForm(request.POST or None, request.FILES or None, leistung=leistung)
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["template"] or ""
        set_xml_template(leistung, text, request.user)
        if text:
            messages.success(
                request, _("The XML template of %(key)s is saved.") % {"key": leistung.key}
            )
        else:
            messages.success(
                request, _("The XML template of %(key)s is removed.") % {"key": leistung.key}
            )
        return redirect("xml_template", slug=onboarding.slug, pk=leistung.pk)
    return render(
        request,
        "checklist/xml_template.html",
        {
            "form": form,
            "onboarding": onboarding,
            "leistung": leistung,
            "is_xml": leistung.mime_type == XML,
            "stored": template_summary(leistung.xml_template),
        },
    )
