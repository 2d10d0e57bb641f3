"""Site operators need a verified second factor for the admin, and the first second factor
of any account is set up only after a link sent by e-mail (issue 21, finding 1).

Before, ``betrieb@portal.example`` reached all of ``/admin/`` with the password alone and
could delete another person's authenticator app there; and anybody with a stolen password
could enrol their own app on an account that had none yet.
"""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib import admin
from django.core import mail
from django.db.models import Model
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.mfa import confirm_enrolment, start_enrolment
from portal.models import User
from tests.conftest import PASSWORD, World
from tests.portal.enrolment import open_enrolment_link


@pytest.fixture
def required(settings: object) -> None:
    settings.MFA_REQUIRED = True  # type: ignore[attr-defined]


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, t0=device.t0):06d}"


def signed_in_with_password(email: str) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def admin_urls() -> list[str]:
    """Every page of the admin: the index, each app, and for each model its list, add form,
    and the change, delete and history pages of one object where one exists."""
    urls = {reverse("admin:index"), reverse("admin:password_change")}
    for model in admin.site._registry:
        app, name = model._meta.app_label, model._meta.model_name
        urls.add(reverse("admin:app_list", args=[app]))
        urls.add(reverse(f"admin:{app}_{name}_changelist"))
        with contextlib.suppress(NoReverseMatch):
            urls.add(reverse(f"admin:{app}_{name}_add"))
        obj: Model | None = model._default_manager.order_by("pk").first()
        if obj is not None:
            for view in ("change", "delete", "history"):
                urls.add(reverse(f"admin:{app}_{name}_{view}", args=[obj.pk]))
    return sorted(urls)


def test_the_walk_covers_the_admin(world: World) -> None:
    urls = admin_urls()
    # Users, second factors and FIT-Connect environments: what the probe abused.
    assert reverse("admin:otp_totp_totpdevice_changelist") in urls
    assert reverse("admin:portal_user_change", args=[world.authority_admin.pk]) in urls
    assert reverse("admin:checklist_fitconnectenvironment_changelist") in urls
    assert len(urls) > 40


def test_a_password_only_operator_reaches_no_admin_page(world: World, required: None) -> None:
    TOTPDevice.objects.create(user=world.authority_staff, name="App", confirmed=True)
    petra = signed_in_with_password("betrieb@portal.example")
    refused = []
    for url in admin_urls():
        response = petra.get(url)
        if response.status_code != 302 or response["Location"] != reverse("mfa_setup"):
            refused.append(f"{url} → {response.status_code} {response.get('Location', '')}")
    assert not refused, "\n".join(refused)
    # The probe's attack: deleting another person's authenticator app.
    device = TOTPDevice.objects.get(user=world.authority_staff)
    url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    response = petra.post(url, {"post": "yes"})
    assert response["Location"] == reverse("mfa_setup")
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    # The operator is asked for the second factor on the portal's pages too.
    assert petra.get(reverse("home"))["Location"] == reverse("mfa_setup")


def test_a_session_without_the_factor_is_refused_by_the_admin_itself(
    world: World, required: None, settings: object
) -> None:
    """Even without the portal's middleware, the admin site refuses an unconfirmed session."""
    settings.MIDDLEWARE = [  # type: ignore[attr-defined]
        m
        for m in settings.MIDDLEWARE
        if m != "portal.mfa.second_factor_for_admins"  # type: ignore[attr-defined]
    ]
    enrolled = start_enrolment(world.site_operator)
    confirm_enrolment(enrolled)
    petra = Client()
    petra.force_login(world.site_operator)  # a session that never saw the second factor
    response = petra.get(reverse("admin:portal_user_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert petra.get(response["Location"])["Location"] == reverse("mfa_setup")


def test_the_admin_sign_in_page_does_not_sign_in_with_the_password(
    world: World, required: None
) -> None:
    device = start_enrolment(world.site_operator)
    confirm_enrolment(device)
    petra = Client()
    url = reverse("admin:login") + "?next=" + reverse("admin:index")
    assert petra.get(url)["Location"] == reverse("login") + "?next=%2Fadmin%2F"
    response = petra.post(url, {"username": "betrieb@portal.example", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" not in petra.session
    assert petra.get(reverse("admin:index")).status_code == 302
    # Through the portal's sign-in: password, then the code, then the admin.
    petra.post(reverse("login"), {"username": "betrieb@portal.example", "password": PASSWORD})
    assert "_auth_user_id" not in petra.session  # the password alone signs nobody in
    petra.post(reverse("login_second_factor"), {"code": code(device)})
    assert petra.get(reverse("admin:index")).status_code == 200


def test_an_operator_with_a_confirmed_session_uses_the_admin(world: World, required: None) -> None:
    petra = signed_in_with_password("betrieb@portal.example")
    open_enrolment_link(petra)
    petra.get(reverse("mfa_setup"))
    device = TOTPDevice.objects.get(user=world.site_operator)
    petra.post(reverse("mfa_setup"), {"code": code(device)})
    assert petra.get(reverse("admin:index")).status_code == 200
    assert petra.get(reverse("admin:otp_totp_totpdevice_changelist")).status_code == 200


# The first second factor: only after the link sent by e-mail ----------------------------------


def test_a_stolen_password_alone_cannot_enrol_an_app(world: World, required: None) -> None:
    thief = signed_in_with_password("bernd@musterstadt.example")
    page = thief.get(reverse("mfa_setup")).content.decode()
    assert "senden wir zuerst einen Link an Ihre E-Mail-Adresse" in page
    assert "bernd@musterstadt.example" in page
    assert "QR-Code" not in page
    assert not TOTPDevice.objects.filter(user=world.authority_staff).exists()
    # Posting a code for a device the thief cannot see does not enrol anything either.
    thief.post(reverse("mfa_setup"), {"code": "123456"})
    assert not TOTPDevice.objects.filter(user=world.authority_staff, confirmed=True).exists()
    # Nor can a passkey be added.
    response = thief.post(reverse("passkey_register_begin"), "{}", content_type="application/json")
    assert response.status_code == 403
    assert "öffnen Sie zuerst den Link" in response.json()["detail"]
    # The link went to Bernd's mailbox, with a warning for the case it was not him.
    assert mail.outbox[-1].to == ["bernd@musterstadt.example"]
    assert "kennt jemand Ihr Passwort" in mail.outbox[-1].body


def test_the_link_opens_enrolment_in_the_session_of_its_owner_only(
    world: World, required: None
) -> None:
    bernd = signed_in_with_password("bernd@musterstadt.example")
    bernd.post(reverse("mfa_setup"))
    link = re.search(r"http://testserver(/konto/\S+/)", mail.outbox[-1].body)
    assert link is not None
    # A second request within a minute sends no second mail.
    page = bernd.post(reverse("mfa_setup"), follow=True).content.decode()
    assert len(mail.outbox) == 1
    assert "Vor weniger als einer Minute" in page
    # Another account's session cannot use it.
    clara = signed_in_with_password("clara@kommunal-it.example")
    page = clara.get(link.group(1), follow=True).content.decode()
    assert "nicht mehr gültig oder gehört zu einem anderen Konto" in page
    assert "QR-Code" not in page
    # Anonymous: sign in first, then the link works.
    stranger = Client()
    assert stranger.get(link.group(1))["Location"].startswith(reverse("login"))
    # Its owner: the set-up page now offers the app.
    page = bernd.get(link.group(1), follow=True).content.decode()
    assert "Ihre E-Mail-Adresse ist bestätigt" in page
    assert "QR-Code" in page


def test_the_link_expires_and_dies_with_a_password_change(world: World, required: None) -> None:
    bernd = signed_in_with_password("bernd@musterstadt.example")
    bernd.post(reverse("mfa_setup"))
    link = re.search(r"http://testserver(/konto/\S+/)", mail.outbox[-1].body)
    assert link is not None
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        page = bernd.get(link.group(1), follow=True).content.decode()
    assert "nicht mehr gültig" in page
    assert "QR-Code" not in page
    user = User.objects.get(email="bernd@musterstadt.example")
    user.set_password("Ein-ganz-anderes-Passwort-2026")
    user.save()
    bernd.force_login(user)
    page = bernd.get(link.group(1), follow=True).content.decode()
    assert "nicht mehr gültig" in page


def test_without_the_requirement_the_app_is_set_up_at_once(world: World) -> None:
    """The demo (DEBUG, MFA_REQUIRED off) keeps its one-step set-up."""
    bernd = signed_in_with_password("bernd@musterstadt.example")
    assert "QR-Code" in bernd.get(reverse("mfa_setup")).content.decode()
