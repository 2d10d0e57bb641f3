"""The outage form: planned or not, from when until when, and a note."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from checklist.forms import DateInput
from portal.forms_renderer import KernFormMixin
from watch.models import Outage


class OutageForm(KernFormMixin, forms.ModelForm[Outage]):
    class Meta:
        model = Outage
        fields = ["kind", "starts_on", "ends_on", "note"]
        widgets = {
            "kind": forms.RadioSelect,
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "note": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "kind": _("Kind of outage"),
            "starts_on": _("From"),
            "ends_on": _("Until (empty while it lasts)"),
            "note": _("Note"),
        }
        error_messages = {
            "starts_on": {
                "required": _("Please enter the day the outage began or begins."),
                "invalid": _("Please enter a date such as 14.12.2026."),
            },
            "ends_on": {"invalid": _("Please enter a date such as 14.12.2026.")},
            "kind": {"required": _("Please choose whether the outage is planned.")},
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The end cannot be before the beginning."))
        return data
