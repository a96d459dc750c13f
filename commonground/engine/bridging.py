"""The bridging lens: a Community Notes-style intercept + one-factor matrix factorization."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp


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
