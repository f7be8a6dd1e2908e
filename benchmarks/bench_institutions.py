"""Institutions: the cost of regime fitness in the replicator kernel, and a regime grid.

    python benchmarks/bench_institutions.py            # 100 x 100 grid
    python benchmarks/bench_institutions.py --quick    # 20 x 20 grid

(1) The same fixed-step RK4 integration (10^4 steps, 4 fitness evaluations each) of a
    30-strategy game, bare (``f = A x``) and under regimes (laissez-faire, i.e. a regime with
    every mechanism off; communitarian; a co-evolving institution, the old balanced preset):
    the ratio is the slowdown the institutional fitness costs. Target: at most 2x.
(2) A grid of regimes, fine x tax (each 0..4 and 0..0.9), on the 30 strategies: one
    replicator run per point (Dormand-Prince, t = 0..200, 201 output times) in a pool of two
    worker processes, one task per row of the grid; wall time and runs per second.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from timing import best

import evopolity as ep


def strategy_set() -> list[ep.Strategy]:
    """30 strategies: the basic ones, the classics, and memory-one strategies of the library."""
    lib = ep.library
    library = (lib.basic_strategies() + lib.classic_strategies()
               + lib.memory_one_strategies())
    names, out = set(), []
    for s in library:
        if s.name not in names:
            names.add(s.name)
            out.append(s)
    return out[:30]


# a co-evolving institution with a fixed fine and a tax (the balanced preset before it was
# funded by its members and its fine voted): the fitness path these timings measure
COEVOLVING = ep.Regime(name="co-evolving", fine=2.0, detection=0.6, tax=0.2, cost=0.15,
                       conformity=0.1, mutation=0.01, feedback=1.0, decay=0.01,
                       initial_strength=0.5)


def grid_row(args: tuple[float, np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    tax, fines, payoffs, cooperation = args
    base = COEVOLVING
    row = np.empty(fines.size)
    for j, fine in enumerate(fines):
        regime = base.replace(fine=float(fine), tax=float(tax))
        tr = ep.replicator(payoffs, t_max=200.0, n_points=201, regime=regime,
                           cooperation=cooperation)
        x = tr.frequencies[-1]
        row[j] = x @ cooperation @ x
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 20 x 20 grid")
    args = parser.parse_args()
    strategies = strategy_set()
    t = ep.tournament(strategies, turns=200, noise=0.01, method="exact")
    A, C = t.payoffs.to_numpy(), t.cooperation.to_numpy()
    k = A.shape[0]
    print(f"{k} strategies, exact payoffs (200 turns, noise 0.01); {os.cpu_count()} CPUs")

    def rk4(regime):
        return lambda: ep.replicator(A, t_max=100.0, n_points=11, integrator="rk4", dt=0.01,
                                     stop_at_rest=False, regime=regime,
                                     cooperation=None if regime is None else C)

    rk4(None)()
    for r in (ep.regimes.laissez_faire(), COEVOLVING):
        rk4(r.replace(mutation=0.0))()
    bare = best(rk4(None), 7)
    print("\n(1) RK4, 10^4 steps x 4 fitness evaluations, k = 30")
    print(f"    bare matrix game                {bare * 1e3:8.2f} ms")
    for r in (ep.regimes.laissez_faire(), ep.regimes.communitarian(), COEVOLVING):
        regime = r.replace(mutation=0.0)  # same equation shape as the bare run: no mutation
        t_r = best(rk4(regime), 7)
        print(f"    regime {r.name:24s} {t_r * 1e3:8.2f} ms   {t_r / bare:5.2f}x the bare game")

    n = 20 if args.quick else 100
    fines, taxes = np.linspace(0.0, 4.0, n), np.linspace(0.0, 0.9, n)
    tasks = [(tax, fines, A, C) for tax in taxes]
    grid_row(tasks[0])  # compile in this process (the workers load the cache)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) as pool:
        rows = list(pool.map(grid_row, tasks))
    wall = time.perf_counter() - start
    coop = np.array(rows)
    print(f"\n(2) {n} x {n} grid of regimes (fine 0..4 x tax 0..0.9, co-evolving otherwise), "
          f"{k} strategies, 2 worker processes")
    print(f"    wall {wall:.2f} s = {n * n / wall:.0f} replicator runs/s "
          f"(including the workers' start-up)")
    print(f"    cooperation over the grid: min {coop.min():.3f}, max {coop.max():.3f}; "
          f"at fine 0 / tax 0: {coop[0, 0]:.3f}; at fine 4 / tax 0: {coop[0, -1]:.3f}")


if __name__ == "__main__":
    main()
