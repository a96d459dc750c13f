import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from directory.models import Organization
from directory.readers import ReadError, Row, guess_mapping, read
from places.geocoder import reset_geocoder
from sources.models import SourceRecord
from sources.services import import_file

TABLE: list[list[object]] = [
    ["A list of groups, spring edition", "", ""],
    ["Group", "ZIP", "Lat"],
    ["Rose City Mutual Aid", 97201.0, 45.5],
    ["", "", ""],
    ["Eastside Aid", "97214", ""],
]


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    """A minimal workbook written by hand: inline strings and numbers, one sheet."""

    def cell(ref: str, value: object) -> str:
        if isinstance(value, float):
            return f'<c r="{ref}"><v>{value}</v></c>'
        if value == "":
            return ""
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'

    body = "".join(
        f'<row r="{i}">' + "".join(cell(f"{'ABC'[j]}{i}", v) for j, v in enumerate(row)) + "</row>"
        for i, row in enumerate(rows, start=1)
    )
    ns = "http://schemas.openxmlformats.org"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0"?><Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{ns}/spreadsheetml/2006/main" '
            f'xmlns:r="{ns}/officeDocument/2006/relationships">'
            '<sheets><sheet name="Groups" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<?xml version="1.0"?><worksheet xmlns="{ns}/spreadsheetml/2006/main">'
            f"<sheetData>{body}</sheetData></worksheet>",
        )
    return path


def _ods(path: Path, rows: list[list[object]]) -> Path:
    """A minimal OpenDocument spreadsheet written by hand."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            return f'<table:table-cell office:value-type="float" office:value="{value}"/>'
        if value == "":
            return "<table:table-cell/>"
        return (
            f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}'
            "</text:p></table:table-cell>"
        )

    body = "".join(
        "<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows
    )
    office = "urn:oasis:names:tc:opendocument:xmlns"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr(
            "META-INF/manifest.xml",
            f'<?xml version="1.0"?><manifest:manifest xmlns:manifest="{office}:manifest:1.0" '
            'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
        z.writestr(
            "content.xml",
            f'<?xml version="1.0"?><office:document-content xmlns:office="{office}:office:1.0" '
            f'xmlns:table="{office}:table:1.0" xmlns:text="{office}:text:1.0" office:version="1.2">'
            '<office:body><office:spreadsheet><table:table table:name="Groups">'
            f"{body}</table:table></office:spreadsheet></office:body></office:document-content>",
        )
    return path


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_it_reads_spreadsheets_after_their_preamble(tmp_path: Path, fmt: str) -> None:
    write = _xlsx if fmt == "xlsx" else _ods
    path = write(tmp_path / f"groups.{fmt}", TABLE)
    rows = [r for r in read(path) if isinstance(r, Row)]
    assert [(r.line, r.key, r.fields.get("name"), r.fields.get("postcode")) for r in rows] == [
        (3, 1, "Rose City Mutual Aid", "97201"),
        (5, 2, "Eastside Aid", "97214"),
    ]
    assert rows[0].raw == {"Group": "Rose City Mutual Aid", "ZIP": "97201", "Lat": "45.5"}


def test_it_refuses_a_damaged_workbook_without_naming_the_stored_file(tmp_path: Path) -> None:
    path = tmp_path / "0f3a9c2e5b7d41e8a6c4b2d09e1f7a35-broken.xlsx"
    path.write_bytes(b"not a zip file")
    with pytest.raises(ReadError, match="cannot be read as XLSX: it is damaged") as caught:
        list(read(path))
    assert "0f3a9c2e" not in str(caught.value) and str(tmp_path) not in str(caught.value)


PROFILE = {
    "linked_schemas": ["organizations_schema-v1.0.0"],
    "name": "Rose City Mutual Aid",
    "primary_url": "rosecity.example.org",
    "urls": [{"name": "Facebook", "url": "https://www.facebook.com/groups/rosecity/"}],
    "description": "Food and rent support",
    "tags": ["mutual aid", "food"],
    "geolocation": {"lat": 45.52, "lon": -122.68},
    "locality": "Portland",
    "region": "Oregon",
    "country_iso_3166": "US",
    "contact_details": {"email": "hello@rosecity.example.org"},
}


@pytest.mark.parametrize(
    "document",
    [
        PROFILE,
        [PROFILE],
        {"data": [dict(PROFILE, profile_url="https://node.example.org/p/1")], "meta": {}},
    ],
)
def test_it_reads_murmurations_profiles(tmp_path: Path, document: object) -> None:
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps(document))
    (row,) = read(path)
    assert isinstance(row, Row) and row.key == 1
    assert row.fields["name"] == "Rose City Mutual Aid"
    assert row.fields["website"] == "rosecity.example.org"
    assert row.fields["facebook"] == "https://www.facebook.com/groups/rosecity/"
    assert (row.fields["latitude"], row.fields["longitude"]) == (45.52, -122.68)
    assert (row.fields["city"], row.fields["state"], row.fields["country"]) == (
        "Portland",
        "Oregon",
        "US",
    )
    assert row.fields["tags"] == "mutual aid;food"


def test_it_imports_a_murmurations_index_answer(tmp_path: Path, places) -> None:
    reset_geocoder()
    path = tmp_path / "index.json"
    path.write_text(json.dumps({"data": [dict(PROFILE, profile_url="https://n.example/p/1")]}))
    _run, outcome = import_file(user=None, path=path, source_name="murm", fmt="murmurations")
    assert outcome.created == 1
    record = SourceRecord.objects.get()
    assert record.external_id == "https://n.example/p/1"
    assert record.website_clean == "rosecity.example.org"
    assert record.email_clean == "hello@rosecity.example.org"
    assert record.country_code == "US"
    org = Organization.objects.get()
    assert org.social_links == {"facebook": "https://www.facebook.com/groups/rosecity/"}
    assert org.home_place is not None and org.home_place.name == "Portland"
    reset_geocoder()


def test_it_reads_latin1_and_semicolon_csv(tmp_path: Path) -> None:
    path = tmp_path / "groups.csv"
    path.write_bytes("Nom;Ville;Pays\nCafé Solidarité;Wien;Österreich\n".encode("latin-1"))
    (row,) = read(path, mapping={"name": "Nom", "city": "Ville"})
    assert isinstance(row, Row)
    assert (row.fields["name"], row.fields["country"]) == ("Café Solidarité", "Österreich")


def test_it_reads_a_field_mapped_to_no_column_from_nowhere(tmp_path: Path) -> None:
    assert guess_mapping(["Group", "Site", "Email"], {"website": ""}) == {
        "name": "Group",
        "email": "Email",
    }
    path = tmp_path / "groups.csv"
    # A blank preamble cell must not pass for a header named by the empty mapping.
    path.write_text(",,\nGroup,Site,Email\nRose City Aid,rose.example.org,a@rose.example.org\n")
    (row,) = read(path, "csv", {"website": "", "email": ""})
    assert isinstance(row, Row) and row.fields == {"name": "Rose City Aid"}
    profile = tmp_path / "profile.json"
    profile.write_text(
        json.dumps({"name": "Aid", "primary_url": "https://aid.example.org", "locality": "X"})
    )
    (item,) = read(profile, "murmurations", {"website": ""})
    assert isinstance(item, Row) and "website" not in item.fields and item.fields["city"] == "X"
