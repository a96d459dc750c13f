"""Who is on the map, where they sit (sparse PCA) and how they cluster (k-means, silhouette),
following Pol.is's conversation.clj, pca.clj and clusters.clj."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


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
