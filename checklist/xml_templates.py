"""The XML template of a Leistung: the document the conformance run sends for an XSD schema.

The form that checks an upload and the service that stores it (the page is
``xml_template_views``).

For a JSON Schema the conformance run generates its documents itself; for an XML (XÖV)
schema it cannot, so the provider uploads a minimal valid instance document per Leistung
here (``Leistung.xml_template``). The battery sends it as the valid case and derives the
invalid-data cases from it (``fitconnect.conformance.battery``). The file must be small,
UTF-8 and well-formed XML without a DTD (``fitconnect.xml_documents``); a refused file
changes nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from checklist.audit import audit
from checklist.models import AuditEvent, Leistung
from fitconnect import xml_documents
from portal.forms_renderer import KernFormMixin
from portal.models import Actor

XML = Leistung.MimeType.XML


class XmlTemplateForm(KernFormMixin, forms.Form):
    template = forms.FileField(
        label=gettext_lazy("XML template (a valid sample document of the Leistung)"),
        required=False,
        help_text=gettext_lazy(
            "A minimal XML document that your Fachverfahren accepts for this Leistung, UTF-8, "
            "at most 256 KB, without a DOCTYPE. Use made-up data, never a real application."
        ),
    )
    remove = forms.BooleanField(label=gettext_lazy("Remove the stored template"), required=False)

    def __init__(self, *args: Any, leistung: Leistung, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.leistung = leistung

    def clean_template(self) -> str | None:
        upload = self.cleaned_data.get("template")
        if upload is None:
            return None
        if self.leistung.mime_type != XML:
            raise ValidationError(
                _(
                    "This Leistung's Fachdaten are JSON: the portal generates the conformance "
                    "run's documents from the schema itself. A template is needed only for XML "
                    "(XÖV) schemas."
                ),
                code="not_xml_leistung",
            )
        if upload.size is not None and upload.size > xml_documents.MAX_TEMPLATE_BYTES:
            raise ValidationError(
                _("The file is larger than 256 KB. Please upload a minimal sample document."),
                code="too_large",
            )
        content = upload.read(xml_documents.MAX_TEMPLATE_BYTES + 1)
        if len(content) > xml_documents.MAX_TEMPLATE_BYTES:
            raise ValidationError(
                _("The file is larger than 256 KB. Please upload a minimal sample document."),
                code="too_large",
            )
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(
                _("The file is not UTF-8 encoded. Please save it as UTF-8 and upload it again."),
                code="not_utf8",
            ) from None
        try:
            xml_documents.parse(content)
        except xml_documents.NotXml as refused:
            raise ValidationError(_refusal(refused), code="not_xml") from None
        return str(text)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "template" in self.errors:
            return cleaned
        if cleaned.get("template") is None and not cleaned.get("remove"):
            self.add_error("template", _("Please choose a file."))
        elif cleaned.get("template") is not None and cleaned.get("remove"):
            self.add_error(
                "remove", _("Please either upload a file or remove the stored template.")
            )
        return cleaned


def _refusal(refused: xml_documents.NotXml) -> str:
    if refused.reason == "doctype":
        return _(
            "The file contains a DOCTYPE declaration. For security the portal accepts XML "
            "without a DTD only."
        )
    if refused.reason == "empty":
        return _("The file is empty.")
    if refused.line:
        return _(
            "The file is not well-formed XML (error in line %(line)s). Please upload a valid "
            "sample document of the Leistung."
        ) % {"line": refused.line}
    return _("The file is not well-formed XML. Please upload a valid sample document.")


def template_summary(text: str) -> str:
    """The stored template in words: its root element and size."""
    if not text:
        return ""
    content = text.encode()
    return _("root element %(root)s, %(size)s bytes") % {
        "root": xml_documents.root_name(content),
        "size": len(content),
    }


@transaction.atomic
def set_xml_template(leistung: Leistung, text: str, actor: Actor) -> None:
    """Store (or with "" remove) the Leistung's template; the audit names the change."""
    locked = Leistung.objects.select_for_update().get(pk=leistung.pk)
    old = template_summary(locked.xml_template)
    locked.xml_template = text
    locked.save(update_fields=["xml_template"])
    leistung.xml_template = text
    audit(
        locked.onboarding,
        actor,
        AuditEvent.Action.FIELD_CHANGED,
        f"leistung.{locked.key}.xml_template",
        old,
        template_summary(text),
        1,
    )
