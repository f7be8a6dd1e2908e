"""Measures of success: cooperation, diversity, and resilience after a shock.

* cooperation level ``c(t) = x(t)^T C x(t)``: the fraction of moves that cooperate in the
  population at time ``t`` (``C`` the cooperation matrix of the interactions);
* diversity of the strategy frequencies: Shannon entropy ``H = -sum x_i ln x_i`` and the Hill
  numbers of order 0, 1 and 2 (Hill 1973; Jost 2006): richness (strategies above a detection
  threshold), ``exp(H)`` and inverse Simpson ``1 / sum x_i^2``, each an "effective number of
  strategies";
* resilience after a shock at ``t_s``: the lowest cooperation reached after it, whether
  cooperation came back to within ``tolerance`` of its pre-shock level, and how long that took
  (Holling's engineering resilience; cf. Scheffer et al. 2009 on recovery times).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from evopolity.dynamics.trajectory import Trajectory
from evopolity.kernels.fitness import cooperation_levels
from evopolity.validate import cooperation_matrix, nonnegative, probability

__all__ = [
    "cooperation",
    "shannon_entropy",
    "hill_number",
    "diversity",
    "resilience",
    "summary",
]


def _frequencies(x: Any) -> np.ndarray:
    if isinstance(x, Trajectory):
        return x.frequencies
    arr = np.asarray(x.to_numpy() if isinstance(x, pd.Series | pd.DataFrame) else x, float)
    if arr.ndim not in (1, 2):
        raise ValueError(f"frequencies must be 1-d or 2-d, got shape {arr.shape}")
    return arr


def cooperation(trajectory: Trajectory, cooperation: Any = None) -> pd.Series:
    """Cooperation level over time, ``c(t) = x(t)^T C x(t)``.

    The fraction of moves that cooperate when the population at state ``x`` meets itself at
    random (``C[i, j]``: the fraction of ``i``'s moves that cooperate against ``j``).

    Parameters
    ----------
    trajectory : Trajectory
        The run.
    cooperation : array_like, DataFrame or Tournament, optional
        The k x k cooperation matrix. By default the trajectory's own: its ``cooperation``
        macro column (runs with shocks, whose interactions change) or the matrix it was run
        with (``params["cooperation"]``).

    Returns
    -------
    Series
        The level at each time (index ``time``, name ``cooperation``).

    Raises
    ------
    TypeError
        If ``trajectory`` is not a ``Trajectory``.
    ValueError
        If no cooperation matrix is given and the trajectory carries none, or if it does not
        fit the trajectory's strategies.
    """
    if not isinstance(trajectory, Trajectory):
        raise TypeError(f"trajectory must be a Trajectory, got {type(trajectory).__name__}")
    macro = trajectory.macro
    if cooperation is None and macro is not None and "cooperation" in macro:
        # a run with shocks records the level under each segment's own interactions
        return macro["cooperation"]
    C = cooperation_matrix(level_source(trajectory, cooperation), trajectory.strategies,
                           "cooperation")
    level = cooperation_levels(np.ascontiguousarray(trajectory.frequencies, dtype=np.float64),
                               np.ascontiguousarray(C, dtype=np.float64))
    return pd.Series(level, index=pd.Index(trajectory.times, name="time"), name="cooperation")


def shannon_entropy(x: Any) -> np.ndarray | float:
    """Shannon entropy ``H = -sum_i x_i ln x_i`` (natural log) per state; ``0 ln 0 = 0``.

    Parameters
    ----------
    x : array_like, Series, DataFrame or Trajectory
        One state (k frequencies) or states over time (T x k).

    Returns
    -------
    float or ndarray
        ``H`` of the state, or one ``H`` per row.
    """
    f = _frequencies(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(f > 0, -f * np.log(np.where(f > 0, f, 1.0)), 0.0)
    h = terms.sum(axis=-1)
    return float(h) if np.ndim(h) == 0 else h


def hill_number(x: Any, order: float, threshold: float = 1e-6) -> np.ndarray | float:
    """Hill number ``D_q = (sum x_i^q)^(1 / (1 - q))``: the effective number of strategies.

    ``q = 0`` counts strategies with frequency above ``threshold`` (richness), ``q = 1`` is
    ``exp(H)``, ``q = 2`` is ``1 / sum x_i^2`` (inverse Simpson) (Hill 1973; Jost 2006).

    Parameters
    ----------
    x : array_like, Series, DataFrame or Trajectory
        One state (k frequencies) or states over time (T x k).
    order : float
        ``q >= 0``.
    threshold : float
        The detection threshold of ``q = 0``, in [0, 1].

    Returns
    -------
    float or ndarray
        ``D_q`` of the state, or one per row.

    Raises
    ------
    ValueError
        For a negative ``order`` or a ``threshold`` outside [0, 1].
    """
    q = nonnegative(order, "order")
    threshold = probability(threshold, "threshold")
    f = _frequencies(x)
    if q == 0.0:
        d = (f > threshold).sum(axis=-1).astype(float)
    elif q == 1.0:
        d = np.exp(shannon_entropy(f))
    else:
        with np.errstate(divide="ignore"):
            s = np.where(f > 0, f, 0.0) ** q
        d = s.sum(axis=-1) ** (1.0 / (1.0 - q))
    return float(d) if np.ndim(d) == 0 else d


def diversity(trajectory: Trajectory, threshold: float = 1e-6) -> pd.DataFrame:
    """Diversity over time: entropy and the Hill numbers of order 0, 1 and 2.

    Parameters
    ----------
    trajectory : Trajectory
        The run.
    threshold : float
        Frequency above which a strategy counts towards ``richness``.

    Returns
    -------
    DataFrame
        Indexed by ``time``, columns ``entropy`` (:func:`shannon_entropy`), ``richness``
        (``D_0``), ``effective_number`` (``exp H``) and ``inverse_simpson`` (``D_2``).
    """
    x = trajectory.frequencies
    return pd.DataFrame(
        {
            "entropy": shannon_entropy(x),
            "richness": hill_number(x, 0, threshold),
            "effective_number": hill_number(x, 1),
            "inverse_simpson": hill_number(x, 2),
        },
        index=pd.Index(trajectory.times, name="time"),
    )


def resilience(
    level: pd.Series,
    shock_time: float,
    tolerance: float = 0.05,
    baseline_window: float | None = None,
) -> dict[str, float | bool]:
    """Resilience of a time series (e.g. :func:`cooperation`) to a shock at ``shock_time``.

    Holling's engineering resilience: how far the series falls after the shock and how long
    it takes to come back (cf. Scheffer et al. 2009 on recovery times).

    Parameters
    ----------
    level : Series
        Values indexed by time.
    shock_time : float
        When the shock happened; the series must have times before and from it.
    tolerance : float
        Absolute distance from the pre-shock level that counts as recovered.
    baseline_window : float, optional
        Average the pre-shock level over this many time units before the shock (default:
        the value just before it).

    Returns
    -------
    dict
        ``pre_shock``, ``minimum`` (lowest value from the shock on), ``drop`` (``pre_shock -
        minimum``), ``recovered`` (the series ends within ``tolerance`` of the pre-shock
        level) and ``recovery_time`` (time from the shock until it is within ``tolerance``
        and stays there; NaN if never).

    Raises
    ------
    ValueError
        If ``shock_time`` does not lie inside the series' times, or ``tolerance`` is negative.
    """
    tolerance = nonnegative(tolerance, "tolerance")
    t = level.index.to_numpy(dtype=float)
    v = level.to_numpy(dtype=float)
    before = t < shock_time
    if not before.any() or (t >= shock_time).sum() == 0:
        raise ValueError(f"shock_time {shock_time} must lie inside the series' times")
    if baseline_window is None:
        pre = float(v[before][-1])
    else:
        window = before & (t >= shock_time - nonnegative(baseline_window, "baseline_window"))
        pre = float(v[window].mean())
    after_t, after_v = t[~before], v[~before]
    minimum = float(after_v.min())
    inside = np.abs(after_v - pre) <= tolerance
    recovered = bool(inside[-1])
    recovery_time = math.nan
    if recovered:
        outside = np.flatnonzero(~inside)
        first = 0 if outside.size == 0 else outside[-1] + 1
        recovery_time = float(after_t[first] - shock_time)
    return {
        "pre_shock": pre,
        "minimum": minimum,
        "drop": pre - minimum,
        "recovered": recovered,
        "recovery_time": recovery_time,
    }


def summary(trajectory: Trajectory, cooperation: Any = None,
            threshold: float = 1e-3) -> dict[str, float]:
    """The final state's measures.

    Parameters
    ----------
    trajectory : Trajectory
        The run.
    cooperation : array_like, DataFrame or Tournament, optional
        The cooperation matrix (default: the trajectory's own, as in :func:`cooperation`).
    threshold : float
        Frequency above which a strategy counts towards ``richness`` (0.1% by default, so
        that mutation's trickle does not count).

    Returns
    -------
    dict
        ``cooperation``, diversity (``entropy``, ``richness``, ``effective_number`` = exp H,
        ``inverse_simpson``), and when the trajectory carries its payoffs ``mean_payoff``
        (``x^T A x``, the game alone) and ``mean_fitness`` (after fines, rewards, taxes and
        costs); with a regime, ``institution_strength`` (``m`` if it co-evolves, 1 for a
        fixed institution, 0 for none).

    Raises
    ------
    ValueError
        If no cooperation matrix is given and the trajectory carries none.
    """
    level = _level(trajectory, cooperation)
    last = trajectory.frequencies[-1]
    row: dict[str, float] = {
        "cooperation": float(level.iloc[-1]),
        "entropy": float(shannon_entropy(last)),
        "richness": float(hill_number(last, 0, threshold)),
        "effective_number": float(hill_number(last, 1)),
        "inverse_simpson": float(hill_number(last, 2)),
    }
    A = trajectory.params.get("payoffs")
    regime = trajectory.params.get("regime")
    macro = trajectory.macro
    m = None
    if macro is not None and "institution_strength" in macro:
        m = float(macro["institution_strength"].iloc[-1])
    if A is not None:
        A = np.asarray(A)
        row["mean_payoff"] = float(last @ A @ last)
        if regime is not None:
            from evopolity.dynamics.fitness import fitness

            # material fitness: payoffs after fines, rewards, taxes and costs; conformity is
            # a bias of transmission, not a payoff, and is left out
            material = regime.replace(conformity=0.0)
            f = fitness(material, A, level_source(trajectory, cooperation), last, m,
                        sanctions=trajectory.params.get("sanctions"))
            row["mean_fitness"] = float(last @ f.to_numpy())
        else:
            row["mean_fitness"] = row["mean_payoff"]
    if m is not None:
        row["institution_strength"] = m
    elif regime is not None:  # a fixed institution acts at full strength, or there is none
        row["institution_strength"] = 1.0 if regime.has_institution else 0.0
    return row


# summary's parameter ``cooperation`` hides the function of that name inside it
_level = cooperation


def level_source(trajectory: Trajectory, cooperation: Any = None) -> Any:
    """The cooperation matrix to use: the one given, else the trajectory's own.

    Parameters
    ----------
    trajectory : Trajectory
        The run.
    cooperation : array_like, DataFrame or Tournament, optional
        A cooperation matrix that overrides the trajectory's.

    Returns
    -------
    array_like, DataFrame or Tournament
        ``cooperation`` if given, else ``trajectory.params["cooperation"]``.

    Raises
    ------
    ValueError
        If neither is there.
    """
    source = trajectory.params.get("cooperation") if cooperation is None else cooperation
    if source is None:
        raise ValueError(
            "this trajectory carries no cooperation matrix; pass cooperation= (a Tournament's "
            ".cooperation)"
        )
    return source
