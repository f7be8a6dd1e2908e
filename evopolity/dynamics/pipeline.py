"""The main pipeline: play the strategies, then evolve them under a regime, shocks on the way.

play (:func:`evopolity.tournament`, with the regime's in-play part acting on every round) ->
interactions and sanctions -> the regime's population-level terms -> replicator, run in
segments between the shock times of :mod:`evopolity.institutions.shocks`; the inputs change
between segments, the kernels never see a shock.

The regime is split where it acts (:meth:`Regime.in_play`): fine, detection, reward,
captured, norm and fine_to act inside the matches; the dynamics scale those sanctions by the
institution's strength, choose between fines and rewards by the switch, and add tax, cost,
conformity, mutation and the institution's law (:mod:`evopolity.dynamics.fitness`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from evopolity.dynamics.fitness import (
    crossed,
    crossed_names,
    crossed_state,
    institution_revenue,
    played_sanctions,
)
from evopolity.dynamics.replicator import replicator
from evopolity.dynamics.trajectory import Event, Trajectory
from evopolity.institutions.regime import Regime
from evopolity.institutions.shocks import Shock
from evopolity.kernels.fitness import cooperation_levels
from evopolity.play.games import Game, as_game
from evopolity.play.strategies.automaton import Strategy
from evopolity.play.tournament import (
    METHODS,
    Tournament,
    check_turns,
    resolve_strategies,
    tournament,
)
from evopolity.validate import (
    MAX_ROWS,
    check_size,
    nonnegative,
    probability,
    seed_sequence,
    simplex_point,
)

__all__ = ["evolve", "check_shocks"]


def _in_play(regime: Regime | None, players: Sequence[Any] = ()) -> Regime | None:
    """The part of ``regime`` a tournament plays (None: the bare game).

    axelrod players that are not automata cannot be sanctioned round by round; under
    ``norm="any"`` and ``fine_to="burned"`` the expected terms (``- q F d_i + q B c_i``) are
    the played sanctions' expectation, so those tournaments are played bare and the regime
    acts on expected payoffs; other norms and destinations are refused by the tournament.
    """
    in_play = None if regime is None else regime.in_play()
    if (in_play is not None and in_play.norm == "any" and in_play.fine_to == "burned"
            and any(not isinstance(p, Strategy) for p in players)):
        return None
    return in_play


def _interactions(strategies, game, turns, repetitions, noise, method, seed,
                  regime=None) -> Tournament:
    """The tournament of a run, played under ``regime``'s in-play part; reused when the same
    play recurs (a seeded or exact tournament is a pure function of its inputs), as in sweeps
    over the regime's population-level parameters (their in-play parts are equal)."""
    in_play = _in_play(regime, strategies)
    if method == "exact":
        key = None  # exact play draws nothing: one tournament serves every seed
    elif seed is None:
        return tournament(strategies, game=game, turns=turns, repetitions=repetitions,
                          noise=noise, method=method, seed=None, regime=in_play)
    else:
        # by value, so that the int 7 and an equal SeedSequence share one tournament
        ss = seed_sequence(seed)
        key = (ss.entropy, tuple(ss.spawn_key), ss.pool_size)
    return _cached_interactions(tuple(strategies), game, turns, repetitions, noise, method,
                                key, in_play)


@functools.lru_cache(maxsize=32)
def _cached_interactions(strategies, game, turns, repetitions, noise, method, key, in_play):
    seed = None
    if key is not None:
        entropy, spawn_key, pool_size = key
        seed = np.random.SeedSequence(entropy, spawn_key=spawn_key, pool_size=pool_size)
    return tournament(list(strategies), game=game, turns=turns, repetitions=repetitions,
                      noise=noise, method=method, seed=seed, regime=in_play)


def evolve(
    strategies: Any,
    regime: Regime | None = None,
    *,
    game: Game | None = None,
    turns: int = 200,
    repetitions: int = 1,
    noise: float = 0.0,
    method: str = "exact",
    seed: int | np.random.SeedSequence | None = None,
    x0: Any = None,
    invaders: Sequence[Any] | None = (),
    t_max: float = 300.0,
    points_per_unit: float = 2.0,
    shocks: Sequence[Shock] | None = (),
) -> Trajectory:
    """Play the strategies, then evolve them under ``regime`` with ``shocks`` on the way.

    The institution acts where people act: the tournament is played under the regime's
    in-play part (:meth:`Regime.in_play`: fines and rewards on detected moves, judged by its
    ``norm``, fines going where ``fine_to`` says), and the replicator(-mutator) equation
    (:func:`evopolity.replicator`; Taylor & Jonker 1978) then adds only what acts on the
    population: fitness ``f_i = (A x)_i + s (S x)_i`` (``A`` the bare payoffs, ``S`` the net
    sanction per turn, ``s`` the institution's strength), the switch between fines and
    rewards, cost, tax, conformity, mutation and the institution's law. Integrated in
    segments between the shocks.

    Parameters
    ----------
    strategies : list or collection name
        The resident strategies (anything :func:`evopolity.tournament` takes).
    regime : Regime, optional
        The institutional regime (default: none, the bare game).
    game, turns, repetitions, noise, method
        How the interactions are computed (:func:`evopolity.tournament`; ``method="exact"``
        by default: expected payoffs, no sampling noise).
    seed : int, SeedSequence or None
        None (default) draws fresh entropy; an int reproduces the result, whatever the number
        of threads. With ``method="exact"`` play draws nothing and the seed is unused.
    x0 : array_like or Series, optional
        Initial frequencies of the residents (default: equal); invaders start at 0.
    invaders : list, optional
        Strategies absent at the start that an ``"invasion"`` shock may introduce.
    t_max : float
        Length of the run.
    points_per_unit : float
        Output density (rows per unit of time; each segment gets at least 2 rows).
    shocks : list of Shock, optional
        Scheduled changes (``None``: none); those at or after ``t_max`` are refused. Shocks at
        the same time act one after the other, in the order given.

    Returns
    -------
    Trajectory
        Frequencies over time, with macro columns ``cooperation`` (the population's
        cooperation level under the interactions of each segment) and ``institution_strength``
        (``m`` for a co-evolving institution, 1 for a fixed one, 0 without), and, when a
        regime of the run sends fines to the institution (``fine_to="institution"``),
        ``to_institution`` (what they bring it per unit time, ``s x^T S_inst x``); one
        ``Event`` per shock. A shock's time appears twice: the state before and after it.
        ``params["payoffs"]`` are the bare payoffs of the last segment and
        ``params["sanctions"]`` its played sanctions (None without).

    Raises
    ------
    ValueError
        For a shock outside ``(0, t_max)``, an invasion by a strategy that is not among the
        strategies or invaders, a collapse without a co-evolving institution, a parameter
        out of range, or more than 10^8 output rows (``t_max * points_per_unit``); all
        checked before anything runs.
    TypeError
        For a regime or shock of the wrong type.
    """
    t_max = nonnegative(t_max, "t_max", allow_zero=False)
    density = nonnegative(points_per_unit, "points_per_unit", allow_zero=False)
    turns = check_turns(turns, "turns")
    repetitions = check_turns(repetitions, "repetitions")
    noise = probability(noise, "noise")
    seed_sequence(seed)  # checked even where exact play leaves it unused
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    game = as_game(game)
    if regime is not None and not isinstance(regime, Regime):
        raise TypeError(f"regime must be a Regime or None, got {type(regime).__name__}")
    shocks = check_shocks(shocks, t_max)
    # rows: (t_max * density + 1) over the segments, plus one more per shock
    check_size(t_max * density + 2 * len(shocks) + 1, MAX_ROWS, "output times",
               "t_max * points_per_unit")
    residents = resolve_strategies(strategies)
    if invaders is None or (isinstance(invaders, Sequence) and not isinstance(invaders, str)
                            and len(invaders) == 0):
        newcomers = []
    else:
        newcomers = resolve_strategies(invaders, name="invaders")
    players = [*residents, *newcomers]
    interactions = _interactions(players, game, turns, repetitions, noise, method, seed, regime)
    names = interactions.names
    _check_shock_targets(shocks, names, regime)
    n_res = len(residents)
    if x0 is None:
        x = np.zeros(len(names))
        x[:n_res] = 1.0 / n_res
    else:
        resident = simplex_point(x0, names[:n_res])
        x = np.concatenate([resident, np.zeros(len(newcomers))])
    m = regime.initial_strength if regime is not None and regime.coevolves else math.nan
    funded = regime is not None and regime.funded
    if funded:  # the strategies crossed with {contributes, abstains}
        x = crossed_state(x, regime.initial_contributors)
        names = crossed_names(tuple(names))
    fine_level = None
    member_parts: dict[str, list[np.ndarray]] = {}

    revenue = any(r is not None and r.fine_to == "institution" and r.acts_in_play
                  for r in [regime, *(s.value for s in shocks if s.kind == "regime")])
    times_parts, freq_parts, coop_parts, strength_parts, events = [], [], [], [], []
    revenue_parts = []
    bounds = [0.0, *[s.time for s in shocks], t_max]
    for seg, (start, end) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        if end == start:  # a second shock at the same time: nothing to integrate in between
            shock = shocks[seg]
            x, m, regime, game, noise, interactions, names, detail = _apply_shock(
                shock, x, m, regime, game, noise, interactions, names, players, turns,
                repetitions, method, seed,
            )  # fmt: skip
            events.append(Event(shock.time, shock.kind, detail))
            continue
        n = max(2, int(round((end - start) * density)) + 1)
        grid = np.linspace(start, end, n)
        current = regime
        if regime is not None and regime.coevolves:
            current = regime.replace(initial_strength=float(m))
        if regime is not None and regime.chosen and fine_level is not None:
            lo, hi = regime.fine_bounds
            current = current.replace(initial_fine=min(hi, max(lo, fine_level)))
        tr = replicator(interactions, x0=x, times=grid, regime=current)
        C = np.ascontiguousarray(interactions.cooperation.to_numpy(), dtype=np.float64)
        if funded:
            C = crossed(C)
        times_parts.append(tr.times)
        freq_parts.append(tr.frequencies)
        coop_parts.append(cooperation_levels(np.ascontiguousarray(tr.frequencies), C))
        if regime is not None and regime.chosen:
            before = sum(part.size for part in times_parts[:-1])
            for col in ("fine_level", "prefer_high", "chosen_fine"):
                # NaN over earlier segments whose regime let nobody choose
                member_parts.setdefault(col, [np.full(before, np.nan)]).append(
                    tr.macro[col].to_numpy())
            fine_level = float(tr.macro["fine_level"].iloc[-1])
        elif member_parts:
            for col in member_parts:
                member_parts[col].append(np.full(tr.times.size, np.nan))
        if funded:
            strength_parts.append(tr.macro["institution_strength"].to_numpy())
        elif tr.macro is not None and "institution_strength" in tr.macro.columns:
            strength = tr.macro["institution_strength"].to_numpy()
            strength_parts.append(strength)
            m = float(strength[-1])
        else:
            fixed = 1.0 if regime is not None and regime.has_institution else 0.0
            strength_parts.append(np.full(tr.times.size, fixed))
        if revenue:
            _, played = played_sanctions(interactions)
            if tr.macro is not None and "to_institution" in tr.macro.columns:
                revenue_parts.append(tr.macro["to_institution"].to_numpy())
            elif played is None or regime is None:
                revenue_parts.append(np.zeros(tr.times.size))
            else:
                revenue_parts.append(institution_revenue(
                    regime, played, C, tr.frequencies,
                    strength_parts[-1] if regime.coevolves else None))
        x = tr.frequencies[-1].copy()
        if seg == len(shocks):
            break
        shock = shocks[seg]
        x, m, regime, game, noise, interactions, names, detail = _apply_shock(
            shock, x, m, regime, game, noise, interactions, names, players, turns,
            repetitions, method, seed,
        )  # fmt: skip
        events.append(Event(shock.time, shock.kind, detail))

    times = np.concatenate(times_parts)
    columns = [np.concatenate(coop_parts), np.concatenate(strength_parts)]
    macro_names = ["cooperation", "institution_strength"]
    if revenue:
        columns.append(np.concatenate(revenue_parts))
        macro_names.append("to_institution")
    for col, parts in member_parts.items():
        columns.append(np.concatenate(parts))
        macro_names.append(col)
    macro = np.column_stack(columns)
    _, played = played_sanctions(interactions)
    bare = interactions.payoffs.to_numpy()
    if played is not None:
        bare = bare - played.total
    cooperation = interactions.cooperation.to_numpy()
    sanctions = None if played is None else played.arrays()
    if funded:  # over the crossed strategies, as the frequencies are
        bare, cooperation = tr.params["payoffs"], tr.params["cooperation"]
        sanctions = tr.params["sanctions"]
    return Trajectory(
        times,
        np.concatenate(freq_parts),
        names,
        params={
            "dynamic": "replicator with shocks",
            "regime": regime,
            "game": game,
            "turns": turns,
            "noise": noise,
            "method": method,
            "payoffs": bare,
            "sanctions": sanctions,
            "cooperation": cooperation,
        },
        macro=macro,
        macro_names=tuple(macro_names),
        events=events,
    )


def check_shocks(shocks: Any, t_max: float) -> list[Shock]:
    """The shocks of a run of length ``t_max``, checked and sorted by time.

    The sort is stable: shocks at one time act in the order given.

    Parameters
    ----------
    shocks : list of Shock, Shock or None
        The scheduled shocks (``None``: none).
    t_max : float
        The run's length; every shock must lie inside ``(0, t_max)``.

    Returns
    -------
    list of Shock
        Sorted by time.

    Raises
    ------
    TypeError
        If ``shocks`` is not a list of ``Shock`` objects.
    ValueError
        For a shock outside ``(0, t_max)``.
    """
    if shocks is None:
        return []
    if isinstance(shocks, Shock):
        shocks = [shocks]
    if isinstance(shocks, str | bytes | Mapping) or not isinstance(shocks, Iterable):
        raise TypeError(
            f"shocks must be a list of Shock objects (or None), got {type(shocks).__name__}"
        )
    shocks = list(shocks)
    for i, s in enumerate(shocks):
        if not isinstance(s, Shock):
            raise TypeError(f"shocks[{i}] must be a Shock, got {s!r}")
        if not 0.0 < s.time < t_max:
            raise ValueError(
                f"shocks[{i}] at time {s.time} lies outside the run (0, {t_max}) that t_max sets"
            )
    return sorted(shocks, key=lambda s: s.time)


def _check_shock_targets(shocks: list[Shock], names: Sequence[str], regime: Regime | None) -> None:
    """Refuse, before anything runs, an invasion by a stranger or a collapse of nothing."""
    current = regime
    for i, s in enumerate(shocks):
        if s.kind == "invasion" and s.value not in names:
            raise ValueError(
                f"shocks[{i}]: invading strategy {s.value!r} is not among the strategies or "
                f"invaders {list(names)}"
            )
        if s.kind == "collapse" and (current is None or not current.coevolves):
            raise ValueError(
                f"shocks[{i}]: a collapse sets a co-evolving institution's strength to 0; "
                "the regime at that time has none (give it feedback or decay)"
            )
        if s.kind == "regime":
            if s.value.funded != (current is not None and current.funded):
                raise ValueError(
                    f"shocks[{i}]: a regime shock cannot switch funding='contributions' on or "
                    "off (the strategies are crossed with {contributes, abstains} for the "
                    "whole run)"
                )
            current = s.value


def _apply_shock(shock, x, m, regime, game, noise, interactions, names, players, turns,
                 repetitions, method, seed):
    """The inputs after ``shock``: ``(x, m, regime, game, noise, interactions, names,
    detail)``."""
    detail: dict[str, Any] = {}
    if shock.kind == "temptation":
        detail = {"T_before": game.T, "T_after": shock.value}
        game = game.with_payoffs(T=shock.value)
        interactions = _interactions(players, game, turns, repetitions, noise, method, seed,
                                     regime)
    elif shock.kind == "noise":
        detail = {"noise_before": noise, "noise_after": shock.value}
        noise = shock.value
        interactions = _interactions(players, game, turns, repetitions, noise, method, seed,
                                     regime)
    elif shock.kind == "invasion":
        i = names.index(shock.value)
        rest = 1.0 - x[i]
        x = x * (1.0 - shock.frequency) / rest if rest > 0 else x
        x[i] = shock.frequency
        detail = {"strategy": shock.value, "frequency": shock.frequency}
    elif shock.kind == "collapse":
        detail = {"strength_before": m}
        m = 0.0
    elif shock.kind == "regime":
        detail = {"before": regime.name if regime else None, "after": shock.value.name}
        new = shock.value
        if new.coevolves and not (regime is not None and regime.coevolves):
            m = new.initial_strength
        # the rounds are played under other rules: play them again
        if _in_play(new, players) != _in_play(regime, players):
            interactions = _interactions(players, game, turns, repetitions, noise, method,
                                         seed, new)
        regime = new
    return x, m, regime, game, noise, interactions, names, detail
