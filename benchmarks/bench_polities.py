"""Polities: member updates per second of ``ep.polities`` beside a tight-loop ceiling.

    python benchmarks/bench_polities.py            # m = 1000 polities of n = 50, 10^7 steps
    python benchmarks/bench_polities.py --quick    # 10^5 steps (a smoke test)

One step of ``ep.polities`` is one member update (a birth and, in a full polity, a death or a
split). The run: the donation game (b = 3, c = 1), cooperators and defectors, ``m = 1000``
polities of ``n = 50`` members (5 x 10^4 members), selection 0.1, splitting 0.01, one record
at the end. The ceiling is a throwaway numba loop written only to find it (docs/performance.md):
the same arithmetic with nothing general, a sum tree over the polities' fitness, one
weighted draw of the parent, one uniform death, ``k`` payoff sums and ``k`` exponentials per
update, the same counter-based generator. Both are compiled before the clock starts; the
calls are interleaved (``--rounds`` rounds) and the medians printed with the ratio. Goal
(issue 13): at least half the ceiling. Quote ratios measured in one run, on an idle machine.
"""

from __future__ import annotations

import argparse
import math
import os

import numba
import numpy as np
from timing import fmt, interleaved, paired_ratio, record, save_results, spread

import evopolity as ep
from evopolity.kernels.rng import GOLDEN, unit_float

A = np.array([[2.0, -1.0], [3.0, 0.0]])


@numba.njit(cache=False)
def ceiling(m, n, w, steps, counter):
    """A tight loop of member updates in m full polities of two strategies."""
    k = 2
    counts = np.zeros((m, k), np.int64)
    S = np.zeros((m, k))
    fit = np.zeros((m, k))
    P = 1
    while P < m:
        P *= 2
    tree = np.zeros(2 * P)
    for p in range(m):
        counts[p, 0] = n // 2
        counts[p, 1] = n - n // 2
        for i in range(k):
            for j in range(k):
                S[p, i] += A[i, j] * counts[p, j]
        tot = 0.0
        for i in range(k):
            fit[p, i] = math.exp(w * (S[p, i] - A[i, i]) / (n - 1))
            tot += counts[p, i] * fit[p, i]
        tree[P + p] = tot
    for i in range(P - 1, 0, -1):
        tree[i] = tree[2 * i] + tree[2 * i + 1]
    for _ in range(steps):
        counter += GOLDEN
        r = unit_float(counter) * tree[1]
        i = 1
        while i < P:
            if r < tree[2 * i]:
                i = 2 * i
            else:
                r -= tree[2 * i]
                i = 2 * i + 1
        p = i - P
        counter += GOLDEN
        r = unit_float(counter) * tree[P + p]
        born = 1 if r >= counts[p, 0] * fit[p, 0] else 0
        counter += GOLDEN
        dead = 1 if unit_float(counter) * n >= counts[p, 0] else 0
        if born != dead:
            counts[p, born] += 1
            counts[p, dead] -= 1
            for q in range(k):
                S[p, q] += A[q, born] - A[q, dead]
        tot = 0.0
        for q in range(k):
            fit[p, q] = math.exp(w * (S[p, q] - A[q, q]) / (n - 1))
            tot += counts[p, q] * fit[p, q]
        i = P + p
        tree[i] = tot
        i //= 2
        while i >= 1:
            tree[i] = tree[2 * i] + tree[2 * i + 1]
            i //= 2
    return counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10^5 steps, 2 rounds")
    parser.add_argument("--steps", type=int, default=None, help="member updates per call")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds")
    args = parser.parse_args()
    m, n, w = 1000, 50, 0.1
    steps = args.steps or (10**5 if args.quick else 10**7)
    rounds = args.rounds or (2 if args.quick else 5)
    print(f"evopolity {ep.__version__}, numba {numba.__version__}, {os.cpu_count()} CPUs; "
          f"m = {m} polities of n = {n}, {steps:,} member updates per call, {rounds} rounds")

    def ours() -> None:
        ep.polities(A, [None], n=n, m=m, generations=steps, selection=w, split=0.01, seed=1,
                    record_every=steps)

    def tight() -> None:
        ceiling(m, n, w, steps, np.uint64(12345))

    ep.polities(A, [None], n=n, m=m, generations=10, selection=w, split=0.01, seed=1)
    ceiling(m, n, w, 10, np.uint64(1))  # compile both outside the clock
    times = interleaved({"polities": ours, "ceiling": tight}, rounds, 1)
    for name, values in times.items():
        mid, low, high = spread(values)
        print(f"  {name:9s} {fmt(mid)}  [{fmt(low).strip()} .. {fmt(high).strip()}]  "
              f"{steps / mid / 1e6:7.2f} M member updates/s")
    ratio, r_low, r_high = paired_ratio(times["ceiling"], times["polities"])
    print(f"  polities / ceiling (speed): {ratio:.2f}  [{r_low:.2f} .. {r_high:.2f}]  "
          "(goal >= 0.5)")
    record("Polities", f"m = {m} polities of n = {n}, {steps:,} member updates: share of the "
           "ceiling", ratio, ours=f"{steps / spread(times['polities'])[0] / 1e6:.2f} M/s",
           reference=f"ceiling {steps / spread(times['ceiling'])[0] / 1e6:.2f} M/s",
           low=r_low, high=r_high, goal=">= 0.5", met=ratio >= 0.5)
    save_results("bench_polities")


if __name__ == "__main__":
    main()
