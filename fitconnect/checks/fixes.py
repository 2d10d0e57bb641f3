"""Fix links: what to do about a check's finding, and where FITKO's documentation explains it.

A fix is a plain dict ``{"text": <translated what to do>, "url": <documentation page>}``,
so results stay JSON-serialisable. The pages are FITKO's FIT-Connect documentation (German).
"""

from __future__ import annotations

from fitconnect.i18n import gettext as _

Fix = dict[str, str]

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


def fix(text: str, url: str) -> Fix:
    return {"text": text, "url": url}


def missing_client(who: str) -> Fix:
    return fix(
        _(
            "Create the %(who)s in the Self-Service-Portal and record its client ID and client "
            "secret in this portal."
        )
        % {"who": who},
        ACCOUNT,
    )


def wrong_client(who: str) -> Fix:
    return fix(
        _("Check the client ID and client secret of the %(who)s in the Self-Service-Portal.")
        % {"who": who},
        ACCOUNT,
    )


def missing_destination() -> Fix:
    return fix(
        _(
            "Create a destination in the Self-Service-Portal and record its destination ID in "
            "this portal."
        ),
        DESTINATION,
    )


def contact_support() -> Fix:
    return fix(
        _("Try again later; if the error persists, contact the FIT-Connect support."), SUPPORT
    )
