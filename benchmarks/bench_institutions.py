"""Institutions: the cost of regime fitness in the replicator kernel, and a regime grid.

    python benchmarks/bench_institutions.py            # 100 x 100 grid
    python benchmarks/bench_institutions.py --quick    # 20 x 20 grid, fewer rounds

(1) The same fixed-step RK4 integration (10^4 steps, 4 fitness evaluations each) of a
    30-strategy game, bare (``f = A x``) and under regimes (laissez-faire, i.e. a regime with
    every mechanism off; communitarian; a co-evolving institution, the old balanced preset;
    a tournament's played sanctions): the ratio is the slowdown the institutional fitness
    costs, the median of per-round ratios over interleaved rounds with its 10th-90th
    percentile spread. Goal (issue 14): at most 1.5x. Before timing, the fitness the
    integrators compute for these regimes (their matrices folded,
    ``kernels.velocity.folded_fitness``) and the one-pass fitness of other callers
    (``kernels.fitness.plain_institution_fitness``) are checked against the general path at
    random states.
(2) A grid of regimes, fine x tax (each 0..4 and 0..0.9), on the 30 strategies: one
    replicator run per point (Dormand-Prince, t = 0..200, 201 output times) in a pool of two
    worker processes, one task per row of the grid; wall time and runs per second.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numba
import numpy as np
from timing import fmt, interleaved, paired_ratio, record, save_results, spread

import evopolity as ep
from evopolity.dynamics.fitness import regime_setup
from evopolity.kernels import velocity
from evopolity.kernels.codes import INSTITUTIONS
from evopolity.kernels.fitness import (
    general_institution_fitness,
    institution_fitness,
    plain_regime,
)

# the integrators' folded fitness, callable from here (it is compiled for compiled callers)
folded_fitness = numba.njit(velocity.folded_fitness.py_func)


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


def check_fast_path(setup, k: int, coevolves: bool) -> float:
    """Largest difference between the fast paths (folded, one-pass) and the general regime
    fitness at random states (asserted below 1e-12): they must give the general path's
    numbers."""
    assert plain_regime(setup.params), "the benchmark's regimes take the one-pass path"
    model, B = velocity.fold_regime(INSTITUTIONS, setup.A, setup.A.T.copy(), setup.params)
    assert model == velocity.FOLDED_INSTITUTIONS, "and the integrators fold their matrices"
    rng = np.random.default_rng(3)
    gap = 0.0
    for _ in range(20):
        y = rng.dirichlet(np.ones(k))
        if coevolves:
            y = np.append(y, rng.random())
        fast, folded, general = np.empty(y.size), np.empty(y.size), np.empty(y.size)
        institution_fitness(y, setup.A, setup.params, fast)
        folded_fitness(y, B, setup.params, folded)
        general_institution_fitness(y, setup.A, setup.params, general)
        gap = max(gap, float(np.abs(fast - general).max()),
                  float(np.abs(folded - general).max()))  # fmt: skip
    assert gap < 1e-12, f"fast and general regime fitness differ by {gap:.1e}"
    return gap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 20 x 20 grid")
    args = parser.parse_args()
    strategies = strategy_set()
    t = ep.tournament(strategies, turns=200, noise=0.01, method="exact")
    A, C = t.payoffs.to_numpy(), t.cooperation.to_numpy()
    k = A.shape[0]
    print(f"{k} strategies, exact payoffs (200 turns, noise 0.01); {os.cpu_count()} CPUs")

    def rk4(regime, payoffs=A):
        return lambda: ep.replicator(payoffs, t_max=100.0, n_points=11, integrator="rk4",
                                     dt=0.01, stop_at_rest=False, regime=regime,
                                     cooperation=None if regime is None else C)

    played_under = ep.Regime(name="played sanctions", fine=2.0, detection=0.5, tax=0.2)
    played = ep.tournament(strategies, turns=200, noise=0.01, method="exact",
                           regime=played_under)
    regimes = {r.name: (r.replace(mutation=0.0), A)  # no mutation: the bare run's equation
               for r in (ep.regimes.laissez_faire(), ep.regimes.communitarian(), COEVOLVING)}
    regimes[played_under.name] = (played_under, played)
    print("\n(1) RK4, 10^4 steps x 4 fitness evaluations, k = 30; fast path vs general path:")
    for name, (regime, payoffs) in regimes.items():
        setup = regime_setup(regime, 0.0, payoffs, C, tuple(t.payoffs.index), members=True)
        gap = check_fast_path(setup, k, regime.coevolves)
        print(f"    {name:24s} largest difference {gap:.1e}")
    calls = {"bare": rk4(None)}
    for name, (regime, payoffs) in regimes.items():
        calls[name] = rk4(regime, payoffs)
    for fn in calls.values():  # compile outside the clock
        fn()
    rounds, per_round = (3, 1) if args.quick else (11, 3)
    times = interleaved(calls, rounds, per_round)
    mid, low, high = spread(times["bare"])
    print(f"    {rounds} interleaved rounds of {per_round}; median [10% .. 90%]")
    print(f"    bare matrix game                {fmt(mid)}  [{fmt(low).strip()} .. "
          f"{fmt(high).strip()}]")
    for name in regimes:
        t_mid = spread(times[name])[0]
        ratio, r_low, r_high = paired_ratio(times[name], times["bare"])
        print(f"    regime {name:24s} {fmt(t_mid)}   {ratio:5.2f}x the bare game "
              f"[{r_low:.2f} .. {r_high:.2f}]")
        record("Institutions: regime fitness", f"RK4 replicator, k = 30, 10^4 steps: {name}",
               ratio, ours=fmt(t_mid).strip(), reference=f"bare game {fmt(mid).strip()}",
               low=r_low, high=r_high, better="lower", goal="<= 1.5x", met=ratio <= 1.5)

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
    record("Institutions: regime grid", f"{n} x {n} grid of regimes, one replicator run per "
           f"point, k = {k}, 2 worker processes", None, ours=f"{n * n / wall:,.0f} runs/s",
           reference=f"wall {wall:.1f} s")
    save_results("bench_institutions")


if __name__ == "__main__":
    main()
