"""Finite populations against their ceilings and peers, measured in one run; prints ratios.

    python benchmarks/bench_finite.py [--quick] [--egt-full-chain]

* the Moran and pairwise-comparison (Fermi) event loops (N = 1000, k = 3 and 10, mutation
  1e-3, 10^6 events through the public functions) against the ceiling: a throwaway numba loop
  doing the same event's work (pick individuals, one exponential per Fermi event or the k
  fitnesses of a Moran event when the counts changed, update the counts and the O(k) payoff
  sums, counter-based draws), without recording; the kernel's fast loop is first checked
  against its general loop, bit for bit;
* the agent-based Moran process against ``axelrod.MoranProcess`` (axelrod's 10 basic
  strategies, 200 turns, noise 0 and 0.05), time per generation; the serial and threaded
  loops are first checked to give the same trajectory;
* Fermi simulations and small-mutation stationary distributions against EGTtools (C++), when
  ``egttools`` is installed, and the full-chain stationary distribution for k = 3 (EGTtools'
  on smaller chains: its dense eigen-solver takes minutes at N = 100; ``--egt-full-chain``
  runs it anyway).

Compilation is excluded (every function runs once before timing). Every ratio is the median
over interleaved rounds (``timing.interleaved``), with its 10th..90th percentiles: on a
shared machine absolute times move, ratios taken moments apart hold. axelrod and egttools
are imported here only.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from numba import njit
from timing import fmt, interleaved, optional, record, save_results, spread

import evopolity.dynamics.analytical as an
import evopolity.dynamics.finite as fin
from evopolity.kernels import codes
from evopolity.kernels import finite as fk
from evopolity.kernels.rng import GOLDEN, packed_seed, stream_key, unit_float
from evopolity.validate import seed_sequence

SECTION = "Finite populations"


def ratio_row(label: str, ours: list[float], ref: list[float], ref_name: str, *,
              per: float = 1.0, goal: float | None = None, goal_text: str = "",
              rate: str | None = None) -> None:  # fmt: skip
    """Print and record ``ref / ours`` per round (median and spread), larger is better.

    ``per`` divides the times shown (e.g. generations a call); ``rate`` names a rate unit
    (events/s) shown instead of times, ``per`` events a call.
    """
    ratios = [r / o for o, r in zip(ours, ref, strict=True)]
    med, lo, hi = spread(ratios)
    t_ours, t_ref = spread(ours)[0] / per, spread(ref)[0] / per
    if rate:
        shown_ours = f"{1 / t_ours / 1e6:6.1f} M {rate}"
        shown_ref = f"{1 / t_ref / 1e6:6.1f} M {rate}"
    else:
        shown_ours, shown_ref = fmt(t_ours), fmt(t_ref)
    met = None if goal is None else med >= goal
    mark = "" if met is None else ("  goal met" if met else "  GOAL NOT MET")
    print(f"  {label:<44} ours {shown_ours}   {ref_name} {shown_ref}   ratio {med:8.2f}x "
          f"[10%..90%] {lo:.2f}..{hi:.2f}{mark}")  # fmt: skip
    record(SECTION, label, med, ours=shown_ours.strip(),
           reference=f"{ref_name} {shown_ref.strip()}", spread=f"[10%..90%] {lo:.2f}..{hi:.2f}",
           goal=goal_text, met=met)  # fmt: skip


def time_only_row(label: str, times: list[float]) -> None:
    med, lo, hi = spread(times)
    print(f"  {label:<44} ours {fmt(med)}   [10%..90%] {fmt(lo)}..{fmt(hi)}")
    record(SECTION, label, None, ours=fmt(med).strip(),
           spread=f"[10%..90%] {fmt(lo).strip()}..{fmt(hi).strip()}")  # fmt: skip


# -- the ceiling: the event's work in a throwaway loop ----------------------------------------


@njit
def _fermi_ceiling(A, N, n0, selection, mutation, events, counter):
    """``events`` Fermi events on counts ``n0``, nothing recorded: the least work an event
    needs, written plainly (no regime, no checks)."""
    k = n0.size
    n = n0.copy()
    S = A @ n0.astype(np.float64)
    AT = np.ascontiguousarray(A.T)
    inv = 1.0 / (N - 1)
    for _ in range(events):
        counter += GOLDEN
        x = unit_float(counter) * N
        acc = 0.0
        dead = k - 1
        for i in range(k):
            acc += n[i]
            if x < acc:
                dead = i
                break
        born = dead
        counter += GOLDEN
        if unit_float(counter) < mutation:
            counter += GOLDEN
            j = int(unit_float(counter) * (k - 1))
            born = j + 1 if j >= dead else j
        else:
            counter += GOLDEN
            x = unit_float(counter) * (N - 1)
            acc = 0.0
            model = k - 1
            for i in range(k):
                acc += n[i] - (1 if i == dead else 0)
                if x < acc:
                    model = i
                    break
            if model != dead:
                gain = (S[model] - A[model, model] - S[dead] + A[dead, dead]) * inv
                counter += GOLDEN
                if unit_float(counter) < 1.0 / (1.0 + math.exp(-selection * gain)):
                    born = model
        if born != dead:
            n[born] += 1
            n[dead] -= 1
            for i in range(k):
                S[i] += AT[born, i] - AT[dead, i]
    return n


@njit
def _moran_ceiling(A, N, n0, selection, mutation, events, counter):
    """``events`` Moran events (fitness ``exp(w pi)``) on counts ``n0``, nothing recorded;
    the fitnesses are computed again only when the counts change."""
    k = n0.size
    n = n0.copy()
    S = A @ n0.astype(np.float64)
    AT = np.ascontiguousarray(A.T)
    f = np.empty(k)
    cum = np.empty(k)
    inv = 1.0 / (N - 1)
    stale = True
    total = 0.0
    for _ in range(events):
        if stale:
            top = -np.inf
            for i in range(k):
                f[i] = (S[i] - A[i, i]) * inv
                if n[i] > 0 and f[i] > top:
                    top = f[i]
            total = 0.0
            for i in range(k):
                f[i] = math.exp(selection * (f[i] - top))
                total += n[i] * f[i]
                cum[i] = total
            stale = False
        counter += GOLDEN
        x = unit_float(counter) * total
        born = k - 1
        for i in range(k):
            if x < cum[i]:
                born = i
                break
        counter += GOLDEN
        if unit_float(counter) < mutation:
            counter += GOLDEN
            j = int(unit_float(counter) * (k - 1))
            born = j + 1 if j >= born else j
        counter += GOLDEN
        x = unit_float(counter) * N
        acc = 0.0
        dead = k - 1
        for i in range(k):
            acc += n[i]
            if x < acc:
                dead = i
                break
        if born != dead:
            n[born] += 1
            n[dead] -= 1
            for i in range(k):
                S[i] += AT[born, i] - AT[dead, i]
            stale = True
    return n


def check_fast_loop(rule: int, A: np.ndarray, N: int, init: np.ndarray) -> None:
    """The regime-free loop gives the general loop's trajectory, bit for bit."""
    pts = np.r_[np.arange(0, 100_000, 10), 100_000].astype(np.int64)
    runs = []
    for general in (False, True):
        out = np.empty((pts.size, A.shape[0]))
        args = (rule, A, N, init, 1.0, 1e-3, pts, False, np.uint64(7), out)
        if general:
            ret = fk.simulate(*args, codes.LINEAR, np.zeros(0), 1.0, np.empty(pts.size))
        else:
            ret = fk.simulate_bare(*args, 1.0, np.empty(pts.size))
        runs.append((ret, out))
    assert runs[0][0] == runs[1][0] and np.array_equal(runs[0][1], runs[1][1]), (
        "the fast event loop differs from the general one")


# the first counter of the kernels' stream for seed=1 (dynamics.finite._simulate)
SEED_1_COUNTER = np.uint64(stream_key(packed_seed(seed_sequence(1)), 0, 0))


def bench_event_loops(quick: bool) -> None:
    print("Moran / Fermi event loops: N = 1000, mutation 1e-3, 10^6 events (ceiling: the "
          "same events in a plain loop)")  # fmt: skip
    rng = np.random.default_rng(1)
    events = 10**6
    N = 1000
    for k in (3, 10):
        A = rng.uniform(0, 1, (k, k))
        init = np.full(k, N // k, dtype=np.int64)
        init[0] += N - init.sum()
        for name, rule, simulate in (("Moran", codes.MORAN_EXP, fin.moran),
                                     ("Fermi", codes.FERMI, fin.pairwise_comparison)):  # fmt: skip
            check_fast_loop(rule, A, N, init)

            def ours(A=A, init=init, simulate=simulate):
                return simulate(A, N, init, events, selection=1.0, mutation=1e-3, seed=1)

            def ceiling(A=A, init=init, loop=_fermi_ceiling if rule == codes.FERMI
                        else _moran_ceiling):  # fmt: skip
                return loop(A, float(N), init, 1.0, 1e-3, events, SEED_1_COUNTER)

            # the ceiling draws what the kernel draws (seed 1's stream): the same events, the
            # same population at the end (where the scans of the counts stop depends on it)
            final = np.rint(ours().frequencies[-1] * N).astype(np.int64)
            assert np.array_equal(ceiling(), final), "the ceiling ran other events"
            res = interleaved({"ours": ours, "ceiling": ceiling}, 5 if quick else 11, 1)
            # events/s ours / ceiling = time ceiling / time ours
            ratio_row(f"{name} event loop, k={k}, vs the ceiling", res["ours"], res["ceiling"],
                      "ceiling", per=events, goal=0.5, goal_text=">= 50% of the ceiling",
                      rate="events/s")  # fmt: skip


def bench_agent_moran(quick: bool) -> None:
    print("agent-based Moran: axelrod's 10 basic strategies, 200 turns, time per generation")
    from evopolity.play.strategies import library

    players = library.basic_strategies()
    gens = 100 if quick else 400
    axl = optional("axelrod")

    def ours(noise, threshold=None):
        saved = fin.PARALLEL_TURNS
        if threshold is not None:
            fin.PARALLEL_TURNS = threshold
        try:
            return fin.agent_moran(players, turns=200, noise=noise, seed=1, generations=gens,
                                   stop_on_fixation=False, record_every=1)  # fmt: skip
        finally:
            fin.PARALLEL_TURNS = saved

    for noise in (0.0, 0.05):
        serial, threaded = ours(noise, 10**18), ours(noise, 0)
        assert np.array_equal(serial.frequencies, threaded.frequencies), (
            "threads changed the trajectory")
        calls = {"ours": lambda noise=noise: ours(noise)}
        if axl is not None:
            mp = axl.MoranProcess(
                [s() for s in axl.basic_strategies], turns=200, noise=noise, seed=1,
                stop_on_fixation=False,
            )  # fmt: skip
            next(mp)  # build the deterministic cache as it would be in a long run
            calls["axelrod"] = lambda mp=mp: next(mp)
        res = interleaved(calls, 5 if quick else 9, 2)
        label = f"agent Moran per generation, noise {noise}"
        if axl is None:
            time_only_row(label, [t / gens for t in res["ours"]])
            continue
        goal = 1000.0 if noise > 0 else None
        ratio_row(label, [t / gens for t in res["ours"]], res["axelrod"], "axelrod", goal=goal,
                  goal_text=">= 1,000x axelrod" if goal else "")  # fmt: skip


def bench_egttools(quick: bool, full_chain: bool) -> None:
    print("Fermi simulations and stationary distributions against EGTtools")
    egt = optional("egttools")
    rng = np.random.default_rng(1)
    gens = 10**5
    rounds = 5 if quick else 9
    for k, N in ((3, 1000), (10, 1000)):
        A = rng.uniform(0, 1, (k, k))
        init = np.full(k, N // k, dtype=np.int64)
        init[0] += N - init.sum()

        def ours(A=A, init=init, N=N):
            return fin.pairwise_comparison(
                A, N, init, gens, selection=1.0, mutation=1e-3, seed=1, record_every=1
            )

        ours()
        label = f"Fermi k={k} N={N}, 10^5 events (all recorded)"
        if egt is None:
            time_only_row(label, interleaved({"ours": ours}, rounds, 1)["ours"])
            continue
        from egttools.numerical import PairwiseComparisonNumerical

        # EGTtools keeps a reference to the game, not the game: it must outlive the peer
        game = egt.games.Matrix2PlayerGameHolder(k, A)
        pc = PairwiseComparisonNumerical(N, game, 10**6)
        state = init.astype(np.uint64)

        def peer(pc=pc, state=state, game=game):
            return pc.run_with_mutation(gens, 1.0, 1e-3, state)

        peer()
        res = interleaved({"ours": ours, "egttools": peer}, rounds, 1)
        ratio_row(label, res["ours"], res["egttools"], "egttools")

    for k, N in ((5, 100), (20, 100)):
        A = rng.uniform(0, 1, (k, k))

        def ours(A=A, N=N):
            return an.stationary_distribution(A, N, "fermi", 1.0)

        ours()
        label = f"small-mutation stationary, k={k} N={N}"
        if egt is None:
            time_only_row(label, interleaved({"ours": ours}, rounds, 3)["ours"])
            continue
        from egttools.analytical import PairwiseComparison

        def peer(A=A, N=N, k=k):
            game = egt.games.Matrix2PlayerGameHolder(k, A)
            pc = PairwiseComparison(N, game)
            transitions, _ = pc.calculate_transition_and_fixation_matrix_sml(1.0)
            return egt.utils.calculate_stationary_distribution(transitions.transpose())

        err = np.abs(peer() - ours().to_numpy()).max()
        res = interleaved({"ours": ours, "egttools": peer}, rounds, 1)
        ratio_row(label, res["ours"], res["egttools"], "egttools")
        print(f"  {'':<44} max |difference| {err:.1e}")

    A = np.array([[1.0, 0.2, 1.4], [1.3, 0.7, 0.4], [0.6, 1.1, 0.9]])
    for N in ((30,) if quick else (30, 60)) + ((100,) if full_chain else ()):

        def ours(N=N):
            return an.stationary_distribution(A, N, "fermi", 1.0, mutation=1e-3)

        ours()
        label = f"full chain k=3 N={N} ({math.comb(N + 2, 2)} states)"
        if egt is None:
            time_only_row(label, interleaved({"ours": ours}, 3, 1)["ours"])
            continue

        def peer(N=N):
            game = egt.games.Matrix2PlayerGameHolder(3, A)
            pc = PairwiseComparison(N, game)
            T = pc.calculate_transition_matrix(1.0, 1e-3)
            return egt.utils.calculate_stationary_distribution(T.transpose())

        # EGTtools takes seconds to minutes here: one round (no spread to speak of)
        res = interleaved({"ours": ours, "egttools": peer}, 1, 1)
        ratio_row(label, res["ours"], res["egttools"], "egttools")
    times = interleaved({"ours": lambda: an.stationary_distribution(
        A, 100, "fermi", 1.0, mutation=1e-3)}, 5, 1)["ours"]  # fmt: skip
    time_only_row("full chain k=3 N=100 (5151 states)", times)
    times = interleaved({"ours": lambda: an.stationary_distribution(
        A, 300, "moran", 0.5, mutation=1e-3)}, 1 if quick else 3, 1)["ours"]  # fmt: skip
    time_only_row("full chain k=3 N=300 (45451 states)", times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument(
        "--egt-full-chain", action="store_true", help="also time EGTtools at N=100 (minutes)"
    )
    args = parser.parse_args()
    import numba

    print(f"numba threads: {numba.get_num_threads()}")
    bench_event_loops(args.quick)
    bench_agent_moran(args.quick)
    bench_egttools(args.quick, args.egt_full_chain)
    save_results("bench_finite")


if __name__ == "__main__":
    main()
