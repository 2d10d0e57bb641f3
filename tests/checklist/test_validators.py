"""Every validation rule for recorded identifiers, with valid and invalid examples."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from checklist.validators import (
    normalise_leika_key,
    parse_ars_list,
    parse_process_standards,
    suggested_mime_type,
    validate_schema_uri,
)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("99050035001000", "99050035001000"),
        ("urn:de:fim:leika:leistung:99050035001000", "99050035001000"),
        ("URN:DE:FIM:LEIKA:LEISTUNG:99099002067003", "99099002067003"),
        (" 9905 0035 0010 00 ", "99050035001000"),
    ],
)
def test_valid_leistungsschluessel_are_normalised_to_14_digits(raw: str, key: str) -> None:
    assert normalise_leika_key(raw) == key


@pytest.mark.parametrize(
    "raw",
    [
        "9905003500100",  # 13 digits
        "990500350010001",  # 15 digits
        "98050035001000",  # does not start with 99
        "99O50035001000",  # letter O
        "urn:de:fim:leika:leistung:",  # prefix only
        "urn:de:fim:leika:99050035001000",  # wrong prefix
        "",
    ],
)
def test_invalid_leistungsschluessel_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError) as error:
        normalise_leika_key(raw)
    assert error.value.code == "invalid_leika_key"


@pytest.mark.parametrize(
    ("raw", "regions"),
    [
        ("06", ["06"]),
        ("064", ["064"]),
        ("06435", ["06435"]),
        ("064350014", ["064350014"]),
        ("064350014014", ["064350014014"]),
        ("064350014014, 06435;06\n064", ["064350014014", "06435", "06", "064"]),
        ("06435, 06435", ["06435"]),  # duplicates collapse
    ],
)
def test_ars_of_2_3_5_9_or_12_digits_are_accepted(raw: str, regions: list[str]) -> None:
    assert parse_ars_list(raw) == regions


@pytest.mark.parametrize("raw", ["0643", "0643500", "06435001401", "0643500140140", "DE06", "6-4"])
def test_ars_of_other_lengths_or_with_letters_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError) as error:
        parse_ars_list(raw)
    assert error.value.code == "invalid_ars"
    assert raw in str(error.value.message % error.value.params)


def test_an_empty_region_list_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        parse_ars_list(" ,\n ")
    assert error.value.code == "required"


@pytest.mark.parametrize(
    "uri",
    [
        "https://schema.fitko.de/fim/s00000092_1.0.schema.json",
        "https://schema.fitko.de/fim/s00000114_1.1.schema.json",
        "https://schema.fitko.de/fim/s12345678_10.22.schema.json",
    ],
)
def test_fim_schema_uris_are_accepted(uri: str) -> None:
    assert validate_schema_uri("fim", f"  {uri} ") == uri


@pytest.mark.parametrize(
    "uri",
    [
        "http://schema.fitko.de/fim/s00000092_1.0.schema.json",  # not https
        "https://schema.fitko.de/fim/s0000092_1.0.schema.json",  # 7 digits
        "https://schema.fitko.de/fim/s00000092_1.schema.json",  # no minor version
        "https://schema.fitko.de/fim/s00000092_1.0.json",
        "https://example.org/fim/s00000092_1.0.schema.json",
        "urn:xoev-de:bmk:standard:xbau_2.2",  # an XÖV URN is not a FIM schema
    ],
)
def test_malformed_fim_schema_uris_are_refused(uri: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_schema_uri("fim", uri)
    assert error.value.code == "invalid_fim_uri"


@pytest.mark.parametrize(
    "uri",
    [
        "urn:xoev-de:bmk:standard:xbau_2.2",
        "urn:xoev-de:bmk:standard:xbau_2.2#baugenehmigung.antrag.0200",
        "urn:xoev-de:xunternehmen:standard:xunternehmen_1",
    ],
)
def test_xoev_identifiers_are_accepted(uri: str) -> None:
    assert validate_schema_uri("xoev", uri) == uri


@pytest.mark.parametrize(
    "uri",
    [
        "urn:xoev:bmk:standard:xbau_2.2",
        "urn:xoev-de:bmk:xbau_2.2",
        "urn:xoev-de:bmk:standard:xbau",  # no version
        "https://schema.fitko.de/fim/s00000092_1.0.schema.json",
        "urn:xoev-de:bmk:standard:xbau_2.2#",
    ],
)
def test_malformed_xoev_identifiers_are_refused(uri: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_schema_uri("xoev", uri)
    assert error.value.code == "invalid_xoev_urn"


def test_schema_uris_may_have_200_characters_but_not_201() -> None:
    base = "urn:xoev-de:bmk:standard:xbau_2.2#"
    exactly_200 = base + "a" * (200 - len(base))
    assert validate_schema_uri("xoev", exactly_200) == exactly_200
    with pytest.raises(ValidationError) as error:
        validate_schema_uri("xoev", exactly_200 + "a")
    assert error.value.code == "too_long"


def test_process_standards_must_be_xoev_urns_without_message() -> None:
    assert parse_process_standards("urn:xoev-de:bmk:standard:xbau_2.4\n") == [
        "urn:xoev-de:bmk:standard:xbau_2.4"
    ]
    assert parse_process_standards("") == []
    with pytest.raises(ValidationError):
        parse_process_standards("urn:xoev-de:bmk:standard:xbau_2.4#antrag")
    with pytest.raises(ValidationError):
        parse_process_standards("xbau")


def test_mime_type_is_suggested_from_the_schema_kind() -> None:
    assert suggested_mime_type("fim") == "application/json"
    assert suggested_mime_type("xoev") == "application/xml"
