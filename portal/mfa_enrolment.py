"""The first second factor of an account only after a link sent by e-mail.

Where ``MFA_REQUIRED``, a session of an account without any second factor must first open
a link sent to the account's address before the set-up page offers the app's QR code or
passkey registration (``portal.mfa.mfa_setup``, ``portal.passkeys``): a stolen password
alone cannot enrol the thief's app. The link is signed, valid for 30 minutes, bound to the
account and to its password (a reset voids it); the request log redacts it.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.mail import send_mail_task
from portal.mfa import has_second_factor, kept_form
from portal.models import User
from portal.types import AuthenticatedHttpRequest

ENROL_KEY = "mfa_enrol"
ENROL_LINK_SECONDS = 1800
ENROL_RESEND_SECONDS = 60
ENROL_SALT = "portal.mfa.enrolment-link"


def _password_mark(user: User) -> str:
    """Changes with the password: a link sent before a password reset no longer works."""
    return salted_hmac(ENROL_SALT, user.password, algorithm="sha256").hexdigest()[:16]


def enrolment_link_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "p": _password_mark(user)}, salt=ENROL_SALT)


def enrolment_needs_mail(request: HttpRequest) -> bool:
    """Whether this session must first open the link sent by e-mail before setting up the
    account's first second factor (only where ``MFA_REQUIRED``; a further factor is added
    from a session confirmed with an existing one)."""
    user = request.user
    if not settings.MFA_REQUIRED or has_second_factor(user):  # type: ignore[arg-type]
        return False
    opened = request.session.get(ENROL_KEY, {})
    return not (
        opened.get("user") == user.pk
        and opened.get("opened_at")
        and time.time() - opened["opened_at"] < ENROL_LINK_SECONDS
    )


def send_enrolment_link(request: HttpRequest, user: User) -> bool:
    """Send the link (through the worker); False if one went out less than a minute ago."""
    opened = request.session.get(ENROL_KEY, {})
    if opened.get("user") == user.pk and time.time() - opened.get("sent_at", 0) < (
        ENROL_RESEND_SECONDS
    ):
        return False
    link = request.build_absolute_uri(reverse("mfa_enrol_link", args=[enrolment_link_token(user)]))
    body = render_to_string(
        "portal/email/mfa_enrolment.txt",
        {"user": user, "link": link, "minutes": ENROL_LINK_SECONDS // 60},
        request=request,
    )
    send_mail_task.enqueue(str(_("Set up two-factor sign-in: please confirm")), body, [user.email])
    request.session[ENROL_KEY] = {"user": user.pk, "sent_at": time.time()}
    return True


def enrolment_mail_page(request: AuthenticatedHttpRequest, user: User) -> HttpResponse:
    """Before the first second factor: send the link to the account's address."""
    if request.method == "POST":
        if send_enrolment_link(request, user):
            messages.success(
                request,
                _("We have sent a link to %(email)s. Open it within %(minutes)s minutes.")
                % {"email": user.email, "minutes": ENROL_LINK_SECONDS // 60},
            )
        else:
            messages.info(
                request,
                _("A link was sent less than a minute ago. Please check your inbox first."),
            )
        return redirect("mfa_setup")
    return render(
        request,
        "portal/mfa_enrol_mail.html",
        {
            "email": user.email,
            "sent": bool(request.session.get(ENROL_KEY, {}).get("sent_at")),
            "resume": kept_form(request),
        },
    )


@login_required
@require_http_methods(["GET"])
def mfa_enrol_link(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    """The link from the e-mail: this session may set up the first second factor now."""
    try:
        data = signing.loads(token, salt=ENROL_SALT, max_age=ENROL_LINK_SECONDS)
    except signing.BadSignature:  # SignatureExpired is one too
        data = None
    user = request.user
    if (
        not isinstance(data, dict)
        or data.get("u") != user.pk
        or data.get("p") != (_password_mark(user))
    ):
        messages.error(
            request,
            _(
                "This link is no longer valid or belongs to another account. Please request "
                "a new one below, signed in with your own account."
            ),
        )
        return redirect("mfa_setup")
    request.session[ENROL_KEY] = {"user": user.pk, "opened_at": time.time()}
    if not has_second_factor(user):
        messages.success(
            request,
            _("Thank you: your e-mail address is confirmed. Now set up your second factor."),
        )
    return redirect("mfa_setup")
