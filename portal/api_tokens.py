"""API tokens of organisations (``/api/v1/``) and who changes an onboarding (``Actor``)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal import raw_rows
from portal.models import Organisation, User, hash_token


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        """Return tokens that are neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """An organisation's key to the API (``/api/v1/``), for its build and deployment pipelines.

    Only the SHA-256 hash of the token is stored; the token itself is shown once, when it is
    created. A token acts for its organisation as a staff member would, limited to its scopes.
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read onboardings, checklist items and check results")
        ITEMS_WRITE = "items:write", _("Tick and untick items, write notes and comments")
        CHECKS_RUN = "checks:run", _("Start connection checks")
        PDF_READ = "pdf:read", _("Download the checklist record as PDF")

    PREFIX = "fcap_"
    VALID_DAYS_CHOICES = (30, 90, 180, 365)
    # Writing the last-used time on every request would make each read a write.
    TOUCH_INTERVAL = timedelta(minutes=1)

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("permissions"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                condition=Q(revoked_at__isnull=True),
                name="api_token_unique_name_while_not_revoked",
            )
        ]

    def __str__(self) -> str:
        return gettext("API token %(name)s (%(organisation)s)") % {
            "name": self.name,
            "organisation": self.organisation.name,
        }

    @classmethod
    def create(
        cls,
        *,
        organisation: Organisation,
        name: str,
        scopes: list[str],
        valid_days: int,
        created_by: User | None,
    ) -> tuple[ApiToken, str]:
        """Create a token and return it with its plain value (shown once, never stored)."""
        plain = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            organisation=organisation,
            name=name.strip(),
            scopes=[scope for scope in cls.Scope.values if scope in scopes],
            token_hash=hash_token(plain),
            expires_at=timezone.now() + timedelta(days=valid_days),
            created_by=created_by,
        )
        return token, plain

    @classmethod
    def find(cls, plain: str) -> ApiToken | None:
        """Return the active token with this plain value, organisation loaded, or None.

        Asked by every API request: one statement, written out (``portal.raw_rows``)."""
        if not plain.startswith(cls.PREFIX):
            return None
        row = raw_rows.fetch_one(
            f"SELECT {raw_rows.columns(cls, 't')}, {raw_rows.columns(Organisation, 'o')} "  # noqa: S608
            f"FROM {cls._meta.db_table} t "
            f"INNER JOIN {Organisation._meta.db_table} o ON o.id = t.organisation_id "
            "WHERE t.token_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s",
            [hash_token(plain), connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        if row is None:
            return None
        token, next_column = raw_rows.leading(cls, row)
        organisation, _end = raw_rows.instance(Organisation, row, next_column)
        raw_rows.relate(token, "organisation", organisation)
        return token

    def revoke(self, by: User | None) -> bool:
        """Revoke the token at once; False if it was already revoked."""
        now = timezone.now()
        changed = ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=by
        )
        if changed:
            self.revoked_at, self.revoked_by = now, by
        return bool(changed)

    def touch(self) -> None:
        """Record that the token was used (at most once a minute)."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= self.TOUCH_INTERVAL:
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def scope_labels(self) -> list[str]:
        labels = dict(self.Scope.choices)
        return [str(labels[scope]) for scope in self.Scope.values if scope in self.scopes]


# Who changes an onboarding: a signed-in person or an organisation's API token.
type Actor = User | ApiToken
