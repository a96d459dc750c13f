"""Our methods against the libraries on random small elections; prints agreement counts.

    /path/to/venv-with-libs/bin/python bench/decide/crosscheck.py [--n 200]

Needs pref_voting, abcvoting and pabutools (a separate virtualenv: they are heavy). Only
elections without ties in the compared outcome count (libraries break ties differently).
"""

from __future__ import annotations

import argparse
import random
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from assemblies.methods import Ballot, decide  # noqa: E402


def ranked_profile(rng: random.Random, m: int, n: int) -> list[list[int]]:
    return [rng.sample(range(m), rng.randint(1, m)) for _ in range(n)]


def check_ranked(rng: random.Random, trials: int) -> dict[str, list[int]]:
    from pref_voting.iterative_methods import instant_runoff
    from pref_voting.margin_based_methods import beat_path, ranked_pairs
    from pref_voting.profiles_with_ties import ProfileWithTies
    from pref_voting.proportional_methods import stv_scottish

    tally = {k: [0, 0] for k in ("schulze", "ranked-pairs", "irv", "stv")}
    for _ in range(trials):
        m, n = rng.randint(3, 6), rng.randint(5, 60)
        prof_raw = ranked_profile(rng, m, n)
        cands = [str(c) for c in range(m)]
        ballots = [Ballot(ranking=tuple((str(c),) for c in r)) for r in prof_raw]
        prof = ProfileWithTies(
            [{c: i for i, c in enumerate(r)} for r in prof_raw], candidates=list(range(m))
        )
        prof.use_extended_strict_preference()
        for name, lib in (("schulze", beat_path), ("ranked-pairs", ranked_pairs)):
            ours = decide(name, cands, ballots)
            theirs = lib(prof)
            if not ours.tie and len(theirs) == 1:
                tally[name][0] += 1
                tally[name][1] += ours.winners == [str(theirs[0])]
        full = [r for r in prof_raw if len(r) == m]
        if full:
            fprof = ProfileWithTies(
                [{c: i for i, c in enumerate(r)} for r in full], candidates=list(range(m))
            )
            ours = decide("irv", cands, [Ballot(ranking=tuple((str(c),) for c in r)) for r in full])
            theirs = instant_runoff(fprof)
            if not ours.tie and len(theirs) == 1:
                tally["irv"][0] += 1
                tally["irv"][1] += ours.winners == [str(theirs[0])]
        seats = 2
        ours = decide("stv", cands, ballots, seats=seats)
        theirs = stv_scottish(prof, num_seats=seats)
        if not ours.tie and len(theirs) == seats:
            tally["stv"][0] += 1
            tally["stv"][1] += set(ours.winners) == {str(c) for c in theirs}
    return tally


def check_approval(rng: random.Random, trials: int) -> dict[str, list[int]]:
    from abcvoting import abcrules
    from abcvoting.preferences import Profile

    tally = {k: [0, 0] for k in ("pav", "phragmen")}
    for _ in range(trials):
        m, n, k = rng.randint(4, 7), rng.randint(5, 40), 3
        sets = [rng.sample(range(m), rng.randint(1, m - 1)) for _ in range(n)]
        prof = Profile(m)
        prof.add_voters(sets)
        cands = [str(c) for c in range(m)]
        ballots = [Ballot.approving(*map(str, s)) for s in sets]
        for name, rule in (("pav", "pav"), ("phragmen", "seqphragmen")):
            ours = decide(name, cands, ballots, seats=k)
            theirs = abcrules.compute(rule, prof, k, resolute=False)
            if not ours.tie and len(theirs) == 1:
                tally[name][0] += 1
                tally[name][1] += set(ours.winners) == {str(c) for c in theirs[0]}
    return tally


def check_mes(rng: random.Random, trials: int) -> dict[str, list[int]]:
    from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, Project
    from pabutools.rules import method_of_equal_shares

    tally = {"equal-shares": [0, 0]}
    for _ in range(trials):
        m, n = rng.randint(4, 9), rng.randint(5, 50)
        costs = {str(p): Decimal(rng.randint(1, 40) * 10) for p in range(m)}
        budget = Decimal(rng.randint(100, 600))
        projects = {p: Project(p, Fraction(int(c))) for p, c in costs.items()}
        inst = Instance(projects.values(), budget_limit=Fraction(int(budget)))
        sets = [rng.sample(list(costs), rng.randint(1, m)) for _ in range(n)]
        prof = ApprovalProfile([ApprovalBallot([projects[p] for p in s]) for s in sets])
        ours = decide(
            "equal-shares",
            list(costs),
            [Ballot.approving(*s) for s in sets],
            costs=costs,
            budget=budget,
            completion=None,
        )
        theirs = method_of_equal_shares(inst, prof, sat_class=Cost_Sat, resoluteness=False)
        if not ours.tie and len(theirs) == 1:
            tally["equal-shares"][0] += 1
            tally["equal-shares"][1] += set(ours.winners) == {p.name for p in theirs[0]}
    return tally


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    for check in (check_ranked, check_approval, check_mes):
        for method, (compared, agreed) in check(rng, args.n).items():
            print(f"{method:14} agreed on {agreed}/{compared} tie-free elections")


if __name__ == "__main__":
    main()
