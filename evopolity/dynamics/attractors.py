"""Where a dynamic ends up: the attractor of a trajectory, the largest Lyapunov exponent, and
runs extended until they settle.

:func:`classify` (also :meth:`Trajectory.attractor
<evopolity.dynamics.trajectory.Trajectory.attractor>`) reads the tail of a trajectory:

- ``"rest"``: the state no longer moves (the integrator stopped at a rest point, or over the
  last tenth of the span no coordinate moved more than ``rest_tol``);
- ``"quasiperiodic"``: motion on a torus, two or more incommensurate frequencies
  (:func:`quasi_periodic`): the tail's spectrum is a few sharp lines, not all harmonics of
  one frequency, and its amplitude does not drift. Checked before a cycle, so that a chance
  near-return of such an orbit is not taken for a period;
- ``"cycle"``: the final state recurs: the trajectory came back to within ``cycle_tol`` (times
  the orbit's size) of it at least twice, at whole multiples of one period;
- ``"chaos"``: none of these, and the largest Lyapunov exponent, estimated from the final
  state by two nearby trajectories (:func:`lyapunov_exponent`), is positive (above
  ``chaos_min``);
- ``"unsettled"``: none of these by the horizon (still approaching something, or bounded and
  aperiodic without a positive exponent).

:func:`settle` runs the replicator, and runs it on from where it stopped, until the
classification is no longer ``"unsettled"`` or a budget of time is spent.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evopolity.dynamics.fitness import regime_setup
from evopolity.dynamics.replicator import _mutation_model, replicator
from evopolity.dynamics.trajectory import Trajectory
from evopolity.institutions.regime import Regime
from evopolity.kernels import codes
from evopolity.kernels.layout import integrated_state
from evopolity.kernels.lyapunov import largest_exponent
from evopolity.play.group_games import GroupGame
from evopolity.validate import (
    as_payoff_matrix,
    boolean,
    mutation_matrix,
    nonnegative,
    probability,
    seed_sequence,
    simplex_point,
)

__all__ = ["Attractor", "ATTRACTOR_KINDS", "classify", "lyapunov_exponent", "quasi_periodic",
           "settle"]

#: The kinds of attractor :func:`classify` tells apart.
ATTRACTOR_KINDS = ("rest", "cycle", "quasiperiodic", "chaos", "unsettled")


@dataclass(frozen=True)
class Attractor:
    """Where a trajectory ended up.

    Parameters
    ----------
    kind : {"rest", "cycle", "quasiperiodic", "chaos", "unsettled"}
        The classification (see :mod:`evopolity.dynamics.attractors`).
    point : Series or None
        The rest point (kind ``"rest"``), indexed by strategy; None otherwise.
    period : float or None
        The cycle's period (kind ``"cycle"``), in the trajectory's time units.
    lyapunov : float or None
        The largest Lyapunov exponent when it was estimated (per unit time; positive for
        chaos, about 0 on a cycle, negative near a stable rest point).
    mean : Series
        The time average of each strategy's frequency over the tail read (over whole periods
        of a cycle; for the replicator the time average of an interior orbit tends to the
        interior rest point, Hofbauer & Sigmund 1998, 7.6).
    since, until : float
        The times the tail read spans.
    """

    kind: str
    point: pd.Series | None
    period: float | None
    lyapunov: float | None
    mean: pd.Series
    since: float
    until: float

    @property
    def settled(self) -> bool:
        """Whether the trajectory reached an attractor (any kind but ``"unsettled"``)."""
        return self.kind != "unsettled"

    def label(self, digits: int = 2) -> str:
        """A short name for the attractor, for grouping runs (basins).

        Parameters
        ----------
        digits : int
            Decimals of the frequencies shown.

        Returns
        -------
        str
            For a rest point the strategies present with their rounded frequencies (e.g.
            ``"rest: A=1"``); for a cycle or chaos the kind and the rounded mean.
        """
        where = self.point if self.kind == "rest" else self.mean
        parts = [f"{s}={round(float(v), digits):g}" for s, v in where.items()
                 if round(float(v), digits) != 0.0]
        return f"{self.kind}: " + " ".join(parts)


def classify(
    trajectory: Trajectory,
    *,
    tail: float = 0.5,
    rest_tol: float = 1e-6,
    cycle_tol: float = 1e-3,
    lyapunov: bool = True,
    lyapunov_time: float = 2000.0,
    chaos_min: float = 2e-3,
    seed: Any = 0,
) -> Attractor:
    """Classify where a trajectory ended up (see the module for the rules).

    Parameters
    ----------
    trajectory : Trajectory
        Any trajectory; the Lyapunov exponent is estimated only for a replicator run (it is
        integrated on from the final state with the run's payoffs, regime and mutation).
    tail : float
        The fraction of the time span, at its end, that is read (0 < tail <= 1).
    rest_tol : float
        The largest change of any frequency over the last tenth of the span, and of the
        velocity at the end, for a rest point.
    cycle_tol : float
        How close (relative to the orbit's size) the trajectory must come back to its final
        state to count as a recurrence.
    lyapunov : bool
        Estimate the largest Lyapunov exponent when the tail is neither at rest nor on a
        cycle (replicator runs only).
    lyapunov_time : float
        The time span of the estimate (its error is of order ``1 / lyapunov_time``).
    chaos_min : float
        The smallest exponent that counts as chaos.
    seed : None, int or SeedSequence
        Seeds the direction of the first perturbation (the estimate does not depend on it
        beyond its error).

    Returns
    -------
    Attractor
        The kind, the point or period, the exponent when estimated, the tail's mean.

    Raises
    ------
    TypeError
        If ``trajectory`` is not a Trajectory.
    ValueError
        For a parameter out of range or an empty trajectory.
    """
    if not isinstance(trajectory, Trajectory):
        raise TypeError(f"trajectory must be a Trajectory, got {type(trajectory).__name__}")
    tail = probability(tail, "tail", zero=False)
    rest_tol = nonnegative(rest_tol, "rest_tol", allow_zero=False)
    cycle_tol = nonnegative(cycle_tol, "cycle_tol", allow_zero=False)
    lyapunov = boolean(lyapunov, "lyapunov")
    lyapunov_time = nonnegative(lyapunov_time, "lyapunov_time", allow_zero=False)
    chaos_min = nonnegative(chaos_min, "chaos_min")
    ok = np.isfinite(trajectory.frequencies).all(axis=1)
    t, X = trajectory.times[ok], trajectory.frequencies[ok]
    if t.size == 0:
        raise ValueError("trajectory has no finite row to classify")
    names = pd.Index(trajectory.strategies, name="strategy")
    t_end = float(t[-1])
    inside = t >= t_end - tail * (t_end - float(t[0]))
    tt, XX = t[inside], X[inside]
    mean = pd.Series(_time_mean(tt, XX), index=names, name="mean")

    def done(kind: str, point: Any = None, period: Any = None, lam: Any = None) -> Attractor:
        return Attractor(kind, point, period, lam, mean, float(tt[0]), t_end)

    final = pd.Series(X[-1], index=names, name=t_end)
    if trajectory.info.get("status") == "rest point" or _at_rest(t, X, rest_tol):
        return done("rest", point=final)
    if quasi_periodic(tt, XX):
        return done("quasiperiodic")
    if tt.size >= 5:
        period = _period(tt, XX, cycle_tol)
        if period is not None:  # the mean over whole periods
            whole = math.floor((t_end - float(tt[0])) / period + 1e-9) * period
            span = tt >= t_end - whole - 1e-9 * max(1.0, abs(t_end))
            mean = pd.Series(_time_mean(tt[span], XX[span]), index=names, name="mean")
            return Attractor("cycle", None, period, None, mean, float(tt[span][0]), t_end)
    lam = None
    if lyapunov and trajectory.params.get("dynamic") == "replicator" and "payoffs" in \
            trajectory.params:
        p = trajectory.params
        macro = trajectory._macro
        strength = None if macro is None else float(macro[ok][-1, 0])
        lam = lyapunov_exponent(
            p["payoffs"], X[-1], regime=p.get("regime"), cooperation=p.get("cooperation"),
            mutation=p.get("mutation", 0.0), mutation_model=None if p.get("regime") is not None
            else p.get("mutation_model"), t=lyapunov_time, strength=strength, seed=seed,
        )  # fmt: skip
        if math.isfinite(lam) and lam > chaos_min:
            return done("chaos", lam=lam)
    return done("unsettled", lam=lam)


def _time_mean(t: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The time average of the rows of ``X`` (trapezoids; the last row if no time passes)."""
    if t.size < 2 or t[-1] == t[0]:
        return X[-1].copy()
    dt = np.diff(t)
    return ((X[1:] + X[:-1]) * dt[:, None]).sum(axis=0) / (2.0 * (t[-1] - t[0]))


#: A quasi-periodic tail: its spectrum's lines (local maxima above this share of the largest)
#: and their widths (bins either side counted to a line), the most its amplitude may drift
#: between its halves, and the fewest samples and periods of its slowest line it must hold.
QP_LINE = 1e-2
QP_WIDTH = 5
QP_DRIFT = 0.02
QP_SAMPLES = 128
QP_PERIODS = 4


def quasi_periodic(t: np.ndarray, X: np.ndarray) -> bool:
    """Whether the rows ``X`` at times ``t`` move on a torus: quasi-periodically, with two or
    more incommensurate frequencies.

    The power spectrum (Hann window, summed over the coordinates; rows resampled on an even
    grid if they are not on one) of a quasi-periodic motion is a set of sharp lines at the
    combinations of its base frequencies; that of a cycle is lines at the harmonics of one
    frequency, and chaos spreads over a band. So the tail is quasi-periodic when

    - 99% of its power lies in at most ``QP_WIDTH`` bins per line (a line is a local maximum
      above ``QP_LINE`` times the largest, lines closer than 4 bins counted once);
    - some line is not a harmonic ``m f0`` of the lowest line ``f0`` (within a bin, plus a
      fifth of a bin per harmonic for the peak's interpolated position);
    - the amplitude (each coordinate's standard deviation) of its two halves differs by at
      most ``QP_DRIFT`` of the largest, so that a spiral or an orbit slowing near a
      heteroclinic cycle, whose frequencies drift, is not one;
    - it holds ``QP_SAMPLES`` rows and ``QP_PERIODS`` periods of its lowest line.

    Near-rational frequency ratios cannot be told from rational ones within the resolution
    (``1 / span``): such a tail is not called quasi-periodic.

    Parameters
    ----------
    t : ndarray
        Increasing times.
    X : ndarray
        One row per time.

    Returns
    -------
    bool
    """
    n = t.size
    if n < QP_SAMPLES or t[-1] <= t[0]:
        return False
    grid = np.linspace(t[0], t[-1], n)
    if not np.allclose(t, grid, rtol=0.0, atol=1e-9 * max(1.0, abs(t[-1]))):
        X = np.column_stack([np.interp(grid, t, X[:, j]) for j in range(X.shape[1])])
    Y = X - X.mean(axis=0)
    half1, half2 = Y[: n // 2].std(axis=0), Y[n // 2:].std(axis=0)
    scale = max(half1.max(), half2.max())
    if scale <= 0.0 or np.abs(half1 - half2).max() > QP_DRIFT * scale:
        return False
    power = (np.abs(np.fft.rfft(Y * np.hanning(n)[:, None], axis=0)) ** 2).sum(axis=1)
    power[0] = 0.0
    inner = power[1:-1]
    peaks = np.flatnonzero((inner > power[:-2]) & (inner >= power[2:])) + 1
    peaks = peaks[power[peaks] >= QP_LINE * power.max()]
    lines: list[int] = []
    for i in peaks[np.argsort(-power[peaks])]:  # strongest first; its shoulders are not lines
        if all(abs(i - j) > 3 for j in lines):
            lines.append(int(i))
    if len(lines) < 2:
        return False
    held = np.cumsum(np.sort(power)[::-1])
    if int(np.searchsorted(held, 0.99 * held[-1])) + 1 > QP_WIDTH * len(lines):
        return False
    # each line's position refined by a parabola through the log-power at three bins
    # (in bins; a Hann window's main lobe is close to a Gaussian, whose log is a parabola)
    where = []
    for i in lines:
        a, b, c = np.log(np.maximum(power[i - 1:i + 2], 1e-300))
        curve = a - 2.0 * b + c
        where.append(i + (0.5 * (a - c) / curve if curve < 0.0 else 0.0))
    f0 = min(where)
    if f0 < QP_PERIODS:
        return False
    for f in where:
        m = round(f / f0)
        if abs(f - m * f0) > 1.0 + 0.2 * m:
            return True
    return False


def _at_rest(t: np.ndarray, X: np.ndarray, tol: float) -> bool:
    """Whether the last tenth of the span moved less than ``tol`` and so does the last step."""
    if t.size < 2:
        return False
    window = t >= t[-1] - 0.1 * (t[-1] - t[0])
    if window.sum() < 2:
        window[-2:] = True
    moved = np.abs(X[window] - X[-1]).max()
    dt = t[-1] - t[-2]
    speed = np.abs(X[-1] - X[-2]).max() / dt if dt > 0 else 0.0
    return bool(moved < tol and speed < tol)


def _period(t: np.ndarray, X: np.ndarray, cycle_tol: float) -> float | None:
    """The period of a recurrence of the final state in the tail, or None.

    The distance ``d(t)`` to the final state is sampled on the rows; each local minimum is
    refined by a parabola through ``d^2`` at three rows (exact for motion at constant
    velocity). A recurrence is a minimum below ``cycle_tol`` times the orbit's size; at least
    two are needed, at whole multiples (within 2%) of the latest one's lag.
    """
    d2 = ((X - X[-1]) ** 2).sum(axis=1)
    size = float(np.sqrt(((X.max(axis=0) - X.min(axis=0)) ** 2).sum()))
    if size == 0.0:
        return None
    far = np.flatnonzero(d2 > (0.1 * size) ** 2)
    if far.size == 0:
        return None
    last_far = far[-1]  # the excursion away from the end: minima before it are returns
    returns = []
    for i in range(last_far - 1, 0, -1):
        if d2[i] <= d2[i - 1] and d2[i] <= d2[i + 1]:
            t0, t1, t2 = t[i - 1], t[i], t[i + 1]
            y0, y1, y2 = d2[i - 1], d2[i], d2[i + 1]
            denom = (t0 - t1) * (t0 - t2) * (t1 - t2)
            a = (t2 * (y1 - y0) + t1 * (y0 - y2) + t0 * (y2 - y1)) / denom if denom else 0.0
            b = (t2**2 * (y0 - y1) + t1**2 * (y2 - y0) + t0**2 * (y1 - y2)) / denom \
                if denom else 0.0
            if a > 0.0:
                tm = min(max(-b / (2 * a), t0), t2)
                dm = max(a * tm**2 + b * tm + (y1 - a * t1**2 - b * t1), 0.0)
            else:
                tm, dm = t1, y1
            if math.sqrt(dm) < cycle_tol * size:
                returns.append(t[-1] - tm)
    if len(returns) < 2:
        return None
    period = returns[0]
    for lag in returns[1:]:
        m = lag / period
        if abs(m - round(m)) > 0.02 * max(1.0, round(m)):
            return None
    # the best estimate: the longest lag over its number of periods
    return float(returns[-1] / round(returns[-1] / period))


def lyapunov_exponent(
    payoffs: Any,
    x0: Any = None,
    *,
    regime: Regime | None = None,
    cooperation: Any = None,
    mutation: float | np.ndarray = 0.0,
    mutation_model: str | None = None,
    t: float = 2000.0,
    transient: float = 0.0,
    dt: float | None = None,
    renorm: float = 1.0,
    strength: float | None = None,
    seed: Any = None,
) -> float:
    r"""The largest Lyapunov exponent of the replicator from ``x0`` (Benettin et al. 1980).

    .. math::

        \lambda = \lim_{T\to\infty} \frac1T \sum_{m} \ln \frac{|z(m\tau) - y(m\tau)|}{d_0}

    where ``z`` starts at ``y + d0 u`` and is pulled back to distance ``d0 = 1e-8`` from
    ``y`` every ``tau = renorm`` time units. Both are integrated with the same fixed RK4
    steps (:mod:`evopolity.kernels.lyapunov`).

    Parameters
    ----------
    payoffs : array_like, DataFrame, Tournament or GroupGame
        The interactions (as for :func:`~evopolity.dynamics.replicator.replicator`).
    x0 : array_like or Series, optional
        The starting state (default: the barycentre).
    regime : Regime, optional
        The regime (a co-evolving institution's strength is part of the state).
    cooperation : array_like or DataFrame, optional
        The cooperation matrix the regime needs.
    mutation : float or array_like
        The mutation rate or matrix (without a regime).
    mutation_model : {"independent", "fitness_weighted"}, optional
        How mutation enters (default ``"independent"``, or the regime's).
    t : float
        The time measured over (the estimate's error is of order ``1 / t``).
    transient : float
        Time integrated first, not measured.
    dt : float, optional
        The RK4 step (default ``min(0.01, 0.05 / s)``, ``s`` the largest payoff difference).
    renorm : float
        Time between renormalisations.
    strength : float, optional
        The co-evolving institution's starting strength (default the regime's).
    seed : None, int or SeedSequence
        Seeds the first perturbation's direction (uniform on the tangent space of the face
        of the strategies present).

    Returns
    -------
    float
        The exponent per unit time (NaN when the perturbation collapsed to nothing).

    Raises
    ------
    ValueError
        For a parameter out of range or a state off the simplex.
    """
    group = isinstance(payoffs, GroupGame)
    if group:
        names = payoffs.strategies
        A = np.zeros((payoffs.k, payoffs.k))
        lo, hi = payoffs.payoff_range()
        spread = hi - lo
    else:
        A, names = as_payoff_matrix(payoffs)
        spread = float(A.max() - A.min())
    k = A.shape[0]
    x = np.full(k, 1.0 / k) if x0 is None else simplex_point(x0, names)
    t = nonnegative(t, "t", allow_zero=False)
    transient = nonnegative(transient, "transient")
    renorm = nonnegative(renorm, "renorm", allow_zero=False)
    setup = regime_setup(regime, mutation, payoffs, cooperation, names)
    model, params, mutation, A = setup.model, setup.params, setup.mutation, setup.A
    if isinstance(regime, Regime):
        spread += regime.fine + regime.reward + regime.cost + regime.conformity
    step = min(0.01, 0.05 / spread) if spread > 0 else 0.01
    if dt is not None:
        step = nonnegative(dt, "dt", allow_zero=False)
    y0 = integrated_state(x)
    if regime is not None and regime.coevolves:
        m = regime.initial_strength if strength is None else probability(strength, "strength")
        y0 = integrated_state(x, m)
    Q, mutate = mutation_matrix(mutation, k)
    model_name = _mutation_model(mutation_model, regime)
    code = (codes.NO_MUTATION if not mutate else codes.FITNESS_WEIGHTED
            if model_name == "fitness_weighted" else codes.INDEPENDENT)
    rng = np.random.default_rng(seed_sequence(seed))
    u = np.zeros(y0.size)
    present = np.flatnonzero(x > 0.0) if not mutate else np.arange(k)
    if present.size >= 2:
        v = rng.normal(size=present.size)
        u[present] = v - v.mean()
    if y0.size > k:
        u[k:] = rng.normal(size=y0.size - k)
    norm = float(np.sqrt((u**2).sum()))
    if norm == 0.0:
        return math.nan
    u /= norm
    y_end = np.empty_like(y0)
    return float(largest_exponent(model, y0, A, np.ascontiguousarray(A.T), params, Q, code, u,
                                  1e-8, step, transient, t, renorm, y_end))


def settle(
    payoffs: Any,
    x0: Any = None,
    *,
    t_max: float = 100.0,
    budget: float = 10_000.0,
    points_per_unit: float = 4.0,
    regime: Regime | None = None,
    cooperation: Any = None,
    mutation: float | np.ndarray = 0.0,
    strength: float | None = None,
    lyapunov: bool = True,
    **classify_options: Any,
) -> tuple[Trajectory, Attractor]:
    """Run the replicator until it settles on an attractor, within a time budget.

    Runs ``t_max``, classifies the run (:func:`classify`), and while it is ``"unsettled"``
    runs on from the final state (the institution's strength included) for twice the time
    so far, until ``budget`` time units have been spent. Only the last segment is classified
    and returned (the earlier ones are the transient).

    Parameters
    ----------
    payoffs : array_like, DataFrame, Tournament or GroupGame
        The interactions.
    x0 : array_like or Series, optional
        The starting state (default: the barycentre).
    t_max : float
        The first segment's length.
    budget : float
        The most time integrated in all (the last segment is cut to fit).
    points_per_unit : float
        Output rows per unit of time (the cycle detector reads them: a few per period at
        least).
    regime : Regime, optional
        The regime.
    cooperation : array_like or DataFrame, optional
        The cooperation matrix the regime needs.
    mutation : float or array_like
        The mutation rate or matrix (without a regime).
    strength : float, optional
        A co-evolving institution's starting strength (default the regime's).
    lyapunov : bool
        Estimate the Lyapunov exponent of a segment that is neither at rest nor on a cycle
        (a positive one settles the run as chaos).
    **classify_options
        Passed to :func:`classify` (``tail``, ``rest_tol``, ``cycle_tol``,
        ``lyapunov_time``, ``chaos_min``, ``seed``).

    Returns
    -------
    (Trajectory, Attractor)
        The last segment (its times continue from the earlier ones; ``info["t_total"]`` the
        time integrated in all) and its classification.

    Raises
    ------
    ValueError
        For a parameter out of range (``budget`` below ``t_max`` included).
    """
    t_max = nonnegative(t_max, "t_max", allow_zero=False)
    budget = nonnegative(budget, "budget", allow_zero=False)
    if budget < t_max:
        raise ValueError(f"budget must be at least t_max ({t_max:g}), got {budget:g}")
    ppu = nonnegative(points_per_unit, "points_per_unit", allow_zero=False)
    if strength is not None:
        strength = probability(strength, "strength")
    t0, span, x, m = 0.0, t_max, x0, strength
    while True:
        reg = regime
        if regime is not None and regime.coevolves and m is not None:
            reg = dataclasses.replace(regime, initial_strength=float(m))
        n = max(2, int(round(span * ppu)) + 1)
        tr = replicator(payoffs, x, times=np.linspace(t0, t0 + span, n), regime=reg,
                        cooperation=cooperation, mutation=mutation)
        spent = t0 + span
        last = spent >= budget - 1e-9
        att = classify(tr, lyapunov=lyapunov, **classify_options)
        if att.settled or last:
            info = dict(tr.info, t_total=spent)
            out = Trajectory(tr.times, tr.frequencies, tr.strategies, tr.params,
                             macro=tr._macro, macro_names=tr._macro_names or None,
                             events=tr.events, info=info)
            return out, att
        x = tr.final().to_numpy()
        if tr._macro is not None:
            m = float(tr._macro[-1, 0])
        t0 = spent
        span = min(2.0 * spent, budget - spent)
