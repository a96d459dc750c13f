"""The periodic chore queues a rebuild when one is due, and only then; the command runs one."""

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from directory.models import DirectoryState
from overview.models import OverviewBuild, PlaceFigures
from overview.services import overview_rebuild, overview_tick
from overview.tests.conftest import Movement

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(monkeypatch: Any) -> list[int]:
    """The task queue's side: which builds the tick handed to the background worker."""
    from overview import tasks

    seen: list[int] = []

    class Queue:
        def enqueue(self, pk: int) -> None:
            seen.append(pk)

    monkeypatch.setattr(tasks, "overview_rebuild_task", Queue())
    return seen


def _bump_directory() -> None:
    state, _ = DirectoryState.objects.get_or_create(pk=1)
    DirectoryState.objects.filter(pk=state.pk).update(version=state.version + 1)


def test_the_first_tick_queues_a_rebuild(movement: Movement, queued: list[int]) -> None:
    build = overview_tick()
    assert build is not None and queued == [build.pk]
    # Queued and not yet run: the next tick does not queue a second one.
    assert overview_tick() is None
    assert queued == [build.pk]


def test_the_queued_task_runs_the_rebuild(movement: Movement) -> None:
    from overview.tasks import overview_rebuild_task

    build = OverviewBuild.objects.create()
    assert overview_rebuild_task.call(build.pk) > 0
    build.refresh_from_db()
    assert build.finished_at is not None and PlaceFigures.objects.exists()
    assert overview_rebuild_task.call(build.pk) == 0  # already done: nothing twice


def test_it_waits_while_nothing_changed(movement: Movement, queued: list[int]) -> None:
    overview_rebuild()
    assert overview_tick(now=timezone.now() + timedelta(minutes=30)) is None
    assert queued == []


def test_it_rebuilds_after_a_change_once_the_figures_are_minutes_old(
    movement: Movement, queued: list[int]
) -> None:
    overview_rebuild()
    _bump_directory()
    assert overview_tick() is None  # just counted: a burst of edits is not chased
    assert overview_tick(now=timezone.now() + timedelta(minutes=6)) is not None


def test_it_rebuilds_hourly_in_any_case(movement: Movement, queued: list[int]) -> None:
    overview_rebuild()
    assert overview_tick(now=timezone.now() + timedelta(minutes=61)) is not None


def test_it_takes_a_long_lost_build_as_lost(movement: Movement, queued: list[int]) -> None:
    OverviewBuild.objects.create()
    later = timezone.now() + timedelta(hours=3)
    assert overview_tick(now=later) is not None


def test_the_command_rebuilds_now(movement: Movement) -> None:
    out = StringIO()
    call_command("overview", "rebuild", stdout=out)
    assert "places with figures" in out.getvalue()
    assert OverviewBuild.objects.filter(finished_at__isnull=False).count() == 1


def test_the_worker_runs_the_chore(movement: Movement, queued: list[int]) -> None:
    from commonweal.management.commands.worker import tick

    tick()
    assert len(queued) == 1


def test_it_keeps_only_the_recent_runs(movement: Movement, monkeypatch: Any) -> None:
    from overview import services

    monkeypatch.setattr(services, "BUILDS_KEPT", 2)
    for _ in range(4):
        overview_rebuild()
    assert OverviewBuild.objects.count() == 2
