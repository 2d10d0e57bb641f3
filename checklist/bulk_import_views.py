"""The page that creates onboardings from a file: upload, preview with errors, create."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from checklist import bulk_import
from portal.forms_renderer import KernFormMixin
from portal.types import AuthenticatedHttpRequest

SALT = "checklist.bulk_import"
PAYLOAD_MAX_AGE = 3600


class UploadForm(KernFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (CSV or Excel)"),
        help_text=gettext_lazy(
            "First row: the column names Behörde, Fachverfahren, IT-Dienstleister, "
            "Ziel-Go-live. One onboarding per further row."
        ),
        error_messages={"required": gettext_lazy("Please choose a file.")},
    )


def _preview(
    request: AuthenticatedHttpRequest, form: UploadForm, rows: list[bulk_import.Row]
) -> HttpResponse:
    bad = [row for row in rows if row.errors]
    payload = ""
    if not bad:
        payload = signing.dumps([[row.number, row.cells] for row in rows], salt=SALT, compress=True)
    context: dict[str, Any] = {"form": form, "rows": rows, "bad": bad, "payload": payload}
    return render(request, "checklist/bulk_import.html", context, status=200)


@login_required
@require_http_methods(["GET", "POST"])
def bulk_import_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    scope = bulk_import.importer_scope(request.user, request.memberships)
    if scope is None:
        raise Http404
    if request.method == "POST" and request.POST.get("payload"):
        try:
            stored = signing.loads(request.POST["payload"], salt=SALT, max_age=PAYLOAD_MAX_AGE)
        except signing.BadSignature:
            messages.error(request, _("The preview has expired. Please upload the file again."))
            return redirect("onboarding_import")
        rows = bulk_import.check(
            [bulk_import.Row(number, cells) for number, cells in stored], scope
        )
        if any(row.errors for row in rows):
            return _preview(request, UploadForm(), rows)
        created = bulk_import.create(rows, request.user)
        messages.success(
            request, _("%(count)d onboardings have been created.") % {"count": len(created)}
        )
        return redirect("overview")
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            table = bulk_import.read_table(
                upload.name or "", upload.read(bulk_import.MAX_BYTES + 1)
            )
            rows = bulk_import.rows_of(table)
        except bulk_import.FileRefused as refusal:
            form.add_error("file", str(refusal))
        else:
            return _preview(request, form, bulk_import.check(rows, scope))
    return render(request, "checklist/bulk_import.html", {"form": form})
