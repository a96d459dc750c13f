"""`commonweal serve`: arguments, static files, and handing over to gunicorn."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings

from commonweal.management.commands import serve


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: calls.append(argv))
    monkeypatch.setattr(serve, "collectstatic_if_needed", lambda stdout=None: False)
    return calls


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_it_serves_on_localhost_8000_with_two_workers_by_default(launched: list[list[str]]) -> None:
    out = StringIO()
    call_command("serve", stdout=out)
    (argv,) = launched
    assert argv[1:4] == ["-m", "gunicorn", "commonweal.wsgi:application"]
    assert _option(argv, "--bind") == "127.0.0.1:8000"
    assert _option(argv, "--workers") == "2"
    assert int(_option(argv, "--threads")) > 1
    assert "http://127.0.0.1:8000/" in out.getvalue()


def test_it_takes_host_port_workers_and_threads(launched: list[list[str]]) -> None:
    call_command(
        "serve",
        "--host",
        "0.0.0.0",  # noqa: S104 - only parsed, never bound
        "--port",
        "9123",
        "--workers",
        "3",
        "--threads",
        "2",
        stdout=StringIO(),
    )  # noqa: S104
    (argv,) = launched
    assert _option(argv, "--bind") == "0.0.0.0:9123"
    assert _option(argv, "--workers") == "3"
    assert _option(argv, "--threads") == "2"


def test_it_brackets_ipv6_addresses(launched: list[list[str]]) -> None:
    call_command("serve", "--host", "::1", "--port", "9124", stdout=StringIO())
    assert _option(launched[0], "--bind") == "[::1]:9124"


@pytest.mark.parametrize(
    "args", [["--port", "0"], ["--port", "http"], ["--workers", "0"], ["--threads", "-1"]]
)
def test_it_refuses_bad_numbers(launched: list[list[str]], args: list[str]) -> None:
    with pytest.raises(CommandError):
        call_command("serve", *args, stdout=StringIO())
    assert launched == []


def test_it_collects_static_files_only_when_they_changed(
    settings: Settings, tmp_path: Path
) -> None:
    settings.STATIC_ROOT = tmp_path / "static"
    assert serve.collectstatic_if_needed() is True
    assert (tmp_path / "static" / "leaflet" / "leaflet.js").exists()
    assert serve.collectstatic_if_needed() is False


def test_it_runs_the_background_worker_beside_gunicorn_unless_told_not_to(
    launched: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from commonweal import gunicorn_hooks

    monkeypatch.delenv(gunicorn_hooks.WORKER_ENV, raising=False)
    call_command("serve", stdout=StringIO())
    assert _option(launched[-1], "--config") == "python:commonweal.gunicorn_hooks"
    assert serve.os.environ[gunicorn_hooks.WORKER_ENV] == "1"
    call_command("serve", "--no-worker", stdout=StringIO())
    assert gunicorn_hooks.WORKER_ENV not in serve.os.environ


def test_its_hooks_start_and_stop_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    from commonweal import gunicorn_hooks

    started: list[list[str]] = []

    class FakeWorker:
        pid = 4242
        stopped = False

        def __init__(self, argv: list[str]) -> None:
            started.append(argv)

        def poll(self) -> None:
            return None

        def terminate(self) -> None:
            FakeWorker.stopped = True

        def wait(self, timeout: float) -> int:
            return 0

    class Log:
        def info(self, *args: object) -> None:
            pass

    class Server:
        log = Log()

    monkeypatch.setattr(gunicorn_hooks.subprocess, "Popen", FakeWorker)
    monkeypatch.setenv(gunicorn_hooks.WORKER_ENV, "1")
    monkeypatch.setenv(gunicorn_hooks.WARM_ENV, "0")
    gunicorn_hooks.when_ready(Server())
    gunicorn_hooks.on_exit(Server())
    assert started[0][-1] == "worker" and FakeWorker.stopped
    monkeypatch.setattr(gunicorn_hooks, "_worker", None)


def test_it_builds_the_geocoder_before_forking_web_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connections

    from commonweal import gunicorn_hooks
    from places import geocoder

    done: list[str] = []
    monkeypatch.setattr(geocoder, "get_geocoder", lambda: done.append("built"))
    monkeypatch.setattr(connections, "close_all", lambda: done.append("closed"))
    monkeypatch.delenv(gunicorn_hooks.WORKER_ENV, raising=False)
    monkeypatch.delenv(gunicorn_hooks.WARM_ENV, raising=False)

    class Server:
        log = None

    gunicorn_hooks.when_ready(Server())
    # Built in the master, and its database connection closed so no worker inherits it.
    assert done == ["built", "closed"]
