"""Dynamics side by side with their peers, measured in one run; prints ratios.

    python benchmarks/bench_dynamics.py [--quick] [--egt-full-chain]

* replicator trajectories (3x3 and 50x50 random games, t = 0..1000, 10^4 output points)
  against nashpy's ``replicator_dynamics`` (scipy ``odeint``) at its tolerances and scipy
  ``solve_ivp`` (RK45 and LSODA) at rtol 1e-8, each with its error against a reference;
* the agent-based Moran process against ``axelrod.MoranProcess`` (axelrod's 10 basic
  strategies, 200 turns), time per generation;
* pairwise-comparison (Fermi) simulations and small-mutation stationary distributions against
  EGTtools (C++), when ``egttools`` is installed;
* the full-chain stationary distribution for k = 3, N = 100 (5151 states), and EGTtools' on a
  smaller chain (its dense eigen-solver takes minutes at N = 100; ``--egt-full-chain`` runs
  it anyway).

Compilation is excluded (every function runs once before timing); each figure is the best of
a few repetitions. axelrod, nashpy, scipy and egttools are imported here only.
"""

from __future__ import annotations

import argparse
import importlib
import math
import time
import warnings

import numpy as np
from timing import best, fmt

import evopolity.dynamics.analytical as an
import evopolity.dynamics.finite as fin
import evopolity.dynamics.replicator as dyn


def row(label: str, ours: float, peer: float | None, peer_name: str) -> None:
    if peer is None:
        print(f"  {label:<46} ours {fmt(ours)}   {peer_name}: not measured")
    else:
        print(
            f"  {label:<46} ours {fmt(ours)}   {peer_name} {fmt(peer)}   ratio {peer / ours:8.1f}x"
        )


def optional(name: str):
    try:
        return importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - any import failure means "not available"
        print(f"  ({name} not available: {type(exc).__name__}: {exc}; comparison skipped)")
        return None


# nashpy's replicator_dynamics calls scipy's odeint with its default tolerances
ODEINT_TOL = 1.49012e-8


def bench_replicator(quick: bool) -> None:
    """Replicator trajectories against nashpy (odeint, LSODA) and scipy ``solve_ivp``.

    Each solver runs at the same requested tolerances as its peer: ours at odeint's defaults
    (``rtol = atol = 1.49012e-8``, which nashpy does not let one change) against nashpy, and
    at ``rtol 1e-8, atol 1e-10`` against ``solve_ivp``. Each result's largest error against a
    reference (scipy DOP853 at ``rtol 1e-13``) is printed beside its time, so a faster solver
    cannot be a sloppier one unnoticed.
    """
    print("replicator: t = 0..1000, 10^4 output points (integrator='auto' unless named)")
    nashpy = optional("nashpy")
    integrate = optional("scipy.integrate")
    rng = np.random.default_rng(0)
    times = np.linspace(0.0, 1000.0, 10_000)
    # best of many: a run's time here moves by 10-20% with the machine's other work
    repeat = 5 if quick else 50
    for k in (3, 50):
        A = rng.uniform(-1, 1, (k, k))
        x0 = rng.dirichlet(np.ones(k))

        def ours(rtol, atol, integrator="auto", A=A, x0=x0):
            return dyn.replicator(
                A, x0, times=times, rtol=rtol, atol=atol, integrator=integrator, stop_at_rest=False
            )

        ours(1e-8, 1e-10)
        reference = None
        if integrate is not None:

            def rhs(t, x, A=A):
                f = A @ x
                return x * (f - x @ f)

            reference = integrate.solve_ivp(
                rhs, (0.0, 1000.0), x0, t_eval=times, rtol=1e-13, atol=1e-16, method="DOP853"
            ).y.T

        def error(frequencies, reference=reference):
            if reference is None:
                return ""
            return f"   max error {np.abs(np.asarray(frequencies) - reference).max():.1e}"

        def measure(label, fn, peer, peer_name):
            t_ours = best(fn, repeat)
            t_peer = best(peer, 2 if quick else 10)
            row(label, t_ours, t_peer, peer_name)
            print(f"  {'':<46} ours{error(fn().frequencies)}, {peer_name}{error(peer())}")

        if nashpy is not None:
            game = nashpy.Game(A)

            def peer(game=game, x0=x0):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return game.replicator_dynamics(y0=x0, timepoints=times)

            measure(
                f"{k}x{k} vs nashpy (odeint), tol 1.5e-8",
                lambda: ours(ODEINT_TOL, ODEINT_TOL), peer, "nashpy",
            )  # fmt: skip
        if integrate is not None:
            for method in ("RK45", "LSODA"):

                def peer2(x0=x0, rhs=rhs, method=method):
                    sol = integrate.solve_ivp(
                        rhs, (0.0, 1000.0), x0, t_eval=times, rtol=1e-8, atol=1e-10,
                        method=method,
                    )  # fmt: skip
                    return type("Result", (), {"frequencies": sol.y.T})

                def peer_frequencies(peer2=peer2):
                    return peer2().frequencies

                measure(
                    f"{k}x{k} vs solve_ivp {method}, rtol 1e-8",
                    lambda: ours(1e-8, 1e-10), peer_frequencies, f"scipy {method}",
                )  # fmt: skip
        t_explicit = best(lambda: ours(1e-8, 1e-10, "dopri5"), repeat)
        tr = ours(1e-8, 1e-10)
        print(
            f"  {k}x{k} integrator='dopri5' alone (rtol 1e-8): {fmt(t_explicit)}; 'auto' took "
            f"{tr.info['steps']} steps, {tr.info['implicit_steps']} of them RODAS4"
        )


def bench_agent_moran(quick: bool) -> None:
    print("agent-based Moran: axelrod's 10 basic strategies, 200 turns, time per generation")
    from evopolity.play.strategies import library

    players = library.basic_strategies()
    n_gens = 2000 if quick else 10_000

    def ours(noise):
        return fin.agent_moran(
            players, turns=200, noise=noise, seed=1, generations=n_gens,
            stop_on_fixation=False,
        )  # fmt: skip

    axl = optional("axelrod")
    for noise in (0.0, 0.05):
        ours(noise)
        t_ours = best(lambda noise=noise: ours(noise), 3) / n_gens
        t_peer = None
        if axl is not None:
            gens = 10 if quick else 30
            mp = axl.MoranProcess(
                [s() for s in axl.basic_strategies], turns=200, noise=noise, seed=1,
                stop_on_fixation=False,
            )  # fmt: skip
            next(mp)  # build the deterministic cache as it would be in a long run
            t = time.perf_counter()
            for _ in range(gens):
                next(mp)
            t_peer = (time.perf_counter() - t) / gens
        row(f"per generation, noise {noise}", t_ours, t_peer, "axelrod")


def bench_egttools(quick: bool, full_chain: bool) -> None:
    print("finite populations: Fermi simulations and stationary distributions")
    egt = optional("egttools")
    rng = np.random.default_rng(1)
    gens = 10**5
    for k, N in ((3, 1000), (10, 1000)):
        A = rng.uniform(0, 1, (k, k))
        init = np.full(k, N // k, dtype=np.int64)
        init[0] += N - init.sum()

        def ours(A=A, init=init, N=N):
            return fin.pairwise_comparison(
                A, N, init, gens, selection=1.0, mutation=1e-3, seed=1, record_every=1
            )

        ours()
        t_ours = best(ours, 5)
        t_peer = None
        if egt is not None:
            from egttools.numerical import PairwiseComparisonNumerical

            game = egt.games.Matrix2PlayerGameHolder(k, A)
            pc = PairwiseComparisonNumerical(N, game, 10**6)
            state = init.astype(np.uint64)

            def peer(pc=pc, state=state):
                return pc.run_with_mutation(gens, 1.0, 1e-3, state)

            peer()
            t_peer = best(peer, 5)
        row(f"Fermi k={k} N={N}, 10^5 events (all recorded)", t_ours, t_peer, "egttools")

    for k, N in ((5, 100), (20, 100)):
        A = rng.uniform(0, 1, (k, k))

        def ours(A=A, N=N):
            return an.stationary_distribution(A, N, "fermi", 1.0)

        ours()
        t_ours = best(ours, 7)
        t_peer = None
        if egt is not None:
            from egttools.analytical import PairwiseComparison

            game = egt.games.Matrix2PlayerGameHolder(k, A)

            def peer(game=game, N=N):
                pc = PairwiseComparison(N, game)
                transitions, _ = pc.calculate_transition_and_fixation_matrix_sml(1.0)
                return egt.utils.calculate_stationary_distribution(transitions.transpose())

            t_peer = best(peer, 3)
            err = np.abs(peer() - ours().to_numpy()).max()
        row(f"small-mutation stationary, k={k} N={N}", t_ours, t_peer, "egttools")
        if egt is not None:
            print(f"  {'':<46} max |difference| {err:.1e}")

    A = np.array([[1.0, 0.2, 1.4], [1.3, 0.7, 0.4], [0.6, 1.1, 0.9]])
    for N in ((30,) if quick else (30, 60)) + ((100,) if full_chain else ()):
        t_ours = best(lambda N=N: an.stationary_distribution(A, N, "fermi", 1.0, mutation=1e-3), 3)
        t_peer = None
        if egt is not None:
            from egttools.analytical import PairwiseComparison

            game = egt.games.Matrix2PlayerGameHolder(3, A)

            def peer(N=N, game=game):
                pc = PairwiseComparison(N, game)
                T = pc.calculate_transition_matrix(1.0, 1e-3)
                return egt.utils.calculate_stationary_distribution(T.transpose())

            t_peer = best(peer, 1)
        states = math.comb(N + 2, 2)
        row(f"full chain k=3 N={N} ({states} states)", t_ours, t_peer, "egttools")
    t_ours = best(lambda: an.stationary_distribution(A, 100, "fermi", 1.0, mutation=1e-3), 5)
    row("full chain k=3 N=100 (5151 states)", t_ours, None, "egttools")
    t_ours = best(lambda: an.stationary_distribution(A, 300, "moran", 0.5, mutation=1e-3), 1)
    row("full chain k=3 N=300 (45451 states)", t_ours, None, "egttools")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument(
        "--egt-full-chain", action="store_true", help="also time EGTtools at N=100 (minutes)"
    )
    args = parser.parse_args()
    import numba

    print(f"numba threads: {numba.get_num_threads()}")
    bench_replicator(args.quick)
    bench_agent_moran(args.quick)
    bench_egttools(args.quick, args.egt_full_chain)


if __name__ == "__main__":
    main()
