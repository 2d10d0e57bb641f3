"""The demo's identity provider: tests/idp/server.mjs (npm oidc-provider), which `make run`
starts beside the portal where Node.js is installed, with its demo staff mapped to the
demo's organisations. Safe to run any number of times."""

from __future__ import annotations

from checklist.demo_land import OFFICE_SLUG
from portal.models import Membership, Organisation
from sso.models import ClaimMapping, IdentityProvider

DEMO_CLIENT_ID = "anbindungsportal"
DEMO_CLIENT_SECRET = "demo-dienstkonto-geheimnis-2026"  # noqa: S105 - server.mjs's default
# Group claim values of server.mjs's accounts → organisation (slug) and role.
DEMO_GROUPS = [
    ("musterstadt-admins", "stadt-musterstadt", Membership.Role.ADMIN),
    ("musterstadt-staff", "stadt-musterstadt", Membership.Role.STAFF),
    ("kommunal-it-staff", "kommunal-it", Membership.Role.STAFF),
    ("land-koordinierung", OFFICE_SLUG, Membership.Role.ADMIN),
]


def seed_identity_provider(issuer: str) -> IdentityProvider:
    provider, _created = IdentityProvider.objects.update_or_create(
        client_id=DEMO_CLIENT_ID,
        name="Dienstkonto Land Hessen (Demo)",
        defaults={
            "issuer": issuer.rstrip("/"),
            "scopes": "openid email profile groups",
            "organisation_claim": "groups",
            "strong_amr": "otp hwk mfa",
        },
    )
    provider.set_client_secret(DEMO_CLIENT_SECRET)
    provider.save()
    for value, slug, role in DEMO_GROUPS:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is not None:
            ClaimMapping.objects.update_or_create(
                provider=provider, value=value, organisation=organisation, defaults={"role": role}
            )
    return provider
