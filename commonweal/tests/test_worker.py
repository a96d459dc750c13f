"""`commonweal worker`: the background worker is started again when it dies, and what it left
running is marked failed with a reason instead of staying "running" for ever."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from commonweal.management.commands import worker
from sources.models import ImportRun, RunStatus, Source
from sources.services.liveness import heart_path


def test_it_starts_the_worker_again_each_time_it_dies() -> None:
    started: list[str] = []
    cleaned: list[list[str]] = []

    def command(worker_id: str) -> list[str]:
        started.append(worker_id)
        return [sys.executable, "-c", "import os; os.abort()"]

    restarts = worker.supervise(
        command,
        on_start=lambda ended: cleaned.append(list(ended)),
        max_restarts=2,
        sleep=lambda s: None,
    )
    assert restarts == 3 and len(set(started)) == 3
    # Before each start, the supervisor cleans up after every worker that ended.
    assert cleaned[:3] == [[], started[:1], started[:2]]


def test_it_runs_the_periodic_chores_while_the_worker_runs() -> None:
    ticks: list[float] = []
    worker.supervise(
        lambda worker_id: [sys.executable, "-c", "import time; time.sleep(3.5)"],
        on_start=lambda ended: None,
        max_restarts=0,
        sleep=lambda s: None,
        on_tick=lambda: ticks.append(time.monotonic()),
        tick_seconds=1.0,
    )
    # The worker ran about 3.5 s: the chores ran about once a second meanwhile, without
    # waiting for it to end.
    assert len(ticks) >= 2


def test_a_worker_past_its_memory_cap_ends_and_is_started_again(tmp_path: Path) -> None:
    marker = tmp_path / "allocated"
    # 1 GiB, past the 300 MB cap: the worker fails before it can leave the marker.
    script = f"x = bytearray(1024 ** 3); open({str(marker)!r}, 'w').close()"
    restarts = worker.supervise(
        lambda worker_id: [sys.executable, "-c", script],
        on_start=lambda ended: None,
        max_restarts=0,
        sleep=lambda s: None,
        memory_mb=300,
    )
    assert restarts == 1 and not marker.exists()


def test_it_stops_its_worker_when_told_to() -> None:
    script = (
        "import subprocess, sys, time\n"
        "from commonweal.management.commands import worker\n"
        "worker.supervise(lambda i: [sys.executable, '-c', 'import time; time.sleep(60)'],"
        " on_start=lambda ended: print('start', flush=True))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "commonweal.settings"}
    supervisor = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, cwd=Path.cwd()
    )
    assert supervisor.stdout is not None
    assert supervisor.stdout.readline().strip() == b"start"
    time.sleep(0.5)
    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(timeout=20) == 0


@pytest.mark.django_db
def test_it_fails_what_a_dead_worker_left_running(settings, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    task = DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        task_path="sources.tasks.import_run",
        args_kwargs={"args": [1], "kwargs": {}},
        worker_ids=["gone-1"],
        backend_name="default",
        run_after=timezone.now(),
    )
    other = DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        task_path="sources.tasks.import_run",
        args_kwargs={"args": [2], "kwargs": {}},
        worker_ids=["alive-1"],
        backend_name="default",
        run_after=timezone.now(),
    )
    source = Source.objects.create(name="List", slug="list")
    run = ImportRun.objects.create(
        source=source, status=RunStatus.RUNNING, file_path="x.csv", started_at=timezone.now()
    )
    # The heart of a process that no longer exists.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    heart_path(run.pk).parent.mkdir(parents=True, exist_ok=True)
    heart_path(run.pk).write_text(
        json.dumps({"pid": dead.pid, "host": socket.gethostname(), "at": time.time()})
    )
    assert worker.reap(["gone-1"]) == (1, 1)
    task.refresh_from_db()
    other.refresh_from_db()
    run.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED and "WorkerEnded" in task.exception_class_path
    assert other.status == TaskResultStatus.RUNNING
    assert run.status == RunStatus.FAILED and "stopped without finishing" in run.message
