"""Every change the watch's pages make: outages recorded, Zustellpunkte confirmed deactivated."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from checklist.audit import audit
from checklist.models import AuditEvent, Onboarding
from portal.models import User
from watch.models import Outage


def _outage_values(outage: Outage) -> dict[str, str]:
    """The outage as the Protokoll stores it: kind and days, raw."""
    return {
        "kind": outage.kind,
        "from": outage.starts_on.isoformat(),
        "until": outage.ends_on.isoformat() if outage.ends_on else "",
    }


@transaction.atomic
def record_outage(outage: Outage, onboarding: Onboarding, user: User) -> Outage:
    """Save an outage the provider's side recorded (validated by ``OutageForm``), in the
    Protokoll too."""
    outage.onboarding = onboarding
    outage.recorded_by = user
    outage.save()
    audit(
        onboarding,
        user,
        AuditEvent.Action.OUTAGE_RECORDED,
        f"outage:{outage.pk}",
        new=_outage_values(outage),
    )
    return outage


@transaction.atomic
def confirm_deactivated(onboarding: Onboarding, pk: int, user: User) -> Outage:
    """Record that the Zustellpunkt was deactivated for the outage; once, by the first."""
    outage = Outage.objects.select_for_update().filter(onboarding=onboarding, pk=pk).first()
    if outage is None:
        raise Http404
    if outage.deactivated_at is None:
        outage.deactivated_at = timezone.now()
        outage.deactivated_by = user
        outage.save(update_fields=["deactivated_at", "deactivated_by"])
        audit(
            onboarding,
            user,
            AuditEvent.Action.OUTAGE_DEACTIVATED,
            f"outage:{outage.pk}",
            new=_outage_values(outage),
        )
    return outage
