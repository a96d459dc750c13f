"""Tallies by totals (plurality, approval, score) and proportional committees (PAV, Phragmén).

PAV is computed exactly: every committee is scored when there are few enough of them, and
larger elections are solved as an integer programme (scipy's HiGHS, already a dependency).
Phragmén is the sequential method, counted in exact fractions.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from itertools import combinations
from math import comb, lcm

import numpy as np

from .base import Ballot, DecideError, Outcome

# Above this many possible committees PAV switches from enumeration to integer programming.
ENUMERATION_LIMIT = 50_000


def _top_by_totals(
    method: str,
    candidates: Sequence[str],
    totals: dict[str, Fraction],
    seats: int,
) -> Outcome:
    index = {c: i for i, c in enumerate(candidates)}
    order = sorted(candidates, key=lambda c: (-totals[c], index[c]))
    winners = order[:seats]
    tie = seats < len(order) and totals[order[seats - 1]] == totals[order[seats]]
    note = ""
    if tie:
        level = totals[order[seats - 1]]
        note = "Candidates {} had equal totals for the last place.".format(
            ", ".join(c for c in order if totals[c] == level)
        )
    return Outcome(
        method=method,
        winners=winners,
        ranking=order,
        tie=tie,
        tie_note=note,
        details={"totals": {c: str(_plain(totals[c])) for c in candidates}},
    )


def _plain(x: Fraction) -> int | Decimal:
    return x.numerator if x.denominator == 1 else Decimal(x.numerator) / Decimal(x.denominator)


def plurality(candidates: Sequence[str], ballots: Sequence[Ballot], *, seats: int = 1) -> Outcome:
    """Most first preferences (a ballot ranking several first, or approving several, is void)."""
    totals = dict.fromkeys(candidates, Fraction(0))
    for b in ballots:
        first = b.ranking[0] if b.ranking else tuple(b.approvals)
        if len(first) == 1:
            totals[first[0]] += b.weight
    return _top_by_totals("plurality", candidates, totals, seats)


def approval(candidates: Sequence[str], ballots: Sequence[Ballot], *, seats: int = 1) -> Outcome:
    """Most approvals (ranked ballots approve everyone they rank)."""
    totals = dict.fromkeys(candidates, Fraction(0))
    for b in ballots:
        for c in b.supported():
            totals[c] += b.weight
    return _top_by_totals("approval", candidates, totals, seats)


def score(candidates: Sequence[str], ballots: Sequence[Ballot], *, seats: int = 1) -> Outcome:
    """Highest total score."""
    totals = dict.fromkeys(candidates, Fraction(0))
    for b in ballots:
        for c, s in b.scores.items():
            totals[c] += Fraction(s) * b.weight
    return _top_by_totals("score", candidates, totals, seats)


def _approval_groups(
    candidates: Sequence[str], ballots: Sequence[Ballot]
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct approval sets as a boolean matrix, with the number of voters of each."""
    index = {c: i for i, c in enumerate(candidates)}
    groups: dict[frozenset[str], int] = {}
    for b in ballots:
        s = b.supported()
        if s and b.weight:
            groups[s] = groups.get(s, 0) + b.weight
    matrix = np.zeros((len(groups), len(candidates)), dtype=bool)
    weights = np.zeros(len(groups), dtype=np.int64)
    for row, (s, w) in enumerate(groups.items()):
        matrix[row, [index[c] for c in s]] = True
        weights[row] = w
    return matrix, weights


def pav(candidates: Sequence[str], ballots: Sequence[Ballot], *, seats: int) -> Outcome:
    """Proportional approval voting: the committee maximising sum over voters of 1 + 1/2 + ... .

    Among equally good committees the first in the order of `candidates` wins, and the
    outcome is marked tied.
    """
    matrix, weights = _approval_groups(candidates, ballots)
    m = len(candidates)
    scale = lcm(*range(1, seats + 1))  # harmonic numbers as whole numbers: exact comparison
    harmonic = np.zeros(seats + 1, dtype=np.int64)
    for j in range(1, seats + 1):
        harmonic[j] = harmonic[j - 1] + scale // j
    if comb(m, seats) <= ENUMERATION_LIMIT:
        best_score, count_best = -1, 0
        best: tuple[int, ...] = ()
        for committee in combinations(range(m), seats):
            hits = matrix[:, committee].sum(axis=1)
            value = int(weights @ harmonic[hits])
            if value > best_score:
                best_score, best, count_best = value, committee, 1
            elif value == best_score:
                count_best += 1
        chosen: list[int] = list(best)
        tie, exact_by = count_best > 1, "enumeration"
    else:
        chosen, best_score, tie = _pav_milp(matrix, weights, seats, harmonic)
        exact_by = "integer programme"
    winners = [candidates[i] for i in sorted(chosen)]
    return Outcome(
        method="pav",
        winners=winners,
        ranking=winners + [c for c in candidates if c not in winners],
        tie=tie,
        tie_note="Another committee is as good by PAV's measure." if tie else "",
        details={"pav_score": str(Fraction(best_score, scale)), "solved_by": exact_by},
    )


def _pav_milp(
    matrix: np.ndarray, weights: np.ndarray, seats: int, harmonic: np.ndarray
) -> tuple[list[int], int, bool]:
    from scipy.optimize import Bounds, LinearConstraint, milp

    g, m = matrix.shape
    # Variables: x_c (m), then y_{v,l} for each group v and l = 1..seats (v's l-th member).
    n = m + g * seats
    gains = np.array([harmonic[j] - harmonic[j - 1] for j in range(1, seats + 1)], dtype=float)
    c = np.zeros(n)
    c[m:] = -(weights[:, None] * gains[None, :]).ravel()
    rows = np.zeros((g + 1, n))
    rows[0, :m] = 1
    for v in range(g):
        rows[1 + v, m + v * seats : m + (v + 1) * seats] = 1
        rows[1 + v, :m] = -matrix[v].astype(float)
    lower = np.concatenate([[seats], np.full(g, -np.inf)])
    upper = np.concatenate([[seats], np.zeros(g)])

    def solve(extra: list[LinearConstraint]) -> tuple[list[int], int] | None:
        res = milp(
            c,
            constraints=[LinearConstraint(rows, lower, upper), *extra],
            integrality=np.ones(n),
            bounds=Bounds(0, 1),
        )
        if res.status != 0 or res.x is None:
            return None
        chosen = [i for i in range(m) if res.x[i] > 0.5]
        hits = matrix[:, chosen].sum(axis=1)
        return chosen, int(weights @ harmonic[hits])

    first = solve([])
    if first is None:
        raise DecideError("The PAV committee could not be computed.")
    chosen, value = first
    # Is another committee as good? Forbid this one and solve again.
    forbid = np.zeros(n)
    forbid[chosen] = 1
    second = solve([LinearConstraint(forbid[None, :], -np.inf, seats - 1)])
    return chosen, value, second is not None and second[1] == value


def phragmen(candidates: Sequence[str], ballots: Sequence[Ballot], *, seats: int) -> Outcome:
    """Phragmén's sequential method: each seat goes to whoever leaves the lowest maximal load."""
    matrix, weights = _approval_groups(candidates, ballots)
    loads = [Fraction(0)] * len(weights)
    supporters = [list(np.flatnonzero(matrix[:, j])) for j in range(len(candidates))]
    elected: list[int] = []
    rounds: list[dict[str, str]] = []
    ties: list[list[int]] = []
    for _ in range(seats):
        options: dict[int, Fraction] = {}
        for j, sup in enumerate(supporters):
            if j in elected or not sup:
                continue
            support = sum(int(weights[v]) for v in sup)
            options[j] = (1 + sum(weights[v] * loads[v] for v in sup)) / support
        if not options:  # nobody left with supporters: fill in the given order
            rest = [j for j in range(len(candidates)) if j not in elected]
            ties.append(rest)
            elected.append(rest[0])
            continue
        best = min(options.values())
        tied = [j for j, load in options.items() if load == best]
        if len(tied) > 1:
            ties.append(tied)
        j = tied[0]
        for v in supporters[j]:
            loads[v] = best
        elected.append(j)
        rounds.append({"elected": candidates[j], "max_load": str(_plain(best))})
    tie = any(not all(j in elected for j in group) for group in ties)
    winners = [candidates[j] for j in elected]
    return Outcome(
        method="phragmen",
        winners=winners,
        ranking=winners + [c for c in candidates if c not in winners],
        tie=tie,
        tie_note="Candidates with equal loads were chosen by their order." if tie else "",
        rounds=rounds,
    )
