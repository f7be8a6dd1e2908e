"""Group games side by side with a straightforward numpy/scipy implementation; prints ratios.

    python benchmarks/bench_group_games.py [--quick]

* expected payoffs in an infinite population (multinomial sums over the co-players) of the
  optional public goods game (n = 5, 3 strategies) and of the peer/pool punishment game
  (n = 5, 5 strategies), and of a 3-strategy game in groups of 20: our kernel against the
  vectorised numpy sum ``(coef * prod(x ** o)) @ pf`` over the same tables;
* a replicator run of the optional public goods game (n = 5, r = 3, sigma = 1; t = 0..1000,
  10^4 output points, rtol 1e-8): ``ep.replicator`` against scipy ``solve_ivp`` (RK45) with
  the numpy payoffs;
* the small-mutation stationary distribution of the punishment game (N = 100, Fermi):
  ours against numpy/scipy (``scipy.stats.hypergeom`` payoffs, the fixation sums with numpy,
  the embedded chain's left eigenvector).

Compilation is excluded (every function runs once before timing). Ours and the peer are timed
in interleaved rounds (``timing.interleaved``): times are medians over the rounds, the ratio the
median of the per-round ratios with its 10th-90th percentile spread. scipy is imported here
only.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from scipy import integrate, stats
from timing import fmt, interleaved, paired_ratio, record, save_results, spread

import evopolity.dynamics.analytical as an
from evopolity.dynamics.replicator import replicator
from evopolity.kernels import group as _gk
from evopolity.play.group_games import GroupGame, public_goods, punishment_game


def row(section: str, label: str, ours, peer, peer_name: str, rounds: int,
        ours_calls: int = 1, peer_calls: int = 1, note: str = "") -> None:
    """Time ``ours()`` and ``peer()`` (``*_calls`` evaluations each) in ``rounds`` interleaved
    rounds; print and record the medians per evaluation and the ratio peer / ours (``label``
    is the figure's key on the page, ``note`` printed after it)."""
    times = interleaved({"ours": ours, "peer": peer}, rounds, 1)
    t_ours = [t / ours_calls for t in times["ours"]]
    t_peer = [t / peer_calls for t in times["peer"]]
    mid_ours, mid_peer = spread(t_ours)[0], spread(t_peer)[0]
    ratio, low, high = paired_ratio(t_peer, t_ours)
    print(f"  {label + note:<52} ours {fmt(mid_ours)}   {peer_name} {fmt(mid_peer)}   ratio "
          f"{ratio:7.1f}x [{low:.1f} .. {high:.1f}]")
    record(section, label, ratio, ours=fmt(mid_ours).strip(),
           reference=f"{peer_name} {fmt(mid_peer).strip()}", low=low, high=high)


def numpy_payoffs(game: GroupGame):
    """The straightforward vectorised multinomial sum over the co-player compositions."""
    others, pf = game.kernel_tables()
    m = game.group_size - 1
    coef = np.array([math.factorial(m) / np.prod([math.factorial(v) for v in o]) for o in others])

    def f(x: np.ndarray) -> np.ndarray:
        return (coef * np.prod(x ** others, axis=1)) @ pf

    return f


def numpy_stationary(game: GroupGame, M: int, beta: float) -> np.ndarray:
    """Small-mutation limit, every step in numpy/scipy (no log space)."""
    others, pf = game.kernel_tables()
    k, m = game.k, game.group_size - 1
    rho = np.zeros((k, k))
    for a in range(k):
        for b in range(k):
            if a == b:
                continue
            pa = np.array([pf[np.flatnonzero((others[:, a] == q) & (others[:, b] == m - q))[0], a]
                           for q in range(m + 1)])
            pb = np.array([pf[np.flatnonzero((others[:, a] == q) & (others[:, b] == m - q))[0], b]
                           for q in range(m + 1)])
            j = np.arange(1, M)
            q = np.arange(m + 1)
            ha = stats.hypergeom.pmf(q[None, :], M - 1, j[:, None] - 1, m)
            hb = stats.hypergeom.pmf(q[None, :], M - 1, j[:, None], m)
            diff = ha @ pa - hb @ pb
            with np.errstate(over="ignore"):  # exp overflow: rho underflows to 0
                rho[a, b] = 1.0 / (1.0 + np.exp(np.cumsum(-beta * diff)).sum())
    T = rho.T / (k - 1)
    np.fill_diagonal(T, 0.0)
    np.fill_diagonal(T, 1.0 - T.sum(axis=1))
    w, v = np.linalg.eig(T.T)
    p = np.real(v[:, np.argmin(np.abs(w - 1.0))])
    return p / p.sum()


def payoff_row(label: str, game: GroupGame, x: np.ndarray, inner: int, repeat: int) -> None:
    """Time one expected-payoff evaluation: our kernel vs the numpy sum."""
    params = game.kernel_params()
    out = np.empty(game.k)
    peer = numpy_payoffs(game)
    _gk.group_fitness(x, params, out)
    assert np.allclose(out, peer(x), atol=1e-10)

    def ours_loop() -> None:
        for _ in range(inner):
            _gk.group_fitness(x, params, out)

    def peer_loop() -> None:
        for _ in range(inner // 10):
            peer(x)

    row("Group games: expected payoffs", label, ours_loop, peer_loop, "numpy", repeat,
        inner, inner // 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, shorter runs")
    args = parser.parse_args()
    repeat = 3 if args.quick else 10
    t_end, n_points = (200.0, 2001) if args.quick else (1000.0, 10001)

    print("expected payoffs, infinite population (one evaluation)")
    rng = np.random.default_rng(1)
    for label, game in (
        ("optional public goods, n = 5, k = 3", public_goods(5, 3.0, 1.0, sigma=1.0)),
        ("peer/pool punishment, n = 5, k = 5", punishment_game(second_order=True)),
        ("random 3-strategy game, n = 20", GroupGame(["a", "b", "c"], 20,
                                                     rng.normal(size=(math.comb(22, 2), 3)))),
    ):
        payoff_row(label, game, rng.dirichlet(np.ones(game.k)),
                   1000 if args.quick else 10000, repeat)

    print(f"\nreplicator, optional public goods (n = 5, r = 3, sigma = 1), t = 0..{t_end:g}, "
          f"{n_points} points, rtol 1e-8")
    game = public_goods(5, 3.0, 1.0, sigma=1.0)
    x0 = np.array([0.3, 0.2, 0.5])
    times = np.linspace(0.0, t_end, n_points)
    f = numpy_payoffs(game)

    def rhs(_t: float, x: np.ndarray) -> np.ndarray:
        fx = f(x)
        return x * (fx - x @ fx)

    ours_tr = replicator(game, x0, times=times, rtol=1e-8, atol=1e-10)
    sol = integrate.solve_ivp(rhs, (0.0, t_end), x0, t_eval=times, rtol=1e-8, atol=1e-10)
    gap = np.abs(ours_tr.frequencies - sol.y.T).max()
    row("Group games: replicator", f"optional public goods, t = 0..{t_end:g}",
        lambda: replicator(game, x0, times=times, rtol=1e-8, atol=1e-10),
        lambda: integrate.solve_ivp(rhs, (0.0, t_end), x0, t_eval=times, rtol=1e-8,
                                    atol=1e-10), "solve_ivp", max(2, repeat // 2),
        note=f" (max difference {gap:.1e})")

    print("\nsmall-mutation stationary distribution, punishment game (k = 5), N = 100, Fermi")
    for s in (0.5, 10.0):
        sg = punishment_game(second_order=True)
        ours_pi = an.stationary_distribution(sg, 100, "fermi", s).to_numpy()
        peer_pi = numpy_stationary(sg, 100, s)
        gap = np.abs(ours_pi - peer_pi).max()
        row("Group games: small-mutation stationary distribution",
            f"punishment game, N = 100, s = {s:g}",
            lambda sg=sg, s=s: an.stationary_distribution(sg, 100, "fermi", s),
            lambda sg=sg, s=s: numpy_stationary(sg, 100, s), "numpy/scipy", max(2, repeat // 2),
            note=f" (max difference {gap:.1e})")
    save_results("bench_group_games")


if __name__ == "__main__":
    main()
