"""Opinion maps and common ground from agree / disagree / pass votes.

Pure numpy/scipy (no Django), so it can run in a worker, a CLI or a benchmark alike.

The method follows Pol.is's own math (polismath conversation.clj, pca.clj, clusters.clj,
repness.clj): who is kept, the sparsity-aware 2-D projection, 100 base clusters, 2-5 opinion
groups chosen by silhouette on the base-cluster centres, group-aware consensus, representative
statements with Pol.is's one-sided proportion tests, and overall consensus. A second, independent
lens scores each statement for bridging with a regularized intercept + one-factor matrix
factorization in the style of Community Notes.

Votes arrive as a scipy CSR matrix of participants x statements whose *stored* entries are votes:
+1 agree, -1 disagree and a stored 0 for pass; entries that are not stored were never seen. Build
one with `vote_matrix_from_triples` rather than by hand, so passes survive as stored zeros.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

# Pol.is's one-sided 90% significance threshold for its z statistics (stats.clj).
Z_90 = 1.2816


# --------------------------------------------------------------------------- inputs


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


# --------------------------------------------------------------------------- outputs


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
class RepStatement:
    statement: str
    repful_for: str  # "agree" or "disagree"
    n_success: int
    n_trials: int
    p_success: float
    p_test: float
    repness: float
    repness_test: float
    best_agree: bool = False


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


# --------------------------------------------------------------------------- Pol.is statistics


def prop_test(succ: np.ndarray | float, n: np.ndarray | float) -> np.ndarray:
    """Pol.is's one-proportion z statistic with a +1 prior on successes and trials."""
    succ = np.asarray(succ, dtype=float) + 1
    n = np.asarray(n, dtype=float) + 1
    return 2 * np.sqrt(n) * (succ / n - 0.5)


def two_prop_test(
    succ_in: np.ndarray | float,
    succ_out: np.ndarray | float,
    pop_in: np.ndarray | float,
    pop_out: np.ndarray | float,
) -> np.ndarray:
    """Pol.is's two-proportion z statistic (in-group vs the rest), each count plus one."""
    s1 = np.asarray(succ_in, dtype=float) + 1
    s2 = np.asarray(succ_out, dtype=float) + 1
    n1 = np.asarray(pop_in, dtype=float) + 1
    n2 = np.asarray(pop_out, dtype=float) + 1
    pi_hat = (s1 + s2) / (n1 + n2)
    denom = np.sqrt(pi_hat * (1 - pi_hat) * (1 / n1 + 1 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (s1 / n1 - s2 / n2) / denom
    # Pol.is answers 0 when everyone on both sides succeeded (pi-hat = 1).
    return np.where(pi_hat == 1, 0.0, z)


def comment_stats(na: np.ndarray, nd: np.ndarray, ns: np.ndarray) -> dict[str, np.ndarray]:
    """Pol.is's per-statement stats: smoothed agree/disagree shares and their z statistics."""
    na, nd, ns = (np.asarray(x, dtype=float) for x in (na, nd, ns))
    return {
        "na": na,
        "nd": nd,
        "ns": ns,
        "pa": (1 + na) / (2 + ns),
        "pd": (1 + nd) / (2 + ns),
        "pat": prop_test(na, ns),
        "pdt": prop_test(nd, ns),
    }


def repness_stats(
    agree: np.ndarray, disagree: np.ndarray, seen: np.ndarray
) -> list[dict[str, np.ndarray]]:
    """Per group, stats of each statement compared with all other groups pooled.

    `agree`, `disagree` and `seen` are (groups x statements) counts; `seen` includes passes.
    """
    out = []
    for g in range(agree.shape[0]):
        s = comment_stats(agree[g], disagree[g], seen[g])
        ra_n = agree.sum(axis=0) - agree[g]
        rd_n = disagree.sum(axis=0) - disagree[g]
        rs_n = seen.sum(axis=0) - seen[g]
        s["ra"] = s["pa"] / ((1 + ra_n) / (2 + rs_n))
        s["rd"] = s["pd"] / ((1 + rd_n) / (2 + rs_n))
        s["rat"] = two_prop_test(s["na"], ra_n, s["ns"], rs_n)
        s["rdt"] = two_prop_test(s["nd"], rd_n, s["ns"], rs_n)
        out.append(s)
    return out


def _finalize(sid: str, st: dict[str, float]) -> RepStatement:
    if st["rat"] > st["rdt"]:
        return RepStatement(
            sid, "agree", int(st["na"]), int(st["ns"]), st["pa"], st["pat"], st["ra"], st["rat"]
        )
    return RepStatement(
        sid, "disagree", int(st["nd"]), int(st["ns"]), st["pd"], st["pdt"], st["rd"], st["rdt"]
    )


def _metric(r: RepStatement) -> float:
    return r.repness * r.repness_test * r.p_success * r.p_test


def _beats_best_agree(st: dict[str, float], best: dict[str, float] | None) -> bool:
    if st["na"] == 0 and st["nd"] == 0:
        return False
    if best is not None and best["ra"] > 1.0:
        return bool(
            st["ra"] * st["rat"] * st["pa"] * st["pat"]
            > best["ra"] * best["rat"] * best["pa"] * best["pat"]
        )
    if best is not None:
        return bool(st["pa"] * st["pat"] > best["pa"] * best["pat"])
    return bool(st["pat"] > Z_90 or (st["ra"] > 1.0 and st["pa"] > 0.5))


def select_rep_statements(
    stats: dict[str, np.ndarray], statement_ids: Sequence[str], pick_max: int = 5
) -> list[RepStatement]:
    """Pol.is's select-rep-comments for one group, statements taken in column order."""
    sufficient: list[RepStatement] = []
    best: RepStatement | None = None
    best_agree: dict[str, float] | None = None
    keys = ("na", "nd", "ns", "pa", "pd", "pat", "pdt", "ra", "rd", "rat", "rdt")
    for j, sid in enumerate(statement_ids):
        st = {k: float(stats[k][j]) for k in keys}
        passes = (st["rat"] > Z_90 and st["pat"] > Z_90) or (st["rdt"] > Z_90 and st["pdt"] > Z_90)
        if passes:
            sufficient.append(_finalize(sid, st))
        # Pol.is stores the best's test value as a 32-bit float and compares against that.
        if not sufficient and (
            best is None or max(st["rat"], st["rdt"]) > float(np.float32(best.repness_test))
        ):
            best = _finalize(sid, st)
        if _beats_best_agree(st, best_agree):
            best_agree = dict(st, sid=sid)  # type: ignore[arg-type]
    head: list[RepStatement] = []
    agree_rep = None
    if best_agree is not None:
        agree_rep = _finalize(str(best_agree["sid"]), best_agree)
        agree_rep.best_agree = True
        head = [agree_rep]
    elif best is not None:
        head = [best]
    if not sufficient:
        return head
    rest = [r for r in sufficient if agree_rep is None or r.statement != agree_rep.statement]
    rest.sort(key=lambda r: -_metric(r))
    chosen = ([agree_rep] if agree_rep else []) + rest
    chosen = chosen[:pick_max]
    return [r for r in chosen if r.repful_for == "agree"] + [
        r for r in chosen if r.repful_for == "disagree"
    ]


def select_consensus(
    stats: dict[str, np.ndarray], statement_ids: Sequence[str], pick_max: int = 5
) -> tuple[list[str], list[str]]:
    """Pol.is's select-consensus-comments: most agreed / most disagreed, significant at 90%."""
    out = []
    for p, t in (("pa", "pat"), ("pd", "pdt")):
        ok = (stats[p] > 0.5) & (stats[t] > Z_90)
        metric = stats[p] * stats[t]
        idx = np.flatnonzero(ok)
        idx = idx[np.argsort(-metric[idx], kind="stable")][:pick_max]
        out.append([statement_ids[int(j)] for j in idx])
    return out[0], out[1]


def group_aware_consensus(agree: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Pol.is: product over groups of (1 + agrees in group) / (2 + votes in group)."""
    return np.prod((agree + 1.0) / (seen + 2.0), axis=0)


# --------------------------------------------------------------------------- participants


def participants_in_conversation(
    vote_counts: np.ndarray,
    n_statements: int,
    *,
    min_votes: int = 7,
    greedy_n: int = 15,
    already_in: np.ndarray | None = None,
) -> np.ndarray:
    """Pol.is's in-conv rule: min(7, statements) votes, topped up to 15 by most votes.

    Once a participant is in, they stay in (`already_in`).
    """
    keep = vote_counts >= min(min_votes, n_statements)
    keep &= vote_counts > 0
    if already_in is not None:
        keep[: len(already_in)] |= already_in
    short = greedy_n - int(keep.sum())
    if short > 0:
        # Stable sort: among equal counts the earlier participant wins.
        candidates = np.flatnonzero(~keep & (vote_counts > 0))
        order = candidates[np.argsort(-vote_counts[candidates], kind="stable")]
        keep[order[:short]] = True
    return keep


def admitted_over_time(
    rows: np.ndarray, cols: np.ndarray, n: int, *, min_votes: int = 7
) -> np.ndarray:
    """Who met Pol.is's vote rule at some moment while the vote log (in time order) grew.

    The rule asks for min(7, statements so far) votes, and once in, a participant stays in, so
    early voters who answered every statement that existed then are kept even with few votes.
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if len(rows) == 0:
        return np.zeros(n, dtype=bool)
    m = int(cols.max()) + 1
    # Re-votes on the same statement do not add to a participant's count.
    _, first_pair = np.unique(rows * m + cols, return_index=True)
    is_first = np.zeros(len(rows), dtype=bool)
    is_first[first_pair] = True
    _, first_col = np.unique(cols, return_index=True)
    new_col = np.zeros(len(rows), dtype=bool)
    new_col[first_col] = True
    n_statements = np.cumsum(new_col)
    # Running count of distinct votes per participant, at each of their votes.
    order = np.argsort(rows, kind="stable")
    grp = rows[order]
    inc = is_first[order].astype(np.int64)
    csum = np.cumsum(inc)
    starts = np.r_[0, np.flatnonzero(grp[1:] != grp[:-1]) + 1]
    base = np.repeat(csum[starts] - inc[starts], np.diff(np.r_[starts, len(grp)]))
    running = np.empty(len(rows), dtype=np.int64)
    running[order] = csum - base
    ok = is_first & (running >= np.minimum(min_votes, n_statements))
    admitted = np.zeros(n, dtype=bool)
    admitted[rows[ok]] = True
    return admitted


# --------------------------------------------------------------------------- PCA


def _orthonormal(a: np.ndarray) -> np.ndarray:
    q, _ = np.linalg.qr(a)
    return q


def sparse_pca(
    xc: sp.csr_matrix,
    n_comps: int = 2,
    *,
    start: np.ndarray | None = None,
    seed: int = 0,
    tol: float = 1e-6,
    max_iters: int = 200,
    extra: int = 4,
) -> np.ndarray:
    """Top principal directions of an already-centred sparse matrix by block subspace iteration.

    Pol.is runs power iteration on the mean-imputed matrix; after centring, an imputed entry is
    exactly zero, so the centred matrix keeps the sparsity of the votes and is never densified.
    `start` (previous components) warm-starts the iteration.
    """
    m = xc.shape[1]
    b = min(m, n_comps + extra)
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((m, b))
    if start is not None and start.shape[1] == m:
        v[:, : len(start)] = start.T
    v = _orthonormal(v)
    xt = xc.T
    evals = np.zeros(b)
    u = np.eye(b)
    for _ in range(max_iters):
        z = xt @ (xc @ v)
        h = v.T @ z
        evals, u = np.linalg.eigh((h + h.T) / 2)
        evals, u = evals[::-1], u[:, ::-1]
        # Residual of the leading Ritz pairs: how far they are from true eigenpairs.
        lead = u[:, :n_comps]
        resid = z @ lead - v @ (lead * evals[:n_comps])
        scale = max(evals[0], 1e-12)
        v = _orthonormal(z @ u)
        if np.linalg.norm(resid, axis=0).max() <= tol * scale:
            break
    comps = v[:, :n_comps].T.copy()
    if m < n_comps:
        comps = np.vstack([comps, np.zeros((n_comps - len(comps), m))])
    return comps


def _orient(comps: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    """Fix each component's sign: match the previous map, else largest loading positive."""
    comps = comps.copy()
    for i, c in enumerate(comps):
        if previous is not None and previous.shape == comps.shape:
            flip = float(c @ previous[i]) < 0
        else:
            flip = c[np.argmax(np.abs(c))] < 0 if c.size else False
        if flip:
            comps[i] = -c
    return comps


# --------------------------------------------------------------------------- k-means


def _sqdist(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    d = (x * x).sum(1)[:, None] - 2 * x @ c.T + (c * c).sum(1)[None, :]
    return np.maximum(d, 0)


def _assign(x: np.ndarray, c: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Nearest centre per point. |x|^2 is the same for every centre, so x.(-2c) + |c|^2 ranks
    the centres; float32 blocks that stay in cache make this the fast path of k-means."""
    w = (-2 * c.T).astype(np.float32)
    b = (c * c).sum(1).astype(np.float32)
    x32 = x.astype(np.float32)
    labels = np.empty(len(x), dtype=np.int64)
    for s in range(0, len(x), chunk):
        d = x32[s : s + chunk] @ w
        d += b
        labels[s : s + chunk] = d.argmin(1)
    return labels


def _kmeanspp(
    x: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator, sample: int = 20000
) -> np.ndarray:
    """Greedy k-means++: each new centre is the best of a few D^2-weighted candidates, which
    makes the result depend much less on the seed than plain k-means++. Large inputs seed
    from a uniform sample, which is plenty for placing 100 starting centres."""
    if len(x) > sample:
        pick = np.sort(rng.choice(len(x), size=sample, replace=False))
        x, w = x[pick], w[pick]
    n = len(x)
    trials = 2 + int(np.log(max(k, 1)))
    xx = (x * x).sum(1)
    centers = np.empty((k, x.shape[1]))
    cum = np.cumsum(w)
    first = int(np.searchsorted(cum, rng.random() * cum[-1], side="right"))
    centers[0] = x[min(first, n - 1)]
    d = np.maximum(xx - 2 * x @ centers[0] + xx[min(first, n - 1)], 0)
    for i in range(1, k):
        cum = np.cumsum(d * w)
        if cum[-1] <= 0:
            return centers[:i]
        cand = np.searchsorted(cum, rng.random(trials) * cum[-1], side="right")
        cand = np.minimum(cand, n - 1)
        dc = xx[:, None] - 2 * (x @ x[cand].T) + xx[cand][None, :]
        np.maximum(dc, 0, out=dc)
        np.minimum(dc, d[:, None], out=dc)
        best = int(np.argmin(w @ dc))
        centers[i] = x[cand[best]]
        d = dc[:, best]
    return centers


def kmeans(
    x: np.ndarray,
    init: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    max_iters: int = 100,
    tol: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted Lloyd iterations; like Pol.is, clusters that lose all members are dropped and it
    stops when no centre moves by `tol` or more."""
    w = np.ones(len(x)) if weights is None else weights
    centers = init.copy()
    labels = _assign(x, centers)
    for _ in range(max_iters):
        k = len(centers)
        mass = np.bincount(labels, weights=w, minlength=k)
        new = np.empty_like(centers)
        for dim in range(x.shape[1]):
            new[:, dim] = np.bincount(labels, weights=w * x[:, dim], minlength=k)
        live = mass > 0
        new = new[live] / mass[live, None]
        moved = len(new) != len(centers) or np.abs(new - centers[live]).max(initial=0) >= tol
        centers = new
        new_labels = _assign(x, centers)
        # Unchanged assignments mean the next centres would be the same: converged.
        if not moved or (len(new) == k and np.array_equal(new_labels, labels)):
            labels = new_labels
            break
        labels = new_labels
    return centers, labels


def silhouette(points: np.ndarray, labels: np.ndarray) -> float:
    """Pol.is's silhouette over base-cluster centres: unweighted mean, singletons score 0."""
    n = len(points)
    if n < 2:
        return 0.0
    d = np.sqrt(_sqdist(points, points))
    ks = np.unique(labels)
    scores = np.zeros(n)
    for i in range(n):
        own = labels == labels[i]
        own_n = own.sum() - 1
        if own_n == 0:
            continue
        a = (d[i, own].sum()) / own_n
        b = min(d[i, labels == k].mean() for k in ks if k != labels[i]) if len(ks) > 1 else a
        scores[i] = (b - a) / max(a, b) if max(a, b) > 0 else 0.0
    return float(scores.mean())


def _best_kmeans(
    x: np.ndarray,
    w: np.ndarray,
    k: int,
    rng: np.random.Generator,
    restarts: int,
    warm: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Lowest weighted inertia over k-means++ restarts (plus the warm start, if any)."""
    inits = [warm] if warm is not None and len(warm) == k else []
    inits += [_kmeanspp(x, w, k, rng) for _ in range(restarts)]
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for init in inits:
        c, lab = kmeans(x, init, weights=w, max_iters=100, tol=1e-9)
        inertia = float((w * ((x - c[lab]) ** 2).sum(1)).sum())
        if best is None or inertia < best[0] - 1e-12:
            best = (inertia, c, lab)
    assert best is not None
    return best[1], best[2]


# --------------------------------------------------------------------------- bridging


def _bridging(
    y: sp.csr_matrix,
    pattern: sp.csr_matrix,
    *,
    lambda_intercept: float,
    lambda_factor: float,
    iters: int,
    init_factor: np.ndarray,
    warm: dict[str, Any] | None = None,
    tol: float = 1e-3,
) -> dict[str, Any]:
    """Fit vote ~ mu + i_u + i_s + f_u * f_s on the observed votes by alternating ridge solves.

    Each participant's (i_u, f_u) and each statement's (i_s, f_s) is the exact 2x2 ridge
    solution given the other side, so the fit is deterministic. i_s is the bridging score: the
    agreement a statement earns beyond what the one opinion axis explains.
    """
    n, m = y.shape
    cnt_u = np.asarray(pattern.sum(axis=1), dtype=np.float64).ravel()
    cnt_s = np.asarray(pattern.sum(axis=0), dtype=np.float64).ravel()
    n_obs = max(cnt_u.sum(), 1.0)

    def over(mat: sp.csr_matrix, cols: list[np.ndarray]) -> np.ndarray:
        # The pattern is stored as float32 (exact 0/1); match it so scipy does not copy it.
        return np.asarray(mat @ np.column_stack(cols).astype(mat.dtype), dtype=np.float64)

    # Community Notes regularizes a mean loss; multiplying through by the number of observations
    # turns that into these per-parameter ridge weights for a summed loss.
    lam_iu = lambda_intercept * n_obs / max(n, 1)
    lam_is = lambda_intercept * n_obs / max(m, 1)
    lam_fu = lambda_factor * n_obs / max(n, 1)
    lam_fs = lambda_factor * n_obs / max(m, 1)
    y_u = np.asarray(y.sum(axis=1)).ravel()
    y_s = np.asarray(y.sum(axis=0)).ravel()
    yt, pt = y.T, pattern.T
    if warm is not None and len(warm["i_s"]) <= m and len(warm["i_u"]) <= n:
        mu = float(warm["mu"])
        i_s = np.zeros(m)
        f_s = init_factor.copy()
        i_s[: len(warm["i_s"])] = warm["i_s"]
        f_s[: len(warm["f_s"])] = warm["f_s"]
    else:
        mu = float(y_s.sum() / n_obs)
        i_s = np.zeros(m)
        f_s = init_factor.copy()
    i_u = np.zeros(n)
    f_u = np.zeros(n)

    def solve(cnt, lam_i, lam_f, sum_f, sum_f2, sum_r, sum_rf):
        a11 = cnt + lam_i
        a12 = sum_f
        a22 = sum_f2 + lam_f
        det = a11 * a22 - a12 * a12
        det = np.where(det == 0, 1.0, det)
        return (a22 * sum_r - a12 * sum_rf) / det, (a11 * sum_rf - a12 * sum_r) / det

    for _ in range(iters):
        previous_i_s = i_s
        # Participants, given statements.
        ps = over(pattern, [f_s, f_s * f_s, i_s, i_s * f_s])
        yf = y @ f_s
        sum_r = y_u - mu * cnt_u - ps[:, 2]
        sum_rf = yf - mu * ps[:, 0] - ps[:, 3]
        i_u, f_u = solve(cnt_u, lam_iu, lam_fu, ps[:, 0], ps[:, 1], sum_r, sum_rf)
        # Statements, given participants.
        pu = over(pt, [f_u, f_u * f_u, i_u, i_u * f_u])
        yf = yt @ f_u
        sum_r = y_s - mu * cnt_s - pu[:, 2]
        sum_rf = yf - mu * pu[:, 0] - pu[:, 3]
        i_s, f_s = solve(cnt_s, lam_is, lam_fs, pu[:, 0], pu[:, 1], sum_r, sum_rf)
        # Global mean of what is left.
        fit = cnt_u @ i_u + cnt_s @ i_s + f_u @ over(pattern, [f_s])[:, 0]
        mu = float((y_s.sum() - fit) / n_obs)
        if np.abs(i_s - previous_i_s).max(initial=0) < tol:
            break
    return {"mu": mu, "i_u": i_u, "f_u": f_u, "i_s": i_s, "f_s": f_s}


# --------------------------------------------------------------------------- the pipeline


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


# --------------------------------------------------------------------------- incremental


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
