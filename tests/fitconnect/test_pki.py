"""V-PKI chains: a CA, an intermediate and leaves built here with ``cryptography``.

No network: revocation answers come from an httpx MockTransport playing the OCSP responder
and the CRL server that the certificates name.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from fitconnect import pki
from fitconnect.http import Client

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
OCSP_URL = "http://ocsp.vpki.example/"
CRL_URL = "http://crl.vpki.example/inter.crl"  # revocations of the intermediate's leaves
ROOT_CRL_URL = "http://crl.vpki.example/root.crl"  # revocations of the root's intermediates
USAGES = {
    "digital_signature": False,
    "content_commitment": False,
    "key_encipherment": False,
    "data_encipherment": False,
    "key_agreement": False,
    "key_cert_sign": False,
    "crl_sign": False,
    "encipher_only": False,
    "decipher_only": False,
}


@dataclass(frozen=True)
class Issued:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def x5c(self) -> str:
        return base64.b64encode(self.certificate.public_bytes(serialization.Encoding.DER)).decode()


def _key() -> rsa.RSAPrivateKey:
    # 2048 bit keeps the tests fast; the 4096-bit rule is check_jwk's, not the chain's.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def issue(
    name: str,
    issuer: Issued | None = None,
    *,
    ca: bool = False,
    usage: tuple[str, ...] = (),
    valid: tuple[timedelta, timedelta] = (timedelta(days=-30), timedelta(days=365)),
    revocation: str | None = None,
    extended: tuple[x509.ObjectIdentifier, ...] = (),
    ca_usage: bool = True,
) -> Issued:
    key = _key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    signer = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + valid[0])
        .not_valid_after(NOW + valid[1])
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    flags = {**USAGES, **dict.fromkeys(usage, True)}
    if ca and ca_usage:
        flags |= {"key_cert_sign": True, "crl_sign": True}
    if any(flags.values()):
        builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False
        )
    if extended:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(extended)), False)
    if revocation:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(OCSP_URL),
                    )
                ]
            ),
            False,
        ).add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(revocation)], None, None, None
                    )
                ]
            ),
            False,
        )
    return Issued(key, builder.sign(signer, hashes.SHA256()))


@pytest.fixture(scope="module")
def vpki() -> dict[str, Issued]:
    root = issue("Test-V-PKI Root", ca=True)
    intermediate = issue("Test-V-PKI Intermediate", root, ca=True, revocation=ROOT_CRL_URL)
    return {
        "root": root,
        "intermediate": intermediate,
        "encryption": issue(
            "Fachverfahren Verschluesselung", intermediate, usage=("key_encipherment",)
        ),
        "signature": issue(
            "Fachverfahren Signatur",
            intermediate,
            usage=("digital_signature", "content_commitment"),
        ),
        "expired": issue(
            "Abgelaufen",
            intermediate,
            usage=("key_encipherment",),
            valid=(timedelta(days=-400), timedelta(days=-35)),
        ),
        "foreign_root": (foreign := issue("Fremde Wurzel", ca=True)),
        "foreign": issue("Fremd ausgestellt", foreign, usage=("key_encipherment",)),
        "checked": issue(
            "Mit Sperrpruefung", intermediate, usage=("key_encipherment",), revocation=CRL_URL
        ),
    }


def chain(vpki: dict[str, Issued], leaf: str, *, with_intermediate: bool = True) -> list[str]:
    return [vpki[leaf].x5c] + ([vpki["intermediate"].x5c] if with_intermediate else [])


def verdict(findings: list[pki.Finding]) -> dict[str, tuple[str, str]]:
    """Return the finding per rule (the leaf's, where a rule has one per link)."""
    found: dict[str, tuple[str, str]] = {}
    for finding in findings:
        found.setdefault(finding.rule, (finding.status, str(finding.message)))
    return found


def test_a_valid_chain_to_the_uploaded_anchor_passes(vpki: dict[str, Issued]) -> None:
    for purpose in ("encryption", "signature"):
        found = pki.check_chain(
            chain(vpki, purpose), purpose, anchors=[vpki["root"].certificate], now=NOW
        )
        assert {f.status for f in found} == {"ok"}, verdict(found)
        assert "Vertrauensanker Test-V-PKI Root" in verdict(found)["chain"][1]


def test_an_intermediate_uploaded_in_the_admin_completes_a_short_x5c(
    vpki: dict[str, Issued],
) -> None:
    short = chain(vpki, "encryption", with_intermediate=False)
    anchors = [vpki["root"].certificate]
    missing = pki.check_chain(short, "encryption", anchors=anchors, now=NOW)
    assert verdict(missing)["chain"][0] == "failed"
    assert (
        "Der Aussteller CN=Test-V-PKI Intermediate des Zertifikats" in verdict(missing)["chain"][1]
    )
    found = pki.check_chain(
        short,
        "encryption",
        anchors=anchors,
        intermediates=[vpki["intermediate"].certificate],
        now=NOW,
    )
    assert verdict(found)["chain"][0] == "ok"


def test_an_expired_leaf_is_named(vpki: dict[str, Issued]) -> None:
    found = verdict(
        pki.check_chain(
            chain(vpki, "expired"), "encryption", anchors=[vpki["root"].certificate], now=NOW
        )
    )
    assert found["chain"] == (
        "failed",
        "Das Zertifikat Abgelaufen in der Kette ist am 23.10.2026 abgelaufen.",
    )


def test_an_expired_intermediate_is_named_as_the_failing_link(vpki: dict[str, Issued]) -> None:
    old = issue(
        "Alte Zwischenstelle",
        vpki["root"],
        ca=True,
        valid=(timedelta(days=-800), timedelta(days=-1)),
    )
    leaf = issue("Blatt", old, usage=("key_encipherment",))
    found = verdict(
        pki.check_chain(
            [leaf.x5c, old.x5c], "encryption", anchors=[vpki["root"].certificate], now=NOW
        )
    )
    assert found["chain"][0] == "failed"
    assert "Alte Zwischenstelle in der Kette ist am 26.11.2026 abgelaufen" in found["chain"][1]


@pytest.mark.parametrize(
    ("leaf", "purpose", "text"),
    [
        (
            "signature",
            "encryption",
            "erlaubt digitalSignature, nonRepudiation, aber nicht keyEncipherment",
        ),
        ("encryption", "signature", "erlaubt keyEncipherment, aber nicht digitalSignature"),
    ],
)
def test_a_certificate_for_the_wrong_use_fails(
    vpki: dict[str, Issued], leaf: str, purpose: pki.Purpose, text: str
) -> None:
    found = verdict(
        pki.check_chain(chain(vpki, leaf), purpose, anchors=[vpki["root"].certificate], now=NOW)
    )
    assert found["key_usage"][0] == "failed"
    assert text in found["key_usage"][1]


def test_a_chain_to_a_foreign_root_fails_and_names_it(vpki: dict[str, Issued]) -> None:
    x5c = [vpki["foreign"].x5c, vpki["foreign_root"].x5c]
    found = verdict(pki.check_chain(x5c, "encryption", anchors=[vpki["root"].certificate], now=NOW))
    assert found["chain"] == (
        "failed",
        "Die Kette endet bei Fremde Wurzel, das keiner der im Portal eingerichteten "
        "Vertrauensanker der V-PKI ist.",
    )


def test_a_forged_link_fails_on_its_signature(vpki: dict[str, Issued]) -> None:
    # Same name as the real intermediate, another key: the leaf's signature does not verify.
    impostor = issue("Test-V-PKI Intermediate", vpki["root"], ca=True)
    found = verdict(
        pki.check_chain(
            [vpki["encryption"].x5c, impostor.x5c],
            "encryption",
            anchors=[vpki["root"].certificate],
            now=NOW,
        )
    )
    assert found["chain"][0] == "failed"
    assert "lässt sich mit Test-V-PKI Intermediate nicht bestätigen" in found["chain"][1]


def test_without_an_uploaded_anchor_the_chain_is_not_claimed(vpki: dict[str, Issued]) -> None:
    found = verdict(pki.check_chain(chain(vpki, "encryption"), "encryption", anchors=[], now=NOW))
    assert found["chain"][0] == "warning"
    assert "kein Vertrauensanker der V-PKI eingerichtet" in found["chain"][1]


# --- revocation ---------------------------------------------------------------------------


@dataclass
class Responder:
    """The V-PKI's OCSP responder and CRL server, as the certificates name them."""

    vpki: dict[str, Issued]
    revoked: tuple[str, ...] = ()  # names of revoked certificates
    ocsp_signer: Issued | None = None  # who signs the leaf's OCSP answers (default its CA)
    ocsp_down: bool = False
    calls: list[str] = field(default_factory=list)

    def _issuer(self, name: str) -> Issued:
        return self.vpki["root"] if name == "intermediate" else self.vpki["intermediate"]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(str(request.url))
        if str(request.url) == OCSP_URL:
            if self.ocsp_down:
                return httpx.Response(503)
            asked = ocsp.load_der_ocsp_request(request.content).serial_number
            (name,) = [
                n
                for n in ("checked", "intermediate")
                if self.vpki[n].certificate.serial_number == asked
            ]
            return httpx.Response(200, content=self._ocsp(name))
        issuer = (
            self.vpki["root"] if str(request.url) == ROOT_CRL_URL else self.vpki["intermediate"]
        )
        return httpx.Response(200, content=self._crl(issuer))

    def _ocsp(self, name: str) -> bytes:
        issuer = self._issuer(name)
        signer = (self.ocsp_signer if name == "checked" else None) or issuer
        revoked = name in self.revoked
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=self.vpki[name].certificate,
            issuer=issuer.certificate,
            algorithm=hashes.SHA1(),  # noqa: S303 - the CertID hash of the request
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
            this_update=NOW - timedelta(hours=1),
            next_update=NOW + timedelta(hours=23),
            revocation_time=NOW - timedelta(days=2) if revoked else None,
            revocation_reason=None,
        )
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, signer.certificate)
        if signer is not issuer:
            builder = builder.certificates([signer.certificate])
        response = builder.sign(signer.key, hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)

    def _crl(self, issuer: Issued) -> bytes:
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer.certificate.subject)
            .last_update(NOW - timedelta(hours=1))
            .next_update(NOW + timedelta(days=1))
        )
        for name in self.revoked:
            if self._issuer(name) is issuer:
                builder = builder.add_revoked_certificate(
                    x509.RevokedCertificateBuilder()
                    .serial_number(self.vpki[name].certificate.serial_number)
                    .revocation_date(NOW - timedelta(days=1))
                    .build()
                )
        return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def checked(
    vpki: dict[str, Issued], responder: Responder | httpx.MockTransport
) -> list[pki.Finding]:
    transport = (
        responder if isinstance(responder, httpx.MockTransport) else httpx.MockTransport(responder)
    )
    checker = pki.RevocationChecker(Client(transport=transport, retries=0), NOW, allow_private=True)
    return pki.check_chain(
        chain(vpki, "checked"),
        "encryption",
        anchors=[vpki["root"].certificate],
        now=NOW,
        revocation=checker,
    )


def revocations(findings: list[pki.Finding]) -> list[tuple[str, str]]:
    return [(f.status, str(f.message)) for f in findings if f.rule == "revocation"]


def test_ocsp_checks_every_link_and_names_the_responder(vpki: dict[str, Issued]) -> None:
    responder = Responder(vpki)
    found = revocations(checked(vpki, responder))
    assert found == [
        (
            "ok",
            "Das Zertifikat Mit Sperrpruefung ist nicht gesperrt "
            f"(laut dem OCSP-Dienst {OCSP_URL}).",
        ),
        (
            "ok",
            "Das Zertifikat Test-V-PKI Intermediate ist nicht gesperrt "
            f"(laut dem OCSP-Dienst {OCSP_URL}).",
        ),
    ]
    assert responder.calls == [OCSP_URL, OCSP_URL]


@pytest.mark.parametrize("name", ["checked", "intermediate"])
def test_a_revoked_link_fails_by_ocsp_and_is_named(vpki: dict[str, Issued], name: str) -> None:
    found = revocations(checked(vpki, Responder(vpki, revoked=(name,))))
    failed = [text for status, text in found if status == "failed"]
    label = vpki[name].certificate.subject.rfc4514_string().removeprefix("CN=")
    assert failed == [f"Das Zertifikat {label} ist gesperrt (laut dem OCSP-Dienst {OCSP_URL})."]


def test_an_ocsp_answer_signed_by_a_stranger_is_not_trusted_and_the_crl_decides(
    vpki: dict[str, Issued],
) -> None:
    stranger = issue(
        "Fremder Responder", vpki["foreign_root"], extended=(ExtendedKeyUsageOID.OCSP_SIGNING,)
    )
    found = revocations(checked(vpki, Responder(vpki, revoked=("checked",), ocsp_signer=stranger)))
    assert found[0] == (
        "failed",
        f"Das Zertifikat Mit Sperrpruefung ist gesperrt (laut der Sperrliste {CRL_URL}).",
    )


def test_a_delegated_ocsp_responder_of_the_issuer_is_trusted(vpki: dict[str, Issued]) -> None:
    delegate = issue(
        "OCSP der Zwischenstelle",
        vpki["intermediate"],
        extended=(ExtendedKeyUsageOID.OCSP_SIGNING,),
    )
    responder = Responder(vpki, ocsp_signer=delegate)
    assert [status for status, _ in revocations(checked(vpki, responder))] == ["ok", "ok"]
    assert responder.calls == [OCSP_URL, OCSP_URL]  # no CRL needed


def test_the_crl_decides_when_ocsp_is_down(vpki: dict[str, Issued]) -> None:
    found = revocations(checked(vpki, Responder(vpki, ocsp_down=True)))
    assert found == [
        (
            "ok",
            f"Das Zertifikat Mit Sperrpruefung ist nicht gesperrt (laut der Sperrliste {CRL_URL}).",
        ),
        (
            "ok",
            "Das Zertifikat Test-V-PKI Intermediate ist nicht gesperrt "
            f"(laut der Sperrliste {ROOT_CRL_URL}).",
        ),
    ]


def test_unreachable_revocation_sources_warn_and_never_pass_as_not_revoked(
    vpki: dict[str, Issued],
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    found = revocations(checked(vpki, httpx.MockTransport(refuse)))
    assert [status for status, _ in found] == ["warning", "warning"]
    assert "Sperrstatus des Zertifikats Mit Sperrpruefung ließ sich nicht prüfen" in found[0][1]


def test_a_certificate_without_revocation_sources_is_a_warning(vpki: dict[str, Issued]) -> None:
    checker = pki.RevocationChecker(Client(retries=0), NOW, allow_private=True)
    found = pki.check_chain(
        chain(vpki, "encryption"),
        "encryption",
        anchors=[vpki["root"].certificate],
        now=NOW,
        revocation=checker,
    )
    assert revocations(found)[0] == (
        "warning",
        "Das Zertifikat Fachverfahren Verschluesselung nennt weder einen OCSP-Dienst noch eine "
        "Sperrliste (CRL); sein Sperrstatus wurde nicht geprüft.",
    )


def test_revocation_sources_on_internal_addresses_are_not_called(vpki: dict[str, Issued]) -> None:
    responder = Responder(vpki)
    checker = pki.RevocationChecker(
        Client(transport=httpx.MockTransport(responder), retries=0),
        NOW,
        resolve=lambda host: {"10.0.0.7"},  # what a hostile certificate's host resolves to
    )
    found = pki.check_chain(
        chain(vpki, "checked"),
        "encryption",
        anchors=[vpki["root"].certificate],
        now=NOW,
        revocation=checker,
    )
    assert responder.calls == []
    assert revocations(found)[0][0] == "warning"
    assert "ist intern; das Portal ruft sie nicht auf" in revocations(found)[0][1]


def test_a_chain_against_the_x509_rules_fails_in_words_without_python_values(
    vpki: dict[str, Issued],
) -> None:
    # Linked and signed correctly, but the intermediate may not sign certificates (RFC 5280).
    lax = issue("Ohne Schluesselverwendung", vpki["root"], ca=True, ca_usage=False)
    leaf = issue("Blatt unter lax", lax, usage=("key_encipherment",))
    found = verdict(
        pki.check_chain(
            [leaf.x5c, lax.x5c], "encryption", anchors=[vpki["root"].certificate], now=NOW
        )
    )
    status, text = found["chain"]
    assert status == "failed"
    assert text.startswith(
        "Die Kette von Blatt unter lax zum Vertrauensanker Test-V-PKI Root erfüllt die "
        "X.509-Regeln (RFC 5280) nicht. Technischer Grund: "
    )
    assert "<" not in text
    assert "Certificate(" not in text
