"""Tournaments: evopolity against axelrod, side by side in one run, with ratios.

    python benchmarks/bench_tournament.py            # full run (axelrod part: ~1-3 minutes)
    python benchmarks/bench_tournament.py --quick    # smaller, for a smoke test

(a) axelrod's basic strategies, 200 turns x 10 repetitions;
(b) 20 memory-one strategies, noise 0.05, 200 turns x 10 repetitions;
(c) 200 strategies (the library's 64 plus random memory-one ones), 200 turns x 10
    repetitions, noise 0.01: evopolity alone, against a throwaway tight loop that estimates the
    machine's ceiling for this work (two memory-one automata, noise folded into one draw,
    splitmix64, every thread);
(d) exact payoffs (limit of means) of all pairs of 200 memory-one strategies.

Times are the best of several runs after compilation; axelrod runs serially
(``processes=None``), its usual way. Our times include converting axelrod's players and
building the payoff DataFrame. Ratios are measured in this one process.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numba
import numpy as np
from timing import best

import evopolity as ep
from evopolity.kernels.rng import GOLDEN, stream_key, unit_float


def axelrod_tournament_seconds(players, turns, repetitions, noise) -> float:
    import axelrod as axl

    with tempfile.TemporaryDirectory() as tmp:
        tournament = axl.Tournament(players, turns=turns, repetitions=repetitions, noise=noise,
                                    seed=1)
        start = time.perf_counter()
        tournament.play(build_results=False, filename=os.path.join(tmp, "t.csv"),
                        processes=None, progress_bar=False)
        return time.perf_counter() - start


@numba.njit(parallel=True, cache=False)
def ceiling_kernel(p, n_pairs, turns, repetitions, noise, seed, out):
    """The tightest loop we can write for noisy memory-one matches: no automaton tables."""
    flip = 1.0 - 2.0 * noise
    for k in numba.prange(n_pairs):
        total = 0.0
        for rep in range(repetitions):
            counter = stream_key(seed, k, rep)
            a = 0
            b = 0
            for _ in range(turns):
                qa = p[k % p.shape[0], 2 * a + b] * flip + noise
                qb = p[(k + 1) % p.shape[0], 2 * b + a] * flip + noise
                counter += GOLDEN
                a = 0 if unit_float(counter) < qa else 1
                counter += GOLDEN
                b = 0 if unit_float(counter) < qb else 1
                total += a - b
        out[k] = total


def random_memory_one(n: int, seed: int) -> list[ep.Strategy]:
    rng = np.random.default_rng(seed)
    return [ep.memory_one(rng.random(4), rng.random(), name=f"M1 #{k}") for k in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and strategies")
    args = parser.parse_args()
    import axelrod as axl

    reps = 3 if args.quick else 10
    threads = numba.get_num_threads()
    print(f"evopolity {ep.__version__}, axelrod {axl.__version__}, numba {numba.__version__}, "
          f"{threads} numba threads, {os.cpu_count()} CPUs")
    # compile the kernels once, outside the timings
    ep.tournament(["Tit For Tat", "GTFT: 0.33"], turns=5, noise=0.1, seed=0)
    ep.tournament(["Tit For Tat", "GTFT: 0.33"], turns=None, noise=0.1, method="exact")

    rows = []

    # (a) basic strategies
    basic = [c() for c in axl.basic_strategies]
    t_ax = axelrod_tournament_seconds(basic, 200, reps, 0.0)
    t_ep = best(lambda: ep.tournament(basic, turns=200, repetitions=reps, seed=1).payoffs, 20)
    rows.append((f"(a) basic, 200 turns x {reps}", t_ax, t_ep))

    # (b) 20 memory-one strategies with noise 0.05
    m1 = random_memory_one(20, seed=2)
    m1_ax = [axl.MemoryOnePlayer(tuple(s.params["p"]), axl.Action.C) for s in m1]
    for player, s in zip(m1_ax, m1, strict=True):
        player.name = s.name
    m1_ep = [ep.memory_one(s.params["p"], "C", name=s.name) for s in m1]
    t_ax = axelrod_tournament_seconds(m1_ax, 200, reps, 0.05)
    t_ep = best(lambda: ep.tournament(m1_ep, turns=200, repetitions=reps, noise=0.05,
                                      seed=1).payoffs, 20)
    rows.append((f"(b) 20 memory-one, noise 0.05, 200 turns x {reps}", t_ax, t_ep))

    print()
    print(f"{'tournament':52s} {'axelrod s':>10s} {'evopolity s':>12s} {'ratio':>10s}")
    for name, a, e in rows:
        print(f"{name:52s} {a:10.3f} {e:12.5f} {a / e:9.0f}x")

    # (c) 200 library strategies: evopolity alone, against the ceiling loop
    n = 200
    library = ep.library.all_strategies()
    strategies = library + random_memory_one(n - len(library), seed=3)
    pairs = n * (n + 1) // 2
    t_ep = best(lambda: ep.tournament(strategies, turns=200, repetitions=reps, noise=0.01,
                                         seed=1), 3)
    result = ep.tournament(strategies, turns=200, repetitions=reps, noise=0.01, seed=1)
    turns_played = pairs * 200 * reps
    assert np.triu(result.turns_played.to_numpy()).sum() == turns_played
    p = np.random.default_rng(4).random((n, 4))
    out = np.zeros(pairs)
    ceiling_kernel(p, 10, 10, 1, 0.01, np.uint64(1), np.zeros(10))  # compile
    t_ceiling = best(lambda: ceiling_kernel(p, pairs, 200, reps, 0.01, np.uint64(1), out), 3)
    print()
    print(f"(c) {n} strategies ({len(library)} library + {n - len(library)} memory-one), "
          f"200 turns x {reps}, noise 0.01: {pairs} pairs, {turns_played / 1e6:.1f} M turns")
    print(f"    evopolity      {t_ep * 1e3:8.1f} ms  {turns_played / t_ep / 1e6:7.1f} M turns/s")
    print(f"    ceiling loop   {t_ceiling * 1e3:8.1f} ms  {turns_played / t_ceiling / 1e6:7.1f} "
          f"M turns/s  (evopolity reaches {t_ceiling / t_ep:.0%} of it)")

    # (d) exact limit-of-means payoffs of 200 memory-one strategies
    m200 = random_memory_one(200, seed=5)
    t_exact = best(lambda: ep.tournament(m200, turns=None, noise=0.01, method="exact"), 3)
    print(f"(d) exact limit of means, 200 memory-one with noise 0.01: {pairs} pairs in "
          f"{t_exact * 1e3:.1f} ms = {pairs / t_exact / 1e6:.2f} M pairs/s")


if __name__ == "__main__":
    main()
