"""The key tool generates the two test key pairs; the validator explains every rule."""

from __future__ import annotations

import base64
import json
import re

from django.test import Client
from django.urls import reverse

from checklist.models import AuditEvent
from fitconnect import crypto
from tests.conftest import World


def test_generated_keys_follow_the_rules_and_private_keys_are_not_stored(world: World) -> None:
    client = Client()
    client.force_login(world.provider_staff)
    response = client.post(reverse("key_tool"), {"common_name": "Gewerbe Musterstadt Test"})
    html = response.content.decode()
    assert "no-store" in response["Cache-Control"]
    publics = re.findall(r'<textarea[^>]*id="public-(?:enc|sig)"[^>]*>(.*?)</textarea>', html, re.S)
    assert len(publics) == 2
    enc, sig = (json.loads(p.replace("&quot;", '"')) for p in publics)
    assert "d" not in enc
    assert "d" not in sig
    for key, purpose in ((enc, "encryption"), (sig, "signature")):
        findings = {
            f.rule: f.status for f in crypto.check_jwk(key, purpose, self_signed_allowed=True)
        }
        assert findings.pop("self_signed") == "ok"  # allowed in the test environment
        assert set(findings.values()) == {"ok"}
    download = re.search(r'href="data:application/jwk-set\+json;base64,([^"]+)"', html)
    assert download is not None
    private = json.loads(base64.b64decode(download.group(1)))
    assert [k["kid"] for k in private["keys"]] == [enc["kid"], sig["kid"]]
    assert all("d" in k for k in private["keys"])
    assert not AuditEvent.objects.filter(new_value__contains=private["keys"][0]["d"][:20]).exists()


def test_validator_checks_a_pasted_key_and_refuses_private_keys(world: World) -> None:
    public, private = crypto.generate_key_pair("signature", "Test", kid="sig-pasted-01")
    client = Client()
    client.force_login(world.authority_staff)
    ok = client.post(
        reverse("jwk_validator"),
        {"jwk": json.dumps(public), "purpose": "signature", "self_signed_allowed": "on"},
    ).content.decode()
    assert "Der Modulus hat 4096 Bit." in ok
    wrong = client.post(
        reverse("jwk_validator"), {"jwk": json.dumps(public), "purpose": "encryption"}
    ).content.decode()
    assert "Der Algorithmus (alg) ist PS512; erwartet: RSA-OAEP-256." in wrong
    assert "Die Schlüsseloperationen (key_ops) sind verify; erwartet: wrapKey." in wrong
    assert "selbst signiert" in wrong
    for internal in ("None", "['", "'PS512'"):
        assert internal not in wrong
    refused = client.post(
        reverse("jwk_validator"), {"jwk": json.dumps(private), "purpose": "signature"}
    ).content.decode()
    assert "einen privaten Schlüssel eingefügt" in refused
    assert 'id="id_jwk_error"' in refused
    garbage = client.post(reverse("jwk_validator"), {"jwk": "{kein json", "purpose": "signature"})
    assert 'id="id_jwk_error"' in garbage.content.decode()
