"""p50/p95 of the Connect pages and suggestions in the million-listing world, and peak memory.

    /work/main/.venv/bin/python bench/connect/measure.py [--requests 60]
    bench/pg.sh -- .venv/bin/python bench/connect/measure.py       # BENCH_PGDATA=… keeps it

Reads the database `world.py` built (building it first if it is not there). Pages go through
Django's request handler (the test client), as bench/coalitions/bench_page.py does: the view,
its queries and its template, without network. Suggestions are the `connections` app's
selectors called directly. For each: wall-clock and CPU milliseconds per request (this
process; on PostgreSQL also the database backend's CPU), and at the end this process's peak
resident memory, which is what one web process would need. Kinds whose app has not landed
yet are listed as missing. Prints figures; never passes or fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import world  # noqa: E402

TARGET_PAGE_MS = 100.0
TARGET_SUGGESTIONS_MS = 300.0
TARGET_RSS_MB = 300.0


@dataclass
class Row:
    label: str
    target_ms: float
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    db_cpu: list[float] = field(default_factory=list)
    note: str = ""


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def memory_mb() -> dict[str, float]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS", "RssAnon"):
            out[key] = int(rest.split()[0]) / 1024
    return out


class BackendClock:
    """CPU time of this connection's PostgreSQL backend (it runs on this machine), from the
    scheduler's nanosecond count (/proc/<pid>/schedstat) rather than 10 ms clock ticks."""

    def __init__(self) -> None:
        from django.db import connection

        self.path: Path | None = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.path = Path(f"/proc/{cursor.fetchone()[0]}/schedstat")

    def read(self) -> float | None:
        if self.path is None:
            return None
        try:
            return int(self.path.read_text().split()[0]) / 1e9
        except OSError:
            return None


def measure(
    row: Row,
    calls: list[Callable[[], Any]],
    warmup: int,
    before: Callable[[], Any] | None = None,
) -> Row:
    """Time each call; `before` (a change the view must then show) runs first, untimed."""
    clock = BackendClock()
    for call in calls[:warmup]:
        if before is not None:
            before()
        call()
    for call in calls[warmup:]:
        if before is not None:
            before()
        db0 = clock.read()
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        row.wall.append((time.perf_counter() - start) * 1000)
        row.cpu.append((time.process_time() - start_cpu) * 1000)
        db1 = clock.read()
        if db0 is not None and db1 is not None:
            row.db_cpu.append((db1 - db0) * 1000)
    return row


def page_calls(client: Any, urls: list[str]) -> list[Callable[[], Any]]:
    def call_for(url: str) -> Callable[[], Any]:
        def call() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return call

    return [call_for(u) for u in urls]


def show_queries(client: Any, url: str, *, explain: bool = True, cold: bool = False) -> None:
    """Each query of one view of `url` with its time, slowest first."""
    from django.db import connection

    spent: list[tuple[float, str, Any]] = []

    def clock(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.append(((time.perf_counter() - start) * 1000, sql, params))

    client.get(url)
    if cold:
        from coalitions import remembered

        remembered._remembered.clear()
    with connection.execute_wrapper(clock):
        start = time.perf_counter()
        client.get(url)
        total = (time.perf_counter() - start) * 1000
    print(url)
    for ms, sql, params in sorted(spent, key=lambda r: -r[0])[:10]:
        print(f"  {ms:7.1f} ms  {sql[:300]}")
        if ms > 10 and explain:
            print("    " + "\n    ".join(plan(sql, params)))
    in_db = sum(r[0] for r in spent)
    print(f"  {len(spent)} queries, {in_db:.1f} of {total:.1f} ms in the database")


def plan(sql: str, params: Any) -> list[str]:
    """The database's plan of one query (PostgreSQL: as run, with timings)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            return [row[0] for row in cursor.fetchall()]
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [row[-1] for row in cursor.fetchall()]


def biggest_coalition() -> tuple[str, int]:
    from django.db.models import Count

    from coalitions.models import Membership
    from directory.models import Organization

    top = (
        Membership.objects.active()
        .values("coalition")
        .annotate(k=Count("id"))
        .order_by("-k")
        .values_list("coalition", "k")[:1]
    )
    pk, size = top[0]
    return Organization.objects.get(pk=pk).slug, size


def coalition_rows(client: Any, n: int, warmup: int) -> list[Row]:
    slug, size = biggest_coalition()
    last = min(200, (size + 49) // 50)
    base = f"/coalitions/{slug}/"
    note = f"{size:,} members"

    def forgetting(url: str) -> Callable[[], Any]:
        # Nothing remembered: a web process's first view of the coalition, a full recount.
        def call() -> None:
            from coalitions import remembered

            remembered.forget()
            assert client.get(url).status_code == 200

        return call

    def after_change_elsewhere(url: str) -> Callable[[], Any]:
        # A listing outside the coalition changes (the directory version moves), then the page.
        from django.utils import timezone

        from directory.models import Organization
        from directory.services import directory_touch

        outside = (
            Organization.objects.exclude(coalition_links__coalition__slug=slug)
            .order_by("pk")
            .values_list("pk", flat=True)[:1]
            .get()
        )

        def call() -> None:
            Organization.objects.filter(pk=outside).update(updated_at=timezone.now())
            directory_touch()
            assert client.get(url).status_code == 200

        return call

    changes = Changes(slug)
    view = page_calls(client, [base] * (n + warmup))
    rows = [
        measure(Row("coalition page, first view after a member's listing changed",
                    TARGET_PAGE_MS, note=note), view, warmup, before=changes.member_issues),
        measure(Row("coalition page, first view after a group joined or left", TARGET_PAGE_MS,
                    note=note), view, warmup, before=changes.join_or_leave),
        measure(Row("coalition page, after a change elsewhere", TARGET_PAGE_MS, note=note),
                [after_change_elsewhere(base)] * (n + warmup), warmup),
        measure(Row("coalition page, first view in a fresh process (a full recount)",
                    TARGET_PAGE_MS, note=note), [forgetting(base)] * (n + warmup), warmup),
        measure(Row("coalition page, first page", TARGET_PAGE_MS, note=note),
                page_calls(client, [base] * (n + warmup)), warmup),
        measure(Row(f"coalition page, page {last}", TARGET_PAGE_MS, note=note),
                page_calls(client, [f"{base}?page={last}"] * (n + warmup)), warmup),
        measure(Row("coalition members' map (JSON)", TARGET_PAGE_MS, note=note),
                page_calls(client, [f"{base}members.json"] * (n + warmup)), warmup),
    ]  # fmt: skip
    changes.undo()
    return rows


class Changes:
    """Changes to the biggest coalition, through the services a person's edit goes through:
    one member's issue areas switch back and forth; a group outside joins and leaves."""

    def __init__(self, slug: str) -> None:
        from coalitions.models import Membership
        from directory.models import IssueArea, Organization

        self.coalition = Organization.objects.get(slug=slug)
        link = Membership.objects.filter(coalition=self.coalition, status="active")
        self.member = link.exclude(member__kind="coalition").order_by("member_id").first().member
        self.areas = list(self.member.issue_areas.all())
        self.choices = [list(IssueArea.objects.order_by("pk")[:2]), self.areas]
        self.group = (
            Organization.objects.exclude(kind="coalition")
            .exclude(coalition_links__coalition=self.coalition)
            .order_by("-pk")
            .first()
        )
        self.user = bench_admin([self.coalition, self.group])
        self.turn = 0

    def member_issues(self) -> None:
        from directory.services import organization_set_issue_areas

        self.turn += 1
        organization_set_issue_areas(
            user=None, organization=self.member, issue_areas=self.choices[self.turn % 2]
        )

    def join_or_leave(self) -> None:
        from coalitions.models import Membership
        from coalitions.services import membership_leave, membership_request

        link = Membership.objects.filter(coalition=self.coalition, member=self.group).first()
        if link is not None and link.status == "active":
            membership_leave(user=self.user, membership=link)
        else:
            membership_request(user=self.user, coalition=self.coalition, member=self.group)

    def undo(self) -> None:
        """Leave the world as it was built."""
        from coalitions.models import Membership
        from directory.services import organization_set_issue_areas

        organization_set_issue_areas(user=None, organization=self.member, issue_areas=self.areas)
        link = Membership.objects.filter(coalition=self.coalition, member=self.group).first()
        if link is not None and link.status == "active":
            from coalitions.services import membership_leave

            membership_leave(user=self.user, membership=link)


def busiest_places(kind: str, limit: int) -> list[Any]:
    """The places of one kind holding the most listings (a visitor's likely choices)."""
    from django.db.models import Count

    from directory.models import Organization
    from places.models import Place

    if kind == "locality":
        ids = (
            Organization.objects.filter(home_place__kind="locality")
            .values("home_place")
            .annotate(n=Count("id"))
            .order_by("-n")
            .values_list("home_place", flat=True)[:limit]
        )
        return list(Place.objects.filter(pk__in=list(ids)))
    return list(Place.objects.filter(kind=kind).order_by("-population", "lft")[:limit])


def overview_rows(client: Any, n: int, warmup: int, rng: random.Random) -> list[Row]:
    """The bird's-eye page from its counted figures; the count itself runs first, as the
    worker would, in a process of its own (its time and memory are not the web process's)."""
    from django.apps import apps

    from places.models import Place

    # Looked up by name: the app may not be in every checkout this runs from.
    app = "overview"
    builds = apps.get_model(app, "OverviewBuild")._default_manager

    rows: list[Row] = []
    if not builds.exclude(finished_at=None).exists():
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, str(world.ROOT / "manage.py"), "overview", "rebuild"],
            check=True,
            cwd=world.ROOT,
        )
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"overview rebuild (worker): {time.perf_counter() - started:.0f} s, "
            f"peak RSS {peak:.0f} MB",
            flush=True,
        )
    world_place = Place.objects.get(kind="world")
    pools = [
        ("world", [world_place]),
        ("a country", busiest_places("country", 10)),
        ("a state", busiest_places("state", 30)),
        ("a city", busiest_places("locality", 60)),
    ]
    for label, pool in pools:
        urls = []
        for _ in range(n + warmup):
            place = rng.choice(pool)
            # A third of the views look at one issue, as "where is no one on housing?" does.
            query = "?issue=housing" if rng.random() < 0.33 else ""
            urls.append(f"/overview/{place.slug}/{query}")
        note = f"{len(pool)} places" if len(pool) > 1 else "one place"
        rows.append(
            measure(
                Row(f"bird's-eye page, {label}", TARGET_PAGE_MS, note=note),
                page_calls(client, urls),
                warmup,
            )
        )
    return rows


def bench_admin(groups: list[Any]) -> Any:
    """A person who administers the given groups and coalitions (suggestions are theirs)."""
    from accounts.models import User
    from directory.models import OrganizationAdmin

    user, _ = User.objects.get_or_create(
        email="bench-weaver@example.org", defaults={"display_name": "Bench weaver"}
    )
    for org in groups:
        OrganizationAdmin.objects.get_or_create(user=user, organization=org)
    return user


def suggestion_rows(n: int, warmup: int, rng: random.Random) -> list[Row]:
    """`suggestions_for_group` for groups in the busiest towns and elsewhere, and
    `suggestions_for_coalition` for the big alliances, state networks and city coalitions."""
    import importlib

    from coalitions.models import CoalitionProfile
    from directory.models import Organization

    # Imported by name: the app may not be in every checkout this runs from.
    connect = importlib.import_module("connections.selectors")
    towns = busiest_places("locality", 30)
    crowded = list(
        Organization.objects.filter(home_place__in=towns)
        .exclude(kind="coalition")
        .order_by("?")[:20]
    )
    anywhere = list(
        Organization.objects.exclude(kind="coalition").filter(pk__in=[
            rng.randrange(1, 1_000_000) for _ in range(40)
        ])[:20]
    )  # fmt: skip
    slug, _ = biggest_coalition()
    big = list(Organization.objects.filter(slug=slug))
    coalitions = big + [
        p.organization
        for level in ("nation", "state", "city")
        for p in CoalitionProfile.objects.filter(level=level).select_related("organization")[:6]
    ]
    user = bench_admin(crowded + anywhere + coalitions)

    def for_group(org: Any) -> Callable[[], Any]:
        return lambda: connect.suggestions_for_group(user, org)

    def for_coalition(org: Any) -> Callable[[], Any]:
        return lambda: connect.suggestions_for_coalition(user, org)

    group_calls = [for_group(rng.choice(crowded + anywhere)) for _ in range(n + warmup)]
    coalition_calls = [for_coalition(rng.choice(coalitions)) for _ in range(n + warmup)]
    big_calls = [for_coalition(big[0])] * (n + warmup)
    return [
        measure(Row("suggestions for a group", TARGET_SUGGESTIONS_MS,
                    note="busy towns and anywhere"), group_calls, warmup),
        measure(Row("suggestions for a coalition", TARGET_SUGGESTIONS_MS,
                    note="nation, state, city"), coalition_calls, warmup),
        measure(Row("suggestions for the biggest coalition", TARGET_SUGGESTIONS_MS,
                    note="5,030 members"), big_calls, warmup),
    ]  # fmt: skip


def report(rows: list[Row], missing: list[str], started: float) -> str:
    from django.db import connection

    cpu = platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = memory_mb()
    lines = [
        f"{world.describe()}",
        f"{os.cpu_count()} cores ({cpu}), shared with other work; "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}; {time.perf_counter() - started:.0f} s",
        "load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "",
        "| what | n | wall p50 | wall p95 | cpu p50 | cpu p95 | db cpu p95 | target | |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        # On a shared machine wall time mostly measures waiting for a core; the CPU spent by
        # this process and the database backend says whether an idle core would meet it.
        spent = (
            p95([c + d for c, d in zip(r.cpu, r.db_cpu, strict=True)]) if r.db_cpu else p95(r.cpu)
        )
        wall = "ok" if p95(r.wall) <= r.target_ms else "**over**"
        cpu = "ok" if spent <= r.target_ms else "**over**"
        over = f"wall {wall}, cpu {cpu}"
        db = f"{p95(r.db_cpu):.1f}" if r.db_cpu else "–"
        lines.append(
            f"| {r.label} ({r.note}) | {len(r.wall)} | {statistics.median(r.wall):.1f} | "
            f"{p95(r.wall):.1f} | {statistics.median(r.cpu):.1f} | {p95(r.cpu):.1f} | {db} | "
            f"{r.target_ms:.0f} | {over} |"
        )
    for label in missing:
        lines.append(f"| {label} | – | not in this branch yet | | | | | | |")
    over = "**over**" if mem["VmHWM"] > TARGET_RSS_MB else "ok"
    lines += [
        "",
        f"Web process ({connection.vendor}): peak RSS {mem['VmHWM']:.0f} MB (VmHWM), now "
        f"{mem['VmRSS']:.0f} MB, of which its own memory {mem['RssAnon']:.0f} MB "
        f"(target < {TARGET_RSS_MB:.0f} MB: {over}). Times in ms.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=60, help="measured calls per kind")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--queries", default="", help="print the queries of one view of this URL")
    parser.add_argument("--cold", action="store_true", help="--queries as after a change")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--only", default="", help="comma-separated: coalition,overview,suggest")
    args = parser.parse_args()
    world.setup()
    from django.apps import apps
    from django.core.management import call_command
    from django.test import Client

    from directory.models import Organization

    # Apps that landed since the world was built bring their tables.
    call_command("migrate", verbosity=0, interactive=False)
    if not Organization.objects.filter(slug__startswith=world.NATION).exists():
        raise SystemExit("No world built here yet: run bench/connect/world.py first.")
    # Pages name their stylesheets through the hashed-file manifest, as in production.
    call_command("collectstatic", interactive=False, verbosity=0)
    started = time.perf_counter()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    only = set(filter(None, args.only.split(",")))
    client = Client()
    if args.queries:
        slug, _ = biggest_coalition()
        show_queries(client, args.queries.replace("BIGGEST", slug), cold=args.cold)
        return
    rows: list[Row] = []
    missing: list[str] = []
    rng = random.Random(args.seed)
    if not only or "coalition" in only:
        rows += coalition_rows(client, args.requests, args.warmup)
    if not only or "overview" in only:
        if apps.is_installed("overview"):
            rows += overview_rows(client, args.requests, args.warmup, rng)
        else:
            missing.append("bird's-eye page (overview app)")
    if not only or "suggest" in only:
        if apps.is_installed("connections"):
            rows += suggestion_rows(args.requests, args.warmup, rng)
        else:
            missing.append("suggestions (connections app)")
    print(report(rows, missing, started))


if __name__ == "__main__":
    main()
