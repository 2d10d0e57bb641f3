"""A live onboarding watched against the test sandbox: its own Zustellpunkt and client."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.utils import timezone

from checklist import summary
from checklist.models import EnvironmentRecord, Leistung, Onboarding, SignOff
from checklist.verification import store_secret
from fitconnect import demo
from fitconnect.sandbox import Sandbox, urls
from tests.checklist.test_verification import point_sandbox_at
from tests.conftest import World
from watch.models import WatchDestination


def make_live(
    world: World,
    sandbox: Sandbox,
    onboarding: Onboarding | None = None,
    *,
    encryption_key: dict[str, object] | None = None,
    store_credentials: bool = True,
    now: datetime | None = None,
) -> tuple[WatchDestination, str]:
    """Give the onboarding a Zustellpunkt of its own in the sandbox and watch it there.

    Returns the watched destination and the Zustellpunkt's id.
    """
    point_sandbox_at(sandbox.base)
    onboarding = onboarding or world.onboarding
    destination_id = str(uuid.uuid4())
    client_id, secret = f"watch-{destination_id[:8]}", f"secret-{uuid.uuid4()}"
    keys = sandbox.keys
    sandbox.add_destination(
        destination_id=destination_id,
        services=[demo.WATCH_SERVICE],
        regions=demo.REGIONS,
        encryption_key=encryption_key or keys["encryption"].public,
        signature_key=keys["signature"].public,
    )
    sandbox.add_client(client_id, secret, role="subscriber", destinations=[destination_id])
    onboarding.leistungen.all().delete()
    service = demo.WATCH_SERVICE
    Leistung.objects.create(
        onboarding=onboarding,
        key=service["key"],
        name=service["name"],
        schema_kind="fim",
        schema_uri=service["schema_uri"],
        mime_type=service["mime_type"],
        regions=list(demo.REGIONS),
        reply_email=True,
        email_pgp=True,
    )
    onboarding.metadata_versions = list(demo.METADATA_VERSIONS)
    onboarding.save()
    EnvironmentRecord.objects.create(
        onboarding=onboarding,
        environment="sandbox",
        client_id=client_id,
        destination_id=destination_id,
        encryption_kid=str((encryption_key or keys["encryption"].public)["kid"]),
        signature_kid=demo.SIGNATURE_KID,
        callback_url=urls(sandbox.base)["callback_url"],
    )
    if store_credentials:
        store_secret(onboarding, "sandbox", "subscriber", secret, world.provider_staff)
    SignOff.objects.create(
        onboarding=onboarding,
        environment="production",
        state=SignOff.State.APPROVED,
        declared_by=world.provider_staff,
        declared_at=now or timezone.now(),
        decided_by=world.authority_admin,
        decided_at=now or timezone.now(),
    )
    summary.store(onboarding)
    watched = WatchDestination.objects.create(
        onboarding=onboarding,
        environment="sandbox",
        next_check_at=(now or timezone.now()) - timedelta(minutes=1),
    )
    return watched, destination_id
