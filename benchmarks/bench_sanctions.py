"""Sanctions inside matches: a tournament under a regime against the same one without it.

    python benchmarks/bench_sanctions.py            # 64 library strategies
    python benchmarks/bench_sanctions.py --quick    # 16 strategies, fewer rounds (a smoke test)

The same round robin (the library's strategies, noise 0.01, 200 turns) is played bare and
under regimes that act on every round (``tournament(..., regime=r)``):

* ``any``: every detected defection fined, fines burned, detection 0.5 (a detection draw per
  round);
* ``unjustified``: retaliation not fined, fines to the victim, rewards too, detection 0.5 (the
  exact solver carries the previous round's moves in its chain).

Simulated with 10 repetitions, and exact (200 turns, and the limit of means). The calls are
interleaved: each round times every variant ``--calls`` times and keeps each one's median, so a
round's times are taken moments apart on a shared machine (docs/performance.md). Printed: the
median over rounds of each variant's time with its 10th-90th percentile spread, and the median
of the per-round ratios sanctioned / bare with its spread. Target: at most 1.5x.
"""

from __future__ import annotations

import argparse
import os

import numba
from timing import fmt, interleaved, paired_ratio, record, save_results, spread

import evopolity as ep

REGIMES = {
    "any": ep.Regime(name="any", fine=2.0, detection=0.5),
    "unjustified": ep.Regime(name="unjustified", fine=2.0, reward=0.5, detection=0.5,
                             norm="unjustified", fine_to="victim"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="16 strategies, 3 rounds")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds")
    parser.add_argument("--calls", type=int, default=5, help="calls per variant per round")
    args = parser.parse_args()
    strategies = ep.library.all_strategies()
    if args.quick:
        strategies = strategies[:16]
    rounds = args.rounds or (3 if args.quick else 15)
    calls = 2 if args.quick else args.calls
    print(f"evopolity {ep.__version__}, numba {numba.__version__}, "
          f"{numba.get_num_threads()} numba threads, {os.cpu_count()} CPUs; "
          f"{len(strategies)} strategies, noise 0.01; {rounds} rounds x {calls} calls")
    cases = {
        "simulate, 200 turns x 10": dict(turns=200, repetitions=10, seed=1),
        "exact, 200 turns": dict(turns=200, method="exact"),
        "exact, limit of means": dict(turns=None, method="exact"),
    }
    for case, kw in cases.items():
        variants = {"bare": lambda kw=kw: ep.tournament(strategies, noise=0.01, **kw)}
        for name, regime in REGIMES.items():
            variants[name] = (lambda kw=kw, regime=regime:
                              ep.tournament(strategies, noise=0.01, regime=regime, **kw))
        for fn in variants.values():  # compile, outside the timings
            fn()
        times = interleaved(variants, rounds, calls)
        print(f"\n{case}")
        bare = times["bare"]
        for name, values in times.items():
            mid, low, high = spread(values)
            line = f"  {name:12s} {fmt(mid)}  [{fmt(low).strip()} .. {fmt(high).strip()}]"
            if name != "bare":
                ratio, r_low, r_high = paired_ratio(values, bare)
                line += f"   ratio {ratio:5.2f}x  [{r_low:.2f} .. {r_high:.2f}]"
                record("Sanctions inside matches", f"{case}, {len(strategies)} strategies, "
                       f"norm {name!r}", ratio, ours=fmt(mid).strip(),
                       reference=f"bare {fmt(spread(bare)[0]).strip()}", low=r_low,
                       high=r_high, better="lower", goal="<= 1.5x", met=ratio <= 1.5)
            print(line)
    save_results("bench_sanctions")


if __name__ == "__main__":
    main()
