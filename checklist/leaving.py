"""When who takes part in an onboarding changes: a provider is linked, people leave.

An onboarding's provider is linked to its authority (a ``Partnership``) once chosen.

A person takes part while they are a member of the onboarding's authority or of its
provider (``access.takes_part``). They stop when their membership is removed (however:
by an administrator of the organisation, in the administration, with the organisation)
or when the authority gives the onboarding another provider. In the transaction of that
change their assignments end, with one audit entry per onboarding and person, and
``signals.participants_left`` tells whoever keeps something for them (the notifications).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete
from django.dispatch import receiver

from checklist import signals
from checklist.access import takes_part
from checklist.audit import ASSIGNMENT_ENDED, audit
from checklist.models import AuditEvent, ItemState, Onboarding
from portal.models import Actor, Membership, Partnership

Onboardings = QuerySet[Onboarding] | Iterable[int]


def end_participation(
    onboardings: Onboardings, users: Iterable[int] | None, actor: Actor | None
) -> int:
    """End the assignments of those of ``users`` (None: of anybody) who no longer take part
    in the onboardings; return how many items lost their assignee."""
    onboarding_ids: Any = (
        onboardings.values("pk") if isinstance(onboardings, QuerySet) else list(onboardings)
    )
    user_ids = None if users is None else list(users)
    stale = ItemState.objects.filter(onboarding_id__in=onboarding_ids, assignee__isnull=False)
    if user_ids is not None:
        stale = stale.filter(assignee_id__in=user_ids)
    rows = list(
        stale.filter(~takes_part("assignee_id", "onboarding"))
        .select_related("onboarding", "assignee")
        .order_by("onboarding_id", "assignee_id", "key")
    )
    if rows:
        ItemState.objects.filter(pk__in=[row.pk for row in rows]).update(assignee=None)
        ended = {(row.onboarding_id, row.assignee_id): row for row in rows}
        for row in ended.values():
            audit(
                row.onboarding,
                actor,
                AuditEvent.Action.ITEM_ASSIGNED,
                ASSIGNMENT_ENDED,
                str(row.assignee),
                "",
            )
    signals.participants_left.send(Onboarding, onboardings=onboarding_ids, users=user_ids)
    return len(rows)


def link_provider(onboarding: Onboarding) -> None:
    """Record that the onboarding's authority works with its provider."""
    if onboarding.provider_id is not None:
        Partnership.objects.get_or_create(
            authority_id=onboarding.authority_id, provider_id=onboarding.provider_id
        )


def provider_changed(onboarding: Onboarding, actor: Actor | None) -> None:
    """The authority chose another provider (or none): the new one is linked, and the
    former provider's people no longer take part, so their assignments end."""
    link_provider(onboarding)
    end_participation([onboarding.pk], None, actor)


@receiver(post_delete, sender=Membership)
def membership_removed(sender: Any, instance: Membership, **kwargs: Any) -> None:
    """A person left an organisation: they leave its onboardings (unless they are a member
    of the other side too)."""
    organisation = instance.organisation_id
    onboardings = Onboarding.objects.filter(
        Q(authority_id=organisation) | Q(provider_id=organisation)
    )
    end_participation(onboardings, [instance.user_id], None)
