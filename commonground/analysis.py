"""Compute a conversation's opinion map from all its votes and store it (run by the worker).

The debounce lives on the Conversation row: `analysis_request` in services.py sets
`recompute_pending` with a conditional UPDATE and queues one task; the task clears the flag
*before* reading the votes, so a vote that lands mid-computation queues the next run.
"""

from __future__ import annotations

import numpy as np
from django.db import transaction

from commonground import engine, summary
from commonground.models import Analysis, Conversation, Statement, StatementState, Vote

# Older analyses are kept briefly for comparison, then pruned.
KEEP_ANALYSES = 3


def conversation_matrix(conversation_id: int) -> tuple[engine.VoteMatrix, np.ndarray]:
    """All votes as a matrix (rows: participant pks, columns: statement pks, both as strings),
    and who met Pol.is's vote rule at some point, reading votes in the order they were first cast."""
    rows = list(
        Vote.objects.filter(conversation_id=conversation_id)
        .order_by("created_at", "id")
        .values_list("participant_id", "statement_id", "value")
    )
    if not rows:
        return engine.vote_matrix_from_triples([], [], []), np.zeros(0, dtype=bool)
    pids, sids, values = zip(*rows, strict=True)
    votes = engine.vote_matrix_from_triples(pids, sids, np.asarray(values, dtype=np.int8))
    row_of = {p: i for i, p in enumerate(votes.participants)}
    col_of = {s: j for j, s in enumerate(votes.statements)}
    r = np.fromiter((row_of[str(p)] for p in pids), np.int64, len(pids))
    c = np.fromiter((col_of[str(s)] for s in sids), np.int64, len(sids))
    return votes, engine.admitted_over_time(r, c, len(votes.participants))


def analysis_compute(conversation_id: int, *, seed: int = 0) -> Analysis | None:
    """Run the engine on every vote and store the result. Returns None when there is nothing
    to map yet (no votes) or the conversation is gone."""
    if not Conversation.objects.filter(pk=conversation_id).update(recompute_pending=False):
        return None
    # Read the counter before the votes: votes that arrive after this are "since" the map.
    vote_events = (
        Conversation.objects.filter(pk=conversation_id)
        .values_list("vote_events", flat=True)
        .first()
    ) or 0
    votes, already_in = conversation_matrix(conversation_id)
    if not votes.participants:
        return None
    rejected = {
        str(pk)
        for pk in Statement.objects.filter(
            conversation_id=conversation_id, state=StatementState.REJECTED
        ).values_list("pk", flat=True)
    }
    result = engine.analyze(votes, mod_out=rejected, seed=seed, already_in=already_in)
    stored = summary.summarize(votes, result)
    with transaction.atomic():
        analysis = Analysis.objects.create(
            conversation_id=conversation_id,
            result=stored,
            vote_events=vote_events,
            vote_count=int(votes.matrix.nnz),
        )
        old = Analysis.objects.filter(conversation_id=conversation_id).values_list("pk", flat=True)[
            KEEP_ANALYSES:
        ]
        Analysis.objects.filter(pk__in=list(old)).delete()
    return analysis
