"""Requests of authorities to work with an IT service provider, which the provider answers.

An authority names its provider by a contact's e-mail address (``Organisation.
invite_provider``); nothing is linked before the provider agrees, so the authority learns
nothing about the address.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Invitation, Organisation, Partnership, User


class PartnershipRequestQuerySet(models.QuerySet["PartnershipRequest"]):
    def open(self) -> PartnershipRequestQuerySet:
        """Return requests that are neither accepted, declined nor expired."""
        return self.filter(
            accepted_at__isnull=True, declined_at__isnull=True, expires_at__gt=timezone.now()
        )


class PartnershipRequest(models.Model):
    """An authority asked an IT service provider to work with it; the link waits for a yes.

    An administrator of the provider accepts (or declines) in the portal; a new provider's
    invited contact accepts with the invitation.
    """

    authority = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="provider_requests",
        verbose_name=_("authority"),
    )
    provider = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="authority_requests",
        verbose_name=_("IT service provider"),
    )
    email = models.EmailField(_("e-mail address"))
    invitation = models.ForeignKey(
        Invitation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="partnership_requests",
    )
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
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)

    objects = PartnershipRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("partnership request")
        verbose_name_plural = _("partnership requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.authority} → {self.provider}"

    @classmethod
    def create(
        cls,
        authority: Organisation,
        provider: Organisation,
        email: str,
        invited_by: User,
        invitation: Invitation | None = None,
    ) -> PartnershipRequest:
        return cls.objects.create(
            authority=authority,
            provider=provider,
            email=email,
            invitation=invitation,
            invited_by=invited_by,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
        )

    @transaction.atomic
    def answer(self, accept: bool) -> bool:
        """Link the provider to the authority (or not); False if no longer open."""
        locked = PartnershipRequest.objects.select_for_update().filter(pk=self.pk).open().first()
        if locked is None:
            return False
        now = timezone.now()
        if accept:
            Partnership.objects.get_or_create(
                authority_id=self.authority_id, provider_id=self.provider_id
            )
            locked.accepted_at = self.accepted_at = now
        else:
            locked.declined_at = self.declined_at = now
        locked.save(update_fields=["accepted_at", "declined_at"])
        return True


def unique_organisation_name(name: str) -> str:
    """Return ``name``, or with a number when an organisation is called so already."""
    base = name.strip()[:190]
    candidate, number = base, 2
    while Organisation.objects.filter(name__iexact=candidate).exists():
        candidate, number = f"{base} ({number})", number + 1
    return candidate
