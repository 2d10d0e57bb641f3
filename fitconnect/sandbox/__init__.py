"""A local stand-in ("sandbox") for FIT-Connect's test environment.

One Starlette app, served by uvicorn, plays every part the portal's verification checks
talk to:

- ``POST /token``: the OAuth token service (client credentials, form-encoded) – ``oauth``;
- ``/submission-api/v1/...`` and ``/v2/...``: the Zustelldienst, Submission API v1 as in
  FITKO's spec 1.1.3 and v2 as docs/fitko-facts.md describes it – ``submission``, ``events``;
- ``/routing-api/v1/...`` (and the same under ``/v2``): the Routing API as in
  ``routing-api.yaml`` – ``routing``;
- ``/submission-api/.well-known/jwks.json`` and ``/ssp/.well-known/jwks.json``: the keys of
  the Zustelldienst and of the Self-Service-Portal – ``keys``;
- ``POST /fachverfahren/callback`` and a background thread: a simulated Fachverfahren that
  receives callbacks and decrypts, accepts or rejects submissions – ``fachverfahren``.

Fault modes, global (``Sandbox(fault=...)``, ``--fault``) or per request by a path prefix
``/fault/<mode>/`` (see ``FAULT_MODES`` and ``faults``). ``server`` holds the ``Sandbox``
object and its life cycle, ``app`` the routes and the middleware every request passes,
``state`` the data, ``web`` the request and answer helpers the handlers share.

``served-apis.json`` lists what the sandbox serves and the description each API is held to
(shown at ``GET /``); ``tests/fitconnect/test_sandbox_contract.py`` validates every route's
answers against it. Only tests and the ``fitconnect_sandbox`` management command import this
package.
"""

from __future__ import annotations

from fitconnect.constants import REGION_URN_PREFIX

from .faults import FAULT_MODES, FUNCTION_FAULTS, HTTP_FAULTS, parse_fault
from .keys import KeyPair
from .server import Sandbox
from .state import Area
from .web import urls

GEBIET_PREFIX = REGION_URN_PREFIX  # the name of the Adressierungsinformationen's gebietIDs

__all__ = [
    "FAULT_MODES",
    "FUNCTION_FAULTS",
    "GEBIET_PREFIX",
    "HTTP_FAULTS",
    "Area",
    "KeyPair",
    "Sandbox",
    "parse_fault",
    "urls",
]
