"""Turn an engine result into what the results page shows. Pure numpy/scipy, no Django.

The stored summary is plain JSON: points on the map, groups with their outlines, and the
statement lists (what each group stands for, what bridges, what divides), each statement given
with per-group agree/disagree counts so the page can show the numbers behind every claim.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.spatial import ConvexHull, QhullError

from commonground.engine import Result, VoteMatrix
from commonground.engine.common_ground import find_common_ground

LIST_SIZE = 8


def _hull(points: np.ndarray) -> list[list[float]]:
    if len(points) < 3:
        return [[round(float(x), 4), round(float(y), 4)] for x, y in points]
    try:
        hull = ConvexHull(points)
    except QhullError:
        # All on a line: the two ends outline it.
        order = np.lexsort((points[:, 1], points[:, 0]))
        ends = points[[order[0], order[-1]]]
        return [[round(float(x), 4), round(float(y), 4)] for x, y in ends]
    return [[round(float(x), 4), round(float(y), 4)] for x, y in points[hull.vertices]]


def _group_counts(
    matrix: sp.csr_matrix, groups: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Agree, disagree and seen counts per (group, statement) for participants on the map."""
    n = matrix.shape[0]
    onehot = sp.csr_matrix(
        (np.ones(int((groups >= 0).sum())), (np.flatnonzero(groups >= 0), groups[groups >= 0])),
        shape=(n, max(n_groups, 1)),
    )
    x = matrix.astype(np.float64)
    agree = np.asarray((onehot.T @ (x == 1).astype(np.float64)).todense())
    disagree = np.asarray((onehot.T @ (x == -1).astype(np.float64)).todense())
    seen_mat = sp.csr_matrix((np.ones(len(x.data)), x.indices, x.indptr), shape=x.shape)
    seen = np.asarray((onehot.T @ seen_mat).todense())
    return agree[:n_groups], disagree[:n_groups], seen[:n_groups]


def summarize(votes: VoteMatrix, result: Result, *, list_size: int = LIST_SIZE) -> dict[str, Any]:
    """The JSON the hub stores for one analysis. Participant and statement ids are the
    strings the VoteMatrix was built with."""
    groups = result.participant_groups
    n_groups = result.n_groups
    on_map = np.flatnonzero(result.in_conv & ~np.isnan(result.projection[:, 0]))
    points = [
        [
            votes.participants[i],
            round(float(result.projection[i, 0]), 4),
            round(float(result.projection[i, 1]), 4),
            int(groups[i]),
        ]
        for i in on_map
    ]
    agree, disagree, seen = _group_counts(votes.matrix, groups, n_groups)
    col_of = {sid: j for j, sid in enumerate(votes.statements)}

    def counts(sid: str) -> list[list[int]]:
        j = col_of[sid]
        return [[int(agree[g, j]), int(disagree[g, j]), int(seen[g, j])] for g in range(n_groups)]

    group_list = []
    for g in range(n_groups):
        members = np.flatnonzero(groups == g)
        pts = result.projection[members]
        group_list.append(
            {
                "id": g,
                "size": len(members),
                "center": [round(float(v), 4) for v in pts.mean(axis=0)] if len(pts) else [0, 0],
                "hull": _hull(pts),
            }
        )

    repness = {
        str(g): [
            {
                "statement": r.statement,
                "repful_for": r.repful_for,
                "n_success": r.n_success,
                "n_trials": r.n_trials,
                "p_success": round(r.p_success, 4),
                "repness": round(r.repness, 4),
            }
            for r in reps
        ]
        for g, reps in result.repness.items()
    }

    live = list(result.group_aware_consensus)
    # Divisive: the widest gap between groups' (smoothed) agree rates, among statements each
    # group has actually seen.
    divisive: list[tuple[str, float]] = []
    if n_groups >= 2:
        for sid in live:
            j = col_of[sid]
            if (seen[:, j] < 1).any():
                continue
            rate = (agree[:, j] + 1) / (seen[:, j] + 2) - (disagree[:, j] + 1) / (seen[:, j] + 2)
            divisive.append((sid, float(rate.max() - rate.min())))
        divisive.sort(key=lambda kv: -kv[1])
    gac = sorted(result.group_aware_consensus.items(), key=lambda kv: -kv[1])
    bridging = sorted(result.bridging.items(), key=lambda kv: -kv[1])
    common = _common_ground(votes, result, live, agree, disagree, seen, col_of, list_size)

    shown = {sid for sid, _ in gac[:list_size]}
    shown |= {sid for sid, _ in bridging[:list_size]}
    shown |= {sid for sid, _ in divisive[:list_size]}
    shown |= {str(r["statement"]) for reps in repness.values() for r in reps}
    shown |= set(result.consensus_agree) | set(result.consensus_disagree)
    shown |= {str(sid) for key in ("agree", "disagree", "bridging") for sid in common[key]}

    return {
        "participants": points,
        "n_participants": len(votes.participants),
        "n_statements": len(live),
        "groups": group_list,
        "repness": repness,
        "consensus": {"agree": result.consensus_agree, "disagree": result.consensus_disagree},
        "group_aware_consensus": [[sid, round(v, 4)] for sid, v in gac[:list_size]],
        "bridging": [[sid, round(v, 4)] for sid, v in bridging[:list_size]],
        "divisive": [[sid, round(v, 4)] for sid, v in divisive[:list_size]],
        # The only lists the page may call common ground or bridging (see engine.common_ground);
        # the score lists above are rankings, which always have a top.
        "common_ground": common,
        "group_votes": {sid: counts(sid) for sid in sorted(shown)},
    }


def _common_ground(
    votes: VoteMatrix,
    result: Result,
    live: list[str],
    agree: np.ndarray,
    disagree: np.ndarray,
    seen: np.ndarray,
    col_of: dict[str, int],
    list_size: int,
) -> dict[str, Any]:
    """Common ground among the opinion groups; with fewer than two groups, among everyone who
    voted (one group of the whole room)."""
    if result.n_groups < 2:
        everyone = np.zeros(len(votes.participants), dtype=np.int64)
        agree, disagree, seen = _group_counts(votes.matrix, everyone, 1)
    cols = [col_of[sid] for sid in live]
    found = find_common_ground(
        live,
        agree[:, cols],
        disagree[:, cols],
        seen[:, cols],
        consensus_score=result.group_aware_consensus,
        bridging_score=result.bridging,
    )
    return found.to_json(limit=list_size)
