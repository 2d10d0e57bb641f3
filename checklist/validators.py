"""Validation and normalisation of FIT-Connect identifiers. No Django models needed.

Every rule accepts what FITKO accepts and explains near misses instead of a bare "invalid":

- Service identifier: a Leistungsschlüssel ``^99\\d{12}$`` (bare or as
  ``urn:de:fim:leika:leistung:<key>``), or "übergangsweise" another unique URN for a service
  without one (FITKO docs commit 63712b67, https://git.fitko.de/fit-connect/docs/-/commit/63712b671f45e5c9d1acf37ed28f0ffa4067953c).
- ARS of 2, 3, 5, 9 or 12 digits (routing-api.yaml ``ars``); ``DE``-prefixed regions and the
  gebiet URN ``urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:<ARS>`` that FITKO
  uses in scopes and signed addressing information are normalised; an 8-digit AGS is
  explained.
- Schema URI: FITKO's metadata schema only asks for ``format: uri`` (at most 200 characters,
  routing-api.yaml ``submission-schema``), so any absolute URI is accepted; FIM schemas live on
  schema.fitko.de/fim (older) or in the FIM Sammelrepository schema.fim.fitko.net
  (https://docs.fitko.de/fim/docs/schema-repository/schemarepository-for-group-4). XÖV
  standards are ``urn:xoev-de:…`` URNs, also with sub-namespaces, or their XSD's URL
  (https://docs.fitko.de/fit-connect/docs/getting-started/schema-validation/).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fitconnect.constants import LEIKA_KEY_PATTERN, LEIKA_URN_PREFIX, REGION_URN_PREFIX

LEIKA_KEY = re.compile(LEIKA_KEY_PATTERN)
ARS = re.compile(r"^(\d{2}|\d{3}|\d{5}|\d{9}|\d{12})$")
AGS = re.compile(r"^\d{8}$")
# RFC 8141: "urn:" NID ":" NSS (NSS without spaces).
URN = re.compile(r"^urn:[a-z0-9][a-z0-9-]{0,31}:[A-Za-z0-9()+,\-.:=@;$_!*'%/?#~&]+$", re.I)
# A service identifier exactly as Submission API 1.1.3 allows it (``identifier`` of
# ``Service``): lower case only (docs/fitko-facts.md §12).
SERVICE_URN = re.compile(r"^urn:[a-z0-9][a-z0-9-]{0,31}:[a-z0-9()+,.:=@;$_!*'%/?#-]+$")
ABSOLUTE_URL = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+(/\S*)?$", re.I)
# urn:xoev-de:<publisher>:standard:<name>[:<sub-name>…]_<version>[#<message>]
XOEV_URN = re.compile(
    r"^urn:xoev-de:[a-z0-9-]+:standard:[a-z0-9-]+(:[a-z0-9-]+)*_\d+(\.\d+)*(#[A-Za-z0-9._-]+)?$",
    re.IGNORECASE,
)
XOEV_PROCESS_STANDARD = re.compile(
    r"^urn:xoev-de:[a-z0-9-]+:standard:[a-z0-9-]+(:[a-z0-9-]+)*_\d+(\.\d+)*$", re.IGNORECASE
)
# A FIM data schema's ID rather than its URI: S00000000371 (XDatenfelder 3), s00000092_1.0.
FIM_SCHEMA_ID = re.compile(r"^s\d{8}(\d{3})?([_ ]?v?\d+(\.\d+)*)?$", re.IGNORECASE)
FIM_HOSTS = ("schema.fitko.de/fim/", "schema.fim.fitko.net")
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
SCHEMA_URI_MAX = 200
SERVICE_URN_MAX = 200

# Metadata schema versions published by FITKO (domain brief §5); the 2.x line is offered
# too because destinations may declare it. Kept here so that a new version is one line.
KNOWN_METADATA_VERSIONS = ("1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0", "1.5.0", "2.0.0", "2.1.0")


def is_leika_key(key: str) -> bool:
    """Whether a stored service key is a Leistungsschlüssel (not another URN)."""
    return bool(LEIKA_KEY.match(key))


def normalise_service_key(value: str) -> str:
    """Return a bare 14-digit Leistungsschlüssel or another service URN, or raise.

    A Leistungsschlüssel may be pasted with spaces or as ``urn:de:fim:leika:leistung:…``.
    """
    raw = value.strip()
    compact = "".join(raw.split())
    if compact.lower().startswith(LEIKA_URN_PREFIX):
        compact = compact[len(LEIKA_URN_PREFIX) :]
    elif compact.lower().startswith("urn:de:fim:leika:"):
        raise ValidationError(
            _(
                "A Leistungsschlüssel as a URN starts with urn:de:fim:leika:leistung: followed "
                "by the 14 digits, for example urn:de:fim:leika:leistung:99050012104000."
            ),
            code="invalid_leika_key",
        )
    elif compact.lower().startswith("urn:"):
        if SERVICE_URN.match(raw) and len(raw) <= SERVICE_URN_MAX:
            return raw
        if SERVICE_URN.match(raw.lower()) and len(raw) <= SERVICE_URN_MAX:
            raise ValidationError(
                _(
                    "%(value)s contains capital letters. FIT-Connect accepts the URN of a "
                    "service in lower case only; please enter it as %(lower)s."
                ),
                code="upper_case_service_urn",
                params={"value": raw, "lower": raw.lower()},
            )
        raise ValidationError(
            _(
                "%(value)s is not a valid URN. A service without a Leistungsschlüssel may be "
                "named by another unique URN (at most 200 characters, no spaces), such as "
                "urn:de:example:leistung:antrag."
            ),
            code="invalid_service_urn",
            params={"value": raw},
        )
    if LEIKA_KEY.match(compact):
        return compact
    if compact.isdigit() and len(compact) == 14:
        raise ValidationError(
            _(
                "%(value)s has 14 digits but does not start with 99. FIT-Connect's routing "
                "only knows Leistungsschlüssel that start with 99; look the key up in the FIM "
                "portal (fimportal.de)."
            ),
            code="invalid_leika_key",
            params={"value": compact},
        )
    raise ValidationError(
        _(
            "A Leistungsschlüssel has 14 digits and starts with 99, for example "
            "99050012104000. You may also paste it as urn:de:fim:leika:leistung:…"
        ),
        code="invalid_leika_key",
    )


def normalise_leika_key(value: str) -> str:
    """Return the bare 14-digit Leistungsschlüssel (no other URN), or raise."""
    key = normalise_service_key(value)
    if not is_leika_key(key):
        raise ValidationError(
            _("Please enter a Leistungsschlüssel: 14 digits starting with 99."),
            code="invalid_leika_key",
        )
    return key


def _split(value: str) -> list[str]:
    """Return the entries of a comma-, semicolon- or line-separated text."""
    return [item for item in re.split(r"[\s,;]+", value) if item]


def normalise_ars(value: str) -> str:
    """Return one ARS from its plain, ``DE``-prefixed or URN form, or raise with advice."""
    item = value.strip()
    if item.lower().startswith(REGION_URN_PREFIX):
        item = item[len(REGION_URN_PREFIX) :]
    elif item[:2].upper() == "DE" and item[2:].isdigit():
        item = item[2:]
    if ARS.match(item):
        return item
    if AGS.match(item):
        # AGS = Land, Regierungsbezirk, Kreis (5) + Gemeinde (3); the ARS puts the 4-digit
        # Gemeindeverband in between, "0000" where the Gemeinde belongs to none.
        raise ValidationError(
            _(
                "%(value)s looks like an Amtlicher Gemeindeschlüssel (AGS, 8 digits). Please "
                "enter the 12-digit ARS: the first five digits, the four digits of the "
                "Gemeindeverband, then the last three digits – %(suggestion)s for a Gemeinde "
                "without a Gemeindeverband (e.g. a kreisfreie Stadt)."
            ),
            code="ags_not_ars",
            params={"value": value.strip(), "suggestion": f"{item[:5]}0000{item[5:]}"},
        )
    if item.upper() == "DE":
        raise ValidationError(
            _(
                "DE stands for all of Germany. Please enter the ARS of the area your "
                "authority is responsible for."
            ),
            code="invalid_ars",
        )
    raise ValidationError(
        _(
            "%(value)s is not a valid ARS. An ARS has 2 (Land), 3 (Regierungsbezirk), "
            "5 (Kreis), 9 (Gemeindeverband) or 12 (Gemeinde) digits."
        ),
        code="invalid_ars",
        params={"value": value.strip()},
    )


def parse_ars_list(value: str) -> list[str]:
    """Return the ARS from a comma-, semicolon- or line-separated text, or raise.

    Every wrong entry gets its own message, so a person sees all of them at once.
    """
    items = _split(value)
    if not items:
        raise ValidationError(
            _("Please enter at least one Amtlicher Regionalschlüssel (ARS)."), code="required"
        )
    regions: list[str] = []
    errors: list[ValidationError] = []
    for item in items:
        try:
            regions.append(normalise_ars(item))
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    return list(dict.fromkeys(regions))


def _looks_like_fim(uri: str) -> bool:
    lowered = uri.lower()
    return any(host in lowered for host in FIM_HOSTS)


def validate_schema_uri(kind: str, uri: str) -> str:
    """Check a schema URI against its kind (``fim`` or ``xoev``) and return it trimmed."""
    uri = uri.strip()
    if len(uri) > SCHEMA_URI_MAX:
        raise ValidationError(
            _("The schema URI may have at most 200 characters (it has %(length)d)."),
            code="too_long",
            params={"length": len(uri)},
        )
    if FIM_SCHEMA_ID.match(uri):
        raise ValidationError(
            _(
                "%(value)s is the ID of a FIM data schema, not its address. Enter the URI "
                "under which the schema file is published, e.g. in the FIM Sammelrepository "
                "(https://schema.fim.fitko.net/…) or the older "
                "https://schema.fitko.de/fim/s00000092_1.0.schema.json."
            ),
            code="fim_id_not_uri",
            params={"value": uri},
        )
    is_url = bool(ABSOLUTE_URL.match(uri))
    is_xoev_urn = uri.lower().startswith("urn:xoev-de:")
    if kind == "fim":
        if is_xoev_urn:
            raise ValidationError(
                _("This is an XÖV identifier: please choose XÖV as the data schema."),
                code="schema_kind_mismatch",
            )
        if not (is_url or URN.match(uri)):
            raise ValidationError(
                _(
                    "A schema URI is a complete address such as "
                    "https://schema.fitko.de/fim/s00000092_1.0.schema.json (or a URN)."
                ),
                code="invalid_fim_uri",
            )
    if kind == "xoev":
        if is_url and _looks_like_fim(uri):
            raise ValidationError(
                _("This is a FIM schema: please choose FIM as the data schema."),
                code="schema_kind_mismatch",
            )
        if is_xoev_urn or uri.lower().startswith("urn:xoev"):
            if not XOEV_URN.match(uri):
                raise ValidationError(
                    _(
                        "An XÖV schema identifier looks like urn:xoev-de:bmk:standard:xbau_2.2 "
                        "(publisher, “standard”, name with version), optionally followed by "
                        "#message."
                    ),
                    code="invalid_xoev_urn",
                )
        elif not (is_url and uri.lower().split("?")[0].endswith(".xsd")):
            raise ValidationError(
                _(
                    "For XÖV, enter the standard's URN (urn:xoev-de:…) or the address of its "
                    "XSD file (https://….xsd)."
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
