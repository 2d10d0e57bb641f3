"""Two-factor sign-in with django-otp: a TOTP authenticator app, passkeys, and recovery codes.

Whoever has set up an app or a passkey (``portal.passkeys``) confirms every sign-in with it
(``SignInView`` signs in only after the second step). Where ``MFA_REQUIRED`` is on (the
default unless DEBUG), it is needed:

- by organisation administrators and by site operators (staff, superusers) for everything
  but the pages to set it up (``second_factor_for_admins``), the Django admin included;
- at actions that need it (``require_second_factor``): deciding sign-offs and storing
  secrets of the production environment. The form is kept (encrypted in the session) and
  re-sent once the second factor is set up or entered.

Where it is required, the *first* second factor of an account is set up only after a link
sent to the account's e-mail address was opened (``portal.mfa_enrolment``): a stolen
password alone cannot enrol the thief's app or passkey.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

import segno
from cryptography.fernet import Fernet, InvalidToken
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from portal.forms import EmailAuthenticationForm
from portal.forms_renderer import KernFormMixin
from portal.models import User
from portal.types import AuthenticatedHttpRequest, PortalHttpRequest

PENDING_KEY = "mfa_pending"
RESUME_KEY = "mfa_resume"
NEW_CODES_KEY = "mfa_new_codes"
PENDING_SECONDS = 300
RESUME_SECONDS = 3600
RECOVERY_CODE_COUNT = 10
SECURITY_KEY_TRANSPORTS = {"usb", "nfc", "ble", "smart-card"}
# Pages an administrator without a second factor may still open.
OPEN_TO_ADMINS = {
    "mfa_setup",
    "mfa_recovery_codes",
    "passkey_register_begin",
    "passkey_register_complete",
    "passkey_verify_begin",
    "passkey_verify_complete",
    "passkey_texts",
    "mfa_enrol_link",
    "logout",
    "set_language",
    "extend_session",
    "imprint",
    "privacy",
    "accessibility",
}


def is_verified(user: Any) -> bool:
    """Whether this session was signed in with a second factor (django-otp's middleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def passkey_label(credential: WebAuthnCredential) -> str:
    """The name people see: "Security key" for one on USB, NFC or Bluetooth, else "Passkey",
    and the browser it was added with."""
    security_key = SECURITY_KEY_TRANSPORTS & set(credential.transports or [])
    kind = _("Security key") if security_key else _("Passkey")
    return f"{kind} ({credential.name})" if credential.name else kind


def passkeys_of(user: User) -> list[WebAuthnCredential]:
    """The user's passkeys, oldest first, each with its ``label``."""
    passkeys = list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk"))
    for passkey in passkeys:
        passkey.label = passkey_label(passkey)
    return passkeys


def has_second_factor(user: User) -> bool:
    """Whether the user signs in with an app or a passkey (recovery codes alone are none)."""
    return bool(
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


def passkey_context(request: HttpRequest) -> dict[str, Any]:
    """What the passkey parts of a page need: the library's configuration, and whether
    passkeys work at the address this page was opened with (they belong to one host)."""
    origin = f"{request.scheme}://{request.get_host()}"
    origins = settings.OTP_WEBAUTHN_ALLOWED_ORIGINS
    return {
        "passkey_here": origin in origins,
        "passkey_address": origins[0] if origins else "",
        "passkey_config": {
            "beginRegistrationUrl": reverse("passkey_register_begin"),
            "completeRegistrationUrl": reverse("passkey_register_complete"),
            "beginAuthenticationUrl": reverse("passkey_verify_begin"),
            "completeAuthenticationUrl": reverse("passkey_verify_complete"),
            "autocompleteLoginFieldSelector": None,
            "nextFieldSelector": "input[name='next']",
            "csrfToken": get_token(request),
        },
    }


def second_factor_missing(request: HttpRequest) -> bool:
    return bool(
        settings.MFA_REQUIRED and request.user.is_authenticated and not is_verified(request.user)
    )


# Keeping a form across enrolment --------------------------------------------------------------


def _fernet() -> Fernet:
    digest = hashlib.sha256(f"anbindungsportal-mfa-resume:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def require_second_factor(request: HttpRequest, reason: str) -> HttpResponse | None:
    """Return None to go on with the action, or keep the form and send to the second factor.

    A form re-sent after the second factor (``mfa_resume``) gets its kept values back.
    """
    if not second_factor_missing(request):
        _restore_kept_form(request)
        return None
    values = [
        [name, value]
        for name, items in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", "mfa_resume")
        for value in items
    ]
    request.session[RESUME_KEY] = {
        "path": request.path,
        "data": _fernet().encrypt(json.dumps(values).encode()).decode(),
    }
    messages.warning(request, reason)
    url = reverse("mfa_setup")
    if getattr(request, "htmx", False):
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return redirect(url)


def _restore_kept_form(request: HttpRequest) -> None:
    if request.method != "POST" or request.POST.get("mfa_resume") != "1":
        return
    kept = request.session.pop(RESUME_KEY, None)
    if not kept or kept.get("path") != request.path:
        return
    try:
        values = json.loads(_fernet().decrypt(kept["data"].encode(), ttl=RESUME_SECONDS))
    except (InvalidToken, ValueError, TypeError):
        return
    restored = QueryDict(mutable=True)
    for name, value in values:
        restored.appendlist(name, value)
    request.POST = restored  # type: ignore[assignment]


def kept_form(request: HttpRequest) -> str:
    """The address a kept form goes back to, if one waits for the second factor."""
    kept = request.session.get(RESUME_KEY)
    return str(kept["path"]) if kept else ""


def keep_new_codes(request: HttpRequest, codes: list[str]) -> None:
    """Keep fresh recovery codes (encrypted) for the one page that shows them."""
    request.session[NEW_CODES_KEY] = _fernet().encrypt(json.dumps(codes).encode()).decode()


def _take_new_codes(request: HttpRequest) -> list[str]:
    kept = request.session.pop(NEW_CODES_KEY, None)
    if not kept:
        return []
    try:
        codes = json.loads(_fernet().decrypt(kept.encode(), ttl=PENDING_SECONDS))
    except (InvalidToken, ValueError, TypeError):
        return []
    return [str(code) for code in codes]


# Administrators and operators --------------------------------------------------------------------


def needs_second_factor_everywhere(request: PortalHttpRequest) -> bool:
    """Site operators (staff, superusers) and organisation administrators need the second
    factor for every page (where ``MFA_REQUIRED``), not only for certain actions."""
    user = request.user
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return True
    return any(m.is_admin for m in request.memberships)


def second_factor_for_admins(
    get_response: Callable[[PortalHttpRequest], HttpResponse],
) -> Callable[[PortalHttpRequest], HttpResponse]:
    """Send organisation administrators and site operators without a verified second factor
    to set it up (or confirm this session with it) first: every page but those to set it up,
    the Django admin included."""

    def middleware(request: PortalHttpRequest) -> HttpResponse:
        if second_factor_missing(request) and needs_second_factor_everywhere(request):
            try:
                name = resolve(request.path_info).url_name
            except Resolver404:
                name = None
            if name not in OPEN_TO_ADMINS:
                messages.warning(
                    request,
                    _(
                        "As an administrator of an organisation you need two-factor sign-in. "
                        "Please set it up now; it takes two minutes."
                    ),
                )
                if getattr(request, "htmx", False):
                    return HttpResponse(status=204, headers={"HX-Redirect": reverse("mfa_setup")})
                return redirect("mfa_setup")
        return get_response(request)

    return middleware


# Forms ----------------------------------------------------------------------------------------


class CodeForm(KernFormMixin, forms.Form):
    """A code from the authenticator app or a recovery code (only that without an app)."""

    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
        error_messages={"required": gettext_lazy("Please enter the code.")},
    )

    def __init__(
        self, *args: Any, devices: list[Any], recovery_only: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.devices = devices
        self.device: Any = None
        self.recovery_only = recovery_only
        if recovery_only:
            self.fields["code"].label = _("Recovery code")
            self.fields["code"].error_messages["required"] = _("Please enter a recovery code.")

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split()).replace("-", "").lower()
        with transaction.atomic():
            for device in self.devices:
                locked = type(device).objects.select_for_update().get(pk=device.pk)
                allowed, _details = locked.verify_is_allowed()
                if not allowed:
                    raise forms.ValidationError(
                        _("Too many wrong codes. Please wait a minute and try again.")
                    )
                if locked.verify_token(code):
                    self.device = locked
                    return code
        if self.recovery_only:
            raise forms.ValidationError(
                _("This recovery code is not correct or has already been used.")
            )
        raise forms.ValidationError(
            _(
                "This code is not correct or has expired. Enter the current code from the app "
                "(it changes every 30 seconds) or one of your recovery codes."
            )
        )


# Services -------------------------------------------------------------------------------------


def start_enrolment(user: User) -> TOTPDevice:
    """Return the user's unconfirmed authenticator device, creating one if needed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator-App", confirmed=False)
    return device


@transaction.atomic
def confirm_enrolment(device: TOTPDevice) -> list[str]:
    """Confirm the device after a correct code; return fresh recovery codes if it is the
    first second factor (beside a passkey the codes the person saved stay valid)."""
    first = not has_second_factor(device.user)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(device.user) if first else []


@transaction.atomic
def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with new ones (each works once)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Wiederherstellungscodes")
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def _recovery_devices(user: User) -> list[StaticDevice]:
    return list(StaticDevice.objects.filter(user=user, confirmed=True))


def remaining_recovery_codes(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user).count())


# Views ----------------------------------------------------------------------------------------


class SignInView(LoginView):
    """Sign in with e-mail and password; with a second factor set up, only after it."""

    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not has_second_factor(user):
            return super().form_valid(form)
        self.request.session[PENDING_KEY] = {
            "user": user.pk,
            "backend": getattr(user, "backend", "django.contrib.auth.backends.ModelBackend"),
            "next": self.get_success_url(),
            "at": time.time(),
        }
        return redirect("login_second_factor")


def pending_sign_in(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    """The person between password and second factor, for five minutes after the password."""
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    return (user, pending) if user is not None else None


def finish_sign_in(request: HttpRequest, user: User, pending: dict[str, Any], device: Any) -> str:
    """Start the session after the second factor (app, recovery code or passkey); return
    where the person wanted to go."""
    del request.session[PENDING_KEY]
    login(request, user, backend=pending["backend"])
    otp_login(request, device)
    if isinstance(device, StaticDevice):
        messages.warning(
            request,
            _(
                "You signed in with a recovery code; %(count)s are left. Create new ones "
                "under Two-factor sign-in when only a few are left."
            )
            % {"count": remaining_recovery_codes(user)},
        )
    return str(pending["next"])


@require_http_methods(["GET", "POST"])
def login_second_factor(request: PortalHttpRequest) -> HttpResponse:
    """The second step of signing in: a passkey, the code from the app or a recovery code."""
    found = pending_sign_in(request)
    if found is None:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, _("Please sign in again."))
        return redirect("login")
    user, pending = found
    totp = confirmed_totp(user)
    devices = ([totp] if totp else []) + _recovery_devices(user)
    form = CodeForm(request.POST or None, devices=devices, recovery_only=totp is None)
    if request.method == "POST" and form.is_valid():
        return redirect(finish_sign_in(request, user, pending, form.device))
    return render(
        request,
        "registration/second_factor.html",
        {
            "form": form,
            "has_totp": totp is not None,
            "has_passkey": WebAuthnCredential.objects.filter(user=user, confirmed=True).exists(),
            **passkey_context(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def mfa_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Set up the authenticator app or a passkey, or confirm this session if one is set up."""
    user = request.user
    totp = confirmed_totp(user)
    passkeys = passkeys_of(user)
    if (totp is not None or passkeys) and not is_verified(user):
        form = CodeForm(
            request.POST or None,
            devices=([totp] if totp else []) + _recovery_devices(user),
            recovery_only=totp is None,
        )
        if request.method == "POST" and form.is_valid():
            otp_login(request, form.device)
            messages.success(request, _("Thank you: this session is confirmed."))
            return redirect("mfa_setup")
        return render(
            request,
            "portal/mfa_confirm.html",
            {
                "form": form,
                "has_totp": totp is not None,
                "has_passkey": bool(passkeys),
                **passkey_context(request),
            },
        )
    page = {
        "passkeys": passkeys,
        "has_totp": totp is not None,
        "passkeys_removable": len(passkeys) > 1 or totp is not None,
        "resume": kept_form(request),
        **passkey_context(request),
    }
    if totp is not None:
        return render(
            request,
            "portal/mfa_status.html",
            {"remaining": remaining_recovery_codes(user), **page},
        )
    from portal.mfa_enrolment import enrolment_mail_page, enrolment_needs_mail  # imports this

    if enrolment_needs_mail(request):
        return enrolment_mail_page(request, user)
    device = start_enrolment(user)
    form = CodeForm(request.POST or None, devices=[device])
    if request.method == "POST" and form.is_valid():
        codes = confirm_enrolment(device)
        otp_login(request, device)
        if not codes:  # beside a passkey: the recovery codes stay as they are
            messages.success(request, _("The authenticator app is set up."))
            return redirect("mfa_setup")
        return render(
            request,
            "portal/mfa_recovery_codes.html",
            {"codes": codes, "new_setup": "app", "resume": kept_form(request)},
        )
    key = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "portal/mfa_setup.html",
        {
            "form": form,
            "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
            "key_groups": [key[i : i + 4] for i in range(0, len(key), 4)],
            "remaining": remaining_recovery_codes(user),
            **page,
        },
        status=200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def mfa_recovery_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create new recovery codes (the old ones stop working); only in a confirmed session.

    GET shows the codes made with a first passkey, once (``portal.passkeys``)."""
    if not is_verified(request.user):
        return redirect("mfa_setup")
    if request.method == "POST":
        codes = new_recovery_codes(request.user)
        return render(
            request,
            "portal/mfa_recovery_codes.html",
            {
                "codes": codes,
                "new_setup": "",
                "without_app": confirmed_totp(request.user) is None,
                "resume": kept_form(request),
            },
        )
    codes = _take_new_codes(request)
    if not codes:
        return redirect("mfa_setup")
    return render(
        request,
        "portal/mfa_recovery_codes.html",
        {
            "codes": codes,
            "new_setup": "passkey",
            "without_app": True,
            "resume": kept_form(request),
        },
    )
