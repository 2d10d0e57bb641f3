"""Who may see and change an onboarding. The one place views ask.

An authority sees its own onboardings; a service provider only those it is assigned to;
a coordination office those of its region and a site operator all of them, read-only
(``reader``, see ``checklist.coordination``). Anything else answers 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from checklist import coordination
from checklist.models import Onboarding
from portal import raw_rows
from portal.models import Actor, ApiToken, Membership, Organisation, User


def onboardings_for(
    user: User, memberships: list[Membership] | None = None
) -> QuerySet[Onboarding]:
    """Return the onboardings of the user's authorities and those assigned to their providers.

    ``memberships`` are the user's, as the middleware loaded them for this request (saves
    the subquery); without them they are looked up in the same statement.
    """
    organisations: Any
    if memberships is not None:
        if not user.is_active:
            return Onboarding.objects.none()
        organisations = [m.organisation_id for m in memberships if m.user_id == user.pk]
    else:
        organisations = Membership.objects.filter(user=user, user__is_active=True).values(
            "organisation_id"
        )
    return Onboarding.objects.filter(
        Q(authority_id__in=organisations) | Q(provider_id__in=organisations)
    )


def takes_part(user: str, onboarding: str) -> Exists:
    """SQL: whether the person takes part in the onboarding (the rule of ``onboardings_for``).

    ``user`` and ``onboarding`` are field paths of the outer query to a user and an
    onboarding (``"recipient"``, ``"onboarding"``): the person is a member of the
    onboarding's authority or of its provider. One subquery for any number of rows.
    """
    return Exists(
        Membership.objects.filter(user_id=OuterRef(user)).filter(
            Q(organisation_id=OuterRef(f"{onboarding}__authority_id"))
            | Q(organisation_id=OuterRef(f"{onboarding}__provider_id"))
        )
    )


@dataclass(frozen=True)
class Participation:
    """The user's part in one onboarding."""

    onboarding: Onboarding
    actor: Actor  # a signed-in person, or an organisation's API token
    authority_role: str | None
    provider_member: bool
    # Reads along without taking part (a coordination office, a site operator): every
    # page, no change but comments and reminders (``checklist.rules``).
    reader: bool = False

    @property
    def is_authority_member(self) -> bool:
        return self.authority_role is not None

    @property
    def is_authority_admin(self) -> bool:
        return self.authority_role == Membership.Role.ADMIN

    @property
    def does_provider_work(self) -> bool:
        """Provider staff, or the authority itself when it works in-house."""
        return self.provider_member or (self.onboarding.in_house and self.is_authority_member)

    def can_edit_step(self, step: int) -> bool:
        if step in (1, 5):
            return self.is_authority_member
        return self.does_provider_work

    @property
    def can_edit_environments(self) -> bool:
        return self.does_provider_work

    @property
    def can_decide_signoff(self) -> bool:
        return self.is_authority_member

    @property
    def can_manage(self) -> bool:
        """Change basic data, contacts and the assigned service provider."""
        return self.is_authority_admin


def get_onboarding_for_user(
    user: User, slug: str, memberships: list[Membership] | None = None, *, lock: bool = False
) -> Participation:
    """Return the user's participation in the onboarding, or raise 404.

    With the request's ``memberships`` (see ``onboardings_for``) this is one plain query by
    the slug, and who takes part is decided from the memberships; the organisations the
    person belongs to come from them too (the other one is loaded if a page shows it).
    ``lock``: load the onboarding under its row lock (inside a transaction), so that a
    change needs no second query for it (see ``Onboarding.lock``).
    """
    if memberships is None:
        memberships = list(
            Membership.objects.filter(user=user, user__is_active=True).select_related(
                "organisation"
            )
        )
    return _participation_by_memberships(user, slug, memberships, lock)


def _participation_by_memberships(
    user: User, slug: str, memberships: list[Membership], lock: bool
) -> Participation:
    own = {m.organisation_id: m for m in memberships if m.user_id == user.pk}
    # Asked by every page and tick: one statement, written out (``portal.raw_rows``).
    lock_it = lock and connection.features.has_select_for_update
    row = (
        raw_rows.fetch_one(
            f"SELECT {raw_rows.columns(Onboarding, 'b')} FROM {Onboarding._meta.db_table} b "  # noqa: S608
            "WHERE b.slug = %s" + (" FOR UPDATE" if lock_it else ""),
            [slug],
        )
        if user.is_active
        else None
    )
    onboarding = raw_rows.leading(Onboarding, row)[0] if row is not None else None
    if onboarding is None:
        raise Http404
    if not (onboarding.authority_id in own or onboarding.provider_id in own):
        if not coordination.reads(user, memberships, onboarding):
            raise Http404
        return Participation(
            onboarding=onboarding,
            actor=user,
            authority_role=None,
            provider_member=False,
            reader=True,
        )
    for side, organisation_id in (
        ("authority", onboarding.authority_id),
        ("provider", onboarding.provider_id),
    ):
        if organisation_id in own:
            setattr(onboarding, side, own[organisation_id].organisation)
    authority = own.get(onboarding.authority_id)
    return Participation(
        onboarding=onboarding,
        actor=user,
        authority_role=authority.role if authority else None,
        provider_member=onboarding.provider_id is not None and onboarding.provider_id in own,
    )


def onboardings_of_organisation(organisation: Organisation) -> QuerySet[Onboarding]:
    """Return the onboardings the organisation takes part in, as authority or as provider."""
    return Onboarding.objects.filter(Q(authority=organisation) | Q(provider=organisation))


def get_onboarding_for_token(token: ApiToken, slug: str, *, lock: bool = False) -> Participation:
    """Return the token's participation in the onboarding, or raise 404.

    A token acts for its organisation as a staff member would (never as an administrator).
    ``lock``: load the onboarding under its row lock (inside a transaction), as the page's
    tick does: access and the lock in one query.
    """
    # Asked by every API request: one statement, written out (``portal.raw_rows``). For a
    # read, ``api.auth`` has already asked it together with the token (``token_onboarding``).
    lock_it = lock and connection.features.has_select_for_update
    row = raw_rows.fetch_one(
        f"SELECT {_onboarding_columns()} FROM {_ONBOARDING_JOIN} "  # noqa: S608
        "WHERE b.slug = %s AND (b.authority_id = %s OR b.provider_id = %s)"
        + (" FOR UPDATE OF b" if lock_it else ""),
        [slug, token.organisation_id, token.organisation_id],
    )
    onboarding = None if row is None else onboarding_in_row(row, 0)
    if onboarding is None:
        raise Http404
    return token_participation(token, onboarding)


_ONBOARDING_JOIN = (
    f"{Onboarding._meta.db_table} b "
    f"INNER JOIN {Organisation._meta.db_table} a ON a.id = b.authority_id "
    f"LEFT OUTER JOIN {Organisation._meta.db_table} p ON p.id = b.provider_id"
)


def _onboarding_columns() -> str:
    return (
        f"{raw_rows.columns(Onboarding, 'b')}, {raw_rows.columns(Organisation, 'a')}, "
        f"{raw_rows.columns(Organisation, 'p')}"
    )


def token_onboarding(token_alias: str) -> tuple[str, str]:
    """The select list and the outer join that add, to a statement that selects a token as
    ``token_alias``, the onboarding of one slug (the statement's next parameter) if the
    token's organisation takes part in it, as ``get_onboarding_for_token`` finds it; read
    the row with ``onboarding_in_row``."""
    organisation = f"{token_alias}.organisation_id"
    join = (
        f"LEFT OUTER JOIN ({_ONBOARDING_JOIN}) ON b.slug = %s "
        f"AND (b.authority_id = {organisation} OR b.provider_id = {organisation})"
    )
    return _onboarding_columns(), join


def onboarding_in_row(row: Sequence[Any], start: int) -> Onboarding | None:
    """The onboarding with its organisations from ``start`` on in a row selected with the
    columns of ``token_onboarding``; None for the empty side of its join."""
    onboarding, next_column = raw_rows.instance(Onboarding, row, start)
    if onboarding is None:
        return None
    authority, next_column = raw_rows.instance(Organisation, row, next_column)
    provider, _end = raw_rows.instance(Organisation, row, next_column)
    raw_rows.relate(onboarding, "authority", authority)
    raw_rows.relate(onboarding, "provider", provider)
    return onboarding


def token_participation(token: ApiToken, onboarding: Onboarding) -> Participation:
    """The token's participation in an onboarding already found among its organisation's
    (``onboardings_of_organisation``): no further query."""
    organisation_id = token.organisation_id
    return Participation(
        onboarding=onboarding,
        actor=token,
        authority_role=(
            Membership.Role.STAFF if onboarding.authority_id == organisation_id else None
        ),
        provider_member=onboarding.provider_id == organisation_id,
    )
