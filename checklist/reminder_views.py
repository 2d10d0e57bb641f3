"""The reminder page: who holds the onboarding, an optional message, send (once a day)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from checklist import reminders
from checklist.dashboard_views import steers
from checklist.state import NotAllowed
from checklist.view_support import participation_for
from portal.forms_renderer import KernFormMixin
from portal.types import AuthenticatedHttpRequest


class ReminderForm(KernFormMixin, forms.Form):
    message = forms.CharField(
        label=gettext_lazy("Message (optional)"),
        required=False,
        max_length=reminders.MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Sent with the reminder and recorded in the Protokoll."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def remind(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    participation = participation_for(request, slug)
    onboarding = participation.onboarding
    form = ReminderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            side = reminders.send_reminder(participation, form.cleaned_data["message"])
        except NotAllowed as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                _("The reminder was sent to %(side)s.") % {"side": reminders.side_in_words(side)},
            )
            if steers(request):
                return redirect("dashboard")
            return redirect("onboarding_detail", slug=onboarding.slug)
    holder = reminders.holder_side(onboarding)
    refusal = reminders.refusal(onboarding, reminders.previous(onboarding))
    return render(
        request,
        "checklist/remind.html",
        {
            "onboarding": onboarding,
            "form": form,
            "refusal": refusal,
            "side": reminders.side_in_words(holder) if holder else "",
            "recipients": reminders.recipients(onboarding, holder) if holder else [],
        },
    )
