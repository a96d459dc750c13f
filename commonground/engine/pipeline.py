"""The whole analysis: votes in, map, groups, consensus, representative and bridging
statements out; `update` folds new votes into a previous analysis."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from commonground.engine.bridging import _bridging
from commonground.engine.mapping import (
    _best_kmeans,
    _kmeanspp,
    _orient,
    kmeans,
    participants_in_conversation,
    silhouette,
    sparse_pca,
)
from commonground.engine.polis_stats import (
    RepStatement,
    comment_stats,
    group_aware_consensus,
    repness_stats,
    select_consensus,
    select_rep_statements,
)
from commonground.engine.votes import VoteMatrix, merge_votes


@dataclass(frozen=True)
class Options:
    seed: int = 0
    min_votes: int = 7  # Pol.is: at least min(7, statements) votes to be placed on the map
    greedy_n: int = 15  # Pol.is: top up to 15 participants by most votes
    base_k: int = 100
    max_groups: int = 5
    pick_max: int = 5
    base_iters: int = 100
    group_restarts: int = 8
    pca_tol: float = 1e-5
    pca_max_iters: int = 200
    # Community Notes' regularization (0.15 on intercepts, 0.03 on factors, on a mean loss),
    # re-expressed per observation so it does not depend on the size of the conversation.
    bridging_lambda_intercept: float = 0.15
    bridging_lambda_factor: float = 0.03
    bridging_iters: int = 30
    # Pol.is only changes the number of groups after the new best k won this many updates in a row.
    group_k_buffer: int = 4


@dataclass
class State:
    """Everything `update` needs to warm-start from a previous analysis."""

    votes: VoteMatrix
    mod_out: frozenset[str]
    options: Options
    in_conv: np.ndarray
    components: np.ndarray | None
    base_centers: np.ndarray | None
    group_centers: dict[int, np.ndarray]
    k_smoother: dict[str, int]
    bridging_params: dict[str, Any] | None


@dataclass
class Result:
    participants: list[str]
    statements: list[str]
    in_conv: np.ndarray  # bool per participant: kept on the map
    projection: np.ndarray  # (n, 2); NaN for participants not kept
    components: np.ndarray  # (2, m)
    center: np.ndarray  # (m,) statement means used to centre the votes
    base_labels: np.ndarray  # base cluster per participant, -1 when not kept
    base_centers: np.ndarray
    group_of_base: np.ndarray
    participant_groups: np.ndarray  # group per participant, -1 when not kept
    group_centers: np.ndarray
    silhouettes: dict[int, float]
    consensus_agree: list[str]
    consensus_disagree: list[str]
    group_aware_consensus: dict[str, float]
    repness: dict[int, list[RepStatement]]
    bridging: dict[str, float]
    state: State = field(repr=False)

    @property
    def n_groups(self) -> int:
        return len(self.group_centers)

    def to_json(self) -> dict[str, Any]:
        """The CLI's output shape (see the module docstring of the management command)."""
        groups = self.participant_groups
        gac = sorted(self.group_aware_consensus.items(), key=lambda kv: -kv[1])
        return {
            "participants": {
                pid: (int(g) if g >= 0 else None)
                for pid, g in zip(self.participants, groups, strict=True)
            },
            "groups": list(range(self.n_groups)),
            "consensus": self.consensus_agree + self.consensus_disagree,
            "group_aware_consensus": [sid for sid, _ in gac],
            "repness": {str(g): [r.statement for r in reps] for g, reps in self.repness.items()},
            "bridging": {sid: round(float(v), 6) for sid, v in self.bridging.items()},
        }


def analyze(
    votes: VoteMatrix,
    *,
    mod_out: Iterable[str] = (),
    options: Options | None = None,
    seed: int | None = None,
    previous: State | None = None,
    already_in: np.ndarray | None = None,
) -> Result:
    """Run the whole analysis. `previous` (from an earlier Result.state) warm-starts it;
    `already_in` marks participants admitted to the map earlier (see `admitted_over_time`)."""
    opts = options or (previous.options if previous else Options())
    if seed is not None:
        opts = replace(opts, seed=seed)
    mod_out_set = frozenset(str(s) for s in mod_out)
    rng = np.random.default_rng(opts.seed)
    x = votes.matrix
    if not sp.isspmatrix_csr(x):
        x = sp.csr_matrix(x)
    n, m = x.shape
    # One index dtype for indices and indptr, so every matrix built below shares them uncopied.
    idx_dtype = np.int32 if x.nnz < 2**31 - 1 and max(n, m) < 2**31 - 1 else np.int64
    indptr = x.indptr.astype(idx_dtype, copy=False)
    indices = x.indices.astype(idx_dtype, copy=False)
    statements = votes.statements
    mod_mask = np.array([s in mod_out_set for s in statements], dtype=bool)
    live_stmt = ~mod_mask
    live_ids = [s for s, keep in zip(statements, live_stmt, strict=True) if keep]

    # --- who is on the map (counts include votes on moderated-out statements, as in Pol.is)
    vote_counts = np.diff(indptr).astype(np.int64)
    # Pol.is's matrix only has columns for statements someone voted on.
    voted_stmt = np.bincount(indices, minlength=m) > 0
    n_cols = int(voted_stmt.sum())
    prev_in = previous.in_conv if previous is not None else already_in
    in_conv = participants_in_conversation(
        vote_counts,
        n_cols,
        min_votes=opts.min_votes,
        greedy_n=opts.greedy_n,
        already_in=prev_in,
    )

    # Votes on live statements only; moderated-out statements drop out of all the math below.
    vals = x.data.astype(np.float64)
    if mod_mask.any():
        live_entry = live_stmt[indices]
        vals[~live_entry] = 0.0
        live_cum = np.concatenate([[0], np.cumsum(live_entry, dtype=np.int64)])
        live_per_row = live_cum[indptr[1:]] - live_cum[indptr[:-1]]
        seen32 = live_entry.astype(np.float32)
        del live_entry, live_cum
    else:
        live_per_row = vote_counts
        seen32 = np.ones(len(vals), dtype=np.float32)
    votes_mat = sp.csr_matrix((vals, indices, indptr), shape=(n, m))
    seen_mat = sp.csr_matrix((seen32, indices, indptr), shape=(n, m))

    # --- PCA on the mean-imputed matrix. Pol.is zeroes moderated-out columns (a pass for
    # everyone), so they add nothing to the PCA but do count as votes when scaling below.
    col_sum = np.asarray(votes_mat.sum(axis=0)).ravel()
    col_cnt = np.asarray(seen_mat.sum(axis=0), dtype=np.float64).ravel()
    center = np.divide(col_sum, col_cnt, out=np.zeros(m), where=col_cnt > 0)
    xc_data = vals - center[indices]
    if mod_mask.any():
        xc_data[seen32 == 0] = 0.0
    xc = sp.csr_matrix((xc_data, indices, indptr), shape=(n, m))
    del xc_data
    start = previous.components if previous is not None else None
    if start is not None and start.shape[1] < m:
        start = np.hstack([start, np.zeros((start.shape[0], m - start.shape[1]))])
    comps = sparse_pca(
        xc,
        2,
        start=start,
        seed=opts.seed,
        tol=opts.pca_tol,
        max_iters=opts.pca_max_iters if previous is None else 2,
        extra=4 if previous is None else 2,
    )
    comps = _orient(comps, start)

    # --- sparsity-aware projection: sqrt(statements / votes) pushes sparse voters outwards
    n_votes_proj = live_per_row + int((mod_mask & voted_stmt).sum())
    raw_proj = np.asarray(xc @ comps.T)
    del xc
    scale = np.sqrt(n_cols / np.maximum(n_votes_proj, 1))
    projection = raw_proj * scale[:, None]
    kept = np.flatnonzero(in_conv)
    pts = projection[kept]

    # --- base clusters (k-means, k = min(100, distinct points)) then opinion groups
    base_labels = np.full(n, -1, dtype=np.int64)
    participant_groups = np.full(n, -1, dtype=np.int64)
    group_centers = np.zeros((0, 2))
    group_of_base = np.zeros(0, dtype=np.int64)
    base_centers = np.zeros((0, 2))
    silhouettes: dict[int, float] = {}
    new_group_centers: dict[int, np.ndarray] = {}
    smoother = dict(previous.k_smoother) if previous is not None else {}
    if len(pts) >= 2:
        # As complex numbers the distinct-point count is a 1-D sort.
        n_distinct = len(np.unique(pts[:, 0] + 1j * pts[:, 1]))
        k_base = min(opts.base_k, n_distinct)
        warm_base = previous.base_centers if previous is not None else None
        if warm_base is not None and len(warm_base) >= min(k_base, 2):
            init = warm_base[:k_base]
            iters = 10
        else:
            init = _kmeanspp(pts, np.ones(len(pts)), k_base, rng)
            iters = opts.base_iters
        base_centers, lab = kmeans(pts, init, max_iters=iters, tol=0.01)
        base_labels[kept] = lab
        sizes = np.bincount(lab, minlength=len(base_centers)).astype(float)

        # Pol.is tries k = 2 .. min(5, 2 + base clusters / 12) and keeps the best silhouette.
        max_k = min(opts.max_groups, 2 + len(base_centers) // 12, len(base_centers))
        candidates: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for k in range(2, max_k + 1):
            warm = previous.group_centers.get(k) if previous is not None else None
            restarts = opts.group_restarts if warm is None else 2
            c, glab = _best_kmeans(base_centers, sizes, k, rng, restarts, warm)
            candidates[k] = (c, glab)
            new_group_centers[k] = c
            silhouettes[k] = silhouette(base_centers, glab)
        if candidates:
            # Ties go to the larger k, as Pol.is's max-key over its k map does.
            this_k = max(silhouettes, key=lambda k: (silhouettes[k], k))
            chosen = _smooth_k(smoother, this_k, opts.group_k_buffer)
            if chosen not in candidates:
                chosen = this_k
                smoother["smoothed_k"] = this_k
            c, glab = candidates[chosen]
            # Number groups by size, largest first, so ids are stable and readable.
            gsize = np.bincount(glab, weights=sizes, minlength=len(c))
            order = np.argsort(-gsize, kind="stable")
            rank = np.empty_like(order)
            rank[order] = np.arange(len(order))
            group_of_base = rank[glab]
            group_centers = c[order]
            participant_groups[kept] = group_of_base[lab]
        else:
            group_of_base = np.zeros(len(base_centers), dtype=np.int64)
            group_centers = base_centers.mean(0, keepdims=True)
            participant_groups[kept] = 0

    # --- counts per group (members kept on the map) and over everyone, in one pass per matrix:
    # with v in {-1, 0, 1}, sum(v) = agrees - disagrees and sum(|v|) = agrees + disagrees.
    n_groups = len(group_centers)
    onehot = np.zeros((n, n_groups + 1), dtype=np.float32)
    grouped = np.flatnonzero(participant_groups >= 0)
    onehot[grouped, participant_groups[grouped]] = 1.0
    onehot[:, n_groups] = 1.0
    net = np.asarray(votes_mat.T @ onehot.astype(np.float64)).T
    abs_mat = sp.csr_matrix((np.abs(vals).astype(np.float32), indices, indptr), shape=(n, m))
    decided = np.asarray(abs_mat.T @ onehot, dtype=np.float64).T
    del abs_mat
    seen_counts = np.rint(np.asarray(seen_mat.T @ onehot, dtype=np.float64).T)
    agree_counts = np.rint((decided + net) / 2)
    disagree_counts = np.rint((decided - net) / 2)
    g_agree, g_disagree, g_seen = agree_counts[:-1], disagree_counts[:-1], seen_counts[:-1]
    all_agree, all_disagree, all_seen = agree_counts[-1], disagree_counts[-1], seen_counts[-1]

    # --- consensus (everyone), group-aware consensus and representative statements (groups)
    cstats = comment_stats(all_agree[live_stmt], all_disagree[live_stmt], all_seen[live_stmt])
    cons_agree, cons_disagree = select_consensus(cstats, live_ids, opts.pick_max)
    if n_groups:
        gac = group_aware_consensus(g_agree[:, live_stmt], g_seen[:, live_stmt])
    else:
        gac = (all_agree[live_stmt] + 1.0) / (all_seen[live_stmt] + 2.0)
    repness: dict[int, list[RepStatement]] = {}
    if n_groups >= 2:
        per_group = repness_stats(
            g_agree[:, live_stmt], g_disagree[:, live_stmt], g_seen[:, live_stmt]
        )
        for g, st in enumerate(per_group):
            repness[g] = select_rep_statements(st, live_ids, opts.pick_max)

    # --- bridging (all votes on live statements)
    init_factor = comps[0] * np.sqrt(max(m, 1))
    params = _bridging(
        votes_mat,
        seen_mat,
        lambda_intercept=opts.bridging_lambda_intercept,
        lambda_factor=opts.bridging_lambda_factor,
        iters=opts.bridging_iters if previous is None else 1,
        init_factor=init_factor,
        warm=previous.bridging_params if previous is not None else None,
    )
    bridging = {sid: float(params["i_s"][j]) for j, sid in enumerate(statements) if live_stmt[j]}

    proj_out = np.full((n, 2), np.nan)
    proj_out[kept] = pts
    state = State(
        votes=votes,
        mod_out=mod_out_set,
        options=opts,
        in_conv=in_conv,
        components=comps,
        base_centers=base_centers if len(base_centers) else None,
        group_centers=new_group_centers,
        k_smoother=smoother,
        bridging_params=params,
    )
    return Result(
        participants=votes.participants,
        statements=statements,
        in_conv=in_conv,
        projection=proj_out,
        components=comps,
        center=center,
        base_labels=base_labels,
        base_centers=base_centers,
        group_of_base=group_of_base,
        participant_groups=participant_groups,
        group_centers=group_centers,
        silhouettes=silhouettes,
        consensus_agree=cons_agree,
        consensus_disagree=cons_disagree,
        group_aware_consensus={sid: float(v) for sid, v in zip(live_ids, gac, strict=True)},
        repness=repness,
        bridging=bridging,
        state=state,
    )


def _smooth_k(smoother: dict[str, int], this_k: int, buffer: int) -> int:
    """Pol.is's group-k smoother: a new k is adopted only after winning `buffer` times in a row."""
    last_k = smoother.get("last_k")
    count = smoother.get("last_k_count", 0) + 1 if last_k == this_k else 1
    smoothed = smoother.get("smoothed_k")
    if count >= buffer or smoothed is None:
        smoothed = this_k
    smoother.update(last_k=this_k, last_k_count=count, smoothed_k=smoothed)
    return smoothed


def update(
    previous: State,
    new_votes: Iterable[tuple[Any, Any, int]],
    *,
    mod_out: Iterable[str] | None = None,
) -> Result:
    """Fold new (participant, statement, vote) triples into a previous analysis, warm-started
    from its components, cluster centres, group k history and bridging fit."""
    triples = list(new_votes)
    if triples:
        pids, sids, vals = zip(*triples, strict=True)
        votes = merge_votes(previous.votes, pids, sids, np.asarray(vals))
    else:
        votes = previous.votes
    return analyze(
        votes,
        mod_out=previous.mod_out if mod_out is None else mod_out,
        previous=previous,
    )
