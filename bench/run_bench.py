"""Latency of the hub's busiest pages with a million listings, through the real server.

    .venv/bin/python bench/run_bench.py                 # SQLite in var/bench/ (made on first run)
    DATABASE_URL=postgres://… .venv/bin/python bench/run_bench.py
    bench/pg.sh                                         # a throwaway PostgreSQL cluster

It makes sure the world's places and at least --organizations sample listings exist (reusing
what is there), starts `commonweal serve` on a free port of 127.0.0.1, sends --requests
requests of each kind one after another (as one visitor clicking, keep-alive) over varied
inputs drawn from the data, and prints p50/p95 latency per kind plus the gunicorn workers'
peak memory. It prints figures; it does not judge them.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_P95_MS = 100.0
TARGET_RSS_MB = 300.0

# Words people type, each with the issue area it usually goes with.
SEARCHES = [
    ("tenants", "housing"),
    ("tenant union", "housing"),
    ("eviction", "housing"),
    ("mutual aid", "mutual-aid"),
    ("food", "food"),
    ("community fridge", "food"),
    ("climate", "climate"),
    ("clean energy", "climate"),
    ("workers", "labor"),
    ("union", "labor"),
    ("transit", "transportation"),
    ("immigrant", "immigration"),
    ("schools", "education"),
    ("clinic", "health"),
    ("bail", "criminal-justice"),
    ("voters", "democracy"),
    ("solidarity", "housing"),
    ("co-op", "economic-justice"),
]

# Viewports of the map: (label, zoom, west, south, east, north).
CONTINENTS = [
    ("North America", 4, -130.0, 20.0, -60.0, 55.0),
    ("Europe", 4, -12.0, 35.0, 35.0, 62.0),
    ("South Asia", 4, 65.0, 5.0, 95.0, 35.0),
    ("South America", 4, -82.0, -45.0, -34.0, 12.0),
    ("Africa", 3, -20.0, -35.0, 52.0, 37.0),
    ("East Asia", 4, 100.0, 20.0, 145.0, 50.0),
]


@dataclass
class Kind:
    label: str
    urls: list[str]
    times_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def django_setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")
    import django

    django.setup()


def ensure_data(organizations: int, seed: int) -> None:
    from django.core.management import call_command

    from directory.models import Organization
    from places.models import Place

    call_command("migrate", verbosity=0, interactive=False)
    if not Place.objects.filter(kind="locality").exists():
        print("Loading the world's places…", flush=True)
        started = time.perf_counter()
        call_command("places", "load", verbosity=0)
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    have = Organization.objects.filter(is_sample=True).count()
    if have < organizations:
        print(f"Adding {organizations - have:,} sample listings (there are {have:,})…", flush=True)
        started = time.perf_counter()
        call_command("sample", organizations=organizations - have, seed=seed + have, verbosity=2)
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    else:
        print(f"Reusing {have:,} sample listings.", flush=True)


def build_inputs(n: int, rng: random.Random) -> list[Kind]:
    """Varied requests drawn from the data: busy places weigh more, as they do for visitors."""
    from django.db.models import Count

    from directory.models import Organization
    from places.models import Place

    def busiest(kind: str, limit: int) -> list[Place]:
        tree = Place.objects.filter(kind=kind).exclude(lft=0)
        if kind == "locality":
            by_count = (
                Organization.objects.filter(home_place__kind="locality")
                .values("home_place")
                .annotate(n=Count("id"))
                .order_by("-n")[:limit]
            )
            ids = [row["home_place"] for row in by_count]
            return list(tree.filter(pk__in=ids))
        return list(tree.order_by("-population", "lft")[:limit]) or list(tree[:limit])

    countries = busiest("country", 40)
    states = busiest("state", 150)
    cities = busiest("locality", 400)
    regions = list(Place.objects.filter(kind__in=["bioregion", "macroregion"]))
    any_places = [("country", countries), ("state", states), ("city", cities)]

    def a_place() -> Place:
        _, pool = rng.choices(any_places, weights=[2, 4, 4])[0]
        if regions and rng.random() < 0.05:
            return rng.choice(regions)
        return rng.choice(pool)

    search = []
    api = []
    for _ in range(n):
        words, issue = rng.choice(SEARCHES)
        if rng.random() < 0.25:
            issue = rng.choice(SEARCHES)[1]  # a less obvious pairing, often few results
        search.append(
            "/directory/?" + urlencode({"q": words, "place": a_place().slug, "issue": issue})
        )
        params: dict[str, str | int] = {"limit": 25}
        shape = rng.random()
        if shape < 0.4:
            params.update(place=a_place().slug, issue=rng.choice(SEARCHES)[1])
        elif shape < 0.7:
            params.update(q=rng.choice(SEARCHES)[0], place=a_place().slug)
        elif shape < 0.85:
            params.update(place=a_place().slug, kind="union_local", status="active")
        else:
            params.update(issue=rng.choice(SEARCHES)[1], offset=rng.choice([0, 25, 100, 500]))
        api.append("/api/organizations?" + urlencode(params))

    def place_pages(pool: list[Place]) -> list[str]:
        return [f"/places/{rng.choice(pool).slug}/" for _ in range(n)] if pool else []

    def clusters(viewports: list[tuple[int, float, float, float, float]]) -> list[str]:
        urls = []
        for _ in range(n):
            zoom, w, s, e, no = rng.choice(viewports)
            query = {"bbox": f"{w:.4f},{s:.4f},{e:.4f},{no:.4f}", "zoom": zoom}
            if rng.random() < 0.3:
                query["issue"] = rng.choice(SEARCHES)[1]
            urls.append("/map/clusters.json?" + urlencode(query))
        return urls

    world = [(2, -180.0, -85.0, 180.0, 85.0), (1, -180.0, -85.0, 180.0, 85.0)]
    continents = [(z, w, s, e, no) for _, z, w, s, e, no in CONTINENTS]
    city_views = []
    for city in cities[:200]:
        if city.latitude is None or city.longitude is None:
            continue
        zoom = rng.choice([11, 12, 13])
        half = 180.0 / 2**zoom * 2.5  # about a laptop screen's width at that zoom
        city_views.append(
            (
                zoom,
                city.longitude - half,
                city.latitude - half / 2,
                city.longitude + half,
                city.latitude + half / 2,
            )
        )

    return [
        Kind("directory search (text+place+issue)", search),
        Kind("place page: country", place_pages(countries)),
        Kind("place page: state", place_pages(states)),
        Kind("place page: city", place_pages(cities)),
        Kind("map clusters: world", clusters(world)),
        Kind("map clusters: continent", clusters(continents)),
        Kind("map clusters: city", clusters(city_views)),
        Kind("API /api/organizations", api),
    ]


class Client:
    """One keep-alive connection, reopened when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, int]:
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request("GET", path, headers={"Accept": "text/html,application/json"})
                response = self.conn.getresponse()
                body = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response.status, len(body)
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def wait_until_up(port: int, server: subprocess.Popen[bytes], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The server exited with code {server.returncode}; see its log.")
        try:
            Client(port).get("/")
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("The server did not answer within three minutes.")


def worker_pids(master: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            children.append(int(entry.name))
    return sorted(children)


def proc_status(pid: int) -> dict[str, float]:
    """Memory lines of /proc/<pid>/status, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key.startswith(("Vm", "Rss")) and rest.strip().endswith("kB"):
            values[key] = int(rest.split()[0]) / 1024
    return values


class MemoryWatch:
    """Samples the workers' anonymous memory while the benchmark runs.

    VmHWM (the kernel's peak resident set) also counts file pages a process has mapped, such
    as SQLite's memory-mapped database, which the kernel can drop at any time; RssAnon is the
    memory the process itself allocated. The kernel keeps no peak of it, so it is sampled.
    """

    def __init__(self, master: int) -> None:
        self.master = master
        self.peak_anon: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(0.1):
            for pid in worker_pids(self.master):
                try:
                    anon = proc_status(pid).get("RssAnon", 0.0)
                except OSError:
                    continue
                self.peak_anon[pid] = max(self.peak_anon.get(pid, 0.0), anon)

    def report(self) -> dict[int, tuple[float, float, float]]:
        """pid → (VmHWM, current VmRSS, peak sampled RssAnon), in MB."""
        out = {}
        for pid in worker_pids(self.master):
            status = proc_status(pid)
            anon = max(self.peak_anon.get(pid, 0.0), status.get("RssAnon", 0.0))
            out[pid] = (status.get("VmHWM", 0.0), status.get("VmRSS", 0.0), anon)
        return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def describe_database() -> str:
    from django.db import connection

    from directory.models import Organization

    count = Organization.objects.count()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        return f"PostgreSQL {version}, {count:,} organizations"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}, {count:,} organizations"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--organizations",
        type=int,
        default=1_000_000,
        help="Sample listings to have (default 1,000,000).",
    )
    parser.add_argument(
        "--requests", type=int, default=200, help="Measured requests per kind (default 200)."
    )
    parser.add_argument(
        "--warmup", type=int, default=10, help="Unmeasured requests per kind first (default 10)."
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2).")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--keep-log", action="store_true", help="Keep the server's log in var/bench/."
    )
    args = parser.parse_args()

    default_sqlite = ROOT / "var" / "bench" / "commonweal.sqlite3"
    default_sqlite.parent.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{default_sqlite}"
    django_setup(database_url)
    ensure_data(args.organizations, args.seed)
    rng = random.Random(args.seed)
    kinds = [k for k in build_inputs(args.requests + args.warmup, rng) if k.urls]
    warm = [Kind(k.label, k.urls[: args.warmup]) for k in kinds]
    measured = [Kind(k.label, k.urls[args.warmup :]) for k in kinds]
    database = describe_database()
    from django.db import connections

    connections.close_all()

    port = free_port()
    log_path = ROOT / "var" / "bench" / f"server-{port}.log"
    env = dict(os.environ, DATABASE_URL=database_url, LOG_LEVEL="WARNING")
    command = [
        sys.executable,
        "-m",
        "commonweal.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
    ]
    print(f"Starting the server on 127.0.0.1:{port} ({args.workers} workers)…", flush=True)
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(port, server)
        with MemoryWatch(server.pid) as watch:
            started = time.perf_counter()
            # Unmeasured first requests: each worker loads its map index and caches once.
            client = Client(port)
            for kind in warm:
                for path in kind.urls:
                    client.get(path)
            run_measured(measured, port, rng)
            elapsed = time.perf_counter() - started
        memory = watch.report()
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        if not args.keep_log:
            log_path.unlink(missing_ok=True)

    report(measured, memory, database, elapsed)


def run_measured(kinds: list[Kind], port: int, rng: random.Random) -> None:
    client = Client(port)
    # Interleave the kinds, as real traffic does, so no kind runs only on warm caches.
    queue = [(kind, path) for kind in kinds for path in kind.urls]
    rng.shuffle(queue)
    for kind, path in queue:
        started = time.perf_counter()
        status, _ = client.get(path)
        kind.times_ms.append((time.perf_counter() - started) * 1000)
        kind.statuses[status] = kind.statuses.get(status, 0) + 1


def report(
    kinds: list[Kind], memory: dict[int, tuple[float, float, float]], database: str, elapsed: float
) -> None:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    print()
    print(f"{database}; {os.cpu_count()} cores ({cpu}); {time.strftime('%Y-%m-%d %H:%M')}")
    print(
        f"{sum(len(k.times_ms) for k in kinds):,} requests in {elapsed:.0f} s, one client, keep-alive"
    )
    # Other work on the machine slows every figure; the load average says how busy it was.
    print(
        "load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    print()
    header = (
        f"| {'request':<38} | {'n':>5} | {'p50 ms':>7} | {'p95 ms':>7} | {'max ms':>7} | statuses"
    )
    print(header)
    print(
        "|"
        + "-" * 40
        + "|"
        + "-" * 7
        + "|"
        + "-" * 9
        + "|"
        + "-" * 9
        + "|"
        + "-" * 9
        + "|----------"
    )
    for kind in kinds:
        t = kind.times_ms
        statuses = ", ".join(f"{code}×{count}" for code, count in sorted(kind.statuses.items()))
        p95 = percentile(t, 0.95)
        flag = " *" if p95 > TARGET_P95_MS else ""
        print(
            f"| {kind.label:<38} | {len(t):>5} | {percentile(t, 0.5):>7.1f} | {p95:>7.1f} | "
            f"{max(t) if t else float('nan'):>7.1f} | {statuses}{flag}"
        )
    print()
    for pid, (peak, now, anon) in sorted(memory.items()):
        flag = " *" if peak > TARGET_RSS_MB else ""
        print(
            f"gunicorn worker {pid}: peak RSS {peak:.0f} MB (VmHWM; now {now:.0f} MB), "
            f"of which its own memory at most {anon:.0f} MB (RssAnon){flag}"
        )
    print(
        f"(* above the target of p95 ≤ {TARGET_P95_MS:.0f} ms or worker < {TARGET_RSS_MB:.0f} MB)"
    )


if __name__ == "__main__":
    main()
