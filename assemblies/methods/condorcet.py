"""Condorcet methods: Schulze and ranked pairs, from one pairwise matrix.

A voter prefers x to y when x is ranked above y; candidates a voter left out are tied below
every ranked one (Debian's rule, and PrefLib's for incomplete orders). The matrix is built
with numpy from ballots aggregated with weights, so a million ballots cost one pass over
their distinct orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import permutations
from typing import Any

import numpy as np

from .base import Ballot, Outcome

# Ballots are turned into rank-position rows this many at a time, to bound memory.
_CHUNK = 50_000


def pairwise(candidates: Sequence[str], ballots: Sequence[Ballot]) -> np.ndarray:
    """d[i, j] = total weight of ballots ranking candidate i above candidate j."""
    m = len(candidates)
    index = {c: i for i, c in enumerate(candidates)}
    d = np.zeros((m, m), dtype=np.int64)
    for start in range(0, len(ballots), _CHUNK):
        chunk = ballots[start : start + _CHUNK]
        pos = np.full((len(chunk), m), m, dtype=np.int16)  # m = below every ranked one
        weights = np.fromiter((b.weight for b in chunk), dtype=np.int64, count=len(chunk))
        for row, b in enumerate(chunk):
            for level, group in enumerate(b.ranking):
                for c in group:
                    pos[row, index[c]] = level
        for i in range(m):
            above = pos[:, i : i + 1] < pos  # rows x m: does i beat each j on this ballot
            d[i] += weights @ above
    return d


def _winners_from(relation: np.ndarray, candidates: Sequence[str]) -> tuple[list[str], list[str]]:
    """Order by how many others each beats under `relation`; return (top set, full order)."""
    m = len(candidates)
    beats = [int(relation[i].sum()) for i in range(m)]
    order = sorted(range(m), key=lambda i: (-beats[i], i))
    top = [candidates[i] for i in range(m) if not any(relation[j, i] for j in range(m))]
    return top, [candidates[i] for i in order]


def schulze(candidates: Sequence[str], ballots: Sequence[Ballot]) -> Outcome:
    """Schulze (beat path) with winning votes as the strength of a defeat."""
    d = pairwise(candidates, ballots)
    m = len(candidates)
    p = np.where(d > d.T, d, 0)
    for k in range(m):  # Floyd-Warshall on the widest path
        p = np.maximum(p, np.minimum(p[:, k : k + 1], p[k : k + 1, :]))
        np.fill_diagonal(p, 0)
    better = p > p.T
    top, order = _winners_from(better, candidates)
    winner = top[0] if top else order[0]
    order = [winner] + [c for c in order if c != winner]
    return Outcome(
        method="schulze",
        winners=[winner],
        ranking=order,
        tie=len(top) > 1,
        tie_note=f"Candidates {', '.join(top)} are all Schulze winners." if len(top) > 1 else "",
        details={
            "candidates": list(candidates),
            "pairwise": d.tolist(),
            "strongest_paths": p.tolist(),
            "potential_winners": top,
        },
    )


def _creates_cycle(locked: np.ndarray, a: int, b: int) -> bool:
    """Would locking a > b close a cycle, i.e. does b already reach a?"""
    m = locked.shape[0]
    seen = np.zeros(m, dtype=bool)
    stack = [b]
    while stack:
        x = stack.pop()
        if x == a:
            return True
        if seen[x]:
            continue
        seen[x] = True
        stack.extend(int(y) for y in np.flatnonzero(locked[x]) if not seen[y])
    return False


def _lock(order: list[tuple[int, int]], m: int) -> np.ndarray:
    locked = np.zeros((m, m), dtype=bool)
    for a, b in order:
        if not _creates_cycle(locked, a, b):
            locked[a, b] = True
    return locked


def ranked_pairs(candidates: Sequence[str], ballots: Sequence[Ballot]) -> Outcome:
    """Tideman's ranked pairs: lock majorities from the largest margin down, skipping cycles.

    Pairs with equal margins are locked in the order of `candidates`. The outcome is marked
    tied only when another order of those equal pairs gives another winner (checked over all
    orders of a small group, and a sample of them for a large one).
    """
    d = pairwise(candidates, ballots)
    m = len(candidates)
    margins = d - d.T
    pairs = [(int(margins[a, b]), a, b) for a in range(m) for b in range(m) if margins[a, b] > 0]
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    locked = _lock([(a, b) for _, a, b in pairs], m)
    top, order = _winners_from(locked, candidates)
    winner = top[0]
    tie, note = False, ""
    groups: dict[int, list[tuple[int, int]]] = {}
    for margin, a, b in pairs:
        groups.setdefault(margin, []).append((a, b))
    if any(len(g) > 1 for g in groups.values()):
        tie = _order_matters(groups, m, top)
        if tie:
            note = "Pairs with equal margins could be locked in another order with another winner."
    details: dict[str, Any] = {
        "candidates": list(candidates),
        "pairwise": d.tolist(),
        "locked": [
            [candidates[a], candidates[b]] for a, b in zip(*np.nonzero(locked), strict=True)
        ],
    }
    return Outcome(
        method="ranked-pairs",
        winners=[winner],
        ranking=[winner] + [c for c in order if c != winner],
        tie=tie,
        tie_note=note,
        details=details,
    )


def _order_matters(groups: dict[int, list[tuple[int, int]]], m: int, top: list[str]) -> bool:
    """Try other orders within each equal-margin group; does the winner change?"""
    rng = np.random.default_rng(0)
    margins = sorted(groups, reverse=True)
    base_winner = None
    for attempt in range(64):
        order: list[tuple[int, int]] = []
        for margin in margins:
            g = groups[margin]
            if attempt and len(g) > 1:
                if len(g) <= 5:
                    perms = list(permutations(g))
                    g = list(perms[attempt % len(perms)])
                else:
                    g = [g[i] for i in rng.permutation(len(g))]
            order.extend(g)
        locked = _lock(order, m)
        sources = [i for i in range(m) if not locked[:, i].any()]
        if base_winner is None:
            base_winner = sources
        elif sources != base_winner:
            return True
    return False
