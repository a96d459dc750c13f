"""Plans and accountability at size: an assembly with 10,000 decisions (8,000 closed rounds on
adopted proposals, 2,000 decisions recorded in meetings), 5,000 of them with plans, 3,000 city
plans counting towards them; one plan with 500 tasks and 5,000 history lines.

Prints p50/p95 (wall and CPU, ms) and the query count of: the accountability page (first page
and one 7,000 decisions deep), the 500-task plan's page (first and last page of tasks), a task
page with its history, and the roll-up by level a plank page asks for over 1,000 adoptions.

    /work/main/.venv/bin/python bench/plans/measure.py [--requests 100]
    bench/pg.sh -- /work/main/.venv/bin/python bench/plans/measure.py

Without DATABASE_URL it builds a fresh SQLite database in a temporary directory. Requests go
through Django's request handler (the test client), without network. Prints figures; never
passes or fails.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
if "DATABASE_URL" not in os.environ and "COMMONWEAL_VAR_DIR" not in os.environ:
    os.environ["COMMONWEAL_VAR_DIR"] = tempfile.mkdtemp(prefix="plans-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from assemblies.models import (  # noqa: E402
    AgendaItem,
    Assembly,
    Meeting,
    Proposal,
    ProposalStatus,
    Question,
    QuestionState,
)
from coalitions.models import CoalitionProfile, Membership, MembershipStatus  # noqa: E402
from directory.models import Organization, OrganizationAdmin, OrganizationKind  # noqa: E402
from plans import selectors  # noqa: E402
from plans.models import Plan, Task, TaskStatus, TaskUpdate  # noqa: E402

T0 = datetime(2024, 1, 1, tzinfo=UTC)
STATUSES = [TaskStatus.OPEN, TaskStatus.DOING, TaskStatus.DONE, TaskStatus.BLOCKED]


def say(text: str) -> None:
    print(text, flush=True)


def coalition(slug: str, level: str, chair: User) -> tuple[Organization, Assembly]:
    org = Organization.objects.create(name=slug.title(), slug=slug, kind=OrganizationKind.COALITION)
    CoalitionProfile.objects.create(organization=org, level=level)
    OrganizationAdmin.objects.create(organization=org, user=chair)
    return org, Assembly.objects.create(organization=org, created_by=chair)


def decisions(assembly: Assembly, rounds: int, rooms: int) -> list[int]:
    proposals = Proposal.objects.bulk_create(
        (
            Proposal(
                assembly=assembly, title=f"Decision {i}", body="…", status=ProposalStatus.ADOPTED
            )
            for i in range(rounds)
        ),
        batch_size=2000,
    )
    Question.objects.bulk_create(
        (
            Question(
                assembly=assembly,
                proposal=p,
                title=f"Adopt decision {i}",
                method="majority",
                state=QuestionState.CLOSED,
                result={"passed": True, "yes": 12, "no": 3},
                closes_at=T0 + timedelta(hours=i),
            )
            for i, p in enumerate(proposals)
        ),
        batch_size=2000,
    )
    meetings = Meeting.objects.bulk_create(
        Meeting(assembly=assembly, title=f"Meeting {m}", starts_at=T0 + timedelta(hours=7 * m + 3))
        for m in range(rooms // 20)
    )
    AgendaItem.objects.bulk_create(
        (
            AgendaItem(meeting=m, position=j, title=f"Item {j}", decision="Agreed in the room.")
            for m in meetings
            for j in range(20)
        ),
        batch_size=2000,
    )
    return [p.pk for p in proposals]


def build() -> dict[str, Any]:
    rng = random.Random(13)
    t0 = time.perf_counter()
    chair = User.objects.create_user("chair@example.org", "x")  # noqa: S106 - throwaway bench account
    state, state_assembly = coalition("bench-state", "state", chair)
    city, city_assembly = coalition("bench-city", "city", chair)
    Membership.objects.create(coalition=state, member=city, status=MembershipStatus.ACTIVE)
    groups = Organization.objects.bulk_create(
        Organization(name=f"Group {i}", slug=f"bench-group-{i}") for i in range(50)
    )
    Membership.objects.bulk_create(
        Membership(coalition=state, member=g, status=MembershipStatus.ACTIVE) for g in groups
    )
    state_ids = decisions(state_assembly, 8000, 2000)
    city_ids = decisions(city_assembly, 3000, 0)

    def plan(proposal_id: int, assembly: Assembly, parent: int | None = None) -> Plan:
        weight = rng.randint(1, 40)
        return Plan(
            proposal_id=proposal_id,
            assembly=assembly,
            title=f"Plan {proposal_id}",
            owner=chair,
            task_count=weight // 2,
            weight_total=weight,
            weighted_progress=weight * rng.randint(0, 100),
            contributes_to_id=parent,
        )

    state_plans = Plan.objects.bulk_create(
        (plan(pk, state_assembly) for pk in state_ids[-5000:]), batch_size=2000
    )
    Plan.objects.bulk_create(
        (plan(pk, city_assembly, state_plans[i].pk) for i, pk in enumerate(city_ids)),
        batch_size=2000,
    )
    big = state_plans[-1]
    tasks = Task.objects.bulk_create(
        Task(
            plan=big,
            title=f"Task {i}",
            owner_group=groups[i % len(groups)],
            acceptance="accepted",
            due_on=(T0 + timedelta(days=i)).date(),
            status=STATUSES[i % 4],
            progress=100 if STATUSES[i % 4] == TaskStatus.DONE else rng.randint(0, 90),
            weight=rng.randint(1, 5),
        )
        for i in range(500)
    )
    TaskUpdate.objects.bulk_create(
        (
            TaskUpdate(task=t, author=chair, group=t.owner_group, status=t.status, note=f"Step {j}")
            for t in tasks
            for j in range(10)
        ),
        batch_size=5000,
    )
    Plan.objects.filter(pk=big.pk).update(
        task_count=500,
        weight_total=sum(t.weight for t in tasks),
        weighted_progress=sum(t.weight * t.progress for t in tasks),
    )
    say(f"built in {time.perf_counter() - t0:.1f} s")
    return {
        "state": state,
        "big": big,
        "task": tasks[0],
        "adoptions": state_ids[-700:] + city_ids[:300],
    }


def reuse() -> dict[str, Any]:
    """The data a previous run left (COMMONWEAL_VAR_DIR or DATABASE_URL kept)."""
    state = Organization.objects.get(slug="bench-state")
    big = Plan.objects.filter(task_count=500).get()
    adoptions = list(
        Proposal.objects.filter(assembly__organization__slug="bench-state")
        .order_by("-pk")
        .values_list("pk", flat=True)[:700]
    ) + list(
        Proposal.objects.filter(assembly__organization__slug="bench-city")
        .order_by("pk")
        .values_list("pk", flat=True)[:300]
    )
    return {
        "state": state,
        "big": big,
        "task": big.tasks.order_by("id").first(),
        "adoptions": adoptions,
    }


def measure(client: Client, url: str, requests: int) -> tuple[list[float], list[float], int]:
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    queries: list[tuple[float, str]] = []

    def timed(execute: Any, sql: str, *rest: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, *rest)
        finally:
            queries.append(((time.perf_counter() - t0) * 1000, sql))

    with connection.execute_wrapper(timed):
        client.get(url)
    if SHOW_QUERIES:
        say(f"  {url}: {sum(ms for ms, _ in queries):.1f} ms in the database; slowest:")
        for ms, sql in sorted(queries, reverse=True)[:2]:
            say(f"    {ms:.1f} ms  {sql[:400]}")
    walls, cpus = [], []
    for _ in range(requests):
        w0, c0 = time.perf_counter(), time.process_time()
        response = client.get(url)
        walls.append((time.perf_counter() - w0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
        assert response.status_code == 200
    return walls, cpus, len(queries)


SHOW_QUERIES = "--queries" in sys.argv


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(name: str, walls: list[float], cpus: list[float], queries: int | str) -> None:
    say(
        f"{name:<44} wall p50 {pct(walls, 0.5):6.1f} p95 {pct(walls, 0.95):6.1f} ms"
        f"   cpu p50 {pct(cpus, 0.5):6.1f} p95 {pct(cpus, 0.95):6.1f} ms   {queries} queries"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--queries", action="store_true", help="print each page's slowest queries")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    say(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    data = reuse() if Organization.objects.filter(slug="bench-state").exists() else build()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    client = Client()
    slug = data["state"].slug
    deep = Question.objects.filter(assembly__organization=data["state"]).order_by(
        "-closes_at", "-pk"
    )
    deep_q = deep[7000]
    deep_key = f"{deep_q.closes_at.isoformat()}|question|{deep_q.pk}"
    last_tasks = (
        Task.objects.filter(plan=data["big"]).order_by("id").values_list("id", flat=True)[449]
    )
    pages = [
        ("accountability, first page", f"/plans/accountability/{slug}/"),
        (
            "accountability, ~7,000 decisions deep",
            f"/plans/accountability/{slug}/?after={deep_key}",
        ),
        ("plan with 500 tasks, first 50", f"/plans/{data['big'].pk}/"),
        ("plan with 500 tasks, last 50", f"/plans/{data['big'].pk}/?after={last_tasks}"),
        ("task page with its history", f"/plans/tasks/{data['task'].pk}/"),
    ]
    for name, url in pages:
        report(name, *measure(client, url, args.requests))
    walls, cpus = [], []
    for _ in range(max(10, args.requests // 5)):
        w0, c0 = time.perf_counter(), time.process_time()
        rows = selectors.progress_by_level(data["adoptions"])
        walls.append((time.perf_counter() - w0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    report("progress_by_level over 1,000 adoptions", walls, cpus, "-")
    say(
        "  " + ", ".join(f"{r.level}: {r.decisions} decisions, {r.percent or 0:.0f}%" for r in rows)
    )


if __name__ == "__main__":
    main()
