"""Hysteresis by continuation: sweep a parameter up, then down, each run starting where the
previous one ended.

A bistable system has two branches of attractors over a range of the parameter; a sweep that
restarts every run from the same state sees only one of them, and a sweep that carries its
state (the frequencies and a co-evolving institution's strength) follows a branch until it
ends at a fold, then jumps. Sweeping up and then down shows both branches; where they differ
is the hysteresis loop (Strogatz 2015, *Nonlinear Dynamics and Chaos*, 3.4 and 3.7).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evopolity.dynamics.attractors import settle
from evopolity.institutions.regime import Regime
from evopolity.validate import nonnegative

__all__ = ["continuation", "hysteresis", "branches_differ"]


def continuation(
    payoffs: Any,
    parameter: str | Callable[[float], Any],
    values: Sequence[float] | np.ndarray,
    x0: Any = None,
    *,
    regime: Regime | None = None,
    cooperation: Any = None,
    mutation: float | np.ndarray = 0.0,
    t_max: float = 100.0,
    budget: float = 2000.0,
    lyapunov: bool = False,
    tol: float = 1e-3,
    **classify_options: Any,
) -> pd.DataFrame:
    """Sweep a parameter up and then down, carrying the state from run to run.

    For each value in ``values`` (increasing), then in reverse, the replicator runs to its
    attractor (:func:`~evopolity.dynamics.attractors.settle`) from where the previous run
    ended: its frequencies and, for a co-evolving institution, its strength.

    Parameters
    ----------
    payoffs : array_like, DataFrame, Tournament or GroupGame
        The interactions (ignored when ``parameter`` is a callable that builds them).
    parameter : str or callable
        A field of ``regime`` (e.g. ``"fine"``), ``"mutation"`` (the mutation rate, without
        a regime), or a function of the value that returns the payoffs.
    values : sequence of float
        The parameter's values, strictly increasing (at least two).
    x0 : array_like or Series, optional
        The first run's state (default: the barycentre).
    regime : Regime, optional
        The regime (required for a regime field); a co-evolving institution starts at its
        ``initial_strength``.
    cooperation : array_like or DataFrame, optional
        The cooperation matrix the regime needs.
    mutation : float or array_like
        The mutation rate or matrix (without a regime).
    t_max, budget : float
        Each run's first segment and total time.
    lyapunov : bool
        Estimate the Lyapunov exponent of runs neither at rest nor on a cycle.
    tol : float
        Two branches differ at a value when a frequency (or the strength) differs by more.
    **classify_options
        Passed to the classification.

    Returns
    -------
    DataFrame
        One row per run: ``branch`` (``"up"``, ``"down"``), ``step`` (the run's number),
        ``value``, a column per strategy (the rest point, or the time average over a cycle or
        chaotic attractor), ``institution_strength`` (a co-evolving institution's),
        ``kind`` (the attractor's) and ``differs`` (the two branches differ at this value).

    Raises
    ------
    ValueError
        For values that are not strictly increasing, an unknown parameter, a regime field
        without a regime, or a parameter out of range.
    TypeError
        For a parameter that is neither a string nor a callable.
    """
    try:
        grid = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("values must be a sequence of real numbers") from None
    if grid.ndim != 1 or grid.size < 2 or not np.isfinite(grid).all() or \
            (np.diff(grid) <= 0).any():
        raise ValueError("values must be at least two finite numbers, strictly increasing")
    tol = nonnegative(tol, "tol", allow_zero=False)
    if callable(parameter):
        def setup(v: float) -> tuple[Any, Regime | None, Any]:
            return parameter(v), regime, mutation
    elif isinstance(parameter, str):
        if parameter == "mutation" and regime is None:
            def setup(v: float) -> tuple[Any, Regime | None, Any]:
                return payoffs, None, v
        else:
            if regime is None:
                raise ValueError(f"parameter {parameter!r} is a regime field: pass regime=")
            names = {f.name for f in dataclasses.fields(Regime)} - {"name", "description"}
            if parameter not in names:
                raise ValueError(
                    f"parameter must be a field of Regime ({', '.join(sorted(names))}), "
                    f"'mutation' or a callable, got {parameter!r}"
                )

            def setup(v: float) -> tuple[Any, Regime | None, Any]:
                return payoffs, regime.replace(**{parameter: v}), mutation
    else:
        raise TypeError(f"parameter must be a string or a callable, got {parameter!r}")
    rows = []
    x, m = x0, None
    names_out: tuple[str, ...] = ()
    step = 0
    coevolves = False
    for branch, sweep in (("up", grid), ("down", grid[::-1])):
        for v in sweep:
            pay, reg, mut = setup(float(v))
            tr, att = settle(pay, x, t_max=t_max, budget=budget, regime=reg,
                             cooperation=cooperation, mutation=mut, strength=m,
                             lyapunov=lyapunov, **classify_options)
            names_out = tr.strategies
            state = att.point if att.kind == "rest" else att.mean
            x = tr.frequencies[-1].copy()
            strength = np.nan
            if tr.macro is not None:
                coevolves = True
                macro = tr.macro["institution_strength"]
                m = float(macro.iloc[-1])
                strength = m if att.kind == "rest" else float(macro.iloc[len(macro) // 2:].mean())
            rows.append([branch, step, float(v), *state.to_numpy(), strength, att.kind])
            step += 1
    cols = ["branch", "step", "value", *names_out, "institution_strength", "kind"]
    frame = pd.DataFrame(rows, columns=cols)
    if not coevolves:
        frame = frame.drop(columns="institution_strength")
    state_cols = [*names_out] + (["institution_strength"] if coevolves else [])
    frame["differs"] = branches_differ(frame, state_cols, tol)
    return frame


def branches_differ(frame: pd.DataFrame, columns: Sequence[str], tol: float) -> pd.Series:
    """Whether the up and down branches of a continuation differ at each row's value.

    Parameters
    ----------
    frame : DataFrame
        One row per run: ``branch`` (``"up"``, ``"down"``), ``value`` and the ``columns``
        (each value once per branch).
    columns : sequence of str
        The state read (frequencies, the institution's strength; NaN on both branches
        counts as equal).
    tol : float
        The branches differ where some column differs by more.

    Returns
    -------
    Series of bool
        Aligned with ``frame``'s rows (both runs at a value carry the same mark).

    Raises
    ------
    ValueError
        If a column is missing or a value lacks one of its two runs.
    """
    missing = [c for c in ("branch", "value", *columns) if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks the columns {missing}")
    tol = nonnegative(tol, "tol", allow_zero=False)
    up = frame[frame.branch == "up"].set_index("value")[list(columns)]
    down = frame[frame.branch == "down"].set_index("value")[list(columns)]
    if not (up.index.is_unique and down.index.is_unique and set(up.index) == set(down.index)):
        raise ValueError("each value must be run once up and once down")
    gap = (up - down.loc[up.index]).abs().fillna(0.0).max(axis=1) > tol
    return frame["value"].map(gap).astype(bool)


def hysteresis(frame: pd.DataFrame) -> pd.DataFrame:
    """The ranges of the parameter where the up and down branches differ.

    Parameters
    ----------
    frame : DataFrame
        What :func:`continuation` returned.

    Returns
    -------
    DataFrame
        One row per range of consecutive values at which the branches differ: ``low`` and
        ``high`` (the first and last such value; the folds lie between them and the
        neighbouring values). Empty when the branches agree everywhere.

    Raises
    ------
    ValueError
        If ``frame`` lacks the ``value`` and ``differs`` columns.
    """
    if not isinstance(frame, pd.DataFrame) or not {"value", "differs"} <= set(frame.columns):
        raise ValueError("frame must be what continuation returned (value and differs columns)")
    marks = frame[frame.branch == "up"].sort_values("value")
    ranges = []
    start = None
    prev = None
    for v, d in zip(marks["value"], marks["differs"], strict=True):
        if d and start is None:
            start = v
        if not d and start is not None:
            ranges.append((start, prev))
            start = None
        prev = v
    if start is not None:
        ranges.append((start, prev))
    return pd.DataFrame(ranges, columns=["low", "high"], dtype=float)
