"""``manage.py verify_audit``: walk every onboarding's Protokoll chain and name what broke.

Prints one line per onboarding whose chain does not match, naming its first entry that
does not (the onboarding, the entry's date and who made it, in words), then a summary
line; exits with status 1 if any chain is broken. See ``checklist.audit_chain``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from checklist.audit import describe_actor
from checklist.audit_chain import walk
from checklist.models import AuditEvent


def describe(event: AuditEvent, problem: str) -> str:
    when = timezone.localtime(event.created_at).strftime("%d.%m.%Y %H:%M:%S")
    who = describe_actor(event) or "das Portal"
    what = (
        "sein Inhalt passt nicht mehr zu seinem Hash (nachträglich geändert)"
        if problem == "content"
        else "er folgt nicht auf den Eintrag davor (ein Eintrag davor fehlt oder wurde eingefügt)"
    )
    return (
        f"Vorhaben „{event.onboarding.name}“ ({event.onboarding.slug}): der Eintrag vom "
        f"{when} von {who} („{event.get_action_display()}“) – {what}."
    )


class Command(BaseCommand):
    help = "Check every onboarding's Protokoll chain; name the first entry that does not match."

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override("de"):
            chains: set[int] = set()
            broken: set[int] = set()
            entries = 0
            for event, problem in walk():
                entries += 1
                chains.add(event.onboarding_id)
                if problem and event.onboarding_id not in broken:
                    broken.add(event.onboarding_id)
                    self.stdout.write(describe(event, problem))
            summary = f"{len(chains)} Protokolle mit {entries} Einträgen geprüft: " + (
                f"{len(broken)} verändert." if broken else "alle unverändert."
            )
        if broken:
            self.stdout.write(summary)
            raise CommandError("Das Protokoll wurde verändert.", returncode=1)
        self.stdout.write(summary)
