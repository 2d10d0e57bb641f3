"""Render Django forms with KERN UX markup."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.forms.renderers import BaseRenderer, TemplatesSetting
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html
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
    Django's ``select.html`` and ``select_option.html`` (no option groups), and the first
    option whose value is the field's value is selected, as Django's ``optgroups`` choose
    it, but without building a dictionary of attributes per option (20 µs each: 3.6 ms of
    an overview whose filters list 175)."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        # The select's own attributes as Django's widgets give them, without its options.
        widget = forms.Widget.get_context(self, name, value, attrs)["widget"]
        chosen = set(widget["value"])
        options, selected = [], False
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):  # an option group: Django's way
                return super().render(name, value, attrs, renderer)
            text = "" if option_value is None else str(option_value)
            here = not selected and text in chosen
            selected = selected or here
            options.append(
                f'  <option value="{conditional_escape(text)}"{" selected" if here else ""}>'
                f"{conditional_escape(cast(str, label))}</option>"
            )
        return format_html(
            '<select name="{}"{}>\n{}\n</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            SafeString("\n".join(options)),  # each value and label escaped
        )
