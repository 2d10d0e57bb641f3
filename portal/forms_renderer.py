"""Render Django forms with KERN UX markup."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import TemplatesSetting


class KernFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


def apply_kern_classes(form: forms.BaseForm) -> None:
    """Give every widget of the form the KERN class for its kind of input."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.RadioSelect):
            widget.template_name = "forms/widgets/radio.html"
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "kern-form-check__checkbox"
        elif isinstance(widget, forms.Select):
            css = "kern-form-input__select"
        else:
            css = "kern-form-input__input"
        widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()


class KernFormMixin:
    """Mix into a form so its widgets carry KERN classes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        apply_kern_classes(self)  # type: ignore[arg-type]
