"""Whether a run is still being worked on, how to ask it to stop, and what to do with runs
whose process died.

A run in progress holds its transaction open (and on SQLite, the database's one write lock),
so the page cannot learn about it, nor stop it, through the database. Both go through small
files in var/imports/ instead: the process working on a run (its import or its preview) beats
a heart file every few seconds, and the page leaves a cancel file that the process looks for
between chunks, while it waits on its reader, and (in the worker's main thread) from a watcher
that stops it wherever it is (`stop_watch`). A run whose heart stopped (the worker died,
or was killed by the kernel) is marked failed by `import_runs_reap`, which the supervised
worker calls whenever it (re)starts and the run page calls when it sees a stale run.
"""

import _thread
import contextlib
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from commonweal.lib import sandbox
from sources.models import ImportRun, RunStatus

BEAT_SECONDS = 5.0
# A heart not heard from for this long belongs to a process that is gone or hung.
STALE_SECONDS = 60.0


def _folder() -> Path:
    return Path(settings.VAR_DIR) / "imports"


def heart_path(run_id: int) -> Path:
    return _folder() / f"run-{run_id}.alive"


def cancel_path(run_id: int) -> Path:
    return _folder() / f"run-{run_id}.cancel"


def _beat(run_id: int) -> None:
    path = heart_path(run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(
        json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "at": time.time()})
    )
    os.replace(tmp, path)


@contextlib.contextmanager
def heartbeat(run_id: int) -> Iterator[None]:
    """Beat the run's heart from a thread while the block runs (a thread, because the run
    spends minutes inside single calls: a bulk write, the duplicate finder)."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(BEAT_SECONDS):
            with contextlib.suppress(OSError):
                _beat(run_id)

    _beat(run_id)
    thread = threading.Thread(target=beat, name=f"import-run-{run_id}-heart", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        heart_path(run_id).unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def heart_state(run_id: int) -> str:
    """ "beating", "stopped" (a heart file left by a process that is gone or silent) or
    "none" (no process has taken the run up yet, or it finished)."""
    try:
        data = json.loads(heart_path(run_id).read_text())
        pid, host, at = int(data["pid"]), str(data["host"]), float(data["at"])
    except FileNotFoundError:
        return "none"
    except (OSError, ValueError, KeyError, TypeError):
        return "stopped"
    if host == socket.gethostname() and not _pid_alive(pid):
        return "stopped"
    return "beating" if time.time() - at < STALE_SECONDS else "stopped"


# The signal the watcher below uses to reach the importing thread; nothing else in the hub
# (nor gunicorn's workers or db_worker) handles it.
_STOP_SIGNAL = signal.SIGUSR2


@contextlib.contextmanager
def stop_watch(run_id: int, *, seconds: float | None, cancellable: bool) -> Iterator[None]:
    """Stop the block at once, wherever it is in Python code (writing records, finding
    duplicates), when its time is up or the run's cancel is asked: a watcher thread raises
    sandbox.TimedOut or sandbox.Cancelled in the importing thread. Only the main thread
    can be reached this way (as in the background worker); elsewhere the run stops at its
    next chunk. Native code (a database query) finishes its statement first."""
    if (
        not seconds and not cancellable
    ) or threading.current_thread() is not threading.main_thread():
        yield
        return
    deadline = time.monotonic() + seconds if seconds else None
    reason: list[sandbox.Stopped] = []
    armed = True

    def raise_reason(signum: int, frame: Any) -> None:
        if armed and reason:
            raise reason[0]

    previous = signal.signal(_STOP_SIGNAL, raise_reason)
    done = threading.Event()

    def watch() -> None:
        while not done.wait(1.0):
            if deadline is not None and time.monotonic() > deadline:
                reason.append(sandbox.TimedOut(seconds or 0))
            elif cancellable and cancel_requested(run_id):
                reason.append(sandbox.Cancelled())
            else:
                continue
            _thread.interrupt_main(_STOP_SIGNAL)
            return

    watcher = threading.Thread(target=watch, name=f"import-run-{run_id}-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        armed = False
        done.set()
        watcher.join()
        signal.signal(_STOP_SIGNAL, previous)


def cancel_requested(run_id: int) -> bool:
    return cancel_path(run_id).exists()


def cancel_request(run_id: int, *, by: int | None) -> None:
    """Leave the request (and who made it, for the audit log the run writes when it stops)."""
    path = cancel_path(run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"by": by}))


def cancel_requester(run_id: int) -> int | None:
    try:
        by = json.loads(cancel_path(run_id).read_text()).get("by")
    except (OSError, ValueError, AttributeError):
        return None
    return by if isinstance(by, int) else None


def cancel_clear(run_id: int) -> None:
    cancel_path(run_id).unlink(missing_ok=True)


def _is_stale(run: ImportRun) -> bool:
    state = heart_state(run.pk)
    if state == "beating":
        return False
    if state == "stopped":
        return True
    # No heart at all: stale only once the run was taken up long enough ago for it to beat.
    since = run.started_at or run.created_at
    return since < timezone.now() - timedelta(seconds=STALE_SECONDS)


def stale_reason() -> str:
    return _(
        "The import stopped without finishing: the process working on it ended (it may have "
        "run out of memory or been restarted). Nothing of it was saved; you can upload the "
        "file again."
    )


def import_run_reap(*, run: ImportRun) -> bool:
    """Mark one run failed if the process working on it is gone: a running import, or a
    preview that was being read. Returns True when it did."""
    if run.status == RunStatus.RUNNING and _is_stale(run):
        updated = ImportRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), message=stale_reason()
        )
    elif (
        run.status == RunStatus.PENDING
        and not (run.preview or {}).get("ready")
        and heart_state(run.pk) == "stopped"
    ):
        preview: dict[str, Any] = {"ready": True, "failed": stale_reason(), "headers": []}
        updated = ImportRun.objects.filter(pk=run.pk, status=RunStatus.PENDING).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            preview=preview,
            message=stale_reason(),
        )
    else:
        return False
    heart_path(run.pk).unlink(missing_ok=True)
    (_folder() / f"run-{run.pk}.progress").unlink(missing_ok=True)  # see runs.progress_path
    cancel_clear(run.pk)
    if updated:
        run.refresh_from_db()
    return bool(updated)


def import_runs_reap() -> int:
    """Mark failed every run whose process is gone (see `import_run_reap`). Returns how many."""
    candidates = ImportRun.objects.filter(status__in=(RunStatus.RUNNING, RunStatus.PENDING))
    return sum(
        import_run_reap(run=run)
        for run in candidates.only("pk", "status", "preview", "started_at", "created_at")
    )
