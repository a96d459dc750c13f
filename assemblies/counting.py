"""Counting a question from its stored ballots: the yes/no methods in assemblies.motions, the
others through assemblies.methods.decide. The same ballots give the same result every time, so
anyone who may see them can check a tally.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Sum

from assemblies import motions
from assemblies.methods import Ballot as MethodBallot
from assemblies.methods import DecideError, decide
from assemblies.models import (
    APPROVALS,
    RANKED,
    Ballot,
    BallotSource,
    Concern,
    ConcernKind,
    Method,
    Question,
)


def _key(content: Any) -> str:
    return json.dumps(content, sort_keys=True)


def grouped_ballots(question: Question) -> list[tuple[dict[str, Any], str, int]]:
    """(content, source, total weight) for each distinct ballot. The database groups identical
    ballots, so a round of a hundred thousand votes on three positions is three rows here."""
    rows: Counter[tuple[str, str]] = Counter()
    contents: dict[str, dict[str, Any]] = {}
    grouped = (
        Ballot.objects.filter(question=question)
        .values_list("content", "source")
        .annotate(total=Sum("weight"))
        .order_by()
    )
    for content, source, total in grouped:
        # Equal ballots written with their keys in another order are still one ballot.
        key = _key(content)
        contents.setdefault(key, content)
        rows[(key, source)] += int(total or 0)
    return [(contents[k], source, w) for (k, source), w in rows.items()]


def method_ballot(question: Question, content: dict[str, Any], weight: int) -> MethodBallot:
    if question.method in RANKED:
        ranking = tuple(tuple(str(c) for c in group) for group in content.get("ranking", []))
        return MethodBallot(ranking=ranking, weight=weight)
    if question.method == Method.PLURALITY:
        choice = content.get("choice")
        return MethodBallot(ranking=((str(choice),),) if choice else (), weight=weight)
    if question.method == Method.SCORE:
        scores = {str(k): Decimal(v) for k, v in content.get("scores", {}).items()}
        return MethodBallot(scores=scores, weight=weight)
    approvals = frozenset(str(c) for c in content.get("approvals", []))
    return MethodBallot(approvals=approvals, weight=weight)


def _motion(question: Question, grouped: list[tuple[dict[str, Any], str, int]]) -> motions.Motion:
    if question.method == Method.CONSENT:
        counts: Counter[str] = Counter()
        for content, _source, weight in grouped:
            counts[str(content.get("position", ""))] += weight
        blocks = [
            motions.Block(answered=bool(answer))
            for answer in Concern.objects.filter(
                question=question, kind=ConcernKind.BLOCK, withdrawn=False
            ).values_list("answer", flat=True)
        ]
        return motions.consent(dict(counts), blocks, quorum=question.quorum)
    threshold = (
        Fraction(question.threshold).limit_denominator(1000)
        if question.method == Method.QUALIFIED and question.threshold
        else Fraction(1, 2)
    )
    people = [(str(c.get("position")), w) for c, s, w in grouped if s != BallotSource.GROUP]
    groups = [(str(c.get("position")), w) for c, s, w in grouped if s == BallotSource.GROUP]
    if question.double_majority:
        return motions.double_majority(
            motions.tally_of(people),
            motions.tally_of(groups),
            threshold=threshold,
            quorum=question.quorum,
            group_quorum=question.group_quorum,
        )
    return motions.majority(
        motions.tally_of(people + groups), threshold=threshold, quorum=question.quorum
    )


def _plain(value: Any) -> Any:
    """JSON-ready: decimals and fractions as strings, tuples and sets as lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal | Fraction):
        return str(value)
    return value


def compute(question: Question) -> dict[str, Any]:
    """The result of `question` from its ballots now, as the results page and the stored
    `Question.result` hold it."""
    grouped = grouped_ballots(question)
    total = sum(w for _c, s, w in grouped)
    groups_voted = sum(1 for _c, s, _w in grouped if s == BallotSource.GROUP)
    base: dict[str, Any] = {"ballots": total, "groups_voted": groups_voted}
    if question.yes_no:
        motion = _motion(question, grouped)
        return {**base, "kind": "motion", **_plain(motion.as_dict())}
    options = list(question.options.all())
    labels = {str(o.pk): o.label for o in options}
    if total == 0:
        return {**base, "kind": "outcome", "passed": False, "reason": motions.NO_VOTES}
    if total < question.quorum:
        return {**base, "kind": "outcome", "passed": False, "reason": motions.NO_QUORUM}
    ballots = [method_ballot(question, c, w) for c, _s, w in grouped]
    costs = {str(o.pk): o.cost or Decimal(0) for o in options}
    try:
        outcome = decide(
            question.method,
            list(labels),
            ballots,
            seats=question.seats,
            costs=costs if question.method in (Method.GREEDY, Method.EQUAL_SHARES) else None,
            budget=question.budget,
        )
    except DecideError as error:
        return {**base, "kind": "outcome", "passed": False, "reason": "error", "error": str(error)}
    return {
        **base,
        "kind": "outcome",
        "passed": bool(outcome.winners),
        "reason": motions.TIE if outcome.tie else motions.PASSED,
        "tie": outcome.tie,
        "tie_note": outcome.tie_note,
        "winners": [labels.get(str(w), str(w)) for w in outcome.winners],
        "ranking": [labels.get(str(w), str(w)) for w in outcome.ranking],
        "rounds": _plain(outcome.rounds),
        "details": _plain(outcome.details),
    }


__all__ = ["APPROVALS", "compute", "grouped_ballots", "method_ballot"]
