"""`commonweal worker`: the background worker (`db_worker`), supervised.

If the worker process ends without being asked to (a native library aborted it, the kernel's
out-of-memory killer picked it), imports, alerts, tagging and opinion maps would all stop
until someone noticed. The supervisor starts it again at once, backing off if it keeps dying,
and first cleans up after it: the task it was running is marked failed (it would stay
"running" for ever), and so is every import run whose process is gone, with the reason shown
on the run's page. `commonweal serve` runs this beside gunicorn.
"""

import logging
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

logger = logging.getLogger("commonweal.worker")


class WorkerEnded(Exception):
    """Recorded on a task whose worker process ended while running it."""


def reap(ended_worker_ids: list[str]) -> tuple[int, int]:
    """Fail the tasks that ended workers left running, and the import runs whose process is
    gone. Returns (tasks, runs) marked failed."""
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from sources.services import import_runs_reap

    tasks = 0
    ended = set(ended_worker_ids)
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        if result.worker_ids and result.worker_ids[-1] in ended:
            result.set_failed(WorkerEnded("The background worker ended while running this task."))
            tasks += 1
    return tasks, import_runs_reap()


def tick() -> None:
    """The hub's periodic chores, which would otherwise need a cron job beside `make run`: close
    calls whose deadline passed, recover stalled alerts, re-queue lost mail retries, and the
    chores of check-ins, assemblies, overdue plan tasks, introductions and the bird's-eye view,
    each named below."""
    from actions.services import call_tick
    from assemblies.notify import announcements_recover
    from assemblies.services import rounds_tick
    from connections.services import introduction_followup_tick
    from outbox.services import outbox_sweep
    from outreach.checkins import checkins_send
    from overview.services import overview_tick
    from plans.services import plans_tick

    for chore in (
        call_tick,
        outbox_sweep,
        checkins_send,
        rounds_tick,
        announcements_recover,
        introduction_followup_tick,
        overview_tick,
        plans_tick,
    ):
        try:
            chore()
        except Exception:
            logger.exception("Periodic chore %s failed", chore.__name__)


def _memory_cap(memory_mb: int) -> Callable[[], None]:
    def cap() -> None:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))

    return cap


def supervise(
    command: Callable[[str], list[str]],
    *,
    on_start: Callable[[list[str]], Any] = reap,
    max_restarts: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    memory_mb: int = 0,
    on_tick: Callable[[], Any] | None = None,
    tick_seconds: float = 60.0,
) -> int:
    """Run `command(worker_id)` again whenever it ends, until SIGTERM/SIGINT (passed on to
    it) or the parent process is gone; with `memory_mb`, the worker's address space is capped
    there, so that a runaway job ends the worker (which is restarted) before the machine
    swaps. Returns how many times it was restarted."""
    stopping = False
    child: subprocess.Popen[bytes] | None = None
    parent = os.getppid()

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.terminate()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    ended: list[str] = []
    restarts = failures = 0
    next_tick = time.monotonic()
    try:
        while not stopping:
            try:
                on_start(ended)
            except Exception:
                logger.exception("Could not clean up after the previous worker")
            worker_id = f"{socket.gethostname()}-{os.getpid()}-{restarts}"[-64:]
            started = time.monotonic()
            child = subprocess.Popen(
                command(worker_id), preexec_fn=_memory_cap(memory_mb) if memory_mb else None
            )
            while True:
                try:
                    code = child.wait(timeout=1)
                    break
                except subprocess.TimeoutExpired:
                    if os.getppid() != parent:  # whoever started us is gone: so are we
                        stop(signal.SIGTERM, None)
                    if on_tick is not None and time.monotonic() >= next_tick:
                        next_tick = time.monotonic() + tick_seconds
                        on_tick()
            ended.append(worker_id)
            if stopping:
                break
            restarts += 1
            failures = 0 if time.monotonic() - started > 60 else failures + 1
            delay = min(30.0, 2.0 ** (failures - 1)) if failures else 1.0
            logger.error(
                "The background worker ended (exit %s); starting it again in %.0f s", code, delay
            )
            if max_restarts is not None and restarts > max_restarts:
                break
            sleep(delay)
        on_start(ended)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
    return restarts


class Command(BaseCommand):
    help = "Run the background worker and start it again whenever it ends unexpectedly."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-restarts",
            type=int,
            default=None,
            help="Give up after this many restarts (default: never).",
        )
        parser.add_argument(
            "--tick-seconds",
            type=float,
            default=60.0,
            help="Run the periodic chores (call deadlines, mail retries) this often; 0 for never.",
        )
        parser.add_argument(
            "--memory-mb",
            type=int,
            default=int(os.environ.get("WORKER_MEMORY_MB", "0")),
            help="Cap the worker's address space (MB; default $WORKER_MEMORY_MB, 0 for none).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        logging.basicConfig(level=logging.INFO)

        def command(worker_id: str) -> list[str]:
            return [
                sys.executable,
                "-m",
                "commonweal.cli",
                "db_worker",
                "--worker-id",
                worker_id,
                "--no-reload",
            ]

        supervise(
            command,
            max_restarts=options["max_restarts"],
            memory_mb=options["memory_mb"],
            on_tick=tick if options["tick_seconds"] > 0 else None,
            tick_seconds=options["tick_seconds"] or 60.0,
        )
