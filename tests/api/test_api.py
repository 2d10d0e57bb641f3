"""The API as a pipeline uses it: reading, ticking with the portal's rules, the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from checklist.models import (
    AuditEvent,
    Comment,
    Environment,
    FitConnectEnvironment,
    ItemState,
    SignOff,
)
from checklist.signoff import approve, declare_ready
from portal.models import ApiToken
from tests.api.conftest import ApiClient, make_token
from tests.checklist.helpers import complete_step_one, record, signed_off_test, tick_step
from tests.conftest import World

BASE = "/api/v1/onboardings/musterstadt-gewerbe"


def test_the_provider_lists_and_reads_its_onboarding(api_for: Callable[..., ApiClient]) -> None:
    api = api_for("provider", ["read"])
    listing = api.get("/api/v1/onboardings")
    assert listing.status_code == 200
    assert listing.json()["count"] == 1
    summary = listing.json()["items"][0]
    assert summary["slug"] == "musterstadt-gewerbe"
    assert summary["your_side"] == "provider"
    assert summary["authority"] == {"slug": "stadt-musterstadt", "name": "Stadt Musterstadt"}
    detail = api.get(BASE).json()
    assert [step["number"] for step in detail["steps"]] == [1, 2, 3, 4, 5]
    assert [step["your_side_works"] for step in detail["steps"]] == [
        False,
        True,
        True,
        True,
        False,
    ]
    assert detail["steps"][3]["status"] == "locked"
    assert {s["environment"]: s["state"] for s in detail["signoffs"]} == {
        "test": "none",
        "reference": "none",
        "production": "none",
    }
    assert detail["next_action"]


def test_another_authority_sees_no_onboarding_and_gets_404(
    api_for: Callable[..., ApiClient],
) -> None:
    api = api_for("outsider")
    assert api.get("/api/v1/onboardings").json() == {"count": 0, "items": []}
    for path in (BASE, f"{BASE}/items", f"{BASE}/items/step2.client", f"{BASE}/runs"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/problem+json"
    assert api.put(f"{BASE}/items/step2.client/done", {"done": True}).status_code == 404
    assert not ItemState.objects.filter(key="step2.client", done=True).exists()


def test_a_tick_through_the_api_is_audited_as_the_token(
    world: World, api_for: Callable[..., ApiClient]
) -> None:
    token, plain = make_token(world.provider, ["items:write", "read"], name="GitLab Deploy")
    api = ApiClient(plain)
    response = api.put(f"{BASE}/items/step2.client/done", {"done": True})
    assert response.status_code == 200
    item = response.json()
    assert item["done"] is True
    assert item["done_by"] == "API-Token GitLab Deploy (Kommunal-IT GmbH)"
    event = AuditEvent.objects.get(
        action=AuditEvent.Action.ITEM_TICKED, subject="item:step2.client"
    )
    assert event.actor is None
    assert event.api_token == token
    # People see the token in the audit trail and on the step page.
    client = Client()
    client.force_login(world.authority_staff)
    audit_page = client.get(reverse("audit_trail", args=["musterstadt-gewerbe"])).content.decode()
    assert "API-Token GitLab Deploy (Kommunal-IT GmbH)" in audit_page
    filtered = client.get(
        reverse("audit_trail", args=["musterstadt-gewerbe"]), {"person": f"token-{token.pk}"}
    )
    assert filtered.context["rows"]
    assert all(row[1] == str(token) for row in filtered.context["rows"])
    step_page = client.get(reverse("step", args=["musterstadt-gewerbe", 2])).content.decode()
    assert "Abgehakt von API-Token GitLab Deploy (Kommunal-IT GmbH)" in step_page


def test_notes_and_comments_are_saved_and_audited(
    world: World, api_for: Callable[..., ApiClient]
) -> None:
    api = api_for("provider")
    note = api.put(f"{BASE}/items/step2.keys/note", {"note": "  Schlüssel im Vault: kv/fc  "})
    assert note.status_code == 200
    assert note.json()["note"] == "Schlüssel im Vault: kv/fc"
    comment = api.post(f"{BASE}/items/step2.keys/comments", {"text": "Pipeline #4711 grün"})
    assert comment.status_code == 201
    assert comment.json()["author"].startswith("API-Token")
    listing = api.get(f"{BASE}/items/step2.keys/comments")
    assert [c["text"] for c in listing.json()["items"]] == ["Pipeline #4711 grün"]
    assert api.get(f"{BASE}/items/step2.keys").json()["comments"] == 1
    actions = set(
        AuditEvent.objects.filter(api_token__isnull=False).values_list("action", flat=True)
    )
    assert actions == {AuditEvent.Action.NOTE_CHANGED, AuditEvent.Action.COMMENT_ADDED}
    assert Comment.objects.get().author_token is not None


def test_each_side_ticks_only_its_own_steps(api_for: Callable[..., ApiClient]) -> None:
    authority = api_for("authority")
    provider = api_for("provider")
    refused = authority.put(f"{BASE}/items/step2.client/done", {"done": True})
    assert refused.status_code == 403
    assert refused.json()["title_en"] == "This is done by the other side"
    assert provider.put(f"{BASE}/items/step5.terms_of_use/note", {"note": "x"}).status_code == 403
    assert authority.put(f"{BASE}/items/step5.terms_of_use/note", {"note": "x"}).status_code == 200
    # Both sides comment everywhere, as in the portal.
    assert authority.post(f"{BASE}/items/step2.client/comments", {"text": "?"}).status_code == 201


def test_locked_steps_and_items_that_tick_themselves_are_refused(
    api_for: Callable[..., ApiClient],
) -> None:
    api = api_for("provider")
    locked = api.put(f"{BASE}/items/step4.ssp_login/done", {"done": True})
    assert locked.status_code == 409
    assert locked.json()["detail"] == (
        "Dieser Schritt ist gesperrt, bis die Abnahme Test gültig ist."
    )
    data_item = api.put(f"{BASE}/items/step2.destination/done", {"done": True})
    assert data_item.status_code == 409
    assert api.get(f"{BASE}/items/step4.ssp_login").json()["may_tick"] is False
    # An item this onboarding does not show (no callback URL recorded) does not exist.
    assert api.put(f"{BASE}/items/step2.callback_setup/done", {"done": True}).status_code == 404
    assert api.get(f"{BASE}/items/no.such.item").status_code == 404


def test_unticking_a_signed_off_item_invalidates_the_sign_off(
    world: World, api_for: Callable[..., ApiClient]
) -> None:
    signed_off_test(world.onboarding, world.provider_staff, world.authority_staff)
    api = api_for("provider")
    assert api.get(BASE).json()["signoffs"][0]["state"] == "approved"
    response = api.put(f"{BASE}/items/step3.token/done", {"done": False})
    assert response.status_code == 200
    assert api.get(BASE).json()["signoffs"][0]["state"] == "invalid"
    signoff = SignOff.objects.get(environment="test")
    assert signoff.invalidated_at is not None
    invalidated = AuditEvent.objects.get(action=AuditEvent.Action.SIGNOFF_INVALIDATED)
    assert invalidated.api_token is not None


def test_missing_expired_and_revoked_tokens_answer_401(world: World) -> None:
    token, plain = make_token(world.provider)
    assert ApiClient(None).get(BASE).status_code == 401
    assert ApiClient("fcap_not-a-token").get(BASE).status_code == 401
    assert ApiClient(plain).get(BASE).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        expired = ApiClient(plain).get(BASE)
    assert expired.status_code == 401
    assert expired["WWW-Authenticate"].startswith("Bearer")
    token.revoke(None)
    assert ApiClient(plain).get(BASE).status_code == 401


def test_a_session_cookie_is_no_way_into_the_api(world: World) -> None:
    client = Client()
    client.force_login(world.provider_staff)
    assert client.get(BASE).status_code == 401


def test_a_token_without_the_scope_gets_403(api_for: Callable[..., ApiClient]) -> None:
    api = api_for("provider", ["read"])
    response = api.put(f"{BASE}/items/step2.client/done", {"done": True})
    assert response.status_code == 403
    assert response.json()["detail"] == "Dafür braucht das Token die Berechtigung items:write."
    assert api_for("provider", ["items:write"]).get(BASE).status_code == 403
    assert api.get(f"{BASE}/record.pdf").status_code == 403


def test_the_last_use_is_recorded(world: World) -> None:
    token, plain = make_token(world.provider)
    assert token.last_used_at is None
    ApiClient(plain).get(BASE)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_problems_follow_rfc_9457_in_german_or_english(api_for: Callable[..., ApiClient]) -> None:
    api = api_for("provider")
    german = api.get(f"{BASE}/items/nope")
    body = german.json()
    assert german["Content-Type"] == "application/problem+json"
    assert body["status"] == 404
    assert body["type"].endswith("/api/v1/docs#problem-not-found")
    assert body["title"] == body["title_de"] == "Nicht gefunden"
    assert body["title_en"] == "Not found"
    assert body["instance"] == f"{BASE}/items/nope"
    english = api.get(f"{BASE}/items/nope", **{"Accept-Language": "en-GB,en;q=0.9,de;q=0.5"})
    assert english.json()["title"] == "Not found"
    assert english["Content-Language"] == "en"
    invalid = api.put(f"{BASE}/items/step2.client/note", {"note": "x" * 2001})
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["pointer"] == "/note"
    not_json = api.client.put(
        f"{BASE}/items/step2.client/note",
        data="{no json",
        content_type="application/json",
        headers=api.headers,
    )
    assert not_json.status_code == 400
    assert not_json.json()["title_en"] == "The request is malformed"
    assert api.client.delete(BASE, headers=api.headers).status_code == 405
    assert api.get("/api/v1/nothing/here").json()["status"] == 404


def test_lists_are_paged_with_link_headers(api_for: Callable[..., ApiClient]) -> None:
    api = api_for("provider")
    first = api.get(f"{BASE}/items?step=2&per_page=3")
    total = first.json()["count"]
    assert total > 3
    assert len(first.json()["items"]) == 3
    assert first["X-Total-Count"] == str(total)
    links = first["Link"]
    assert 'rel="next"' in links
    assert 'rel="prev"' not in links
    assert f'{BASE}/items?step=2&per_page=3&page=2>; rel="next"' in links
    last_page = -(-total // 3)
    last = api.get(f"{BASE}/items?step=2&per_page=3&page={last_page}")
    assert 'rel="prev"' in last["Link"]
    assert 'rel="next"' not in last["Link"]
    assert len(last.json()["items"]) == total - 3 * (last_page - 1)
    assert api.get(f"{BASE}/items?per_page=101").status_code == 422


def test_the_token_page_is_for_administrators_and_shows_a_token_once(world: World) -> None:
    admin = Client()
    admin.force_login(world.authority_admin)
    url = reverse("api_tokens", args=[world.authority.pk])
    response = admin.post(
        url, {"name": "Fachverfahren-CI", "scopes": ["read", "pdf:read"], "valid_days": "30"}
    )
    plain = response.context["plain_token"]
    assert plain.startswith("fcap_")
    assert plain in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    token = ApiToken.objects.get(name="Fachverfahren-CI")
    assert token.scopes == ["read", "pdf:read"]
    assert plain not in token.token_hash
    assert plain not in admin.get(url).content.decode()
    assert ApiClient(plain).get(BASE).status_code == 200
    staff = Client()
    staff.force_login(world.authority_staff)
    assert staff.get(url).status_code == 404


def test_the_token_form_explains_what_is_missing(world: World) -> None:
    admin = Client()
    admin.force_login(world.authority_admin)
    url = reverse("api_tokens", args=[world.authority.pk])
    response = admin.post(url, {"name": "", "valid_days": "30"})
    html = response.content.decode()
    assert "Bitte geben Sie dem Token einen Namen." in html
    assert "Bitte wählen Sie mindestens eine Berechtigung." in html
    assert not ApiToken.objects.exists()
    make_token(world.authority, name="CI")
    again = admin.post(url, {"name": "CI", "scopes": ["read"], "valid_days": "30"})
    assert "Es gibt schon ein Token mit diesem Namen." in again.content.decode()


def test_a_revoked_token_stops_working_at_once(world: World) -> None:
    token, plain = make_token(world.provider)
    admin = Client()
    admin.force_login(world.provider_staff)
    # Provider staff are no administrators of their organisation.
    revoke = reverse("revoke_api_token", args=[world.provider.pk, token.pk])
    assert admin.post(revoke).status_code == 404
    world.provider.memberships.update(role="admin")
    assert admin.post(revoke).status_code == 302
    assert ApiClient(plain).get(BASE).status_code == 401
    page = admin.get(reverse("api_tokens", args=[world.provider.pk])).content.decode()
    assert "widerrufen" in page


def test_an_english_client_does_not_invalidate_a_sign_off_by_its_language(
    world: World, api_for: Callable[..., ApiClient]
) -> None:
    provider = api_for("provider")
    complete_step_one(world.onboarding)
    record(world.onboarding, Environment.TEST)
    tick_step(world.onboarding, 2, world.provider_staff)
    # The portal cannot reach this Test environment: the operator allows hand evidence.
    FitConnectEnvironment.objects.filter(key="test").update(
        hand_evidence_allowed=True, hand_evidence_reason="Netzwerkregeln"
    )
    for key in ("step3.token", "step3.destination", "step3.keys", "step3.submission"):
        body = {"done": True, "reason": "Im Fachverfahren geprüft"}
        assert provider.put(f"{BASE}/items/{key}/done", body).status_code == 200
    declare_ready(world.onboarding, Environment.TEST, world.provider_staff)
    approve(world.onboarding, Environment.TEST, world.authority_staff)
    english = api_for("authority", **{"Accept-Language": "en"})
    assert english.get(f"{BASE}/items/step3.token").json()["done_by"].startswith("API token")
    response = english.put(f"{BASE}/items/step5.terms_of_use/done", {"done": True})
    assert response.status_code == 200
    assert english.get(BASE).json()["signoffs"][0]["state"] == "approved"


def test_a_pdf_still_being_rendered_answers_202_with_a_body_that_says_so(
    api_for: Callable[..., ApiClient], settings: Any
) -> None:
    """Not an empty body a client could store as a PDF: JSON, Retry-After and Location."""
    from checklist import export
    from checklist.models import PdfExport

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    api = api_for("provider", ["pdf:read"], **{"Accept-Language": "en"})
    waiting = api.get(f"{BASE}/record.pdf")
    assert waiting.status_code == 202
    assert waiting["Content-Type"] == "application/json"
    body = waiting.json()
    assert body["status"] == "rendering"
    assert "ready when the answer is 200" in body["detail"]
    assert waiting["Retry-After"] == str(body["retry_after"]) == "2"
    assert waiting["Location"] == f"http://testserver{BASE}/record.pdf"
    german = api.get(f"{BASE}/record.pdf", **{"Accept-Language": "de"}).json()
    assert german["detail"].startswith("Das PDF wird erstellt.")
    export.render_export(PdfExport.objects.get().pk)  # what the background worker does
    ready = api.get(f"{BASE}/record.pdf")
    assert ready.status_code == 200
    assert ready.content.startswith(b"%PDF-")
