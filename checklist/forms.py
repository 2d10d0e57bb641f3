"""Forms for onboardings. They only validate; views and services decide what is saved."""

from __future__ import annotations

import ipaddress
from datetime import date
from typing import Any, cast
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from checklist.models import (
    IN_HOUSE,
    Environment,
    EnvironmentRecord,
    FitConnectEnvironment,
    Leistung,
    Onboarding,
)
from checklist.validators import (
    KNOWN_METADATA_VERSIONS,
    normalise_service_key,
    parse_ars_list,
    parse_process_standards,
    suggested_mime_type,
    validate_schema_uri,
)
from fitconnect.http import is_public_address
from portal.forms_renderer import KernFormMixin
from portal.models import Organisation, User

CONTACT_FIELDS = [
    f"{who}_{what}"
    for who in ("responsible", "technical", "organisational")
    for what in ("name", "email", "phone")
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


# What people read for the onboarding's basic data: on the form and in the Protokoll.
ONBOARDING_LABELS = {
    "name": _("Name of the Fachverfahren"),
    "responsible_name": _("Responsible person: name"),
    "responsible_email": _("Responsible person: e-mail address"),
    "responsible_phone": _("Responsible person: phone"),
    "technical_name": _("Technical contact: name"),
    "technical_email": _("Technical contact: e-mail address"),
    "technical_phone": _("Technical contact: phone"),
    "organisational_name": _("Organisational contact: name"),
    "organisational_email": _("Organisational contact: e-mail address"),
    "organisational_phone": _("Organisational contact: phone"),
}


class OnboardingForm(KernFormMixin, forms.ModelForm[Onboarding]):
    provider_choice = forms.ChoiceField(
        label=_("IT service provider"),
        required=False,
        help_text=_(
            "The service provider's staff see the onboarding and work on steps 2 to 4. "
            "Choose “in-house” if your authority does this itself."
        ),
    )

    class Meta:
        model = Onboarding
        fields = ["name", "product", *CONTACT_FIELDS, "target_go_live"]
        labels = ONBOARDING_LABELS
        help_texts = {
            "name": _("The software that receives the applications, e.g. “Gewerbe-Fachverfahren”."),
            "product": _("Product name and vendor, if the Fachverfahren is a product."),
            "technical_email": _(
                "FIT-Connect notifies this contact when submissions are not picked up."
            ),
            "target_go_live": _("Format DD.MM.YYYY."),
        }
        widgets = {
            "target_go_live": DateInput(),
            "responsible_email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "responsible_phone": forms.TextInput(attrs={"type": "tel"}),
            "technical_phone": forms.TextInput(attrs={"type": "tel"}),
            "organisational_phone": forms.TextInput(attrs={"type": "tel"}),
        }

    def __init__(self, *args: Any, can_assign_provider: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        providers = Organisation.objects.filter(kind=Organisation.Kind.PROVIDER).order_by("name")
        self.fields["provider_choice"].choices = [  # type: ignore[attr-defined]
            ("", _("Not decided yet")),
            (IN_HOUSE, _("In-house: our authority connects the Fachverfahren itself")),
            *[(str(p.pk), p.name) for p in providers],
        ]
        if self.instance.pk:
            self.initial["provider_choice"] = (
                IN_HOUSE if self.instance.in_house else str(self.instance.provider_id or "")
            )
        if not can_assign_provider:
            del self.fields["provider_choice"]
        self.fields["name"].error_messages["required"] = _(
            "Please enter the name of the Fachverfahren."
        )

    def clean_target_go_live(self) -> date | None:
        value: date | None = self.cleaned_data.get("target_go_live")
        unchanged = value == self.instance.target_go_live
        if value is not None and not unchanged and value < timezone.localdate():
            raise ValidationError(
                _("The target go-live date lies in the past. Please choose today or a later date.")
            )
        return value

    def clean_provider_choice(self) -> Organisation | str | None:
        value = self.cleaned_data.get("provider_choice") or ""
        if value in ("", IN_HOUSE):
            return value or None
        provider = Organisation.objects.filter(pk=value, kind=Organisation.Kind.PROVIDER).first()
        if provider is None:
            raise ValidationError(_("Please choose a service provider from the list."))
        return provider


# Recorded fields the Leistung form edits through a field of its own (a text to parse, or a
# choice that may be left to a suggestion), by the field's name in the form.
LEISTUNG_OWN_FIELDS = {
    "mime_type": "mime_type",
    "regions": "regions_text",
    "process_standards": "process_standards_text",
}


class LeistungForm(KernFormMixin, forms.ModelForm[Leistung]):
    key = forms.CharField(
        label=_("Leistungsschlüssel"),
        max_length=250,
        help_text=_(
            "14 digits starting with 99, e.g. 99050012104000 (Gewerbe anmelden); you can look "
            "it up in the FIM portal (fimportal.de). The URN form urn:de:fim:leika:leistung:… is "
            "accepted too; a service without a Leistungsschlüssel may be named by another unique "
            "URN for a transition period."
        ),
        error_messages={"required": _("Please enter the Leistungsschlüssel.")},
    )
    regions_text = forms.CharField(
        label=_("Regions (ARS)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Amtliche Regionalschlüssel of the area the authority is responsible for, separated "
            "by commas or line breaks, e.g. 064350014014 for a Gemeinde or 06435 for a Kreis. "
            "The forms DE064350014014 and urn:…:rs:064350014014 are accepted too."
        ),
        error_messages={
            "required": _(
                "Please enter at least one Amtlicher Regionalschlüssel (ARS), e.g. 064350014014."
            )
        },
    )
    process_standards_text = forms.CharField(
        label=_("Process standards for replies via FIT-Connect"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("XÖV URNs, one per line, e.g. urn:xoev-de:bmk:standard:xbau_2.4."),
    )
    mime_type = forms.ChoiceField(
        label=_("MIME type of the Fachdaten"),
        required=False,
        choices=[
            ("", _("Suggest from the schema (FIM: JSON, XÖV: XML)")),
            *Leistung.MimeType.choices,
        ],
    )

    # The order the page shows the fields in, so the error summary follows it too.
    field_order = [
        "key",
        "name",
        "regions_text",
        "schema_kind",
        "schema_uri",
        "mime_type",
        "reply_fitconnect",
        "process_standards_text",
        "reply_elster",
        "reply_fink",
        "reply_email",
        "email_pgp",
        "reply_bundid",
        "reply_demail",
    ]

    class Meta:
        model = Leistung
        fields = [f for f in Leistung.RECORDED_FIELDS if f not in LEISTUNG_OWN_FIELDS]
        labels = {
            "reply_fitconnect": _("FIT-Connect (two-way messages with the online service)"),
            "reply_elster": _("ELSTER"),
            "reply_fink": _("FINK"),
            "reply_email": _("E-mail"),
            "email_pgp": _("E-mail replies are PGP-encrypted"),
            "reply_bundid": _("BundID mailbox (Postfach of the BundID)"),
            "reply_demail": _("De-Mail (legacy, still accepted by the API)"),
        }
        help_texts = {
            "schema_uri": _(
                "The URI of the schema, at most 200 characters. FIM: e.g. from the FIM "
                "Sammelrepository (https://schema.fim.fitko.net/…) or "
                "https://schema.fitko.de/fim/s00000092_1.0.schema.json. XÖV: the URN, e.g. "
                "urn:xoev-de:bmk:standard:xbau_2.2#message, or the address of the XSD file."
            ),
            "reply_bundid": _(
                "Replies to the applicant's mailbox in the BundID (Zentrales Bürgerpostfach)."
            ),
        }
        widgets = {"schema_kind": forms.RadioSelect}

    def __init__(self, *args: Any, onboarding: Onboarding, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.onboarding = onboarding
        self.fields["name"].error_messages["required"] = _("Please enter the name of the service.")
        self.fields["schema_kind"].error_messages["required"] = _("Please choose FIM or XÖV.")
        # Radio buttons need no empty "select an option" entry.
        self.fields["schema_kind"].choices = Leistung.SchemaKind.choices  # type: ignore[attr-defined]
        self.fields["schema_uri"].error_messages["required"] = _("Please enter the schema URI.")
        # The model's 200-character limit must not cut the input before our message explains it.
        schema_uri = cast(forms.CharField, self.fields["schema_uri"])
        schema_uri.max_length = None
        schema_uri.validators = []
        self.fields["schema_uri"].widget.attrs.pop("maxlength", None)
        # Needed only for replies via FIT-Connect: the label says so instead of "optional".
        self.fields["process_standards_text"].requirement = _(  # type: ignore[attr-defined]
            "needed when FIT-Connect is chosen as reply channel"
        )
        # Known keys are offered while typing (datalist); the name is looked up with htmx.
        self.fields["key"].widget.attrs.update(
            {
                "list": "leika-suggestions",
                "autocomplete": "off",
                "spellcheck": "false",
                "hx-get": reverse("leika_lookup"),
                "hx-trigger": "input changed delay:300ms, change",
                "hx-target": "#leika-match",
                "hx-swap": "innerHTML",
                "hx-params": "key",
            }
        )
        if self.instance.pk:
            self.initial["key"] = self.instance.key
            self.initial["regions_text"] = "\n".join(self.instance.regions)
            self.initial["process_standards_text"] = "\n".join(self.instance.process_standards)
            self.initial["mime_type"] = self.instance.mime_type

    def clean_key(self) -> str:
        key = normalise_service_key(self.cleaned_data["key"])
        duplicate = self.onboarding.leistungen.filter(key=key).exclude(pk=self.instance.pk)
        if duplicate.exists():
            raise ValidationError(
                _("The Leistungsschlüssel %(key)s is already recorded in this onboarding."),
                params={"key": key},
                code="duplicate",
            )
        return key

    def clean_regions_text(self) -> list[str]:
        return parse_ars_list(self.cleaned_data["regions_text"])

    def clean_process_standards_text(self) -> list[str]:
        return parse_process_standards(self.cleaned_data.get("process_standards_text", ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("schema_kind")
        uri = cleaned.get("schema_uri")
        if kind and uri:
            try:
                cleaned["schema_uri"] = validate_schema_uri(kind, uri)
            except ValidationError as error:
                self.add_error("schema_uri", error)
        if kind and not cleaned.get("mime_type"):
            cleaned["mime_type"] = suggested_mime_type(kind)
        # One message per problem: a wrong process standard already has its own.
        if (
            cleaned.get("reply_fitconnect")
            and not cleaned.get("process_standards_text")
            and "process_standards_text" not in self.errors
        ):
            self.add_error(
                "process_standards_text",
                _("Replies via FIT-Connect need at least one process standard."),
            )
        if not cleaned.get("reply_fitconnect"):
            cleaned["process_standards_text"] = []
        if not cleaned.get("reply_email"):
            cleaned["email_pgp"] = False
        return cleaned

    def apply(self) -> Leistung:
        """Return the unsaved Leistung with every cleaned value set."""
        leistung = self.instance
        leistung.onboarding = self.onboarding
        leistung.key = self.cleaned_data["key"]
        leistung.mime_type = self.cleaned_data["mime_type"]
        leistung.regions = self.cleaned_data["regions_text"]
        leistung.process_standards = self.cleaned_data["process_standards_text"]
        leistung.email_pgp = self.cleaned_data["email_pgp"]
        return leistung


class MetadataVersionsForm(KernFormMixin, forms.Form):
    versions = forms.MultipleChoiceField(
        label=_("Metadata versions the Fachverfahren supports"),
        choices=[(v, v) for v in KNOWN_METADATA_VERSIONS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Every submission carries metadata in one of these schema versions. Activate all "
            "versions your Fachverfahren can read in the Zustellpunkt, too."
        ),
        error_messages={"required": _("Please choose at least one metadata version.")},
    )


class EnvironmentRecordForm(KernFormMixin, forms.ModelForm[EnvironmentRecord]):
    class Meta:
        model = EnvironmentRecord
        fields = list(EnvironmentRecord.RECORDED_FIELDS)
        help_texts = {
            "client_id": _(
                "The client ID of the Subscriber client from the Self-Service-Portal. Never enter "
                "the client secret here."
            ),
            "destination_id": _(
                "The UUID of the Zustellpunkt, e.g. 3fa85f64-5717-4562-b3fc-2c963f66afa6."
            ),
            "encryption_kid": _("The kid of the public encryption key (RSA-OAEP-256)."),
            "signature_kid": _("The kid of the public signature key (PS512)."),
            "callback_url": _(
                "Optional. Must start with https://. FIT-Connect announces new submissions there."
            ),
            "certificate_expiry": _(
                "When the certificate behind the keys expires. Not needed for the test "
                "environment, where self-generated keys are allowed."
            ),
        }
        widgets = {"certificate_expiry": DateInput()}
        error_messages = {
            "destination_id": {
                "invalid": _(
                    "A Zustellpunkt ID is a UUID like 3fa85f64-5717-4562-b3fc-2c963f66afa6."
                )
            },
            "callback_url": {
                "invalid": _("Please enter a complete address starting with https://.")
            },
        }

    def __init__(self, *args: Any, environment: FitConnectEnvironment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.environment = environment
        if environment.stage in (Environment.REFERENCE, Environment.PRODUCTION):
            self.fields["certificate_expiry"].required = True
            self.fields["certificate_expiry"].error_messages["required"] = _(
                "Please enter the expiry date of the V-PKI certificate."
            )

    def clean_callback_url(self) -> str:
        url: str = self.cleaned_data.get("callback_url", "").strip()
        if not url:
            return url
        local = self.environment.is_local
        if not url.lower().startswith("https://") and not (
            local and url.lower().startswith("http://")
        ):
            raise ValidationError(
                _("FIT-Connect only calls back over HTTPS: the address must start with https://.")
            )
        parts = urlsplit(url)
        try:
            parts.port  # noqa: B018 - raises ValueError for a port out of range
        except ValueError:
            raise ValidationError(
                _("The port after the colon must be a number from 1 to 65535."),
                code="invalid_port",
            ) from None
        if parts.port == 0 or not parts.hostname:
            raise ValidationError(
                _("Please enter a complete address starting with https://."), code="invalid"
            )
        try:
            literal = ipaddress.ip_address(parts.hostname)
        except ValueError:
            literal = None  # a host name: the check resolves it and refuses internal addresses
        if literal is not None and not local and not is_public_address(literal):
            raise ValidationError(
                _(
                    "This address is internal (%(address)s). FIT-Connect can only call publicly "
                    "reachable addresses."
                ),
                code="internal_address",
                params={"address": literal},
            )
        return url

    def _clean_kid(self, name: str) -> str:
        kid: str = self.cleaned_data.get(name, "").strip()
        if kid and (any(c.isspace() for c in kid) or not 8 <= len(kid) <= 64):
            raise ValidationError(
                _("A key ID (kid) has 8 to 64 characters and no spaces."), code="invalid_kid"
            )
        return kid

    def clean_encryption_kid(self) -> str:
        return self._clean_kid("encryption_kid")

    def clean_signature_kid(self) -> str:
        return self._clean_kid("signature_kid")


class NoteForm(KernFormMixin, forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CommentForm(KernFormMixin, forms.Form):
    text = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Please write a comment first.")},
    )
    # A name from the participants' list (datalist); "@Name" in the text works as well.
    mention = forms.CharField(required=False, max_length=254)


class HandTickForm(KernFormMixin, forms.Form):
    """Why an item a connection check proves is ticked by hand (``services.tick_item``)."""

    # The German message at the field, not the browser's bubble, also for an empty reason.
    use_required_attribute = False

    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Why does no connection check prove this item? The approver and the PDF show "
            "your reason; for the sign-off it does not replace the connection check."
        ),
        error_messages={
            "required": _(
                "Please give a reason: why is this item ticked by hand instead of by a "
                "connection check? The approver and the PDF show it."
            )
        },
    )

    def __init__(self, *args: Any, dom_id: str, **kwargs: Any) -> None:
        # One form per item on the step page: the ids name the item.
        super().__init__(*args, auto_id=f"%s-{dom_id}", **kwargs)


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {person.pk: person for person in people}
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", ""),
            *[(pk, str(person)) for pk, person in self.people.items()],
        ]

    def chosen(self) -> User | None:
        pk = self.cleaned_data.get("assignee")
        return self.people.get(pk) if pk is not None else None


class DeadlinesForm(KernFormMixin, forms.Form):
    """The due date of each step; an empty field means the date proposed from the go-live."""

    def __init__(
        self, *args: Any, stored: dict[int, date], proposed: dict[int, date], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.stored = stored
        for step in range(1, 6):
            hint = (
                _("Proposed from the go-live date: %(date)s. Leave empty to keep the proposal.")
                % {"date": proposed[step].strftime("%d.%m.%Y")}
                if step in proposed
                else _("Without a go-live date nothing is proposed.")
            )
            self.fields[f"step{step}"] = forms.DateField(
                label=_("Step %(step)d due by") % {"step": step},
                required=False,
                widget=DateInput(),
                initial=stored.get(step),
                help_text=hint,
                error_messages={"invalid": _("Please enter a date such as 31.12.2026.")},
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        today = timezone.localdate()
        for step in range(1, 6):
            value = cleaned.get(f"step{step}")
            if value is not None and value != self.stored.get(step) and value < today:
                self.add_error(
                    f"step{step}",
                    _("This date lies in the past. Please choose today or a later date."),
                )
        return cleaned

    def dates(self) -> dict[int, date | None]:
        return {step: self.cleaned_data.get(f"step{step}") for step in range(1, 6)}


class SendBackForm(KernFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Tell the service provider what is missing or wrong."),
        error_messages={
            "required": _("Please give a reason so the service provider can act on it.")
        },
    )
