"""Forms of the connection check, the key tool and the JWK validator. They only validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fitconnect import crypto
from portal.forms_renderer import KernFormMixin


class VerifyForm(KernFormMixin, forms.Form):
    """Secrets for one connection check. They are used once or stored encrypted."""

    ONCE = "once"
    STORE = "store"

    subscriber_secret = forms.CharField(
        label=_("Client secret of the Subscriber client"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    sender_id = forms.CharField(
        label=_("Client ID of a Sender client (for the test submission)"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    sender_secret = forms.CharField(
        label=_("Client secret of the Sender client"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    callback_secret = forms.CharField(
        label=_("Callback secret"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    handling = forms.ChoiceField(
        label=_("What should happen with the secrets you enter?"),
        choices=[
            (ONCE, _("Use only for this check (not stored)")),
            (STORE, _("Store encrypted for later checks")),
        ],
        initial=ONCE,
        widget=forms.RadioSelect,
    )

    def __init__(
        self,
        *args: Any,
        stored: set[str],
        production: bool,
        withheld: set[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.stored = stored
        self.withheld = withheld or set()
        if production:
            for name in ("sender_id", "sender_secret", "callback_secret"):
                del self.fields[name]
        for kind in stored:
            field = self.fields.get(f"{kind}_secret")
            if field is not None:
                field.help_text = _("A stored secret exists; leave empty to use it.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("subscriber_secret") and "subscriber" in self.withheld:
            self.add_error(
                "subscriber_secret",
                _(
                    "The addresses of the environment have changed; the stored secret is used "
                    "again only after your confirmation. Please confirm the new addresses or "
                    "enter the secret for this check."
                ),
            )
        elif not cleaned.get("subscriber_secret") and "subscriber" not in self.stored:
            self.add_error(
                "subscriber_secret",
                _(
                    "Please enter the client secret of the Subscriber client from the "
                    "Self-Service-Portal."
                ),
            )
        if cleaned.get("sender_secret") and not (
            cleaned.get("sender_id") or "sender" in self.stored
        ):
            self.add_error("sender_id", _("Please enter the client ID that belongs to the secret."))
        return cleaned


class JwkValidatorForm(KernFormMixin, forms.Form):
    jwk = forms.CharField(
        label=_("Public JWK (JSON)"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_("Paste one public key as JSON, e.g. from the Self-Service-Portal."),
        error_messages={"required": _("Please paste a JWK.")},
    )
    purpose = forms.ChoiceField(
        label=_("Purpose of the key"),
        choices=[
            ("encryption", _("Encryption (RSA-OAEP-256)")),
            ("signature", _("Signature (PS512)")),
        ],
        widget=forms.RadioSelect,
        initial="encryption",
    )
    self_signed_allowed = forms.BooleanField(
        label=_("Self-signed certificate allowed (test environment)"), required=False, initial=True
    )

    def clean_jwk(self) -> dict[str, Any]:
        try:
            data = crypto.load_jwk_text(self.cleaned_data["jwk"])
        except crypto.CryptoError as error:
            raise ValidationError(str(error)) from None
        if "d" in data or "p" in data:
            raise ValidationError(
                _("This is a private key. Never share it: paste only the public key.")
            )
        return data


class KeyToolForm(KernFormMixin, forms.Form):
    common_name = forms.CharField(
        label=_("Name in the certificates"),
        max_length=64,
        initial="Fachverfahren Testumgebung",
        help_text=_("For example the name of the Fachverfahren and the authority."),
    )
