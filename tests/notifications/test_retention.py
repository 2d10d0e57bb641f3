"""Retention: each rule removes exactly what it names, counts it, and leaves what a running
onboarding still needs."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.management import call_command
from django.utils import timezone

from api.models import IdempotencyRecord
from checklist.audit import audit
from checklist.models import ArchiveCopy, AuditEvent, Environment, Onboarding
from checklist.signoff import approve, declare_ready
from notifications import retention
from notifications.jobs import run_all
from notifications.models import Kind, Notification
from portal.models import ApiToken, InactivityReminder, User
from tests.checklist.helpers import record, signed_off_test, tick_step
from tests.conftest import World, make_onboarding

YEAR = timedelta(days=365)


def finish(world: World) -> Onboarding:
    """The world's onboarding through all three sign-offs, by the services."""
    onboarding = world.onboarding
    signed_off_test(onboarding, world.provider_staff, world.authority_staff)
    record(onboarding, Environment.REFERENCE)
    tick_step(onboarding, 4, world.provider_staff)
    declare_ready(onboarding, Environment.REFERENCE, world.provider_staff)
    approve(onboarding, Environment.REFERENCE, world.authority_admin)
    record(onboarding, Environment.PRODUCTION)
    for field in ("technical", "organisational"):
        setattr(onboarding, f"{field}_name", "Kim Kontakt")
        setattr(onboarding, f"{field}_email", "kim@musterstadt.example")
    onboarding.save()
    tick_step(onboarding, 5, world.authority_admin)
    declare_ready(onboarding, Environment.PRODUCTION, world.provider_staff)
    approve(onboarding, Environment.PRODUCTION, world.authority_staff)
    return onboarding


def token(world: World, name: str, expires_at: datetime) -> ApiToken:
    created, _plain = ApiToken.create(
        organisation=world.provider,
        name=name,
        scopes=[],
        valid_days=1,
        created_by=world.provider_staff,
    )
    ApiToken.objects.filter(pk=created.pk).update(expires_at=expires_at)
    return created


def notification(user: User, onboarding: Onboarding, read_at: datetime | None) -> Notification:
    return Notification.objects.create(
        recipient=user, kind=Kind.SIGNOFF_APPROVED, onboarding=onboarding, read_at=read_at
    )


def test_a_retention_run_removes_exactly_what_its_rules_name_and_counts_each(
    world: World,
) -> None:
    finished = finish(world)
    running = make_onboarding(world.authority, world.provider, world.authority_admin, slug="neu")
    now = timezone.now() + 11 * YEAR  # the finished one's approval is past its ten years
    # API tokens: one long expired and named nowhere, one long expired but named in the
    # running onboarding's Protokoll, one still valid.
    gone = token(world, "Alt", now - 100 * timedelta(days=1))
    named = token(world, "Pipeline", now - 100 * timedelta(days=1))
    audit(running, named, AuditEvent.Action.NOTE_CHANGED, "item:step2.client", new="x")
    valid = token(world, "Neu", now + timedelta(days=30))
    # Idempotency records: one past its 24 hours, one fresh.
    IdempotencyRecord.objects.create(token=valid, key="alt", fingerprint="a")
    IdempotencyRecord.objects.create(token=valid, key="frisch", fingerprint="b")
    IdempotencyRecord.objects.filter(key="alt").update(created_at=now - timedelta(hours=25))
    IdempotencyRecord.objects.filter(key="frisch").update(created_at=now - timedelta(hours=1))
    # Notifications: read long ago (goes), unread (stays), read recently (stays).
    old_read = notification(world.authority_staff, running, now - 200 * timedelta(days=1))
    unread = notification(world.authority_staff, running, None)
    recent = notification(world.authority_staff, running, now - timedelta(days=2))
    people = User.objects.filter(is_active=True, is_staff=False, is_superuser=False).count()

    lines = [line.text for line in retention.apply(now)]

    assert lines == [
        "Expired API tokens removed: 1 (kept because the Protokoll names them: 1)",
        "Idempotency records removed: 1",
        "Read notifications removed: 1",
        "Request logs removed: 0 (the portal stores none; they go to standard output)",
        "Finished onboardings archived and removed: 1",
        "Archive copies past their period removed: 0",
        f"Inactive accounts reminded: {people}, deactivated after a reminder: 0",
        "People who left anonymised: 0",
    ]
    assert not ApiToken.objects.filter(pk=gone.pk).exists()
    assert ApiToken.objects.filter(pk__in=[named.pk, valid.pk]).count() == 2
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["frisch"]
    assert set(Notification.objects.filter(onboarding=running).values_list("pk", flat=True)) == {
        unread.pk,
        recent.pk,
    }
    assert not Notification.objects.filter(pk=old_read.pk).exists()
    # The finished onboarding is gone, archived first; its archive copy stays.
    assert not Onboarding.objects.filter(pk=finished.pk).exists()
    copy = ArchiveCopy.objects.get(reason=ArchiveCopy.Reason.REMOVAL)
    assert (copy.onboarding_id, copy.onboarding_slug) == (None, "musterstadt-gewerbe")
    # The running onboarding keeps everything it needs: itself, its Protokoll, its token.
    assert Onboarding.objects.filter(pk=running.pk).exists()
    assert AuditEvent.objects.filter(onboarding=running, api_token=named).exists()

    # A month later: who signed in since is left alone, the others are deactivated.
    User.objects.filter(pk=world.authority_admin.pk).update(last_login=now + timedelta(days=1))
    later = now + timedelta(days=31)
    assert retention.inactive_accounts(later).text == (
        f"Inactive accounts reminded: 0, deactivated after a reminder: {people - 1}"
    )
    world.authority_admin.refresh_from_db()
    assert world.authority_admin.is_active
    assert (
        not User.objects.filter(is_active=True, is_staff=False)
        .exclude(pk=world.authority_admin.pk)
        .exclude(is_superuser=True)
        .exists()
    )
    assert not InactivityReminder.objects.exists()


def test_nothing_of_a_running_onboarding_goes_however_old(world: World) -> None:
    """Not signed off in production: not finished, whatever its age."""
    signed_off_test(world.onboarding, world.provider_staff, world.authority_staff)
    now = timezone.now() + 50 * YEAR
    lines = [line.text for line in retention.apply(now)]
    assert "Finished onboardings archived and removed: 0" in lines
    assert Onboarding.objects.filter(pk=world.onboarding.pk).exists()
    assert world.onboarding.audit_events.exists()


def test_the_scheduled_jobs_apply_retention_once_a_day_and_the_command_prints_each_rule(
    world: World, capsys: object
) -> None:
    now = timezone.now()
    assert run_all(now)["retention"] == 1
    assert run_all(now + timedelta(minutes=15))["retention"] == 0
    call_command("apply_retention")
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert out.count("\n") == 8
    assert "Finished onboardings archived and removed: 0" in out
