"""A person's own data as JSON (DSGVO Art. 15), downloaded from her settings page.

Her account, memberships, the comments she wrote, the Protokoll entries that name her as
the actor (in words, as the Protokoll shows them), her notifications and notification
settings, and the API tokens she created: their metadata only, never a secret or a hash.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from checklist import catalogue
from checklist.audit_sentences import sentence
from checklist.environments import environment_labels
from checklist.models import AuditEvent, Comment
from notifications.models import Notification, Preference
from portal.models import ApiToken, Membership, User
from portal.types import AuthenticatedHttpRequest


def _audit_entries(user: User) -> list[dict[str, Any]]:
    labels = environment_labels()
    events = (
        AuditEvent.objects.filter(actor=user)
        .select_related("onboarding", "actor", "api_token", "run")
        .order_by("created_at", "pk")
    )
    return [
        {
            "at": event.created_at,
            "onboarding": event.onboarding.name,
            "what": str(event.get_action_display()),
            "entry": sentence(event, labels),
        }
        for event in events
    ]


def _comments(user: User) -> list[dict[str, Any]]:
    items = catalogue.load().by_key()
    comments = (
        Comment.objects.filter(author=user)
        .select_related("item__onboarding")
        .order_by("created_at", "pk")
    )
    return [
        {
            "at": comment.created_at,
            "onboarding": comment.item.onboarding.name,
            "item": item.title if (item := items.get(comment.item.key)) else comment.item.key,
            "text": comment.text,
        }
        for comment in comments
    ]


def personal_data(user: User) -> dict[str, Any]:
    """Everything the portal keeps about the person, as plain JSON data."""
    memberships = Membership.objects.filter(user=user).select_related("organisation")
    tokens = ApiToken.objects.filter(created_by=user).select_related("organisation")
    return {
        "exported_at": timezone.now(),
        "account": {
            "email": user.email,
            "name": user.full_name,
            "language": user.language,
            "joined": user.date_joined,
            "last_sign_in": user.last_login,
            "active": user.is_active,
        },
        "memberships": [
            {
                "organisation": m.organisation.name,
                "role": str(m.get_role_display()),
                "since": m.created_at,
            }
            for m in memberships
        ],
        "comments": _comments(user),
        "audit_entries": _audit_entries(user),
        "notifications": [
            {
                "at": n.created_at,
                "kind": str(n.get_kind_display()),
                "onboarding": n.onboarding.name if n.onboarding else None,
                "read": n.read_at,
                "emailed": n.email_sent_at,
            }
            for n in Notification.objects.filter(recipient=user).select_related("onboarding")
        ],
        "notification_settings": [
            {"kind": str(p.get_kind_display()), "email": str(p.get_channel_display())}
            for p in Preference.objects.filter(user=user)
        ],
        "api_tokens_created": [
            {
                "name": t.name,
                "organisation": t.organisation.name,
                "permissions": t.scopes,
                "created": t.created_at,
                "expires": t.expires_at,
                "last_used": t.last_used_at,
                "revoked": t.revoked_at,
            }
            for t in tokens
        ],
    }


@login_required
@require_GET
def my_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    data = personal_data(request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="meine-daten-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response
