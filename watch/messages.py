"""The watch's own messages, stored as codes with parameters like the checks' messages."""

from __future__ import annotations

from fitconnect.i18n import gettext_noop
from fitconnect.messages import define

NO_ENVIRONMENT = define(
    "watch.no_environment",
    gettext_noop("The environment to be watched is not configured in the portal."),
)
EXPIRES_SOON = define(
    "watch.expires_soon", gettext_noop("A key's certificate expires in %(days)d days.")
)
EXPIRES_RED = define(
    "watch.expires_red",
    gettext_noop("A key's certificate expires in %(days)d days: renew it now."),
)
WAITING_LONG = define(
    "watch.waiting_long",
    gettext_noop("The oldest submission has been waiting for pickup for %(days)d days."),
)
UNREACHABLE_PERSISTS = define(
    "watch.unreachable_persists",
    gettext_noop("FIT-Connect has not been reachable for this check for %(cycles)d cycles."),
)
