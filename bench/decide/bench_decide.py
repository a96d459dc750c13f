"""Tallies side by side with the libraries they are checked against: time and peak memory.

    .venv/bin/python bench/decide/bench_decide.py --libpython /path/to/venv-with-libs/bin/python

Three jobs, each run in a fresh process (so peak memory is the job's own, VmHWM/ru_maxrss):
Schulze on 1,000,000 ballots over 20 candidates (pref_voting `beat_path`), Scottish STV on
100,000 ballots for 10 seats (pref_voting `stv_scottish`), and the Method of Equal Shares
with add1 completion on the largest Pabulib file in shared/data/decisions (pabutools
`exhaustion_by_budget_increase` over `method_of_equal_shares`, as that directory's README
describes). The libraries are heavy (numba, ortools, matplotlib, gurobipy...), so they live
in a separate virtualenv given by --libpython; without it only our side runs.
Ballots are synthetic (Plackett-Luce with truncated rankings, seeded), generated once and
shared by both sides; our timing includes aggregating the raw ballots to distinct orders.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = Path(os.environ.get("BENCH_DIR", ROOT / "var/bench/decide"))
# shared/ sits beside the checkout (main) or two levels up (a worktree under wt/).
DATA = Path(
    os.environ.get("COMMONWEAL_DECISIONS")
    or next(
        (
            p
            for p in (
                ROOT.parent / "shared/data/decisions",
                ROOT.parents[1] / "shared/data/decisions",
            )
            if p.is_dir()
        ),
        ROOT.parent / "shared/data/decisions",
    )
)


def generate(voters: int, candidates: int, max_len: int, seed: int, path: Path) -> None:
    """Raw ballots as an int8 matrix: row = voter, columns = ranked candidates, -1 = blank."""
    import numpy as np

    rng = np.random.default_rng(seed)
    strength = np.log(0.85 ** np.arange(candidates))
    keys = strength[None, :] + rng.gumbel(size=(voters, candidates))  # Plackett-Luce
    order = np.argsort(-keys, axis=1).astype(np.int8)
    lengths = rng.integers(1, max_len + 1, size=voters)
    order[np.arange(candidates)[None, :] >= lengths[:, None]] = -1
    np.save(path, order)


def aggregated(path: Path):
    import numpy as np

    raw = np.load(path)
    rows, counts = np.unique(raw, axis=0, return_counts=True)
    return rows, counts


def run_job(job: str, path: str) -> dict[str, object]:
    start = time.perf_counter()
    if job.startswith("ours"):
        sys.path.insert(0, str(ROOT))
        from assemblies.methods import Ballot, decide
        from assemblies.methods.formats import load

        if job == "ours-mes":
            e = load(path)
            out = decide("equal-shares", e.candidates, e.ballots, costs=e.costs, budget=e.budget)
        else:
            rows, counts = aggregated(Path(path))
            cands = [str(i) for i in range(rows.shape[1])]
            ballots = [
                Ballot(ranking=tuple((str(c),) for c in row if c >= 0), weight=int(n))
                for row, n in zip(rows, counts, strict=True)
            ]
            if job == "ours-schulze":
                out = decide("schulze", cands, ballots)
            else:
                out = decide("stv", cands, ballots, seats=10)
        winners = out.winners
        extra = {"distinct_ballots": None if job == "ours-mes" else len(ballots)}
    else:
        if job == "lib-mes":
            from pabutools.election import Cost_Sat, parse_pabulib
            from pabutools.rules import exhaustion_by_budget_increase, method_of_equal_shares

            instance, profile = parse_pabulib(path)
            res = exhaustion_by_budget_increase(
                instance,
                profile,
                method_of_equal_shares,
                {"sat_class": Cost_Sat},
                budget_step=profile.num_ballots(),
                exhaustive_stop=False,
            )
            winners = [p.name for p in res]
        else:
            from pref_voting.profiles_with_ties import ProfileWithTies

            rows, counts = aggregated(Path(path))
            rankings = [{int(c): r for r, c in enumerate(row) if c >= 0} for row in rows]
            prof = ProfileWithTies(
                rankings, rcounts=[int(n) for n in counts], candidates=list(range(rows.shape[1]))
            )
            prof.use_extended_strict_preference()
            if job == "lib-schulze":
                from pref_voting.margin_based_methods import beat_path

                winners = [str(c) for c in beat_path(prof)]
            else:
                from pref_voting.proportional_methods import stv_scottish

                winners = [str(c) for c in stv_scottish(prof, num_seats=10)]
        extra = {}
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # ru_maxrss survives exec (it would report the parent's peak); VmHWM is this image's own.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak_mb = int(line.split()[1]) / 1024
    return {
        "job": job,
        "seconds": round(seconds, 2),
        "peak_mb": round(peak_mb),
        "winners": winners,
        **extra,
    }


def spawn(python: str, job: str, path: Path, timeout: int) -> dict[str, object]:
    try:
        proc = subprocess.run(
            [python, __file__, "--job", job, "--path", str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return {"job": job, "error": f"over {timeout} s"}
    if proc.returncode:
        return {"job": job, "error": proc.stderr.strip().splitlines()[-1][:200]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--libpython", help="python of a virtualenv with pref_voting and pabutools")
    ap.add_argument("--job")
    ap.add_argument("--path")
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--only", choices=["schulze", "stv", "mes"], help="run one of the three")
    args = ap.parse_args()
    if args.job:
        print(json.dumps(run_job(args.job, args.path)))
        return
    WORK.mkdir(parents=True, exist_ok=True)
    schulze, stv = WORK / "schulze_1m.npy", WORK / "stv_100k.npy"
    if not schulze.exists():
        generate(1_000_000, 20, 5, 1, schulze)
    if not stv.exists():
        generate(100_000, 30, 12, 2, stv)
    pb_files = sorted(DATA.glob("*.pb"), key=lambda p: p.stat().st_size)
    largest = pb_files[-1]
    print(f"load average: {os.getloadavg()}, cpus: {os.cpu_count()}")
    print(f"MES file: {largest.name}")
    for ours, lib, path in (
        ("ours-schulze", "lib-schulze", schulze),
        ("ours-stv", "lib-stv", stv),
        ("ours-mes", "lib-mes", largest),
    ):
        if args.only and not ours.endswith(args.only):
            continue
        a = spawn(sys.executable, ours, path, args.timeout)
        print(json.dumps(a))
        if args.libpython:
            b = spawn(args.libpython, lib, path, args.timeout)
            print(json.dumps(b))
            if "winners" in a and "winners" in b:
                print(
                    f"  same winners: {sorted(map(str, a['winners'])) == sorted(map(str, b['winners']))}"
                )


if __name__ == "__main__":
    main()
