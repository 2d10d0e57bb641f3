"""Django admin for site operators: FIT-Connect environments and read-only records."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from checklist.models import FitConnectEnvironment, Onboarding, StoredSecret, VerificationRun


@admin.register(FitConnectEnvironment)
class FitConnectEnvironmentAdmin(admin.ModelAdmin[FitConnectEnvironment]):
    list_display = [
        "key",
        "label",
        "stage",
        "allow_private_addresses",
        "token_url",
        "submission_base",
        "routing_base",
    ]
    fields = [
        "key",
        "name",
        "stage",
        "position",
        "allow_private_addresses",
        "token_url",
        "submission_base",
        "api_prefix",
        "routing_base",
        "routing_prefix",
        "ssp_jwks_url",
        "self_signed_allowed",
        "test_submission_allowed",
        "notes",
    ]


@admin.register(Onboarding)
class OnboardingAdmin(admin.ModelAdmin[Onboarding]):
    list_display = ["name", "authority", "provider", "in_house", "catalogue_version", "created_at"]
    list_filter = ["authority", "provider"]
    search_fields = ["name", "slug"]
    readonly_fields = ["catalogue_version", "created_by", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Onboardings start in the portal, where their checklist and audit trail begin.
        return False


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VerificationRun)
class VerificationRunAdmin(ReadOnlyAdmin):
    list_display = ["onboarding", "environment", "status", "started_by", "started_at"]
    list_filter = ["environment", "status"]


@admin.register(StoredSecret)
class StoredSecretAdmin(ReadOnlyAdmin):
    """Shows that a secret is stored, never its value (not even encrypted)."""

    list_display = ["onboarding", "environment", "kind", "client_id", "updated_by", "updated_at"]
    fields = ("onboarding", "environment", "kind", "client_id", "updated_by", "updated_at")
    readonly_fields = fields
