from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from directory.models import Organization
from places.geocoder import reset_geocoder
from sources.models import ImportRun, RunStatus, SourceRecord

CSV = (
    "Group,Town,State,Site\n"
    "Oakland Tenants Union,Oakland,CA,oaklandtenants.example.org\n"
    ",Portland,OR,\n"
    "Rose City Mutual Aid,Portland,OR,\n"
)
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def geocoder(places) -> Iterator[None]:
    reset_geocoder()
    yield
    reset_geocoder()


def _login(client: Client, user) -> Client:  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


def _upload(client: Client, **extra: str):  # type: ignore[no-untyped-def]
    data = {
        "file": SimpleUploadedFile("groups.csv", CSV.encode(), content_type="text/csv"),
        "source_name": "Bay and Rose",
        "format": "",
        "mapping": "",
        **extra,
    }
    return client.post(reverse("sources:import"), data)


def test_it_refuses_outsiders_everywhere(client: Client, outsider, organizer) -> None:
    for user in (outsider, organizer):
        _login(client, user)
        assert client.get(reverse("sources:list")).status_code == 403
        assert client.get(reverse("sources:import")).status_code == 403
        assert _upload(client).status_code == 403
    assert not ImportRun.objects.exists()


def test_it_refuses_the_wrong_method(client: Client, site_coordinator) -> None:
    _login(client, site_coordinator)
    assert client.post(reverse("sources:list")).status_code == 405
    assert client.get(reverse("sources:run_confirm", args=[1])).status_code == 405


@override_settings(TASKS=IMMEDIATE)
def test_it_previews_then_imports_in_the_background(
    client: Client, regional_coordinator, geocoder, django_capture_on_commit_callbacks
) -> None:
    _login(client, regional_coordinator)
    assert client.get(reverse("sources:import")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client)
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "sources:run", args=[run.pk]
    )
    page = client.get(reverse("sources:run", args=[run.pk]))
    html = page.content.decode()
    assert run.status == RunStatus.PENDING and not SourceRecord.objects.exists()
    assert "2 new" in html and "Oakland Tenants Union" in html
    assert "no name" in html  # the refused row, by line
    assert 'value="Town"' in html  # the mapping can be changed column by column

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sources:run_confirm", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and (run.created, run.errors) == (2, 1)
    assert run.error_report == [{"line": 3, "reason": "no name"}]
    assert Organization.objects.count() == 2
    status = client.get(reverse("sources:run_status", args=[run.pk]))
    assert "Result" in status.content.decode() and "hx-get" not in status.content.decode()
    listing = client.get(reverse("sources:list")).content.decode()
    assert "Bay and Rose" in listing
    source_page = client.get(reverse("sources:source", args=[run.source.slug]))
    assert "Rose City Mutual Aid" in source_page.content.decode()
    # Once started, a run cannot be confirmed again.
    assert client.post(reverse("sources:run_confirm", args=[run.pk])).status_code == 409


def _uploaded(client: Client, user, capture) -> ImportRun:  # type: ignore[no-untyped-def]
    """Signed in and uploaded, with the preview already made."""
    _login(client, user)
    with capture(execute=True):
        _upload(client)
    return ImportRun.objects.get()


@override_settings(TASKS=IMMEDIATE)
def test_it_previews_again_with_a_changed_mapping(
    client: Client, site_coordinator, geocoder, django_capture_on_commit_callbacks
) -> None:
    run = _uploaded(client, site_coordinator, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("sources:run_mapping", args=[run.pk]), {"name": "Town", "city": "Town"}
        )
    assert response.status_code == 302
    run.refresh_from_db()
    # The fields the form left at "(none)" that the headers would fill are kept as such.
    assert run.mapping == {"name": "Town", "city": "Town", "state": "", "website": ""}
    assert run.preview["ready"] and run.preview["error_count"] == 0
    bad = client.post(reverse("sources:run_mapping", args=[run.pk]), {"name": "Nope"})
    assert bad.status_code == 400


def test_it_names_the_field_of_a_bad_upload(client: Client, site_coordinator) -> None:
    _login(client, site_coordinator)
    response = _upload(client, mapping="{not json")
    assert response.status_code == 400
    assert "Not valid JSON" in response.content.decode()
    assert not ImportRun.objects.exists()


@override_settings(TASKS=IMMEDIATE)
def test_it_keeps_a_field_set_to_none_unmapped(
    client: Client, site_coordinator, geocoder, django_capture_on_commit_callbacks
) -> None:
    run = _uploaded(client, site_coordinator, django_capture_on_commit_callbacks)
    assert run.preview["mapping"]["website"] == "Site"  # guessed from the header
    chosen = {**run.preview["mapping"], "website": ""}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sources:run_mapping", args=[run.pk]), chosen)
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.mapping["website"] == ""
    assert "website" not in run.preview["mapping"]
    assert all(not row["website"] for row in run.preview["sample"])
    html = client.get(reverse("sources:run", args=[run.pk])).content.decode()
    assert '<option value="" selected>(none)</option>' in html.split('name="website"')[1]
    # Again, from the page as it now stands: "(none)" stays.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("sources:run_mapping", args=[run.pk]), run.preview["mapping"])
    run.refresh_from_db()
    assert run.mapping["website"] == "" and "website" not in run.preview["mapping"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("sources:run_confirm", args=[run.pk]))
    oakland = Organization.objects.get(name="Oakland Tenants Union")
    assert oakland.website == ""


def test_it_takes_null_in_an_uploaded_mapping_as_no_column(
    client: Client, site_coordinator, django_capture_on_commit_callbacks
) -> None:
    _login(client, site_coordinator)
    with django_capture_on_commit_callbacks(execute=False):
        response = _upload(client, mapping='{"website": null, "city": "Town"}')
    assert response.status_code == 302
    assert ImportRun.objects.get().mapping == {"website": "", "city": "Town"}
    bad = _upload(client, mapping='{"website": 3}')
    assert bad.status_code == 400 and "Write it like" in bad.content.decode()


CHAPTER_ROWS = "zip,chapter\n" + "".join(
    f"{zip_code},{chapter}\n"
    for chapter, codes in (
        ("Portland", ("97201", "97202", "97203")),
        ("East Bay", ("94607", "94704")),
    )
    for zip_code in codes
)


def _upload_text(client: Client, text: str, capture, name: str = "chapters.csv"):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return client.post(
            reverse("sources:import"),
            {
                "file": SimpleUploadedFile(name, text.encode(), content_type="text/csv"),
                "source_name": "Chapters",
                "format": "",
                "mapping": "",
            },
        )


@override_settings(TASKS=IMMEDIATE)
def test_it_previews_listings_after_grouping_with_numbers_formatted(
    client: Client, site_coordinator, geocoder, django_capture_on_commit_callbacks
) -> None:
    _login(client, site_coordinator)
    _upload_text(client, CHAPTER_ROWS, django_capture_on_commit_callbacks)
    run = ImportRun.objects.get()
    html = client.get(reverse("sources:run", args=[run.pk])).content.decode()
    assert "5 rows will make <strong>2 new listings</strong>" in " ".join(html.split())
    assert "misuse-warning" not in html


@override_settings(TASKS=IMMEDIATE)
def test_it_warns_when_thousands_of_rows_name_few_groups(
    client: Client, site_coordinator, geocoder, django_capture_on_commit_callbacks
) -> None:
    # The shape of the DSA list: many rows of ZIP codes, few chapter names.
    rows = "zip,chapter\n" + "".join(
        f"{90000 + i},{('North', 'South', 'West')[i % 3]} Chapter\n" for i in range(1200)
    )
    _login(client, site_coordinator)
    _upload_text(client, rows, django_capture_on_commit_callbacks)
    run = ImportRun.objects.get()
    html = " ".join(client.get(reverse("sources:run", args=[run.pk])).content.decode().split())
    assert "1,200 rows will make <strong>3 new listings</strong>" in html
    assert 'id="misuse-warning"' in html and "only 3 different names" in html
    assert "1,197 rows name a group already named" in html


@override_settings(TASKS=IMMEDIATE)
def test_it_undoes_an_import_from_its_page(
    client: Client, site_coordinator, geocoder, django_capture_on_commit_callbacks
) -> None:
    _login(client, site_coordinator)
    _upload_text(client, CHAPTER_ROWS, django_capture_on_commit_callbacks)
    run = ImportRun.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("sources:run_confirm", args=[run.pk]))
    assert Organization.objects.count() == 2
    page = client.get(reverse("sources:run", args=[run.pk])).content.decode()
    assert "Undo this import" in page
    assert client.get(reverse("sources:run_undo", args=[run.pk])).status_code == 405
    response = client.post(reverse("sources:run_undo", args=[run.pk]))
    assert response.status_code == 302
    assert not Organization.objects.exists()
    run.refresh_from_db()
    assert run.status == RunStatus.UNDONE
    page = client.get(reverse("sources:run", args=[run.pk])).content.decode()
    assert "This import was undone" in page and "Undo this import" not in page
    # Once undone, it cannot be undone again.
    assert client.post(reverse("sources:run_undo", args=[run.pk])).status_code == 409


@override_settings(TASKS=IMMEDIATE)
def test_it_refuses_an_undo_to_outsiders(
    client: Client, site_coordinator, outsider, geocoder, django_capture_on_commit_callbacks
) -> None:
    _login(client, site_coordinator)
    _upload_text(client, CHAPTER_ROWS, django_capture_on_commit_callbacks)
    run = ImportRun.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("sources:run_confirm", args=[run.pk]))
    _login(client, outsider)
    assert client.post(reverse("sources:run_undo", args=[run.pk])).status_code == 403
    assert Organization.objects.count() == 2
