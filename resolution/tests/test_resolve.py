import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from directory.models import Organization
from resolution.models import MatchDecision
from resolution.services import organizations_merge, records_resolve, records_split
from sources.models import SourceRecord
from sources.services import import_file


def _org_of(source: str, key: int) -> int:
    org_id = SourceRecord.objects.get(source__name=source, record_key=key).organization_id
    assert org_id is not None
    return org_id


def _import_both(lists: dict[str, Path]) -> None:
    import_file(user=None, path=lists["first"], source_name="first")
    import_file(user=None, path=lists["second"], source_name="second")


def test_it_groups_duplicate_records_into_one_organization(lists, geocoder) -> None:
    _import_both(lists)
    # Queens twice in the first list; Bushwick, Rose City and Salem in both lists.
    assert _org_of("first", 1) == _org_of("first", 3)
    assert _org_of("first", 2) == _org_of("second", 2)
    assert _org_of("first", 4) == _org_of("second", 3)
    assert _org_of("first", 5) == _org_of("second", 1)
    assert len({_org_of("first", 1), _org_of("first", 2), _org_of("first", 4)}) == 3
    assert Organization.objects.count() == 5
    assert not SourceRecord.objects.filter(organization__isnull=True).exists()


def test_it_keeps_a_split_apart_through_reimports(lists, geocoder) -> None:
    _import_both(lists)
    salem = SourceRecord.objects.get(source__name="second", record_key=1)
    new_org = records_split(records=[salem], by=None, reason="a different Salem group")
    assert _org_of("second", 1) == new_org.pk != _org_of("first", 5)
    assert MatchDecision.objects.filter(same=False).count() == 1

    _import_both(lists)
    records_resolve()
    assert _org_of("second", 1) == new_org.pk
    assert _org_of("first", 5) != new_org.pk


def test_it_keeps_a_merge_together_through_reimports(lists, geocoder) -> None:
    _import_both(lists)
    eugene = Organization.objects.get(pk=_org_of("second", 4))
    queens = Organization.objects.get(pk=_org_of("first", 1))
    organizations_merge(keep=queens, other=eugene, by=None, reason="one coalition")
    assert _org_of("second", 4) == queens.pk
    # Hidden, not deleted: a split can give its records back.
    assert Organization.objects.get(pk=eugene.pk).is_hidden

    records_resolve()
    _import_both(lists)
    assert _org_of("second", 4) == _org_of("first", 1) == _org_of("first", 3) == queens.pk


def test_it_exports_every_record_once_with_its_organization(lists, geocoder, tmp_path) -> None:
    _import_both(lists)
    out = tmp_path / "links.csv"
    call_command("export", "links", "--out", str(out))
    with out.open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["source", "record_key", "organization_id"]
    keys = [(source, int(key)) for source, key, _ in rows[1:]]
    assert sorted(keys) == [("first", k) for k in range(1, 6)] + [
        ("second", k) for k in range(1, 5)
    ]
    by_key = {(s, int(k)): int(o) for s, k, o in rows[1:]}
    assert by_key[("first", 1)] == by_key[("first", 3)]
    assert set(by_key.values()) == set(Organization.objects.values_list("pk", flat=True))


def test_it_resolves_again_without_moving_anything(lists, geocoder) -> None:
    _import_both(lists)
    before = dict(SourceRecord.objects.values_list("pk", "organization_id"))
    out = io.StringIO()
    call_command("resolve", stdout=out)
    assert "0 records moved" in out.getvalue()
    assert dict(SourceRecord.objects.values_list("pk", "organization_id")) == before


def test_it_names_the_option_when_the_export_cannot_be_written(lists, geocoder) -> None:
    _import_both(lists)
    with pytest.raises(CommandError, match="--out"):
        call_command("export", "links", "--out", "/nonexistent-dir/links.csv")
