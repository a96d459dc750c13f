"""Decision methods: count ballots and say who or what won, with the working shown.

Django-free (like commonground's engine): the assemblies app stores ballots and calls
`decide`; `commonweal decide tally` calls it on PrefLib and Pabulib files. The method names
are the ones in `METHODS`; their English labels are for logs and the command line only —
the app shows its own translated labels.

    decide("schulze", ["a", "b"], [Ballot.ranked("a", "b", weight=3)])
    decide("stv", candidates, ballots, seats=3)                  # Scottish STV
    decide("equal-shares", projects, ballots, costs=c, budget=b)  # PB, add1 completion
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from .base import Ballot, DecideError, Outcome, check_ballots, check_candidates

__all__ = ["METHODS", "BUDGET_METHODS", "Ballot", "DecideError", "Outcome", "decide"]

# name -> plain English label (the app translates its own labels; no Django here)
METHODS: dict[str, str] = {
    "plurality": "Plurality (most first preferences)",
    "approval": "Approval voting",
    "score": "Score voting",
    "schulze": "Schulze method (Condorcet)",
    "ranked-pairs": "Ranked pairs (Condorcet)",
    "irv": "Instant runoff",
    "stv": "Single transferable vote (Scottish STV)",
    "pav": "Proportional approval voting",
    "phragmen": "Phragmén's sequential method",
    "equal-shares": "Method of Equal Shares",
    "greedy": "Greedy by votes (participatory budget)",
}

# Methods that spend a budget over projects with costs rather than fill seats.
BUDGET_METHODS = frozenset({"greedy", "equal-shares"})

# Methods that read ballots' rankings (the others read approvals or scores).
RANKED_METHODS = frozenset({"plurality", "schulze", "ranked-pairs", "irv", "stv"})


def decide(
    method: str,
    candidates: Sequence[str],
    ballots: Sequence[Ballot],
    *,
    seats: int = 1,
    costs: Mapping[str, Decimal] | None = None,
    budget: Decimal | None = None,
    completion: str | None = "add1",
) -> Outcome:
    """Count `ballots` over `candidates` with `method`.

    `seats` is the number to elect (committee and STV methods; single-winner methods give
    one winner and a full ranking). Budget methods need `costs` for every project and a
    `budget`; `completion` picks how Method of Equal Shares spends what it leaves over:
    "add1" (raise every voter's share by one unit while the outcome fits the budget, as
    Pabulib's `equalshares/add1`), "add1-greedy" (then fill by greedy) or None.
    Ties are broken by the order of `candidates`, and `Outcome.tie` says when that mattered.
    """
    from . import budget as pb
    from . import committee, condorcet, runoff

    if method not in METHODS:
        raise DecideError(f"Unknown method {method!r}; choose one of {', '.join(METHODS)}.")
    ids = check_candidates(candidates)
    check_ballots(ballots, ids)
    if seats < 1:
        raise DecideError("At least one seat must be filled.")
    if method in BUDGET_METHODS:
        if costs is None or budget is None:
            raise DecideError(f"{METHODS[method]} needs a cost for every project and a budget.")
        missing = [c for c in ids if c not in costs]
        if missing:
            raise DecideError(f"Projects without a cost: {', '.join(missing)}.")
        if method == "greedy":
            return pb.greedy(ids, ballots, costs=costs, budget=budget)
        return pb.equal_shares(ids, ballots, costs=costs, budget=budget, completion=completion)
    if seats > len(ids):
        raise DecideError("There are more seats than candidates.")
    if method == "schulze":
        return condorcet.schulze(ids, ballots)
    if method == "ranked-pairs":
        return condorcet.ranked_pairs(ids, ballots)
    if method == "irv":
        return runoff.irv(ids, ballots)
    if method == "stv":
        return runoff.scottish_stv(ids, ballots, seats=seats)
    if method == "plurality":
        return committee.plurality(ids, ballots, seats=seats)
    if method == "approval":
        return committee.approval(ids, ballots, seats=seats)
    if method == "score":
        return committee.score(ids, ballots, seats=seats)
    if method == "pav":
        return committee.pav(ids, ballots, seats=seats)
    return committee.phragmen(ids, ballots, seats=seats)
