"""Measures of success: cooperation, diversity, and resilience after a shock.

* cooperation level ``c(t) = x(t)^T C x(t)``: the fraction of moves that cooperate in the
  population at time ``t`` (``C`` the cooperation matrix of the interactions);
* diversity of the strategy frequencies: Shannon entropy ``H = -sum x_i ln x_i`` and the Hill
  numbers of order 0, 1 and 2 (Hill 1973; Jost 2006): richness (strategies above a detection
  threshold), ``exp(H)`` and inverse Simpson ``1 / sum x_i^2``, each an "effective number of
  strategies";
* welfare: the population's mean payoff per turn ``x^T A x`` (the game alone) relative to the
  game's social optimum per turn, ``max(R, (T + S) / 2, P)``: the most a pair of players can
  average per turn, by mutual cooperation or by taking turns exploiting each other (no pair
  of moves gives a larger total, so welfare is at most 1);
* the class of a 2x2 game (:func:`game_class`), so that a shock that turns a prisoner's
  dilemma into something else is seen as such;
* resilience after a shock at ``t_s``, measured up to the next shock (or the end): the lowest
  cooperation reached, whether cooperation came back to within ``tolerance`` of its pre-shock
  level, how long that took (Holling's engineering resilience; cf. Scheffer et al. 2009 on
  recovery times), and the ``response``: ``"unaffected"`` (it never left the band),
  ``"recovered"``, ``"fell"`` or ``"rose"`` (it ended below or above the band).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evopolity.dynamics.trajectory import Trajectory, entropies, hill_numbers
from evopolity.kernels.fitness import cooperation_levels
from evopolity.validate import cooperation_matrix, nonnegative, probability, real

__all__ = [
    "cooperation",
    "shannon_entropy",
    "hill_number",
    "diversity",
    "resilience",
    "shock_responses",
    "social_optimum",
    "game_class",
    "welfare",
    "summary",
]

#: The classes :func:`game_class` names.
GAME_CLASSES = ("prisoners_dilemma", "alternating_dilemma", "snowdrift", "stag_hunt",
                "harmony", "deadlock", "other")


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
    h = entropies(_frequencies(x))
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
    d = hill_numbers(_frequencies(x), q, threshold)
    return float(d) if np.ndim(d) == 0 else d


def behaviours(x: np.ndarray, strategies: Sequence[str]) -> np.ndarray:
    """Frequencies of ways of playing: a strategy and its levy-paying version as one.

    An institution its members fund crosses every strategy with {pays the levy, abstains}
    (``"<name>+levy"`` first, then the bare names:
    :func:`evopolity.dynamics.fitness.crossed_names`).
    Paying is a choice about the institution, not a way of playing, so diversity counts the
    pair once; otherwise the crossing alone would double a funded regime's richness.

    Parameters
    ----------
    x : ndarray
        Frequencies, one row per time or a single state (last axis: strategies).
    strategies : sequence of str
        The names of the columns of ``x``.

    Returns
    -------
    ndarray
        ``x`` with each ``"<name>+levy"`` column added to ``<name>``'s and dropped; ``x``
        itself when the strategies are not crossed.
    """
    names = list(strategies)
    k = len(names) // 2
    crossed = (len(names) == 2 * k and k > 0
               and names[:k] == [f"{n}+levy" for n in names[k:]])
    if not crossed:
        return x
    return x[..., :k] + x[..., k:]


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
        (``D_0``), ``effective_number`` (``exp H``) and ``inverse_simpson`` (``D_2``), over
        ways of playing (:func:`behaviours`).
    """
    x = behaviours(trajectory.frequencies, trajectory.strategies)
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
    end: float | None = None,
) -> dict[str, Any]:
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
    end : float, optional
        The end of the window read after the shock (e.g. the next shock's time; default: the
        end of the series). A time that appears twice (a shock's before and after) counts
        with its first row, the state before that shock.

    Returns
    -------
    dict
        ``pre_shock``, ``minimum`` (lowest value in the window), ``drop`` (``pre_shock -
        minimum``), ``final`` (the window's last value), ``recovered`` (the window ends
        within ``tolerance`` of the pre-shock level), ``recovery_time`` (time from the shock
        until it is within ``tolerance`` and stays there; NaN if never, and NaN for a series
        the shock did not move) and ``response``: ``"unaffected"`` (never outside the band
        in the window), ``"recovered"`` (left it and came back), ``"fell"`` or ``"rose"``
        (ended below or above it).

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
    if end is not None:
        end = real(end, "end")
        if end <= shock_time:
            raise ValueError(f"end must come after shock_time {shock_time}, got {end}")
    if baseline_window is None:
        pre = float(v[before][-1])
    else:
        window = before & (t >= shock_time - nonnegative(baseline_window, "baseline_window"))
        pre = float(v[window].mean())
    after_t, after_v = t[~before], v[~before]
    if end is not None:
        # up to and including the first row at ``end`` (the state before a shock there)
        keep = int(np.searchsorted(after_t, end, side="left")) + 1
        after_t, after_v = after_t[:keep], after_v[:keep]
    minimum = float(after_v.min())
    final = float(after_v[-1])
    inside = np.abs(after_v - pre) <= tolerance
    recovered = bool(inside[-1])
    recovery_time = math.nan
    if inside.all():
        response = "unaffected"
    elif recovered:
        response = "recovered"
        outside = np.flatnonzero(~inside)
        recovery_time = float(after_t[outside[-1] + 1] - shock_time)
    else:
        response = "fell" if final < pre else "rose"
    return {
        "pre_shock": pre,
        "minimum": minimum,
        "drop": pre - minimum,
        "final": final,
        "recovered": recovered,
        "recovery_time": recovery_time,
        "response": response,
    }


def shock_responses(trajectory: Trajectory, tolerance: float = 0.05,
                    cooperation: Any = None) -> pd.DataFrame:
    """The resilience of cooperation to each of a trajectory's shocks, each read up to the
    next shock (or the end of the run).

    Parameters
    ----------
    trajectory : Trajectory
        A run with events (:func:`evopolity.evolve` with ``shocks``).
    tolerance : float
        As in :func:`resilience`.
    cooperation : array_like, DataFrame or Tournament, optional
        As in :func:`cooperation`.

    Returns
    -------
    DataFrame
        One row per shock, in time order: ``shock`` (its number, from 1), ``time``, ``kind``,
        ``until`` (the window's end) and the keys of :func:`resilience`. Empty (with these
        columns) for a run without shocks. Shocks at the same time share one window.

    Raises
    ------
    TypeError
        If ``trajectory`` is not a ``Trajectory``.
    """
    if not isinstance(trajectory, Trajectory):
        raise TypeError(f"trajectory must be a Trajectory, got {type(trajectory).__name__}")
    level = _level(trajectory, cooperation)
    times = sorted(float(e.time) for e in trajectory.events)
    t_end = float(trajectory.times[-1])
    rows = []
    for i, event in enumerate(sorted(trajectory.events, key=lambda e: e.time)):
        later = [t for t in times if t > event.time]
        until = later[0] if later else t_end
        res = resilience(level, float(event.time), tolerance,
                         end=until if later else None)
        rows.append({"shock": i + 1, "time": float(event.time), "kind": event.kind,
                     "until": until, **res})
    columns = ["shock", "time", "kind", "until", "pre_shock", "minimum", "drop", "final",
               "recovered", "recovery_time", "response"]
    return pd.DataFrame(rows, columns=columns)


def _rstp(game: Any) -> tuple[float, float, float, float]:
    if hasattr(game, "rstp"):
        return tuple(float(v) for v in game.rstp)
    try:
        R, S, T, P = (real(v, "game") for v in game)
    except (TypeError, ValueError):
        raise TypeError(f"game must be a Game or the payoffs (R, S, T, P), got {game!r}") \
            from None
    return R, S, T, P


def social_optimum(game: Any) -> float:
    """The social optimum per turn of a symmetric 2x2 game: ``max(R, (T + S) / 2, P)``.

    The most a pair of players can average per turn: mutual cooperation (``R`` each),
    taking turns exploiting each other (``(T + S) / 2`` each) or mutual defection. No
    outcome has a larger total, so no population's mean payoff per turn exceeds it.

    Parameters
    ----------
    game : Game or tuple
        The stage game, or its payoffs ``(R, S, T, P)``.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``game`` is neither.

    Examples
    --------
    >>> social_optimum((3, 0, 5, 1)), social_optimum((3, 0, 7, 1))
    (3.0, 3.5)
    """
    R, S, T, P = _rstp(game)
    return max(R, (T + S) / 2.0, P)


def game_class(game: Any) -> str:
    """The class of a symmetric 2x2 game by the order of its payoffs.

    ``"prisoners_dilemma"`` (``T > R > P > S`` and ``2R > T + S``), ``"alternating_dilemma"``
    (``T > R > P > S`` but ``2R <= T + S``: in repeated play, taking turns exploiting each
    other pays at least as much as mutual cooperation), ``"snowdrift"`` (``T > R > S > P``),
    ``"stag_hunt"`` (``R > T > P > S``), ``"harmony"`` (``R >= T`` and ``S >= P``: nobody is
    tempted), ``"deadlock"`` (``T > P > R``: mutual defection is preferred), else ``"other"``.

    Parameters
    ----------
    game : Game or tuple
        The stage game, or its payoffs ``(R, S, T, P)``.

    Returns
    -------
    str
        One of :data:`GAME_CLASSES`.

    Raises
    ------
    TypeError
        If ``game`` is neither.

    Examples
    --------
    >>> game_class((3, 0, 5, 1)), game_class((3, 0, 7, 1)), game_class((3, 1, 5, 0))
    ('prisoners_dilemma', 'alternating_dilemma', 'snowdrift')
    """
    R, S, T, P = _rstp(game)
    if T > R > P > S:
        return "prisoners_dilemma" if 2 * R > T + S else "alternating_dilemma"
    if T > R > S > P:
        return "snowdrift"
    if R > T > P > S:
        return "stag_hunt"
    if R >= T and S >= P:
        return "harmony"
    if T > P > R:
        return "deadlock"
    return "other"


def welfare(mean_payoff: float, game: Any) -> float:
    """Mean payoff per turn relative to the game's social optimum (:func:`social_optimum`).

    Parameters
    ----------
    mean_payoff : float
        The population's mean payoff per turn, ``x^T A x``.
    game : Game or tuple
        The stage game, or its payoffs ``(R, S, T, P)``.

    Returns
    -------
    float
        ``mean_payoff / social_optimum(game)``; NaN when the optimum is not positive.

    Raises
    ------
    TypeError
        If ``game`` is neither a Game nor four payoffs.

    Examples
    --------
    >>> welfare(3.0, (3, 0, 7, 1))
    0.8571428571428571
    """
    best = social_optimum(game)
    return float(mean_payoff) / best if best > 0 else math.nan


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
        (``x^T A x``, the game alone), ``welfare`` (when it carries its stage game:
        :func:`welfare`, under the game of its last segment) and ``mean_fitness`` (after
        fines, rewards, taxes and costs); with a regime, ``institution_strength`` (``m`` if
        it co-evolves, 1 for a
        fixed institution, 0 for none).

    Raises
    ------
    ValueError
        If no cooperation matrix is given and the trajectory carries none.
    """
    level = _level(trajectory, cooperation)
    last = trajectory.frequencies[-1]
    ways = behaviours(last, trajectory.strategies)  # diversity of ways of playing
    row: dict[str, float] = {
        "cooperation": float(level.iloc[-1]),
        "entropy": float(shannon_entropy(ways)),
        "richness": float(hill_number(ways, 0, threshold)),
        "effective_number": float(hill_number(ways, 1)),
        "inverse_simpson": float(hill_number(ways, 2)),
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
        game = trajectory.params.get("game")
        if game is not None and hasattr(game, "rstp"):
            row["welfare"] = welfare(row["mean_payoff"], game)
        if regime is not None:
            from evopolity.dynamics.fitness import fitness

            # material fitness: payoffs after fines, rewards, taxes and costs; conformity is
            # a bias of transmission, not a payoff, and is left out
            material = regime.replace(conformity=0.0)
            source = level_source(trajectory, cooperation)
            sanctions = trajectory.params.get("sanctions")
            if regime.funded and A.shape[0] == last.size:
                # a funded run is over the strategies crossed with {contributes, abstains}
                # (contributors first, every matrix [[M, M], [M, M]]); fitness crosses the
                # bare block itself and reads the state over the crossed strategies
                k = last.size // 2
                A = A[:k, :k]
                C = np.asarray(getattr(source, "cooperation", source), dtype=np.float64)
                source = C[:k, :k] if C.shape[0] == last.size else C
                if sanctions is not None:
                    sanctions = {n: (np.asarray(v)[:k, :k] if np.shape(v)[0] == last.size
                                     else v) for n, v in sanctions.items()}
            f = fitness(material, A, source, last, m, sanctions=sanctions)
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
