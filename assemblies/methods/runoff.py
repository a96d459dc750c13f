"""Instant runoff and the single transferable vote (Scottish rules).

Scottish STV follows the Scottish Local Government Elections Order 2007, Schedule 1, rules
45-52: Droop quota on valid papers (rule 46); a candidate reaching the quota is elected
(47); surpluses, largest first, move every paper the candidate holds at
surplus x paper value / candidate's votes, truncated to five decimal places (48, 49);
otherwise the candidate with fewest votes is excluded and each paper moves at its current
value (50); equalities go to the most recent earlier stage where the candidates differed,
then to lot (49, 51); once continuing candidates equal the seats left they are elected (52).

Votes are whole numbers of 1/100,000ths, so the five-decimal truncation is exact.

A ballot's preferences are read until the first tie (two candidates marked equal): as on a
paper ballot marked with the same number twice, nothing after that point can be read.
Lots are drawn deterministically (the candidate later in the given order is excluded); the
count is then repeated with every other choice at each draw, and `tie` is set only if the
result changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .base import Ballot, Outcome

SCALE = 100_000  # five decimal places


def _fmt(units: int) -> str:
    whole, frac = divmod(units, SCALE)
    return f"{whole}.{frac:05d}" if frac else str(whole)


def _strict_prefixes(ballots: Sequence[Ballot]) -> list[tuple[tuple[str, ...], int]]:
    merged: dict[tuple[str, ...], int] = {}
    for b in ballots:
        prefs: list[str] = []
        for group in b.ranking:
            if len(group) != 1:
                break
            prefs.append(group[0])
        if prefs and b.weight:
            key = tuple(prefs)
            merged[key] = merged.get(key, 0) + b.weight
    return list(merged.items())


class _Lot:
    """Deterministic draws that can be replayed with other choices.

    `forced[j]` picks which of the tied candidates (in the given order) the j-th draw
    returns; later draws take the last one. `sizes` records how many were tied at each draw,
    so the count can be repeated with every other choice to see whether a draw mattered.
    """

    def __init__(self, order: dict[str, int], forced: Sequence[int] = ()) -> None:
        self.order, self.forced = order, list(forced)
        self.sizes: list[int] = []

    @property
    def used(self) -> bool:
        return bool(self.sizes)

    def draw(self, tied: list[str]) -> str:
        ranked = sorted(tied, key=self.order.__getitem__)
        j = len(self.sizes)
        self.sizes.append(len(ranked))
        return ranked[self.forced[j] if j < len(self.forced) else len(ranked) - 1]


# Replays tried when deciding whether lots mattered (each is one more full count).
MAX_REPLAYS = 60


def _lots_mattered(count: Callable[[Sequence[int]], tuple[object, list[int]]]) -> bool:
    """Repeat a count with each other choice at each draw (earlier draws as before)."""
    base, sizes = count(())
    replays = 0
    for j, size in enumerate(sizes):
        for choice in range(size - 1):
            if replays >= MAX_REPLAYS:
                return True  # too many draws to clear them all: say the outcome may depend on them
            replays += 1
            prefix = [s - 1 for s in sizes[:j]] + [choice]
            if count(prefix)[0] != base:
                return True
    return False


def _break(tied: list[str], history: list[dict[str, int]], lot: _Lot, *, lowest: bool) -> str:
    """The candidate with the fewest (or most) votes at the most recent stage where they differed."""
    for stage in reversed(history):
        values = {c: stage.get(c, 0) for c in tied}
        if len(set(values.values())) > 1:
            target = min(values.values()) if lowest else max(values.values())
            tied = [c for c in tied if values[c] == target]
            if len(tied) == 1:
                return tied[0]
    return lot.draw(tied)


# --- instant runoff ---------------------------------------------------------------------------


def _irv_count(
    candidates: Sequence[str], parcels: list[tuple[tuple[str, ...], int]], forced: Sequence[int]
) -> dict[str, Any]:
    lot = _Lot({c: i for i, c in enumerate(candidates)}, forced)
    continuing = list(candidates)
    history: list[dict[str, int]] = []
    rounds: list[dict[str, Any]] = []
    eliminated: list[str] = []
    while True:
        alive = set(continuing)
        tally = dict.fromkeys(continuing, 0)
        exhausted = 0
        for prefs, w in parcels:
            top = next((c for c in prefs if c in alive), None)
            if top is None:
                exhausted += w
            else:
                tally[top] += w
        active = sum(tally.values())
        most = max(tally.values())
        leaders = [c for c in continuing if tally[c] == most]
        record: dict[str, Any] = {"round": len(rounds) + 1, "votes": tally, "exhausted": exhausted}
        rounds.append(record)
        if (most * 2 > active and len(leaders) == 1) or len(continuing) == 1:
            winner = leaders[0]
            break
        if len(continuing) == len(leaders):  # everyone left is level
            winner = _break(leaders, history, lot, lowest=False)
            break
        least = min(tally.values())
        out = _break([c for c in continuing if tally[c] == least], history, lot, lowest=True)
        record["eliminated"] = out
        history.append(tally)
        continuing.remove(out)
        eliminated.append(out)
    final = rounds[-1]["votes"]
    rest = sorted((c for c in continuing if c != winner), key=lambda c: -final[c])
    return {
        "winner": winner,
        "ranking": [winner, *rest, *reversed(eliminated)],
        "rounds": rounds,
        "draws": lot.sizes,
    }


def irv(candidates: Sequence[str], ballots: Sequence[Ballot]) -> Outcome:
    """Instant runoff: eliminate the last in first preferences until one has a majority."""
    parcels = _strict_prefixes(ballots)
    count = _irv_count(candidates, parcels, ())

    def replay(forced: Sequence[int]) -> tuple[object, list[int]]:
        again = _irv_count(candidates, parcels, forced)
        return again["winner"], again["draws"]

    tie = bool(count["draws"]) and _lots_mattered(replay)
    return Outcome(
        method="irv",
        winners=[count["winner"]],
        ranking=count["ranking"],
        tie=tie,
        tie_note="The winner depended on drawing lots between tied candidates." if tie else "",
        rounds=count["rounds"],
    )


# --- Scottish STV -----------------------------------------------------------------------------


def _stv_count(
    candidates: Sequence[str],
    parcels: list[tuple[tuple[str, ...], int]],
    seats: int,
    forced: Sequence[int],
) -> dict[str, Any]:
    lot = _Lot({c: i for i, c in enumerate(candidates)}, forced)
    # A paper bundle: [preferences, index of the candidate holding it, value, count]
    papers: list[list[Any]] = []
    piles: dict[str, list[int]] = {c: [] for c in candidates}
    votes = dict.fromkeys(candidates, 0)
    for prefs, w in parcels:
        piles[prefs[0]].append(len(papers))
        papers.append([prefs, 0, SCALE, w])
        votes[prefs[0]] += SCALE * w
    valid = sum(p[3] for p in papers)
    quota = valid // (seats + 1) + 1  # rule 46
    q = quota * SCALE
    continuing = list(candidates)
    elected: list[str] = []
    pending: list[str] = []  # elected with a surplus not yet transferred
    history: list[dict[str, int]] = [dict(votes)]
    stages: list[dict[str, Any]] = [
        {"stage": 1, "action": "first preferences", "votes": {c: _fmt(v) for c, v in votes.items()}}
    ]

    def elect_reaching_quota() -> list[str]:
        reached = [c for c in continuing if votes[c] >= q]
        ordered: list[str] = []
        while reached:  # most votes first; equal ones by the earlier stages
            top = max(votes[c] for c in reached)
            tied = [c for c in reached if votes[c] == top]
            pick = tied[0] if len(tied) == 1 else _break(tied, history[:-1], lot, lowest=False)
            ordered.append(pick)
            reached.remove(pick)
        for c in ordered:
            continuing.remove(c)
            elected.append(c)
            if votes[c] > q:
                pending.append(c)
        return ordered

    def move(bundle_ids: list[int], factor: tuple[int, int] | None) -> tuple[dict[str, int], int]:
        alive = set(continuing)
        moved: dict[str, int] = {}
        lost = 0
        for i in bundle_ids:
            prefs, at, value, count = papers[i]
            new_value = value if factor is None else factor[0] * value // factor[1]
            nxt = next((j for j in range(at + 1, len(prefs)) if prefs[j] in alive), None)
            if nxt is None or new_value == 0:
                lost += new_value * count
                continue
            to = prefs[nxt]
            papers[i][1], papers[i][2] = nxt, new_value
            piles[to].append(i)
            votes[to] += new_value * count
            moved[to] = moved.get(to, 0) + new_value * count
        return moved, lost

    first_elected = elect_reaching_quota()
    if first_elected:
        stages[0]["elected"] = first_elected
    while len(elected) < seats:
        if len(continuing) <= seats - len(elected):  # rule 52
            rest = sorted(continuing, key=lambda c: -votes[c])
            stages.append({"stage": len(stages) + 1, "action": "last vacancies", "elected": rest})
            elected.extend(rest)
            continuing.clear()
            break
        record: dict[str, Any] = {"stage": len(stages) + 1}
        if pending:
            top = max(votes[c] - q for c in pending)
            tied = [c for c in pending if votes[c] - q == top]
            c = tied[0] if len(tied) == 1 else _break(tied, history, lot, lowest=False)
            pending.remove(c)
            surplus, total = votes[c] - q, votes[c]
            moved, _ = move(piles[c], (surplus, total))
            lost = surplus - sum(moved.values())  # papers with no next preference, and truncation
            piles[c] = []
            votes[c] = q
            record.update(action="surplus", candidate=c, surplus=_fmt(surplus))
        else:
            least = min(votes[x] for x in continuing)
            tied = [x for x in continuing if votes[x] == least]
            c = tied[0] if len(tied) == 1 else _break(tied, history, lot, lowest=True)
            continuing.remove(c)
            moved, lost = move(piles[c], None)
            piles[c] = []
            votes[c] = 0
            record.update(action="exclusion", candidate=c)
        record["transfers"] = {to: _fmt(v) for to, v in moved.items()}
        record["non_transferable"] = _fmt(lost)
        history.append(dict(votes))
        newly = elect_reaching_quota()
        if newly:
            record["elected"] = newly
        record["votes"] = {x: _fmt(v) for x, v in votes.items()}
        stages.append(record)
    return {
        "elected": elected[:seats],
        "stages": stages,
        "quota": quota,
        "valid": valid,
        "draws": lot.sizes,
    }


def scottish_stv(candidates: Sequence[str], ballots: Sequence[Ballot], *, seats: int) -> Outcome:
    parcels = _strict_prefixes(ballots)
    count = _stv_count(candidates, parcels, seats, ())

    def replay(forced: Sequence[int]) -> tuple[object, list[int]]:
        again = _stv_count(candidates, parcels, seats, forced)
        return frozenset(again["elected"]), again["draws"]

    tie = bool(count["draws"]) and _lots_mattered(replay)
    elected = count["elected"]
    return Outcome(
        method="stv",
        winners=elected,
        ranking=elected + [c for c in candidates if c not in elected],
        tie=tie,
        tie_note="Who was elected depended on drawing lots between tied candidates." if tie else "",
        rounds=count["stages"],
        details={"quota": count["quota"], "valid_papers": count["valid"], "seats": seats},
    )
