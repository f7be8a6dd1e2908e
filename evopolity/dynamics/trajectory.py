"""The result of every dynamic: strategy frequencies over time.

A :class:`Trajectory` holds ``times`` (T,), ``frequencies`` (T x k) over the named strategies,
the parameters that produced it, and, for regimes with institutions, an optional macro state
(T x j, named) and a list of scheduled events (shocks) marked by time. Results leave as pandas:
``frame()`` tidy long (``time, strategy, frequency``), ``wide()`` time-indexed, ``macro`` the
macro state indexed by time, ``final()`` the last state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Trajectory", "Event", "entropies", "hill_numbers"]


def entropies(f: np.ndarray) -> np.ndarray:
    """Shannon entropy ``H = -sum_i f_i ln f_i`` along the last axis of ``f``; ``0 ln 0 = 0``.

    The arithmetic of :func:`evopolity.analysis.metrics.shannon_entropy`, on arrays its
    callers have checked (dynamics that report diversity use it without the analysis layer).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(f > 0, -f * np.log(np.where(f > 0, f, 1.0)), 0.0)
    return terms.sum(axis=-1)


def hill_numbers(f: np.ndarray, order: float, threshold: float = 1e-6) -> np.ndarray:
    """Hill numbers ``D_q = (sum_i f_i^q)^(1 / (1 - q))`` along the last axis of ``f``.

    The arithmetic of :func:`evopolity.analysis.metrics.hill_number` (Hill 1973; Jost 2006),
    on arrays its callers have checked: ``q = 0`` counts entries above ``threshold``,
    ``q = 1`` is ``exp(H)`` (:func:`entropies`).
    """
    if order == 0.0:
        return (f > threshold).sum(axis=-1).astype(float)
    if order == 1.0:
        return np.exp(entropies(f))
    with np.errstate(divide="ignore"):
        s = np.where(f > 0, f, 0.0) ** order
    return s.sum(axis=-1) ** (1.0 / (1.0 - order))


@dataclass(frozen=True)
class Event:
    """A marker on a trajectory: something scheduled happened at ``time`` (e.g. a shock).

    Parameters
    ----------
    time : float
        When it happened.
    kind : str
        What happened (a shock's kind: ``"temptation"``, ``"noise"``, ``"invasion"``,
        ``"collapse"``, ``"regime"``).
    detail : mapping
        The values before and after (e.g. ``{"T_before": 5.0, "T_after": 7.0}``).
    """

    time: float
    kind: str
    detail: Mapping[str, Any] = field(default_factory=dict)


class Trajectory:
    """Strategy frequencies over time.

    Parameters
    ----------
    times : array_like, shape (T,)
        Non-decreasing times (continuous time, or generations / events for discrete dynamics).
    frequencies : array_like, shape (T, k)
        Frequency of each strategy at each time (rows on the simplex; NaN rows mark times an
        integrator did not reach).
    strategies : sequence of str, length k
        Strategy names (unique).
    params : mapping, optional
        The parameters that produced the trajectory (dynamic name, rates, seed, ...).
    macro : array_like, shape (T, j), optional
        Macro state (institution strength, legitimacy, ...) at each time; read back as the
        labelled DataFrame :attr:`macro`.
    macro_names : sequence of str, length j, optional
        Names of the macro variables (required with ``macro``).
    events : sequence of Event, optional
        Scheduled events (shocks) marked on the trajectory.
    info : mapping, optional
        Outcome facts: e.g. ``status``, ``fixated``, ``winner``, ``generations``.

    Raises
    ------
    ValueError
        For shapes that do not fit together, decreasing times, repeated strategy names, or
        ``macro`` without ``macro_names``.
    TypeError
        For an event that is not an ``Event``.
    """

    __slots__ = (
        "times",
        "frequencies",
        "strategies",
        "params",
        "_macro",
        "_macro_names",
        "events",
        "info",
    )

    def __init__(
        self,
        times: Sequence[float] | np.ndarray,
        frequencies: Sequence[Sequence[float]] | np.ndarray,
        strategies: Sequence[str],
        params: Mapping[str, Any] | None = None,
        *,
        macro: np.ndarray | None = None,
        macro_names: Sequence[str] | None = None,
        events: Sequence[Event] | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        t = np.asarray(times, dtype=np.float64)
        x = np.asarray(frequencies, dtype=np.float64)
        if t.ndim != 1:
            raise ValueError(f"times must be 1-d, got shape {t.shape}")
        if x.ndim != 2 or x.shape[0] != t.size:
            raise ValueError(
                f"frequencies must have shape (len(times), k) = ({t.size}, k), got {x.shape}"
            )
        if t.size > 1 and (t[1:] < t[:-1]).any():
            raise ValueError("times must be non-decreasing")
        names = tuple(map(str, strategies))
        if len(names) != x.shape[1]:
            raise ValueError(
                f"strategies must name the {x.shape[1]} columns of frequencies, got {len(names)}"
            )
        if len(set(names)) != len(names):
            raise ValueError(f"strategies must be unique, got {names}")
        m = None
        mnames: tuple[str, ...] = ()
        if macro is not None:
            m = np.asarray(macro, dtype=np.float64)
            if m.ndim == 1:
                m = m[:, None]
            if m.ndim != 2 or m.shape[0] != t.size:
                raise ValueError(f"macro must have shape ({t.size}, j), got {m.shape}")
            if macro_names is None or len(macro_names) != m.shape[1]:
                raise ValueError(f"macro_names must name the {m.shape[1]} columns of macro")
            mnames = tuple(str(s) for s in macro_names)
            m.setflags(write=False)
        elif macro_names:
            raise ValueError("macro_names given without macro")
        for a in (t, x):
            a.setflags(write=False)
        ev = tuple(events or ())
        for e in ev:
            if not isinstance(e, Event):
                raise TypeError(f"events must hold Event objects, got {type(e).__name__}")
        set_ = object.__setattr__
        set_(self, "times", t)
        set_(self, "frequencies", x)
        set_(self, "strategies", names)
        set_(self, "params", dict(params or {}))
        set_(self, "_macro", m)
        set_(self, "_macro_names", mnames)
        set_(self, "events", ev)
        set_(self, "info", dict(info or {}))

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("Trajectory is immutable")

    def __len__(self) -> int:
        return int(self.times.size)

    def __repr__(self) -> str:
        dyn = self.params.get("dynamic", "dynamic")
        span = f"t={self.times[0]:g}..{self.times[-1]:g}" if len(self) else "empty"
        return f"<Trajectory {dyn}: {len(self)} times, {len(self.strategies)} strategies, {span}>"

    @property
    def k(self) -> int:
        """Number of strategies."""
        return len(self.strategies)

    def wide(self) -> pd.DataFrame:
        """Frequencies in wide form.

        Returns
        -------
        DataFrame
            Indexed by ``time``, one column per strategy (columns named ``strategy``).
        """
        return pd.DataFrame(
            self.frequencies,
            index=pd.Index(self.times, name="time"),
            columns=pd.Index(self.strategies, name="strategy"),
        )

    def frame(self) -> pd.DataFrame:
        """Frequencies in tidy long form.

        Returns
        -------
        DataFrame
            Columns ``time, strategy, frequency``, one row per time and strategy (time-major;
            ``strategy`` categorical in the trajectory's order).
        """
        T, k = self.frequencies.shape
        return pd.DataFrame(
            {
                "time": np.repeat(self.times, k),
                "strategy": pd.Categorical(
                    np.tile(np.array(self.strategies, dtype=object), T),
                    categories=list(self.strategies),
                ),
                "frequency": self.frequencies.reshape(-1),
            }
        )

    @property
    def macro(self) -> pd.DataFrame | None:
        """The macro state: a DataFrame indexed by ``time``, one named column per variable.

        Returns
        -------
        DataFrame or None
            Columns such as ``cooperation`` and ``institution_strength`` (index ``time``,
            columns named ``macro``); None when the trajectory has no macro state.
        """
        if self._macro is None:
            return None
        # a fresh frame over a copy each time: the trajectory stays immutable whatever the
        # caller does with it
        return pd.DataFrame(
            self._macro.copy(),
            index=pd.Index(self.times, name="time"),
            columns=pd.Index(self._macro_names, name="macro"),
        )

    def attractor(self, **options: Any) -> Any:
        """Where the trajectory ended up: at rest, on a cycle, chaotic, or not settled.

        See :func:`evopolity.dynamics.attractors.classify` for the rules and the options.

        Parameters
        ----------
        **options
            ``tail``, ``rest_tol``, ``cycle_tol``, ``lyapunov``, ``lyapunov_time``,
            ``chaos_min``, ``seed`` (as for ``classify``).

        Returns
        -------
        Attractor
            ``kind`` (``"rest"``, ``"cycle"``, ``"chaos"``, ``"unsettled"``), ``point``,
            ``period``, ``lyapunov`` (the largest exponent, when estimated), ``mean``.

        Raises
        ------
        ValueError
            For an option out of range or an empty trajectory.
        """
        from evopolity.dynamics.attractors import classify

        return classify(self, **options)

    def final(self) -> pd.Series:
        """The last state.

        Returns
        -------
        Series
            The frequency of each strategy (index ``strategy``), named by its time.

        Raises
        ------
        ValueError
            For an empty trajectory.
        """
        if not len(self):
            raise ValueError("empty trajectory has no final state")
        return pd.Series(
            self.frequencies[-1],
            index=pd.Index(self.strategies, name="strategy"),
            name=float(self.times[-1]),
        )
