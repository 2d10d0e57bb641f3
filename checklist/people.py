"""Who takes part in an onboarding: the people of each side, assignees and @mentions."""

from __future__ import annotations

import re
from typing import Any

from checklist.catalogue import Item
from checklist.models import Onboarding
from portal import raw_rows
from portal.models import Membership, User


def participants(onboarding: Onboarding) -> list[User]:
    """Return the active members of the onboarding's authority and provider, by name."""
    return list(
        User.objects.filter(
            is_active=True, memberships__organisation_id__in=organisations(onboarding)
        ).distinct()
    )


def authority_members(onboarding: Onboarding) -> list[User]:
    return list(
        User.objects.filter(is_active=True, memberships__organisation_id=onboarding.authority_id)
    )


def provider_side(onboarding: Onboarding) -> list[User]:
    """Return who does the provider's work: its members, or the authority's when in-house."""
    if onboarding.provider_id is None:
        return authority_members(onboarding) if onboarding.in_house else []
    return list(
        User.objects.filter(is_active=True, memberships__organisation_id=onboarding.provider_id)
    )


type Sides = tuple[list[User], list[User]]


def organisations(onboarding: Onboarding) -> list[int]:
    """The organisations whose members take part: the authority and the provider, if any."""
    found = [onboarding.authority_id]
    if onboarding.provider_id is not None:
        found.append(onboarding.provider_id)
    return found


def members_of(organisations: list[int], alias: str) -> tuple[str, list[Any], str]:
    """The active members of the organisations as a table ``alias`` to select from or join
    (its columns: ``side``, the organisation, and the person's), its parameters, and the
    order ``sides`` gives them (by name)."""
    placeholders = ", ".join(["%s"] * len(organisations))
    table = (
        f"(SELECT m.organisation_id AS side, u.* FROM {raw_rows.table(Membership)} m "  # noqa: S608
        f"INNER JOIN {raw_rows.table(User)} u ON u.id = m.user_id "
        f"WHERE m.organisation_id IN ({placeholders}) AND u.is_active = %s) {alias}"
    )
    return table, [*organisations, True], f"{alias}.full_name, {alias}.email"


def sides(onboarding: Onboarding) -> Sides:
    """Return the active members of the authority and those who do the provider's work,
    by name, in one query (``authority_members`` and ``provider_side`` together)."""
    organisations_ = organisations(onboarding)
    # Asked by every step page: written out (a tick that reopens reads them with the item).
    members, params, order = members_of(organisations_, "p")
    rows = raw_rows.fetch_all(
        f"SELECT p.side, {raw_rows.columns(User, 'p')} FROM {members} ORDER BY {order}",  # noqa: S608
        params,
    )
    found = []
    for row in rows:
        person = raw_rows.instance(User, row, 1)[0]  # an inner join: never the empty side
        if person is not None:
            found.append((row[0], person))
    return into_sides(onboarding, organisations_, found)


def into_sides(
    onboarding: Onboarding, organisations: list[int], members: list[tuple[int, User]]
) -> Sides:
    """The members read (organisation, person; by name) as the authority's and those who do
    the provider's work: the authority's own when in-house without a provider."""
    by_organisation: dict[int, list[User]] = {pk: [] for pk in organisations}
    for organisation, person in members:
        by_organisation[organisation].append(person)
    authority = by_organisation[onboarding.authority_id]
    if onboarding.provider_id is not None:
        return authority, by_organisation[onboarding.provider_id]
    return authority, list(authority) if onboarding.in_house else []


def responsible_for(onboarding: Onboarding, role: str) -> list[User]:
    """Return the people of the side responsible for an item role or step."""
    if role == "authority":
        return authority_members(onboarding)
    if role == "provider":
        return provider_side(onboarding)
    return participants(onboarding)


def step_side(step: int) -> str:
    """Steps 1 and 5 are the authority's, steps 2 to 4 the provider's (as in access.py)."""
    return "authority" if step in (1, 5) else "provider"


def may_be_assigned(onboarding: Onboarding, item: Item, user: User) -> bool:
    return any(person.pk == user.pk for person in responsible_for(onboarding, item.role))


def find_mentions(text: str, people: list[User]) -> list[User]:
    """Return the people mentioned as ``@Full Name`` (or ``@First`` when unambiguous)."""
    lowered = text.lower()
    firsts: dict[str, list[User]] = {}
    for person in people:
        if person.full_name:
            firsts.setdefault(person.full_name.split()[0].lower(), []).append(person)
    found: list[User] = []
    for person in people:
        names = [person.full_name.lower()] if person.full_name else []
        first = person.full_name.split()[0].lower() if person.full_name else ""
        if first and len(firsts.get(first, [])) == 1:
            names.append(first)
        names.append(person.email.lower())
        for name in names:
            if re.search(rf"@{re.escape(name)}(?![\w-])", lowered):
                found.append(person)
                break
    return found


def is_member(user: User, onboarding: Onboarding) -> bool:
    return Membership.objects.filter(
        user=user,
        organisation_id__in=[onboarding.authority_id, onboarding.provider_id],
    ).exists()
