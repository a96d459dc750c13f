"""The hub's side of common ground: how long a background recompute takes on a stored
conversation (reading the votes, the engine, the stored summary), and what a vote costs.
Prints figures; never passes or fails.

    .venv/bin/python bench/commonground/hub.py [--participants 10000] [--statements 500]
                                               [--density 0.15] [--votes 300]

The database comes from DATABASE_URL (default: a fresh SQLite file in a temporary directory,
migrated first). Votes are planted in 3 groups and written with the import's own upsert.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--statements", type=int, default=500)
    parser.add_argument("--density", type=float, default=0.15)
    parser.add_argument("--votes", type=int, default=300, help="votes cast through vote_cast")
    args = parser.parse_args()

    scratch = None
    if "DATABASE_URL" not in os.environ:
        scratch = tempfile.TemporaryDirectory(prefix="hub-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch.name}/hub-bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)

    from django_tasks_db.models import DBTaskResult

    from accounts.models import User
    from commonground import analysis, engine, services, summary
    from commonground.models import Conversation, Participant, Statement, StatementState

    print(f"database: {connection.vendor}; load average: {os.getloadavg()}")
    owner, _ = User.objects.get_or_create(email="bench-owner@example.org")
    conversation = services.conversation_create(user=owner, title="Bench")
    n, m = args.participants, args.statements
    now = datetime.now(tz=UTC)
    t0 = time.perf_counter()
    with transaction.atomic():
        Statement.objects.bulk_create(
            [
                Statement(
                    conversation=conversation,
                    number=j,
                    text=f"Statement {j}",
                    state=StatementState.ACCEPTED,
                    created_at=now,
                )
                for j in range(m)
            ],
            batch_size=5000,
        )
        Participant.objects.bulk_create(
            [Participant(conversation=conversation, number=i) for i in range(n)], batch_size=5000
        )
        Conversation.objects.filter(pk=conversation.pk).update(
            next_statement_number=m, next_participant_number=n
        )
        spk = np.array(
            Statement.objects.filter(conversation=conversation)
            .order_by("number")
            .values_list("pk", flat=True)
        )
        ppk = np.array(
            Participant.objects.filter(conversation=conversation)
            .order_by("number")
            .values_list("pk", flat=True)
        )
        rng = np.random.default_rng(0)
        group = rng.integers(0, 3, n)
        stance = rng.choice([-1, 1], size=(3, m))
        rows, cols = np.nonzero(rng.random((n, m)) < args.density)
        values = stance[group[rows], cols]
        flip = rng.random(len(values)) < 0.2
        values[flip] = rng.choice([-1, 0, 1], int(flip.sum()))
        services._votes_upsert(
            (conversation.pk, int(ppk[r]), int(spk[c]), int(v), now, now)
            for r, c, v in zip(rows, cols, values, strict=True)
        )
    print(f"planted {len(values):,} votes ({n:,} x {m:,}) in {time.perf_counter() - t0:.1f} s")

    # The recompute, in its parts, then whole as the worker runs it.
    t0 = time.perf_counter()
    votes, already_in = analysis.conversation_matrix(conversation.pk)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = engine.analyze(votes, already_in=already_in)
    t_engine = time.perf_counter() - t0
    t0 = time.perf_counter()
    stored = summary.summarize(votes, result)
    t_summary = time.perf_counter() - t0
    t0 = time.perf_counter()
    analysis.analysis_compute(conversation.pk)
    t_whole = time.perf_counter() - t0
    truth = group[[int(np.searchsorted(ppk, int(p))) for p in votes.participants]]
    found = result.participant_groups
    kept = found >= 0
    from commonground.tests.test_recompute import adjusted_rand

    print(
        f"recompute: read votes {t_load:.2f} s, engine {t_engine:.2f} s, "
        f"summary {t_summary:.2f} s; whole task {t_whole:.2f} s; "
        f"{len(stored['groups'])} groups, adjusted Rand {adjusted_rand(truth[kept].tolist(), found[kept].tolist()):.3f}"
    )

    # Votes through the service, as the pages cast them: each one is a separate transaction.
    voters = [
        User.objects.get_or_create(email=f"bench-voter-{i}@example.org")[0]
        for i in range(max(1, args.votes // 20))
    ]
    statements = list(Statement.objects.filter(conversation=conversation)[: args.votes])
    before = DBTaskResult.objects.count()
    t0 = time.perf_counter()
    for k in range(args.votes):
        with transaction.atomic():
            services.vote_cast(
                user=voters[k % len(voters)],
                statement=statements[k % len(statements)],
                value=(k % 3) - 1,
            )
    elapsed = time.perf_counter() - t0
    print(
        f"vote_cast: {args.votes} votes in {elapsed:.2f} s "
        f"({1000 * elapsed / args.votes:.1f} ms each); "
        f"recomputes queued: {DBTaskResult.objects.count() - before}"
    )
    print(f"load average after: {os.getloadavg()}")
    if scratch is not None:
        connection.close()
        scratch.cleanup()


if __name__ == "__main__":
    main()
