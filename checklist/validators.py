"""Validation and normalisation of FIT-Connect identifiers. No Django models needed.

Rules from the domain brief §5: Leistungsschlüssel ``^99\\d{12}$`` (URN prefix
``urn:de:fim:leika:leistung:`` accepted), ARS of 2, 3, 5, 9 or 12 digits, FIM schema URIs
``https://schema.fitko.de/fim/s<8 digits>_<major>.<minor>.schema.json``, XÖV identifiers
``urn:xoev-de:<org>:standard:<name>_<version>`` with optional ``#message``, at most 200
characters, metadata versions as ``x.y.z``.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

LEIKA_URN_PREFIX = "urn:de:fim:leika:leistung:"
LEIKA_KEY = re.compile(r"^99\d{12}$")
ARS = re.compile(r"^(\d{2}|\d{3}|\d{5}|\d{9}|\d{12})$")
FIM_SCHEMA = re.compile(r"^https://schema\.fitko\.de/fim/s\d{8}_\d+\.\d+\.schema\.json$")
XOEV_URN = re.compile(
    r"^urn:xoev-de:[a-z0-9-]+:standard:[a-z0-9-]+_\d+(\.\d+)*(#[A-Za-z0-9._-]+)?$",
    re.IGNORECASE,
)
XOEV_PROCESS_STANDARD = re.compile(
    r"^urn:xoev-de:[a-z0-9-]+:standard:[a-z0-9-]+_\d+(\.\d+)*$", re.IGNORECASE
)
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
SCHEMA_URI_MAX = 200

# Metadata schema versions published by FITKO (domain brief §5); the 2.x line is offered
# too because destinations may declare it. Kept here so that a new version is one line.
KNOWN_METADATA_VERSIONS = ("1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0", "1.5.0", "2.0.0", "2.1.0")


def normalise_leika_key(value: str) -> str:
    """Return the bare 14-digit Leistungsschlüssel, or raise ``ValidationError``."""
    key = "".join(value.split())
    if key.lower().startswith(LEIKA_URN_PREFIX):
        key = key[len(LEIKA_URN_PREFIX) :]
    if not LEIKA_KEY.match(key):
        raise ValidationError(
            _(
                "A Leistungsschlüssel has 14 digits and starts with 99, for example "
                "99050035001000. You may also paste it as urn:de:fim:leika:leistung:…"
            ),
            code="invalid_leika_key",
        )
    return key


def _split(value: str) -> list[str]:
    """Return the entries of a comma-, semicolon- or line-separated text."""
    return [item for item in re.split(r"[\s,;]+", value) if item]


def parse_ars_list(value: str) -> list[str]:
    """Return the ARS from a comma-, semicolon- or line-separated text, or raise."""
    items = _split(value)
    if not items:
        raise ValidationError(
            _("Please enter at least one Amtlicher Regionalschlüssel (ARS)."), code="required"
        )
    wrong = [item for item in items if not ARS.match(item)]
    if wrong:
        raise ValidationError(
            _(
                "%(values)s is not a valid ARS. An ARS has 2 (Land), 3 (Regierungsbezirk), "
                "5 (Kreis), 9 (Gemeindeverband) or 12 (Gemeinde) digits."
            ),
            code="invalid_ars",
            params={"values": ", ".join(wrong)},
        )
    return list(dict.fromkeys(items))


def validate_schema_uri(kind: str, uri: str) -> str:
    """Check a schema URI against its kind (``fim`` or ``xoev``) and return it trimmed."""
    uri = uri.strip()
    if len(uri) > SCHEMA_URI_MAX:
        raise ValidationError(
            _("The schema URI may have at most 200 characters (it has %(length)d)."),
            code="too_long",
            params={"length": len(uri)},
        )
    if kind == "fim" and not FIM_SCHEMA.match(uri):
        raise ValidationError(
            _(
                "A FIM schema URI looks like "
                "https://schema.fitko.de/fim/s00000092_1.0.schema.json "
                "(s, 8 digits, underscore, version)."
            ),
            code="invalid_fim_uri",
        )
    if kind == "xoev" and not XOEV_URN.match(uri):
        raise ValidationError(
            _(
                "An XÖV schema identifier looks like urn:xoev-de:bmk:standard:xbau_2.2, "
                "optionally followed by #message."
            ),
            code="invalid_xoev_urn",
        )
    return uri


def parse_process_standards(value: str) -> list[str]:
    """Return XÖV process standard URNs from a line- or comma-separated text, or raise."""
    items = _split(value)
    wrong = [item for item in items if not XOEV_PROCESS_STANDARD.match(item)]
    if wrong:
        raise ValidationError(
            _(
                "%(values)s is not an XÖV process standard. Use the form "
                "urn:xoev-de:bmk:standard:xbau_2.4."
            ),
            code="invalid_process_standard",
            params={"values": ", ".join(wrong)},
        )
    return list(dict.fromkeys(items))


def suggested_mime_type(kind: str) -> str:
    """Return the MIME type that usually goes with a schema kind."""
    return "application/json" if kind == "fim" else "application/xml"
