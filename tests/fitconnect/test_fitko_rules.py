"""Checks that follow FITKO's definitions: reply channels and the production routing signature.

Sources: Submission API 1.1.3 ``ReplyChannel`` (fitconnect/sandbox/fitko-submission-api-1.1.3.yaml),
docs/fitko-facts.md §4, §6 and §12.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from fitconnect import demo
from fitconnect.checks import Target
from fitconnect.checks.destination import offered_channels
from fitconnect.checks.routing import trusted_issuer
from fitconnect.sandbox import Sandbox
from tests.fitconnect.test_checks import CREDENTIALS, EXPECTED, said, target, verify

RECORDED: dict[str, Any] = {
    "eMail": {"usePgp": False},
    "elster": {},
    "fitConnect": {"processStandards": ["urn:xoev-de:bmk:standard:xbau_2.4", "urn:xoev-de:x:y_1"]},
}
# The same offer as FITKO defines it: usePgp left out (nothing signalled), the process standards
# in another order, and a field FITKO does not define for elster.
CONFIGURED: dict[str, Any] = {
    "eMail": {},
    "elster": {"hinweis": "nur Bescheide"},
    "fitConnect": {"processStandards": ["urn:xoev-de:x:y_1", "urn:xoev-de:bmk:standard:xbau_2.4"]},
}


def _destination_offering(sandbox: Sandbox, destination_id: str, channels: dict[str, Any]) -> Any:
    """Return the expected data and credentials of a new sandbox destination with ``channels``."""
    keys = sandbox.keys
    sandbox.add_destination(
        destination_id=destination_id,
        services=[{**demo.SERVICES[0], "reply_channels": channels}],
        regions=demo.REGIONS,
        encryption_key=keys["encryption"].public,
        signature_key=keys["signature"].public,
    )
    client = f"subscriber-{destination_id[:8]}"
    sandbox.add_client(client, "reply-secret", role="subscriber", destinations=(destination_id,))
    service = replace(EXPECTED.services[0], reply_channels=RECORDED)
    expected = replace(EXPECTED, destination_id=destination_id, services=(service,))
    credentials = replace(CREDENTIALS, subscriber_id=client, subscriber_secret="reply-secret")
    return expected, credentials


def test_equivalent_reply_channels_are_no_mismatch(sandbox: Sandbox) -> None:
    expected, credentials = _destination_offering(
        sandbox, "5d0c6a2e-1f3b-4c8d-9e7a-2b4c6d8e0f1a", CONFIGURED
    )
    result = verify(sandbox, expected=expected, credentials=credentials).run_check("destination")
    assert result.status == "ok", said(result)
    assert all(row["match"] for row in result.evidence["diff"])


def test_a_different_reply_channel_offer_is_still_a_mismatch(sandbox: Sandbox) -> None:
    pgp = {**CONFIGURED, "eMail": {"usePgp": True}}
    expected, credentials = _destination_offering(
        sandbox, "6e1d7b3f-2a4c-4d9e-8f0b-3c5d7e9f1a2b", pgp
    )
    result = verify(sandbox, expected=expected, credentials=credentials).run_check("destination")
    assert result.status == "failed"
    assert "Antwortkanäle" in said(result)


def test_reply_channels_are_compared_by_kind_and_fitkos_identifying_fields() -> None:
    assert offered_channels(RECORDED) == offered_channels(CONFIGURED)
    assert offered_channels({"fink": {}}) != offered_channels({"deMail": {}})
    assert offered_channels({"fitConnect": {"processStandards": ["urn:a:b_1"]}}) != (
        offered_channels({"fitConnect": {"processStandards": []}})
    )


def _production(sandbox: Sandbox, **changes: Any) -> Target:
    """The sandbox as a production environment without an SSP JWKS address (as FITKO's)."""
    values: dict[str, Any] = {"environment": "production", "stage": "production"}
    return replace(target(sandbox.base), **(values | {"ssp_jwks_url": ""} | changes))


def test_production_signature_is_verified_with_the_keys_its_trusted_issuer_names(
    sandbox: Sandbox,
) -> None:
    prod = _production(sandbox, ssp_issuers=(f"{sandbox.base}/ssp",))
    result = verify(sandbox, prod).run_check("routing")
    assert result.status == "ok", said(result)
    assert "Signatur mit den Schlüsseln des Self-Service-Portals" in said(result)
    assert "nicht geprüft" not in said(result)
    assert all(route["signature_verified"] for route in result.evidence["routes"])


def test_production_signature_of_an_unknown_issuer_is_plainly_not_verified(
    sandbox: Sandbox,
) -> None:
    result = verify(sandbox, _production(sandbox)).run_check("routing")
    assert result.status == "warning"
    text = said(result)
    assert "Signatur wurde aber nicht geprüft" in str(result.message) + text
    assert f"{sandbox.base}/ssp" in text
    assert "kein Self-Service-Portal der FITKO" in text
    assert not any(route["signature_verified"] for route in result.evidence["routes"])


@pytest.mark.parametrize(
    ("iss", "trusted"),
    [
        ("https://portal.auth-testing.fit-connect.fitko.dev", True),  # TEST SSP, §1
        ("https://portal.auth-dev.fit-connect.fitko.dev", True),  # FITKO's example, §6
        ("https://portal.auth-prod.fit-connect.fitko.net", True),
        ("https://portal.auth-prod.fit-connect.fitko.net.example.org", False),
        ("http://portal.auth-prod.fit-connect.fitko.net", False),
        ("https://evil.example/portal.auth-prod.fit-connect.fitko.net", False),
        (None, False),
    ],
)
def test_only_fitkos_self_service_portals_may_name_their_jwks(
    sandbox: Sandbox, iss: Any, trusted: bool
) -> None:
    assert trusted_issuer(iss, _production(sandbox)) is trusted
