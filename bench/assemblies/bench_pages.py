"""An assembly with 10,000 proposals, 200,000 arguments and 1,000 member groups: p50/p95 of the
proposal list (first and a deep page), a proposal page with 2,000 arguments (first page and a
later one), and a results page (20,000 people and 1,000 groups voting, open and closed); then
opening a round to 100,000 members (notices and mail rows written, sending queued).

    /work/main/.venv/bin/python bench/assemblies/bench_pages.py [--requests 100] [--members 100000]
    bench/pg.sh -- /work/main/.venv/bin/python bench/assemblies/bench_pages.py

Without DATABASE_URL it builds a fresh SQLite database in a temporary directory. Requests go
through Django's request handler (the test client): the view, its queries and the template,
without network. Prints figures; never passes or fails.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
if "DATABASE_URL" not in os.environ and "COMMONWEAL_VAR_DIR" not in os.environ:
    os.environ["COMMONWEAL_VAR_DIR"] = tempfile.mkdtemp(prefix="assembly-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from actions.models import Delivery  # noqa: E402
from assemblies import notify, services  # noqa: E402
from assemblies.models import (  # noqa: E402
    Argument,
    Assembly,
    AssemblyPerson,
    Ballot,
    BallotSource,
    Method,
    Proposal,
    Question,
    QuestionState,
)
from coalitions.models import Membership, MembershipStatus, Notice  # noqa: E402
from directory.models import Organization, OrganizationAdmin, OrganizationKind  # noqa: E402


def say(text: str) -> None:
    print(text, flush=True)


def build(members: int) -> dict[str, object]:
    rng = random.Random(13)
    t0 = time.perf_counter()
    chair = User.objects.create_user(  # noqa: S106 - a throwaway bench account
        "chair@example.org", "x", email_verified_at=timezone.now()
    )
    coalition = Organization.objects.create(
        name="Bench Coalition", slug="bench-coalition", kind=OrganizationKind.COALITION
    )
    OrganizationAdmin.objects.create(organization=coalition, user=chair)
    groups = Organization.objects.bulk_create(
        Organization(name=f"Group {i}", slug=f"group-{i}") for i in range(1000)
    )
    Membership.objects.bulk_create(
        Membership(coalition=coalition, member=g, status=MembershipStatus.ACTIVE) for g in groups
    )
    people = User.objects.bulk_create(
        (User(email=f"p{i}@example.org", password="!") for i in range(members)),  # noqa: S106 - unusable
        batch_size=5000,
    )
    OrganizationAdmin.objects.bulk_create(
        OrganizationAdmin(organization=g, user=people[i]) for i, g in enumerate(groups)
    )
    assembly = services.assembly_open(user=chair, organization=coalition)
    AssemblyPerson.objects.bulk_create(
        (
            AssemblyPerson(assembly=assembly, user=p, group=groups[i % 1000])
            for i, p in enumerate(people[1000:])
        ),
        batch_size=5000,
    )
    with transaction.atomic():
        proposals = Proposal.objects.bulk_create(
            (
                Proposal(
                    assembly=assembly,
                    title=f"Proposal {i}: {rng.choice(['housing', 'transit', 'food', 'climate'])}",
                    body="Text " * 40,
                    author=people[i % len(people)],
                    support_count=rng.randint(0, 50),
                    argument_count=0,
                )
                for i in range(10_000)
            ),
            batch_size=2000,
        )
    Assembly.objects.filter(pk=assembly.pk).update(
        proposal_count=10_000, person_count=len(people) - 1000
    )
    big = proposals[5000]
    stances = ["for", "against", "question"]
    rows: list[Argument] = []
    for i in range(200_000):
        proposal = big if i < 2000 else proposals[i % 10_000]
        rows.append(
            Argument(
                proposal=proposal,
                author=people[i % len(people)],
                stance=stances[i % 3],
                text=f"Argument {i}: " + "because " * 10,
                endorsement_count=rng.randint(0, 200),
            )
        )
    with transaction.atomic():
        made = Argument.objects.bulk_create(rows, batch_size=5000)
    # A reply to every tenth top-level argument of the big proposal.
    replies = [
        Argument(proposal=big, parent=made[i], author=people[i], stance="question", text="Why?")
        for i in range(0, 2000, 10)
    ]
    Argument.objects.bulk_create(replies)
    for p in proposals:
        p.argument_count = 20
    Proposal.objects.filter(pk=big.pk).update(argument_count=2200)
    say(
        f"built: 1,000 groups, {members:,} people, 10,000 proposals, 200,200 arguments in {time.perf_counter() - t0:.1f} s"
    )
    return {"chair": chair, "assembly": assembly, "big": big, "groups": groups, "people": people}


def reuse() -> dict[str, object]:
    """The data a previous run built (COMMONWEAL_VAR_DIR or DATABASE_URL pointing at it)."""
    assembly = Assembly.objects.select_related("organization").get(
        organization__slug="bench-coalition"
    )
    big = Proposal.objects.get(assembly=assembly, argument_count=2200)
    return {
        "chair": User.objects.get(email="chair@example.org"),
        "assembly": assembly,
        "big": big,
        "groups": list(Organization.objects.filter(slug__startswith="group-").order_by("pk")),
        "people": list(User.objects.filter(email__startswith="p").order_by("pk")),
    }


def results_question(data: dict, *, voters: int, closed: bool) -> Question:
    question = services.question_create(
        user=data["chair"],
        assembly=data["assembly"],
        title="Bench question",
        method=Method.MAJORITY,
        double_majority=True,
        hide_results=False,
    )
    Question.objects.filter(pk=question.pk).update(state=QuestionState.OPEN)
    rng = random.Random(7)
    positions = ["yes", "no", "abstain"]
    Ballot.objects.bulk_create(
        (
            Ballot(
                question=question,
                voter_key=f"u{p.pk}",
                voter=p,
                source=BallotSource.ONLINE,
                content={"position": rng.choice(positions)},
            )
            for p in data["people"][1000 : 1000 + voters]
        ),
        batch_size=5000,
    )
    Ballot.objects.bulk_create(
        Ballot(
            question=question,
            voter_key=f"g{g.pk}",
            organization=g,
            source=BallotSource.GROUP,
            content={"position": rng.choice(positions)},
        )
        for g in data["groups"]
    )
    question.refresh_from_db()
    if closed:
        services.question_close(user=data["chair"], question=question)
    return question


def measure(client: Client, url: str, requests: int) -> tuple[list[float], list[float], int]:
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    walls, cpus = [], []
    queries: list[tuple[float, str]] = []

    def count(execute: Any, sql: str, *rest: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, *rest)
        finally:
            queries.append(((time.perf_counter() - t0) * 1000, sql))

    with connection.execute_wrapper(count):
        client.get(url)
    if SHOW_QUERIES:
        total = sum(ms for ms, _sql in queries)
        say(f"  {url}: {len(queries)} queries, {total:.1f} ms in the database; slowest:")
        for ms, sql in sorted(queries, reverse=True)[:3]:
            say(f"    {ms:.1f} ms  {sql[:300]}")
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--voters", type=int, default=20_000)
    parser.add_argument("--no-fanout", action="store_true")
    parser.add_argument("--queries", action="store_true", help="print each page's slowest queries")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    say(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    built = Assembly.objects.filter(organization__slug="bench-coalition").exists()
    data = reuse() if built else build(args.members)
    if connection.vendor == "postgresql":
        # As autovacuum would soon after a bulk load: the planner needs the tables' statistics.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    big: Proposal = data["big"]  # type: ignore[assignment]
    slug = data["assembly"].organization.slug  # type: ignore[attr-defined]
    deep = (
        Proposal.objects.filter(assembly=data["assembly"])
        .order_by("-id")
        .values_list("id", flat=True)[9000]
    )
    second = (
        Argument.objects.filter(proposal=big, parent__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[999]
    )
    open_q = results_question(data, voters=args.voters, closed=False)
    closed_q = results_question(data, voters=args.voters, closed=True)
    client = Client()
    client.force_login(data["people"][5])  # type: ignore[index]
    pages = [
        ("proposal list, first page", f"/assemblies/{slug}/"),
        ("proposal list, page after 9,000", f"/assemblies/{slug}/?after={deep}"),
        ("proposal page, 2,200 arguments", f"/assemblies/proposals/{big.pk}/"),
        ("proposal page, arguments after 1,000", f"/assemblies/proposals/{big.pk}/?after={second}"),
        (
            f"results, open round ({args.voters:,} + 1,000 groups, counted live)",
            f"/assemblies/questions/{open_q.pk}/",
        ),
        ("results, closed round (stored tally)", f"/assemblies/questions/{closed_q.pk}/"),
    ]
    say("| request | wall p50 | wall p95 | cpu p50 | cpu p95 | queries |")
    say("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, url in pages:
        walls, cpus, n = measure(client, url, args.requests)
        say(
            f"| {label} | {statistics.median(walls):.1f} ms | {pct(walls, 0.95):.1f} ms | "
            f"{statistics.median(cpus):.1f} ms | {pct(cpus, 0.95):.1f} ms | {n} |"
        )
    if args.no_fanout:
        return
    # Opening a round to every member: the announcement's fan-out as the worker runs it.
    question = services.question_create(
        user=data["chair"], assembly=data["assembly"], title="Fan-out", method=Method.CONSENT
    )
    services.question_open(user=data["chair"], question=question)
    from assemblies.models import Announcement

    announcement = Announcement.objects.order_by("-id").first()
    assert announcement is not None
    t0 = time.perf_counter()
    total = notify.fan_out(announcement.pk)
    took = time.perf_counter() - t0
    again = notify.fan_out(announcement.pk)
    announcement.refresh_from_db()
    notices = Notice.objects.filter(text=announcement.subject).count()
    deliveries = Delivery.objects.filter(alert_id=announcement.alert_id).count()
    from django_tasks_db.models import DBTaskResult

    chunks = DBTaskResult.objects.filter(task_path__endswith="deliveries_send").count()
    expected = User.objects.filter(notify.audience_q(data["assembly"]), is_active=True).count()  # type: ignore[arg-type]
    say(
        f"fan-out to {expected:,} members: {took:.1f} s; {total:,} mail rows, {notices:,} notices, "
        f"{deliveries:,} delivery rows in the table, {chunks:,} sending tasks queued; run again: {again:,} rows (nothing repeated)"
    )


if __name__ == "__main__":
    main()
