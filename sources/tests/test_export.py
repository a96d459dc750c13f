import csv
import json
from pathlib import Path

from django.core.management import call_command

from directory.models import Organization, PrivateContact
from places.geocoder import reset_geocoder
from sources.exports import COLUMNS
from sources.services import import_file


def test_it_exports_public_listings_with_places_issues_and_sources(tmp_path: Path, places) -> None:
    reset_geocoder()
    data = tmp_path / "groups.csv"
    data.write_text(
        "Name,City,State,Tags\n"
        "Oakland Tenants Union,Oakland,CA,housing\n"
        "Hidden Group,Portland,OR,\n"
    )
    import_file(user=None, path=data, source_name="Bay list")
    import_file(user=None, path=data, source_name="Other list")
    hidden = Organization.objects.filter(name="Hidden Group")
    hidden.update(is_hidden=True)
    oakland = Organization.objects.filter(name="Oakland Tenants Union").order_by("pk").first()
    assert oakland is not None
    PrivateContact.objects.create(organization=oakland, email="secret@example.org")
    out = tmp_path / "orgs.csv"
    call_command("export", "organizations", "--out", str(out))
    text = out.read_text()
    rows = list(csv.DictReader(text.splitlines()))
    assert tuple(rows[0]) == COLUMNS
    assert {r["name"] for r in rows} == {"Oakland Tenants Union"}
    first = next(r for r in rows if r["id"] == str(oakland.pk))
    assert (first["home_place"], first["kind"]) == ("Oakland", "local_group")
    assert "housing" in first["issue_areas"].split(";")
    assert first["sources"] in ("Bay list", "Bay list;Other list")
    assert first["latitude"] and first["longitude"]
    assert "secret@example.org" not in text

    geo = tmp_path / "orgs.geojson"
    call_command("export", "organizations", "--out", str(geo), "--format", "geojson")
    doc = json.loads(geo.read_text())
    feature = doc["features"][0]
    assert feature["geometry"]["type"] == "Point"
    assert set(feature["properties"]) == set(COLUMNS)
    assert len(doc["features"]) == len(rows)
    reset_geocoder()


def test_it_exports_formula_like_names_as_text(tmp_path: Path, places) -> None:
    reset_geocoder()
    data = tmp_path / "groups.csv"
    data.write_text('Name,City,State\n"+SUM(A1:A9)",Oakland,CA\n')
    import_file(user=None, path=data, source_name="@list")
    out = tmp_path / "orgs.csv"
    call_command("export", "organizations", "--out", str(out))
    [row] = list(csv.DictReader(out.read_text().splitlines()))
    assert (row["name"], row["sources"]) == ("'+SUM(A1:A9)", "'@list")
    links = tmp_path / "links.csv"
    call_command("export", "links", "--out", str(links))
    assert list(csv.reader(links.read_text().splitlines()))[1][0] == "'@list"
    reset_geocoder()
