"""Events per second on a 100 x 100 torus against a tight-loop ceiling, interleaved.

    python benchmarks/bench_graph_ceiling.py            # 3,000,000 events, 9 rounds
    python benchmarks/bench_graph_ceiling.py --quick    # 200,000 events, 3 rounds

The ceiling is a numba loop that does an imitation event's memory traffic without an update
rule: draw a node and a neighbour, copy the neighbour's strategy, update the payoff sums of
the node's four neighbours from a table. Against it, ``ep.structured`` on the prisoner's
dilemma (R, S, T, P = 3, 0.5, 5, 1), selection 0.1, mutation 0.001, half cooperators at the
start, with the Fermi, death--birth and birth--death updates (issue 15: at least half of the
ceiling each). Rounds are interleaved (each times every call three times and keeps the
median, so a round's calls are moments apart on a shared machine); printed are each call's
median rate and the median of the per-round ratios with its 10th-90th percentile spread.

Before timing, the fast loop is checked against the general path, one event at a time
(``kernels.graph.event``): the same states, payoffs and draws, bit for bit, for the Fermi,
death--birth and imitation rules (birth--death draws its parents by rejection, the same
process with other draws; tests/test_structured.py checks it against theory).
"""

from __future__ import annotations

import argparse

import numba
import numpy as np

# the same ceiling as bench_structured.py, so that the two scripts' shares compare
from bench_structured import PD, torus_calls
from timing import interleaved, record, save_results, spread

import evopolity as ep
from evopolity.kernels import codes
from evopolity.kernels import graph as gk


def check_against_the_general_path() -> None:
    """The fast loop (``gk.advance``) against ``gk.event`` once per event, bit for bit."""
    G = ep.graphs.lattice(20)
    s0 = np.random.default_rng(0).integers(2, size=G.n).astype(np.int64)
    size = gk.tree_size(G.n)
    rev = gk.reverse_edges(G.indptr, G.indices)
    for rule in (codes.GRAPH_FERMI, codes.GRAPH_DB, codes.GRAPH_IMITATION):
        states = []
        for fast in (True, False):
            s, P, F = s0.copy(), np.empty(G.n), np.empty(G.n)
            counts = np.zeros(2, np.int64)
            gx = gk.extension(*gk.plain_model(), G.n, 2)
            args = (rule, codes.MORAN_EXP, 0, PD, G.indptr, G.indices)
            gk.init_state(*args, s, 0.1, 20.0, P, F, np.zeros(0), size, counts, gx)
            counter = np.uint64(3)
            if fast:
                px = gk.plain_scratch(rule, G.n, rev)
                gk.fill_scratch(rule, s, F, G.indices, px)
                _, counter = gk.advance(*args, G.indptr, G.indices, s, 0.1, 1e-3, 20.0, P, F,
                                        np.zeros(0), size, counts, px, counter, 0, 20_000,
                                        False)  # fmt: skip
            else:
                for _ in range(20_000):
                    counter = np.uint64(gk.event(*args, G.indptr, G.indices, s, 0.1, 1e-3,
                                                 20.0, P, F, np.zeros(0), size, counts,
                                                 counter, gx))  # fmt: skip
            states.append((s, P, int(counter)))
        (s1, P1, c1), (s2, P2, c2) = states
        assert np.array_equal(s1, s2) and np.array_equal(P1, P2) and c1 == c2, rule
    print("fast loop = one event at a time (Fermi, death-birth, imitation): bit for bit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200,000 events, 3 rounds")
    args = parser.parse_args()
    events = 200_000 if args.quick else 3_000_000
    rounds = 3 if args.quick else 9
    print(f"numba threads: {numba.get_num_threads()}")
    check_against_the_general_path()
    G = ep.graphs.lattice(100)
    calls = torus_calls(G, events)
    times = interleaved(calls, rounds, 3)
    rate = events / spread(times["ceiling"])[0] / 1e6
    print(f"100 x 100 torus, {events:,} events, {rounds} interleaved rounds")
    print(f"  {'ceiling (tight loop, no rule)':<32} {rate:7.1f} M/s")
    for update in ("fermi", "db", "bd"):
        ours = events / spread(times[update])[0] / 1e6
        pairs = zip(times["ceiling"], times[update], strict=True)
        ratio, low, high = spread([c / o for c, o in pairs])
        print(f"  {'ours, update=' + repr(update):<32} {ours:7.1f} M/s   {ratio:5.2f} of the "
              f"ceiling [10%..90%] {low:.2f}..{high:.2f}")  # fmt: skip
        record("Structured populations", f"100 x 100 torus, update={update!r}, events/s",
               ratio, ours=f"{ours:.1f} M/s", reference=f"ceiling {rate:.1f} M/s",
               spread=f"[10%..90%] {low:.2f}..{high:.2f}", goal=">= 0.5 of the ceiling",
               met=ratio >= 0.5)  # fmt: skip
    save_results("bench_graph_ceiling")


if __name__ == "__main__":
    main()
