"""Passkeys and security keys (WebAuthn) as a second factor, with django-otp-webauthn.

The library runs the two ceremonies as JSON endpoints for its JavaScript; the subclasses
here tie them to the portal's sign-in (``portal.mfa``):

- registering needs a signed-in person; the first second factor brings recovery codes,
  as the authenticator app does, shown once on the next page;
- confirming works in the second step of signing in (the person who just entered their
  password, for five minutes) and for a signed-in session that still needs the second
  factor; it finishes exactly as a code from the app does (``finish_sign_in``).

Passkeys are never a sign-in on their own (``OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn import exceptions
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.utils import rewrite_exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)
from webauthn.helpers.exceptions import WebAuthnException

from portal.mfa import (
    finish_sign_in,
    has_second_factor,
    is_verified,
    keep_new_codes,
    new_recovery_codes,
    passkey_label,
    pending_sign_in,
)
from portal.mfa_enrolment import enrolment_needs_mail
from portal.models import User
from portal.types import AuthenticatedHttpRequest

logger = logging.getLogger(__name__)

# A WebAuthn response is a few kilobytes; anything far larger or deeper is no response.
MAX_BODY_BYTES = 64 * 1024

_BROWSERS = [
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
]
_SYSTEMS = [
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
]


def describe_browser(user_agent: str) -> str:
    """Return e.g. "Chrome, Windows": where a passkey was added, so that people tell theirs
    apart. Only well-known words are taken from the header, never the header itself."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    return ", ".join(part for part in (browser, system) if part)


class PortalWebAuthnHelper(WebAuthnHelper):  # type: ignore[misc]
    """The library's helper; a new credential is named after the browser that added it."""

    def create_credential(self, user: User, *args: Any, **kwargs: Any) -> WebAuthnCredential:
        credential: WebAuthnCredential = super().create_credential(user, *args, **kwargs)
        credential.name = describe_browser(self.request.headers.get("User-Agent", ""))[:64]
        return credential


# Services -------------------------------------------------------------------------------------


class LastSecondFactor(Exception):
    """Removing this passkey would leave the account without a second factor."""


@transaction.atomic
def register_passkey(
    helper: WebAuthnHelper, user: User, state: dict[str, Any], data: Any
) -> tuple[WebAuthnCredential, list[str]]:
    """Verify and store a new passkey; return it and, if it is the first second factor,
    fresh recovery codes."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # one first factor at once
    first = not has_second_factor(user)
    credential: WebAuthnCredential = helper.register_complete(user=user, state=state, data=data)
    return credential, new_recovery_codes(user) if first else []


def passkey_for_user(user: User, pk: int) -> WebAuthnCredential:
    """Return one of the user's passkeys; anyone else's answers 404."""
    credential = WebAuthnCredential.objects.filter(user=user, pk=pk, confirmed=True).first()
    if credential is None:
        raise Http404
    return credential


def can_remove(credential: WebAuthnCredential) -> bool:
    """A passkey may go unless it is the account's only second factor."""
    others = WebAuthnCredential.objects.filter(user_id=credential.user_id, confirmed=True).exclude(
        pk=credential.pk
    )
    return bool(
        others.exists()
        or TOTPDevice.objects.filter(user_id=credential.user_id, confirmed=True).exists()
    )


@transaction.atomic
def remove_passkey(credential: WebAuthnCredential) -> None:
    """Delete the passkey; refuse if it is the only second factor left."""
    User.objects.select_for_update().filter(pk=credential.user_id).first()  # one removal at once
    if not can_remove(credential):
        raise LastSecondFactor
    credential.delete()


# The library's JSON endpoints ----------------------------------------------------------------

# The library's own details are English and technical; people get these instead.
_MESSAGES = {
    "invalid_state": gettext_lazy(
        "This attempt has expired. Please reload the page and try again."
    ),
    "credential_not_found": gettext_lazy(
        "The portal does not know this passkey (any more). Please choose another one, or use "
        "a code instead."
    ),
    "credential_user_mismatch": gettext_lazy(
        "This passkey belongs to another account. Please choose one of your own passkeys."
    ),
    "user_not_verified": gettext_lazy(
        "Please first confirm this session with your second factor; then you can add a passkey."
    ),
    "enrolment_not_confirmed": gettext_lazy(
        "Please first open the link we sent to your e-mail address; then you can add a passkey."
    ),
    "not_authenticated": gettext_lazy("Your sign-in has expired. Please sign in again."),
    "passwordless_login_disabled": gettext_lazy("Your sign-in has expired. Please sign in again."),
    "user_disabled": gettext_lazy("Your sign-in has expired. Please sign in again."),
}
_REGISTRATION_FAILED = gettext_lazy(
    "The passkey could not be checked, so it was not added. Please try again; if it fails "
    "again, use another passkey or the authenticator app."
)
_VERIFICATION_FAILED = gettext_lazy(
    "The passkey could not be checked. Please try again, or use a code instead."
)


class _PortalCeremony:
    """Parse the body defensively and answer every failure with a plain message."""

    failed_message = _VERIFICATION_FAILED
    request: HttpRequest

    def _parse_request_data(self, request: HttpRequest) -> Any:
        if request.content_type != "application/json" or not request.body:
            return {}  # the script sends JSON; anything else carries no answer
        if len(request.body) > MAX_BODY_BYTES:
            raise exceptions.MalformedRequest()
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError) as error:
            raise exceptions.MalformedRequest() from error
        if not isinstance(data, dict):
            raise exceptions.MalformedRequest()
        return data

    def handle_exception(self, exc: Exception) -> JsonResponse:
        if isinstance(exc, WebAuthnException):  # one the library did not translate
            exc = exceptions.UnprocessableEntity()
        if not isinstance(exc, exceptions.OTPWebAuthnApiError):
            raise exc
        # A wrong or cancelled passkey is no server fault: one line, no traceback.
        cause = f" ({exc.__cause__})" if exc.__cause__ else ""
        logger.info("Passkey request refused: %s%s", exc.code, cause)
        detail = _MESSAGES.get(exc.code, self.failed_message)
        return JsonResponse({"detail": str(detail), "code": exc.code}, status=exc.status_code)


class _Registration(_PortalCeremony):
    failed_message = _REGISTRATION_FAILED

    def user_is_mfa_enrolled(self, user: User) -> bool:
        # Recovery codes left from an app the operator reset do not count as a factor.
        return has_second_factor(user)

    def check_can_register(self) -> None:
        # The first second factor only after the link sent by e-mail (portal.mfa).
        if enrolment_needs_mail(self.request):
            raise EnrolmentNotConfirmed()


class EnrolmentNotConfirmed(exceptions.OTPWebAuthnApiError):  # type: ignore[misc]
    status_code = 403
    default_code = "enrolment_not_confirmed"
    default_detail = "Open the link sent by e-mail first."


class PasskeyRegistrationBegin(_Registration, BeginCredentialRegistrationView):  # type: ignore[misc]
    """Options for adding a passkey to the signed-in person's account."""


class PasskeyRegistrationComplete(_Registration, CompleteCredentialRegistrationView):  # type: ignore[misc]
    """Store the new passkey; send to the recovery codes if it is the first factor."""

    def post(self, *args: Any, **kwargs: Any) -> JsonResponse:
        request = self.request
        user = self.get_user()
        state = self.get_state()
        with rewrite_exceptions(logger=None):
            credential, codes = register_passkey(
                self.get_helper(), user, state, getattr(request, "data", {})
            )
        if not is_verified(request.user):
            otp_login(request, credential)
        if codes:
            keep_new_codes(request, codes)
            url = reverse("mfa_recovery_codes")
        else:
            messages.success(
                request, _("%(name)s has been added.") % {"name": passkey_label(credential)}
            )
            url = reverse("mfa_setup")
        return JsonResponse({"id": credential.pk, "redirect_url": url})


class _Verification(_PortalCeremony):
    """Who confirms: the signed-in person, or the one between password and second factor."""

    def get_user(self) -> User | None:
        if self.request.user.is_authenticated:
            return self.request.user
        found = pending_sign_in(self.request)
        return found[0] if found else None

    def check_can_authenticate(self) -> None:
        if self.get_user() is None:
            raise exceptions.NotAuthenticated()


class PasskeyVerificationBegin(_Verification, BeginCredentialAuthenticationView):  # type: ignore[misc]
    """Options for confirming with one of the person's passkeys."""


class PasskeyVerificationComplete(_Verification, CompleteCredentialAuthenticationView):  # type: ignore[misc]
    """Check the passkey's signature, then finish the sign-in as a code from the app does."""

    def complete_auth(self, device: WebAuthnCredential) -> None:
        request = self.request
        if request.user.is_authenticated:
            otp_login(request, device)
            messages.success(request, _("Thank you: this session is confirmed."))
            self.success_url = reverse("mfa_setup")
            return
        found = pending_sign_in(request)
        if found is None or found[0].pk != device.user_id:
            raise exceptions.NotAuthenticated()
        user, pending = found
        self.success_url = finish_sign_in(request, user, pending, device)

    def get_success_url(self) -> str:
        # The address was checked at the password step; the page's own "next" is ignored.
        return str(self.success_url)


# Pages ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def passkey_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Ask, then remove one of the person's passkeys (in a confirmed session only)."""
    credential = passkey_for_user(request.user, pk)
    if not is_verified(request.user):
        return redirect("mfa_setup")
    label = passkey_label(credential)
    if request.method == "POST":
        confirmed_this_session = (
            request.session.get(DEVICE_ID_SESSION_KEY) == credential.persistent_id
        )
        try:
            remove_passkey(credential)
        except LastSecondFactor:
            messages.error(request, _last_factor_message())
            return redirect("mfa_setup")
        messages.success(request, _("%(name)s has been removed.") % {"name": label})
        if confirmed_this_session:  # the session is no longer confirmed (django-otp)
            messages.info(
                request,
                _("You confirmed this session with it; please confirm it once more."),
            )
        return redirect("mfa_setup")
    return render(
        request,
        "portal/passkey_remove.html",
        {
            "passkey": credential,
            "label": label,
            "removable": can_remove(credential),
            "last_factor": _last_factor_message(),
        },
    )


def _last_factor_message() -> str:
    return _(
        "This is the only second factor of your account, so it cannot be removed. Add another "
        "passkey or the authenticator app first."
    )
