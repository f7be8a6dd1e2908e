"""The replicator side by side with its peers and a plain right-hand side, measured in one run.

    python benchmarks/bench_dynamics.py [--quick]

* replicator trajectories, t = 0..1000, 10^4 output points, on a random 3x3 game and on
  several random 50x50 games: ours (``integrator='auto'``, and each of its two methods alone)
  against nashpy's ``replicator_dynamics`` (scipy ``odeint``) at nashpy's tolerances, and scipy
  ``solve_ivp`` (RK45 and LSODA) at rtol 1e-8 on the 3x3 game, each with its largest error
  against a reference (scipy DOP853 at rtol 1e-13). The worst ratio over the 50x50 games is
  the figure of record, not the best. ``auto`` against the better of its two methods shows
  what its switching costs or saves;
* the cost of one right-hand side at k = 3: the integrators' (fitness model known at compile
  time), the same function dispatching on a model known only at run time, and a plain one.

Before timing, every result is checked against the reference (fast paths against the general
one). Times are medians of interleaved rounds (``timing.interleaved``), with the 10th-90th
percentile spread of the per-round ratios. Compilation is excluded (every function runs once
first). nashpy and scipy are imported here only. The finite-population comparisons are in
``bench_finite.py``.
"""

from __future__ import annotations

import argparse
import warnings

import numba
import numpy as np
from timing import fmt, interleaved, optional, record, save_results, spread

import evopolity.dynamics.replicator as dyn
from evopolity.kernels.codes import LINEAR, NO_MUTATION
from evopolity.kernels.velocity import rhs

# nashpy's replicator_dynamics calls scipy's odeint with its default tolerances
ODEINT_TOL = 1.49012e-8
T_END = 1000.0
TIMES = np.linspace(0.0, T_END, 10_000)
GOAL_NASHPY = 10.0  # ours at least 10x nashpy, on every game
GOAL_AUTO = 1.2  # auto at most 20% slower than the better of its two methods
N_LARGE = 5  # random 50x50 games


def ratio_text(values: list[float]) -> tuple[float, str]:
    med, lo, hi = spread(values)
    return med, f"[10%..90%] {lo:.2f}..{hi:.2f}"


def reference(integrate, A: np.ndarray, x0: np.ndarray, rtol: float = 1e-13) -> np.ndarray:
    def f(t, x):
        g = A @ x
        return x * (g - x @ g)

    return integrate.solve_ivp(f, (0.0, T_END), x0, t_eval=TIMES, rtol=rtol, atol=rtol * 1e-3,
                               method="DOP853").y.T  # fmt: skip


def bench_replicator(quick: bool) -> None:
    """Replicator trajectories against nashpy (odeint, LSODA) and scipy ``solve_ivp``.

    Each solver runs at its peer's requested tolerances: ours at odeint's defaults
    (``rtol = atol = 1.49012e-8``, which nashpy does not let one change) against nashpy, and
    at ``rtol 1e-8, atol 1e-10`` against ``solve_ivp``. Each result's largest error against the
    reference is printed beside its time, so a faster solver cannot be a sloppier one
    unnoticed.
    """
    print(f"replicator: t = 0..{T_END:g}, {TIMES.size} output points, interleaved medians")
    nashpy = optional("nashpy")
    integrate = optional("scipy.integrate")
    if integrate is None:
        print("  (scipy is needed for the reference; replicator comparison skipped)")
        return
    rounds, per_round = (3, 1) if quick else (9, 3)
    games = [("3x3", np.random.default_rng(0), 3)]
    games += [(f"50x50 #{i + 1}", np.random.default_rng(100 + i), 50) for i in range(N_LARGE)]
    worst = None
    worst_auto = None
    for label, rng, k in games:
        A = rng.uniform(-1, 1, (k, k))
        x0 = rng.dirichlet(np.ones(k))
        ref = reference(integrate, A, x0)
        # how well the game's trajectory is determined: random games are often sensitive (a
        # near-heteroclinic switching amplifies every error), and then any solver's error at
        # a loose tolerance is of order one late in the run; the reference at two tolerances
        # shows it
        conditioning = np.abs(ref - reference(integrate, A, x0, 1e-12)).max()

        def ours(integrator: str, tol: float = ODEINT_TOL, A=A, x0=x0):
            return dyn.replicator(A, x0, times=TIMES, rtol=tol, atol=tol, integrator=integrator,
                                  stop_at_rest=False).frequencies  # fmt: skip

        calls = {name: (lambda name=name: ours(name)) for name in ("auto", "dopri5", "rodas4")}
        errors = {name: np.abs(fn() - ref).max() for name, fn in calls.items()}
        # before timing: every method at a tight tolerance on the reference while the
        # trajectory is well determined (the first tenth of the run)
        early = TIMES <= 0.1 * T_END
        for name in calls:
            err = np.abs(ours(name, 1e-11)[early] - ref[early]).max()
            assert err < 1e-6, f"{label} {name}: error {err:.1e} at rtol 1e-11, t <= 100"
        if nashpy is not None:
            game = nashpy.Game(A)

            def peer(game=game, x0=x0):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return game.replicator_dynamics(y0=x0, timepoints=TIMES)

            calls["nashpy"] = peer
            errors["nashpy"] = np.abs(peer() - ref).max()
        t = interleaved(calls, rounds, per_round)
        info = dyn.replicator(A, x0, times=TIMES, rtol=ODEINT_TOL, atol=ODEINT_TOL,
                              stop_at_rest=False).info  # fmt: skip
        print(f"  {label}: auto took {info['steps']} steps, {info['implicit_steps']} of them "
              f"RODAS4 (tolerance {ODEINT_TOL:g}); the reference at rtol 1e-12 and 1e-13 "
              f"differs by {conditioning:.1e}")
        for name in calls:
            print(f"    {name:<8} {fmt(spread(t[name])[0])}   max error {errors[name]:.1e}")
        best_method = [min(a, b) for a, b in zip(t["dopri5"], t["rodas4"], strict=True)]
        auto, auto_text = ratio_text([a / b for a, b in zip(t["auto"], best_method,
                                                              strict=True)])  # fmt: skip
        print(f"    auto / the better of dopri5 and rodas4: {auto:.2f} {auto_text}")
        record("Replicator", f"{label} auto vs the better of its methods", 1.0 / auto,
               ours=fmt(spread(t["auto"])[0]).strip(),
               reference=fmt(spread(best_method)[0]).strip(), spread=auto_text,
               goal=f"auto <= {GOAL_AUTO:g}x the better", met=auto <= GOAL_AUTO)
        worst_auto = auto if worst_auto is None else max(worst_auto, auto)
        if "nashpy" in calls:
            r, r_text = ratio_text([b / a for a, b in zip(t["auto"], t["nashpy"], strict=True)])
            print(f"    nashpy / auto: {r:.1f}x {r_text}   (errors: ours {errors['auto']:.1e},"
                  f" nashpy {errors['nashpy']:.1e})")
            record("Replicator", f"{label} vs nashpy (odeint), tol 1.5e-8", r,
                   ours=f"{fmt(spread(t['auto'])[0]).strip()} (error {errors['auto']:.1e})",
                   reference=f"{fmt(spread(t['nashpy'])[0]).strip()} "
                             f"(error {errors['nashpy']:.1e})",
                   spread=r_text, goal=f">= {GOAL_NASHPY:g}x", met=r >= GOAL_NASHPY)
            if k > 3:
                worst = r if worst is None else min(worst, r)
        if k == 3:
            bench_solve_ivp(integrate, A, x0, ref, rounds, per_round)
    if worst is not None:
        print(f"  worst of the {N_LARGE} 50x50 games against nashpy: {worst:.1f}x "
              f"(goal >= {GOAL_NASHPY:g}x)")
        record("Replicator", f"worst of {N_LARGE} random 50x50 games vs nashpy", worst,
               goal=f">= {GOAL_NASHPY:g}x", met=worst >= GOAL_NASHPY)
    print(f"  worst auto / better method over the games: {worst_auto:.2f} "
          f"(goal <= {GOAL_AUTO:g})")


def bench_solve_ivp(integrate, A, x0, ref, rounds: int, per_round: int) -> None:
    """Ours against scipy ``solve_ivp`` RK45 and LSODA at rtol 1e-8, atol 1e-10."""

    def f(t, x):
        g = A @ x
        return x * (g - x @ g)

    calls = {"ours": lambda: dyn.replicator(A, x0, times=TIMES, rtol=1e-8, atol=1e-10,
                                            stop_at_rest=False).frequencies}  # fmt: skip
    for method in ("RK45", "LSODA"):
        calls[method] = (lambda method=method: integrate.solve_ivp(
            f, (0.0, T_END), x0, t_eval=TIMES, rtol=1e-8, atol=1e-10, method=method).y.T)
    errors = {name: np.abs(fn() - ref).max() for name, fn in calls.items()}
    t = interleaved(calls, rounds, per_round)
    for method in ("RK45", "LSODA"):
        r, r_text = ratio_text([b / a for a, b in zip(t["ours"], t[method], strict=True)])
        print(f"    scipy {method} / ours at rtol 1e-8: {r:.1f}x {r_text}   (errors: ours "
              f"{errors['ours']:.1e}, scipy {errors[method]:.1e})")
        record("Replicator", f"3x3 vs solve_ivp {method}, rtol 1e-8", r,
               ours=fmt(spread(t["ours"])[0]).strip(),
               reference=fmt(spread(t[method])[0]).strip(), spread=r_text)


# --- the right-hand side alone ----------------------------------------------------------------


@numba.njit
def _rhs_specialised(A, At, params, Q, x, f, out, calls):
    # LINEAR is a global here: numba types it as a constant, as the integrators' entries do
    problem = (LINEAR, A, At, params, Q, NO_MUTATION)
    for _ in range(calls):
        rhs(problem, x, f, out)
        x[0] += out[0] * 1e-300  # a dependence, so that the calls are not hoisted
    return out[0]


@numba.njit
def _rhs_generic(model, A, At, params, Q, x, f, out, calls):
    problem = (model, A, At, params, Q, NO_MUTATION)
    for _ in range(calls):
        rhs(problem, x, f, out)
        x[0] += out[0] * 1e-300
    return out[0]


@numba.njit
def _rhs_plain(A, x, f, out, calls):
    k = x.size
    for _ in range(calls):
        phi = 0.0
        for i in range(k):
            s = 0.0
            for j in range(k):
                s += A[i, j] * x[j]
            f[i] = s
            phi += x[i] * s
        for i in range(k):
            out[i] = x[i] * (f[i] - phi)
        x[0] += out[0] * 1e-300
    return out[0]


def bench_rhs(quick: bool) -> None:
    """ns per right-hand side at k = 3: the integrators' specialised one, the run-time
    dispatch, a plain loop (the ceiling)."""
    rng = np.random.default_rng(5)
    A = rng.uniform(-1, 1, (3, 3))
    At = np.ascontiguousarray(A.T)
    x0 = rng.dirichlet(np.ones(3))
    params, Q = np.zeros(0), np.eye(3)
    calls = 100_000

    def run(which):
        x, f, out = x0.copy(), np.empty(3), np.empty(3)
        if which == "specialised":
            _rhs_specialised(A, At, params, Q, x, f, out, calls)
        elif which == "generic":
            _rhs_generic(LINEAR, A, At, params, Q, x, f, out, calls)
        else:
            _rhs_plain(A, x, f, out, calls)
        return out

    # the same velocity on every path (to rounding: the plain loop sums in another order)
    outs = {w: run(w) for w in ("specialised", "generic", "plain")}
    np.testing.assert_array_equal(outs["specialised"], outs["generic"])
    np.testing.assert_allclose(outs["specialised"], outs["plain"], rtol=1e-12, atol=1e-15)
    t = interleaved({w: (lambda w=w: run(w)) for w in outs}, 5 if quick else 15, 3)
    print("one right-hand side at k = 3 (LINEAR, no mutation), interleaved medians:")
    for w in outs:
        print(f"    {w:<12} {spread(t[w])[0] / calls * 1e9:6.1f} ns")
    r, r_text = ratio_text([p / s for s, p in zip(t["specialised"], t["plain"], strict=True)])
    print(f"    plain / specialised: {r:.2f} {r_text}")
    record("Replicator", "right-hand side at k = 3 vs a plain loop", r,
           ours=f"{spread(t['specialised'])[0] / calls * 1e9:.1f} ns",
           reference=f"{spread(t['plain'])[0] / calls * 1e9:.1f} ns", spread=r_text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    print(f"numba threads: {numba.get_num_threads()}")
    bench_rhs(args.quick)
    bench_replicator(args.quick)
    save_results("bench_dynamics")


if __name__ == "__main__":
    main()
