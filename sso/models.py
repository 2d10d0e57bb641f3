"""Identity providers that site operators configure, and what single sign-on remembers.

One Land's identity provider may serve many authorities (one ``ClaimMapping`` row per group
value), an organisation uses at most one provider (``OrganisationSso``). The client secret
is stored encrypted like the FIT-Connect client secrets (``checklist.secrets``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from checklist import secrets
from portal.models import Membership, Organisation

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _words(value: str) -> list[str]:
    return [part for part in value.replace(",", " ").split() if part]


class IdentityProvider(models.Model):
    """An OpenID Connect provider staff sign in with ("Mit Dienstkonto anmelden")."""

    name = models.CharField(
        _("name"), max_length=120, help_text=_("Shown on the button, e.g. Dienstkonto Hessen.")
    )
    issuer = models.URLField(
        _("issuer"),
        unique=True,
        help_text=_("Exactly as the provider's discovery document names it."),
    )
    client_id = models.CharField(_("client ID"), max_length=200)
    client_secret_encrypted = models.TextField(_("client secret (encrypted)"), editable=False)
    scopes = models.CharField(_("scopes"), max_length=200, default="openid email profile")
    organisation_claim = models.CharField(
        _("claim naming organisations and roles"),
        max_length=100,
        default="groups",
        help_text=_("Its values become memberships through the mappings below."),
    )
    email_domains = models.CharField(
        _("allowed e-mail domains"),
        max_length=500,
        blank=True,
        help_text=_("Separated by spaces; empty: any domain."),
    )
    strong_amr = models.CharField(
        _("amr values counting as two-factor sign-in"),
        max_length=200,
        blank=True,
        help_text=_("Separated by spaces, e.g. otp hwk mfa."),
    )
    strong_acr = models.CharField(
        _("acr values counting as two-factor sign-in"), max_length=300, blank=True
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.issuer = self.issuer.rstrip("/")
        parts = urlsplit(self.issuer)
        if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
            raise ValidationError(
                {"issuer": _("The issuer must start with https:// (plain http only locally).")}
            )

    def set_client_secret(self, plain: str) -> None:
        self.client_secret_encrypted = secrets.encrypt(plain)

    def client_secret(self) -> str | None:
        return secrets.decrypt(self.client_secret_encrypted) if self.client_secret_encrypted else ""

    def allowed_domains(self) -> set[str]:
        return {domain.lower().lstrip("@") for domain in _words(self.email_domains)}

    def strong_amr_values(self) -> set[str]:
        return set(_words(self.strong_amr))

    def strong_acr_values(self) -> set[str]:
        return set(_words(self.strong_acr))


class ClaimMapping(models.Model):
    """A claim value (a group) that makes its bearer a member of an organisation."""

    provider = models.ForeignKey(
        IdentityProvider, on_delete=models.CASCADE, related_name="mappings"
    )
    value = models.CharField(_("claim value"), max_length=200)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, verbose_name=_("organisation")
    )
    role = models.CharField(
        _("role"), max_length=20, choices=Membership.Role.choices, default=Membership.Role.STAFF
    )

    class Meta:
        verbose_name = _("claim mapping")
        verbose_name_plural = _("claim mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "value", "organisation"], name="sso_mapping_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.value} → {self.organisation}"


class OrganisationSso(models.Model):
    """The one identity provider an organisation uses, and whether its staff must use it."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="sso", verbose_name=_("organisation")
    )
    provider = models.ForeignKey(
        IdentityProvider, on_delete=models.CASCADE, verbose_name=_("identity provider")
    )
    required = models.BooleanField(
        _("single sign-on required"),
        default=False,
        help_text=_("Members then cannot sign in with a password."),
    )

    class Meta:
        verbose_name = _("organisation's single sign-on")
        verbose_name_plural = _("organisations' single sign-on")

    def __str__(self) -> str:
        return f"{self.organisation} – {self.provider}"


class ExternalIdentity(models.Model):
    """A portal account linked to a person at an identity provider (its ``sub``)."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE)
    subject = models.CharField(_("subject (sub)"), max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    linked_at = models.DateTimeField(_("linked"), auto_now_add=True)
    last_sign_in = models.DateTimeField(_("last sign-in"), null=True, blank=True)
    note = models.TextField(
        _("note for the operator"),
        blank=True,
        help_text=_("What the last sign-in could not change, and why."),
    )

    class Meta:
        verbose_name = _("linked identity")
        verbose_name_plural = _("linked identities")
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="sso_identity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.provider})"


class SsoSession(models.Model):
    """Which portal session an identity provider's session (``sid``, ``sub``) started, so
    that a back-channel logout ends exactly those sessions on every app server."""

    session_key = models.CharField(max_length=40, unique=True)
    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE)
    sid = models.CharField(max_length=255, blank=True, db_index=True)
    subject = models.CharField(max_length=255, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.provider_id}: {self.subject}"


class UsedLogoutToken(models.Model):
    """The ``jti`` of every logout token accepted: a token is honoured once only."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE)
    jti = models.CharField(max_length=255)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "jti"], name="sso_logout_jti_once")
        ]

    def __str__(self) -> str:
        return self.jti


class SsoEvent(models.Model):
    """The audit trail of single sign-on: accounts created, linked, memberships changed."""

    class Action(models.TextChoices):
        ACCOUNT_CREATED = "account_created", _("Account created")
        ACCOUNT_LINKED = "account_linked", _("Account linked")
        MEMBERSHIP_ADDED = "membership_added", _("Membership added")
        ROLE_CHANGED = "role_changed", _("Role changed")
        MEMBERSHIP_REMOVED = "membership_removed", _("Membership removed")
        LAST_ADMIN_KEPT = "last_admin_kept", _("Last administrator kept")

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, null=True)
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("single sign-on event")
        verbose_name_plural = _("single sign-on events")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.user_id}"


class IdentityProviderDevice(Device):  # type: ignore[misc]
    """The second factor an identity provider asserted (``amr``/``acr`` the operator lists):
    a django-otp device, so that ``is_verified()`` holds for that session only. It never
    accepts a code; it is only ever passed to ``django_otp.login`` after such a sign-in."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return str(self.name)

    def verify_token(self, token: object) -> bool:
        return False
