"""Coverage per Leistung and region: signed-off production connections, the gaps against
the office's expected regions, the upload of those, the CSV of the gaps, the query budget."""

from __future__ import annotations

import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checklist.models import ExpectedRegion, Leistung, Onboarding
from portal.models import Membership, Organisation
from tests.conftest import World, make_onboarding, make_user

NOT_COUNTED = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")
GEWERBE = "99050012104000"
REGIONS_CSV = "ARS;Name\n064350014014;Musterstadt\n06411;Stadt Darmstadt\n06412;Frankfurt\n"


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def live(onboarding: Onboarding) -> None:
    """Production signed off (the stored summary the coverage counts on)."""
    Onboarding.objects.filter(pk=onboarding.pk).update(signoff_production="approved")


def upload(client: Client, text: str, name: str = "regionen.csv") -> str:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("coverage_regions"),
        {"regions_file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def _darmstadt(world: World, number: int, regions: list[str]) -> Onboarding:
    authority, _ = Organisation.objects.get_or_create(
        slug="darmstadt",
        defaults={"name": "Stadt Darmstadt", "kind": "authority", "ars": "064110000000"},
    )
    onboarding = make_onboarding(
        authority, None, world.authority_admin, f"darmstadt-{number}", f"Verfahren {number}"
    )
    Leistung.objects.filter(onboarding=onboarding).update(regions=regions)
    return onboarding


def test_only_signed_off_production_covers_and_gaps_show_x_of_y_regions(world: World) -> None:
    client = signed_in(world.coordinator)
    html = upload(client, REGIONS_CSV)
    assert "3 erwartete Regionen wurden gespeichert." in html
    # Musterstadt records Gewerbe for its region, but production is not signed off yet.
    assert "0 von 3 Regionen" in html
    assert "3 Regionen ohne freigegebene Produktivanbindung" in html
    live(world.onboarding)
    html = client.get(reverse("coverage")).content.decode()
    assert "1 von 3 Regionen" in html
    gaps = html.split('id="gaps-caption"')[1].split("</table>")[0]
    assert "2 Regionen ohne freigegebene Produktivanbindung" in gaps
    assert "Stadt Darmstadt" in gaps
    assert "Frankfurt" in gaps
    assert "Musterstadt" not in gaps


def test_a_kreis_connection_covers_its_gemeinden_but_a_gemeinde_not_its_kreis(
    world: World,
) -> None:
    client = signed_in(world.coordinator)
    upload(client, "ARS;Name\n064110000001;Ort in Darmstadt\n06412;Frankfurt\n")
    live(_darmstadt(world, 1, ["06411"]))  # the whole Kreis: covers the Gemeinde in it
    live(_darmstadt(world, 2, ["064120000007"]))  # one Gemeinde: does not cover Frankfurt
    html = client.get(reverse("coverage")).content.decode()
    assert "1 von 2 Regionen" in html
    gaps = html.split('id="gaps-caption"')[1].split("</table>")[0]
    assert "Frankfurt" in gaps
    assert "Ort in Darmstadt" not in gaps


def test_each_service_lists_the_regions_it_is_connected_for(world: World) -> None:
    client = signed_in(world.coordinator)
    upload(client, REGIONS_CSV)
    live(world.onboarding)  # Musterstadt, by its authority's ARS
    live(_darmstadt(world, 1, ["06411"]))  # named by the expected region
    live(_darmstadt(world, 2, ["06411"]))
    _darmstadt(world, 3, ["06412"])  # production not signed off: not listed
    html = client.get(reverse("coverage")).content.decode()
    assert f'href="?leistung={GEWERBE}#regionen">2 Regionen</a>' in html
    html = client.get(reverse("coverage"), {"leistung": GEWERBE}).content.decode()
    regions = html.split('id="connected-caption"')[1].split("</table>")[0]
    assert "2 Regionen mit freigegebener Produktivanbindung" in regions
    rows = re.findall(r"<tr.*?</tr>", regions, re.S)[1:]
    cells = [re.sub(r"<[^>]+>", "|", row).split("|") for row in rows]
    assert [[c.strip() for c in row if c.strip()] for row in cells] == [
        ["Stadt Darmstadt", "06411", "2"],
        ["Musterstadt", "064350014014", "1"],
    ]


def test_a_file_with_bad_rows_saves_nothing_and_names_each_row(world: World) -> None:
    client = signed_in(world.coordinator)
    upload(client, REGIONS_CSV)
    html = upload(
        client,
        "ARS;Name\n06411;Darmstadt\n0641;Zu kurz\n071110000000;Koblenz\n06411;Doppelt\n06413;\n",
    )
    assert "4 Zeilen sind fehlerhaft: nichts wurde gespeichert" in html
    assert "Zeile 3: „0641“ ist kein ARS" in html
    assert (
        "Zeile 4: Die Region 071110000000 liegt nicht im Bereich Ihrer Koordinierungsstelle" in html
    )
    assert "Zeile 5: Der ARS 06411 steht schon in Zeile 2." in html
    assert "Zeile 6: Der Name der Region fehlt." in html
    # The earlier list stays whole.
    assert ExpectedRegion.objects.filter(office=world.coordination).count() == 3


def test_the_gaps_export_as_csv(world: World) -> None:
    client = signed_in(world.coordinator)
    upload(client, REGIONS_CSV)
    live(world.onboarding)
    response = client.get(reverse("coverage_gaps_csv"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    lines = text.strip().splitlines()
    assert lines[0] == "Leistungsschlüssel;Leistung;ARS;Region"
    assert lines[1:] == [
        f"{GEWERBE};Gewerbe anmelden;06411;Stadt Darmstadt",
        f"{GEWERBE};Gewerbe anmelden;06412;Frankfurt",
    ]


def test_expected_services_replace_those_of_the_area(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = signed_in(world.coordinator)
    upload(client, REGIONS_CSV)
    bad = client.post(
        reverse("coverage_leistungen"),
        {
            "leistungen_file": SimpleUploadedFile(
                "l.csv", b"Leistungsschl\xc3\xbcssel;Name\n12345;Falsch\n", content_type="text/csv"
            )
        },
    ).content.decode()
    assert "Zeile 2: „12345“ ist kein Leistungsschlüssel" in bad
    client.post(
        reverse("coverage_leistungen"),
        {
            "leistungen_file": SimpleUploadedFile(
                "l.csv",
                b"Leistungsschl\xc3\xbcssel;Name\n99108001001000;Parkausweis\n",
                content_type="text/csv",
            )
        },
    )
    html = client.get(reverse("coverage")).content.decode()
    gaps = html.split('id="gaps-caption"')[1].split("</table>")[0]
    assert "Parkausweis" in gaps
    assert GEWERBE not in gaps


def test_an_office_sees_only_its_own_area(world: World) -> None:
    bayern = Organisation.objects.create(
        name="Koordinierung Bayern",
        slug="koordinierung-bayern",
        kind="coordination",
        regions=["09"],
    )
    berta = make_user("berta@bayern.example", "Berta Bayer")
    Membership.objects.create(user=berta, organisation=bayern, role="admin")
    live(world.onboarding)
    html = signed_in(berta).get(reverse("coverage")).content.decode()
    assert "Gewerbe anmelden" not in html
    assert "Noch kein Anbindungsvorhaben Ihres Bereichs" in html
    # Her upload is held to her area.
    assert "liegt nicht im Bereich Ihrer Koordinierungsstelle" in upload(
        signed_in(berta), REGIONS_CSV
    )


def _statements(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("coverage"), {"leistung": GEWERBE})
    assert response.status_code == 200
    assert "mit freigegebener Produktivanbindung</caption>" in response.content.decode()
    return len([q for q in captured.captured_queries if not q["sql"].startswith(NOT_COUNTED)])


def test_the_page_costs_the_same_statements_for_ten_times_the_onboardings(world: World) -> None:
    client = signed_in(world.coordinator)
    upload(client, REGIONS_CSV)
    _statements(client)
    for number in range(3):
        live(_darmstadt(world, number, ["06411"]))
    few = _statements(client)
    for number in range(3, 30):
        onboarding = _darmstadt(world, number, ["06411", f"0641200000{number:02d}"])
        if number % 2:
            live(onboarding)
    assert _statements(client) == few


def test_office_staff_read_but_only_administrators_upload(world: World) -> None:
    sam = make_user("sam@koordinierung.example", "Sam Sachbearbeitung")
    Membership.objects.create(user=sam, organisation=world.coordination, role="staff")
    client = signed_in(sam)
    html = client.get(reverse("coverage")).content.decode()
    assert "Gewerbe anmelden" in html
    assert "Regionen hochladen" not in html
    from django.core.files.uploadedfile import SimpleUploadedFile

    refused = client.post(
        reverse("coverage_regions"),
        {"regions_file": SimpleUploadedFile("r.csv", REGIONS_CSV.encode(), "text/csv")},
    )
    assert refused.status_code == 403
    assert not ExpectedRegion.objects.exists()


def test_the_operator_sees_every_area_without_an_office_list(world: World) -> None:
    bayern = Organisation.objects.create(
        name="Stadt München", slug="muenchen", kind="authority", ars="091620000000"
    )
    munich = make_onboarding(bayern, None, world.authority_admin, "muenchen-kfz", "Kfz München")
    Leistung.objects.filter(onboarding=munich).update(key="99108001001000", name="Parkausweis")
    live(munich)
    html = signed_in(world.site_operator).get(reverse("coverage")).content.decode()
    assert "Abdeckung je Leistung und Region – alle Behörden" in html
    assert "Gewerbe anmelden" in html
    assert "Parkausweis" in html
    assert 'id="luecken"' not in html  # gaps belong to an office's expected regions


def test_the_gaps_are_paged_and_a_page_beyond_shows_the_last(world: World) -> None:
    ExpectedRegion.objects.bulk_create(
        [
            ExpectedRegion(office=world.coordination, ars=f"0641100000{n:02d}", name=f"Ort {n:02d}")
            for n in range(60)
        ]
    )
    client = signed_in(world.coordinator)
    first = client.get(reverse("coverage")).content.decode()
    assert "60 Regionen ohne freigegebene Produktivanbindung, angezeigt: 1 bis 50" in first
    assert "Ort 49" in first
    assert "Ort 50" not in first
    for number in ("2", "9"):
        page = client.get(reverse("coverage"), {"seite": number}).content.decode()
        assert "angezeigt: 51 bis 60" in page
        assert "Ort 50" in page
        assert "Ort 49" not in page
        assert "Seite 2 von 2" in page
