from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from directory.importing import clean_url
from directory.models import Organization
from directory.readers import ReadError
from places.geocoder import reset_geocoder
from sources.models import ImportRun, Source, SourceRecord
from sources.services import import_file

PREAMBLE_CSV = (
    '\ufeff"A licence preamble\n\nthat spans lines"\n\n'
    "Resource,City,State/Territory,Country,General,Social Media\n"
    "Oakland Tenants Union,Oakland,CA,USA,oaklandtenants.example.org,\n"
    ",Portland,OR,USA,,\n"
    "Rose City Mutual Aid,Portland,OR,USA,,https://www.facebook.com/groups/rosecity/\n"
)


@pytest.fixture
def geocoder(places):
    reset_geocoder()
    yield
    reset_geocoder()


def test_it_keeps_good_rows_and_reports_bad_ones_by_line(tmp_path: Path, geocoder) -> None:
    path = tmp_path / "groups.csv"
    path.write_text(PREAMBLE_CSV, encoding="utf-8")
    run, report = import_file(user=None, path=path, source_name="test")
    assert report.created == 2 and report.organizations_created == 2
    assert [(e.line, e.reason) for e in report.errors] == [(7, "no name")]
    assert run.status == "done" and run.error_report == [{"line": 7, "reason": "no name"}]
    oakland = Organization.objects.get(name="Oakland Tenants Union")
    assert oakland.home_place is not None and oakland.home_place.name == "Oakland"
    assert oakland.website == "https://oaklandtenants.example.org"
    rose = Organization.objects.get(name="Rose City Mutual Aid")
    assert rose.social_links == {"facebook": "https://www.facebook.com/groups/rosecity/"}


def test_it_places_geojson_points_by_their_coordinates(tmp_path: Path, geocoder) -> None:
    path = tmp_path / "groups.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
        '{"type": "Point", "coordinates": [-122.27, 37.80]}, "properties": {"title": "East Bay Aid"}}]}'
    )
    _run, report = import_file(user=None, path=path, source_name="test")
    assert report.created == 1
    org = Organization.objects.get()
    assert org.home_place is not None and org.home_place.name == "Oakland"
    assert org.place_lft == org.home_place.lft


def test_it_saves_nothing_on_a_dry_run(tmp_path: Path, geocoder) -> None:
    path = tmp_path / "groups.jsonl"
    path.write_text('{"name": "A"}\nnot json\n{"name": "B", "city": "Seattle"}\n')
    _run, report = import_file(user=None, path=path, source_name="test", dry_run=True)
    assert report.created == 2 and report.organizations_created == 2
    assert [e.line for e in report.errors] == [2]
    assert Organization.objects.count() == 0
    assert not Source.objects.exists() and not ImportRun.objects.exists()
    assert not SourceRecord.objects.exists()


def test_it_refuses_a_file_it_cannot_read(tmp_path: Path, geocoder) -> None:
    path = tmp_path / "groups.json"
    path.write_text("{not json")
    with pytest.raises(ReadError, match="not valid JSON"):
        import_file(user=None, path=path, source_name="test")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import", str(path))


def test_it_cleans_urls_people_type() -> None:
    assert clean_url("www.example.org/x") == "https://www.example.org/x"
    assert clean_url("not a url") == ""
    assert clean_url("http://example.org") == "http://example.org"
