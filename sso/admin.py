"""Identity providers for site operators: the client secret is entered, never shown."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from sso.models import (
    ClaimMapping,
    ExternalIdentity,
    IdentityProvider,
    OrganisationSso,
    SsoEvent,
)


class IdentityProviderForm(forms.ModelForm[IdentityProvider]):
    client_secret = forms.CharField(
        label=_("client secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted. Leave empty to keep the stored one."),
    )

    class Meta:
        model = IdentityProvider
        fields = [
            "name",
            "issuer",
            "client_id",
            "scopes",
            "organisation_claim",
            "email_domains",
            "strong_amr",
            "strong_acr",
            "enabled",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.instance.client_secret_encrypted and not cleaned.get("client_secret"):
            self.add_error("client_secret", _("Please enter the client secret."))
        return cleaned

    def save(self, commit: bool = True) -> IdentityProvider:
        provider = super().save(commit=False)
        if self.cleaned_data.get("client_secret"):
            provider.set_client_secret(self.cleaned_data["client_secret"])
        if commit:
            provider.save()
        return provider


class ClaimMappingInline(admin.TabularInline[ClaimMapping, IdentityProvider]):
    model = ClaimMapping
    extra = 1
    autocomplete_fields = ["organisation"]


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin[IdentityProvider]):
    form = IdentityProviderForm
    list_display = ["name", "issuer", "client_id", "enabled"]
    inlines = [ClaimMappingInline]


@admin.register(OrganisationSso)
class OrganisationSsoAdmin(admin.ModelAdmin[OrganisationSso]):
    list_display = ["organisation", "provider", "required"]
    autocomplete_fields = ["organisation"]


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin[ExternalIdentity]):
    list_display = ["user", "provider", "last_sign_in", "note"]
    readonly_fields = ["last_sign_in", "note", "linked_at"]
    autocomplete_fields = ["user"]


@admin.register(SsoEvent)
class SsoEventAdmin(admin.ModelAdmin[SsoEvent]):
    list_display = ["at", "user", "organisation", "action", "detail", "provider"]
    list_filter = ["action", "provider"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
