"""Fix links: what to do about a check's finding, and where FITKO's documentation explains it.

A fix is a plain dict ``{"text": <a message, see messages.py>, "url": <documentation page>}``;
``CheckResult.as_dict`` stores its text as a code with parameters. The pages are FITKO's
FIT-Connect documentation (German).
"""

from __future__ import annotations

from typing import Any

from fitconnect.i18n import gettext_noop
from fitconnect.messages import Text, define

Fix = dict[str, Any]

DOCS = "https://docs.fitko.de/fit-connect/"
ACCOUNT = f"{DOCS}docs/getting-started/account/"
AUTHENTICATION = f"{DOCS}docs/getting-started/authentication/"
SUBSCRIBER_SCOPES = f"{DOCS}docs/details/authentication/scopes-subscriber/"
DESTINATION = f"{DOCS}docs/receiving/destination/"
CERTIFICATES = f"{DOCS}docs/receiving/certificate/"
CONVERT_CERTIFICATES = f"{DOCS}docs/organisation-tasks/jwks-erzeugen/"
VPKI_CERTIFICATES = f"{DOCS}docs/organisation-tasks/certificates/"
ROUTING = f"{DOCS}docs/sending/get-destination/"
RECEIVING = f"{DOCS}docs/receiving/overview/"
SET_CREATION = f"{DOCS}docs/getting-started/event-log/set-creation/"
CALLBACKS = f"{DOCS}docs/details/callbacks/"
SUPPORT = f"{DOCS}contact/"

MISSING_CLIENT = define(
    "fix.missing_client",
    gettext_noop(
        "Create the %(who)s in the Self-Service-Portal and record its client ID and client "
        "secret in this portal."
    ),
)
WRONG_CLIENT = define(
    "fix.wrong_client",
    gettext_noop(
        "Check the client ID and client secret of the %(who)s in the Self-Service-Portal."
    ),
)
MISSING_DESTINATION = define(
    "fix.missing_destination",
    gettext_noop(
        "Create a destination in the Self-Service-Portal and record its destination ID in "
        "this portal."
    ),
)
CONTACT_SUPPORT = define(
    "fix.contact_support",
    gettext_noop("Try again later; if the error persists, contact the FIT-Connect support."),
)


def fix(text: Text, url: str) -> Fix:
    return {"text": text, "url": url}


def missing_client(who: Text) -> Fix:
    return fix(MISSING_CLIENT(who=who), ACCOUNT)


def wrong_client(who: Text) -> Fix:
    return fix(WRONG_CLIENT(who=who), ACCOUNT)


def missing_destination() -> Fix:
    return fix(MISSING_DESTINATION(), DESTINATION)


def contact_support() -> Fix:
    return fix(CONTACT_SUPPORT(), SUPPORT)
