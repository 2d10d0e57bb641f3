"""Accounts from an identity provider's claims: created just in time, memberships kept in
step with the mapped groups at every sign-in, each change in the SSO audit trail."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.models import LastAdministrator, Membership, Organisation, User, normalise_email
from sso.models import ClaimMapping, ExternalIdentity, IdentityProvider, SsoEvent
from sso.oidc import SsoError

logger = logging.getLogger(__name__)
RANK = {Membership.Role.STAFF: 0, Membership.Role.ADMIN: 1}


@dataclass(frozen=True)
class Person:
    """What the portal takes from the provider's claims."""

    subject: str
    email: str
    name: str
    values: frozenset[str]
    amr: frozenset[str]
    acr: str
    sid: str


def person_from(provider: IdentityProvider, claims: dict[str, Any]) -> Person:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise SsoError("no_email")
    email = normalise_email(email)
    domains = provider.allowed_domains()
    if domains and email.rsplit("@", 1)[1].lower() not in domains:
        raise SsoError("domain", email.rsplit("@", 1)[1])
    raw = claims.get(provider.organisation_claim, [])
    values = raw if isinstance(raw, list) else [raw]
    amr = claims.get("amr", [])
    return Person(
        subject=str(claims["sub"]),
        email=email,
        name=str(claims.get("name") or email.split("@")[0])[:150],
        values=frozenset(str(value) for value in values if value),
        amr=frozenset(str(value) for value in amr) if isinstance(amr, list) else frozenset(),
        acr=str(claims.get("acr") or ""),
        sid=str(claims.get("sid") or ""),
    )


def mapped_roles(provider: IdentityProvider, values: frozenset[str]) -> dict[Organisation, str]:
    """The organisations and roles the claim values map to (the highest role per organisation)."""
    roles: dict[Organisation, str] = {}
    for mapping in ClaimMapping.objects.filter(provider=provider, value__in=values).select_related(
        "organisation"
    ):
        current = roles.get(mapping.organisation)
        if current is None or RANK[Membership.Role(mapping.role)] > RANK[Membership.Role(current)]:
            roles[mapping.organisation] = mapping.role
    return roles


def strong_authentication(provider: IdentityProvider, person: Person) -> bool:
    """Whether the provider asserted a sign-in the operator counts as two-factor."""
    return bool(person.amr & provider.strong_amr_values()) or (
        bool(person.acr) and person.acr in provider.strong_acr_values()
    )


def _event(
    provider: IdentityProvider,
    user: User,
    action: str,
    organisation: Organisation | None = None,
    detail: str = "",
) -> None:
    SsoEvent.objects.create(
        provider=provider, user=user, organisation=organisation, action=action, detail=detail
    )
    logger.info(
        "SSO %s: user %s, organisation %s, provider %s",
        action,
        user.pk,
        organisation.pk if organisation else "-",
        provider.pk,
    )


@transaction.atomic
def create_account(provider: IdentityProvider, person: Person) -> User:
    """A new account (no password: it signs in through the provider only) and its link."""
    roles = mapped_roles(provider, person.values)
    if not roles:
        raise SsoError("unmapped", ", ".join(sorted(person.values)))
    user = User.objects.create_user(person.email, None, full_name=person.name)
    ExternalIdentity.objects.create(provider=provider, subject=person.subject, user=user)
    _event(provider, user, SsoEvent.Action.ACCOUNT_CREATED)
    sync_memberships(provider, user, person)
    return user


@transaction.atomic
def link_account(provider: IdentityProvider, user: User, person: Person) -> None:
    """Link an existing account, after its owner confirmed with the password."""
    ExternalIdentity.objects.get_or_create(
        provider=provider, subject=person.subject, defaults={"user": user}
    )
    _event(provider, user, SsoEvent.Action.ACCOUNT_LINKED)


@transaction.atomic
def sync_memberships(provider: IdentityProvider, user: User, person: Person) -> list[str]:
    """Bring the memberships in the provider's organisations in line with the claims.

    Only organisations this provider maps are touched. A membership whose group is gone is
    removed, except the last administrator's (noted for the operator). Return the notes."""
    roles = mapped_roles(provider, person.values)
    if not roles and not Membership.objects.filter(user=user).exists():
        raise SsoError("unmapped", ", ".join(sorted(person.values)))
    managed = set(
        ClaimMapping.objects.filter(provider=provider).values_list("organisation_id", flat=True)
    )
    notes: list[str] = []
    current = {
        m.organisation_id: m
        for m in Membership.objects.filter(user=user, organisation_id__in=managed).select_related(
            "organisation"
        )
    }
    for organisation, role in roles.items():
        membership = current.pop(organisation.pk, None)
        if membership is None:
            Membership.objects.create(user=user, organisation=organisation, role=role)
            _event(provider, user, SsoEvent.Action.MEMBERSHIP_ADDED, organisation, role)
        elif membership.role != role:
            old = membership.role
            try:
                organisation.change_role(membership.pk, role)
            except LastAdministrator:
                notes.append(_last_admin_note(provider, user, organisation))
                continue
            _event(provider, user, SsoEvent.Action.ROLE_CHANGED, organisation, f"{old} → {role}")
    for membership in current.values():
        organisation = membership.organisation
        try:
            organisation.remove_member(membership.pk)
        except LastAdministrator:
            notes.append(_last_admin_note(provider, user, organisation))
            continue
        _event(provider, user, SsoEvent.Action.MEMBERSHIP_REMOVED, organisation, membership.role)
    ExternalIdentity.objects.filter(provider=provider, subject=person.subject).update(
        last_sign_in=timezone.now(), note="\n".join(notes)
    )
    return notes


def _last_admin_note(provider: IdentityProvider, user: User, organisation: Organisation) -> str:
    note = _(
        "%(email)s is the only administrator of %(organisation)s and stays one although "
        "the group is missing at the identity provider: please make another person an "
        "administrator first."
    ) % {"email": user.email, "organisation": organisation.name}
    _event(provider, user, SsoEvent.Action.LAST_ADMIN_KEPT, organisation, note[:300])
    return note
