"""Participatory budgeting: greedy by votes, and the Method of Equal Shares.

Both spend a fixed budget over projects with costs. Money is counted exactly (fractions),
so a tie is a real tie and the outcome does not depend on floating-point rounding.

Satisfaction follows Pabulib's conventions: an approval is worth the project's cost to the
voter who approved it (cost utilities, as the Method of Equal Shares is run in practice),
and cumulative or score points scale that (points x cost). Greedy therefore orders projects
by number of approvals, or by total points.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from .base import Ballot, DecideError, Outcome


def _utilities(ballot: Ballot) -> dict[str, Fraction]:
    """Per-project weight of one ballot (before multiplying by cost)."""
    if ballot.scores:
        return {p: Fraction(s) for p, s in ballot.scores.items() if s > 0}
    if ballot.approvals:
        return dict.fromkeys(ballot.approvals, Fraction(1))
    return dict.fromkeys(ballot.ranked_candidates(), Fraction(1))


def _check_money(costs: Mapping[str, Decimal], budget: Decimal, projects: Sequence[str]) -> None:
    if budget < 0 or not Decimal(budget).is_finite():
        raise DecideError("The budget must be a number zero or above.")
    for p in projects:
        if costs[p] < 0 or not Decimal(costs[p]).is_finite():
            raise DecideError(f"Project {p}'s cost must be a number zero or above.")


def greedy(
    projects: Sequence[str],
    ballots: Sequence[Ballot],
    *,
    costs: Mapping[str, Decimal],
    budget: Decimal,
) -> Outcome:
    """Fund projects in order of votes (approvals or points), skipping any that no longer fit.

    Projects nobody supported are never funded. Equal totals keep the order of `projects`;
    the outcome is marked tied only when the tied projects could not all be funded together,
    so which of them won depended on that order.
    """
    _check_money(costs, budget, projects)
    totals = dict.fromkeys(projects, Fraction(0))
    for b in ballots:
        for p, u in _utilities(b).items():
            totals[p] += u * b.weight
    index = {p: i for i, p in enumerate(projects)}
    order = sorted((p for p in projects if totals[p] > 0), key=lambda p: (-totals[p], index[p]))
    remaining = Fraction(budget)
    winners: list[str] = []
    rounds: list[dict[str, object]] = []
    tie, tie_note = False, ""
    i = 0
    while i < len(order):
        # Projects with equal totals form one group; its outcome depends on their order only
        # if the ones that fit on their own do not all fit together.
        j = i
        while j < len(order) and totals[order[j]] == totals[order[i]]:
            j += 1
        group = order[i:j]
        if len(group) > 1:
            fitting = [p for p in group if Fraction(costs[p]) <= remaining]
            if sum(Fraction(costs[p]) for p in fitting) > remaining:
                tie = True
                tie_note = tie_note or f"Projects {', '.join(group)} had equal votes."
        for p in group:
            cost = Fraction(costs[p])
            funded = cost <= remaining
            if funded:
                remaining -= cost
                winners.append(p)
            rounds.append(
                {
                    "project": p,
                    "votes": _num(totals[p]),
                    "cost": _num(cost),
                    "funded": funded,
                    "left": _num(remaining),
                }
            )
        i = j
    return Outcome(
        method="greedy",
        winners=winners,
        ranking=order + [p for p in projects if totals[p] == 0],
        tie=tie,
        tie_note=tie_note,
        rounds=rounds,
        details={
            "budget": _num(Fraction(budget)),
            "spent": _num(Fraction(budget) - remaining),
            "votes": {p: _num(t) for p, t in totals.items()},
        },
    )


def _num(x: Fraction) -> str:
    """A money or vote figure as a decimal string (exact when it is one, else 6 places)."""
    if x.denominator == 1:
        return str(x.numerator)
    d = Decimal(x.numerator) / Decimal(x.denominator)
    return format(d.quantize(Decimal("0.000001")).normalize(), "f")


class _MES:
    """One run of the Method of Equal Shares at a given per-voter budget, in exact fractions.

    Voters with identical ballots are one group (they start with the same share and always
    pay the same). Groups that have paid for the same things hold the same money, so money
    is kept as an index into a list of distinct amounts, and a project's supporters are
    bucketed by (amount, utility) before any fraction arithmetic: a few dozen exact
    operations per project instead of one per voter group.
    """

    def __init__(
        self, projects: Sequence[str], ballots: Sequence[Ballot], costs: Mapping[str, Decimal]
    ) -> None:
        self.projects = list(projects)
        self.index = {p: i for i, p in enumerate(projects)}
        self.cost = {p: Fraction(costs[p]) for p in projects}
        self.weights: list[int] = []
        self.supporters: dict[str, list[tuple[int, int]]] = {p: [] for p in projects}
        self.utilities: dict[str, list[Fraction]] = {p: [] for p in projects}
        slot: dict[tuple[str, Fraction], int] = {}
        for b in ballots:
            if not b.weight:
                continue
            utils = _utilities(b)
            if not utils:
                continue
            g = len(self.weights)
            self.weights.append(b.weight)
            for p, u in utils.items():
                # Cost utilities; a free project counts its points alone.
                value = u * (self.cost[p] or 1)
                k = slot.get((p, value))
                if k is None:
                    k = slot[(p, value)] = len(self.utilities[p])
                    self.utilities[p].append(value)
                self.supporters[p].append((g, k))
        self.voters = sum(b.weight for b in ballots)

    def _buckets(self, p: str, holding: list[int]) -> dict[tuple[int, int], int]:
        buckets: dict[tuple[int, int], int] = {}
        weights = self.weights
        for g, k in self.supporters[p]:
            key = (holding[g], k)
            buckets[key] = buckets.get(key, 0) + weights[g]
        return buckets

    def rho(self, p: str, holding: list[int], amounts: list[Fraction]) -> Fraction | None:
        """Smallest price per unit of utility at which p's supporters can pay for it."""
        if not self.supporters[p]:
            return None
        cost = self.cost[p]
        utils = self.utilities[p]
        buckets = self._buckets(p, holding)
        available = sum((w * amounts[v] for (v, _), w in buckets.items()), Fraction(0))
        if available < cost:
            return None
        paid = Fraction(0)
        utility_left = sum((w * utils[k] for (_, k), w in buckets.items()), Fraction(0))
        ordered = sorted(buckets.items(), key=lambda kv: amounts[kv[0][0]] / utils[kv[0][1]])
        for (v, k), w in ordered:
            rho = (cost - paid) / utility_left
            if rho * utils[k] <= amounts[v]:
                return rho
            paid += w * amounts[v]
            utility_left -= w * utils[k]
        return None  # pragma: no cover - unreachable when available >= cost

    def run(self, share: Fraction) -> tuple[list[str], list[dict[str, object]], bool, str]:
        amounts = [share]
        holding = [0] * len(self.weights)
        chosen: list[str] = []
        steps: list[dict[str, object]] = []
        tie, tie_note = False, ""
        tied_sets: list[list[str]] = []
        # rho only grows as voters spend, so an old rho is a lower bound: re-check projects in
        # order of their bound and stop once none can beat the best found.
        heap = [(Fraction(0), self.index[p], p) for p in self.projects if self.supporters[p]]
        heapq.heapify(heap)
        while heap:
            best: tuple[Fraction, int, str] | None = None
            ties: list[str] = []
            stale: list[tuple[Fraction, int, str]] = []
            while heap and (best is None or heap[0][0] <= best[0]):
                _, idx, p = heapq.heappop(heap)
                r = self.rho(p, holding, amounts)
                if r is None:
                    continue  # never affordable again: budgets only shrink
                entry = (r, idx, p)
                if best is None or (r, idx) < best[:2]:
                    if best is not None and best[0] == r:
                        ties.append(best[2])
                    elif best is not None:
                        ties = []
                    if best is not None:
                        stale.append(best)
                    best = entry
                else:
                    if r == best[0]:
                        ties.append(p)
                    stale.append(entry)
            if best is None:
                break
            for entry in stale:
                heapq.heappush(heap, entry)
            r, _, p = best
            if ties:
                tied_sets.append([p, *ties])
            payers = 0
            utils = self.utilities[p]
            moved: dict[tuple[int, int], int] = {}
            for g, k in self.supporters[p]:
                key = (holding[g], k)
                after = moved.get(key)
                if after is None:
                    have = amounts[key[0]]
                    pay = min(have, r * utils[k])
                    after = key[0]
                    if pay:
                        amounts.append(have - pay)
                        after = len(amounts) - 1
                    moved[key] = after
                if after != holding[g]:
                    payers += self.weights[g]
                holding[g] = after
            chosen.append(p)
            steps.append(
                {"project": p, "cost": _num(self.cost[p]), "rho": _num(r), "payers": payers}
            )
        for group in tied_sets:
            if not all(q in chosen for q in group):
                tie = True
                tie_note = f"Projects {', '.join(group)} were equally affordable."
                break
        return chosen, steps, tie, tie_note


class _FastMES:
    """The same run in floating point, for the add1 scan.

    The scan may try hundreds of shares; each is decided here in milliseconds. A run whose
    choices came within a hair of a tie (or of affordability) says so, and the caller then
    repeats that run exactly, so floating point never decides an outcome.
    """

    NEAR = 1e-9

    def __init__(self, exact: _MES) -> None:
        import numpy as np

        self.np = np
        self.cost = [float(exact.cost[p]) for p in exact.projects]
        weights = np.array(exact.weights, dtype=float)
        self.groups = len(exact.weights)
        # Per project: its supporters' group numbers, weights and utilities.
        self.idx = []
        self.w = []
        self.u = []
        for p in exact.projects:
            sup = exact.supporters[p]
            idx = np.array([g for g, _ in sup], dtype=np.int64)
            self.idx.append(idx)
            self.w.append(weights[idx])
            utils = exact.utilities[p]
            self.u.append(np.array([float(utils[k]) for _, k in sup]))
        self.total_u = [float((w * u).sum()) for w, u in zip(self.w, self.u, strict=True)]

    def rho(self, j: int, money) -> tuple[float | None, bool]:  # type: ignore[no-untyped-def]
        np = self.np
        m = money[self.idx[j]]
        w, u, cost = self.w[j], self.u[j], self.cost[j]
        avail = float(w @ m)
        near = abs(avail - cost) <= self.NEAR * max(cost, 1.0)
        if avail < cost:
            return None, near
        ratio = m / u
        order = np.argsort(ratio, kind="stable")
        wm = (w * m)[order]
        wu = (w * u)[order]
        paid_before = np.cumsum(wm) - wm
        used_before = np.cumsum(wu) - wu
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = (cost - paid_before) / (self.total_u[j] - used_before)
        ok = rho <= ratio[order] * (1 + 1e-12)
        k = int(np.argmax(ok))
        return float(rho[k]), near

    def run(self, share: float) -> tuple[list[int], bool]:
        np = self.np
        money = np.full(self.groups, share)
        chosen: list[int] = []
        uncertain = False
        heap = [(0.0, j) for j in range(len(self.cost)) if self.idx[j].size]
        heapq.heapify(heap)
        while heap:
            best: tuple[float, int] | None = None
            seen: list[tuple[float, int]] = []
            while heap and (best is None or heap[0][0] <= best[0] * (1 + self.NEAR)):
                _, j = heapq.heappop(heap)
                r, near = self.rho(j, money)
                uncertain = uncertain or near
                if r is None:
                    continue
                seen.append((r, j))
                if best is None or (r, j) < best:
                    best = (r, j)
            if best is None:
                break
            r, j = best
            for entry in seen:
                if entry[1] == j:
                    continue
                if entry[0] <= r * (1 + self.NEAR):
                    uncertain = True
                heapq.heappush(heap, entry)
            idx = self.idx[j]
            money[idx] -= np.minimum(money[idx], r * self.u[j])
            chosen.append(j)
        return chosen, uncertain


def equal_shares(
    projects: Sequence[str],
    ballots: Sequence[Ballot],
    *,
    costs: Mapping[str, Decimal],
    budget: Decimal,
    completion: str | None = "add1",
) -> Outcome:
    """Method of Equal Shares, optionally completed.

    Every voter gets an equal share of the budget; a project is bought by its supporters,
    each paying the same price per unit of satisfaction (or all they have left), and the
    project they can buy at the lowest price goes first. Left-over money is spent by the
    completion: "add1" raises every voter's share by one unit of money at a time while the
    outcome still fits the real budget (Pabulib's `equalshares/add1`), "add1-greedy" then
    funds what still fits in order of votes.
    """
    if completion not in (None, "add1", "add1-greedy"):
        raise DecideError(f"Unknown completion {completion!r} for the Method of Equal Shares.")
    _check_money(costs, budget, projects)
    mes = _MES(projects, ballots, costs)
    limit = Fraction(budget)
    n = mes.voters
    if n == 0:
        return Outcome(method="equal-shares", winners=[], details={"budget": _num(limit)})
    share = limit / n
    chosen, steps, tie, note = mes.run(share)
    increases = 0
    if completion in ("add1", "add1-greedy"):
        supported = [p for p in projects if mes.supporters[p]]
        if sum(mes.cost[p] for p in supported) <= limit:
            # Every supported project fits: raising shares ends with all of them funded.
            while len(chosen) < len(supported):
                share = share * 2 + 1
                chosen, steps, tie, note = mes.run(share)
        else:
            fast = _FastMES(mes)
            while True:
                quick, unsure = fast.run(float(share + 1))
                picked = mes.run(share + 1)[0] if unsure else [projects[i] for i in quick]
                if sum(mes.cost[p] for p in picked) > limit:
                    break
                share += 1
                increases += 1
            if increases:
                chosen, steps, tie, note = mes.run(share)
    rounds: list[dict[str, object]] = [dict(s, phase="equal shares") for s in steps]
    if completion == "add1-greedy":
        left = limit - sum(mes.cost[p] for p in chosen)
        rest = [p for p in projects if p not in chosen]
        filler = greedy(
            rest, ballots, costs=costs, budget=Decimal(left.numerator) / left.denominator
        )
        for p in filler.winners:
            chosen.append(p)
            rounds.append({"project": p, "cost": _num(mes.cost[p]), "phase": "greedy"})
        tie = tie or filler.tie
    spent = sum((mes.cost[p] for p in chosen), Fraction(0))
    return Outcome(
        method="equal-shares",
        winners=chosen,
        ranking=list(chosen),
        tie=tie,
        tie_note=note,
        rounds=rounds,
        details={
            "budget": _num(limit),
            "spent": _num(spent),
            "share_per_voter": _num(share),
            "share_increases": increases,
            "completion": completion or "none",
        },
    )
