"""A database that is away for a moment (a PostgreSQL restart, a failover) answers 503.

A request whose query fails because the connection broke (``OperationalError``, e.g. the
server terminated it, or ``InterfaceError``, a connection already closed) would otherwise end
in the generic 500 page, which says the error was logged as if it were a bug. The portal's
``handler500`` tells the two apart: for a lost database it answers ``503 Service
Unavailable`` with ``Retry-After`` and a page that says what happened and that nothing was
saved. Django discards the broken connection when the request ends (it saw the error), so
the next request connects anew and works once the database is back. The API answers the
same as a problem (``database-unavailable``, ``api/calls.py``).

The page is static (``templates/503.html``, German with an English line, as the 500 page):
rendering it needs no database, no session and no context processor.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults

logger = logging.getLogger(__name__)

# Seconds after which a client may try again; a restart usually takes a few.
RETRY_AFTER = 5
DATABASE_ERRORS = (OperationalError, InterfaceError)


def database_unavailable() -> HttpResponse:
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """The portal's ``handler500``: 503 for a lost database connection, else Django's 500."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        logger.warning("Database unavailable: answered 503 (%s)", type(error).__name__)
        return database_unavailable()
    return defaults.server_error(request)
