"""Ensembles over starting points: where each start ends up, and the basins.

One trajectory from one start shows one outcome; a game with several attractors (a
coordination game, conformity) has a basin for each. :func:`ensemble` draws starts (uniform
on the simplex, Dirichlet, or given), runs each to its attractor
(:func:`~evopolity.dynamics.attractors.settle`) and returns one row per start;
:func:`basins` reads the share of starts that reached each attractor.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evopolity.dynamics.attractors import settle
from evopolity.institutions.regime import Regime
from evopolity.play.group_games import GroupGame
from evopolity.validate import (
    as_payoff_matrix,
    check_size,
    integer,
    nonnegative,
    seed_sequence,
    simplex_point,
)

__all__ = ["ensemble", "basins", "MAX_STARTS"]

#: The most starts one ensemble runs.
MAX_STARTS = 100_000


def ensemble(
    payoffs: Any,
    starts: Any = "uniform",
    n: int = 100,
    seed: Any = None,
    *,
    alpha: Any = 1.0,
    regime: Regime | None = None,
    cooperation: Any = None,
    mutation: float | np.ndarray = 0.0,
    t_max: float = 100.0,
    budget: float = 2000.0,
    lyapunov: bool = True,
    same: float = 1e-3,
    **classify_options: Any,
) -> pd.DataFrame:
    """Run the replicator from many starts, each to its attractor.

    Parameters
    ----------
    payoffs : array_like, DataFrame, Tournament or GroupGame
        The interactions.
    starts : {"uniform", "dirichlet"} or array_like
        ``"uniform"``: ``n`` starts drawn uniformly on the simplex (Dirichlet(1, ..., 1));
        ``"dirichlet"``: Dirichlet(``alpha``) (a large ``alpha`` crowds the starts near the
        barycentre, a small one near the faces); or the starts themselves (an ``m x k``
        array or DataFrame, one row per start; ``n`` is then ignored).
    n : int
        The number of starts drawn.
    seed : None, int or SeedSequence
        Seeds the draw of the starts (the runs themselves are deterministic).
    alpha : float or array_like
        Dirichlet's concentration, one value or one per strategy (``starts="dirichlet"``).
    regime : Regime, optional
        The regime (a co-evolving institution starts at ``regime.initial_strength``).
    cooperation : array_like or DataFrame, optional
        The cooperation matrix the regime needs.
    mutation : float or array_like
        The mutation rate or matrix (without a regime).
    t_max, budget : float
        Each run's first segment and total time (:func:`~evopolity.dynamics.attractors.settle`).
    lyapunov : bool
        Estimate the Lyapunov exponent of runs neither at rest nor on a cycle.
    same : float
        Rest points closer than this (largest coordinate difference) are one attractor.
    **classify_options
        Passed to the classification (``rest_tol``, ``cycle_tol``, ``tail``, ...).

    Returns
    -------
    DataFrame
        One row per start: ``start`` (its number), ``x0_<strategy>`` (the start),
        ``final_<strategy>`` (the last state), ``kind`` (``"rest"``, ``"cycle"``,
        ``"chaos"``, ``"unsettled"``), ``attractor`` (a label shared by the starts that
        reached the same rest point, or the same kind of motion around the same mean),
        ``period``, ``lyapunov`` and ``t_total`` (the time integrated).

    Raises
    ------
    ValueError
        For an unknown ``starts``, starts off the simplex, or a parameter out of range.
    TypeError
        For arguments of the wrong kind.

    Examples
    --------
    >>> runs = ensemble([[2.0, 0.0], [0.0, 1.0]], n=20, seed=1, lyapunov=False)
    >>> sorted(basins(runs).index)
    ['rest: 0=1', 'rest: 1=1']
    """
    if isinstance(payoffs, GroupGame):
        names = payoffs.strategies
    else:
        names = as_payoff_matrix(payoffs)[1]
    same = nonnegative(same, "same", allow_zero=False)
    X0 = _starts(starts, n, seed, alpha, names)
    rows = []
    points: list[tuple[np.ndarray, str]] = []
    for i, x in enumerate(X0):
        tr, att = settle(payoffs, x, t_max=t_max, budget=budget, regime=regime,
                         cooperation=cooperation, mutation=mutation, lyapunov=lyapunov,
                         **classify_options)
        final = tr.frequencies[np.isfinite(tr.frequencies).all(axis=1)][-1]
        label = att.label()
        if att.kind == "rest":
            p = att.point.to_numpy()
            for q, name in points:
                if np.abs(p - q).max() < same:
                    label = name
                    break
            else:
                points.append((p, label))
        rows.append([i, *x, *final, att.kind, label, att.period, att.lyapunov,
                     tr.info["t_total"]])
    cols = ["start", *(f"x0_{s}" for s in names), *(f"final_{s}" for s in names), "kind",
            "attractor", "period", "lyapunov", "t_total"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["period"] = frame["period"].astype(float)
    frame["lyapunov"] = frame["lyapunov"].astype(float)
    return frame


def _starts(starts: Any, n: Any, seed: Any, alpha: Any, names: tuple[str, ...]) -> np.ndarray:
    """The starting points, one row each."""
    k = len(names)
    if isinstance(starts, str):
        if starts not in ("uniform", "dirichlet"):
            raise ValueError(f"starts must be 'uniform', 'dirichlet' or an array, got {starts!r}")
        n = integer(n, "n")
        check_size(n, MAX_STARTS, "starts", "n", bytes_per_item=8 * k)
        if starts == "uniform":
            a = np.ones(k)
        else:
            try:
                a = np.broadcast_to(np.asarray(alpha, dtype=float), (k,)).copy()
            except ValueError:
                raise ValueError(
                    f"alpha must be one value or one per strategy ({k}), got {alpha!r}"
                ) from None
            if not (np.isfinite(a).all() and (a > 0).all()):
                raise ValueError(f"alpha must be positive and finite, got {alpha!r}")
        rng = np.random.default_rng(seed_sequence(seed))
        return rng.dirichlet(a, size=n)
    if isinstance(starts, pd.DataFrame):
        rows = [simplex_point(r, names, "starts") for _, r in starts.iterrows()]
    else:
        try:
            arr = np.asarray(starts, dtype=float)
        except (TypeError, ValueError):
            raise TypeError("starts must be 'uniform', 'dirichlet' or an array of states") \
                from None
        if arr.ndim != 2 or arr.shape[1] != k:
            raise ValueError(f"starts must be an m x {k} array of states, got shape {arr.shape}")
        rows = [simplex_point(r, names, "starts") for r in arr]
    if not rows:
        raise ValueError("starts must hold at least one state")
    check_size(len(rows), MAX_STARTS, "starts", "starts", bytes_per_item=8 * k)
    return np.array(rows)


def basins(runs: pd.DataFrame) -> pd.Series:
    """The share of starts that reached each attractor (the basins' measures).

    Parameters
    ----------
    runs : DataFrame
        What :func:`ensemble` returned.

    Returns
    -------
    Series
        Indexed by ``attractor`` label, the share of the starts (summing to 1), largest
        first.

    Raises
    ------
    ValueError
        If ``runs`` has no ``attractor`` column or no row.
    """
    if not isinstance(runs, pd.DataFrame) or "attractor" not in runs or runs.empty:
        raise ValueError("runs must be a non-empty ensemble frame with an 'attractor' column")
    shares = runs["attractor"].value_counts(normalize=True)
    shares.name = "share"
    shares.index.name = "attractor"
    return shares
