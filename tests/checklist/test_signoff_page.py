"""The sign-off section as people read it: the evidence, the frozen values in words, the
difference to the previous stage, refusals that link the connection check, the sandbox's
rehearsal apart from the decision, and an in-house authority that is alone."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from checklist import catalogue, services
from checklist.models import Environment, FitConnectEnvironment, Onboarding, VerificationRun
from checklist.signoff import declare_ready
from checklist.signoff_evidence import evidence_for
from checklist.state import OnboardingState
from portal.models import Membership, Organisation, User
from tests.checklist.helpers import (
    complete_step_one,
    ready_for_test,
    record,
    signed_off_test,
    tick_step,
)
from tests.conftest import World, make_onboarding, make_user

TEST = Environment.TEST
SLUG = "musterstadt-gewerbe"


def step_page(user: User, step: int, slug: str = SLUG) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("step", args=[slug, step]))
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, dom_id: str = "abnahme") -> str:
    start = page.index(f'<section id="{dom_id}"')
    return page[start : page.index("</section>", start)]


def text(markup: str) -> str:
    """The words a reader sees: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def assert_no_internal_names(markup: str) -> None:
    words = text(markup)
    assert "None" not in words
    for internal in ("environment_record", "destination_id", "leistungen.", "client_id"):
        assert internal not in words


def test_the_approver_sees_the_evidence_the_frozen_values_and_a_named_button(
    world: World,
) -> None:
    onboarding = world.onboarding
    ready_for_test(onboarding, world.provider_staff)
    declare_ready(onboarding, TEST, world.provider_staff)
    evidence = evidence_for(OnboardingState(onboarding), TEST)

    signoff = section(step_page(world.authority_staff, 3))
    words = text(signoff)
    assert evidence.summary in words
    assert "durch eine Verbindungsprüfung gegen Test belegt" in words
    for item in evidence.items:
        assert f"{item.title}: {item.sentence}" in words
    # A check item proven by the run links the run's page.
    (run,) = VerificationRun.objects.filter(onboarding=onboarding)
    assert reverse("verify_run", args=[SLUG, run.pk]) in signoff
    # The values an approval freezes, in words: the service's key, the Zustellpunkt ID.
    assert "Die Werte, die eine Freigabe festschreibt" in words
    assert "99050012104000" in words
    zustellpunkt = onboarding.environments.get(environment=TEST).destination_id
    assert f"Zustellpunkt-ID {zustellpunkt}" in words
    # The evidence and the values come before the decision, and the button names the stage.
    assert words.index("99050012104000") < words.index("Test freigeben")
    assert words.index(evidence.summary) < words.index("Test freigeben")
    assert_no_internal_names(signoff)


def test_the_reference_page_shows_the_difference_to_the_approved_test_values(
    world: World,
) -> None:
    onboarding = world.onboarding
    signed_off_test(onboarding, world.provider_staff, world.authority_staff)
    test_point = onboarding.environments.get(environment=TEST).destination_id
    reference_point = record(onboarding, Environment.REFERENCE).destination_id

    signoff = section(step_page(world.authority_staff, 4))
    words = text(signoff)
    assert "Unterschied zur freigegebenen Abnahme von Test" in words
    table = signoff[signoff.index("<table") : signoff.index("</table>")]
    assert re.search(
        rf"Zustellpunkt-ID\s*</th>\s*<td[^>]*>{test_point}</td>\s*<td[^>]*>{reference_point}<",
        table,
    ), table
    assert "Test (freigegeben)" in text(table)
    assert_no_internal_names(signoff)


def test_the_hash_of_an_approved_sign_off_is_only_inside_a_details_element(
    world: World,
) -> None:
    onboarding = world.onboarding
    signed_off_test(onboarding, world.provider_staff, world.authority_staff)
    digest = onboarding.signoffs.get().snapshot_sha256

    page = step_page(world.authority_staff, 3)
    assert page.count(digest) == 1
    signoff = section(page)
    details = re.search(r"<details[^>]*>.*?</details>", signoff, re.S)
    assert details is not None
    assert digest in details.group(0)
    words = text(signoff)
    assert "Die Werte, die diese Abnahme festgeschrieben hat" in words
    assert "99050012104000" in words


def test_a_declaration_on_an_outdated_check_is_refused_with_a_link_to_the_check(
    world: World,
) -> None:
    onboarding = world.onboarding
    ready_for_test(onboarding, world.provider_staff)
    VerificationRun.objects.filter(onboarding=onboarding).update(
        started_at=timezone.now() - timedelta(days=40)
    )

    signoff = section(step_page(world.provider_staff, 3))
    words = text(signoff)
    assert "Die Umgebung kann noch nicht als bereit erklärt werden" in words
    assert "älter als 30 Tage" in words
    assert 'href="#verbindung"' in signoff
    assert reverse("signoff_declare", args=[SLUG, "test"]) not in signoff


def test_a_change_after_the_check_is_named_in_the_refusal(world: World) -> None:
    onboarding = world.onboarding
    ready_for_test(onboarding, world.provider_staff)
    test_record = onboarding.environments.get(environment=TEST)
    test_record.encryption_kid = "enc-test-2"
    services.save_environment_record(test_record, world.provider_staff)

    signoff = section(step_page(world.provider_staff, 3))
    words = text(signoff)
    assert "Was sich seit dieser Verbindungsprüfung geändert hat" in words
    assert "enc-test-2" in words
    assert 'href="#verbindung"' in signoff
    assert reverse("signoff_declare", args=[SLUG, "test"]) not in signoff
    assert_no_internal_names(signoff)


def test_the_operators_allowance_of_hand_evidence_is_shown_and_allows_declaring(
    world: World,
) -> None:
    onboarding, clara = world.onboarding, world.provider_staff
    complete_step_one(onboarding)
    record(onboarding, TEST)
    tick_step(onboarding, 2, clara)
    FitConnectEnvironment.objects.filter(key="test").update(
        hand_evidence_allowed=True, hand_evidence_reason="Das Behördennetz sperrt Test."
    )
    state = OnboardingState(onboarding)
    for item in catalogue.load().for_step(3):
        if item.kind.tickable and item.required and state.visible(item):
            reason = "Im Browser von Hand geprüft." if item.kind.proven_by_run else ""
            services.set_item_done(onboarding, item, True, clara, reason=reason)

    signoff = section(step_page(world.authority_staff, 3))
    words = text(signoff)
    assert "Das Behördennetz sperrt Test." in words  # the operator's allowance, visibly
    assert "Begründung: Im Browser von Hand geprüft." in words
    signoff = section(step_page(clara, 3))
    assert reverse("signoff_declare", args=[SLUG, "test"]) in signoff


def test_the_sandbox_rehearsal_is_titled_so_and_stands_apart_from_the_sign_off(
    world: World,
) -> None:
    FitConnectEnvironment.objects.create(
        key="sandbox", name="Sandbox", stage=Environment.TEST, position=9
    )
    ready_for_test(world.onboarding, world.provider_staff)

    page = step_page(world.provider_staff, 3)
    rehearsal = section(page, "probelauf")
    assert "Probelauf in der Sandbox – zählt nicht für die Abnahme" in text(rehearsal)
    assert 'id="verify-sandbox"' in rehearsal
    # Between the rehearsal and the sign-off stands the stage's own connection check.
    assert page.index('id="verify-sandbox"') < page.index('id="verify-test"')
    assert page.index('id="verify-test"') < page.index('<section id="abnahme"')
    assert 'id="verify-sandbox"' not in section(page, "verbindung")


def lone_in_house(world: World) -> tuple[Onboarding, User, Organisation]:
    authority = Organisation.objects.create(
        name="Gemeinde Einsam", slug="gemeinde-einsam", kind=Organisation.Kind.AUTHORITY
    )
    alone = make_user("erika@einsam.example", "Erika Einzeln")
    Membership.objects.create(user=alone, organisation=authority, role="admin")
    onboarding = make_onboarding(authority, None, alone, slug="einsam")
    return onboarding, alone, authority


def test_a_lone_in_house_authority_is_told_first_and_linked_to_the_invitation(
    world: World,
) -> None:
    onboarding, alone, authority = lone_in_house(world)
    ready_for_test(onboarding, alone)

    signoff = section(step_page(alone, 3, "einsam"))
    words = text(signoff)
    notice = "Diese Abnahme kann noch niemand freigeben"
    assert notice in words
    heading = text(signoff[: signoff.index("</h2>")])
    assert words.index(notice) == len(heading) + 1  # right below the heading, first
    invite = reverse("organisation_detail", args=[authority.pk]) + "#invite-heading"
    assert invite in signoff
    # In-house wording: the authority's own people, never "the IT service provider".
    assert "Eine Person Ihrer Behörde erklärt die Umgebung als bereit" in words
    assert "Der IT-Dienstleister" not in words


def test_an_in_house_authority_with_two_people_gets_no_alone_notice(world: World) -> None:
    onboarding = make_onboarding(world.authority, None, world.authority_admin, slug="eigen")
    ready_for_test(onboarding, world.authority_admin)

    words = text(section(step_page(world.authority_staff, 3, "eigen")))
    assert "Diese Abnahme kann noch niemand freigeben" not in words
    assert "Eine andere Person Ihrer Behörde" in words


def test_after_an_invalidation_the_page_shows_what_changed_since_the_last_approval(
    world: World,
) -> None:
    onboarding = world.onboarding
    signed_off_test(onboarding, world.provider_staff, world.authority_staff)
    test_record = onboarding.environments.get(environment=TEST)
    test_record.encryption_kid = "enc-test-2"
    services.save_environment_record(test_record, world.provider_staff)  # invalidates
    assert not onboarding.signoffs.get().is_valid

    signoff = section(step_page(world.authority_staff, 3))
    words = text(signoff)
    assert "Seit der letzten Freigabe geändert" in words
    table = signoff[signoff.index("<table") : signoff.index("</table>")]
    assert re.search(
        r"Schlüssel-ID \(kid\) für Verschlüsselung\s*</th>\s*<td[^>]*>enc-test-1</td>"
        r"\s*<td[^>]*>enc-test-2<",
        table,
    ), table
    # What an approval would freeze now, not what the invalid one froze.
    assert "Die Werte, die eine Freigabe festschreibt" in words
    assert_no_internal_names(signoff)


def test_the_approver_is_told_why_an_approval_is_not_possible_on_an_outdated_check(
    world: World,
) -> None:
    onboarding = world.onboarding
    ready_for_test(onboarding, world.provider_staff)
    declare_ready(onboarding, TEST, world.provider_staff)
    VerificationRun.objects.filter(onboarding=onboarding).update(
        started_at=timezone.now() - timedelta(days=40)
    )

    signoff = section(step_page(world.authority_staff, 3))
    words = text(signoff)
    assert "Die Umgebung kann noch nicht freigegeben werden" in words
    assert "älter als 30 Tage" in words
    assert reverse("signoff_approve", args=[SLUG, "test"]) not in signoff
    assert reverse("signoff_return", args=[SLUG, "test"]) in signoff  # sending back still works
