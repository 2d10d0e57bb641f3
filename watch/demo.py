"""The watch's demo: three onboardings of Stadt Musterstadt live in production and watched
against the local sandbox, which serves a Zustellpunkt for each (``fitconnect.demo``): one
in order, one whose key's certificate expires in 20 days, one with a submission waiting
for pickup for 10 days.

They go through the five steps as the demo's other onboardings do (Production signed off
on hand evidence, which the demo allows: ``checklist.demo.take_live``). The Betrieb page
names the watched environment, the sandbox, so nobody takes them for FITKO's production.
The first check runs once the sandbox answers (``manage.py watch_cycle --due-now``, which
``make run`` calls).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from checklist import services, summary, verification
from checklist.demo import (
    CONTACTS,
    allow_hand_evidence_for_production,
    ensure_sandbox_environment,
    take_live,
)
from checklist.models import EnvironmentRecord, Onboarding
from fitconnect import demo
from portal.models import Organisation, User
from watch.models import WatchDestination

SANDBOX = "sandbox"
ONBOARDINGS = {
    "green": ("musterstadt-parken-innenstadt", "Bewohnerparken Innenstadt"),
    "amber": ("musterstadt-parken-altstadt", "Bewohnerparken Altstadt"),
    "red": ("musterstadt-parken-hafen", "Bewohnerparken Hafen"),
}


def seed_watch(
    authority: Organisation, provider: Organisation, clara: User, anna: User, base: str
) -> list[Onboarding]:
    """Create the three live onboardings (once) and watch them against the sandbox."""
    environment = ensure_sandbox_environment(base)
    urls = demo.sandbox_urls(base)
    made = []
    for name, (slug, title) in ONBOARDINGS.items():
        onboarding = Onboarding.objects.filter(slug=slug).first()
        if onboarding is None:
            onboarding = services.create_onboarding(
                Onboarding(
                    authority=authority, provider=provider, slug=slug, name=title, **CONTACTS
                ),
                anna,
            )
            allow_hand_evidence_for_production()
            service = demo.WATCH_SERVICE
            take_live(
                onboarding,
                {
                    "key": service["key"],
                    "name": service["name"],
                    "schema_kind": "fim",
                    "schema_uri": service["schema_uri"],
                    "mime_type": service["mime_type"],
                    "reply_email": True,
                    "email_pgp": True,
                },
                clara,
                anna,
            )
            EnvironmentRecord.objects.create(
                onboarding=onboarding,
                environment=SANDBOX,
                client_id=demo.WATCH_SUBSCRIBER_CLIENT_ID,
                destination_id=demo.WATCH_DESTINATIONS[name],
                encryption_kid=demo.ENCRYPTION_KID,
                signature_kid=demo.SIGNATURE_KID,
                callback_url=urls["callback_url"],
            )
            verification.store_secret(
                onboarding, SANDBOX, "subscriber", demo.WATCH_SUBSCRIBER_CLIENT_SECRET, clara
            )
            summary.store(onboarding)
        # The secret follows the sandbox to its address (make run SANDBOX_PORT=…).
        onboarding.secrets.filter(environment=SANDBOX).update(bound_hosts=environment.secret_hosts)
        EnvironmentRecord.objects.filter(onboarding=onboarding, environment=SANDBOX).update(
            callback_url=urls["callback_url"]
        )
        # Checked first once the sandbox answers, not by the scheduled jobs run before it.
        WatchDestination.objects.update_or_create(
            onboarding=onboarding,
            defaults={
                "environment": SANDBOX,
                "next_check_at": timezone.now() + timedelta(minutes=10),
            },
        )
        made.append(onboarding)
    return made
