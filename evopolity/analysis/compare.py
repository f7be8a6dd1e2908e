"""The question the library answers: which regimes sustain cooperation and diversity, and
which survive change.

:func:`compare_regimes` evolves one strategy set under several regimes, once undisturbed and
once with shocks, and returns one tidy DataFrame.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evopolity.analysis import metrics
from evopolity.dynamics.pipeline import check_shocks, evolve
from evopolity.institutions.regime import Regime
from evopolity.institutions.shocks import Shock
from evopolity.play.games import Game, as_game
from evopolity.validate import nonnegative, seed_sequence

__all__ = ["compare_regimes", "default_shocks", "outcome", "outcome_frame"]

COLUMNS = [
    "regime",
    "scenario",
    "cooperation",
    "entropy",
    "richness",
    "effective_number",
    "inverse_simpson",
    "mean_payoff",
    "welfare",
    "mean_fitness",
    "institution_strength",
    "min_cooperation",
    "cooperation_drop",
    "response",
    "recovered",
    "recovery_time",
]
#: The columns a printed comparison shows (the experiments' report and ``evopolity run``,
#: ``scripts/compare_regimes.py``): the labels, the final state's headline measures and the
#: resilience of cooperation to the first shock (read up to the next shock).
HEADLINE_COLUMNS = [
    "regime",
    "scenario",
    "cooperation",
    "welfare",
    "effective_number",
    "richness",
    "mean_fitness",
    "institution_strength",
    "min_cooperation",
    "response",
    "recovery_time",
]


def default_shocks(t_max: float, game: Game | None = None) -> list[Shock]:
    """A temptation rise at a third of the run: ``T`` goes up by the gain ``T - R``.

    With the default prisoner's dilemma, ``T`` goes from 5 to 7: defecting against a
    cooperator pays twice as much more than before.

    Parameters
    ----------
    t_max : float
        The run's length.
    game : Game, optional
        The stage game (default: the (3, 0, 5, 1) prisoner's dilemma).

    Returns
    -------
    list of Shock
        One ``"temptation"`` shock at ``t_max / 3``.
    """
    g = as_game(game)
    return [Shock(t_max / 3.0, "temptation", g.T + (g.T - g.R))]


def compare_regimes(
    strategies: Any,
    regimes: Sequence[Regime] | None = None,
    *,
    shocks: Sequence[Shock] | None = None,
    game: Game | None = None,
    turns: int = 200,
    repetitions: int = 1,
    noise: float = 0.01,
    method: str = "exact",
    seed: int | np.random.SeedSequence | None = None,
    x0: Any = None,
    invaders: Sequence[Any] = (),
    t_max: float = 300.0,
    tolerance: float = 0.05,
) -> pd.DataFrame:
    """Evolve ``strategies`` under each regime, without and with ``shocks``.

    Each run is :func:`evopolity.evolve`: the regime's fines and rewards act inside the
    matches (judged by its ``norm``, sent where ``fine_to`` says), the rest on the
    population. Regimes with the same in-play part share one tournament.

    Parameters
    ----------
    strategies : list or collection name
        The strategy set (anything :func:`evopolity.play.tournament` takes).
    regimes : list of Regime, optional
        Default: every preset of :mod:`evopolity.institutions.regimes`.
    shocks : list of Shock, optional
        Default: :func:`default_shocks` (a temptation rise at ``t_max / 3``).
    game, turns, repetitions, noise, method, x0, invaders, t_max
        As in :func:`evopolity.evolve`.
    seed : int, SeedSequence or None
        None (default) draws fresh entropy; an int reproduces the result, whatever the number
        of threads. Every regime meets the same interactions (one seed for the whole
        comparison); with ``method="exact"`` play draws nothing and the seed is unused.
    tolerance : float
        A shocked run has recovered when its cooperation, read up to the second shock (or the
        end), ends within ``tolerance`` of the level just before the first shock.

    Returns
    -------
    DataFrame
        One row per (regime, scenario) with ``scenario`` in ``{"baseline", "shocked"}`` and
        columns ``cooperation, entropy, richness, effective_number, inverse_simpson,
        mean_payoff, welfare, mean_fitness, institution_strength`` (final state, see
        :func:`evopolity.analysis.metrics.summary`) and, for shocked runs, ``min_cooperation,
        cooperation_drop, response, recovered, recovery_time`` after the first shock, read up
        to the next one (:func:`evopolity.analysis.metrics.resilience`; NaN for baseline
        rows). :func:`evopolity.analysis.metrics.shock_responses` reads every shock.

    Raises
    ------
    ValueError
        For no regimes, regimes with the same name, no shocks, or anything
        :func:`evopolity.evolve` refuses.
    TypeError
        For a regime that is not a ``Regime``, or shocks that are not ``Shock`` objects.
    """
    from evopolity.institutions import regimes as presets

    if isinstance(regimes, Regime):
        regimes = [regimes]
    elif regimes is not None and (isinstance(regimes, str | bytes | Mapping)
                                  or not isinstance(regimes, Iterable)):
        raise TypeError(f"regimes must be a list of Regime objects, got {regimes!r}")
    regimes = presets.all_presets() if regimes is None else list(regimes)
    if not regimes:
        raise ValueError("regimes is empty")
    for i, r in enumerate(regimes):
        if not isinstance(r, Regime):
            raise TypeError(f"regimes[{i}] must be a Regime, got {r!r}")
    names = [r.name for r in regimes]
    if len(set(names)) != len(names):
        raise ValueError(f"regimes must have distinct names, got {names}")
    t_max = nonnegative(t_max, "t_max", allow_zero=False)
    shocks = default_shocks(t_max, game) if shocks is None else check_shocks(shocks, t_max)
    if not shocks:
        raise ValueError("shocks is empty: the shocked scenario needs at least one shock")
    first = min(s.time for s in shocks)
    # one seed for every run: all regimes meet the same sampled interactions, even when the
    # caller asks for fresh entropy
    common = dict(game=game, turns=turns, repetitions=repetitions, noise=noise, method=method,
                  seed=seed_sequence(seed), x0=x0, invaders=invaders, t_max=t_max)
    rows = []
    for regime in regimes:
        for scenario, scheduled in (("baseline", ()), ("shocked", shocks)):
            tr = evolve(strategies, regime, shocks=scheduled, **common)
            rows.append({"regime": regime.name, "scenario": scenario,
                         **outcome(tr, first if scheduled else None, tolerance,
                                   _next_time(shocks, first) if scheduled else None)})
    return outcome_frame(rows)


def _next_time(shocks: Sequence[Shock], after: float) -> float | None:
    """The time of the first shock after ``after`` (None if there is none)."""
    return min((s.time for s in shocks if s.time > after), default=None)


def outcome(trajectory: Any, shock_time: float | None, tolerance: float = 0.05,
            until: float | None = None) -> dict:
    """The measures of one run: :func:`metrics.summary` and, when a shock happened at
    ``shock_time``, the resilience of cooperation after it, read up to ``until`` (the next
    shock; default the end), NaN / NA otherwise."""
    row: dict[str, Any] = dict(metrics.summary(trajectory))
    if shock_time is None:
        row.update(min_cooperation=math.nan, cooperation_drop=math.nan, response=None,
                   recovered=pd.NA, recovery_time=math.nan)
    else:
        res = metrics.resilience(metrics.cooperation(trajectory), shock_time, tolerance,
                                 end=until)
        row.update(min_cooperation=res["minimum"], cooperation_drop=res["drop"],
                   response=res["response"], recovered=res["recovered"],
                   recovery_time=res["recovery_time"])
    return row


def outcome_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows of :func:`outcome` (plus labels) as a frame with a nullable ``recovered``."""
    frame = pd.DataFrame(rows)
    frame["recovered"] = frame["recovered"].astype("boolean")
    ordered = [c for c in COLUMNS if c in frame.columns]
    return frame[[c for c in frame.columns if c not in ordered] + ordered]
