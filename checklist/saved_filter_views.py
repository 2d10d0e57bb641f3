"""Saving the overview's filter under a name, and deleting a saved one."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from checklist import saved_filters
from checklist.overview_search import Selection, select
from portal.forms_renderer import KernFormMixin
from portal.models import Organisation
from portal.types import AuthenticatedHttpRequest


class SaveFilterForm(KernFormMixin, forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name of the filter"),
        max_length=100,
        help_text=gettext_lazy("For example “Hessen, overdue”. Only you see your filters."),
        error_messages={"required": gettext_lazy("Please enter a name for the filter.")},
    )
    query = forms.CharField(widget=forms.HiddenInput, required=False)


@login_required
@require_http_methods(["GET", "POST"])
def save_filter(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET: the filter of the overview (its query string) and a name field; POST: save."""
    query = saved_filters.cleaned_query(
        request.POST.get("query", "") if request.method == "POST" else request.GET.urlencode()
    )
    form = SaveFilterForm(request.POST or None, initial={"query": query})
    if request.method == "POST" and form.is_valid():
        try:
            saved = saved_filters.save_filter(request.user, form.cleaned_data["name"], query)
        except saved_filters.FilterRefused as refused:
            form.add_error("name", str(refused))
        else:
            messages.success(request, _("The filter “%(name)s” is saved.") % {"name": saved.name})
            return redirect(f"{reverse('overview')}?{saved.query}")
    chosen = select(request.user, request.memberships, _organisation(request), QueryDict(query))
    return render(
        request,
        "checklist/saved_filter_form.html",
        {"form": form, "described": _described(chosen), "count": chosen.onboardings.count()},
    )


def _organisation(request: AuthenticatedHttpRequest) -> Organisation | None:
    return request.membership.organisation if request.membership else None


def _described(chosen: Selection) -> list[tuple[str, str]]:
    """The filter in words: each field's label and the value chosen (never a parameter)."""
    described = []
    for name, value in chosen.values.items():
        if value in (None, "", False):
            continue
        field = chosen.form.fields[name]
        if isinstance(value, bool):
            text = ""
        elif isinstance(value, date):
            text = value.strftime("%d.%m.%Y")
        elif isinstance(field, forms.ChoiceField):
            text = str(dict(field.choices).get(value, value))  # type: ignore[arg-type]
        else:
            text = str(value)
        described.append((str(field.label), text))
    return described


@login_required
@require_POST
def delete_filter(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if not saved_filters.delete_filter(request.user, pk):
        raise Http404
    messages.success(request, _("The saved filter is deleted."))
    return redirect("overview")
