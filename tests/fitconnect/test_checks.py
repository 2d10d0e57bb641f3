"""The seven checks run with the real httpx client against the sandbox over loopback HTTP."""

from __future__ import annotations

import base64
import json
import logging
import re
import socket
from dataclasses import replace
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30Validator

from fitconnect import demo
from fitconnect.checks import (
    CHECK_ORDER,
    REGISTRY,
    Credentials,
    Expected,
    ExpectedService,
    Outcome,
    RunContext,
    Target,
    Verification,
)
from fitconnect.checks.base import CheckResult
from fitconnect.messages import render
from fitconnect.sandbox import Sandbox, urls

EXPECTED = Expected(
    destination_id=demo.DESTINATION_ID,
    encryption_kid=demo.ENCRYPTION_KID,
    signature_kid=demo.SIGNATURE_KID,
    callback_url="",
    services=tuple(
        ExpectedService(
            key=s["key"],
            name=s["name"],
            schema_uri=s["schema_uri"],
            mime_type=s["mime_type"],
            regions=tuple(demo.REGIONS),
            reply_channels=s["reply_channels"],
        )
        for s in demo.SERVICES
    ),
    metadata_versions=tuple(demo.METADATA_VERSIONS),
)
CREDENTIALS = Credentials(
    subscriber_id=demo.SUBSCRIBER_CLIENT_ID,
    subscriber_secret=demo.SUBSCRIBER_CLIENT_SECRET,
    sender_id=demo.SENDER_CLIENT_ID,
    sender_secret=demo.SENDER_CLIENT_SECRET,
    callback_secret=demo.CALLBACK_SECRET,
)


def said(result: CheckResult) -> str:
    """Return what a result tells a person (message and details), in the active language."""
    return " ".join([str(result.message), *map(str, result.details)])


def fix_texts(result: CheckResult) -> list[dict[str, str]]:
    return [{"text": str(fix["text"]), "url": fix["url"]} for fix in result.fixes]


def target(base: str, **changes: Any) -> Target:
    """Return the sandbox as a FIT-Connect environment, with some settings changed."""
    plain = urls(base)
    values: dict[str, Any] = {
        "environment": "sandbox",
        "label": "Sandbox",
        "token_url": plain["token_url"],
        "submission_base": plain["submission_base"],
        "routing_base": plain["routing_base"],
        "ssp_jwks_url": plain["ssp_jwks_url"],
        "self_signed_allowed": True,
        "allow_private_addresses": True,
    }
    return Target(**(values | changes))


def verify(
    sandbox: Sandbox, t: Target | None = None, expected: Expected = EXPECTED, **options: Any
) -> Verification:
    callback = urls(sandbox.base)["callback_url"]
    return Verification(
        target=t or target(sandbox.base),
        expected=replace(expected, callback_url=expected.callback_url or callback),
        credentials=options.pop("credentials", CREDENTIALS),
        submission_timeout=options.pop("submission_timeout", 10),
        poll_interval=0.1,
        **options,
    )


def faulty(sandbox: Sandbox, fault: str, *names: str) -> Target:
    """Return a target whose named endpoints go through the sandbox's fault prefix."""
    plain = urls(sandbox.base)
    broken = urls(f"{sandbox.base}/fault/{fault}")
    values = {
        k: broken[k] if k in names else plain[k]
        for k in ("token_url", "submission_base", "routing_base", "ssp_jwks_url")
    }
    return Target(
        environment="sandbox",
        label="Sandbox",
        self_signed_allowed=True,
        allow_private_addresses=True,
        **values,
    )


def test_a_full_run_against_the_sandbox_passes_all_seven_checks(sandbox: Sandbox) -> None:
    results = list(verify(sandbox).run())
    assert [r.check for r in results] == list(CHECK_ORDER)
    assert {r.check: r.status for r in results} == dict.fromkeys(CHECK_ORDER, "ok"), [
        (r.check, said(r)) for r in results if r.status != "ok"
    ]
    by_name = {r.check: r for r in results}
    assert by_name["token"].evidence["lifetime_s"] == 1800
    assert by_name["token"].evidence["status"] == 200
    assert all(row["match"] for row in by_name["destination"].evidence["diff"])
    events = [e["event"] for e in by_name["submission"].evidence["events"]]
    assert events == ["create-submission", "submit-submission", "accept-submission"]
    assert by_name["submission"].evidence["submission_id"]
    assert len(by_name["callback"].evidence["callbacks"]) == 3
    for result in results:
        assert "duration_ms" in str(result.evidence) or result.check == "keys"
    assert all(result.fixes == [] for result in results)  # nothing to fix


def test_secrets_never_appear_in_results(sandbox: Sandbox) -> None:
    text = repr([r.as_dict() for r in verify(sandbox).run()])
    for secret in (demo.SUBSCRIBER_CLIENT_SECRET, demo.SENDER_CLIENT_SECRET, demo.CALLBACK_SECRET):
        assert secret not in text
    assert "access_token" not in text


def test_wrong_client_secret_gives_401_message(sandbox: Sandbox) -> None:
    result = verify(
        sandbox, credentials=replace(CREDENTIALS, subscriber_secret="falsch")
    ).run_check("token")
    assert result.status == "failed"
    assert "Anmeldung abgelehnt (HTTP 401)" in said(result)
    assert result.conclusive  # FIT-Connect answered: the client's secret is wrong
    assert fix_texts(result) == [
        {
            "text": "Prüfen Sie im Self-Service-Portal die Client-ID und das Client-Secret für "
            "den Subscriber-Client.",
            "url": "https://docs.fitko.de/fit-connect/docs/getting-started/account/",
        }
    ]


@pytest.mark.parametrize(
    ("fault", "names", "check", "text"),
    [
        ("401", ("token_url",), "token", "HTTP 401"),
        ("403", ("submission_base",), "destination", "Zugriff verweigert (HTTP 403)"),
        ("404", ("submission_base",), "destination", "Nicht gefunden (HTTP 404)"),
        ("500", ("submission_base",), "destination", "internen Fehler gemeldet (HTTP 500)"),
        ("429", ("token_url",), "token", "Zu viele Anfragen (HTTP 429)"),
        ("html", ("submission_base",), "destination", "HTML-Seite"),
        ("html-200", ("token_url",), "token", "HTML-Seite"),
        ("malformed", ("submission_base",), "destination", "kein gültiges JSON"),
        ("wrong-shape", ("submission_base",), "destination", "nicht den erwarteten Aufbau"),
        ("huge", ("submission_base",), "jwks", "größer als 1 MB"),
        ("close", ("token_url",), "token", "ohne gültige Antwort beendet"),
        (
            "wrong-key",
            ("submission_base",),
            "keys",
            "Mindestens ein Schlüssel erfüllt die Vorgaben nicht",
        ),
        ("bad-set", ("submission_base",), "submission", "Signatur des Tokens ist ungültig"),
        ("reject", ("submission_base",), "submission", "zurückgewiesen (reject-submission)"),
        ("inactive", ("submission_base",), "destination", "(Abweichungen: 1)"),
        ("no-route", ("routing_base",), "routing", "noch nicht vollständig"),
    ],
)
def test_every_fault_gives_a_clear_german_message(
    sandbox: Sandbox, fault: str, names: tuple[str, ...], check: str, text: str
) -> None:
    result = verify(sandbox, faulty(sandbox, fault, *names)).run_check(check)
    assert result.status in ("failed", "warning")
    assert text in said(result), said(result)


def test_an_empty_route_in_test_explains_the_manual_entry(sandbox: Sandbox) -> None:
    result = verify(sandbox, faulty(sandbox, "no-route", "routing_base")).run_check("routing")
    assert result.status == "warning"
    assert "fit-connect-support@fjd.de" in said(result)
    prod = replace(
        faulty(sandbox, "no-route", "routing_base"), environment="production", stage="production"
    )
    assert verify(sandbox, prod).run_check("routing").status == "failed"


@pytest.mark.parametrize(("stage", "status"), [("reference", "warning"), ("production", "failed")])
def test_a_missing_route_is_a_warning_only_where_fitko_enters_routes_by_hand(
    sandbox: Sandbox, stage: str, status: str
) -> None:
    # The environment key is the portal's ("sandbox"); the stage decides the rule. The
    # reference stage uses the test routing, whose entries FITKO's support makes by hand.
    target = replace(faulty(sandbox, "no-route", "routing_base"), stage=stage)
    result = verify(sandbox, target).run_check("routing")
    assert result.status == status
    assert ("fit-connect-support@fjd.de" in said(result)) == (stage == "reference")


def test_an_unknown_stage_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="stage"):
        replace(target(sandbox.base), stage="sandbox")


def test_a_slow_service_times_out_within_the_check_limit(sandbox: Sandbox) -> None:
    result = verify(sandbox, faulty(sandbox, "slow-5", "token_url"), check_timeout=1.5).run_check(
        "token"
    )
    assert result.status == "failed"
    assert "Zeitüberschreitung" in said(result)
    assert not result.conclusive  # no answer proves nothing about the connection
    assert result.evidence["check_duration_ms"] < 4000


def test_connection_refused_and_tls_errors(sandbox: Sandbox) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = replace(target(sandbox.base), token_url=f"http://127.0.0.1:{port}/token")
    result = verify(sandbox, refused).run_check("token")
    assert "Verbindung abgelehnt" in said(result)
    assert not result.conclusive
    tls = replace(
        target(sandbox.base), token_url=sandbox.base.replace("http://", "https://") + "/token"
    )
    result = verify(sandbox, tls).run_check("token")
    assert "TLS-Verbindung" in said(result)
    assert not result.conclusive


def test_recorded_values_that_differ_are_listed_field_by_field(sandbox: Sandbox) -> None:
    service = replace(
        EXPECTED.services[0],
        schema_uri="https://schema.fitko.de/fim/s00000114_1.1.schema.json",
        reply_channels={},
    )
    expected = replace(
        EXPECTED, services=(service, *EXPECTED.services[1:]), metadata_versions=("2.1.0",)
    )
    result = verify(sandbox, expected=expected).run_check("destination")
    assert result.status == "failed"
    fields = {str(row["field"]) for row in result.evidence["diff"] if not row["match"]}
    assert fields == {
        "Leistung 99050012104000: Schema",
        "Leistung 99050012104000: Antwortkanäle",
        "Metadatenversionen",
    }
    text = said(result)
    assert "Antwortkanäle: erfasst Brief – im Zustellpunkt E-Mail (PGP-verschlüsselt), ELSTER" in (
        text
    )
    assert "Metadatenversionen: erfasst 2.1.0 – im Zustellpunkt 1.2.0, 1.3.0, 1.5.0" in text
    for internal in ("None", "[", "{", "metadataVersions", "usePgp"):
        assert internal not in text, text


def test_production_never_sends_a_test_submission(sandbox: Sandbox) -> None:
    prod = replace(target(sandbox.base), environment="production", test_submission_allowed=False)
    result = verify(sandbox, prod).run_check("submission")
    assert result.status == "skipped"
    assert "Produktivumgebung" in said(result)


def test_self_signed_keys_pass_in_test_and_fail_where_forbidden(sandbox: Sandbox) -> None:
    # The sandbox's keys are CA-issued; a self-signed destination shows the rule.
    from fitconnect import crypto

    public_enc, private_enc = crypto.generate_key_pair("encryption", "Selbst", kid="self-enc-0001")
    public_sig, private_sig = crypto.generate_key_pair("signature", "Selbst", kid="self-sig-0001")
    destination = "0b6f0d3e-9a56-4b0e-8d6e-7c1e2f3a4b5c"
    sandbox.add_destination(
        destination_id=destination,
        services=demo.SERVICES,
        regions=demo.REGIONS,
        encryption_key=public_enc,
        signature_key=public_sig,
        encryption_private_key=private_enc,
        signature_private_key=private_sig,
    )
    sandbox.add_client(
        "self-subscriber", "self-secret", role="subscriber", destinations=(destination,)
    )
    expected = replace(
        EXPECTED,
        destination_id=destination,
        encryption_kid="self-enc-0001",
        signature_kid="self-sig-0001",
    )
    creds = replace(CREDENTIALS, subscriber_id="self-subscriber", subscriber_secret="self-secret")
    # FITKO: "Für die Test-Umgebung … sind keine Zertifikate der Verwaltungs-PKI erforderlich".
    assert verify(sandbox, expected=expected, credentials=creds).run_check("keys").status == "ok"
    strict = replace(target(sandbox.base), self_signed_allowed=False)
    assert (
        verify(sandbox, strict, expected=expected, credentials=creds).run_check("keys").status
        == "failed"
    )


def test_a_callback_that_answers_2xx_to_tampered_calls_passes_but_says_what_is_unseen(
    sandbox: Sandbox,
) -> None:
    # FITKO: invalid callbacks "MÜSSEN ignoriert werden", no status is prescribed; a 2xx may
    # mean "ignored", and whether it processed the call cannot be seen from outside.
    accepting = f"{sandbox.base}/fault/html-200/fachverfahren/callback"
    result = verify(sandbox, expected=replace(EXPECTED, callback_url=accepting)).run_check(
        "callback"
    )
    assert result.status == "ok"
    lines = [str(line) for line in result.details]
    assert len(lines) == 2
    assert all("von außen nicht zu erkennen" in line for line in lines), lines


@pytest.mark.parametrize(("fault", "status"), [("401", "failed"), ("500", "failed")])
def test_a_callback_must_answer_a_valid_call_with_2xx(
    sandbox: Sandbox, fault: str, status: str
) -> None:
    refusing = f"{sandbox.base}/fault/{fault}/fachverfahren/callback"
    result = verify(sandbox, expected=replace(EXPECTED, callback_url=refusing)).run_check(
        "callback"
    )
    assert result.status == status
    assert f"gültig signiert: HTTP {fault}" in said(result)


def test_a_callback_answering_202_and_refusing_forgeries_passes(sandbox: Sandbox) -> None:
    result = verify(sandbox).run_check("callback")
    assert result.status == "ok"
    assert [c["status"] for c in result.evidence["callbacks"]] == [200, 401, 401]


def test_callback_to_private_addresses_is_refused_unless_allowed(sandbox: Sandbox) -> None:
    strict = replace(target(sandbox.base), allow_private_addresses=False)
    result = verify(sandbox, strict).run_check("callback")
    assert result.status == "failed"
    assert "interne Adresse" in said(result)


def test_missing_sender_credentials_skip_the_submission(sandbox: Sandbox) -> None:
    result = verify(
        sandbox, credentials=replace(CREDENTIALS, sender_id="", sender_secret="")
    ).run_check("submission")
    assert result.status == "skipped"


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyError("encryptionKid")])
def test_an_unexpected_error_fails_only_its_check_with_a_reference(
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
) -> None:
    def broken(ctx: RunContext) -> Outcome:
        raise error

    monkeypatch.setitem(REGISTRY, "keys", replace(REGISTRY["keys"], run=broken))
    with caplog.at_level(logging.ERROR, logger="fitconnect.checks"):
        results = list(verify(sandbox).run())
    assert [r.check for r in results] == list(CHECK_ORDER)
    by_name = {r.check: r for r in results}
    keys = by_name.pop("keys")
    assert keys.status == "failed"
    reference = keys.evidence["reference"]
    assert keys.fixes == []  # a bug in the portal: nothing the user can fix
    assert re.fullmatch(r"[0-9a-f]{8}", reference)
    assert str(keys.message) == (
        f"Diese Prüfung wurde wegen eines unerwarteten Fehlers abgebrochen. Referenz: {reference}"
    )
    assert not keys.conclusive  # a bug in the portal reopens nothing
    assert {r.status for r in by_name.values()} == {"ok"}  # the other checks still ran
    (record,) = [r for r in caplog.records if r.name == "fitconnect.checks"]
    assert reference in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[1] is error
    for secret in (demo.SUBSCRIBER_CLIENT_SECRET, demo.SENDER_CLIENT_SECRET, demo.CALLBACK_SECRET):
        assert secret not in caplog.text


DOCS = "https://docs.fitko.de/fit-connect/"


@pytest.mark.parametrize(
    ("fault", "names", "check", "page"),
    [
        ("html-200", ("token_url",), "token", "docs/getting-started/authentication/"),
        ("403", ("submission_base",), "destination", "docs/receiving/destination/"),
        ("inactive", ("submission_base",), "destination", "docs/receiving/destination/"),
        ("wrong-key", ("submission_base",), "keys", "docs/receiving/certificate/"),
        ("500", ("submission_base",), "jwks", "contact/"),
        ("no-route", ("routing_base",), "routing", "docs/sending/get-destination/"),
        ("bad-set", ("submission_base",), "submission", "docs/receiving/overview/"),
        ("reject", ("submission_base",), "submission", "docs/receiving/overview/"),
    ],
)
def test_failures_and_warnings_link_to_the_fitko_page_that_explains_the_fix(
    sandbox: Sandbox, fault: str, names: tuple[str, ...], check: str, page: str
) -> None:
    result = verify(sandbox, faulty(sandbox, fault, *names)).run_check(check)
    assert result.status in ("failed", "warning")
    assert result.fixes, said(result)
    assert f"{DOCS}{page}" in [fix["url"] for fix in result.fixes]
    for fix in fix_texts(result):
        assert set(fix) == {"text", "url"}
        assert fix["url"].startswith(DOCS)
        assert fix["text"].split()[1] == "Sie", fix  # translated, addressing people formally
    stored = json.loads(json.dumps(result.as_dict()))["fixes"]
    assert [{"text": render(f["text"]), "url": f["url"]} for f in stored] == fix_texts(result)


def test_the_routing_fix_depends_on_the_stage(sandbox: Sandbox) -> None:
    no_route = faulty(sandbox, "no-route", "routing_base")
    (in_test,) = verify(sandbox, no_route).run_check("routing").fixes
    assert "fit-connect-support@fjd.de" in str(in_test["text"])
    (in_production,) = (
        verify(sandbox, replace(no_route, stage="production")).run_check("routing").fixes
    )
    assert "Redaktionssystem" in str(in_production["text"])


def test_keys_outside_the_test_stage_point_to_the_verwaltungs_pki(sandbox: Sandbox) -> None:
    wrong_key = faulty(sandbox, "wrong-key", "submission_base")
    in_test = verify(sandbox, wrong_key).run_check("keys").fixes
    in_reference = verify(sandbox, replace(wrong_key, stage="reference")).run_check("keys").fixes
    pki = f"{DOCS}docs/organisation-tasks/certificates/"
    assert pki not in [fix["url"] for fix in in_test]
    assert [fix["url"] for fix in in_reference] == [fix["url"] for fix in in_test] + [pki]


def test_skipped_checks_name_a_next_step_where_there_is_one(sandbox: Sandbox) -> None:
    no_sender = replace(CREDENTIALS, sender_id="", sender_secret="")
    (create_client,) = verify(sandbox, credentials=no_sender).run_check("submission").fixes
    assert "Sender-Client (Onlinedienst) im Self-Service-Portal an" in str(create_client["text"])
    assert create_client["url"] == f"{DOCS}docs/getting-started/account/"
    no_callback_secret = replace(CREDENTIALS, callback_secret="")
    (callback,) = verify(sandbox, credentials=no_callback_secret).run_check("callback").fixes
    assert callback["url"] == f"{DOCS}docs/details/callbacks/"
    no_destination = replace(EXPECTED, destination_id="")
    (destination,) = verify(sandbox, expected=no_destination).run_check("destination").fixes
    assert destination["url"] == f"{DOCS}docs/receiving/destination/"
    # Production sends no test submission on purpose: nothing to fix.
    prod = replace(target(sandbox.base), test_submission_allowed=False, stage="production")
    assert verify(sandbox, prod).run_check("submission").fixes == []


def test_a_recorded_bundid_reply_channel_must_be_offered_by_the_destination(
    sandbox: Sandbox,
) -> None:
    # BundID is a reply channel of the metadata (docs …/metadata/replyChannel/); the demo
    # destination does not offer it, so recording it is a difference the check names.
    service = EXPECTED.services[0]
    with_bundid = replace(service, reply_channels={**service.reply_channels, "idBundDeMailbox": {}})
    expected = replace(EXPECTED, services=(with_bundid, *EXPECTED.services[1:]))
    result = verify(sandbox, expected=expected).run_check("destination")
    assert result.status == "failed"
    rows = [row for row in result.evidence["diff"] if not row["match"]]
    assert [str(row["field"]) for row in rows] == [f"Leistung {service.key}: Antwortkanäle"]
    assert "BundID-Postfach" in render(rows[0]["recorded"][-1])


def test_routing_skips_services_named_by_another_urn(sandbox: Sandbox) -> None:
    # A service without Leistungsschlüssel may be named by another URN (docs commit
    # 63712b67); the Routing API needs a leikaKey, so there is nothing to look up.
    urn_only = replace(EXPECTED.services[0], key="urn:de:govos:parent:s16000413")
    result = verify(sandbox, expected=replace(EXPECTED, services=(urn_only,))).run_check("routing")
    assert result.status == "skipped"
    assert "Leistungsschlüssel" in said(result)


class Recording(httpx.HTTPTransport):
    """The real transport, remembering every request a check sends."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return super().handle_request(request)


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_both_api_versions_pass_and_send_the_bodies_their_description_asks_for(
    sandbox: Sandbox, version: str
) -> None:
    from tests.fitconnect.test_sandbox_contract import SERVED, described_spec

    transport = Recording()
    t = replace(target(sandbox.base), api_version=version)
    results = {r.check: r for r in verify(sandbox, t, transport=transport).run()}
    assert {name: r.status for name, r in results.items()} == dict.fromkeys(CHECK_ORDER, "ok")
    paths = [r.url.path for r in transport.requests if "/submission-api/v" in r.url.path]
    assert paths
    assert all(p.startswith(f"/submission-api/{version}/") for p in paths)
    (api,) = [
        a for a in SERVED["apis"] if a["name"] == "Submission API" and a["version"] == version
    ]
    spec = described_spec(api)
    schemas = spec["components"]["schemas"]
    (create,) = [
        r for r in transport.requests if r.method == "POST" and r.url.path.endswith("/submissions")
    ]
    body = json.loads(create.content)
    OAS30Validator({**schemas["CreateSubmission"], "components": spec["components"]}).validate(body)
    field = "serviceType" if version == "v1" else "publicService"
    assert set(body) == {"destinationId", "announcedAttachments", field}
    (submit,) = [
        r for r in transport.requests if r.method == "PUT" and "/submissions/" in r.url.path
    ]
    sent = json.loads(submit.content)
    OAS30Validator({**schemas["SubmitSubmission"], "components": spec["components"]}).validate(sent)
    headers = [jose_header(sent[name]) for name in ("encryptedMetadata", "encryptedData")]
    assert headers[1]["cty"] == "application/json"  # the data's MIME type, in both versions
    assert ("cty" in headers[0]) == (version == "v2")  # v2 refuses a metadata JWE without it


def jose_header(token: str) -> dict[str, Any]:
    part = token.split(".")[0]
    header: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return header


def test_a_v1_environment_pointed_at_a_v2_host_says_what_is_wrong(sandbox: Sandbox) -> None:
    """A destination that lists publicServices tells the operator to check the version."""
    from fitconnect.checks import destination

    ctx = verify(sandbox, replace(target(sandbox.base), api_version="v1")).context
    with pytest.raises(destination.Failed) as failure:
        destination._services(ctx, {"status": "active", "publicServices": []}, {})
    assert "Ist die API-Version dieser Umgebung richtig eingestellt?" in str(failure.value.message)
    assert not failure.value.conclusive  # a setting of the portal, not the onboarding's fault


def _pem(x5c_entry: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    der = base64.b64decode(x5c_entry)
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode()


def test_reference_keys_must_chain_to_an_uploaded_vpki_anchor(sandbox: Sandbox) -> None:
    """The sandbox's destination keys come from its CA; as an anchor it plays the V-PKI."""
    from fitconnect import crypto

    sandbox_ca = _pem(sandbox.keys["encryption"].public["x5c"][1])
    reference = replace(target(sandbox.base), stage="reference", self_signed_allowed=False)

    unset = verify(sandbox, reference).run_check("keys")
    assert unset.status == "warning"  # no anchor: the chain is not claimed
    assert "kein Vertrauensanker der V-PKI eingerichtet" in said(unset)

    trusted = verify(sandbox, replace(reference, trust_anchors=(sandbox_ca,))).run_check("keys")
    findings = {
        (key["purpose"], f["rule"]): f["status"]
        for key in trusted.as_dict()["evidence"]["keys"]
        for f in key["findings"]
    }
    assert findings[("encryption", "chain")] == findings[("signature", "chain")] == "ok"
    assert findings[("encryption", "key_usage")] == findings[("signature", "key_usage")] == "ok"
    # The sandbox's certificates name no OCSP responder or CRL: said, and not passed as ok.
    assert findings[("encryption", "revocation")] == "warning"
    assert trusted.status == "warning"

    foreign = crypto.CertificateAuthority.create("Fremde Wurzel", days=30)
    from cryptography.hazmat.primitives import serialization

    other = foreign.certificate.public_bytes(serialization.Encoding.PEM).decode()
    untrusted = verify(sandbox, replace(reference, trust_anchors=(other,))).run_check("keys")
    assert untrusted.status == "failed"
    assert "Die Kette endet bei FIT-Connect Sandbox CA" in said(untrusted)


def test_only_the_token_check_judges_a_refused_token(sandbox: Sandbox) -> None:
    """Wrong client secret: the token item is contradicted, the others are merely unchecked."""
    results = {
        r.check: r
        for r in verify(sandbox, credentials=replace(CREDENTIALS, subscriber_secret="x")).run()
    }
    assert results["token"].status == "failed"
    assert results["token"].conclusive
    for name in ("destination", "keys", "routing"):
        if results[name].status == "failed":
            assert not results[name].conclusive, name
    assert results["destination"].status == "failed"
