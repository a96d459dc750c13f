"""A coordinator rolls back an import run (issue 10, "Undo")."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent
from directory.models import Organization
from places.geocoder import reset_geocoder
from sources.models import ImportRun, RunStatus, SourceRecord
from sources.services import import_file, import_run_undo
from sources.signals import records_imported, records_unmerged

FIRST = (
    "Name,City,State,Website,Description\n"
    "Oakland Tenants Union,Oakland,CA,oaklandtenants.example.org,Tenants organizing\n"
    "Rose City Mutual Aid,Portland,OR,rosecity.example.org,\n"
    "Seattle Food Share,Seattle,WA,,\n"
)
# Oakland says more about itself, Seattle left the list, Eureka is new.
SECOND = (
    "Name,City,State,Website,Description\n"
    "Oakland Tenants Union,Oakland,CA,oaklandtenants.example.org,Tenants organizing citywide\n"
    "Rose City Mutual Aid,Portland,OR,rosecity.example.org,\n"
    "Eureka Seed Library,Eureka,CA,,\n"
)


@pytest.fixture
def geocoder(places):  # type: ignore[no-untyped-def]
    reset_geocoder()
    yield
    reset_geocoder()


def _import(tmp_path: Path, text: str, user, name: str = "list.csv") -> ImportRun:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    run, _outcome = import_file(user=user, path=path, source_name="hub")
    return run


def _listings() -> dict[str, tuple[str, str]]:
    return {o.name: (o.website, o.description) for o in Organization.objects.all()}


def test_it_takes_back_everything_a_first_import_made(
    tmp_path: Path, geocoder, site_coordinator
) -> None:
    run = _import(tmp_path, FIRST, site_coordinator)
    assert Organization.objects.count() == 3
    counts = import_run_undo(user=site_coordinator, run=run)
    assert counts["records_removed"] == 3 and counts["organizations_removed"] == 3
    assert not Organization.objects.exists() and not SourceRecord.objects.exists()
    run.refresh_from_db()
    assert run.status == RunStatus.UNDONE and run.undone_by == site_coordinator
    entry = AuditEvent.objects.get(action="sources.import_undo")
    assert entry.actor == site_coordinator


def test_it_returns_what_a_reimport_changed_to_the_values_before(
    tmp_path: Path, geocoder, site_coordinator
) -> None:
    _import(tmp_path, FIRST, site_coordinator, "first.csv")
    records_before = {
        r.pk: (r.description, r.vanished, r.last_seen_run_id) for r in SourceRecord.objects.all()
    }
    listings_before = _listings()
    second = _import(tmp_path, SECOND, site_coordinator, "second.csv")
    assert Organization.objects.get(name="Oakland Tenants Union").description.endswith("wide")
    assert SourceRecord.objects.get(name="Seattle Food Share").vanished

    import_run_undo(user=site_coordinator, run=second)
    records_after = {
        r.pk: (r.description, r.vanished, r.last_seen_run_id) for r in SourceRecord.objects.all()
    }
    assert records_after == records_before
    assert _listings() == listings_before


def test_it_refuses_to_undo_a_run_a_later_one_built_on(
    tmp_path: Path, geocoder, site_coordinator
) -> None:
    first = _import(tmp_path, FIRST, site_coordinator, "first.csv")
    _import(tmp_path, SECOND, site_coordinator, "second.csv")
    with pytest.raises(ValidationError):
        import_run_undo(user=site_coordinator, run=first)
    assert Organization.objects.count() == 4


def test_it_refuses_an_outsider_and_another_regional_coordinator(
    tmp_path: Path, geocoder, site_coordinator, regional_coordinator, outsider
) -> None:
    run = _import(tmp_path, FIRST, site_coordinator)
    for user in (outsider, regional_coordinator):
        with pytest.raises(PermissionDenied):
            import_run_undo(user=user, run=run)
    assert Organization.objects.count() == 3


@pytest.fixture
def merging_resolver() -> Iterator[None]:
    """Duplicate finding that, on the second import, merges Rose City into Oakland's listing
    (as a bridging record would), deleting the emptied listing."""

    def resolver(sender, run, record_ids, **kwargs):  # type: ignore[no-untyped-def]
        if run.file_name != "second.csv":
            return None
        rose = SourceRecord.objects.get(name="Rose City Mutual Aid")
        oakland = SourceRecord.objects.get(name="Oakland Tenants Union")
        emptied = rose.organization_id
        assert emptied is not None
        SourceRecord.objects.filter(pk=rose.pk).update(organization_id=oakland.organization_id)
        Organization.objects.filter(pk=emptied).delete()
        return None

    records_imported.connect(resolver, dispatch_uid="test-merging")
    yield
    records_imported.disconnect(dispatch_uid="test-merging")


def test_it_takes_apart_a_merge_the_import_caused(
    tmp_path: Path, geocoder, site_coordinator, merging_resolver
) -> None:
    _import(tmp_path, FIRST, site_coordinator, "first.csv")
    second = _import(tmp_path, SECOND, site_coordinator, "second.csv")
    rose = SourceRecord.objects.get(name="Rose City Mutual Aid")
    oakland = SourceRecord.objects.get(name="Oakland Tenants Union")
    assert rose.organization_id == oakland.organization_id

    counts = import_run_undo(user=site_coordinator, run=second)
    assert counts["merges_undone"] == 1
    rose.refresh_from_db()
    oakland.refresh_from_db()
    assert rose.organization_id != oakland.organization_id
    assert rose.organization is not None and rose.organization.name == "Rose City Mutual Aid"
    assert oakland.organization is not None
    assert oakland.organization.name == "Oakland Tenants Union"
    assert oakland.organization.description == "Tenants organizing"


def test_it_splits_through_the_resolution_app_when_it_is_there(
    tmp_path: Path, geocoder, site_coordinator, merging_resolver
) -> None:
    from resolution.models import MatchDecision
    from resolution.receivers import split_after_undo

    records_unmerged.connect(split_after_undo, dispatch_uid="test-split")
    try:
        _import(tmp_path, FIRST, site_coordinator, "first.csv")
        second = _import(tmp_path, SECOND, site_coordinator, "second.csv")
        import_run_undo(user=site_coordinator, run=second)
    finally:
        records_unmerged.disconnect(dispatch_uid="test-split")
    rose = SourceRecord.objects.get(name="Rose City Mutual Aid")
    oakland = SourceRecord.objects.get(name="Oakland Tenants Union")
    assert rose.organization_id != oakland.organization_id
    # The split is remembered, so the next import does not merge them again.
    assert MatchDecision.objects.filter(same=False).count() == 1


@pytest.fixture
def absorbing_resolver() -> Iterator[None]:
    """Duplicate finding that puts the second import's new Eureka record into Oakland's
    listing, which then takes Eureka's phone number (a field no Oakland record has)."""
    from sources.services import organizations_apply_records

    def resolver(sender, run, record_ids, **kwargs):  # type: ignore[no-untyped-def]
        if run.file_name != "second.csv":
            return None
        oakland = SourceRecord.objects.get(name="Oakland Tenants Union").organization_id
        assert oakland is not None
        SourceRecord.objects.filter(name="Eureka Seed Library").update(organization_id=oakland)
        organizations_apply_records(organization_ids=[oakland])
        return None

    records_imported.connect(resolver, dispatch_uid="test-absorbing")
    yield
    records_imported.disconnect(dispatch_uid="test-absorbing")


def test_it_takes_back_a_field_only_a_removed_record_said(
    tmp_path: Path, geocoder, site_coordinator, absorbing_resolver
) -> None:
    _import(tmp_path, FIRST, site_coordinator, "first.csv")
    before = Organization.objects.get(name="Oakland Tenants Union")
    text = FIRST + "Eureka Seed Library,Eureka,CA,,\n"
    text = text.replace("Website,Description", "Website,Description,Phone")
    text = text.replace("Eureka,CA,,\n", "Eureka,CA,,,707-555-0101\n")
    second = _import(tmp_path, text, site_coordinator, "second.csv")
    after = Organization.objects.get(pk=before.pk)
    assert after.public_phone == "707-555-0101"  # said only by Eureka's record

    import_run_undo(user=site_coordinator, run=second)
    restored = Organization.objects.get(pk=before.pk)
    assert (restored.name, restored.public_phone, restored.home_place_id) == (
        before.name,
        before.public_phone,
        before.home_place_id,
    )


def test_it_refuses_a_reimport_that_ran_before_imports_kept_their_changes(
    tmp_path: Path, geocoder, site_coordinator
) -> None:
    _import(tmp_path, FIRST, site_coordinator, "first.csv")
    second = _import(tmp_path, SECOND, site_coordinator, "second.csv")
    ImportRun.objects.filter(pk=second.pk).update(keeps_undo=False)
    second.refresh_from_db()
    with pytest.raises(ValidationError, match="cannot be undone"):
        import_run_undo(user=site_coordinator, run=second)
    assert Organization.objects.count() == 4
