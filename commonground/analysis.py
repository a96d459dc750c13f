"""Compute a conversation's opinion map from all its votes and store it (run by the worker).

The debounce lives on the Conversation row: `analysis_request` in services.py sets
`recompute_pending` with a conditional UPDATE and queues one task; the task clears the flag
*before* reading the votes, so a vote that lands mid-computation queues the next run.
"""

from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp
from django.db import connection, transaction

from commonground import engine, summary
from commonground.models import Analysis, Conversation, Statement, StatementState, Vote

# Older analyses are kept briefly for comparison, then pruned.
KEEP_ANALYSES = 3
FETCH = 100_000


def conversation_matrix(conversation_id: int) -> tuple[engine.VoteMatrix, np.ndarray]:
    """All votes as a matrix (rows: participant pks, columns: statement pks, both as strings),
    and who met Pol.is's vote rule at some point, reading votes in the order they were cast.

    Rows come straight from a cursor into numpy: on millions of votes, model instances or
    per-vote Python objects would cost more than the whole analysis.
    """
    table = connection.ops.quote_name(Vote._meta.db_table)
    chunks = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT participant_id, statement_id, value FROM {table} "
            "WHERE conversation_id = %s ORDER BY created_at, id",
            [conversation_id],
        )
        while batch := cursor.fetchmany(FETCH):
            flat = itertools.chain.from_iterable(batch)
            chunks.append(np.fromiter(flat, np.int64, 3 * len(batch)).reshape(-1, 3))
    if not chunks:
        return engine.vote_matrix_from_triples([], [], []), np.zeros(0, dtype=bool)
    log = np.concatenate(chunks)
    # Rows in order of each participant's first vote, columns in statement order (as the CLI).
    pids, first, p_inv = np.unique(log[:, 0], return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    rows = rank[p_inv]
    sids, cols = np.unique(log[:, 1], return_inverse=True)
    # One vote per (participant, statement) is stored, so nothing is summed; passes are kept
    # as stored zeros, which is what tells "passed" from "never seen".
    matrix = sp.coo_matrix(
        (log[:, 2].astype(np.int8), (rows, cols)), shape=(len(pids), len(sids))
    ).tocsr()
    matrix.sort_indices()
    votes = engine.VoteMatrix([str(p) for p in pids[order]], [str(s) for s in sids], matrix)
    return votes, engine.admitted_over_time(rows, cols, len(pids))


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
