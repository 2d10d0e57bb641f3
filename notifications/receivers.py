"""Turn what happens in an onboarding (``checklist.signals``) into notifications.

Each receiver runs inside the transaction of the change and decides who is told.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.dispatch import receiver
from django.urls import reverse
from django.utils import translation

from checklist import people, signals
from checklist.catalogue import Item
from checklist.evidence_record import recorded
from checklist.models import (
    Comment,
    Environment,
    FitConnectEnvironment,
    ItemState,
    Onboarding,
    SignOff,
    VerificationRun,
)
from notifications.models import Kind
from notifications.services import notify, set_aside
from portal.models import Actor, User

EXCERPT = 300


def _signoff_url(onboarding: Onboarding, signoff: SignOff) -> str:
    step = Environment(signoff.environment).step
    return f"{reverse('step', args=[onboarding.slug, step])}#abnahme"


def _evidence(signoff: SignOff) -> list[str]:
    """The evidence lines the sign-off recorded, in the record's language (as the PDF)."""
    with translation.override(settings.LANGUAGE_CODE):
        evidence = recorded(signoff)
        return evidence.lines if evidence is not None else []


def _item_url(onboarding: Onboarding, item: Item) -> str:
    return f"{reverse('step', args=[onboarding.slug, item.step])}#item-{item.dom_id}"


@receiver(signals.signoff_declared)
def signoff_declared(
    sender: Any, onboarding: Onboarding, signoff: SignOff, actor: Actor, **kwargs: Any
) -> None:
    # Every member of the authority may approve, except the person who declared.
    notify(
        people.authority_members(onboarding),
        Kind.SIGNOFF_REQUESTED,
        onboarding=onboarding,
        actor=actor,
        url=_signoff_url(onboarding, signoff),
        params={"env": signoff.environment, "evidence": _evidence(signoff)},
    )


@receiver(signals.signoff_decided)
def signoff_decided(
    sender: Any, onboarding: Onboarding, signoff: SignOff, actor: Actor, **kwargs: Any
) -> None:
    approved = signoff.state == SignOff.State.APPROVED
    notify(
        people.participants(onboarding),
        Kind.SIGNOFF_APPROVED if approved else Kind.SIGNOFF_RETURNED,
        onboarding=onboarding,
        actor=actor,
        url=_signoff_url(onboarding, signoff),
        params={
            "env": signoff.environment,
            "reason": "" if approved else signoff.reason,
            "evidence": _evidence(signoff),
        },
    )


@receiver(signals.signoff_invalidated)
def signoff_invalidated(
    sender: Any, onboarding: Onboarding, signoff: SignOff, actor: Actor | None, **kwargs: Any
) -> None:
    notify(
        people.participants(onboarding),
        Kind.SIGNOFF_INVALIDATED,
        onboarding=onboarding,
        actor=actor,
        url=_signoff_url(onboarding, signoff),
        params={"env": signoff.environment},
    )


@receiver(signals.item_assigned)
def item_assigned(
    sender: Any,
    onboarding: Onboarding,
    item: Item,
    state: ItemState,
    assignee: User,
    actor: Actor,
    **kwargs: Any,
) -> None:
    notify(
        [assignee],
        Kind.ASSIGNED,
        onboarding=onboarding,
        actor=actor,
        url=_item_url(onboarding, item),
        params={"item": item.key, "step": item.step},
    )


@receiver(signals.comment_added)
def comment_added(
    sender: Any,
    onboarding: Onboarding,
    item: Item,
    state: ItemState,
    comment: Comment,
    mentioned: list[User],
    actor: Actor,
    **kwargs: Any,
) -> None:
    params = {"item": item.key, "step": item.step, "excerpt": comment.text[:EXCERPT]}
    url = _item_url(onboarding, item)
    notify(mentioned, Kind.MENTIONED, onboarding=onboarding, actor=actor, url=url, params=params)
    assignee = state.assignee
    if assignee is not None and all(person.pk != assignee.pk for person in mentioned):
        notify(
            [assignee], Kind.COMMENTED, onboarding=onboarding, actor=actor, url=url, params=params
        )


@receiver(signals.verification_failed)
def verification_failed(
    sender: Any, onboarding: Onboarding, run: VerificationRun, actor: Actor | None, **kwargs: Any
) -> None:
    notify(
        people.provider_side(onboarding),
        Kind.VERIFICATION_FAILED,
        onboarding=onboarding,
        actor=actor,
        url=reverse("verify_run", args=[onboarding.slug, run.pk]),
        params={"env": run.environment},
    )


@receiver(signals.environment_hosts_changed)
def environment_hosts_changed(
    sender: Any,
    onboardings: list[Onboarding],
    environment: FitConnectEnvironment,
    old: dict[str, str],
    new: dict[str, str],
    actor: User | None,
    **kwargs: Any,
) -> None:
    # Everyone of the organisations whose stored secrets wait for a confirmation.
    changes = [
        [name, old.get(name, ""), new.get(name, "")]
        for name in sorted({*old, *new})
        if old.get(name, "") != new.get(name, "")
    ]
    for onboarding in onboardings:
        notify(
            people.participants(onboarding),
            Kind.HOSTS_CHANGED,
            onboarding=onboarding,
            actor=actor,
            url=f"{reverse('step', args=[onboarding.slug, environment.step])}#verbindung",
            params={"env": environment.key, "changes": changes},
        )


@receiver(signals.participants_left)
def participants_left(
    sender: Any, onboardings: Any, users: list[int] | None, **kwargs: Any
) -> None:
    # What they were told about these onboardings is no longer shown, counted or sent.
    set_aside(onboardings, users)


@receiver(signals.reminder_sent)
def reminder_sent(
    sender: Any, onboarding: Onboarding, side: str, message: str, actor: Actor, **kwargs: Any
) -> None:
    # The side that holds the onboarding; each person's preference for reminders applies.
    step = onboarding.current_step or 1
    notify(
        people.responsible_for(onboarding, side),
        Kind.REMINDER,
        onboarding=onboarding,
        actor=actor,
        url=f"{reverse('step', args=[onboarding.slug, step])}#checkliste",
        params={"step": step, "message": message},
    )
