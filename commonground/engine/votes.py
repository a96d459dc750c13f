"""Votes in and out of the engine: the participants x statements matrix the math reads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class VoteMatrix:
    """Votes of `participants` (rows) on `statements` (columns); see the module docstring."""

    participants: list[str]
    statements: list[str]
    matrix: sp.csr_matrix

    def __post_init__(self) -> None:
        n, m = self.matrix.shape
        if n != len(self.participants) or m != len(self.statements):
            raise ValueError(
                f"matrix shape {self.matrix.shape} does not match "
                f"{len(self.participants)} participants x {len(self.statements)} statements"
            )


def _as_vote_array(votes: Iterable[Any]) -> np.ndarray:
    values = np.asarray(list(votes) if not isinstance(votes, np.ndarray) else votes)
    if values.size and not np.isin(values, (-1, 0, 1)).all():
        raise ValueError("votes must be -1 (disagree), 0 (pass) or 1 (agree)")
    return values.astype(np.int8)


def vote_matrix_from_triples(
    participant_ids: Sequence[Any],
    statement_ids: Sequence[Any],
    votes: Sequence[int] | np.ndarray,
    *,
    participants: Sequence[Any] | None = None,
    statements: Sequence[Any] | None = None,
) -> VoteMatrix:
    """Build a VoteMatrix from parallel lists of (participant, statement, vote), in time order.

    When a participant voted on a statement more than once the last vote wins, as in Pol.is.
    Rows follow `participants` (default: order of first vote) and columns `statements` (default:
    numeric order when every id is an integer, else first appearance).
    """
    if not (len(participant_ids) == len(statement_ids) == len(votes)):
        raise ValueError("participant_ids, statement_ids and votes must have the same length")
    values = _as_vote_array(votes)
    pids = [str(p) for p in participant_ids]
    sids = [str(s) for s in statement_ids]
    if participants is None:
        participants = list(dict.fromkeys(pids))
    if statements is None:
        statements = list(dict.fromkeys(sids))
        if all(s.lstrip("-").isdigit() for s in statements):
            statements.sort(key=int)
    row_of = {str(p): i for i, p in enumerate(participants)}
    col_of = {str(s): j for j, s in enumerate(statements)}
    try:
        rows = np.fromiter((row_of[p] for p in pids), dtype=np.int64, count=len(pids))
        cols = np.fromiter((col_of[s] for s in sids), dtype=np.int64, count=len(sids))
    except KeyError as exc:
        raise ValueError(f"vote for unknown participant or statement {exc.args[0]!r}") from None
    matrix = _csr_last_wins(rows, cols, values, (len(row_of), len(col_of)))
    return VoteMatrix([str(p) for p in participants], [str(s) for s in statements], matrix)


def _csr_last_wins(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]
) -> sp.csr_matrix:
    """CSR with sorted indices, keeping the last of duplicate (row, col) pairs and stored zeros."""
    n, m = shape
    key = rows.astype(np.int64) * m + cols.astype(np.int64)
    order = np.argsort(key, kind="stable")
    key = key[order]
    # The last occurrence of each key in stable order is the latest vote.
    last = np.ones(len(key), dtype=bool)
    last[:-1] = key[1:] != key[:-1]
    key = key[last]
    data = values[order][last].astype(np.int8)
    r = key // m
    indices = (key % m).astype(np.int32)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
    return sp.csr_matrix((data, indices, indptr), shape=shape)


def merge_votes(
    votes: VoteMatrix,
    participant_ids: Sequence[Any],
    statement_ids: Sequence[Any],
    new_votes: Sequence[int] | np.ndarray,
) -> VoteMatrix:
    """Add votes (in time order; later ones win) without rebuilding the whole matrix.

    New participants and statements are appended as new rows and columns.
    """
    values = _as_vote_array(new_votes)
    participants = list(votes.participants)
    statements = list(votes.statements)
    row_of = {p: i for i, p in enumerate(participants)}
    col_of = {s: j for j, s in enumerate(statements)}
    rows = np.empty(len(values), dtype=np.int64)
    cols = np.empty(len(values), dtype=np.int64)
    for t, (p, s) in enumerate(zip(participant_ids, statement_ids, strict=True)):
        p, s = str(p), str(s)
        if p not in row_of:
            row_of[p] = len(participants)
            participants.append(p)
        if s not in col_of:
            col_of[s] = len(statements)
            statements.append(s)
        rows[t], cols[t] = row_of[p], col_of[s]
    n, m = len(participants), len(statements)
    old = votes.matrix
    n_old = old.shape[0]
    tail = np.full(n - n_old, old.indptr[-1], dtype=old.indptr.dtype)
    indptr = np.concatenate([old.indptr, tail])
    indices = old.indices
    data = old.data.copy()
    # Keep only the last new vote per (row, col).
    small = _csr_last_wins(rows, cols, values, (n, m))
    srows = np.repeat(np.arange(n), np.diff(small.indptr))
    scols = small.indices
    svals = small.data
    # Where does each new vote land in its row: an overwrite or an insertion?
    starts, ends = indptr[srows], indptr[srows + 1]
    pos = np.empty(len(srows), dtype=np.int64)
    hit = np.zeros(len(srows), dtype=bool)
    for t in range(len(srows)):
        seg = indices[starts[t] : ends[t]]
        k = int(np.searchsorted(seg, scols[t]))
        pos[t] = starts[t] + k
        hit[t] = k < len(seg) and seg[k] == scols[t]
    data[pos[hit]] = svals[hit]
    ins = ~hit
    if ins.any():
        indices = np.insert(indices, pos[ins], scols[ins].astype(indices.dtype))
        data = np.insert(data, pos[ins], svals[ins])
        add = np.bincount(srows[ins], minlength=n)
        indptr = indptr + np.concatenate([[0], np.cumsum(add)]).astype(indptr.dtype)
    matrix = sp.csr_matrix((data, indices, indptr), shape=(n, m))
    return VoteMatrix(participants, statements, matrix)
