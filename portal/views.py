"""Views for organisations, invitations, the session and the static pages."""

from __future__ import annotations

import logging
from smtplib import SMTPException

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.access import (
    SESSION_KEY,
    coordination_offices_reading,
    get_invitation_for_admin,
    get_membership_for_user,
)
from portal.forms import (
    AcceptInvitationForm,
    ApiTokenForm,
    InvitationForm,
    OrganisationSwitchForm,
    ProviderInvitationForm,
    RoleForm,
)
from portal.models import (
    ApiToken,
    Invitation,
    LastAdministrator,
    Membership,
    Organisation,
    Partnership,
    User,
    hash_token,
)
from portal.partnership_requests import PartnershipRequest
from portal.types import AuthenticatedHttpRequest, PortalHttpRequest

logger = logging.getLogger(__name__)

MAIL_ERRORS = (SMTPException, OSError)


@login_required
@require_POST
def extend_session(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Keep the session alive; answer how many seconds it now lasts."""
    request.session.modified = True
    return JsonResponse({"expires_in": request.session.get_expiry_age()})


@login_required
@require_POST
def switch_organisation(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = OrganisationSwitchForm(request.POST, memberships=request.memberships)
    if form.is_valid():
        request.session[SESSION_KEY] = form.cleaned_data["organisation"]
        chosen = next(
            m for m in request.memberships if m.organisation_id == form.cleaned_data["organisation"]
        )
        messages.success(
            request, _("You are now working for %(name)s.") % {"name": chosen.organisation.name}
        )
    else:
        messages.error(request, _("Please choose one of your organisations."))
    return redirect(safe_next(request.POST.get("next", "")) or reverse("home"))


def safe_next(target: str) -> str:
    """Return ``target`` if it is a path on this site ("/…", not "//…"), else ""."""
    if (
        not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or not url_has_allowed_host_and_scheme(target, allowed_hosts=None)
    ):
        return ""
    return target


def _organisation_page(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    invite_form: InvitationForm | None = None,
    status: int = 200,
    provider_form: ProviderInvitationForm | None = None,
) -> HttpResponse:
    organisation = membership.organisation
    members = list(organisation.memberships.select_related("user").order_by("user__full_name"))
    invitations = (
        Invitation.objects.filter(organisation=organisation).open().select_related("invited_by")
        if membership.is_admin
        else []
    )
    # Requests to work together that wait for the provider: the authority sees only the
    # address it entered, the provider's administrators who asks, to accept or decline.
    provider_requests = (
        PartnershipRequest.objects.open()
        .filter(authority=organisation)
        .select_related("invited_by")
        .order_by("-created_at")
        if membership.is_admin and organisation.is_authority
        else []
    )
    authority_requests = (
        PartnershipRequest.objects.open()
        .filter(provider=organisation)
        .select_related("authority", "invited_by")
        .order_by("-created_at")
        if membership.is_admin and organisation.kind == Organisation.Kind.PROVIDER
        else []
    )
    # An authority lists its IT service providers; a provider the authorities it serves.
    if organisation.is_authority:
        partners = [
            link.provider
            for link in Partnership.objects.filter(authority=organisation).select_related(
                "provider"
            )
        ]
    else:
        partners = [
            link.authority
            for link in Partnership.objects.filter(provider=organisation).select_related(
                "authority"
            )
        ]
    return render(
        request,
        "portal/organisation_detail.html",
        {
            "organisation": organisation,
            "membership": membership,
            "members": members,
            "invitations": invitations,
            "provider_requests": provider_requests,
            "authority_requests": authority_requests,
            "invite_form": invite_form or InvitationForm(organisation=organisation),
            "provider_form": provider_form or ProviderInvitationForm(organisation=organisation),
            "partners": partners,
            "coordination_offices": (
                coordination_offices_reading(organisation) if organisation.is_authority else []
            ),
            "roles": Membership.Role.choices,
            "admin_count": sum(1 for m in members if m.is_admin),
        },
        status=status,
    )


@login_required
@require_GET
def organisation_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    membership = get_membership_for_user(request.user, pk)
    return _organisation_page(request, membership)


def _send_invitation_mail(
    request: AuthenticatedHttpRequest,
    invitation: Invitation,
    token: str,
    on_behalf_of: Organisation | None = None,
) -> None:
    """Send the invitation link; a person with an account signs in to accept it."""
    context = {
        "organisation": invitation.organisation,
        "invited_by": request.user,
        "on_behalf_of": on_behalf_of,
        "valid_days": settings.INVITATION_VALID_DAYS,
        "link": request.build_absolute_uri(reverse("accept_invitation", args=[token])),
        "new_user": not User.objects.filter(email=invitation.email).exists(),
    }
    subject = _("Invitation to the FIT-Connect onboarding portal: %(organisation)s") % {
        "organisation": invitation.organisation.name
    }
    body = render_to_string("portal/email/invitation.txt", context, request=request)
    send_mail(subject, body, None, [invitation.email])


def _send_partnership_request_mail(
    request: AuthenticatedHttpRequest, partnership_request: PartnershipRequest
) -> None:
    """Ask the provider's administrators whether they work with the authority."""
    provider = partnership_request.provider
    recipients = list(
        provider.memberships.filter(role=Membership.Role.ADMIN, user__is_active=True).values_list(
            "user__email", flat=True
        )
    )
    if not recipients:
        return
    context = {
        "authority": partnership_request.authority,
        "provider": provider,
        "invited_by": request.user,
        "valid_days": settings.INVITATION_VALID_DAYS,
        "link": request.build_absolute_uri(
            reverse("organisation_detail", args=[provider.pk]) + "#authority-requests"
        ),
    }
    subject = _("%(authority)s asks %(provider)s to work together in the onboarding portal") % {
        "authority": partnership_request.authority.name,
        "provider": provider.name,
    }
    body = render_to_string("portal/email/partnership_request.txt", context, request=request)
    send_mail(subject, body, None, recipients)


@login_required
@require_POST
def invite(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    membership = get_membership_for_user(request.user, pk, admin=True)
    organisation = membership.organisation
    form = InvitationForm(request.POST, organisation=organisation)
    if not form.is_valid():
        return _organisation_page(request, membership, form)
    email: str = form.cleaned_data["email"]
    role: str = form.cleaned_data["role"]
    try:
        with transaction.atomic():
            invitation, token = organisation.invite(email, role, invited_by=request.user)
            _send_invitation_mail(request, invitation, token)
    except MAIL_ERRORS:
        logger.exception("Sending the invitation e-mail failed")
        form.add_error(
            None,
            _(
                "The e-mail could not be sent, so nobody was invited. Please try again later "
                "or ask the portal operator to check the e-mail settings."
            ),
        )
        return _organisation_page(request, membership, form, status=503)
    # The same answer whether or not the address has an account: nothing is disclosed.
    messages.success(request, _("The invitation has been sent to %(email)s.") % {"email": email})
    return redirect("organisation_detail", pk=organisation.pk)


@login_required
@require_POST
def invite_provider(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    membership = get_membership_for_user(request.user, pk, admin=True)
    authority = membership.organisation
    if not authority.is_authority:
        raise Http404
    form = ProviderInvitationForm(request.POST, organisation=authority)
    if not form.is_valid():
        return _organisation_page(request, membership, provider_form=form)
    email: str = form.cleaned_data["email"]
    try:
        with transaction.atomic():
            pending, invitation, token = authority.invite_provider(
                email, form.cleaned_data["name"], invited_by=request.user
            )
            if invitation is not None and token is not None:
                _send_invitation_mail(request, invitation, token, on_behalf_of=authority)
            else:
                _send_partnership_request_mail(request, pending)
    except MAIL_ERRORS:
        logger.exception("Sending the provider invitation e-mail failed")
        form.add_error(
            None,
            _(
                "The e-mail could not be sent, so nobody was invited. Please try again later "
                "or ask the portal operator to check the e-mail settings."
            ),
        )
        return _organisation_page(request, membership, provider_form=form, status=503)
    # The same answer for every address: whether it belongs to a provider stays unknown.
    messages.success(
        request,
        _(
            "The invitation has been sent to %(email)s. As soon as the IT service provider "
            "accepts it, it is linked to %(authority)s."
        )
        % {"email": email, "authority": authority.name},
    )
    return redirect("organisation_detail", pk=authority.pk)


@login_required
@require_POST
def answer_partnership_request(
    request: AuthenticatedHttpRequest, pk: int, request_pk: int, accept: bool
) -> HttpResponse:
    """An administrator of the provider accepts or declines an authority's request."""
    membership = get_membership_for_user(request.user, pk, admin=True)
    pending = (
        PartnershipRequest.objects.open()
        .filter(provider=membership.organisation, pk=request_pk)
        .select_related("authority")
        .first()
    )
    if pending is None:
        raise Http404
    if pending.answer(accept=accept):
        if accept:
            text = _("You now work with %(authority)s; its onboardings assigned to you appear.")
        else:
            text = _("You have declined the request of %(authority)s.")
        messages.success(request, text % {"authority": pending.authority.name})
    return redirect("organisation_detail", pk=pk)


@login_required
@require_POST
def change_role(request: AuthenticatedHttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    own = get_membership_for_user(request.user, pk, admin=True)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose one of the roles."))
        return redirect("organisation_detail", pk=pk)
    try:
        target = own.organisation.change_role(membership_pk, form.cleaned_data["role"])
    except Membership.DoesNotExist:
        raise Http404 from None
    except LastAdministrator:
        messages.error(
            request,
            _(
                "This person is the only administrator. Make another member an administrator "
                "first, so that somebody can still manage the organisation."
            ),
        )
        return redirect("organisation_detail", pk=pk)
    messages.success(
        request,
        _("%(name)s is now %(role)s.") % {"name": target.user, "role": target.get_role_display()},
    )
    if target.user_id == request.user.pk and not target.is_admin:
        return redirect("home")
    return redirect("organisation_detail", pk=pk)


@login_required
@require_POST
def revoke_invitation(
    request: AuthenticatedHttpRequest, pk: int, invitation_pk: int
) -> HttpResponse:
    invitation = get_invitation_for_admin(request.user, pk, invitation_pk)
    if invitation.is_open:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        messages.success(
            request,
            _("The invitation to %(email)s has been withdrawn.") % {"email": invitation.email},
        )
    return redirect("organisation_detail", pk=pk)


@login_required
@require_POST
def remove_member(request: AuthenticatedHttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    own = get_membership_for_user(request.user, pk, admin=True)
    try:
        target = own.organisation.remove_member(membership_pk)
    except Membership.DoesNotExist:
        raise Http404 from None
    except LastAdministrator as refusal:
        messages.error(
            request,
            _(
                "%(name)s is the only administrator. Invite another administrator first, "
                "so that somebody can still manage the organisation."
            )
            % {"name": refusal.membership.user},
        )
        return redirect("organisation_detail", pk=pk)
    messages.success(
        request,
        _("%(name)s no longer belongs to %(organisation)s.")
        % {"name": target.user, "organisation": own.organisation.name},
    )
    if target.user_id == request.user.pk:
        return redirect("home")
    return redirect("organisation_detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def api_tokens(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The organisation's API tokens: create one (shown once), see and revoke the others."""
    membership = get_membership_for_user(request.user, pk, admin=True)
    organisation = membership.organisation
    form = ApiTokenForm(request.POST or None, organisation=organisation)
    created, plain = None, None
    if request.method == "POST" and form.is_valid():
        created, plain = ApiToken.create(
            organisation=organisation,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            valid_days=form.cleaned_data["valid_days"],
            created_by=request.user,
        )
        form = ApiTokenForm(organisation=organisation)
    return render(
        request,
        "portal/api_tokens.html",
        {
            "organisation": organisation,
            "form": form,
            "created": created,
            "plain_token": plain,
            "tokens": organisation.api_tokens.select_related("created_by", "revoked_by"),
        },
    )


@login_required
@require_POST
def revoke_api_token(request: AuthenticatedHttpRequest, pk: int, token_pk: int) -> HttpResponse:
    membership = get_membership_for_user(request.user, pk, admin=True)
    token = membership.organisation.api_tokens.filter(pk=token_pk).first()
    if token is None:
        raise Http404
    if token.revoke(request.user):
        messages.success(
            request,
            _("The API token %(name)s has been revoked; it no longer works.")
            % {"name": token.name},
        )
    return redirect("api_tokens", pk=pk)


@require_http_methods(["GET", "POST"])
def accept_invitation(request: PortalHttpRequest, token: str) -> HttpResponse:
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None or not invitation.is_open:
        return render(
            request, "portal/invitation_invalid.html", {"invitation": invitation}, status=404
        )
    existing = User.objects.filter(email=invitation.email).first()
    if existing is not None:
        return _accept_as_existing_user(request, invitation, existing)

    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        user = invitation.accept_as_new_user(
            form.cleaned_data["full_name"], form.cleaned_data["password1"]
        )
        if user is None:
            return render(
                request, "portal/invitation_invalid.html", {"invitation": invitation}, status=404
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SESSION_KEY] = invitation.organisation_id
        messages.success(
            request,
            _("Welcome! You now belong to %(organisation)s.")
            % {"organisation": invitation.organisation.name},
        )
        return redirect("home")
    return render(
        request, "portal/invitation_accept.html", {"invitation": invitation, "form": form}
    )


def _accept_as_existing_user(
    request: PortalHttpRequest, invitation: Invitation, user: User
) -> HttpResponse:
    if not request.user.is_authenticated:
        messages.info(
            request,
            _("An account already exists for %(email)s. Please sign in to accept the invitation.")
            % {"email": invitation.email},
        )
        return redirect(f"{reverse('login')}?next={request.path}")
    if request.user.pk != user.pk:
        return render(
            request,
            "portal/invitation_wrong_user.html",
            {"invitation": invitation},
            status=403,
        )
    if request.method == "POST":
        invitation.accept(user)
        request.session[SESSION_KEY] = invitation.organisation_id
        messages.success(
            request,
            _("You now belong to %(organisation)s.")
            % {"organisation": invitation.organisation.name},
        )
        return redirect("home")
    return render(
        request, "portal/invitation_accept.html", {"invitation": invitation, "form": None}
    )


def _static_page(request: PortalHttpRequest, template: str) -> HttpResponse:
    return render(
        request,
        template,
        {
            "operator_name": settings.PORTAL_OPERATOR_NAME,
            "operator_address": settings.PORTAL_OPERATOR_ADDRESS,
            "contact_email": settings.PORTAL_CONTACT_EMAIL,
            "accessibility_email": settings.PORTAL_ACCESSIBILITY_EMAIL,
        },
    )


@require_GET
def imprint(request: PortalHttpRequest) -> HttpResponse:
    return _static_page(request, "portal/imprint.html")


@require_GET
def privacy(request: PortalHttpRequest) -> HttpResponse:
    return _static_page(request, "portal/privacy.html")


@require_GET
def accessibility(request: PortalHttpRequest) -> HttpResponse:
    return _static_page(request, "portal/accessibility.html")
