"""Render Django forms with KERN UX markup."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import BaseRenderer, TemplatesSetting
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


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


class ListSelect(forms.Select):
    """A select whose options are written here, not one template rendering per option: a
    filter listing hundreds of organisations cost more than the page's table. The markup is
    Django's ``select.html`` and ``select_option.html`` (no option groups)."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        options = [option for _group, choices, _index in widget["optgroups"] for option in choices]
        return format_html(
            '<select name="{}"{}>\n{}\n</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            format_html_join(
                "\n",
                '  <option value="{}"{}>{}</option>',
                (
                    (option["value"], flatatt(option["attrs"]), option["label"])
                    for option in options
                ),
            ),
        )
