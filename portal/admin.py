"""Django admin for site operators."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp_webauthn.admin import WebAuthnCredentialAdmin
from django_otp_webauthn.models import WebAuthnCredential

from portal.models import ApiToken, Invitation, Membership, Organisation, User


class MembershipInline(admin.TabularInline[Membership, Organisation]):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class UserCreationForm(AdminUserCreationForm[User]):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserEditForm(UserChangeForm[User]):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "full_name"]

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # People are deactivated, never deleted: the Protokoll names them, and the database
        # refuses to change its entries (checklist/audit_chain.py).
        return False

    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal details"), {"fields": ("full_name",)}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "password1", "password2"),
            },
        ),
    )


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "kind", "slug", "ars", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "ars"]
    prepopulated_fields = {"slug": ("name",)}
    # A coordination office's area: its regions, and authorities listed by name.
    autocomplete_fields = ["coordinated_authorities"]
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    list_display = [
        "email",
        "organisation",
        "role",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["organisation"]
    search_fields = ["email"]
    readonly_fields = ["token_hash", "created_at", "accepted_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Tokens are created on the organisation's page or with ``manage.py create_api_token``."""

    list_display = [
        "name",
        "organisation",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["organisation"]
    search_fields = ["name", "organisation__name"]
    readonly_fields = ["token_hash", "created_by", "created_at", "last_used_at", "revoked_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(WebAuthnCredential)
class PasskeyAdmin(WebAuthnCredentialAdmin):  # type: ignore[misc]
    """Passkeys of people: deleting one resets a lost passkey, as deleting a TOTP device
    resets a lost authenticator app."""

    list_display = ["user", "name", "created_at", "last_used_at"]
    search_fields = ["user__email", "user__full_name"]
