"""Sign-in with a service account ("Mit Dienstkonto anmelden"), linking an existing
account, back-channel logout from the provider and RP-initiated logout on "Abmelden"."""

from __future__ import annotations

import logging
import time
from typing import Any

from django import forms
from django.contrib.auth import authenticate, login
from django.contrib.auth.views import LogoutView
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login

from portal.forms_renderer import KernFormMixin
from portal.models import Membership, Session, User
from sso import accounts, oidc
from sso.errors import error_page
from sso.models import (
    ExternalIdentity,
    IdentityProvider,
    IdentityProviderDevice,
    SsoSession,
    UsedLogoutToken,
)
from sso.oidc import SsoError

logger = logging.getLogger("sso")

FLOW_KEY = "sso_flow"
LINK_KEY = "sso_link"
SESSION_INFO_KEY = "sso_session"
FLOW_SECONDS = 600
BACKEND = "portal.backends.PortalBackend"


def _redirect_uri(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("sso_callback"))


@require_GET
@never_cache
def start(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the browser to the provider with state, nonce and the PKCE challenge."""
    provider = get_object_or_404(IdentityProvider, pk=pk, enabled=True)
    flow = oidc.Flow.new()
    try:
        url = oidc.authorization_url(provider, flow, _redirect_uri(request))
    except SsoError as error:
        return error_page(request, error)
    request.session[FLOW_KEY] = {
        "provider": provider.pk,
        "state": flow.state,
        "nonce": flow.nonce,
        "verifier": flow.verifier,
        "next": request.GET.get("next", ""),
        "at": time.time(),
    }
    return redirect(url)


def _take_flow(request: HttpRequest) -> dict[str, Any]:
    flow = request.session.pop(FLOW_KEY, None)
    if (
        not isinstance(flow, dict)
        or time.time() - float(flow.get("at", 0)) > FLOW_SECONDS
        or not request.GET.get("state")
        or request.GET.get("state") != flow.get("state")
    ):
        raise SsoError("expired")
    return flow


@require_GET
@never_cache
def callback(request: HttpRequest) -> HttpResponse:
    """The provider's answer: check it, find or create the account, sign in."""
    try:
        flow = _take_flow(request)
        provider = IdentityProvider.objects.filter(pk=flow["provider"], enabled=True).first()
        if provider is None:
            raise SsoError("expired")
        if request.GET.get("error"):
            raise SsoError("refused", str(request.GET.get("error"))[:100])
        issuer = request.GET.get("iss")
        if issuer is not None and issuer != provider.issuer:
            raise SsoError("invalid_token", "iss parameter")
        tokens = oidc.exchange_code(
            provider, request.GET.get("code", ""), flow["verifier"], _redirect_uri(request)
        )
        claims = oidc.validate_id_token(provider, str(tokens["id_token"]), flow["nonce"])
        if provider.organisation_claim not in claims or "email" not in claims:
            extra = oidc.userinfo(provider, str(tokens.get("access_token", "")))
            if extra.get("sub") == claims["sub"]:
                claims = {**extra, **claims}
        person = accounts.person_from(provider, claims)
        identity = (
            ExternalIdentity.objects.filter(provider=provider, subject=person.subject)
            .select_related("user")
            .first()
        )
        if identity is None:
            if User.objects.filter(email=person.email).exists():
                request.session[LINK_KEY] = _pending(provider, person, tokens, flow)
                return redirect("sso_link")
            user = accounts.create_account(provider, person)
        else:
            user = identity.user
            if not user.is_active:
                raise SsoError("disabled", str(user.pk))
            accounts.sync_memberships(provider, user, person)
            if not user.is_staff and not Membership.objects.filter(user=user).exists():
                # Every group is gone: the memberships went, the sign-in goes no further.
                raise SsoError("unmapped", ", ".join(sorted(person.values)))
        return _sign_in(request, provider, user, person, str(tokens["id_token"]), flow["next"])
    except SsoError as error:
        return error_page(request, error)


def _pending(
    provider: IdentityProvider,
    person: accounts.Person,
    tokens: dict[str, Any],
    flow: dict[str, Any],
) -> dict[str, Any]:
    return {
        "provider": provider.pk,
        "person": {
            "subject": person.subject,
            "email": person.email,
            "name": person.name,
            "values": sorted(person.values),
            "amr": sorted(person.amr),
            "acr": person.acr,
            "sid": person.sid,
        },
        "id_token": str(tokens["id_token"]),
        "next": flow["next"],
        "at": time.time(),
    }


def _sign_in(
    request: HttpRequest,
    provider: IdentityProvider,
    user: User,
    person: accounts.Person,
    id_token: str,
    next_url: str,
) -> HttpResponse:
    if not user.is_active:
        raise SsoError("disabled", str(user.pk))
    login(request, user, backend=BACKEND)
    if accounts.strong_authentication(provider, person):
        device, _created = IdentityProviderDevice.objects.get_or_create(
            user=user, provider=provider, defaults={"name": provider.name, "confirmed": True}
        )
        otp_login(request, device)
    request.session[SESSION_INFO_KEY] = {"provider": provider.pk, "id_token": id_token}
    request.session.save()
    SsoSession.objects.update_or_create(
        session_key=str(request.session.session_key),
        defaults={"provider": provider, "sid": person.sid, "subject": person.subject},
    )
    from portal.views import safe_next  # the portal's views import much; only here

    return redirect(safe_next(next_url) or reverse("home"))


class PasswordConfirmForm(KernFormMixin, forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Password of your portal account"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": gettext_lazy("Please enter the password.")},
    )


@require_http_methods(["GET", "POST"])
@never_cache
def link(request: HttpRequest) -> HttpResponse:
    """Link an existing account to the service account after its password (never by the
    e-mail address alone)."""
    pending = request.session.get(LINK_KEY)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > FLOW_SECONDS:
        request.session.pop(LINK_KEY, None)
        return error_page(request, SsoError("expired"))
    provider = IdentityProvider.objects.filter(pk=pending["provider"], enabled=True).first()
    if provider is None:
        return error_page(request, SsoError("expired"))
    data = pending["person"]
    person = accounts.Person(
        subject=data["subject"],
        email=data["email"],
        name=data["name"],
        values=frozenset(data["values"]),
        amr=frozenset(data["amr"]),
        acr=data["acr"],
        sid=data["sid"],
    )
    form = PasswordConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, username=person.email, password=form.cleaned_data["password"])
        if user is None:
            form.add_error(
                "password", _("The password is not correct. Please check it and try again.")
            )
        else:
            try:
                with transaction.atomic():
                    accounts.link_account(provider, user, person)
                    accounts.sync_memberships(provider, user, person)
                del request.session[LINK_KEY]
                return _sign_in(
                    request, provider, user, person, pending["id_token"], pending["next"]
                )
            except SsoError as error:
                return error_page(request, error)
    return render(
        request,
        "sso/link.html",
        {"form": form, "provider": provider, "email": person.email},
        status=200 if request.method == "GET" or form.is_valid() else 400,
    )


@csrf_exempt
@require_POST
@never_cache
def backchannel_logout(request: HttpRequest) -> HttpResponse:
    """OpenID Connect Back-Channel Logout: end exactly the sessions of that provider session
    (or of that person at the provider), on every app server: their rows are deleted."""
    token = request.POST.get("logout_token", "")
    provider = IdentityProvider.objects.filter(
        issuer=oidc.unverified_issuer(token), enabled=True
    ).first()
    if provider is None:
        logger.warning("Back-channel logout refused: unknown issuer")
        return JsonResponse({"error": "invalid_request"}, status=400)
    try:
        claims = oidc.validate_logout_token(provider, token)
    except SsoError as error:
        logger.warning("Back-channel logout refused (%s): %s", error.kind, error.detail)
        return JsonResponse({"error": "invalid_request"}, status=400)
    try:
        with transaction.atomic():
            UsedLogoutToken.objects.create(provider=provider, jti=claims["jti"])
    except IntegrityError:
        logger.warning("Back-channel logout refused: logout token replayed")
        return JsonResponse({"error": "invalid_request"}, status=400)
    sessions = SsoSession.objects.filter(provider=provider)
    if claims.get("sid"):
        sessions = sessions.filter(sid=claims["sid"])
    if claims.get("sub"):
        sessions = sessions.filter(subject=claims["sub"])
    with transaction.atomic():
        keys = list(sessions.values_list("session_key", flat=True))
        ended, _details = Session.objects.filter(session_key__in=keys).delete()
        SsoSession.objects.filter(session_key__in=keys).delete()
        # Rows of sessions that expired meanwhile (clearsessions removed them) go too.
        SsoSession.objects.exclude(session_key__in=Session.objects.values("session_key")).delete()
    logger.info("Back-channel logout from provider %s ended %s sessions", provider.pk, ended)
    return HttpResponse(status=200, headers={"Cache-Control": "no-store"})


class SignOutView(LogoutView):
    """Django's sign-out; after a sign-in through a provider that offers RP-initiated logout,
    the browser goes on to end the provider's session too."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        info = request.session.get(SESSION_INFO_KEY)
        key = request.session.session_key
        response = super().post(request, *args, **kwargs)
        if key:
            SsoSession.objects.filter(session_key=key).delete()
        if isinstance(info, dict):
            provider = IdentityProvider.objects.filter(pk=int(info.get("provider") or 0)).first()
            if provider is not None:
                url = oidc.end_session_url(
                    provider,
                    str(info.get("id_token", "")),
                    request.build_absolute_uri(reverse("login")),
                )
                if url:
                    return redirect(url)
        return response
