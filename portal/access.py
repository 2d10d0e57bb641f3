"""The one place that decides which organisations and objects a user may see.

Views never query a tenant's objects directly; they call these helpers. An object the
user may not see answers 404, so its existence is not disclosed.
"""

from __future__ import annotations

from django.http import Http404

from portal.models import Invitation, Membership, Organisation, User

SESSION_KEY = "current_organisation_id"


def memberships_for(user: User) -> list[Membership]:
    """Return the user's memberships, organisation loaded, ordered by organisation name."""
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user, user__is_active=True)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def get_membership_for_user(user: User, organisation_id: int, *, admin: bool = False) -> Membership:
    """Return the user's membership of the organisation, or raise 404.

    With ``admin=True`` only an administrator's membership counts.
    """
    try:
        membership = Membership.objects.select_related("organisation").get(
            user=user, user__is_active=True, organisation_id=organisation_id
        )
    except Membership.DoesNotExist:
        raise Http404 from None
    if admin and not membership.is_admin:
        raise Http404
    return membership


def get_organisation_for_user(
    user: User, organisation_id: int, *, admin: bool = False
) -> Organisation:
    """Return an organisation the user belongs to (as admin if asked), or raise 404."""
    return get_membership_for_user(user, organisation_id, admin=admin).organisation


def get_invitation_for_admin(user: User, organisation_id: int, invitation_id: int) -> Invitation:
    """Return an invitation of an organisation the user administers, or raise 404."""
    organisation = get_organisation_for_user(user, organisation_id, admin=True)
    invitation: Invitation | None = organisation.invitations.filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404
    return invitation


def coordination_offices_reading(authority: Organisation) -> list[Organisation]:
    """The coordination offices that read the authority's onboardings (its page says so):
    those whose regions hold the authority's ARS and those that list it by name.

    Offices are few (a Land has one, some Kreise one each): their regions are compared here.
    """
    ars = authority.ars
    found = Organisation.objects.filter(kind=Organisation.Kind.COORDINATION).order_by("name")
    listed = set(found.filter(coordinated_authorities=authority).values_list("pk", flat=True))
    return [
        office
        for office in found
        if office.pk in listed
        or (ars and any(ars.startswith(region) for region in office.regions or []))
    ]
