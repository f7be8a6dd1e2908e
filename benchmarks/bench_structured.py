"""Games on graphs side by side with a ceiling and a peer, measured in one run; prints ratios.

    python benchmarks/bench_structured.py [--quick]

* events per second on a 100 x 100 torus (von Neumann), Fermi and death-birth updates of the
  prisoner's dilemma, against a tight numba loop measured in the same run that does an
  event's memory traffic (draw a node and a neighbour, copy a strategy, update the payoff sums
  of the four neighbours from a table) without the update rule's arithmetic: the ceiling;
* birth-death on a cycle against ``axelrod.MoranProcess`` with an ``interaction_graph``
  (one-turn matches between Cooperator and Defector, fitness the summed score: the same
  process as ``update="bd"``, ``fitness_map="linear"``, ``selection=1``), time per generation
  (one birth and one death);
* 10^5 fixation runs of one mutant on a 100-node random 4-regular graph (10^4 with --quick).

Compilation is excluded (every call runs once before timing). The calls compared are timed in
interleaved rounds (``timing.interleaved``): each figure is the median over the rounds, each
ratio the median of the per-round ratios with its 10th-90th percentile spread. axelrod is
imported here only, when it is installed.
"""

from __future__ import annotations

import argparse
import importlib

import numba
import numpy as np
from timing import fmt, interleaved, paired_ratio, record, save_results, spread

import evopolity as ep
from evopolity.kernels.rng import GOLDEN, unit_float

PD = np.array([[3.0, 0.5], [5.0, 1.0]])  # R, S / T, P with S > 0: linear fitness stays positive


@numba.njit(cache=False)
def ceiling(ip, ii, s, P, A, events, seed):
    """The memory traffic of an imitation event without its rule: a node, a neighbour, a
    copied strategy and the payoff sums of the node's neighbours updated from a table."""
    counter = np.uint64(seed)
    n = s.size
    for _ in range(events):
        counter += GOLDEN
        i = min(int(unit_float(counter) * n), n - 1)
        d = ip[i + 1] - ip[i]
        counter += GOLDEN
        j = ii[ip[i] + min(int(unit_float(counter) * d), d - 1)]
        a = s[i]
        b = s[j]
        if a != b:
            s[i] = b
            for e in range(ip[i], ip[i + 1]):
                y = ii[e]
                P[y] += A[s[y], b] - A[s[y], a]
    return counter


def torus_calls(G, events: int) -> dict:
    """The ceiling and ``ep.structured`` under each fast rule on ``G``, each compiled first:
    the calls both this script and bench_graph_ceiling.py time, interleaved."""
    s = np.random.default_rng(0).integers(2, size=G.n).astype(np.int64)
    P = np.zeros(G.n)
    ceiling(G.indptr, G.indices, s.copy(), P, PD, 10, 1)
    calls = {"ceiling": lambda: ceiling(G.indptr, G.indices, s.copy(), P, PD, events, 1)}
    for update in ("fermi", "db", "bd"):
        def ours(update=update, n=events):
            return ep.structured(PD, G, update, n, 0.1, 1e-3, x0=[0.5, 0.5], seed=1,
                                 record_every=n)  # fmt: skip

        ours(n=10)
        calls[update] = ours
    return calls


def bench_lattice(quick: bool) -> None:
    events = 200_000 if quick else 5_000_000
    G = ep.graphs.lattice(100)
    print(f"100 x 100 torus, {events} events: events per second")
    calls = torus_calls(G, events)
    rounds = 2 if quick else 5
    times = interleaved(calls, rounds, 1)
    t_ceiling = spread(times["ceiling"])[0]
    print(f"  {'ceiling (tight loop, no rule)':<40} {events / t_ceiling / 1e6:8.1f} M/s")
    for update in ("fermi", "db", "bd"):
        t = spread(times[update])[0]
        ratio, low, high = paired_ratio(times["ceiling"], times[update])
        print(f"  {'ours, update=' + repr(update):<40} {events / t / 1e6:8.1f} M/s"
              f"   {ratio:5.2f} of the ceiling [{low:.2f} .. {high:.2f}]")  # fmt: skip
        record("Games on graphs", f"100 x 100 torus, update={update!r}, {events:,} events: "
               "share of the ceiling", ratio, ours=f"{events / t / 1e6:.1f} M events/s",
               reference=f"ceiling {events / t_ceiling / 1e6:.1f} M/s", low=low, high=high,
               goal=">= 0.5" if update == "fermi" else "",
               met=(ratio >= 0.5) if update == "fermi" else None)


def bench_axelrod(quick: bool) -> None:
    n = 20 if quick else 100
    print(f"birth-death on a cycle of {n}: time per generation (one birth, one death)")
    gens = 200_000

    def ours():
        return ep.structured(PD, ep.graphs.ring(n), "bd", gens, 1.0, 0.0, x0=[n // 2, n // 2],
                             seed=1, fitness_map="linear", stop_on_fixation=False,
                             record_every=gens)  # fmt: skip

    ours()
    try:
        axl = importlib.import_module("axelrod")
    except Exception as exc:  # noqa: BLE001 - any failure to import means: not measured
        t_ours = spread(interleaved({"ours": ours}, 3, 1)["ours"])[0] / gens
        print(f"  ours {fmt(t_ours)}   axelrod: not available ({type(exc).__name__})")
        return
    edges = [(i, (i + 1) % n) for i in range(n)]
    game = axl.Game(r=3, s=0.5, t=5, p=1)
    peer_gens = 5 if quick else 20

    def peer():
        players = [axl.Cooperator() for _ in range(n // 2)] + [axl.Defector()
                                                                for _ in range(n - n // 2)]
        mp = axl.MoranProcess(players, turns=1, game=game,
                              interaction_graph=axl.graph.Graph(edges), seed=1)
        for _ in range(peer_gens):
            next(mp)

    times = interleaved({"ours": ours, "axelrod": peer}, 2 if quick else 3, 1)
    t_ours = spread(times["ours"])[0] / gens
    t_peer = spread(times["axelrod"])[0] / peer_gens
    ratio, low, high = paired_ratio([t / peer_gens for t in times["axelrod"]],
                                    [t / gens for t in times["ours"]])
    print(f"  ours {fmt(t_ours)}   axelrod {fmt(t_peer)}   ratio {ratio:,.0f}x "
          f"[{low:,.0f} .. {high:,.0f}]")
    record("Games on graphs", f"birth-death on a cycle of {n}, per generation, vs "
           "axelrod.MoranProcess on the graph", ratio, ours=fmt(t_ours).strip(),
           reference=f"axelrod {fmt(t_peer).strip()}", low=low, high=high, goal=">= 1000x",
           met=ratio >= 1000)


def bench_fixation(quick: bool) -> None:
    runs = 10_000 if quick else 100_000
    G = ep.graphs.random_regular(100, 4, seed=1)
    print(f"fixation of one mutant, random 4-regular graph of 100, {runs} runs")
    for update in ("db", "bd"):
        def ours(update=update, runs=runs):
            return ep.graph_fixation(PD, G, update, 0.01, runs, seed=1)

        ours(runs=10)
        t = spread(interleaved({"ours": ours}, 1 if quick else 3, 1)["ours"])[0]
        est = ours()
        print(f"  update={update!r:<6} {fmt(t)}   rho = {est.probability:.4f} +- "
              f"{est.stderr:.4f} (neutral 0.01)")  # fmt: skip
        record("Games on graphs", f"{runs:,} fixation runs, random 4-regular graph of 100, "
               f"update={update!r}", None, ours=fmt(t).strip(), goal="seconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer events and repetitions")
    args = parser.parse_args()
    print(f"numba threads: {numba.get_num_threads()}")
    bench_lattice(args.quick)
    bench_axelrod(args.quick)
    bench_fixation(args.quick)
    save_results("bench_structured")


if __name__ == "__main__":
    main()
