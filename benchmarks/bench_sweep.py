"""A sweep of 10,000 replicator runs on two local workers, and the Dask path's overhead.

    python benchmarks/bench_sweep.py            # 100 x 100 grid (10,000 tasks)
    python benchmarks/bench_sweep.py --quick    # 30 x 30 grid

The spec: 20 strategies of the library, exact payoffs (200 turns, noise 0.01), the balanced
regime with its fine (0..4) and tax (0..0.9) swept on a grid, replicator for t = 0..100 with a
temptation shock at t = 40; one task per grid point. The same sweep runs on the local process
pool (2 workers) and on a Dask LocalCluster (2 worker processes); the frames must be equal.
Wall times include writing every part and the workers' start-up. With ``--rounds R`` the two
executors run in turns R times (fresh directories each time) and the medians are printed with
the per-round ratio Dask / pool; one round by default (a full sweep takes tens of seconds).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd
from timing import paired_ratio, record, save_results, spread

from evopolity import experiments
from evopolity.experiments.spec import parse_spec

STRATEGIES = [
    "Tit For Tat", "Win-Stay Lose-Shift", "Grudger", "GTFT: 0.33", "Defector", "Cooperator",
    "Alternator", "Suspicious Tit For Tat", "Tit For 2 Tats", "Two Tits For Tat",
    "Random: 0.5", "First by Joss: 0.9", "ZD-Extort-2: 0.1111111111111111, 0.5",
    "ZD-GTFT-2: 0.25, 0.5", "Firm But Fair", "Stochastic WSLS: 0.05", "Fortress3",
    "Evolved FSM 4", "Cycler CCD", "Bully",
]  # fmt: skip


def spec_for(n: int):
    return parse_spec({
        "experiment": {"name": f"bench {n} x {n}", "seeds": [0]},
        "strategies": {"names": STRATEGIES},
        "play": {"turns": 200, "noise": 0.01, "method": "exact"},
        "dynamics": {"t_max": 100.0, "points_per_unit": 0.2},
        # a co-evolving regime with a fixed fine (the balanced preset before its fine was
        # voted), so the fine can be swept from 0
        "regimes": [{"preset": "none", "name": "balanced", "fine": 2.0, "detection": 0.6,
                     "tax": 0.2, "cost": 0.15, "conformity": 0.1, "mutation": 0.01,
                     "feedback": 1.0, "decay": 0.01, "initial_strength": 0.5}],
        "shocks": [{"time": 40.0, "kind": "temptation", "value": 7.0}],
        "sweep": {"regime.fine": {"start": 0.0, "stop": 4.0, "num": n},
                  "regime.tax": {"start": 0.0, "stop": 0.9, "num": n}},
    }, "<benchmark>")


def timed(fn) -> tuple[float, pd.DataFrame]:
    start = time.perf_counter()
    frame = fn()
    return time.perf_counter() - start, frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 30 x 30 grid")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds")
    args = parser.parse_args()
    n = 30 if args.quick else 100
    spec = spec_for(n)
    tasks = n * n
    experiments.run_task(spec, 0, 0, 0)  # compile in this process
    root = Path(tempfile.mkdtemp(prefix="evopolity-bench-"))
    pools, dasks, resumes = [], [], []
    try:
        for r in range(args.rounds):
            t_pool, pool = timed(lambda r=r: experiments.sweep(spec, root / f"pool{r}",
                                                              workers=2, progress=False))
            t_dask, dask = timed(lambda r=r: experiments.sweep(spec, root / f"dask{r}",
                                                              workers=2, dask_local=True,
                                                              progress=False))
            t_resume, _ = timed(lambda r=r: experiments.sweep(spec, root / f"pool{r}",
                                                             workers=2, progress=False))
            pd.testing.assert_frame_equal(pool, dask, check_exact=True)
            pools.append(t_pool)
            dasks.append(t_dask)
            resumes.append(t_resume)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    t_pool, t_dask, t_resume = (spread(v)[0] for v in (pools, dasks, resumes))
    ratio, low, high = paired_ratio(dasks, pools)
    print(f"{tasks} replicator runs ({len(STRATEGIES)} strategies, {n} x {n} grid of fine x "
          f"tax, a temptation shock each), 2 workers, {args.rounds} round(s); frames equal on "
          "both executors")
    print(f"  local process pool   {t_pool:7.1f} s   {tasks / t_pool:7.0f} runs/s")
    print(f"  Dask LocalCluster    {t_dask:7.1f} s   {tasks / t_dask:7.0f} runs/s   "
          f"overhead {(t_dask - t_pool) / tasks * 1e3:+.2f} ms per task "
          f"({ratio:.2f}x the pool [{low:.2f} .. {high:.2f}])")
    print(f"  re-run on the finished directory (all {tasks} parts found, nothing to do): "
          f"{t_resume:.2f} s")
    work = f"{tasks:,} replicator runs, 2 workers"
    record("Sweeps", f"{work}: local process pool", None, ours=f"{tasks / t_pool:,.0f} runs/s",
           reference=f"wall {t_pool:.1f} s")
    record("Sweeps", f"{work}: Dask LocalCluster against the pool", ratio,
           ours=f"{tasks / t_dask:,.0f} runs/s", reference=f"pool {tasks / t_pool:,.0f} runs/s",
           low=low, high=high, better="lower")
    record("Sweeps", f"{work}: re-run on the finished directory", None,
           ours=f"{t_resume:.2f} s")
    save_results("bench_sweep")


if __name__ == "__main__":
    main()
