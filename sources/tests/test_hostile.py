"""Hostile and broken files uploaded through the pages: each gets a clear answer on its run's
page (never a spinner, never a 500), loses nothing, and never takes the worker down. Every
file is made here, in the test."""

import json
import threading
import time
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from directory import readers
from directory.models import Organization
from places.geocoder import reset_geocoder
from sources.models import ImportRun, RunStatus, Source, SourceRecord
from sources.services import cleaning, import_file, import_run_cancel, import_run_execute
from sources.services.liveness import cancel_request, cancel_requested, heartbeat
from sources.signals import records_imported

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def geocoder(places) -> Iterator[None]:  # type: ignore[no-untyped-def]
    reset_geocoder()
    yield
    reset_geocoder()


@pytest.fixture
def coordinator_client(client: Client, site_coordinator) -> Client:  # type: ignore[no-untyped-def]
    client.force_login(site_coordinator)
    return client


def _upload(client: Client, capture, name: str, data: bytes, **extra: str) -> tuple[ImportRun, str]:  # type: ignore[no-untyped-def]
    """Upload a file through the page, run its preview, and return the run and its page."""
    form = {
        "file": SimpleUploadedFile(name, data),
        "source_name": f"List {name}",
        "format": "",
        "mapping": "",
        **extra,
    }
    with capture(execute=True):
        response = client.post(reverse("sources:import"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    run = ImportRun.objects.get(file_name=name)
    page = client.get(reverse("sources:run", args=[run.pk]))
    assert page.status_code == 200
    return run, page.content.decode()


def _settled(html: str) -> bool:
    """The page answers: it no longer polls for a preview that will never come."""
    return "hx-get" not in html and "Reading the file" not in html


def _xlsx(path: Path, cells: list[tuple[str, str]]) -> bytes:
    by_row: dict[str, str] = {}
    for ref, value in cells:
        number = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        by_row[number] = by_row.get(number, "") + (
            f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
        )
    rows = "".join(f'<row r="{number}">{row}</row>' for number, row in by_row.items())
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats'
            '-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml'
            '.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<?xml version="1.0"?><worksheet xmlns="{main}"><dimension ref="A1:XFD1048576"/>'
            f"<sheetData>{rows}</sheetData></worksheet>",
        )
    return path.read_bytes()


# --------------------------------------------------------------------------- bugs seen


@override_settings(TASKS=IMMEDIATE)
def test_it_previews_a_json_upload_told_from_the_file(
    coordinator_client: Client, geocoder, django_capture_on_commit_callbacks
) -> None:
    data = json.dumps([{"name": "Rose City Mutual Aid", "city": "Portland", "state": "OR"}])
    run, html = _upload(
        coordinator_client, django_capture_on_commit_callbacks, "groups.json", data.encode()
    )
    assert run.format == "json" and run.preview["created"] == 1
    assert "Rose City Mutual Aid" in html and _settled(html)


@override_settings(TASKS=IMMEDIATE)
def test_it_fails_an_unreadable_upload_with_its_reason_and_lets_its_source_go(
    coordinator_client: Client, geocoder, django_capture_on_commit_callbacks
) -> None:
    run, html = _upload(
        coordinator_client, django_capture_on_commit_callbacks, "broken.xlsx", b"not a zip"
    )
    assert run.status == RunStatus.FAILED
    assert "Waiting for confirmation" not in html and _settled(html)
    assert "cannot be read as XLSX: it is damaged" in html
    stored = Path(run.file_path).name
    assert stored not in html and stored.split("-")[0] not in html  # no internal file name
    assert not Path(run.file_path).exists()
    source = run.source
    response = coordinator_client.post(reverse("sources:source_delete", args=[source.slug]))
    assert response.status_code == 302
    assert not Source.objects.filter(pk=source.pk).exists()


@override_settings(TASKS=IMMEDIATE)
def test_it_asks_for_the_format_of_a_file_whose_name_does_not_say(
    coordinator_client: Client, geocoder, django_capture_on_commit_callbacks
) -> None:
    run, html = _upload(
        coordinator_client, django_capture_on_commit_callbacks, "groups", b"name,city\nA,B\n"
    )
    assert run.status == RunStatus.FAILED and _settled(html)
    assert "choose one of csv" in html and Path(run.file_path).name not in html


@override_settings(TASKS=IMMEDIATE)
def test_it_names_a_mapped_column_the_file_does_not_have(
    coordinator_client: Client, geocoder, django_capture_on_commit_callbacks
) -> None:
    data = b"Nom,Ville\nEntraide,Portland\n"
    run, html = _upload(
        coordinator_client,
        django_capture_on_commit_callbacks,
        "groupes.csv",
        data,
        mapping='{"name": "Nomm", "city": "Ville"}',
    )
    assert "no header row" not in html
    assert "Nomm" in run.preview["failed"] and "Nom" in html
    assert _settled(html)
    refused = coordinator_client.post(reverse("sources:run_confirm", args=[run.pk]))
    assert refused.status_code == 409


def test_it_keeps_a_source_that_holds_records(
    coordinator_client: Client, geocoder, tmp_path: Path
) -> None:
    path = tmp_path / "groups.csv"
    path.write_text("name,city\nRose City Mutual Aid,Portland\n")
    run, _outcome = import_file(user=None, path=path, source_name="Kept")
    response = coordinator_client.post(reverse("sources:source_delete", args=[run.source.slug]))
    assert response.status_code == 409 and "holds records" in response.content.decode()
    assert SourceRecord.objects.count() == 1


# --------------------------------------------------------------------------- hostile files


@override_settings(TASKS=IMMEDIATE)
def test_it_refuses_a_small_spreadsheet_that_reaches_its_last_cell(
    coordinator_client: Client, geocoder, django_capture_on_commit_callbacks, tmp_path: Path
) -> None:
    data = _xlsx(tmp_path / "far.xlsx", [("A1", "name"), ("B1", "city"), ("XFD1048576", "x")])
    assert len(data) < 2000
    run, html = _upload(coordinator_client, django_capture_on_commit_callbacks, "far.xlsx", data)
    assert run.status == RunStatus.FAILED and _settled(html)
    assert "reaches row 1,048,576 and column 16,384" in html


@override_settings(TASKS=IMMEDIATE)
def test_a_spreadsheet_that_aborts_its_reader_ends_only_the_reading_process(
    coordinator_client: Client,
    geocoder,
    django_capture_on_commit_callbacks,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without the check of its reach, the spreadsheet reader asks for 512 GiB and aborts:
    # the child reading the file dies, this process (the worker) carries on.
    monkeypatch.setattr(readers, "MAX_SHEET_CELLS", 10**12)
    data = _xlsx(tmp_path / "far.xlsx", [("A1", "name"), ("B1", "city"), ("XFD1048576", "x")])
    run, html = _upload(coordinator_client, django_capture_on_commit_callbacks, "far.xlsx", data)
    assert run.status == RunStatus.FAILED and _settled(html)
    assert "more memory than an import may use" in html


@override_settings(TASKS=IMMEDIATE)
def test_it_refuses_a_million_columns_at_once(
    coordinator_client: Client, geocoder, django_capture_on_commit_callbacks
) -> None:
    header = "name,city," + ",".join(f"c{i}" for i in range(1_000_000))
    data = f"{header}\nRose City Mutual Aid,Portland\n".encode()
    run, html = _upload(coordinator_client, django_capture_on_commit_callbacks, "wide.csv", data)
    assert run.status == RunStatus.FAILED and _settled(html)
    assert "1,000,002 columns" in html


@override_settings(TASKS=IMMEDIATE)
@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([{"type": "Feature"}], "not a GeoJSON FeatureCollection"),
        ({"type": "FeatureCollection", "features": "none"}, "not a GeoJSON FeatureCollection"),
        ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
    ],
)
def test_it_answers_geojson_of_the_wrong_shape_or_depth(
    coordinator_client: Client,
    geocoder,
    django_capture_on_commit_callbacks,
    document: object,
    reason: str,
) -> None:
    text = document if isinstance(document, str) else json.dumps(document)
    run, html = _upload(
        coordinator_client, django_capture_on_commit_callbacks, "map.geojson", text.encode()
    )
    assert run.status == RunStatus.FAILED and _settled(html)
    assert reason in html


@override_settings(TASKS=IMMEDIATE)
def test_it_reads_the_good_features_beside_broken_ones(
    coordinator_client: Client, geocoder, django_capture_on_commit_callbacks
) -> None:
    good = {"type": "Feature", "properties": {"name": "Rose City"}, "geometry": None}
    deep: object = "x"
    for _ in range(40):
        deep = [deep]
    features = [
        good,
        {"type": "Feature", "properties": ["not", "an", "object"]},
        {"type": "Feature", "properties": {"name": "Odd"}, "geometry": "Point(1 2)"},
        {"type": "Feature", "properties": {"name": "Deep", "tags": deep}},
        "a string",
    ]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    run, html = _upload(coordinator_client, django_capture_on_commit_callbacks, "m.geojson", data)
    assert run.status == RunStatus.PENDING and run.preview["created"] == 1
    lines = {e["line"]: e["reason"] for e in run.preview["errors"]}
    assert sorted(lines) == [2, 3, 4, 5]
    assert "properties are not an object" in lines[2] and "geometry" in lines[3]
    assert "levels deep" in lines[4]


def test_it_keeps_the_rows_after_an_oversized_cell(tmp_path: Path, geocoder) -> None:
    path = tmp_path / "groups.csv"
    big = "x" * (readers.MAX_CELL + 10)
    path.write_text(
        "name,city\nRose City Mutual Aid,Portland\n"
        f'"{big}",Portland\nOakland Tenants Union,Oakland\nEureka Aid,Eureka\n'
    )
    _run, outcome = import_file(user=None, path=path, source_name="big")
    assert outcome.created == 3
    assert [e.line for e in outcome.errors] == [3]
    assert "longer than" in outcome.errors[0].reason
    assert SourceRecord.objects.filter(name="Eureka Aid").exists()


def test_it_names_the_lines_a_stray_quote_swallowed(tmp_path: Path) -> None:
    path = tmp_path / "groups.csv"
    after = "".join(f"Group {i},Portland\n" for i in range(300))
    path.write_text(f'name,city\nRose City,Portland\n"Stray,Portland\n{after}')
    items = list(readers.read(path))
    assert [r.fields["name"] for r in items if isinstance(r, readers.Row)] == ["Rose City"]
    (error,) = [e for e in items if isinstance(e, readers.RowError)]
    assert error.line == 3 and "lines 3-303" in error.reason


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("shift_jis", "東京互助会"),
        ("utf-16", "Entraide Québec"),
        ("utf-16-le", "東京互助会"),
        ("cp1251", "Взаимопомощь Москва"),
        ("cp1252", "Cooperativa Ñandú"),
    ],
)
def test_it_reads_lists_in_their_own_encodings(tmp_path: Path, encoding: str, name: str) -> None:
    path = tmp_path / "groups.csv"
    path.write_bytes(f"name,city\n{name},Somewhere\nSecond Group,Elsewhere\n".encode(encoding))
    rows = [r for r in readers.read(path) if isinstance(r, readers.Row)]
    assert [r.fields["name"] for r in rows] == [name, "Second Group"]


@override_settings(TASKS=IMMEDIATE)
def test_it_strips_nul_bytes_from_a_source_named_in_the_form(
    coordinator_client: Client, geocoder, django_capture_on_commit_callbacks
) -> None:
    form = {
        "file": SimpleUploadedFile("groups.csv", b"name,city\nRose City,Portland\n"),
        "source_name": "Rose\x00 City list",
        "format": "",
        "mapping": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(reverse("sources:import"), form)
    assert response.status_code == 302
    source = Source.objects.get()
    assert (source.name, source.slug) == ("Rose City list", "rose-city-list")


def test_it_refuses_a_far_reaching_ods_with_its_reason(tmp_path: Path) -> None:
    office = "urn:oasis:names:tc:opendocument:xmlns"
    rows = (
        '<table:table-row><table:table-cell office:value-type="string"><text:p>name</text:p>'
        "</table:table-cell></table:table-row>"
        '<table:table-row table:number-rows-repeated="1048574"><table:table-cell/>'
        "</table:table-row><table:table-row>"
        '<table:table-cell table:number-columns-repeated="16383"/>'
        '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
        "</table:table-row>"
    )
    path = tmp_path / "far.ods"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr(
            "META-INF/manifest.xml",
            f'<?xml version="1.0"?><manifest:manifest xmlns:manifest="{office}:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/'
            'vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path='
            '"content.xml" manifest:media-type="text/xml"/></manifest:manifest>',
        )
        z.writestr(
            "content.xml",
            f'<?xml version="1.0"?><office:document-content xmlns:office="{office}:office:1.0" '
            f'xmlns:table="{office}:table:1.0" xmlns:text="{office}:text:1.0"><office:body>'
            f'<office:spreadsheet><table:table table:name="G">{rows}</table:table>'
            "</office:spreadsheet></office:body></office:document-content>",
        )
    # The spreadsheet reader refuses it itself, before it allocates: the reason is passed on.
    with pytest.raises(readers.ReadError, match="cannot be read as ODS.*17179852800 cells"):
        list(readers.read(path))


def test_it_keeps_nul_bytes_and_unsafe_links_out_of_listings(
    tmp_path: Path, geocoder, client: Client
) -> None:
    path = tmp_path / "groups.csv"
    path.write_bytes(
        b"name,city,facebook\nRose\x00 City Aid,Portland,javascript:alert(document.cookie)\n"
        b"Eastside Aid,Portland,facebook.com/eastside\n"
    )
    import_file(user=None, path=path, source_name="nul")
    rose = Organization.objects.get(name="Rose City Aid")
    assert "\x00" not in rose.slug and rose.social_links == {}
    assert Organization.objects.get(name="Eastside Aid").social_links == {
        "facebook": "https://facebook.com/eastside"
    }
    served = client.get("/api/organizations", {"q": "aid"}).content.decode()
    assert "javascript" not in served and "\\u0000" not in served


# --------------------------------------------------------------------------- limits and cancel


def _queued(tmp_path: Path, rows: int = 3) -> ImportRun:
    path = tmp_path / "groups.csv"
    path.write_text("name,city\n" + "".join(f"Group {i},Portland\n" for i in range(rows)))
    source = Source.objects.create(name="Slow", slug="slow")
    return ImportRun.objects.create(
        source=source, file_path=str(path), file_name="groups.csv", status=RunStatus.QUEUED
    )


def test_a_run_past_its_time_limit_fails_and_keeps_nothing(
    tmp_path: Path, geocoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = cleaning._record_values

    def slow(row, places):  # type: ignore[no-untyped-def]
        time.sleep(30)
        return clean(row, places)

    monkeypatch.setattr(cleaning, "_record_values", slow)
    run = _queued(tmp_path)
    with pytest.raises(Exception, match="longer than"):
        import_run_execute(run=run, time_limit=1)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "longer than 1 minutes" in run.message
    assert not SourceRecord.objects.exists()


def test_a_running_import_stops_when_cancelled_and_keeps_nothing(
    tmp_path: Path, geocoder, site_coordinator, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _queued(tmp_path)
    ImportRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    run.refresh_from_db()
    with heartbeat(run.pk):  # the process working on it is alive
        import_run_cancel(user=site_coordinator, run=run)
        assert run.status == RunStatus.RUNNING and cancel_requested(run.pk)
    # The run sees the request at its next step and undoes everything.
    with pytest.raises(Exception, match="cancelled"):
        import_run_execute(run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and not SourceRecord.objects.exists()
    assert not cancel_requested(run.pk)
    event = AuditEvent.objects.get(action="sources.import_cancel")
    assert event.actor == site_coordinator


def _busy_for_a_minute(*args: object, **kwargs: object) -> None:
    """A receiver of the imported records that stands for duplicate finding taking very long,
    in Python code."""
    until = time.monotonic() + 60
    while time.monotonic() < until:
        time.sleep(0.05)


@pytest.fixture
def slow_resolution() -> Iterator[None]:
    records_imported.connect(_busy_for_a_minute, dispatch_uid="slow-resolution")
    yield
    records_imported.disconnect(dispatch_uid="slow-resolution")


def test_the_time_limit_also_stops_what_follows_the_reading(
    tmp_path: Path, geocoder, slow_resolution: None
) -> None:
    run = _queued(tmp_path)
    started = time.monotonic()
    with pytest.raises(Exception, match="longer than"):
        import_run_execute(run=run, time_limit=2)
    assert time.monotonic() - started < 30
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and not SourceRecord.objects.exists()


def test_a_cancel_stops_a_run_in_the_middle_of_its_work(
    tmp_path: Path, geocoder, slow_resolution: None
) -> None:
    run = _queued(tmp_path)
    threading.Timer(1.0, cancel_request, args=(run.pk,), kwargs={"by": None}).start()
    started = time.monotonic()
    with pytest.raises(Exception, match="cancelled"):
        import_run_execute(run=run)
    assert time.monotonic() - started < 30
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and not SourceRecord.objects.exists()


def test_the_page_of_a_run_asked_to_stop_says_so(
    client: Client, tmp_path: Path, site_coordinator
) -> None:
    run = _queued(tmp_path)
    ImportRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, started_at=timezone.now())
    client.force_login(site_coordinator)
    with heartbeat(run.pk):
        assert client.post(reverse("sources:run_cancel", args=[run.pk])).status_code == 302
        html = client.get(reverse("sources:run", args=[run.pk])).content.decode()
    assert "Stopping the import" in html and "Cancel this import" not in html
    assert "hx-get" in html  # it follows the run until it has stopped


def test_a_stuck_run_whose_process_is_gone_is_cancelled_at_once(
    client: Client, tmp_path: Path, site_coordinator
) -> None:
    run = _queued(tmp_path)
    ImportRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, started_at=timezone.now() - timedelta(seconds=5)
    )
    client.force_login(site_coordinator)
    html = client.get(reverse("sources:run", args=[run.pk])).content.decode()
    assert "Cancel this import" in html
    response = client.post(reverse("sources:run_cancel", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and run.finished_at is not None
    assert Path(run.file_path).exists()  # a file named on the command line stays


def test_a_run_whose_process_died_is_shown_as_failed(
    client: Client, tmp_path: Path, site_coordinator
) -> None:
    run = _queued(tmp_path)
    ImportRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )
    client.force_login(site_coordinator)
    html = client.get(reverse("sources:run_status", args=[run.pk])).content.decode()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "stopped without finishing" in html
    assert "hx-get" not in html


def test_outsiders_cannot_cancel(client: Client, tmp_path: Path, outsider) -> None:
    run = _queued(tmp_path)
    client.force_login(outsider)
    assert client.post(reverse("sources:run_cancel", args=[run.pk])).status_code == 403
    assert client.get(reverse("sources:run_cancel", args=[run.pk])).status_code == 405
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED
