"""Step pages come from the page cache until anything they show changes.

The cache is keyed on ``Onboarding.revision``, which database triggers raise with every
write to what a page shows, whoever writes it: these tests write as other people, through
the services, and with bulk updates that bypass every Python hook.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from checklist import catalogue, services
from checklist.models import (
    Comment,
    FitConnectEnvironment,
    ItemState,
    Onboarding,
    SignOff,
    StepDeadline,
    StoredSecret,
    VerificationRun,
)
from portal.models import Membership, Organisation, Partnership, User
from tests.conftest import World

SLUG = "musterstadt-gewerbe"


def signed_in(user: User, **client_options: object) -> Client:
    client = Client(**client_options)  # type: ignore[arg-type]
    client.force_login(user)
    return client


def step_page(client: Client, number: int = 2) -> str:
    response = client.get(reverse("step", args=[SLUG, number]))
    assert response.status_code == 200
    return response.content.decode()


def revision(world: World) -> int:
    return Onboarding.objects.values_list("revision", flat=True).get(pk=world.onboarding.pk)


def test_a_tick_by_someone_else_shows_on_the_next_visit(world: World) -> None:
    authority = signed_in(world.authority_admin)
    first = step_page(authority)
    assert f"Abgehakt von {world.provider_staff.full_name}" not in first

    item = catalogue.load().by_key()["step2.client"]
    services.set_item_done(world.onboarding, item, True, world.provider_staff)

    assert f"Abgehakt von {world.provider_staff.full_name}" in step_page(authority)


def test_each_person_sees_their_own_page(world: World) -> None:
    staff_page = step_page(signed_in(world.provider_staff))
    authority_page = step_page(signed_in(world.authority_admin))
    assert world.provider_staff.full_name in staff_page
    assert world.authority_admin.full_name in authority_page
    # The provider works on step 2; the authority only reads it.
    assert 'id="toggle-step2-client"' in staff_page
    assert 'id="toggle-step2-client"' not in authority_page


def test_forms_on_a_page_from_the_cache_carry_this_sessions_token(world: World) -> None:
    first = signed_in(world.provider_staff, enforce_csrf_checks=True)
    step_page(first)  # fills the cache
    second = signed_in(world.provider_staff, enforce_csrf_checks=True)  # a new session
    html = step_page(second)
    assert "placeholder" not in html
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    assert tokens
    response = second.post(
        reverse("item_toggle", args=[SLUG, "step2.client"]),
        {"done": "1", "csrfmiddlewaretoken": tokens.pop()},
    )
    assert response.status_code == 302
    assert ItemState.objects.get(onboarding=world.onboarding, key="step2.client").done


def test_the_csp_nonce_is_this_responses(world: World) -> None:
    client = signed_in(world.provider_staff)
    nonces = []
    for _ in range(2):
        response = client.get(reverse("step", args=[SLUG, 2]))
        nonce = re.search(r'nonce="([^"]+)"', response.content.decode())
        assert nonce is not None
        assert f"'nonce-{nonce.group(1)}'" in response.headers["Content-Security-Policy"]
        nonces.append(nonce.group(1))
    assert nonces[0] != nonces[1]


def test_a_message_after_a_form_is_shown_once(world: World) -> None:
    client = signed_in(world.provider_staff)
    step_page(client)
    client.post(reverse("item_toggle", args=[SLUG, "step2.client"]), {"done": "1"})
    assert "kern-alert--success" in step_page(client)
    assert "kern-alert--success" not in step_page(client)


def test_the_frame_follows_the_language_and_the_unread_count(world: World) -> None:
    client = signed_in(world.provider_staff)
    assert "Schritt 2" in step_page(client)
    User.objects.filter(pk=world.provider_staff.pk).update(unread_notifications=3)
    assert "3 ungelesen" in step_page(client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Step 2" in step_page(client)


def _first_item_state(world: World) -> ItemState:
    return ItemState.objects.filter(onboarding=world.onboarding).first()  # type: ignore[return-value]


def _new_partnership(world: World) -> None:
    Partnership.objects.filter(authority=world.authority).delete()
    Partnership.objects.create(authority=world.authority, provider=world.provider)


WRITES: dict[str, Callable[[World], object]] = {
    "onboarding": lambda w: Onboarding.objects.filter(pk=w.onboarding.pk).update(name="Neu"),
    "item": lambda w: ItemState.objects.filter(onboarding=w.onboarding).update(note="Neu"),
    "comment": lambda w: Comment.objects.create(
        item=_first_item_state(w), author=w.provider_staff, text="Neu"
    ),
    "deadline": lambda w: StepDeadline.objects.create(
        onboarding=w.onboarding, step=2, due_date=date(2030, 1, 1)
    ),
    "sign-off": lambda w: SignOff.objects.create(
        onboarding=w.onboarding, environment="test", declared_at=timezone.now()
    ),
    "secret": lambda w: StoredSecret.objects.create(
        onboarding=w.onboarding, environment="test", kind="client_secret", ciphertext="x"
    ),
    "run": lambda w: VerificationRun.objects.create(onboarding=w.onboarding, environment="test"),
    "leistung": lambda w: w.onboarding.leistungen.update(name="Neu"),
    "environment": lambda w: FitConnectEnvironment.objects.update(name="Neu"),
    "member": lambda w: Membership.objects.create(
        user=w.outsider, organisation=w.provider, role="staff"
    ),
    "organisation": lambda w: Organisation.objects.filter(pk=w.provider.pk).update(name="Neu"),
    "partnership": lambda w: _new_partnership(w),
    "person's name": lambda w: User.objects.filter(pk=w.provider_staff.pk).update(full_name="Neu"),
}


@pytest.mark.parametrize("what", WRITES)
def test_any_write_to_what_a_page_shows_raises_the_revision(world: World, what: str) -> None:
    before = revision(world)
    WRITES[what](world)
    assert revision(world) > before


def test_unrelated_writes_leave_the_revision_alone(world: World) -> None:
    before = revision(world)
    User.objects.filter(pk=world.provider_staff.pk).update(unread_notifications=5)
    other = Onboarding.objects.exclude(pk=world.onboarding.pk).first()
    if other is not None:
        ItemState.objects.filter(onboarding=other).update(note="Neu")
    assert revision(world) == before


def test_the_revision_never_goes_back_when_a_stale_copy_is_saved(world: World) -> None:
    stale = Onboarding.objects.get(pk=world.onboarding.pk)
    ItemState.objects.filter(onboarding=world.onboarding).update(note="Neu")
    raised = revision(world)
    stale.save()  # writes the old revision number
    assert revision(world) > raised


def test_the_onboarding_page_follows_a_tick(world: World) -> None:
    client = signed_in(world.authority_admin)
    url = reverse("onboarding_detail", args=[SLUG])

    def done_count() -> int:
        html = client.get(url).content.decode()
        found = re.search(r"(\d+) von (\d+) Pflichtpunkten erledigt", html)
        assert found is not None, html
        return int(found.group(1))

    before = done_count()
    assert done_count() == before  # from the cache
    item = catalogue.load().by_key()["step2.client"]
    services.set_item_done(world.onboarding, item, True, world.provider_staff)
    assert done_count() == before + 1
