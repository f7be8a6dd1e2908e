"""Time the same calls in two checkouts of evopolity, interleaved, on a shared machine.

    python benchmarks/compare_trees.py OLD_TREE NEW_TREE [--rounds 30] [--calls 20]

Two worker processes import evopolity from ``OLD_TREE`` and ``NEW_TREE`` (their own
``PYTHONPATH``), compile every case once, then take turns: each round every case runs
``--calls`` times in one worker, then in the other (the order alternating between rounds), and
the median time of a call is kept per round. A round's two medians are taken moments apart, so
their ratio is paired against the machine's other work (docs/performance.md: measure small
calls as medians of interleaved runs, not best-of). Printed per case: the median over rounds
of each side's time, the median of the per-round ratios new / old, and its 10th-90th
percentile spread.

The cases are the replicator runs of ``bench_dynamics.py`` (3x3 and 50x50 random games,
t = 0..1000, 10^4 output points, rtol 1e-8, atol 1e-10) with each scheme, a short 3x3 run that
shows the per-call overhead, a 3x3 run under a co-evolving regime, a Moran simulation, and
the integration kernel alone on 3x3 with two output rows (the cost of the steps themselves).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

WORKER = r"""
import json, sys, time
import numpy as np
import evopolity as ep

rng = np.random.default_rng(0)
times = np.linspace(0.0, 1000.0, 10_000)
games = {}
for k in (3, 50):  # the games and initial states of bench_dynamics.py, in its order
    games[k] = (rng.uniform(-1, 1, (k, k)), rng.dirichlet(np.ones(k)))
A3, x3 = games[3]
A50, x50 = games[50]
regime = ep.Regime(fine=1.0, detection=0.5, cost=0.1, feedback=0.5, decay=0.01,
                   initial_strength=0.5)
C3 = np.random.default_rng(1).uniform(0, 1, (3, 3))
moran_A = np.array([[3.0, 0.0, 2.0], [5.0, 1.0, 1.5], [2.5, 1.2, 2.0]])

def rep(A, x0, integrator):
    return lambda: ep.replicator(A, x0, times=times, rtol=1e-8, atol=1e-10, integrator=integrator,
                                 stop_at_rest=False)

CASES = {
    "3x3 auto": rep(A3, x3, "auto"),
    "3x3 dopri5": rep(A3, x3, "dopri5"),
    "3x3 rodas4": rep(A3, x3, "rodas4"),
    "3x3 t=0..1, 2 points": lambda: ep.replicator(A3, x3, times=[0.0, 1.0],
                                                  stop_at_rest=False),
    "3x3 regime auto": lambda: ep.replicator(A3, x3, t_max=200.0, n_points=2001,
                                             regime=regime, cooperation=C3,
                                             stop_at_rest=False),
    "50x50 auto": rep(A50, x50, "auto"),
    "50x50 dopri5": rep(A50, x50, "dopri5"),
    "50x50 rodas4": rep(A50, x50, "rodas4"),
    "moran N=100, 10^5 events": lambda: ep.moran(moran_A, 100, [34, 33, 33], 100_000,
                                                 selection=0.5, mutation=0.01, seed=1),
}
# the kernel alone, without the Python layer, on 2 output rows: the steps' own cost
from evopolity.kernels import replicator as _rk
two = np.array([0.0, 1000.0])
out2 = np.empty((2, 3))
At3 = np.ascontiguousarray(A3.T)
Q3 = np.eye(3)
for label, scheme in (("auto", 1), ("dopri5", 0), ("rodas4", 2)):
    CASES[f"3x3 kernel {label}, 2 rows"] = (
        lambda scheme=scheme: _rk.integrate(0, x3, A3, At3, np.zeros(0), Q3, False, two,
                                            scheme, 1e-8, 1e-10, 0.0, 10**7, out2))
if len(sys.argv) > 1:
    CASES = {name: fn for name, fn in CASES.items() if any(w in name for w in sys.argv[1:])}
for fn in CASES.values():
    fn()
print(json.dumps(sorted(CASES)), flush=True)
for line in sys.stdin:
    name, calls = json.loads(line)
    fn = CASES[name]
    spent = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        spent.append(time.perf_counter() - t)
    print(json.dumps(spent), flush=True)
"""


def start(tree: str, only: list[str]) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
    return subprocess.Popen([sys.executable, "-c", WORKER, *only], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env, cwd=tree)


def ask(worker: subprocess.Popen, name: str, calls: int) -> float:
    worker.stdin.write(json.dumps([name, calls]) + "\n")
    worker.stdin.flush()
    return statistics.median(json.loads(worker.stdout.readline()))


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--only", nargs="*", default=[],
                        help="run only the cases whose names contain one of these words")
    args = parser.parse_args()
    workers = {"old": start(args.old, args.only), "new": start(args.new, args.only)}
    names = [json.loads(w.stdout.readline()) for w in workers.values()][0]
    medians = {name: {"old": [], "new": []} for name in names}
    t0 = time.perf_counter()
    for r in range(args.rounds):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")
        for name in names:
            for side in order:
                medians[name][side].append(ask(workers[side], name, args.calls))
    for w in workers.values():
        w.stdin.close()
        w.wait()
    print(f"{args.rounds} rounds x {args.calls} calls per case and side, "
          f"{time.perf_counter() - t0:.0f} s; times are medians over rounds of a call's median")
    print(f"  {'case':<28} {'old':>10} {'new':>10}   new/old (p10-p90 of per-round ratios)")
    for name in names:
        old, new = medians[name]["old"], medians[name]["new"]
        ratios = [b / a for a, b in zip(old, new, strict=True)]
        print(f"  {name:<28} {statistics.median(old) * 1e3:8.3f}ms "
              f"{statistics.median(new) * 1e3:8.3f}ms   {statistics.median(ratios):.3f} "
              f"({quantile(ratios, 0.1):.3f}-{quantile(ratios, 0.9):.3f})")


if __name__ == "__main__":
    main()
