"""Dynamics of infinite populations: the replicator equation and its relatives.

Each function takes the interactions of ``k`` strategies as a payoff matrix ``A`` (``A[i, j]``
the payoff of ``i`` against ``j``): a square array, a DataFrame whose index and columns are the
strategy names, or any object with such a DataFrame in its ``.payoffs`` attribute (a
``Tournament``). It returns a :class:`~evopolity.trajectory.Trajectory`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from evopolity.kernels import replicator as _rk
from evopolity.trajectory import Trajectory
from evopolity.validate import integer, nonnegative, probability

__all__ = ["replicator", "discrete_replicator", "payoff_matrix"]

_STATUS = {
    _rk.DONE: "done",
    _rk.AT_REST: "rest point",
    _rk.MAX_STEPS: "max_steps reached",
    _rk.STEP_TOO_SMALL: "step size too small",
}


def payoff_matrix(payoffs: Any, name: str = "payoffs") -> tuple[np.ndarray, tuple[str, ...]]:
    """Validate interactions and return ``(A, names)``: a C-contiguous float64 k x k array.

    Accepts a square array (strategies named ``"0" .. "k-1"``), a DataFrame with the same
    labels as index and columns (columns are reordered to the index), or an object with a
    ``.payoffs`` DataFrame attribute. Raises ``ValueError`` naming ``name`` for a non-square
    or empty matrix, NaN or infinite entries, or mismatched or duplicated labels.
    """
    if not isinstance(payoffs, pd.DataFrame | np.ndarray) and hasattr(payoffs, "payoffs"):
        payoffs = payoffs.payoffs
        name = f"{name}.payoffs"
    if isinstance(payoffs, pd.DataFrame):
        index = [str(s) for s in payoffs.index]
        columns = [str(s) for s in payoffs.columns]
        if len(set(index)) != len(index):
            raise ValueError(f"{name} has duplicated strategy names in its index")
        if set(index) != set(columns) or len(columns) != len(index):
            raise ValueError(
                f"{name} must have the same strategy names as index and columns, got "
                f"{index} and {columns}"
            )
        frame = payoffs.copy()
        frame.index = index
        frame.columns = columns
        frame = frame.loc[index, index]
        try:
            A = frame.to_numpy(dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must hold real numbers") from None
        names = tuple(index)
    else:
        if isinstance(payoffs, str | bytes) or payoffs is None:
            raise TypeError(
                f"{name} must be a square array, a DataFrame or an object with .payoffs, got "
                f"{type(payoffs).__name__}"
            )
        try:
            A = np.array(payoffs, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must be a square array of real numbers, a DataFrame or an object "
                f"with .payoffs, got {type(payoffs).__name__}"
            ) from None
        names = tuple(str(i) for i in range(A.shape[0])) if A.ndim == 2 else ()
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square k x k matrix, got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return np.ascontiguousarray(A), names


def simplex_point(
    x: Any, names: Sequence[str], name: str = "x0", tol: float = 1e-9
) -> np.ndarray:
    """Validate a state on the simplex: k non-negative frequencies summing to 1 (to ``tol``).

    ``x`` may be an array, or a Series / mapping indexed by strategy name (missing names 0).
    Returns a float64 array renormalised to sum exactly 1.
    """
    k = len(names)
    if isinstance(x, pd.Series | Mapping):
        series = pd.Series(x, dtype=np.float64)
        unknown = set(map(str, series.index)) - set(names)
        if unknown:
            raise ValueError(f"{name} names unknown strategies {sorted(unknown)}")
        series.index = [str(s) for s in series.index]
        v = series.reindex(list(names), fill_value=0.0).to_numpy(dtype=np.float64)
    else:
        try:
            v = np.array(x, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be an array of {k} frequencies") from None
    if v.shape != (k,):
        raise ValueError(f"{name} must have shape ({k},), got {v.shape}")
    if not np.all(np.isfinite(v)) or np.any(v < 0):
        raise ValueError(f"{name} must hold non-negative finite frequencies")
    if abs(v.sum() - 1.0) > tol:
        raise ValueError(f"{name} must sum to 1 (got {v.sum()!r})")
    return v / v.sum()


def mutation_matrix(mutation: Any, k: int, name: str = "mutation") -> tuple[np.ndarray, bool]:
    """A row-stochastic k x k matrix from a uniform rate in [0, 1] or a matrix; and whether
    it differs from the identity. ``Q[i, j]``: probability that an offspring of ``i`` is ``j``.
    """
    if np.isscalar(mutation) and not isinstance(mutation, str | bytes):
        mu = probability(mutation, f"{name} rate")
        if mu > 0.0 and k < 2:
            raise ValueError(f"{name} needs at least 2 strategies")
        Q = np.full((k, k), mu / max(k - 1, 1))
        np.fill_diagonal(Q, 1.0 - mu)
        return Q, mu > 0.0
    try:
        Q = np.array(mutation, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a rate in [0, 1] or a k x k matrix") from None
    if Q.shape != (k, k):
        raise ValueError(f"{name} matrix must have shape ({k}, {k}), got {Q.shape}")
    if not np.all(np.isfinite(Q)) or np.any(Q < 0) or np.any(Q > 1):
        raise ValueError(f"{name} matrix entries must be probabilities in [0, 1]")
    if not np.allclose(Q.sum(axis=1), 1.0, rtol=0, atol=1e-12):
        raise ValueError(f"{name} matrix rows must sum to 1")
    return np.ascontiguousarray(Q), not np.array_equal(Q, np.eye(k))


def replicator(
    payoffs: Any,
    x0: Any = None,
    t_max: float = 100.0,
    times: Sequence[float] | np.ndarray | None = None,
    mutation: float | np.ndarray = 0.0,
    *,
    n_points: int = 1001,
    method: Literal["dopri5", "rk4"] = "dopri5",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    dt: float = 0.01,
    stop_at_rest: bool = True,
    rest_tol: float = 1e-10,
    max_steps: int = 10_000_000,
) -> Trajectory:
    r"""Integrate the replicator (or replicator--mutator) equation.

    .. math::

        \dot x_i = x_i\,\big((Ax)_i - x^\top A x\big)

    (Taylor & Jonker 1978; Hofbauer & Sigmund 1998), or with mutation, where ``Q[j, i]`` is the
    probability that an offspring of ``j`` is ``i``,

    .. math::

        \dot x_i = \sum_j x_j (Ax)_j Q_{ji} - x_i\, x^\top A x

    (the replicator--mutator equation; Page & Nowak 2002).

    Parameters
    ----------
    payoffs : array_like, DataFrame or object with ``.payoffs``
        The k x k interaction matrix ``A``.
    x0 : array_like or Series, optional
        Initial frequencies (default: the barycentre).
    t_max : float
        End time when ``times`` is not given (``n_points`` equally spaced times from 0).
    times : array_like, optional
        Increasing output times; integration starts at ``times[0]``.
    mutation : float or array_like
        A uniform mutation rate ``mu`` (``Q_ii = 1 - mu``, ``Q_ij = mu / (k - 1)``) or a
        row-stochastic k x k matrix ``Q``.
    method : {"dopri5", "rk4"}
        Adaptive Dormand--Prince 5(4) with dense output (``rtol``, ``atol``), or classical
        fixed-step RK4 (step ``dt``, shortened to land on every output time).
    stop_at_rest : bool
        Stop once every velocity is below ``rest_tol`` (and no present strategy grows at a
        per-capita rate above 1e-6); the remaining rows repeat the rest point.
    max_steps : int
        Most steps (accepted or rejected) before giving up; rows not reached are NaN and
        ``info["status"]`` says why.

    Returns
    -------
    Trajectory
        ``info`` holds ``status`` ("done", "rest point", ...), ``steps`` and ``t_reached``.

    Examples
    --------
    Hawk--Dove with ``V = 2, C = 3`` converges to hawks at ``V / C``:

    >>> tr = replicator([[-0.5, 2.0], [0.0, 1.0]], x0=[0.1, 0.9], t_max=200)
    >>> round(float(tr.final().iloc[0]), 6)
    0.666667
    """
    A, names = payoff_matrix(payoffs)
    k = A.shape[0]
    x = np.full(k, 1.0 / k) if x0 is None else simplex_point(x0, names)
    if times is None:
        t_end = nonnegative(t_max, "t_max", allow_zero=False)
        n = integer(n_points, "n_points", 2)
        grid = np.linspace(0.0, t_end, n)
    else:
        try:
            grid = np.array(times, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError("times must be an array of real numbers") from None
        if grid.ndim != 1 or grid.size < 1:
            raise ValueError(f"times must be a non-empty 1-d array, got shape {grid.shape}")
        if not np.all(np.isfinite(grid)) or np.any(np.diff(grid) <= 0):
            raise ValueError("times must be finite and strictly increasing")
    Q, mutate = mutation_matrix(mutation, k)
    rtol = nonnegative(rtol, "rtol", allow_zero=False)
    atol = nonnegative(atol, "atol", allow_zero=False)
    rest = nonnegative(rest_tol, "rest_tol", allow_zero=False) if stop_at_rest else 0.0
    max_steps = integer(max_steps, "max_steps")
    params = np.zeros(0)
    out = np.empty((grid.size, k))
    if method == "dopri5":
        status, steps, t_reached = _rk.dopri5(
            _rk.LINEAR, x, A, params, Q, mutate, grid, rtol, atol, rest, max_steps, out
        )
    elif method == "rk4":
        dt = nonnegative(dt, "dt", allow_zero=False)
        status, steps, t_reached = _rk.rk4(
            _rk.LINEAR, x, A, params, Q, mutate, grid, dt, rest, max_steps, out
        )
    else:
        raise ValueError(f"method must be 'dopri5' or 'rk4', got {method!r}")
    return Trajectory(
        grid,
        out,
        names,
        params={
            "dynamic": "replicator",
            "x0": x,
            "mutation": Q if mutate else 0.0,
            "method": method,
            "rtol": rtol,
            "atol": atol,
            "dt": dt if method == "rk4" else None,
        },
        info={"status": _STATUS[int(status)], "steps": int(steps), "t_reached": t_reached},
    )


def discrete_replicator(
    payoffs: Any,
    x0: Any = None,
    steps: int = 100,
    *,
    nonpositive: Literal["raise", "shift"] = "raise",
) -> Trajectory:
    r"""The discrete-time replicator: the ecological model of Axelrod's *Ecosystem*.

    .. math::

        x_i' = \frac{x_i f_i}{\sum_j x_j f_j}, \qquad f = A x

    (Axelrod 1984, ch. 2; Hofbauer & Sigmund 1998, 16.2), without the ecosystem's noise.

    Parameters
    ----------
    payoffs : array_like, DataFrame or object with ``.payoffs``
        The k x k interaction matrix ``A``; its entries must be positive, since with a
        non-positive fitness the map is no longer selection (axelrod's ``Ecosystem`` silently
        runs it backwards).
    x0 : array_like or Series, optional
        Initial frequencies (default: the barycentre).
    steps : int
        Number of generations; the trajectory has ``steps + 1`` rows (times 0..steps).
    nonpositive : {"raise", "shift"}
        With ``"raise"`` a matrix with an entry <= 0 is refused (``ValueError``). With
        ``"shift"`` the constant ``1 - min(A)`` is added to every entry so that the smallest
        payoff is 1. The shift changes the trajectory (the discrete map, unlike the
        continuous one, is not invariant under adding a constant) but not its rest points.
    """
    A, names = payoff_matrix(payoffs)
    k = A.shape[0]
    x = np.full(k, 1.0 / k) if x0 is None else simplex_point(x0, names)
    steps = integer(steps, "steps", 0)
    shift = 0.0
    if A.min() <= 0.0:
        if nonpositive == "raise":
            raise ValueError(
                f"payoffs must be positive for the discrete replicator (min is {A.min():g}); "
                "pass nonpositive='shift' to add 1 - min(payoffs) to every entry"
            )
        if nonpositive != "shift":
            raise ValueError(f"nonpositive must be 'raise' or 'shift', got {nonpositive!r}")
        shift = 1.0 - float(A.min())
        A = A + shift
    elif nonpositive not in ("raise", "shift"):
        raise ValueError(f"nonpositive must be 'raise' or 'shift', got {nonpositive!r}")
    out = np.empty((steps + 1, k))
    _rk.discrete(_rk.LINEAR, x, A, np.zeros(0), steps, out)
    return Trajectory(
        np.arange(steps + 1, dtype=np.float64),
        out,
        names,
        params={"dynamic": "discrete_replicator", "x0": x, "shift": shift},
        info={"status": "done"},
    )
