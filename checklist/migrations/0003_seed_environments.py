"""Seed the FIT-Connect environments with the public URLs from the domain brief §2.

Site operators change them in the admin when FITKO moves a host. The local sandbox is
not seeded here: ``seed_demo`` defines it for the demo.
"""

from django.db import migrations

ENVIRONMENTS = [
    {
        "key": "test",
        "token_url": "https://auth-testing.fit-connect.fitko.dev/token",
        "submission_base": "https://submission-api-testing.fit-connect.fitko.dev",
        "api_prefix": "/v1",
        "routing_base": "https://routing-api-testing.fit-connect.fitko.dev",
        "ssp_jwks_url": "https://portal.auth-testing.fit-connect.fitko.dev/.well-known/jwks.json",
        "self_signed_allowed": True,
        "test_submission_allowed": True,
        "notes": "Submission API host and SSP JWKS: official. Token URL: used by every SDK "
        "(official page not readable).",
    },
    {
        "key": "reference",
        "token_url": "https://auth-refz.fit-connect.fitko.net/token",
        "submission_base": "https://stage.fit-connect.fitko.net/submission-api",
        "api_prefix": "/v1",
        "routing_base": "https://routing-api-testing.fit-connect.fitko.dev",
        "ssp_jwks_url": "",
        "self_signed_allowed": False,
        "test_submission_allowed": True,
        "notes": "Unverified (3rd-party) hosts. No own Routing API: the test routing is used. "
        "SSP JWKS unknown.",
    },
    {
        "key": "production",
        "token_url": "https://auth-prod.fit-connect.fitko.net/token",
        "submission_base": "https://prod.fit-connect.fitko.net/submission-api",
        "api_prefix": "/v1",
        "routing_base": "https://routing-api-prod.fit-connect.fitko.net",
        "ssp_jwks_url": "",
        "self_signed_allowed": False,
        "test_submission_allowed": False,
        "notes": "Token and Submission API hosts unverified (3rd-party); Routing API official. "
        "SSP JWKS unknown.",
    },
]


def seed(apps, schema_editor):
    model = apps.get_model("checklist", "FitConnectEnvironment")
    for values in ENVIRONMENTS:
        model.objects.update_or_create(key=values["key"], defaults=values)


class Migration(migrations.Migration):
    dependencies = [("checklist", "0002_fitconnect")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
