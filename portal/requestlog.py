"""What a request log line may contain: a redacted path and a sane request id.

Shared by the portal's request log (``portal.middleware.request_log``) and gunicorn's
access log (``gunicorn.conf.py``), so it imports nothing from Django.
"""

from __future__ import annotations

import logging
import re
import uuid
from urllib.parse import quote

HEALTH_PATH = "/healthz"
REQUEST_ID_HEADER = "X-Request-ID"

# A request id from a load balancer or proxy is kept if it looks like one: letters,
# digits and a few separators, at most 128 characters. Anything else is replaced.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")

# Paths that carry a secret: the invitation link and the password-reset link. A test checks
# that every URL with a token is covered.
_SECRET_PATHS = [
    re.compile(r"^(/einladung/)[^/]+"),
    re.compile(r"^(/passwort-neu/[^/]+/)[^/]+"),
    re.compile(r"^(/konto/zwei-faktor/bestaetigen/)[^/]+"),
]
REDACTED = "[redacted]"


def request_id(incoming: str | None) -> str:
    """Return the incoming request id if it is sane, else a new one."""
    if incoming and _SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def redact_tokens(path: str) -> str:
    """Return the path with the tokens of invitation, password-reset and enrolment links
    replaced."""
    for pattern in _SECRET_PATHS:
        path = pattern.sub(rf"\g<1>{REDACTED}", path, count=1)
    return path


def redact_path(path: str) -> str:
    """Return the path for a log line: tokens replaced, no spaces or control characters."""
    return quote(redact_tokens(path), safe="/:@!$&'()*+,;=-._~[]%")


class RedactTokens(logging.Filter):
    """Redact tokens in paths that Django logs itself (``Not Found: /einladung/…/``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_tokens(arg) if isinstance(arg, str) and arg.startswith("/") else arg
                for arg in record.args
            )
        return True
