"""Speed and memory of the common ground engine on synthetic planted-group conversations.

Every participant belongs to one of a few planted opinion groups; each group has a stance on each
statement and votes with it most of the time. Each participant sees 15% of the statements.
Each size runs in its own subprocess so peak RSS (getrusage maxrss) is that run's own; the
matrix is generated in another subprocess first and saved, so generation does not count.

    .venv/bin/python bench/commonground/speed.py                 # 1k, 10k, 50k, 100k + update
    .venv/bin/python bench/commonground/speed.py --sizes 1000x1000 10000x1000
    .venv/bin/python bench/commonground/speed.py --reddwarf-python \
        /work/bench-venv/bin/python --reddwarf-sizes 1000x1000 10000x1000 50000x1000

Prints a table: wall time (s), peak RSS (MB), adjusted Rand index of the recovered groups against
the planted ones, and the time to fold 1,000 new votes into a 50,000-participant analysis.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DENSITY = 0.15
N_GROUPS = 3
FOLLOW = 0.8  # chance a participant votes with their group's stance
PASS = 0.1


def generate(n: int, m: int, seed: int, path: Path) -> None:
    """Write a planted-group vote matrix (CSR parts, int8 votes) and the planted labels."""
    rng = np.random.default_rng(seed)
    sizes = np.array([0.5, 0.3, 0.2])
    labels = rng.choice(N_GROUPS, size=n, p=sizes)
    stance = rng.choice([-1, 1], size=(N_GROUPS, m))
    # A fifth of the statements are common ground: every group leans the same way.
    common = rng.random(m) < 0.2
    stance[:, common] = stance[0, common]
    indptr = np.zeros(n + 1, dtype=np.int64)
    idx_parts, val_parts = [], []
    chunk = max(1, 5_000_000 // m)
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        seen = rng.random((e - s, m)) < DENSITY
        r, c = np.nonzero(seen)
        u = rng.random(len(r))
        follow = stance[labels[s:e][r], c]
        v = np.where(u < FOLLOW, follow, np.where(u < FOLLOW + PASS, 0, -follow)).astype(np.int8)
        idx_parts.append(c.astype(np.int32))
        val_parts.append(v)
        indptr[s + 1 : e + 1] = indptr[s] + np.cumsum(seen.sum(1))
    np.savez(
        path,
        indptr=indptr,
        indices=np.concatenate(idx_parts),
        data=np.concatenate(val_parts),
        shape=np.array([n, m]),
        labels=labels,
    )


def _load(path: Path):
    import scipy.sparse as sp

    from commonground import engine

    z = np.load(path)
    n, m = (int(v) for v in z["shape"])
    matrix = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=(n, m))
    votes = engine.VoteMatrix([str(i) for i in range(n)], [str(j) for j in range(m)], matrix)
    return votes, z["labels"]


def run_ours(path: Path, do_update: bool) -> dict:
    from fidelity import adjusted_rand_index

    from commonground import engine

    votes, labels = _load(path)
    t0 = time.perf_counter()
    result = engine.analyze(votes, seed=0)
    wall = time.perf_counter() - t0
    kept = result.in_conv
    ari = adjusted_rand_index(labels[kept], result.participant_groups[kept])
    out = {"wall": wall, "ari": ari, "groups": result.n_groups}
    if do_update:
        rng = np.random.default_rng(1)
        n, m = votes.matrix.shape
        # 1,000 new votes: mostly existing participants on statements they had not seen, a
        # few from newcomers, some changed minds.
        pids = rng.integers(0, n, 1000).astype(str).tolist()
        pids[:50] = [f"new{i % 10}" for i in range(50)]
        sids = rng.integers(0, m, 1000).astype(str).tolist()
        vals = rng.choice([-1, 0, 1], 1000).tolist()
        t0 = time.perf_counter()
        updated = engine.update(result.state, zip(pids, sids, vals, strict=True))
        out["update"] = time.perf_counter() - t0
        kept = updated.in_conv[:n]
        out["update_ari"] = adjusted_rand_index(labels[kept], updated.participant_groups[:n][kept])
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_reddwarf(path: Path) -> dict:
    from fidelity import adjusted_rand_index
    from reddwarf.implementations.base import run_pipeline

    z = np.load(path)
    n, _ = (int(v) for v in z["shape"])
    rows = np.repeat(np.arange(n), np.diff(z["indptr"]))
    votes = [
        {"participant_id": int(r), "statement_id": int(c), "vote": int(v), "modified": 0}
        for r, c, v in zip(rows, z["indices"], z["data"], strict=True)
    ]
    del rows
    labels = z["labels"]
    t0 = time.perf_counter()
    res = run_pipeline(votes=votes, random_state=0)
    wall = time.perf_counter() - t0
    df = res.participants_df
    got = df["cluster_id"].to_numpy()
    pids = df.index.to_numpy().astype(int)
    mask = df["to_cluster"].to_numpy().astype(bool)
    ari = adjusted_rand_index(labels[pids[mask]], got[mask].astype(int))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"wall": wall, "ari": ari, "rss_mb": rss, "groups": int(len(set(got[mask])))}


def _child(args: list[str], python: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [python, __file__, *args], capture_output=True, text=True, env=env, check=False
    )
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--sizes", nargs="*", default=["1000x1000", "10000x1000", "50000x1000", "100000x2000"]
    )
    ap.add_argument("--update-size", default="50000x1000")
    ap.add_argument(
        "--python",
        default=str(ROOT / ".venv" / "bin" / "python"),
        help="python that runs our engine (default: the project's .venv)",
    )
    ap.add_argument("--reddwarf-python", help="python of a venv with red-dwarf installed")
    ap.add_argument("--reddwarf-sizes", nargs="*", default=["1000x1000", "10000x1000"])
    ap.add_argument("--child", nargs=3, metavar=("WHAT", "PATH", "UPDATE"), help=argparse.SUPPRESS)
    ap.add_argument("--gen", nargs=4, metavar=("N", "M", "SEED", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.gen:
        generate(int(args.gen[0]), int(args.gen[1]), int(args.gen[2]), Path(args.gen[3]))
        print("{}")
        return
    if args.child:
        what, path, upd = args.child
        res = run_ours(Path(path), upd == "1") if what == "ours" else run_reddwarf(Path(path))
        print(json.dumps(res))
        return

    sizes = list(dict.fromkeys(args.sizes))
    print(
        f"{'participants x statements':>26} {'votes':>11} {'time s':>8} {'peak MB':>8} "
        f"{'groups':>6} {'ARI':>6} | {'red-dwarf s':>11} {'MB':>7} {'ARI':>6}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            n, m = (int(v) for v in size.split("x"))
            path = Path(tmp) / f"{size}.npz"
            _child(["--gen", str(n), str(m), "0", str(path)], sys.executable)
            nnz = int(np.load(path)["indptr"][-1])
            ours = _child(
                ["--child", "ours", str(path), "1" if size == args.update_size else "0"],
                args.python,
            )
            line = f"{size:>26} {nnz:>11,}"
            if "error" in ours:
                line += f"  error: {ours['error']}"
            else:
                line += (
                    f" {ours['wall']:8.2f} {ours['rss_mb']:8.0f} {ours['groups']:>6} "
                    f"{ours['ari']:6.3f}"
                )
            if args.reddwarf_python and size in args.reddwarf_sizes:
                rd = _child(["--child", "reddwarf", str(path), "0"], args.reddwarf_python)
                if "error" in rd:
                    line += f" | error: {rd['error'][:60]}"
                else:
                    line += f" | {rd['wall']:11.2f} {rd['rss_mb']:7.0f} {rd['ari']:6.3f}"
            print(line, flush=True)
            if "update" in ours:
                print(
                    f"{'':>26} update after 1,000 new votes: {ours['update']:.2f} s "
                    f"(ARI {ours['update_ari']:.3f})",
                    flush=True,
                )
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
