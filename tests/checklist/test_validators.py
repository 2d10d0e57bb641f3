"""Every validation rule for recorded identifiers, with real valid and invalid examples.

Sources of the real values (also in docs/fitko-facts.md §8):
- [routing] FITKO's routing-api.yaml (leika-key, ars, ags, submission-schema patterns and
  the XBau example), https://schema.fitko.de/fit-connect/routing-api/latest/routing-api.yaml
- [bund] Bundesportal, https://verwaltung.bund.de/leistungsverzeichnis/de/leistung/99050012104000
- [pvog] PVOG Suchdienst records (pvog.fitko.net), as stored in the public repository
  benjaminaaron/d-stack-kg, data/2-enrich-kg/pvog-leistungen.ttl (retrieved 2026-06-16)
- [prod] live PROD destinations read from prod.fit-connect.fitko.net, as stored in
  benjaminaaron/d-stack-kg, data/2-enrich-kg/fit-connect.ttl (retrieved 2026-06-18)
- [scopes] FITKO docs on sender scopes (``send:region:DE…``) and signed addressing
  information (gebietIDs ``urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:…``),
  docs …/details/authentication/scopes-sender and docs MR 219
- [fim] FIM Sammelrepository, https://docs.fitko.de/fim/docs/schema-repository/schemarepository-for-group-4
- [replyChannel] https://docs.fitko.de/fit-connect/docs/metadata/replyChannel/ (XBau 2.4)
- [xoev] XÖV URNs in public code: urn:xoev-de:xunternehmen:standard:… (docs/fitko-facts.md §8)
- [dotnet] FITKO .NET SDK notes (99099002067003), fitconnect-domain §5
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from checklist.validators import (
    normalise_ars,
    normalise_leika_key,
    normalise_service_key,
    parse_ars_list,
    parse_process_standards,
    suggested_mime_type,
    validate_schema_uri,
)


def messages(error: ValidationError) -> list[str]:
    """Return the messages in English (the msgids), whatever the active language."""
    with translation.override("en"):
        return [str(message) for message in error.messages]


# Service identifiers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("99050012104000", "99050012104000"),  # Gewerbe anmelden [bund]
        ("urn:de:fim:leika:leistung:99102013104000", "99102013104000"),  # Hundesteuer [pvog]
        ("URN:DE:FIM:LEIKA:LEISTUNG:99099002067003", "99099002067003"),  # [dotnet]
        (" 9905 0012 1040 00 ", "99050012104000"),  # pasted with spaces
    ],
)
def test_valid_leistungsschluessel_are_normalised_to_14_digits(raw: str, key: str) -> None:
    assert normalise_service_key(raw) == key
    assert normalise_leika_key(raw) == key


def test_another_unique_urn_is_accepted_for_a_service_without_leistungsschluessel() -> None:
    # FITKO allows it "übergangsweise" (docs commit 63712b67); a real PROD destination names
    # its Beihilfe services this way [prod].
    assert normalise_service_key(" urn:de:govos:parent:s16000413 ") == (
        "urn:de:govos:parent:s16000413"
    )
    with pytest.raises(ValidationError):
        normalise_leika_key("urn:de:govos:parent:s16000413")  # not a key for the Routing API


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("9905001210400", "invalid_leika_key"),  # 13 digits
        ("990500121040001", "invalid_leika_key"),  # 15 digits
        ("98050012104000", "invalid_leika_key"),  # does not start with 99
        ("99O50012104000", "invalid_leika_key"),  # letter O
        ("urn:de:fim:leika:leistung:", "invalid_leika_key"),  # prefix only
        ("urn:de:fim:leika:99050012104000", "invalid_leika_key"),  # wrong prefix
        ("urn:de:govos:parent:s1600 0413", "invalid_service_urn"),  # space in a URN
        # Submission API 1.1.3: lower case only, and none of ~ & (docs/fitko-facts.md §12)
        ("urn:de:GovOS:parent:S16000413", "upper_case_service_urn"),
        ("URN:de:govos:parent:s16000413", "upper_case_service_urn"),
        ("urn:de:govos:parent:s1600~0413", "invalid_service_urn"),
        ("", "invalid_leika_key"),
    ],
)
def test_invalid_service_identifiers_are_refused(raw: str, code: str) -> None:
    with pytest.raises(ValidationError) as error:
        normalise_service_key(raw)
    assert error.value.code == code


def test_fourteen_digits_without_99_are_explained() -> None:
    with pytest.raises(ValidationError) as error:
        normalise_service_key("98050012104000")
    assert "does not start with 99" in messages(error.value)[0]


def test_a_wrong_leika_urn_prefix_shows_the_right_one() -> None:
    with pytest.raises(ValidationError) as error:
        normalise_service_key("urn:de:fim:leika:99050012104000")
    assert "urn:de:fim:leika:leistung:99050012104000" in messages(error.value)[0]


# Regions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "regions"),
    [
        ("06", ["06"]),
        ("064", ["064"]),
        ("06435", ["06435"]),  # Main-Kinzig-Kreis [routing pattern]
        ("064350014", ["064350014"]),
        ("064350014014", ["064350014014"]),  # Hanau [routing example]
        ("091620000000", ["091620000000"]),  # München
        ("064350014014, 06435;06\n064", ["064350014014", "06435", "06", "064"]),
        ("06435, 06435", ["06435"]),  # duplicates collapse
    ],
)
def test_ars_of_2_3_5_9_or_12_digits_are_accepted(raw: str, regions: list[str]) -> None:
    assert parse_ars_list(raw) == regions


@pytest.mark.parametrize(
    ("raw", "ars"),
    [
        ("DE064350014014", "064350014014"),  # DE + ARS, as in send:region:DE… [scopes]
        ("de06435", "06435"),
        # the gebiet URN of signed addressing information [scopes]
        ("urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:120645410", "120645410"),
    ],
)
def test_de_prefixed_and_urn_form_ars_are_normalised(raw: str, ars: str) -> None:
    assert normalise_ars(raw) == ars
    assert parse_ars_list(raw) == [ars]


@pytest.mark.parametrize(
    ("ags", "suggestion"),
    [("09162000", "091620000000"), ("11000000", "110000000000"), ("05315000", "053150000000")],
)
def test_an_8_digit_ags_is_explained_with_the_ars_it_probably_means(
    ags: str, suggestion: str
) -> None:
    # München, Berlin, Köln: AGS are 8 digits, the routing's ars parameter wants 12 [routing]
    with pytest.raises(ValidationError) as error:
        parse_ars_list(ags)
    (message,) = messages(error.value)
    assert "Amtlicher Gemeindeschlüssel" in message
    assert suggestion in message
    assert error.value.error_list[0].code == "ags_not_ars"


@pytest.mark.parametrize("raw", ["0643", "0643500", "06435001401", "0643500140140", "6-4", "DEX"])
def test_ars_of_other_lengths_or_with_letters_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError) as error:
        parse_ars_list(raw)
    assert error.value.error_list[0].code == "invalid_ars"
    assert raw in messages(error.value)[0]


def test_de_alone_is_explained_as_all_of_germany() -> None:
    with pytest.raises(ValidationError) as error:
        parse_ars_list("DE")
    assert "all of Germany" in messages(error.value)[0]


def test_every_wrong_region_gets_its_own_message() -> None:
    with pytest.raises(ValidationError) as error:
        parse_ars_list("09162000, 0643, 064350014014")
    assert len(error.value.messages) == 2


def test_an_empty_region_list_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        parse_ars_list(" ,\n ")
    assert error.value.code == "required"


# Schema URIs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "https://schema.fitko.de/fim/s00000092_1.0.schema.json",  # older FIM form
        "https://schema.fitko.de/fim/s00000114_1.1.schema.json",
        # on the FIM Sammelrepository's host [fim]; the path layout there is illustrative
        "https://schema.fim.fitko.net/schemas/S00000000371/1.0.0/S00000000371.schema.json",
        # real PROD destinations declare FIM-based schemas at other addresses [prod]
        "https://gitlab.opencode.de/digitalfirst/kam/standards/-/raw/main/schema/99008001014002/2.0/schema.json",
        "https://thavelp.thueringen.de/thavelp/portal/a3start/0/api1/schema/6699/9/schema.json",
        "http://schema.fitko.de/fim/s00000092_1.0.schema.json",  # a URI is all FITKO asks
    ],
)
def test_any_absolute_schema_uri_is_accepted_for_fim(uri: str) -> None:
    assert validate_schema_uri("fim", f"  {uri} ") == uri


@pytest.mark.parametrize("raw", ["S00000000371", "S00000000371 1.0.0", "s00000092_1.0"])
def test_a_fim_schema_id_is_explained_rather_than_refused_bare(raw: str) -> None:
    # XDatenfelder 3 identifiers look like S00000000371 with version 1.0.0 (docs/fitko-facts.md §8)
    with pytest.raises(ValidationError) as error:
        validate_schema_uri("fim", raw)
    assert error.value.code == "fim_id_not_uri"
    assert "schema.fim.fitko.net" in messages(error.value)[0]


@pytest.mark.parametrize(
    "uri", ["schema.fitko.de/fim/s00000092_1.0.schema.json", "s00000092 schema", "ftp//x"]
)
def test_relative_or_malformed_schema_uris_are_refused(uri: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_schema_uri("fim", uri)
    assert error.value.code == "invalid_fim_uri"


@pytest.mark.parametrize(
    "uri",
    [
        "urn:xoev-de:bmk:standard:xbau_2.2",
        "urn:xoev-de:bmk:standard:xbau_2.2#baugenehmigung.antrag.0200",  # [routing]
        "urn:xoev-de:xunternehmen:standard:gewerbesteuer_1.4",  # [xoev]
        "urn:xoev-de:xunternehmen:standard:basismodul:adressen_1.1",  # sub-namespace [xoev]
        "urn:xoev-de:d-nrw:standard:xsozialbasis_2.5.0",  # declared by a PROD destination [prod]
        # an XSD's URL is a valid schemaUri (docs …/getting-started/schema-validation/);
        # the path is illustrative
        "https://www.xrepository.de/api/xrepository/xbau_2.2/xbau-nachrichten.xsd",
    ],
)
def test_xoev_urns_with_sub_namespaces_and_xsd_urls_are_accepted(uri: str) -> None:
    assert validate_schema_uri("xoev", uri) == uri


@pytest.mark.parametrize(
    "uri",
    [
        "urn:xoev:bmk:standard:xbau_2.2",
        "urn:xoev-de:bmk:xbau_2.2",
        "urn:xoev-de:bmk:standard:xbau",  # no version
        "urn:xoev-de:bmk:standard:xbau_2.2#",
        "https://example.org/xbau.json",  # neither a URN nor an XSD
    ],
)
def test_malformed_xoev_identifiers_are_refused(uri: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_schema_uri("xoev", uri)
    assert error.value.code == "invalid_xoev_urn"


@pytest.mark.parametrize(
    ("kind", "uri"),
    [
        ("fim", "urn:xoev-de:bmk:standard:xbau_2.2"),
        ("xoev", "https://schema.fitko.de/fim/s00000092_1.0.schema.json"),
        ("xoev", "https://schema.fim.fitko.net/schemas/S00000000371/1.0.0/S00000000371.xsd"),
    ],
)
def test_a_schema_of_the_other_kind_asks_to_change_the_kind(kind: str, uri: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_schema_uri(kind, uri)
    assert error.value.code == "schema_kind_mismatch"


def test_schema_uris_may_have_200_characters_but_not_201() -> None:
    base = "urn:xoev-de:bmk:standard:xbau_2.2#"
    exactly_200 = base + "a" * (200 - len(base))
    assert validate_schema_uri("xoev", exactly_200) == exactly_200
    with pytest.raises(ValidationError) as error:
        validate_schema_uri("xoev", exactly_200 + "a")
    assert error.value.code == "too_long"


def test_process_standards_must_be_xoev_urns_without_message() -> None:
    # urn:xoev-de:bmk:standard:xbau_2.4 is FITKO's example [replyChannel]
    assert parse_process_standards("urn:xoev-de:bmk:standard:xbau_2.4\n") == [
        "urn:xoev-de:bmk:standard:xbau_2.4"
    ]
    assert parse_process_standards("urn:xoev-de:xunternehmen:standard:basismodul:adressen_1.1")
    assert parse_process_standards("") == []
    with pytest.raises(ValidationError):
        parse_process_standards("urn:xoev-de:bmk:standard:xbau_2.4#antrag")
    with pytest.raises(ValidationError):
        parse_process_standards("xbau")


def test_mime_type_is_suggested_from_the_schema_kind() -> None:
    assert suggested_mime_type("fim") == "application/json"
    assert suggested_mime_type("xoev") == "application/xml"
