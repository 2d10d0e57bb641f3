"""Who reads along: coordination offices and site operators.

A coordination office (``Organisation.Kind.COORDINATION``) reads every onboarding of the
authorities of its area: those whose ARS starts with one of the office's regions, and those
listed by name (``coordinated_authorities``, e.g. an authority without an ARS). A site
operator reads every onboarding. Readers open the same pages as everybody else; the rules
(``checklist.rules``) let them comment and remind, nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from checklist.models import Onboarding
from portal.models import Membership, Organisation, User


def is_operator(user: Any) -> bool:
    """A site operator reads every onboarding (never through the admin)."""
    return bool(user.is_active and (user.is_staff or user.is_superuser))


def authorities_q(office: Organisation, prefix: str = "") -> Q:
    """SQL: the authorities of the office's area (``prefix`` is the path to an authority,
    ``"authority__"`` from an onboarding). Nothing for an office without an area."""
    condition = Q(pk__in=[]) if not prefix else Q(**{f"{prefix}pk__in": []})
    for region in office.regions or []:
        condition |= Q(**{f"{prefix}kind": Organisation.Kind.AUTHORITY}) & Q(
            **{f"{prefix}ars__startswith": region}
        )
    listed = Organisation.coordinated_authorities.through.objects.filter(
        from_organisation_id=office.pk
    ).values("to_organisation_id")
    return condition | Q(**{f"{prefix}pk__in": listed})


def offices(memberships: Iterable[Membership], user: User) -> list[Organisation]:
    """The coordination offices among the person's memberships."""
    return [
        m.organisation
        for m in memberships
        if m.user_id == user.pk and m.organisation.kind == Organisation.Kind.COORDINATION
    ]


def readable(user: User, memberships: list[Membership]) -> QuerySet[Onboarding]:
    """Every onboarding the person reads as operator or through a coordination office."""
    if is_operator(user):
        return Onboarding.objects.all()
    condition = Q(pk__in=[])
    for office in offices(memberships, user):
        condition |= authorities_q(office, "authority__")
    return Onboarding.objects.filter(condition)


def reads(user: User, memberships: list[Membership], onboarding: Onboarding) -> bool:
    """Whether the person reads the onboarding along (one query for an office member)."""
    if not user.is_active:
        return False
    if is_operator(user):
        return True
    coordinating = offices(memberships, user)
    if not coordinating:
        return False
    condition = Q(pk__in=[])
    for office in coordinating:
        condition |= authorities_q(office)
    return Organisation.objects.filter(condition, pk=onboarding.authority_id).exists()
