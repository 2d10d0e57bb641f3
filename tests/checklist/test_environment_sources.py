"""FITKO's hosts and API versions from one source; V-PKI certificates uploaded in the admin."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from checklist import verification
from checklist.models import FitConnectEnvironment, TrustedCertificate
from fitconnect import environments
from tests.conftest import World

MIGRATION = importlib.import_module("checklist.migrations.0010_evidence")


def test_the_seeded_environments_are_fitkos_values_from_one_source(world: World) -> None:
    for fitko in environments.FITKO_ENVIRONMENTS:
        row = FitConnectEnvironment.objects.get(key=fitko.key)
        seeded = {name: getattr(row, name) for name in fitko.values()}
        assert seeded == fitko.values(), fitko.key
    # The migration's frozen copy of the host rule agrees with fitconnect/environments.py.
    assert MIGRATION.V2_HOSTS == environments.V2_HOSTS
    assert MIGRATION.V1_HOSTS == environments.V1_HOSTS


def test_reference_and_production_speak_submission_api_v2(world: World) -> None:
    targets = {env.key: verification.target_for(env) for env in FitConnectEnvironment.objects.all()}
    assert targets["test"].api("/destinations/x") == (
        "https://submission-api-testing.fit-connect.fitko.dev/v1/destinations/x"
    )
    assert targets["reference"].api("/destinations/x") == (
        "https://stage.fit-connect.fitko.net/submission-api/v2/destinations/x"
    )
    assert targets["production"].service_field == "publicService"
    # The reference stage has no routing of its own: the test routing (docs/fitko-facts.md §1).
    assert targets["reference"].routing_base == targets["test"].routing_base


def test_a_new_host_with_version_1_is_refused(world: World) -> None:
    reference = FitConnectEnvironment.objects.get(key="reference")
    reference.api_version = "v1"
    with pytest.raises(ValidationError) as error:
        reference.full_clean()
    assert "Version 2" in str(error.value.message_dict["api_version"])


def operator(world: World) -> Client:
    client = Client()
    client.force_login(world.site_operator)
    return client


def test_the_admin_names_where_only_third_party_sdks_attest_a_host(world: World) -> None:
    reference = FitConnectEnvironment.objects.get(key="reference")
    page = operator(world).get(
        reverse("admin:checklist_fitconnectenvironment_change", args=[reference.pk])
    )
    html = page.content.decode()
    assert (
        "https://auth-refz.fit-connect.fitko.net/token</code> – nur durch SDKs Dritter belegt"
        in html
    )
    assert "optiGov" in html
    test = FitConnectEnvironment.objects.get(key="test")
    html = (
        operator(world)
        .get(reverse("admin:checklist_fitconnectenvironment_change", args=[test.pk]))
        .content.decode()
    )
    assert "https://submission-api-testing.fit-connect.fitko.dev</code> – offiziell" in html


def certificate(name: str, *, ca: bool) -> x509.Certificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def test_operators_upload_vpki_anchors_and_the_checks_of_reference_use_them(world: World) -> None:
    root = certificate("Test-V-PKI Wurzel", ca=True)
    pem = root.public_bytes(serialization.Encoding.PEM).decode()
    add = reverse("admin:checklist_trustedcertificate_add")
    response = operator(world).post(add, {"kind": "anchor", "pem": pem, "note": "Testwurzel"})
    assert response.status_code == 302, response.content.decode()
    stored = TrustedCertificate.objects.get()
    assert stored.name == "Test-V-PKI Wurzel"
    assert stored.fingerprint == root.fingerprint(hashes.SHA256()).hex()
    reference = verification.target_for(FitConnectEnvironment.objects.get(key="reference"))
    assert reference.trust_anchors == (stored.pem,)
    test = verification.target_for(FitConnectEnvironment.objects.get(key="test"))
    assert test.trust_anchors == ()  # TEST needs no V-PKI (docs …/receiving/certificate/)

    again = operator(world).post(add, {"kind": "anchor", "pem": pem})
    assert "Dieses Zertifikat ist schon eingerichtet." in again.content.decode()
    leaf = certificate("Kein CA-Zertifikat", ca=False)
    der = SimpleUploadedFile("leaf.cer", leaf.public_bytes(serialization.Encoding.DER))
    refused = operator(world).post(add, {"kind": "intermediate", "upload": der})
    assert "kein Zertifikat einer Zertifizierungsstelle" in refused.content.decode()
    garbage = operator(world).post(add, {"kind": "anchor", "pem": "kein Zertifikat"})
    assert "genau ein Zertifikat" in garbage.content.decode()
    intermediate = certificate("Test-V-PKI Zwischenstelle", ca=True)
    upload = SimpleUploadedFile("ca.cer", intermediate.public_bytes(serialization.Encoding.DER))
    assert operator(world).post(add, {"kind": "intermediate", "upload": upload}).status_code == 302
    assert TrustedCertificate.objects.count() == 2
