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
WARM_ENV = "COMMONWEAL_WARM_GEOCODER"
_worker: subprocess.Popen[bytes] | None = None


def warm_geocoder(server: Any) -> None:
    """Build the geocoder once in gunicorn's master, before it forks the web workers: they then
    share its arrays instead of each building its own (a few seconds and ~270 MB apiece) on the
    first request that types a place."""
    try:
        import django

        django.setup()
        from django.db import connections

        from places.geocoder import get_geocoder

        get_geocoder()
        # Workers must not inherit the master's database connection.
        connections.close_all()
    except Exception:
        server.log.exception("Could not prepare the geocoder; web workers will build their own")


def when_ready(server: Any) -> None:
    global _worker
    if os.environ.get(WARM_ENV, "1") == "1":
        warm_geocoder(server)
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
