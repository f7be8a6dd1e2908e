"""Reproduce the rock-paper-scissors cycles of the optional public goods game.

    python scripts/reproduce_hauert2002.py [--out evopolity-out/reproductions]

Hauert, De Monte, Hofbauer & Sigmund (2002) "Volunteering as Red Queen mechanism for
cooperation in public goods games", Science 296: 1129-1132 (the equations are in the companion
paper, Hauert, De Monte, Hofbauer & Sigmund 2002, J. theor. Biol. 218: 187-194). Groups of
``N`` are sampled from an infinite population of cooperators (``x``), defectors (``y``) and
loners (``z``); the participants play a public goods game (contribution ``c = 1``,
multiplication ``r``), loners get ``sigma``. With ``f = x/(x + y)`` the replicator reduces to

    df/dt = -f (1 - f) F(z),    F(z) = 1 + (r - 1) z^(N-1) - (r/N) (1 - z^N)/(1 - z),
    dz/dt = -z (1 - z) (1 - z^(N-1)) ((r - 1) f - sigma).

The paper's results: for ``r > 2`` an interior rest point ``Q`` (``f = sigma/(r - 1)``,
``F(z) = 0``) surrounded by closed orbits, along which cooperators, defectors and loners take
over in turn (C -> D -> L -> C); for ``r < 2`` no interior rest point, and every orbit is
homoclinic to the loner state (a short burst of cooperation, then back to loners).

The script solves ``ep.replicator(ep.public_goods(N, r, 1, sigma))`` (our payoffs, not the
closed form), finds the rest point from the payoffs, measures the period and the time
average of ``f`` along orbits at increasing distance from ``Q``, and checks the r < 2 case.
Parameters: ``N = 5``, ``r = 3``, ``sigma = 1`` (cycles) and ``r = 1.8``, ``sigma = 0.5``
(no cycles; ``sigma < r - 1`` keeps loners worse off than full cooperation). It writes
``hauert2002.png``, ``hauert2002.md`` and ``hauert2002.csv`` to ``--out``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from reproduction_tools import markdown
from scipy import integrate, optimize

import evopolity as ep

N_GROUP, R_CYCLES, SIGMA = 5, 3.0, 1.0
R_NO_CYCLES, SIGMA_NO_CYCLES = 1.8, 0.5


def F(z: float, N: int = N_GROUP, r: float = R_CYCLES) -> float:
    """The paper's ``F(z) = P_D - P_C`` (c = 1).

    Parameters
    ----------
    z : float
        Frequency of loners.
    N : int
        Group size.
    r : float
        Multiplication factor.

    Returns
    -------
    float
    """
    return 1 + (r - 1) * z ** (N - 1) - (r / N) * sum(z**k for k in range(N))


def dF(z: float, N: int = N_GROUP, r: float = R_CYCLES) -> float:
    """Derivative of :func:`F`.

    Parameters
    ----------
    z : float
        Frequency of loners.
    N : int
        Group size.
    r : float
        Multiplication factor.

    Returns
    -------
    float
    """
    return (r - 1) * (N - 1) * z ** (N - 2) - (r / N) * sum(k * z ** (k - 1) for k in range(1, N))


def paper_Q(N: int = N_GROUP, r: float = R_CYCLES, sigma: float = SIGMA) -> np.ndarray:
    """The paper's interior rest point: ``f = sigma/(r - 1)``, ``F(z) = 0``.

    Parameters
    ----------
    N, r, sigma : int, float, float
        Group size, multiplication factor, loners' payoff.

    Returns
    -------
    ndarray
        ``(x, y, z)``.
    """
    z = optimize.brentq(F, 1e-12, 1 - 1e-12, args=(N, r), xtol=1e-15)
    f = sigma / (r - 1)
    return np.array([(1 - z) * f, (1 - z) * (1 - f), z])


def our_Q(game, guess) -> np.ndarray:
    """The interior rest point from our payoffs: all three payoffs equal.

    Parameters
    ----------
    game : GroupGame
        The optional public goods game.
    guess : array_like
        A starting point in the interior.

    Returns
    -------
    ndarray
        ``(x, y, z)``.
    """
    def gap(v):
        x, z = v
        p = game.expected_payoffs([x, 1 - x - z, z]).to_numpy()
        return [p[0] - p[2], p[1] - p[2]]

    x, z = optimize.fsolve(gap, [guess[0], guess[2]], xtol=1e-12)
    return np.array([x, 1 - x - z, z])


def linear_period(N: int = N_GROUP, r: float = R_CYCLES, sigma: float = SIGMA) -> float:
    """Period of small oscillations around ``Q`` from the paper's (f, z) equations.

    The Jacobian at ``Q`` is ``[[0, -f(1-f) F'(z)], [-(r-1) z(1-z)(1-z^(N-1)), 0]]``, so
    ``omega^2 = (r - 1) f (1 - f) z (1 - z) (1 - z^(N-1)) (-F'(z))``.

    Parameters
    ----------
    N, r, sigma : int, float, float
        Group size, multiplication factor, loners' payoff.

    Returns
    -------
    float
        ``2 pi / omega``.
    """
    x, y, z = paper_Q(N, r, sigma)
    f = sigma / (r - 1)
    omega2 = (r - 1) * f * (1 - f) * z * (1 - z) * (1 - z ** (N - 1)) * (-dF(z, N, r))
    return 2 * np.pi / np.sqrt(omega2)


def invariant(X: np.ndarray, N: int = N_GROUP, r: float = R_CYCLES,
              sigma: float = SIGMA) -> np.ndarray:
    """The constant of motion ``H`` of the paper's (f, z) equations along rows of ``X``.

    ``H = sigma ln f + (r - 1 - sigma) ln(1 - f) + int_{1/2}^z F(s)/(s(1-s)(1-s^(N-1))) ds``.

    Parameters
    ----------
    X : ndarray
        States ``(x, y, z)``, one per row.
    N, r, sigma : int, float, float
        Group size, multiplication factor, loners' payoff.

    Returns
    -------
    ndarray
    """
    out = []
    for x, y, z in X:
        f = x / (x + y)
        integral, _ = integrate.quad(
            lambda s: F(s, N, r) / (s * (1 - s) * (1 - s ** (N - 1))), 0.5, z,
            epsabs=1e-13, epsrel=1e-12)
        out.append(sigma * np.log(f) + (r - 1 - sigma) * np.log(1 - f) + integral)
    return np.array(out)


def orbit(game, x0, t_max: float, n_points: int = 20001):
    """One replicator orbit of ``game`` (dopri5, rtol 1e-11).

    Parameters
    ----------
    game : GroupGame
        The game.
    x0 : array_like
        Start.
    t_max : float
        End time.
    n_points : int
        Output points.

    Returns
    -------
    Trajectory
    """
    return ep.replicator(game, x0, t_max=t_max, n_points=n_points, rtol=1e-11, atol=1e-13)


def cycle_measures(tr, f_star: float) -> dict[str, float]:
    """Period, time average of ``f`` over one period and the order of the maxima.

    The period is the time between two upward crossings of ``f = f*`` (linear interpolation).

    Parameters
    ----------
    tr : Trajectory
        An orbit covering at least two periods.
    f_star : float
        ``sigma/(r - 1)``.

    Returns
    -------
    dict
        ``period``, ``mean_f`` (time average over the first full period), ``mean_x``,
        ``mean_y``, ``mean_z`` and ``order`` (the strategies by the time of their maxima
        within that period, starting from cooperators).
    """
    t, X = tr.times, tr.frequencies
    g = X[:, 0] / (X[:, 0] + X[:, 1]) - f_star
    up = np.flatnonzero((g[:-1] < 0) & (g[1:] >= 0))
    if len(up) < 2:
        raise ValueError("the orbit does not cover two periods; raise t_max")
    cross = t[up] - g[up] * (t[up + 1] - t[up]) / (g[up + 1] - g[up])
    lo, hi = up[0] + 1, up[1] + 1
    span = slice(lo, hi + 1)
    means = [integrate.trapezoid(col, t[span]) / (t[hi] - t[lo])
             for col in (X[span, 0] / (X[span, 0] + X[span, 1]), X[span, 0], X[span, 1],
                         X[span, 2])]
    peaks = {name: t[lo + np.argmax(X[span, i])] for i, name in enumerate("CDL")}
    start = peaks["C"]
    order = sorted("CDL", key=lambda s: (peaks[s] - start) % (t[hi] - t[lo]))
    return {"period": cross[1] - cross[0], "mean_f": means[0], "mean_x": means[1],
            "mean_y": means[2], "mean_z": means[3], "order": " -> ".join(order)}


def orbit_table(deltas=(0.01, 0.05, 0.1, 0.2, 0.3), t_max: float = 80.0,
                n_points: int = 40001) -> tuple[pd.DataFrame, dict]:
    """Orbits started at ``f = f* + delta`` on the line ``z = z*``, r = 3.

    Parameters
    ----------
    deltas : iterable of float
        Distances from ``f*``.
    t_max : float
        Integration time (at least two periods).
    n_points : int
        Output points.

    Returns
    -------
    DataFrame, dict
        One row per orbit (``delta``, ``period``, ``mean_f``, ``mean_z``, ``order``,
        ``H_drift``), and the trajectories by ``delta``.
    """
    game = ep.public_goods(N_GROUP, R_CYCLES, 1.0, sigma=SIGMA)
    Q = paper_Q()
    f_star = SIGMA / (R_CYCLES - 1)
    rows, orbits = [], {}
    for delta in deltas:
        f0 = f_star + delta
        x0 = [(1 - Q[2]) * f0, (1 - Q[2]) * (1 - f0), Q[2]]
        tr = orbit(game, x0, t_max, n_points)
        H = invariant(tr.frequencies[:: max(1, n_points // 40)])
        m = cycle_measures(tr, f_star)
        rows.append({"delta": delta, **m, "H_drift": float(np.abs(H - H[0]).max())})
        orbits[delta] = tr
    return pd.DataFrame(rows), orbits


def no_cycles(t_max: float = 2000.0) -> tuple[dict, object]:
    """The r < 2 case (r = 1.8, sigma = 0.5): no interior rest point, homoclinic orbits.

    Parameters
    ----------
    t_max : float
        Integration time.

    Returns
    -------
    dict, Trajectory
        ``defectors_beat_cooperators`` (on 2000 random interior states), ``F_positive``
        (F > 0 on a grid of (0, 1)), ``f_monotone``, ``z_min`` and ``z_end`` of the orbit from
        (0.45, 0.05, 0.5); the trajectory.
    """
    game = ep.public_goods(N_GROUP, R_NO_CYCLES, 1.0, sigma=SIGMA_NO_CYCLES)
    rng = np.random.default_rng(3)
    P = np.array([game.expected_payoffs(v).to_numpy() for v in rng.dirichlet([1, 1, 1], 2000)])
    zs = np.linspace(1e-6, 1 - 1e-6, 10001)
    tr = ep.replicator(game, [0.45, 0.05, 0.5], t_max=t_max, n_points=4001)
    X = tr.frequencies
    f = X[:, 0] / (X[:, 0] + X[:, 1])
    return {
        "defectors_beat_cooperators": bool(np.all(P[:, 1] > P[:, 0])),
        "F_positive": bool(all(F(z, N_GROUP, R_NO_CYCLES) > 0 for z in zs)),
        "f_monotone": bool(np.all(np.diff(f) <= 1e-12)),
        "z_min": float(X[:, 2].min()),
        "z_end": float(X[-1, 2]),
    }, tr


def figure(orbits: dict, homoclinic: list, Q: np.ndarray, path: Path):
    """Simplices for r = 3 (closed orbits around Q) and r = 1.8, and one cycle over time.

    Parameters
    ----------
    orbits : dict
        r = 3 trajectories by distance from Q.
    homoclinic : list of Trajectory
        r = 1.8 trajectories.
    Q : ndarray
        The interior rest point.
    path : Path
        Where to save the PNG.

    Returns
    -------
    Figure
    """
    from matplotlib.figure import Figure

    from evopolity.experiments.figures import barycentric

    fig = Figure(figsize=(15, 4.8))
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.3]})

    def triangle(ax, title):
        corners = barycentric(np.eye(3))
        ax.plot(*np.vstack([corners, corners[:1]]).T, color="k", lw=1)
        for (px, py), name, off in zip(corners, ["cooperators", "defectors", "loners"],
                                       [(-0.02, -0.07), (0.02, -0.07), (0, 0.03)],
                                       strict=True):
            ax.text(px + off[0], py + off[1], name, ha="center", fontsize=10)
        ax.set_aspect("equal")
        ax.set_xlim(-0.12, 1.12)
        ax.set_ylim(-0.12, 0.98)
        ax.axis("off")
        ax.set_title(title)

    ax, bx, cx = axes
    triangle(ax, f"r = {R_CYCLES:g}, σ = {SIGMA:g}: closed orbits around Q")
    for delta, tr in orbits.items():
        P = barycentric(tr.frequencies)
        ax.plot(P[:, 0], P[:, 1], lw=1.2, label=f"f(0) = f* + {delta:g}")
        i = len(P) // 50
        ax.annotate("", P[i + 1], P[i], arrowprops={"arrowstyle": "->", "lw": 1.2})
    q = barycentric(Q[None, :])[0]
    ax.plot(*q, "k*", ms=10, label="Q (paper)")
    ax.legend(fontsize=7, loc="upper left")
    triangle(bx, f"r = {R_NO_CYCLES:g}, σ = {SIGMA_NO_CYCLES:g}: homoclinic to loners")
    for tr in homoclinic:
        P = barycentric(tr.frequencies)
        bx.plot(P[:, 0], P[:, 1], lw=1.2)
        bx.plot(*P[0], "o", mfc="white", color="C0", ms=5)
        i = np.argmax(np.linalg.norm(P - P[0], axis=1) > 0.15)
        bx.annotate("", P[i + 1], P[i], arrowprops={"arrowstyle": "->", "lw": 1.2})
    tr = orbits[max(orbits)]
    for i, name in enumerate(["cooperators", "defectors", "loners"]):
        cx.plot(tr.times, tr.frequencies[:, i], label=name)
    cx.set_xlim(0, min(tr.times[-1], 60))
    cx.set_xlabel("time")
    cx.set_ylabel("frequency")
    cx.set_title(f"r = {R_CYCLES:g}: C -> D -> L -> C, f(0) = f* + {max(orbits):g}")
    cx.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=150, facecolor="white")
    return fig


def main(argv=None) -> dict[str, pd.DataFrame]:
    """Run the reproduction, write the figure and the tables, print the tables.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    dict of DataFrame
        ``summary`` and ``orbits``.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="evopolity-out/reproductions")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    game = ep.public_goods(N_GROUP, R_CYCLES, 1.0, sigma=SIGMA)
    Qp = paper_Q()
    Qo = our_Q(game, [0.3, 0.3, 0.4])
    at_rest = ep.replicator(game, Qp, t_max=50.0).info["status"]
    orbits_frame, orbits = orbit_table()
    nc, tr_nc = no_cycles()
    game_nc = ep.public_goods(N_GROUP, R_NO_CYCLES, 1.0, sigma=SIGMA_NO_CYCLES)
    homoclinic = [tr_nc] + [ep.replicator(game_nc, x0, t_max=2000.0, n_points=4001)
                            for x0 in ([0.2, 0.02, 0.78], [0.6, 0.1, 0.3], [0.05, 0.05, 0.9])]
    big = orbits_frame.iloc[-1]
    f_star = SIGMA / (R_CYCLES - 1)
    summary = pd.DataFrame([
        {"quantity": "Q: f = x/(x+y)", "paper": f"sigma/(r-1) = {f_star:g}",
         "ours": f"{Qo[0] / (Qo[0] + Qo[1]):.10f}"},
        {"quantity": "Q: z (root of F)", "paper": f"{Qp[2]:.10f}", "ours": f"{Qo[2]:.10f}"},
        {"quantity": "Q: (x, y)", "paper": f"({Qp[0]:.6f}, {Qp[1]:.6f})",
         "ours": f"({Qo[0]:.6f}, {Qo[1]:.6f})"},
        {"quantity": "replicator started at Q", "paper": "rest point", "ours": at_rest},
        {"quantity": "r = 3: orbits", "paper": "closed, around Q",
         "ours": f"H conserved to {orbits_frame.H_drift.max():.1e}"},
        {"quantity": "r = 3: cyclic order", "paper": "C -> D -> L -> C",
         "ours": ", ".join(sorted(set(orbits_frame.order))) + " -> C"},
        {"quantity": "time average of f over a period", "paper": f"{f_star:g} (from the equations)",
         "ours": f"{f_star:g} to {np.abs(orbits_frame.mean_f - f_star).max():.0e}"},
        {"quantity": "period, small orbits", "paper": "not given; linearisation "
         f"2 pi/omega = {linear_period():.4f}", "ours": f"{orbits_frame.period.iloc[0]:.4f}"},
        {"quantity": f"period, f(0) = f* + {big.delta:g}", "paper": "not given",
         "ours": f"{big.period:.4f}"},
        {"quantity": "r = 1.8: P_D > P_C everywhere", "paper": "yes (F > 0 for r < 2)",
         "ours": f"{nc['defectors_beat_cooperators']} (F > 0 on (0, 1): {nc['F_positive']})"},
        {"quantity": "r = 1.8: orbits", "paper": "homoclinic to all-loners",
         "ours": f"f falls monotonically: {nc['f_monotone']}; z: 0.5 -> {nc['z_min']:.3f} "
                 f"-> {nc['z_end']:.4f}"},
    ])
    figure(orbits, homoclinic, Qp, out / "hauert2002.png")
    tables = {"summary": summary, "orbits": orbits_frame}
    text = [f"## {name}\n\n{markdown(frame, 6, significant=True)}\n"
            for name, frame in tables.items()]
    (out / "hauert2002.md").write_text("\n".join(text))
    orbits_frame.to_csv(out / "hauert2002.csv", index=False)
    print("\n".join(text))
    print(f"wrote {out / 'hauert2002.png'}, hauert2002.md, hauert2002.csv "
          f"({time.perf_counter() - start:.1f} s)")
    return tables


if __name__ == "__main__":
    main()
