"""Pol.is's statistics (stats.clj, repness.clj): proportion tests, representative statements
and consensus, on per-group agree / disagree / seen counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Pol.is's one-sided 90% significance threshold for its z statistics (stats.clj).
Z_90 = 1.2816


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
