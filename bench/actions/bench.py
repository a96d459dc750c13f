"""Benchmarks for calls to action. Prints figures; never passes or fails.

    .venv/bin/python bench/actions/bench.py rollup   [--commitments 100000] [--requests 100]
    .venv/bin/python bench/actions/bench.py commit   [--requests 1000] [--concurrency 8]
                                                     [--tool wrk|threads]
    .venv/bin/python bench/actions/bench.py fanout   [--recipients 100000] [--workers 4]
                                                     [--kill-after SECONDS]

The database comes from DATABASE_URL (default: SQLite in $COMMONWEAL_VAR_DIR). The world's
places and sample listings are loaded first if missing (`commonweal places load`, `sample`).

- rollup: 100,000 commitments from sample listings all over the world to one call, then the
  roll-up JSON (/actions/<call>/rollup.json: counts for every place and region with any) is
  requested through Django's request handler three ways: after one real change (a commitment
  withdrawn or made again through the services, applied to the cached roll-up), recounted from
  the per-position tallies (the cache dropped), and unchanged (cached); then the followed
  roll-up is compared with a fresh recount.
- commit: the real server (gunicorn, `commonweal serve`) on a free port, and wrk (with
  bench/actions/commit.lua; or `--tool threads`, Python threads) POSTing the commit form as
  signed-in admins of 10 groups each, every request a different group; then a no-lost-writes
  check: every 302 answer is a commitment row, and the call's counter agrees.
- fanout: an alert to N subscribers, sent by `--workers` `commonweal db_worker` processes to an
  aiosmtpd sink on 127.0.0.1 in its own process; counts what the sink received, and duplicates
  by Message-ID. With --kill-after, one worker is SIGKILLed mid-send; once the others have
  finished, the tick's recovery runs as if its lease had expired: its claimed rows go back to
  the queue, its in-flight batch is marked uncertain, and nothing is sent twice.
"""

from __future__ import annotations

import argparse
import http.client
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from actions import services  # noqa: E402
from actions.models import (  # noqa: E402
    Alert,
    AlertState,
    CallToAction,
    Commitment,
    Delivery,
    DeliveryStatus,
    Subscription,
    SubscriptionRange,
)
from directory.models import Organization, OrganizationAdmin  # noqa: E402
from places.models import Place, PlaceKind  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python")


def say(*parts: object) -> None:
    print(*parts, flush=True)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(organizations: int) -> None:
    call_command("migrate", verbosity=0, interactive=False)
    if not Place.objects.exists():
        say("loading the world's places…")
        call_command("places", "load", verbosity=0)
    have = Organization.objects.filter(is_sample=True).count()
    if have < organizations:
        from directory.sample import sample_create

        say(f"adding {organizations - have:,} sample listings…")
        sample_create(organizations=organizations - have, seed=7)


def coalition_and_admin() -> tuple[Organization, User]:
    user, _ = User.objects.get_or_create(
        email="bench-coordinator@example.test", defaults={"is_site_coordinator": True}
    )
    coalition = Organization.objects.filter(slug="bench-coalition").first()
    if coalition is None:
        world = Place.objects.get(kind=PlaceKind.WORLD)
        coalition = Organization.objects.create(
            name="Bench coalition",
            slug="bench-coalition",
            kind="coalition",
            home_place=world,
            place_lft=world.lft,
        )
    OrganizationAdmin.objects.get_or_create(organization=coalition, user=user)
    return coalition, user


def new_call(title: str, **extra: Any) -> CallToAction:
    coalition, user = coalition_and_admin()
    CallToAction.objects.filter(title=title).delete()
    now = timezone.now()
    fields: dict[str, Any] = {
        "scope": Place.objects.get(kind=PlaceKind.WORLD),
        "starts_at": now + timedelta(days=30),
        "deadline": now + timedelta(days=20),
        "min_organizations": 10_000_000,
    }
    fields.update(extra)
    return services.call_create(
        user=user, coalition=coalition, title=title, description="Benchmark.", **fields
    )


# Roll-up -------------------------------------------------------------------------------------


def bench_rollup(args: argparse.Namespace) -> None:
    prepare(args.commitments)
    call = CallToAction.objects.filter(title="Bench roll-up").first()
    if call is None or call.commitments.count() != args.commitments:
        call = new_call("Bench roll-up", place_level="state", min_places=1000)
        orgs = list(
            Organization.objects.filter(is_sample=True, place_lft__isnull=False)
            .order_by("id")
            .values_list("id", "place_lft")[: args.commitments]
        )
        t = time.perf_counter()
        Commitment.objects.bulk_create(
            (Commitment(call=call, organization_id=pk, place_lft=lft) for pk, lft in orgs),
            batch_size=5000,
        )
        CallToAction.objects.filter(pk=call.pk).update(active_count=len(orgs), frozen=True)
        services.call_tallies_rebuild(call)
        say(f"{len(orgs):,} commitments written in {time.perf_counter() - t:.1f} s")
    n = call.commitments.count()
    if not call.lft_tallies.exists():
        services.call_tallies_rebuild(call)
    places = Place.objects.count()
    client = Client(HTTP_HOST="127.0.0.1")
    url = f"/actions/{call.slug}/rollup.json"
    client.get(url)  # builds the per-process place arrays once
    _, user = coalition_and_admin()
    # Groups the benchmark withdraws and recommits, one change before each request.
    toggled = list(
        Commitment.objects.filter(
            call=call, organization__status="active", organization__is_hidden=False
        )
        .select_related("organization")
        .order_by("id")[: args.requests]
    )
    OrganizationAdmin.objects.bulk_create(
        (OrganizationAdmin(organization=c.organization, user=user) for c in toggled),
        ignore_conflicts=True,
    )
    from actions import selectors

    def change(i: int) -> None:
        c = toggled[i % len(toggled)]
        c.refresh_from_db()
        if c.is_active:
            services.commitment_withdraw(user=user, commitment=c)
        else:
            services.commitment_make(user=user, call=call, organization=c.organization)

    modes = (
        ("after one change (applied to the cached roll-up)", change),
        ("recounted from the tallies (no cache)", lambda i: selectors._live.clear()),
        ("unchanged (cached)", None),
    )
    for label, before in modes:
        times = []
        size = 0
        for i in range(args.requests):
            if before is not None:
                before(i)
            t = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            size = len(response.content)
            assert response.status_code == 200
        say(
            f"roll-up {label}: {n:,} commitments over {places:,} places, "
            f"{size / 1024:.0f} KiB answer: p50 {pct(times, 50):.1f} ms, "
            f"p95 {pct(times, 95):.1f} ms, max {max(times):.1f} ms ({args.requests} requests)"
        )
    # The roll-up after all those steps must equal a fresh recount.
    followed = client.get(url).json()
    selectors._live.clear()
    recounted = client.get(url).json()
    say(f"after {args.requests} changes, cached == recounted: {followed == recounted}")
    say(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


# Commitment throughput ------------------------------------------------------------------------


def _session_for(user: User) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def _wait_for(port: int, timeout: float = 60) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def bench_commit(args: argparse.Namespace) -> None:
    prepare(args.users * 20)
    call = new_call("Bench commitments")
    orgs = list(
        Organization.objects.filter(is_sample=True, status="active", is_hidden=False)
        .order_by("id")
        .values_list("id", flat=True)[: args.users * 10]
    )
    users = []
    for i in range(args.users):
        user, _ = User.objects.get_or_create(email=f"bench-admin-{i}@example.test")
        OrganizationAdmin.objects.filter(user=user).delete()
        OrganizationAdmin.objects.bulk_create(
            OrganizationAdmin(organization_id=pk, user=user) for pk in orgs[i * 10 : i * 10 + 10]
        )
        if orgs[i * 10 : i * 10 + 10]:
            users.append((user, orgs[i * 10 : i * 10 + 10]))
    csrf = "b" * 32
    work: queue.Queue[tuple[str, int]] = queue.Queue()
    jobs = []
    for n in range(args.requests):
        user, own = users[n % len(users)]
        jobs.append((user, own[(n // len(users)) % len(own)]))
    sessions = {u.pk: _session_for(u) for u, _ in users}
    for user, org in jobs:
        work.put((sessions[user.pk], org))
    port = free_port()
    log = tempfile.NamedTemporaryFile("w", prefix="actions-bench-", suffix=".log", delete=False)  # noqa: SIM115
    server = subprocess.Popen(  # noqa: S603
        [
            PY,
            "-m",
            "commonweal.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--threads",
            "4",
            "--no-collectstatic",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for(port)
        if args.tool == "wrk":
            ok_count, seconds, summary = _commit_with_wrk(args, port, call, jobs, sessions, csrf)
        else:
            ok_count, seconds, summary = _commit_with_threads(args, port, call, work, csrf)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    call.refresh_from_db()
    rows = Commitment.objects.filter(call=call).count()
    say(
        f"commit endpoint on {connection.vendor} ({args.tool}): {args.requests:,} POSTs, "
        f"{args.concurrency} connections, {seconds:.1f} s → {args.requests / seconds:.0f} "
        f"requests/s; {summary}"
    )
    say(
        f"no-lost-writes check: {ok_count:,} answers 302 (each a different organization), "
        f"{rows:,} commitment rows, counter {call.active_count:,} → lost {ok_count - rows}, "
        f"counter drift {call.active_count - rows}"
    )
    say(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    CallToAction.objects.filter(pk=call.pk).delete()


def _commit_with_threads(
    args: argparse.Namespace, port: int, call: CallToAction, work: queue.Queue, csrf: str
) -> tuple[int, float, str]:
    ok: list[int] = []
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            try:
                session, org = work.get_nowait()
            except queue.Empty:
                break
            body = urlencode({"organization": org, "expected_turnout": 3})
            t = time.perf_counter()
            conn.request(
                "POST",
                f"/actions/{call.slug}/commit/",
                body=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"sessionid={session}; csrftoken={csrf}",
                    "X-CSRFToken": csrf,
                    "Host": "127.0.0.1",
                },
            )
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - t) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if response.status == 302:
                    ok.append(org)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    seconds = time.perf_counter() - t0
    summary = (
        f"p50 {pct(latencies, 50):.0f} ms, p95 {pct(latencies, 95):.0f} ms; statuses {statuses}"
    )
    return len(set(ok)), seconds, summary


def _commit_with_wrk(
    args: argparse.Namespace,
    port: int,
    call: CallToAction,
    jobs: list[tuple[User, int]],
    sessions: dict[int, str],
    csrf: str,
) -> tuple[int, float, str]:
    """wrk with bench/actions/commit.lua: 2 threads, `--concurrency` connections."""
    if len({org for _, org in jobs}) != len(jobs):
        raise SystemExit("with wrk every request must name a different organization")
    jobs_file = Path(tempfile.mkdtemp(prefix="actions-wrk-")) / "jobs"
    jobs_file.write_text("".join(f"{sessions[u.pk]} {org}\n" for u, org in jobs))
    threads = min(2, args.concurrency)
    t0 = time.perf_counter()
    # wrk always runs for its whole -d; the run is over when every job's row exists (or
    # nothing has changed for a minute), then wrk is interrupted and prints its summary.
    wrk = subprocess.Popen(  # noqa: S603
        [
            "wrk",
            f"-t{threads}",
            f"-c{args.concurrency}",
            "-d3600s",
            "--timeout",
            "120s",
            "-s",
            str(ROOT / "bench" / "actions" / "commit.lua"),
            f"http://127.0.0.1:{port}",
            "--",
            str(jobs_file),
            f"/actions/{call.slug}/commit/",
            csrf,
            str(threads),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    last, changed = -1, time.perf_counter()
    while True:
        time.sleep(0.5)
        rows = Commitment.objects.filter(call=call).count()
        if rows != last:
            last, changed = rows, time.perf_counter()
        if rows >= len(jobs) or time.perf_counter() - changed > 60:
            break
    seconds = changed - t0
    time.sleep(2)  # the last answers
    wrk.send_signal(signal.SIGINT)
    out, _ = wrk.communicate(timeout=60)
    statuses: dict[int, int] = {}
    for line in out.splitlines():
        if line.startswith("status "):
            code, n = line.split()[1].rstrip(":"), line.split()[2]
            statuses[int(code)] = int(n)
    lat = {
        line.split()[1].rstrip(":"): line.split()[2]
        for line in out.splitlines()
        if line.startswith("latency ")
    }
    summary = (
        f"latency p50 {lat.get('p50')} ms, "
        f"p95 {lat.get('p95')} ms, p99 {lat.get('p99')} ms; statuses {statuses} "
        "(404s are the idle requests after the work ran out)"
    )
    errors = [line.strip() for line in out.splitlines() if "errors" in line or "timeout" in line]
    if errors:
        summary += "; wrk: " + " ".join(errors)
    return statuses.get(302, 0), seconds, summary


# Alert fan-out ---------------------------------------------------------------------------------

SINK = r"""
import asyncio, signal, sys, threading
from aiosmtpd.controller import Controller
from email.parser import BytesHeaderParser
count = 0
ids = set()
parser = BytesHeaderParser()
class H:
    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        ids.add(parser.parsebytes(envelope.content)["Message-ID"])
        return "250 OK"
c = Controller(H(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *a: done.set())
while not done.wait(0.5):
    open(sys.argv[2], "w").write(f"{count} {len(ids)}")
c.stop()
open(sys.argv[2], "w").write(f"{count} {len(ids)}")
"""


def bench_fanout(args: argparse.Namespace) -> None:
    prepare(args.recipients)
    _, coordinator = coalition_and_admin()
    Alert.objects.filter(subject__startswith="Bench alert").delete()
    Subscription.objects.filter(email__endswith="@bench.example").delete()
    orgs = list(
        Organization.objects.filter(is_sample=True)
        .order_by("id")
        .values_list("id", flat=True)[: args.recipients]
    )
    t = time.perf_counter()
    subs = Subscription.objects.bulk_create(
        (
            Subscription(organization_id=pk, email=f"s{i}@bench.example")
            for i, pk in enumerate(orgs)
        ),
        batch_size=5000,
    )
    SubscriptionRange.objects.bulk_create(
        (SubscriptionRange(subscription=s, lft=0, rgt=2**31 - 1) for s in subs), batch_size=5000
    )
    say(f"{len(subs):,} subscriptions written in {time.perf_counter() - t:.1f} s")
    port = free_port()
    counts = Path(tempfile.mkdtemp(prefix="actions-sink-")) / "counts"
    sink = subprocess.Popen([PY, "-c", SINK, str(port), str(counts)])  # noqa: S603
    env = dict(os.environ, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port))
    _wait_for(port)
    t0 = time.perf_counter()
    alert = services.alert_send(
        user=coordinator, subject="Bench alert", body="The comment period closes Friday."
    )
    workers = [
        subprocess.Popen(  # noqa: S603
            [
                PY,
                "-m",
                "commonweal.cli",
                "db_worker",
                "--no-startup-delay",
                "--interval",
                "0.2",
                "--worker-id",
                f"bench-{i}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            # Kept beside the sink's counts, to read if a worker stops.
            stderr=(counts.parent / f"worker-{i}.log").open("wb"),
        )
        for i in range(args.workers)
    ]
    say(f"worker logs: {counts.parent}/worker-*.log")
    killed = False
    try:
        while True:
            time.sleep(1)
            alert.refresh_from_db()
            if alert.state == AlertState.DONE:
                break
            if args.kill_after and not killed and time.perf_counter() - t0 > args.kill_after:
                _kill_and_recover(workers[0], alert)
                killed = True
            if time.perf_counter() - t0 > args.limit:
                say("stopped at the time limit")
                break
        seconds = time.perf_counter() - t0
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=60)
        sink.terminate()
        sink.wait(timeout=30)
    received, unique = (int(x) for x in counts.read_text().split())
    sent = Delivery.objects.filter(alert=alert, status=DeliveryStatus.SENT).count()
    other = Delivery.objects.filter(alert=alert).exclude(status=DeliveryStatus.SENT).count()
    uncertain = Delivery.objects.filter(alert=alert, status=DeliveryStatus.UNCERTAIN).count()
    if killed:
        say(
            f"after the kill: {uncertain} rows uncertain (in flight when the worker died); "
            f"received {received:,} = sent rows {sent:,} + uncertain that had left "
            f"{received - sent:,}"
        )
    say(
        f"fan-out on {connection.vendor}: {len(subs):,} recipients, {args.workers} workers, "
        f"{seconds:.0f} s ({len(subs) / seconds:.0f} messages/s); sink received {received:,} "
        f"({unique:,} distinct Message-IDs); rows sent {sent:,}, not sent {other:,}; "
        f"lost {len(subs) - unique:,}, duplicated {received - unique:,}"
    )
    Alert.objects.filter(pk=alert.pk).delete()
    Subscription.objects.filter(email__endswith="@bench.example").delete()


def _kill_and_recover(worker: subprocess.Popen, alert: Alert) -> None:
    """SIGKILL one worker mid-send, let the others finish what they can, then run the tick's
    recovery as if the killed worker's lease had run out."""
    from actions import delivery, tasks

    worker.kill()
    say("killed one worker (SIGKILL)")
    open_rows = Delivery.objects.filter(
        alert=alert, status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRY]
    )
    held = Delivery.objects.filter(
        alert=alert, status__in=[DeliveryStatus.CLAIMED, DeliveryStatus.SENDING]
    )
    last, steady = -1, 0
    while steady < 5:
        time.sleep(1)
        now_held = held.count()
        steady = steady + 1 if now_held == last and not open_rows.exists() else 0
        last = now_held
    by_status = dict(held.values_list("status").annotate(n=Count("id")).order_by())
    say(f"left behind by the killed worker: {by_status}")
    later = timezone.now() + delivery.LEASE + timedelta(minutes=1)
    say(f"recovery as the tick would run it after the lease: {tasks.deliveries_recover(now=later)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("rollup")
    p.add_argument("--commitments", type=int, default=100_000)
    p.add_argument("--requests", type=int, default=100)
    p = sub.add_parser("commit")
    p.add_argument("--requests", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--users", type=int, default=200)
    p.add_argument("--tool", choices=["wrk", "threads"], default="wrk")
    p = sub.add_parser("fanout")
    p.add_argument("--recipients", type=int, default=100_000)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--limit", type=int, default=900, help="give up after this many seconds")
    p.add_argument(
        "--kill-after", type=int, default=0, help="SIGKILL one worker after this many seconds"
    )
    args = parser.parse_args()
    say(f"database: {connection.vendor} {settings.DATABASES['default']['NAME']}")
    {"rollup": bench_rollup, "commit": bench_commit, "fanout": bench_fanout}[args.what](args)


if __name__ == "__main__":
    main()
