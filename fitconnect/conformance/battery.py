"""The battery: one generated submission per case, each with one deliberate defect.

``build`` turns a case name and what the Zustellpunkt declares (its encryption key, the
service with its schema, the metadata versions) into the parts a Sender uploads: the
announced attachments, the encrypted attachments, metadata and data, and what the
Fachverfahren must answer (``Expectation``). Everything is encrypted with jwcrypto
(``fitconnect.crypto``), as a real online service does (docs/fitko-facts.md §4, §12).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from jwcrypto import jwk

from fitconnect import crypto, xml_documents
from fitconnect.constants import METADATA_SCHEMA

from .instances import invalid_instance, minimal_instance

Outcome = Literal["accept", "reject", "refused"]
Party = Literal["fachverfahren", "zustelldienst"]

# Metadata versions FITKO has published; an unlisted one is taken from these, so that it
# is a real version the Zustellpunkt merely does not declare (docs/fitko-facts.md §12).
KNOWN_METADATA_VERSIONS = ("1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0", "1.5.0", "1.6.0")
UNLISTED_SCHEMA_URI = "https://schema.example.org/anbindungsportal/nicht-angeboten.schema.json"
ATTACHMENT_CONTENT = b"Konformitaetstest des FIT-Connect Anbindungsportals: Anlage.\n"
NOT_JSON = b"Dies ist kein JSON und kein XML <<<"  # neither parses: the case for both


@dataclass(frozen=True)
class Expectation:
    """What FITKO requires as the answer to a case.

    ``instance`` is compared exactly where the case names one (FITKO: ``type`` and
    ``instance`` "MÜSSEN vom Subscriber exakt übernommen werden"); ``problem`` is the slug
    after FITKO's problem prefix, compared only where ``problem_confirmed`` (see
    ``judge.PROBLEM_SLUGS``). ``status`` is the HTTP status of a case the Zustelldienst stops.
    """

    outcome: Outcome
    instance: str = ""
    problem: str = ""
    status: int = 0

    @property
    def party(self) -> Party:
        return "zustelldienst" if self.outcome == "refused" else "fachverfahren"


@dataclass(frozen=True)
class Declared:
    """What the Zustellpunkt declares, and what the portal knows of its schema."""

    destination_id: str
    encryption_key: dict[str, Any]  # the public JWK the Zustellpunkt publishes
    service_name: str
    service_identifier: str
    schema_uri: str
    mime_type: str
    metadata_versions: tuple[str, ...]
    schema: dict[str, Any] | None = None  # the JSON Schema's content, where known
    template: bytes | None = None  # a valid document the provider uploaded (XSD)


@dataclass
class Built:
    """One case, ready to upload."""

    case: str
    expectation: Expectation
    destination_id: str
    announced: list[str] = field(default_factory=list)
    attachments: dict[str, str] = field(default_factory=dict)  # id -> JWE
    encrypted_metadata: str = ""
    encrypted_data: str | None = None
    skip_upload: tuple[str, ...] = ()  # announced attachments left out on purpose

    def authentication_tags(self) -> dict[str, Any]:
        """Return the tags an accept-submission must carry: the last segment of each JWE."""
        tags: dict[str, Any] = {
            "metadata": _tag(self.encrypted_metadata),
            "attachments": {a: _tag(t) for a, t in self.attachments.items()},
        }
        if self.encrypted_data is not None:
            tags["data"] = _tag(self.encrypted_data)
        return tags


class CannotBuild(ValueError):
    """The case needs something the portal does not have: ``missing`` is "template" (an XML
    schema and no template uploaded) or "schema" (no invalid document can be derived)."""

    def __init__(self, missing: str) -> None:
        super().__init__(missing)
        self.missing = missing


def _tag(token: str) -> str:
    return token.rsplit(".", 1)[-1]


# The cases in the order they run, with what FITKO requires of each (the table,
# docs/fitko-facts.md §12). An empty instance is not compared.
CASES: dict[str, Expectation] = {
    "valid": Expectation("accept"),
    "data_hash": Expectation("reject", instance="data", problem="hash-mismatch"),
    "attachment_hash": Expectation("reject", instance="attachment", problem="hash-mismatch"),
    "unlisted_schema": Expectation("reject", problem="unsupported-schema"),
    "unlisted_metadata_version": Expectation(
        "reject", instance="metadata", problem="unsupported-metadata-schema"
    ),
    "unsent_attachment": Expectation("reject", problem="missing-attachment"),
    "foreign_key": Expectation("reject", problem="encryption-issue"),
    "schema_invalid_data": Expectation("reject", instance="data", problem="schema-violation"),
    "unparseable_data": Expectation("reject", instance="data", problem="syntax-violation"),
    "unuploaded_attachment": Expectation("refused", status=422),
    "unknown_destination": Expectation("refused", status=404),
}
CASE_ORDER = tuple(CASES)
# The defect cases run once, for one Leistung; the valid case runs for each Leistung and
# schema, under the key ``valid:<Leistungsschlüssel>`` (``valid_case``).
DEFECT_CASES = CASE_ORDER[1:]
VALID_PREFIX = "valid:"


def valid_case(service_key: str) -> str:
    """Return the case key of the valid submission for one Leistung (and its schema)."""
    return VALID_PREFIX + service_key


def kind_of(case: str) -> str:
    """Return the case's entry in ``CASES``: "valid" for every Leistung's valid case."""
    return "valid" if case.startswith(VALID_PREFIX) else case


def is_xml(declared: Declared) -> bool:
    return "json" not in declared.mime_type


def valid_document(declared: Declared) -> bytes:
    """Return the valid Fachdaten: the provider's template, or generated from the schema.

    XML (an XSD schema) needs the template the provider uploaded: the portal does not
    generate XML documents."""
    if is_xml(declared):
        if declared.template is None or not xml_documents.is_well_formed(declared.template):
            raise CannotBuild("template")
        return declared.template
    if declared.template is not None:
        return declared.template
    if declared.schema is None:
        # No schema content known: a small object, as the test submission sends.
        return json.dumps({"konformitaetstest": True}, ensure_ascii=False).encode()
    instance = minimal_instance(declared.schema)
    if instance is None:
        raise CannotBuild("schema")
    return json.dumps(instance, ensure_ascii=False).encode()


def _metadata(
    version: str,
    data: bytes | None,
    schema_uri: str,
    mime_type: str,
    attachments: list[dict[str, Any]],
    data_hash: str | None = None,
) -> dict[str, Any]:
    structure: dict[str, Any] = {"attachments": attachments}
    if data is not None:
        structure["data"] = {
            "hash": {"type": "sha512", "content": data_hash or crypto.sha512_hex(data)},
            "submissionSchema": {"schemaUri": schema_uri, "mimeType": mime_type},
        }
    return {"$schema": METADATA_SCHEMA.format(version=version), "contentStructure": structure}


def _attachment(attachment_id: str, content: bytes, hash_hex: str | None = None) -> dict[str, Any]:
    return {
        "attachmentId": attachment_id,
        "hash": {"type": "sha512", "content": hash_hex or crypto.sha512_hex(content)},
        "purpose": "attachment",
        "filename": "konformitaetstest.txt",
        "mimeType": "text/plain",
    }


def _version(versions: tuple[str, ...]) -> str:
    return max(versions or ("1.2.0",), key=lambda v: tuple(int(p) for p in v.split(".")))


def unlisted_version(versions: tuple[str, ...]) -> str:
    return next(v for v in KNOWN_METADATA_VERSIONS if v not in versions)


def foreign_key(kid: str) -> dict[str, Any]:
    """Return a public JWK that is not the Zustellpunkt's but carries its kid."""
    key = jwk.JWK.generate(kty="RSA", size=2048)
    return {**json.loads(key.export_public()), "kid": kid, "alg": "RSA-OAEP-256"}


def _wrong_hash(content: bytes) -> str:
    return crypto.sha512_hex(content + b"manipuliert")


def _schema_invalid(declared: Declared, valid: bytes) -> bytes:
    """Return data that parses but breaks the schema: for XML the template with its root
    element renamed (no XSD that declares the original root accepts it), for JSON a
    document of the wrong type."""
    if is_xml(declared):
        return xml_documents.with_renamed_root(valid)
    wrong = invalid_instance(declared.schema) if declared.schema else None
    if wrong is None:
        raise CannotBuild("schema")
    return json.dumps(wrong, ensure_ascii=False).encode()


def build(case: str, declared: Declared) -> Built:
    """Return the submission of one case (see ``CASES``)."""
    expectation = CASES[kind_of(case)]
    key = declared.encryption_key
    data = valid_document(declared)
    version = _version(declared.metadata_versions)
    schema_uri, mime = declared.schema_uri, declared.mime_type
    attachment_id = str(uuid.uuid4())
    described = [_attachment(attachment_id, ATTACHMENT_CONTENT)]
    uploads = {attachment_id: ATTACHMENT_CONTENT}
    destination = declared.destination_id
    data_hash: str | None = None
    skip: tuple[str, ...] = ()
    if case == "data_hash":
        data_hash = _wrong_hash(data)
    elif case == "attachment_hash":
        described = [_attachment(attachment_id, ATTACHMENT_CONTENT, _wrong_hash(b""))]
        expectation = Expectation("reject", f"attachment:{attachment_id}", "hash-mismatch")
    elif case == "unlisted_schema":
        schema_uri = UNLISTED_SCHEMA_URI
    elif case == "unlisted_metadata_version":
        version = unlisted_version(declared.metadata_versions)
    elif case == "unsent_attachment":
        uploads = {}  # named in the metadata, neither announced nor uploaded
    elif case == "foreign_key":
        key = foreign_key(str(declared.encryption_key.get("kid", "")))
    elif case == "schema_invalid_data":
        data = _schema_invalid(declared, data)
    elif case == "unparseable_data":
        data = NOT_JSON
    elif case == "unuploaded_attachment":
        skip = (attachment_id,)
    elif case == "unknown_destination":
        destination = str(uuid.uuid4())
    metadata = _metadata(version, data, schema_uri, mime, described, data_hash)
    v2_cty = "application/json"
    return Built(
        case=case,
        expectation=expectation,
        destination_id=destination,
        announced=list(uploads),
        attachments={
            a: crypto.encrypt_jwe(content, key, content_type="text/plain")
            for a, content in uploads.items()
            if a not in skip
        },
        encrypted_metadata=crypto.encrypt_jwe(
            json.dumps(metadata).encode(), key, content_type=v2_cty
        ),
        encrypted_data=crypto.encrypt_jwe(data, key, content_type=mime),
        skip_upload=skip,
    )
