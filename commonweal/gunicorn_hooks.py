"""gunicorn hooks for `commonweal serve`: the background worker runs beside the web workers.

Imports from the web, alerts, issue-area suggestions and opinion maps are background work. With
the default database queue, `commonweal serve` starts one supervised worker (`commonweal worker`,
which restarts `db_worker` whenever it dies) when gunicorn is ready and stops it when gunicorn
exits, so a single command runs the whole hub. A separate
worker (another machine, a service unit, Redis workers) is chosen with `serve --no-worker`.
"""

import os
import subprocess
import sys
from typing import Any

WORKER_ENV = "COMMONWEAL_SERVE_WORKER"
_worker: subprocess.Popen[bytes] | None = None


def when_ready(server: Any) -> None:
    global _worker
    if os.environ.get(WORKER_ENV) != "1":
        return
    _worker = subprocess.Popen([sys.executable, "-m", "commonweal.cli", "worker"])  # noqa: S603
    server.log.info("Background worker started (pid %s)", _worker.pid)


def on_exit(server: Any) -> None:
    if _worker is None or _worker.poll() is not None:
        return
    _worker.terminate()
    try:
        _worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        _worker.kill()
