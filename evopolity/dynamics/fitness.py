"""What a dynamic needs from a regime, and the fitness it gives each strategy.

:func:`regime_setup` turns an optional :class:`~evopolity.institutions.regime.Regime` and the
interactions into the fitness kernel's model code and flat parameter array (the same for the
replicator and the finite-population processes); :func:`fitness` reads the kernel's fitness
off at one population state.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evopolity.institutions.regime import Regime, regime_parameters
from evopolity.kernels import codes
from evopolity.kernels.layout import group_regime_array, integrated_state
from evopolity.play.group_games import GroupGame
from evopolity.validate import (
    as_payoff_matrix,
    cooperation_matrix,
    nonnegative,
    probability,
    simplex_point,
)

__all__ = ["FITNESS_MAPS", "fitness", "lowest_fitness", "moran_rule", "regime_setup"]

# maps from payoff to the fitness of a Moran process (the ``fitness_map`` of moran and the
# analytical results)
FITNESS_MAPS = ("exponential", "linear")


def fitness(
    regime: Regime,
    payoffs: Any,
    cooperation: Any,
    x: Any,
    strength: float | None = None,
) -> pd.Series:
    """Fitness of every strategy in population ``x`` under ``regime`` (the kernel's terms).

    For reading off what the institution does to each strategy (the table of
    :mod:`evopolity.institutions.regime`); the dynamics call the same kernel.

    Parameters
    ----------
    regime : Regime
        The institutional regime.
    payoffs : array_like, DataFrame, Tournament or GroupGame
        The interactions: a matrix game or an n-player game.
    cooperation : array_like, DataFrame or Tournament
        The k x k cooperation matrix (for a group game, a vector of contributions).
    x : array_like, Series or dict
        The population state (frequencies summing to 1).
    strength : float, optional
        The institution's ``m`` in [0, 1] (default ``regime.initial_strength``; a fixed
        institution always acts at full strength).

    Returns
    -------
    Series
        The fitness of each strategy, indexed by strategy, named ``fitness``.

    Raises
    ------
    TypeError
        If ``regime`` is not a ``Regime``.
    ValueError
        For a state off the simplex or a cooperation matrix that does not fit.
    """
    from evopolity.kernels.replicator import fitness as kernel_fitness

    if isinstance(payoffs, GroupGame):
        names, A = payoffs.strategies, np.zeros((payoffs.k, payoffs.k))
    else:
        A, names = as_payoff_matrix(payoffs)
    if not isinstance(regime, Regime):
        raise TypeError(f"regime must be a Regime, got {type(regime).__name__}")
    model, params, _, _ = regime_setup(regime, 0.0, payoffs, cooperation, names)
    freq = simplex_point(x, names)
    m = regime.initial_strength if strength is None else probability(strength, "strength")
    out = np.empty(len(names))
    kernel_fitness(model, integrated_state(freq, m), A, np.ascontiguousarray(A.T), params, out)
    return pd.Series(out, index=pd.Index(names, name="strategy"), name="fitness")


def regime_setup(
    regime: Regime | None,
    mutation: Any,
    payoffs: Any,
    cooperation: Any,
    names: tuple[str, ...],
) -> tuple[int, np.ndarray, Any, np.ndarray | None]:
    """What a dynamic needs from an optional regime, validated the same way everywhere.

    Parameters
    ----------
    regime : Regime or None
        The regime (None: the bare game).
    mutation : float or array_like
        The mutation the caller was given (must be 0 with a regime, whose own is used).
    payoffs : array_like, DataFrame, Tournament or GroupGame
        The interactions.
    cooperation : array_like, DataFrame or Tournament, optional
        The cooperation matrix; for a group game a vector may say how much each strategy
        contributes (``c_i`` whatever the population).
    names : tuple of str
        The strategies' names, in order.

    Returns
    -------
    tuple
        ``(model, params, mutation, C)``: the kernel model code, the flat parameter array,
        the mutation to use and the cooperation matrix (from ``cooperation`` or
        ``payoffs.cooperation``; None when there is neither and no regime needs it).

    Raises
    ------
    ValueError
        For a mutation given twice, a regime without a cooperation matrix, or a cooperation
        given without a regime.
    """
    group = isinstance(payoffs, GroupGame)
    C = None
    if cooperation is not None:
        if regime is None:
            raise ValueError("cooperation is only used with a regime")
        if group and np.ndim(cooperation) == 1:
            vector = np.asarray(cooperation, dtype=np.float64)
            if vector.shape != (len(names),):
                raise ValueError(
                    f"cooperation must give one rate per strategy of the group game "
                    f"({len(names)}), got {vector.shape[0]}"
                )
            cooperation = np.repeat(vector[:, None], len(names), axis=1)
        C = cooperation_matrix(cooperation, names, "cooperation")
    elif hasattr(payoffs, "cooperation"):
        C = cooperation_matrix(payoffs, names, "payoffs.cooperation")
    if regime is None:
        if group:
            return codes.GROUP, payoffs.kernel_params(), mutation, C
        return codes.LINEAR, np.zeros(0), mutation, C
    if not isinstance(regime, Regime):
        raise TypeError(f"regime must be a Regime, got {type(regime).__name__}")
    if not (np.isscalar(mutation) and float(mutation) == 0.0):
        raise ValueError("give the mutation rate as regime.mutation, not as mutation")
    if C is None:
        where = ("the contribution of each strategy (a vector, e.g. [1, 0, 0] for "
                 "cooperators, defectors, loners)" if group else
                 "the cooperation matrix (a Tournament carries its own)")
        raise ValueError(f"a regime needs {where}: pass cooperation=")
    params = regime_parameters(regime, C)
    if group:
        return codes.GROUP_INSTITUTIONS, group_regime_array(params, payoffs.kernel_params()), \
            regime.mutation, C
    return codes.INSTITUTIONS, params, regime.mutation, C


def lowest_fitness(regime: Regime | None, payoffs: Any, A: np.ndarray) -> float:
    """A lower bound of every fitness the interactions and the regime can give, at any state.

    The base payoff is at least the smallest payoff (``min A``, or a group game's smallest
    entry); the regime subtracts at most ``detection * fine`` (fines fall on a rate in
    [0, 1], at a strength ``m <= 1``) and ``cost`` per capita; rewards and conformity only add,
    and the tax mixes payoffs with their mean, which keeps the lowest. A cost shared by
    contributors (``cost_by_contributors``) has no bound: a rare contributor's share
    ``kappa c_i / mean(c)`` grows without limit, so the bound is ``-inf``.

    Parameters
    ----------
    regime : Regime or None
        The regime (None: the bare game).
    payoffs : array_like, DataFrame, Tournament or GroupGame
        The interactions.
    A : ndarray
        The k x k payoff matrix of a matrix game (unused for a group game).

    Returns
    -------
    float
        The bound (``-inf`` when there is none).
    """
    low = payoffs.payoff_range()[0] if isinstance(payoffs, GroupGame) else float(A.min())
    if regime is None:
        return float(low)
    if regime.cost > 0.0 and regime.cost_by_contributors:
        return -np.inf
    return float(low - (regime.detection * regime.fine + regime.cost))


def moran_rule(fitness_map: Any, selection: Any, lowest: float) -> tuple[int, float]:
    """The kernel code of a Moran process with ``fitness_map`` and its validated selection.

    ``"exponential"``: fitness ``exp(w pi)``, ``w >= 0``; a constant added to every payoff
    multiplies every fitness by ``exp(w c)``, which birth probabilities (ratios of fitnesses)
    do not see. ``"linear"``: ``1 - w + w pi`` with ``w`` in [0, 1], refused when the
    smallest payoff ``lowest`` makes it non-positive.

    Parameters
    ----------
    fitness_map : {"exponential", "linear"}
        The map from payoff to fitness.
    selection : float
        The intensity of selection ``w``.
    lowest : float
        The smallest payoff the population can earn.

    Returns
    -------
    tuple
        ``(codes.MORAN_EXP or codes.MORAN, w)``.

    Raises
    ------
    ValueError
        For an unknown map, a negative ``selection`` (above 1 for the linear map), or a linear
        fitness ``1 - w + w * lowest`` that is not positive.
    """
    if fitness_map == "exponential":
        return codes.MORAN_EXP, nonnegative(selection, "selection")
    if fitness_map != "linear":
        raise ValueError(
            f"fitness_map must be one of {', '.join(map(repr, FITNESS_MAPS))}, got "
            f"{fitness_map!r}"
        )
    w = nonnegative(selection, "selection")
    if w > 1.0:
        raise ValueError(
            f"selection must lie in [0, 1] for fitness_map='linear', got {selection!r}"
        )
    low = 1.0 - w + w * lowest
    if low <= 0.0:
        raise ValueError(
            f"selection = {w:g} gives non-positive Moran fitness 1 - w + w * min(payoffs) = "
            f"{low:g} with fitness_map='linear'; lower selection, shift the payoffs or use "
            "fitness_map='exponential'"
        )
    return codes.MORAN, w
