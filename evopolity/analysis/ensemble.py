"""Ensembles over starting points: where each start ends up, and the basins.

One trajectory from one start shows one outcome; a game with several attractors (a
coordination game, conformity) has a basin for each. :func:`ensemble` draws starts (uniform
on the simplex, Dirichlet, or given), runs each to its attractor
(:func:`~evopolity.dynamics.attractors.settle`) and returns one row per start;
:func:`basins` reads the share of starts that reached each attractor.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
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

__all__ = ["ensemble", "basins", "same_attractors", "MAX_STARTS"]

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
    workers: int = 1,
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
        Rest points closer than this (largest coordinate difference) are one attractor
        (:func:`same_attractors`).
    workers : int
        Processes that run the starts (1: one after another, here). The starts are drawn
        here and every run is deterministic, so the frame is the same for any number of
        workers; each worker process imports the package and loads the compiled kernels
        (about a second), which pays from a few dozen starts on.
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
    workers = integer(workers, "workers")
    options = dict(t_max=t_max, budget=budget, regime=regime, cooperation=cooperation,
                   mutation=mutation, lyapunov=lyapunov, **classify_options)
    one = functools.partial(_run_start, payoffs, options)
    if workers == 1 or len(X0) == 1:
        results = [one(x) for x in X0]
    else:
        results = _in_pool(one, X0, workers)
    rows = [[i, *x, *final, kind, label, period, lam, t_total]
            for i, (x, (final, kind, label, period, lam, t_total)) in
            enumerate(zip(X0, results, strict=True))]
    cols = ["start", *(f"x0_{s}" for s in names), *(f"final_{s}" for s in names), "kind",
            "attractor", "period", "lyapunov", "t_total"]
    frame = pd.DataFrame(rows, columns=cols)
    finals = frame[[f"final_{s}" for s in names]].to_numpy()
    frame["attractor"] = same_attractors(finals, frame["kind"], frame["attractor"], same)
    frame["period"] = frame["period"].astype(float)
    frame["lyapunov"] = frame["lyapunov"].astype(float)
    return frame


def _run_start(payoffs: Any, options: dict, x: np.ndarray) -> tuple:
    """One start run to its attractor: the final state, kind, label, period, exponent and
    time integrated (what a worker sends back)."""
    tr, att = settle(payoffs, x, **options)
    final = tr.frequencies[np.isfinite(tr.frequencies).all(axis=1)][-1]
    return (final, att.kind, att.label(), att.period, att.lyapunov, tr.info["t_total"])


def _in_pool(one: Callable[[np.ndarray], tuple], X0: np.ndarray, workers: int) -> list:
    """``one`` of every start on ``workers`` spawned processes, in the starts' order."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from evopolity.kernels._jit import one_thread

    # spawn, not fork: numba's threading layer must not be forked; one numba thread per
    # worker, as the workers share the cores
    context = multiprocessing.get_context("spawn")
    chunk = max(1, len(X0) // (4 * workers))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=one_thread) as pool:
        return list(pool.map(one, X0, chunksize=chunk))


def same_attractors(states: Any, kinds: Sequence[str], labels: Sequence[str],
                    same: float = 1e-3) -> list[str]:
    """Give the runs that reached one attractor one label.

    A run whose state (a rest point, or the mean over a cycle or chaotic attractor) lies
    within ``same`` (largest coordinate difference) of an earlier run's state of the same
    kind takes that run's label; ``"unsettled"`` runs keep their own.

    Parameters
    ----------
    states : array_like
        One row per run (``m x k``).
    kinds : sequence of str
        Each run's attractor kind.
    labels : sequence of str
        Each run's own label (e.g. :meth:`~evopolity.dynamics.attractors.Attractor.label`).
    same : float
        The distance under which two states are one attractor.

    Returns
    -------
    list of str
        The labels, the first run of each attractor naming it.

    Raises
    ------
    ValueError
        If the lengths differ or ``same`` is not positive.
    """
    X = np.asarray(states, dtype=float)
    kinds, labels = list(kinds), list(labels)
    if X.ndim != 2 or not len(X) == len(kinds) == len(labels):
        raise ValueError("states, kinds and labels must describe the same runs (one row each)")
    same = nonnegative(same, "same", allow_zero=False)
    out: list[str] = []
    seen: list[tuple[str, np.ndarray, str]] = []
    for x, kind, label in zip(X, kinds, labels, strict=True):
        if kind != "unsettled":
            match = next((name for k, q, name in seen
                          if k == kind and np.abs(x - q).max() < same), None)
            if match is None:
                seen.append((kind, x, label))
            else:
                label = match
        out.append(label)
    return out


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
