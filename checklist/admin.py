"""Django admin for site operators: FIT-Connect environments, V-PKI certificates, records."""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from checklist import secret_hosts
from checklist.models import (
    FitConnectEnvironment,
    Onboarding,
    StoredSecret,
    TrustedCertificate,
    VerificationRun,
)
from fitconnect import pki
from fitconnect.environments import BY_KEY
from portal.models import User


@admin.register(FitConnectEnvironment)
class FitConnectEnvironmentAdmin(admin.ModelAdmin[FitConnectEnvironment]):
    list_display = [
        "key",
        "label",
        "stage",
        "allow_private_addresses",
        "token_url",
        "submission_base",
        "api_version",
        "routing_base",
        "evidence_max_age_days",
        "hand_evidence_allowed",
    ]
    fields = [
        "key",
        "name",
        "stage",
        "position",
        "allow_private_addresses",
        "token_url",
        "submission_base",
        "api_version",
        "routing_base",
        "routing_prefix",
        "ssp_jwks_url",
        "self_signed_allowed",
        "test_submission_allowed",
        "evidence_max_age_days",
        "hand_evidence_allowed",
        "hand_evidence_reason",
        "conformance_timeout_s",
        "sources",
        "notes",
    ]
    readonly_fields = ["sources"]

    def save_model(
        self, request: HttpRequest, obj: FitConnectEnvironment, form: Any, change: bool
    ) -> None:
        """Save; a change of the token, submission or routing host keeps the environment's
        stored secrets back until their owners confirm it, and tells them who made it."""
        old = FitConnectEnvironment.objects.filter(pk=obj.pk).first() if change and obj.pk else None
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if old is not None and old.key == obj.key:
                user = request.user if isinstance(request.user, User) else None
                secret_hosts.record_host_change(obj, old.secret_hosts, user)

    @admin.display(description=_("FITKO's values and their sources"))
    def sources(self, environment: FitConnectEnvironment) -> SafeString | str:
        """List what FITKO's (or only third-party) sources say for this stage's own row."""
        fitko = BY_KEY.get(environment.key)
        if fitko is None:
            return gettext("A stand-in of a FITKO stage: no FITKO source applies.")
        return format_html_join(
            "",
            "<p>{}: <code>{}</code> – {} ({})</p>",
            (
                (
                    getattr(FitConnectEnvironment._meta.get_field(name), "verbose_name", name),
                    value.value,
                    gettext("official")
                    if value.status == "official"
                    else gettext("only third-party SDKs attest it"),
                    value.source,
                )
                for name, value in fitko.sources()
            ),
        )


class TrustedCertificateForm(forms.ModelForm[TrustedCertificate]):
    upload = forms.FileField(
        label=_("or upload a file"),
        required=False,
        help_text=_("A certificate file (.pem, .crt or .cer; PEM or DER)."),
    )

    class Meta:
        model = TrustedCertificate
        fields = ["kind", "pem", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pem"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("upload")
        raw = upload.read(1024 * 1024) if upload else (data.get("pem") or "").encode()
        certificate = _one_certificate(raw)
        if certificate is None:
            raise forms.ValidationError(
                _("Please paste or upload exactly one certificate (PEM or DER).")
            )
        try:
            constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
            is_ca = constraints.value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if not is_ca:
            raise forms.ValidationError(
                _(
                    "This is not a certificate of a certification authority (CA); only V-PKI "
                    "root and intermediate certificates belong here."
                )
            )
        fingerprint = pki.fingerprint(certificate)
        duplicate = TrustedCertificate.objects.filter(fingerprint=fingerprint)
        if self.instance.pk:
            duplicate = duplicate.exclude(pk=self.instance.pk)
        if duplicate.exists():
            raise forms.ValidationError(_("This certificate is already set up."))
        self.instance.pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
        self.instance.name = pki.certificate_name(certificate)[:300]
        self.instance.fingerprint = fingerprint
        self.instance.not_after = certificate.not_valid_after_utc
        data["pem"] = self.instance.pem
        return data


def _one_certificate(raw: bytes) -> x509.Certificate | None:
    try:
        found = x509.load_pem_x509_certificates(raw)
    except ValueError:
        try:
            found = [x509.load_der_x509_certificate(raw)]
        except ValueError:
            return None
    return found[0] if len(found) == 1 else None


@admin.register(TrustedCertificate)
class TrustedCertificateAdmin(admin.ModelAdmin[TrustedCertificate]):
    """V-PKI trust anchors and intermediates: the key checks of reference and production."""

    form = TrustedCertificateForm
    list_display = ["name", "kind", "not_after", "fingerprint", "uploaded_at"]
    list_filter = ["kind"]
    fields = ["kind", "pem", "upload", "note", "name", "fingerprint", "not_after"]
    readonly_fields = ["name", "fingerprint", "not_after"]


@admin.register(Onboarding)
class OnboardingAdmin(admin.ModelAdmin[Onboarding]):
    list_display = ["name", "authority", "provider", "in_house", "catalogue_version", "created_at"]
    list_filter = ["authority", "provider"]
    search_fields = ["name", "slug"]
    readonly_fields = ["catalogue_version", "created_by", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Onboardings start in the portal, where their checklist and audit trail begin.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Onboarding | None = None) -> bool:
        # Its Protokoll would go with it, which the database refuses (checklist.audit_chain).
        return False


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VerificationRun)
class VerificationRunAdmin(ReadOnlyAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Protokoll entries name runs; they are never changed (checklist.audit_chain).
        return False

    list_display = [
        "onboarding",
        "environment",
        "status",
        "rehearsal",
        "api_version",
        "started_by",
        "started_at",
    ]
    list_filter = ["environment", "status", "rehearsal"]


@admin.register(StoredSecret)
class StoredSecretAdmin(ReadOnlyAdmin):
    """Shows that a secret is stored, never its value (not even encrypted)."""

    list_display = ["onboarding", "environment", "kind", "client_id", "updated_by", "updated_at"]
    fields = ("onboarding", "environment", "kind", "client_id", "updated_by", "updated_at")
    readonly_fields = fields
