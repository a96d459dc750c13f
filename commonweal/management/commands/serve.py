"""`commonweal serve`: the hub behind gunicorn, with its static files collected first.

The command replaces itself with gunicorn (exec), so Ctrl-C and service managers' signals
reach gunicorn directly and it shuts its workers down cleanly.
"""

import hashlib
import os
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

FINGERPRINT = ".sources-fingerprint"


def static_fingerprint() -> str:
    """A digest of every static source file's path, size and modification time."""
    digest = hashlib.sha256()
    entries = []
    for finder in get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            entries.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode())
    return digest.hexdigest()


def collectstatic_if_needed(stdout: Any = None) -> bool:
    """Collect static files unless the sources are unchanged since the last collection."""
    root = Path(settings.STATIC_ROOT)
    marker = root / FINGERPRINT
    current = static_fingerprint()
    if marker.exists() and marker.read_text() == current:
        return False
    if stdout is not None:
        stdout.write(f"Collecting static files into {root}…")
    call_command("collectstatic", interactive=False, verbosity=0)
    root.mkdir(parents=True, exist_ok=True)
    marker.write_text(current)
    return True


def gunicorn_argv(*, host: str, port: int, workers: int, threads: int, timeout: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "commonweal.wsgi:application",
        "--bind",
        f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "--workers",
        str(workers),
        # Threads let one worker wait on the database for one request while serving another.
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--timeout",
        str(timeout),
        "--graceful-timeout",
        "10",
        # One hub per control socket path would stop two instances (a bench beside a dev server).
        "--no-control-socket",
        "--config",
        "python:commonweal.gunicorn_hooks",
        "--pythonpath",
        str(settings.BASE_DIR),
        "--access-logfile",
        "-",
        "--access-logformat",
        '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
    ]


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Serve the hub with gunicorn (collecting static files first when they changed)."
    requires_system_checks = []  # type: ignore[assignment]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1)."
        )
        parser.add_argument("--port", type=_positive, default=8000, help="Port (default 8000).")
        parser.add_argument(
            "--workers",
            type=_positive,
            default=int(os.environ.get("WEB_CONCURRENCY", "2")),
            help="Worker processes (default 2, or $WEB_CONCURRENCY).",
        )
        parser.add_argument(
            "--threads", type=_positive, default=4, help="Threads per worker (default 4)."
        )
        parser.add_argument(
            "--timeout",
            type=_positive,
            default=30,
            help="Seconds before a stuck request's worker restarts.",
        )
        parser.add_argument(
            "--no-collectstatic", action="store_true", help="Serve static files as they are."
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start the background worker (run `commonweal db_worker` elsewhere).",
        )

    def _prepare_map_index(self) -> None:
        from directory.mapindex import index_file_prepare

        try:
            if index_file_prepare() is not None:
                self.stdout.write("The map index of the directory is ready.")
        except Exception as error:  # the workers will build it themselves
            self.stderr.write(f"Could not prepare the map index ahead: {error}")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_collectstatic"]:
            collectstatic_if_needed(self.stdout)
        self._prepare_map_index()
        host, port = options["host"], options["port"]
        shown = f"[{host}]" if ":" in host else host
        self.stdout.write(f"Commonweal is at http://{shown}:{port}/ (Ctrl-C stops it).")
        self.stdout.flush()
        from commonweal.gunicorn_hooks import WORKER_ENV

        database_queue = settings.TASKS["default"]["BACKEND"].endswith("DatabaseBackend")
        if database_queue and not options["no_worker"]:
            os.environ[WORKER_ENV] = "1"
            self.stdout.write("A background worker runs beside the web workers.")
        else:
            os.environ.pop(WORKER_ENV, None)
        argv = gunicorn_argv(
            host=host,
            port=port,
            workers=options["workers"],
            threads=options["threads"],
            timeout=options["timeout"],
        )
        os.execv(argv[0], argv)  # noqa: S606 - a fixed argv, no shell involved
