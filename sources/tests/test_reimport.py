from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from directory.models import Organization
from directory.readers import ReadError
from places.geocoder import reset_geocoder
from sources.models import FieldProvenance, ImportRun, Origin, SourceRecord
from sources.services import ImportFailed, cleaning, field_clear, field_set, import_file
from sources.signals import HANDLED, records_imported

HEADER = "Name,City,State,Website\n"
FIRST = (
    HEADER + "Oakland Tenants Union,Oakland,CA,oaklandtenants.example.org\n"
    "Rose City Mutual Aid,Portland,OR,rosecity.example.org\n"
    "Seattle Food Share,Seattle,WA,\n"
)


@pytest.fixture
def geocoder(places):
    reset_geocoder()
    yield
    reset_geocoder()


def _write(tmp_path: Path, text: str, name: str = "groups.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_it_updates_keeps_flags_and_brings_back_records_on_reimport(
    tmp_path: Path, geocoder
) -> None:
    run1, first = import_file(user=None, path=_write(tmp_path, FIRST), source_name="hub")
    assert (first.created, first.organizations_created) == (3, 3)
    # Rows moved, one description changed, one group gone: identity follows content, not row.
    second_text = (
        HEADER + "Rose City Mutual Aid,Portland,OR,rosecity.example.org/\n"
        "Oakland Tenants Union,Oakland,CA,oaklandtenants.example.org\n"
    )
    second_text = second_text.replace("rosecity.example.org/", "rosecity.example.org/ ")
    run2, second = import_file(user=None, path=_write(tmp_path, second_text), source_name="hub")
    assert (second.created, second.updated, second.unchanged, second.vanished) == (0, 1, 1, 1)
    assert Organization.objects.count() == 3
    seattle = SourceRecord.objects.get(name="Seattle Food Share")
    assert seattle.vanished and seattle.vanished_at is not None
    assert seattle.organization is not None  # flagged, not deleted
    oakland = SourceRecord.objects.get(name="Oakland Tenants Union")
    assert oakland.record_key == 2 and oakland.first_seen_run == run1
    assert oakland.last_seen_run == run2

    run3, third = import_file(user=None, path=_write(tmp_path, FIRST), source_name="hub")
    assert (third.created, third.reappeared, third.vanished) == (0, 1, 0)
    seattle.refresh_from_db()
    assert not seattle.vanished and seattle.last_seen_run == run3
    assert Organization.objects.count() == 3
    assert list(ImportRun.objects.order_by("pk").values_list("created", "vanished")) == [
        (3, 0),
        (0, 1),
        (0, 0),
    ]


def test_it_follows_an_external_id_when_the_source_has_one(tmp_path: Path, geocoder) -> None:
    text = 'id,name,city\n7,"Eastside Aid",Portland\n'
    import_file(user=None, path=_write(tmp_path, text), source_name="ids")
    renamed = 'id,name,city\n7,"Eastside Mutual Aid",Portland\n'
    _run, outcome = import_file(user=None, path=_write(tmp_path, renamed), source_name="ids")
    assert (outcome.created, outcome.updated) == (0, 1)
    org = Organization.objects.get()
    assert org.name == "Eastside Mutual Aid"
    record = SourceRecord.objects.get()
    assert record.external_id == "7" and record.raw == {
        "id": "7",
        "name": "Eastside Mutual Aid",
        "city": "Portland",
    }


def test_it_records_provenance_and_lets_claims_outrank_imports(
    tmp_path: Path, geocoder, organizer
) -> None:
    text = 'id,name,city,website\nA-1,"Eastside Aid",Portland,eastside.example.org\n'
    import_file(user=None, path=_write(tmp_path, text), source_name="ids")
    org = Organization.objects.get()
    website = FieldProvenance.objects.get(organization=org, field="website")
    assert website.origin == Origin.IMPORT and website.value == "https://eastside.example.org"
    assert website.record == SourceRecord.objects.get()
    assert field_set(
        organization=org,
        field="website",
        value="https://eastside.org",
        origin="claim",
        by=organizer,
    )
    changed = text.replace("eastside.example.org", "eastside-aid.example.org").replace(
        "Eastside Aid", "Eastside Aid Network"
    )
    import_file(user=None, path=_write(tmp_path, changed), source_name="ids")
    org.refresh_from_db()
    assert org.website == "https://eastside.org"  # the group's word stands
    assert org.name == "Eastside Aid Network"  # unclaimed fields follow the source
    imported = FieldProvenance.objects.get(organization=org, field="website", origin="import")
    assert imported.value == "https://eastside-aid.example.org"
    assert field_clear(organization=org, field="website", origin="claim")
    org.refresh_from_db()
    assert org.website == "https://eastside-aid.example.org"


def test_it_saves_nothing_on_a_dry_run_and_counts_what_would_happen(
    tmp_path: Path, geocoder
) -> None:
    import_file(user=None, path=_write(tmp_path, FIRST), source_name="hub")
    before = (SourceRecord.objects.count(), ImportRun.objects.count(), Organization.objects.count())
    text = FIRST.replace("Seattle Food Share,Seattle,WA,\n", "New Group,Seattle,WA,\n,Nowhere,,\n")
    _run, outcome = import_file(
        user=None, path=_write(tmp_path, text), source_name="hub", dry_run=True
    )
    assert (outcome.created, outcome.unchanged, outcome.vanished) == (1, 2, 1)
    assert [(e.line, e.reason) for e in outcome.errors] == [(5, "no name")]
    after = (SourceRecord.objects.count(), ImportRun.objects.count(), Organization.objects.count())
    assert before == after
    assert not SourceRecord.objects.filter(vanished=True).exists()


def test_it_leaves_nothing_behind_when_a_row_crashes_mid_import(
    tmp_path: Path, geocoder, monkeypatch
) -> None:
    real = cleaning._record_values
    calls = {"n": 0}

    def flaky(row, places):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(row, places)

    monkeypatch.setattr(cleaning, "CHUNK", 1)  # the first rows are already written
    monkeypatch.setattr(cleaning, "_record_values", flaky)
    with pytest.raises(ImportFailed, match="disk on fire"):
        import_file(user=None, path=_write(tmp_path, FIRST), source_name="hub")
    assert SourceRecord.objects.count() == 0
    assert Organization.objects.count() == 0
    run = ImportRun.objects.get()
    assert run.status == "failed" and "nothing was saved" in run.message


@pytest.fixture
def resolver_calls() -> Iterator[list[list[int]]]:
    """A resolver that takes over making organizations and remembers what it was given."""
    seen: list[list[int]] = []

    def resolver(sender, run, record_ids, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(record_ids)
        return HANDLED

    records_imported.connect(resolver, dispatch_uid="test-resolver")
    yield seen
    records_imported.disconnect(dispatch_uid="test-resolver")


def test_it_lets_a_resolver_take_over_making_organizations(
    tmp_path: Path, geocoder, resolver_calls: list[list[int]]
) -> None:
    seen = resolver_calls
    _run, outcome = import_file(user=None, path=_write(tmp_path, FIRST), source_name="hub")
    assert outcome.organizations_created == 0 and Organization.objects.count() == 0
    assert sorted(seen[0]) == sorted(SourceRecord.objects.values_list("pk", flat=True))


def test_it_imports_from_the_command_line(tmp_path: Path, geocoder, capsys) -> None:
    path = _write(tmp_path, FIRST)
    call_command("import", str(path), "--source", "Hub", "--dry-run")
    assert "Dry run, nothing saved" in capsys.readouterr().out
    assert not SourceRecord.objects.exists()
    call_command("import", str(path), "--source", "Hub", "--format", "csv")
    assert "3 new" in capsys.readouterr().out
    assert SourceRecord.objects.count() == 3
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"colour": "x"}')
    with pytest.raises(CommandError, match="unknown field 'colour'"):
        call_command("import", str(path), "--mapping", str(mapping))


def test_it_leaves_a_field_mapped_to_null_empty_from_the_command_line(
    tmp_path: Path, geocoder
) -> None:
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"website": null, "city": "City"}')
    call_command(
        "import", str(_write(tmp_path, FIRST)), "--source", "Hub", "--mapping", str(mapping)
    )
    assert ImportRun.objects.get().mapping == {"website": "", "city": "City"}
    assert not Organization.objects.exclude(website="").exists()
    assert SourceRecord.objects.filter(city="Oakland").exists()


def test_it_does_not_take_a_row_counter_for_an_identity(tmp_path: Path, geocoder) -> None:
    text = "id,name,city\n0,First Aid,Portland\n1,Second Aid,Oakland\n"
    import_file(user=None, path=_write(tmp_path, text), source_name="counted")
    # The list lost its first row, so the counter now points at another group.
    shifted = "id,name,city\n0,Second Aid,Oakland\n"
    _run, outcome = import_file(user=None, path=_write(tmp_path, shifted), source_name="counted")
    assert (outcome.created, outcome.updated, outcome.vanished) == (0, 1, 1)
    assert SourceRecord.objects.get(name="First Aid").vanished


def test_it_previews_without_looking_for_duplicates(
    tmp_path: Path, geocoder, resolver_calls: list[list[int]]
) -> None:
    _run, outcome = import_file(
        user=None, path=_write(tmp_path, FIRST), source_name="hub", dry_run=True
    )
    assert resolver_calls == []
    assert outcome.organizations_created == 3
    assert "at most 3 organizations would be created" in outcome.summary()
    assert SourceRecord.objects.count() == 0 and Organization.objects.count() == 0


def test_it_indexes_a_large_import_for_search(tmp_path: Path, geocoder) -> None:
    from directory import selectors

    rows = "".join(f"Group {i} Bike Kitchen,Portland,OR,\n" for i in range(600))
    text = HEADER + rows + "Sellwood Seed Library,Portland,OR,\n"
    _run, outcome = import_file(user=None, path=_write(tmp_path, text), source_name="big")
    assert outcome.organizations_created == 601
    found = [o.name for o in selectors.organization_search(user=None, q="seed library")]
    assert found == ["Sellwood Seed Library"]
    assert selectors.organization_search(user=None, q="bike kitchen").count() == 600


def test_it_reads_a_large_file_in_a_second_process_with_the_same_result(
    tmp_path: Path, geocoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = FIRST + ",Nowhere,OR,\n" + "Salem Seed Library,Salem,OR,salemseeds.example.org\n"
    path = _write(tmp_path, text)
    _run, alone = import_file(user=None, path=path, source_name="one", dry_run=True)
    _run, forked = import_file(user=None, path=path, source_name="two")
    assert (forked.rows, forked.created) == (alone.rows, alone.created) == (5, 4)
    assert [(e.line, e.reason) for e in forked.errors] == [(5, "no name")]
    assert SourceRecord.objects.filter(name="Salem Seed Library", place__isnull=False).exists()


def test_it_reports_an_unreadable_file_from_the_second_process(
    tmp_path: Path, geocoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = cleaning._record_values

    def failing(row, places):  # type: ignore[no-untyped-def]
        if row.key == 2:
            raise ReadError("the file changed while it was read")
        return clean(row, places)

    monkeypatch.setattr(cleaning, "_record_values", failing)
    with pytest.raises(ReadError, match="changed while it was read"):
        import_file(user=None, path=_write(tmp_path, FIRST), source_name="broken")
    assert SourceRecord.objects.count() == 0
