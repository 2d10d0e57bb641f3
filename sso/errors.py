"""Each way single sign-on can fail, as a German page saying what to tell the operator."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from sso.oidc import SsoError

logger = logging.getLogger("sso")


def _texts(kind: str) -> tuple[str, str, str, int]:
    """Heading, explanation, what to tell the operator, HTTP status."""
    if kind == "unreachable":
        return (
            _("The identity provider cannot be reached"),
            _("The portal could not reach your organisation's sign-in service just now."),
            _(
                "Please try again in a few minutes. If it persists, tell the portal's "
                "operator that the identity provider did not answer."
            ),
            503,
        )
    if kind == "clock_skew":
        return (
            _("The clocks do not agree"),
            _(
                "The sign-in service's confirmation is dated too far from the portal's "
                "time to be trusted."
            ),
            _(
                "Tell the operator of the sign-in service or of the portal to check the "
                "server clocks (time synchronisation)."
            ),
            403,
        )
    if kind == "unmapped":
        return (
            _("Your account belongs to no organisation in the portal"),
            _(
                "The sign-in service confirmed who you are, but none of your groups is "
                "assigned to an organisation in the portal."
            ),
            _(
                "Tell the portal's operator which organisation you work for; they assign "
                "your group to it."
            ),
            403,
        )
    if kind == "disabled":
        return (
            _("Your account is deactivated"),
            _("The portal account for this service account has been deactivated."),
            _("Ask your organisation's administrator or the portal's operator to reactivate it."),
            403,
        )
    if kind == "domain":
        return (
            _("This e-mail address is not allowed here"),
            _("The sign-in service gave an e-mail address of a domain it may not sign in."),
            _("Tell the portal's operator which e-mail domain your organisation uses."),
            403,
        )
    if kind == "no_email":
        return (
            _("The sign-in service gave no e-mail address"),
            _("The portal needs your e-mail address to know your account."),
            _("Tell the operator of the sign-in service to release the e-mail claim."),
            403,
        )
    if kind == "expired":
        return (
            _("The sign-in has expired"),
            _(
                "The sign-in was started too long ago or in another browser window, or it "
                "was already completed."
            ),
            _("Please start again with the button on the sign-in page."),
            400,
        )
    if kind == "refused":
        return (
            _("The sign-in service refused the sign-in"),
            _("The sign-in service did not confirm the sign-in."),
            _("Please try again; if it persists, tell the portal's operator."),
            403,
        )
    return (
        _("Single sign-on is not working"),
        _("The sign-in service's answer could not be checked, so the portal refused it."),
        _("Tell the portal's operator; the request number below helps them find the cause."),
        502,
    )


def error_page(request: HttpRequest, error: SsoError) -> HttpResponse:
    heading, text, advice, status = _texts(error.kind)
    logger.warning("SSO refused (%s): %s", error.kind, error.detail or "-")
    return render(
        request,
        "sso/error.html",
        {
            "heading": heading,
            "text": text,
            "advice": advice,
            "request_id": request.META.get("REQUEST_ID", ""),
        },
        status=status,
    )
