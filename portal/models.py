"""Accounts and organisations: users, authorities, IT service providers, invitations."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import RelatedManager


class UserManager(BaseUserManager["User"]):
    """Create users identified by their e-mail address."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=normalise_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # Sign-in is case-insensitive on the e-mail address.
        return self.get(email=normalise_email(username or ""))


def normalise_email(email: str) -> str:
    """Return the e-mail address trimmed and in lower case."""
    return email.strip().lower()


# Fields of User that only ``F()`` updates change (never a full save of a loaded user).
COUNTER_FIELDS = ("unread_notifications",)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an e-mail address and a password."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("name"), max_length=150)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("site operator"),
        default=False,
        help_text=_("May sign in to the administration area."),
    )
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="de",
        help_text=_("Language of the e-mails the portal sends to this person."),
    )
    # How many of the person's notifications are unread, for the header of every page: the
    # user row is loaded on every request anyway (``portal.backends``), a count would be a
    # query per request. Kept by the notifications app in the transaction of each change
    # (``notifications.unread``); ``save()`` never writes it back (see COUNTER_FIELDS).
    unread_notifications = models.PositiveIntegerField(default=0, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    if TYPE_CHECKING:
        memberships: RelatedManager[Membership]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, **kwargs: Any) -> None:
        """Save; a full save of an existing user leaves the counters as they are in the row.

        Counters change with ``F()`` updates by other transactions: the copy loaded with this
        object may be stale, and writing it back would undo them.
        """
        if (
            not self._state.adding
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
        ):
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in COUNTER_FIELDS
            ]
        super().save(**kwargs)

    def clean(self) -> None:
        super().clean()
        self.email = normalise_email(self.email)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name


# An Amtlicher Regionalschlüssel or its prefix: Land (2), Regierungsbezirk (3), Kreis (5),
# Gemeindeverband (9), Gemeinde (12 digits).
ARS_PATTERN = r"^(\d{2}|\d{3}|\d{5}|\d{9}|\d{12})$"
ars_validator = RegexValidator(
    ARS_PATTERN,
    _(
        "An ARS has 2 (Land), 3 (Regierungsbezirk), 5 (Kreis), 9 (Gemeindeverband) or "
        "12 (Gemeinde) digits."
    ),
)


def validate_ars_list(value: Any) -> None:
    """Every entry of a coordination office's region list is an ARS (prefix)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(_('Please enter the regions as a list of ARS, e.g. ["06"].'))
    for entry in value:
        ars_validator(entry)


class Organisation(models.Model):
    """An authority (Behörde), an IT service provider (IT-Dienstleister) or a coordination
    office (Koordinierungsstelle) that follows the onboardings of a region read-only."""

    class Kind(models.TextChoices):
        AUTHORITY = "authority", _("Authority")
        PROVIDER = "provider", _("IT service provider")
        COORDINATION = "coordination", _("Coordination office")

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # An authority's area (Land, Kreis, Gemeinde): which coordination office reads along.
    ars = models.CharField(
        _("Amtlicher Regionalschlüssel (ARS)"),
        max_length=12,
        blank=True,
        db_index=True,
        validators=[ars_validator],
        help_text=_("Authorities only: the ARS of the area the authority is responsible for."),
    )
    # A coordination office's area: the authorities whose ARS starts with one of these, and
    # those listed in ``coordinated_authorities``.
    regions = models.JSONField(
        _("regions (ARS prefixes)"),
        default=list,
        blank=True,
        validators=[validate_ars_list],
        help_text=_(
            "Coordination offices only: the ARS of the Länder or Kreise whose authorities' "
            'onboardings the office reads, e.g. ["06"] for Hessen.'
        ),
    )
    coordinated_authorities = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="coordination_offices",
        limit_choices_to={"kind": "authority"},
        verbose_name=_("coordinated authorities"),
        help_text=_(
            "Coordination offices only: authorities it reads beyond its regions (e.g. "
            "authorities without an ARS)."
        ),
    )

    if TYPE_CHECKING:
        memberships: RelatedManager[Membership]
        invitations: RelatedManager[Invitation]
        api_tokens: RelatedManager[ApiToken]

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_authority(self) -> bool:
        return self.kind == self.Kind.AUTHORITY

    @property
    def is_coordination(self) -> bool:
        return self.kind == self.Kind.COORDINATION

    @transaction.atomic
    def invite(self, email: str, role: str, *, invited_by: User) -> tuple[Invitation, str]:
        """Invite an e-mail address and return the invitation with its plain token.

        Whether or not the address already has an account, nobody becomes a member without
        accepting: an existing user signs in and accepts, a new one sets a password. Open
        invitations to the address are withdrawn first.
        """
        email = normalise_email(email)
        self.invitations.filter(
            email=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        return Invitation.create(organisation=self, email=email, role=role, invited_by=invited_by)

    @transaction.atomic
    def invite_provider(
        self, email: str, name: str, *, invited_by: User
    ) -> tuple[PartnershipRequest, Invitation | None, str | None]:
        """Ask an IT service provider, by its contact's e-mail address, to work with us.

        Nothing is linked before the provider agrees, and the caller learns nothing about
        the address. A person with the address who belongs to a provider: that provider's
        administrators are asked (a pending request, no invitation). Otherwise a provider
        organisation called ``name`` is created and the contact invited as its
        administrator; the link comes into effect when the contact accepts. Return the
        request, and the invitation with its plain token when one was created.
        """
        email = normalise_email(email)
        found = provider_of(email)
        if found is not None:
            # Asked even when the two already work together: the page of the authority
            # shows a pending request either way, so it learns nothing about the address.
            PartnershipRequest.objects.filter(authority=self, provider=found).open().update(
                declined_at=timezone.now()
            )
            request = PartnershipRequest.create(self, found, email, invited_by)
            return request, None, None
        provider = Organisation.objects.create(
            name=unique_organisation_name(name),
            slug=unique_organisation_slug(name),
            kind=Organisation.Kind.PROVIDER,
        )
        invitation, token = provider.invite(email, Membership.Role.ADMIN, invited_by=invited_by)
        request = PartnershipRequest.create(self, provider, email, invited_by, invitation)
        return request, invitation, token

    def _locked_member(self, membership_id: int, *, stays_admin: bool) -> Membership:
        """Lock the organisation's memberships (so two administrators cannot demote or
        remove each other at once) and return the member; the one rule of the last
        administrator: raise ``LastAdministrator`` if nobody would be left to manage it.

        Raises ``Membership.DoesNotExist`` for a membership of another organisation.
        """
        members = list(
            Membership.objects.select_for_update().filter(organisation=self).select_related("user")
        )
        target = next((m for m in members if m.pk == membership_id), None)
        if target is None:
            raise Membership.DoesNotExist
        if target.is_admin and not stays_admin and sum(m.is_admin for m in members) == 1:
            raise LastAdministrator(target)
        return target

    @transaction.atomic
    def change_role(self, membership_id: int, role: str) -> Membership:
        """Give a member another role; refuse to demote the only administrator."""
        target = self._locked_member(membership_id, stays_admin=role == Membership.Role.ADMIN)
        if target.role != role:
            target.role = role
            target.save(update_fields=["role"])
        return target

    @transaction.atomic
    def remove_member(self, membership_id: int) -> Membership:
        """Remove a member; refuse to remove the only administrator."""
        target = self._locked_member(membership_id, stays_admin=False)
        target.delete()
        return target


class LastAdministrator(Exception):
    """The change would leave an organisation without an administrator."""

    def __init__(self, membership: Membership) -> None:
        super().__init__(membership.pk)
        self.membership = membership


def provider_of(email: str) -> Organisation | None:
    """Return the provider organisation an active person with this address belongs to."""
    membership = (
        Membership.objects.filter(
            user__email=normalise_email(email),
            user__is_active=True,
            organisation__kind=Organisation.Kind.PROVIDER,
        )
        .select_related("organisation")
        .order_by("organisation__name")
        .first()
    )
    return membership.organisation if membership else None


def unique_organisation_slug(name: str) -> str:
    """Return a free short name for a new organisation."""
    base = slugify(name)[:70] or "organisation"
    slug, number = base, 2
    while Organisation.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


class Partnership(models.Model):
    """An authority works with an IT service provider (invited or assigned to an onboarding)."""

    authority = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="provider_links",
        verbose_name=_("authority"),
    )
    provider = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="authority_links",
        verbose_name=_("IT service provider"),
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        ordering = ["authority__name", "provider__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "provider"], name="partnership_unique_pair"
            )
        ]

    def __str__(self) -> str:
        return f"{self.authority} – {self.provider}"


class Membership(models.Model):
    """A user's membership of an organisation, with a role."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        STAFF = "staff", _("Staff member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(_("member since"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organisation__name", "user__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="membership_unique_user_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest under which an invitation or API token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def open(self) -> InvitationQuerySet:
        """Return invitations that are neither accepted, revoked nor expired."""
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """A single-use, expiring invitation of an e-mail address into an organisation.

    Only the SHA-256 hash of the token is stored; the token itself is in the e-mail.
    """

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("organisation"),
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(
        _("role"), max_length=20, choices=Membership.Role.choices, default=Membership.Role.STAFF
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("invited at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_pending_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    @classmethod
    def create(
        cls, *, organisation: Organisation, email: str, role: str, invited_by: User
    ) -> tuple[Invitation, str]:
        """Create an invitation and return it with its plain token (shown only in the link)."""
        token = secrets.token_urlsafe(32)
        invitation = cls.objects.create(
            organisation=organisation,
            email=normalise_email(email),
            role=role,
            invited_by=invited_by,
            token_hash=hash_token(token),
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        return invitation, token

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @transaction.atomic
    def accept(self, user: User) -> bool:
        """Make the user a member with the invited role; False if no longer open."""
        locked = Invitation.objects.select_for_update().get(pk=self.pk)
        if not locked.is_open:
            return False
        Membership.objects.get_or_create(
            user=user, organisation_id=self.organisation_id, defaults={"role": self.role}
        )
        locked.accepted_at = self.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
        # A new provider's contact accepting also agrees to work with the inviting authority.
        for request in PartnershipRequest.objects.filter(invitation=self).open():
            request.answer(accept=True)
        return True

    @transaction.atomic
    def accept_as_new_user(self, full_name: str, password: str) -> User | None:
        """Create the invited person's account and accept; None if that is no longer possible."""
        locked = Invitation.objects.select_for_update().get(pk=self.pk)
        if not locked.is_open or User.objects.filter(email=self.email).exists():
            return None
        user = User.objects.create_user(self.email, password, full_name=full_name)
        locked.accept(user)
        return user

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired


class WorkerHeartbeat(models.Model):
    """When a background worker (``manage.py db_worker``) last showed that it is alive.

    One row per worker process, on whichever machine it runs; ``/healthz`` reports the
    worker as ok while any row is younger than two minutes. See ``portal.worker``.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.hostname} (pid {self.pid})"


# Defined beside, to keep this module readable; imported here so that Django finds them.
from portal.api_tokens import Actor, ApiToken, ApiTokenQuerySet  # noqa: E402
from portal.partnership_requests import PartnershipRequest, unique_organisation_name  # noqa: E402
from portal.retention_models import InactivityReminder, RetentionRun  # noqa: E402
from portal.session_models import Session  # noqa: E402

__all__ = [
    "Actor",
    "ApiToken",
    "ApiTokenQuerySet",
    "InactivityReminder",
    "PartnershipRequest",
    "RetentionRun",
    "Session",
    "unique_organisation_name",
]
