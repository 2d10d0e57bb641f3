"""``Idempotency-Key`` on POST: a repeated request gets the first response, not a second change.

The key, a fingerprint of the request and the response are kept in the database for 24
hours per token, so that every app server answers a retry the same way. Only successful
responses are kept; after an error the client may retry with the same key.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from api.auth import token_from_request
from api.models import IdempotencyRecord
from api.problems import problem
from portal.models import ApiToken

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII without spaces
KEEP = timedelta(hours=24)
# A first request that has not answered after this long has died; its key is free again.
STALE = timedelta(minutes=10)


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.get_full_path()):
        digest.update(part.encode("utf-8") + b"\n")
    digest.update(request.body)
    return digest.hexdigest()


def _claim(token: ApiToken, key: str, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    now = timezone.now()
    IdempotencyRecord.objects.filter(token=token).filter(
        Q(created_at__lt=now - KEEP) | Q(status_code__isnull=True, created_at__lt=now - STALE)
    ).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(token=token, key=key, fingerprint=fingerprint)
            return record, True
    except IntegrityError:
        return IdempotencyRecord.objects.get(token=token, key=key), False


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        record.body, status=record.status_code or 200, content_type=record.content_type
    )
    if record.location:
        response["Location"] = record.location
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(request: HttpRequest, run: Callable[[], HttpResponseBase]) -> HttpResponseBase:
    """Answer the POST once per key: run it, or replay the response stored for the key."""
    key = request.headers.get(HEADER)
    token = token_from_request(request) if key is not None else None
    if key is None or token is None:  # no key, or the auth will answer 401
        return run()
    if not KEY_PATTERN.fullmatch(key):
        return problem(
            request,
            "invalid-idempotency-key",
            _("Use 1 to 255 visible ASCII characters without spaces, e.g. a UUID."),
        )
    fingerprint = _fingerprint(request)
    record, created = _claim(token, key, fingerprint)
    if not created:
        if record.fingerprint != fingerprint:
            return problem(
                request,
                "idempotency-key-reused",
                _("Send a new Idempotency-Key for a different request."),
            )
        if record.status_code is None:
            return problem(
                request,
                "idempotency-in-progress",
                _("Wait for the first request to finish, then repeat this one."),
                retry_after=1,
            )
        return _replay(record)
    try:
        response = run()
    except BaseException:
        record.delete()
        raise
    if 200 <= response.status_code < 300 and isinstance(response, HttpResponse):
        record.status_code = response.status_code
        record.content_type = response.get("Content-Type", "")
        record.location = response.get("Location", "")
        record.body = response.content.decode("utf-8")
        record.save(update_fields=["status_code", "content_type", "location", "body"])
    else:
        record.delete()
    return response
