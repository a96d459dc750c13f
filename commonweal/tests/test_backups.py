"""`commonweal backup` and `restore`: the whole hub round-trips, and nothing else gets in.

These run on whichever database the suite runs on (SQLite here, PostgreSQL in `.ci/run`)."""

import io
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import AuditEvent
from commonweal import backups
from commonweal.backups import BackupError, Damaged, WrongPassphrase, backup_restore, backup_write
from commonweal.lib import sealed
from commonweal.tests.listings import make_listings
from directory.models import Organization
from directory.services import organization_create

PASS = "correct horse battery"  # noqa: S105 - a test archive's passphrase


@pytest.fixture
def hub(places: dict[str, Any], organizer: Any, settings: Any, tmp_path: Path) -> dict[str, Any]:
    settings.VAR_DIR = tmp_path / "var"
    uploads = backups.uploads_dir()
    uploads.mkdir(parents=True)
    (uploads / "groups.csv").write_bytes(b"name,place\n=cmd,Portland\n")
    return make_listings(places, organizer)


def _tables() -> list[Any]:
    return [m for m in apps.get_models(include_auto_created=True) if m._meta.managed]


def _snapshot() -> dict[str, Any]:
    """Every table's count, and its first and last rows as they read back from the database."""
    shot: dict[str, Any] = {}
    for model in _tables():
        rows = model._default_manager.order_by("pk")
        shot[model._meta.label_lower] = (
            rows.count(),
            list(rows.values()[:2]),
            list(rows.reverse().values()[:2]),
        )
    return shot


def _wipe() -> None:
    backups.tables_empty(_tables())


def _archive() -> bytes:
    out = io.BytesIO()
    backup_write(out=out, passphrase=PASS)
    return out.getvalue()


def _without_restore_event(shot: dict[str, Any]) -> dict[str, Any]:
    label = AuditEvent._meta.label_lower
    AuditEvent.objects.filter(action="hub.restored").delete()
    return {**shot, label: _snapshot()[label]}


def test_it_round_trips_every_table_and_the_uploaded_files(hub: dict[str, Any]) -> None:
    before = _snapshot()
    assert before["directory.organization"][0] == len(hub)
    archive = _archive()
    assert b"Portland Tenants Union" not in archive  # sealed, not merely compressed
    _wipe()
    (backups.uploads_dir() / "groups.csv").unlink()
    assert not Organization.objects.exists()

    summary = backup_restore(source=io.BytesIO(archive), passphrase=PASS)

    assert summary.files == 1
    assert summary.rows == sum(count for count, _, _ in before.values())
    assert AuditEvent.objects.filter(action="hub.restored").count() == 1
    after = _snapshot()
    assert _without_restore_event(after) == before
    assert (backups.uploads_dir() / "groups.csv").read_bytes().startswith(b"name,place")


def test_it_lets_the_restored_hub_add_rows_after_the_restored_ones(
    hub: dict[str, Any], places: Any
) -> None:
    highest = Organization.objects.order_by("-pk").values_list("pk", flat=True)[0]
    archive = _archive()
    _wipe()
    backup_restore(source=io.BytesIO(archive), passphrase=PASS)
    # On PostgreSQL the id sequences must have been moved past the restored rows.
    new = organization_create(user=None, name="After the restore", home_place=places["portland"])
    assert new.pk > highest


def test_it_refuses_a_wrong_passphrase_before_writing_anything(hub: dict[str, Any]) -> None:
    archive = _archive()
    before = _snapshot()
    with pytest.raises(WrongPassphrase):
        backup_restore(
            source=io.BytesIO(archive),
            passphrase="wrong horse",  # noqa: S106 - the wrong one on purpose
            replace=True,
        )
    assert _snapshot() == before


def test_it_refuses_a_database_that_already_holds_data(hub: dict[str, Any]) -> None:
    archive = _archive()
    before = _snapshot()
    with pytest.raises(BackupError):
        backup_restore(source=io.BytesIO(archive), passphrase=PASS)
    assert _snapshot() == before


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Many chunks, so a fault can sit after rows have already been written.
    monkeypatch.setattr(sealed, "CHUNK", 512)


def test_it_refuses_an_archive_cut_short_and_keeps_the_old_rows(
    hub: dict[str, Any], small_chunks: None
) -> None:
    archive = _archive()
    assert len(archive) > 10 * 512
    Organization.objects.filter(pk=hub["tenants"].pk).update(name="Changed since the backup")
    before = _snapshot()
    with pytest.raises(Damaged):
        backup_restore(
            source=io.BytesIO(archive[: len(archive) * 3 // 4]), passphrase=PASS, replace=True
        )
    assert _snapshot() == before
    assert sorted(p.name for p in backups.uploads_dir().iterdir()) == ["groups.csv"]


def test_it_refuses_an_archive_changed_in_the_middle(
    hub: dict[str, Any], small_chunks: None
) -> None:
    archive = bytearray(_archive())
    archive[len(archive) * 2 // 3] ^= 0x01
    before = _snapshot()
    with pytest.raises(Damaged):
        backup_restore(source=io.BytesIO(bytes(archive)), passphrase=PASS, replace=True)
    assert _snapshot() == before


def test_it_refuses_an_archive_with_chunks_swapped() -> None:
    out = io.BytesIO()
    writer = sealed.SealedWriter(out, PASS)
    chunk = sealed.CHUNK
    writer.write(b"a" * chunk + b"b" * chunk + b"c")
    writer.close()
    data = out.getvalue()
    frame = 5 + chunk + 16
    start = len(data) - (5 + 1 + 16) - 2 * frame
    swapped = data[:start] + data[start + frame : start + 2 * frame] + data[start : start + frame]
    swapped += data[start + 2 * frame :]
    assert sealed.SealedReader(io.BytesIO(data), PASS).read() == b"a" * chunk + b"b" * chunk + b"c"
    with pytest.raises(Damaged):
        sealed.SealedReader(io.BytesIO(swapped), PASS).read()


def test_it_refuses_a_file_that_is_not_a_backup() -> None:
    with pytest.raises(Damaged):
        sealed.SealedReader(io.BytesIO(b"name,place\nx,y\n"), PASS)


def test_it_backs_up_and_restores_from_the_command_line(
    hub: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMONWEAL_BACKUP_PASSPHRASE", PASS)
    path = tmp_path / "hub.backup"
    out = io.StringIO()
    call_command("backup", str(path), stdout=out)
    assert "uploaded files" in out.getvalue() and path.stat().st_size > 0
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(path))
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(path))
    monkeypatch.setenv("COMMONWEAL_BACKUP_PASSPHRASE", "another passphrase")
    with pytest.raises(CommandError, match="passphrase does not open"):
        call_command("restore", str(path), replace=True)
