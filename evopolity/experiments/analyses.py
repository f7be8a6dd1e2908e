"""What the main job measures besides its trajectories: the shocks' values and classes,
attractors over an ensemble of starts, diversity at matched mutation, hysteresis of a
co-evolving institution along its fine, and the attribution of a difference between two
regimes to their mechanisms.

Every run here uses the pipeline's own interactions (the tournament played under the
regime's in-play part, :func:`evopolity.evolve`) and runs the replicator to its attractor
(:func:`evopolity.settle`), so no outcome is a snapshot of a transient.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

from evopolity.analysis import metrics
from evopolity.analysis.attribution import attribute
from evopolity.analysis.continuation import hysteresis
from evopolity.dynamics.attractors import settle
from evopolity.dynamics.fitness import crossed_names, played_sanctions
from evopolity.dynamics.pipeline import _interactions
from evopolity.experiments.spec import Spec
from evopolity.institutions.regime import Regime

#: The columns of ``events.parquet`` after the run's labels (:func:`event_rows`).
EVENT_COLUMNS = ["time", "kind", "variable", "value_before", "value_after", "change",
                 "class_before", "class_after", "class_change"]

__all__ = ["EVENT_COLUMNS", "attribution_frame", "ensemble_frame", "event_rows", "hysteresis_frame",
           "matched_frame", "MECHANISMS", "POLITY_RATES", "polities_frames"]

#: The mechanisms an attribution switches, as groups of Regime fields; a differing field in
#: no group is a mechanism of its own.
MECHANISMS = {
    "sanctions": ("fine", "reward", "detection", "switch", "norm", "fine_to", "captured"),
    "redistribution": ("tax",),
    "running cost": ("cost",),
    "conformity": ("conformity",),
    "mutation": ("mutation",),
    # how the institution is made is one mechanism with its law: funding="support" without
    # feedback or decay is no regime, so a hybrid never takes one without the other
    "institution dynamics": ("feedback", "decay", "initial_strength", "funding"),
}


def event_rows(events: Any, game: Any, noise: float) -> list[dict]:
    """One record per shock: what changed, from what to what, and the game's class around it.

    Parameters
    ----------
    events : list of Event
        A trajectory's events, in time order.
    game : Game
        The stage game at the start of the run.
    noise : float
        The noise at the start of the run.

    Returns
    -------
    list of dict
        ``time, kind, variable, value_before, value_after`` (NaN where not a number),
        ``change`` (e.g. ``"T 5 -> 7"``), ``class_before``, ``class_after`` and
        ``class_change`` (the stage game's class, :func:`~evopolity.analysis.metrics.game_class`).
    """
    rows = []
    current = game
    for e in events:
        d = dict(e.detail)
        before_class = metrics.game_class(current)
        variable, before, after = e.kind, math.nan, math.nan
        if e.kind == "temptation":
            variable, before, after = "T", float(d["T_before"]), float(d["T_after"])
            current = current.with_payoffs(T=after) if hasattr(current, "with_payoffs") \
                else current
            change = f"T {before:g} -> {after:g}"
        elif e.kind == "noise":
            variable, before, after = "noise", float(d["noise_before"]), float(d["noise_after"])
            change = f"noise {before:g} -> {after:g}"
        elif e.kind == "invasion":
            variable, after = str(d.get("strategy")), float(d.get("frequency", math.nan))
            change = f"{variable} invades at {after:g}"
        elif e.kind == "collapse":
            variable, before, after = "institution_strength", float(d["strength_before"]), 0.0
            change = f"institution strength {before:.3g} -> 0"
        else:
            variable = "regime"
            change = f"regime {d.get('before')} -> {d.get('after')}"
        after_class = metrics.game_class(current)
        rows.append({"time": float(e.time), "kind": e.kind, "variable": variable,
                     "value_before": before, "value_after": after, "change": change,
                     "class_before": before_class, "class_after": after_class,
                     "class_change": before_class != after_class})
    return rows


def _tournament(spec: Spec, regime: Regime, seed: int) -> Any:
    return _interactions(spec.strategies, spec.game, spec.turns, spec.repetitions, spec.noise,
                         spec.method, seed, regime)


def _measures(tour: Any, x: np.ndarray, game: Any) -> dict[str, float]:
    """Cooperation, diversity and welfare of state ``x`` under the tournament ``tour``."""
    C = tour.cooperation.to_numpy()
    A = tour.payoffs.to_numpy()
    _, played = played_sanctions(tour)
    if played is not None:
        A = A - played.total  # the game alone, as in metrics.summary
    if x.size == 2 * C.shape[0]:  # a funded institution: the strategies crossed with
        C, A = np.tile(C, (2, 2)), np.tile(A, (2, 2))  # {contributes, abstains}
    payoff = float(x @ A @ x)
    names = tuple(tour.cooperation.index)
    if x.size == 2 * len(names):
        names = crossed_names(names)
    ways = metrics.behaviours(x, names)  # a strategy and its levy-paying version are one
    return {"cooperation": float(x @ C @ x),
            "effective_number": float(metrics.hill_number(ways, 1)),
            "richness": float(metrics.hill_number(ways, 0, 1e-3)),
            "mean_payoff": payoff,
            "welfare": metrics.welfare(payoff, game)}


def _final(tr: Any, att: Any) -> np.ndarray:
    """The attractor's state: the rest point, else the mean over the cycle or chaos, else the
    last state."""
    if att.kind == "rest" and att.point is not None:
        return att.point.to_numpy()
    if att.mean is not None:
        return att.mean.to_numpy()
    return tr.frequencies[-1]


def _describe(x: np.ndarray, names: Any, kind: str) -> str:
    """A short label: the kind and the strategies above 10%, most frequent first."""
    order = np.argsort(-x)
    parts = [f"{names[i]} {x[i]:.2f}" for i in order if x[i] >= 0.1][:3]
    return f"{kind}: " + (", ".join(parts) if parts else "no strategy above 0.10")


def ensemble_frame(spec: Spec, regime: Regime, n: int, seed: int, t_max: float = 100.0,
                   budget: float = 3000.0) -> pd.DataFrame:
    """Each of ``n`` Dirichlet(1) starts run to its attractor under ``regime``.

    Parameters
    ----------
    spec : Spec
        The experiment (strategies, game, play).
    regime : Regime
        The regime.
    n : int
        The number of starts.
    seed : int
        Seeds the draw of the starts (and the play, with ``method="simulate"``).
    t_max, budget : float
        As in :func:`evopolity.settle`.

    Returns
    -------
    DataFrame
        One row per start: ``regime, start, kind, attractor`` (the label of the state it
        reached, shared by starts within 1e-3 of each other), ``description`` (the kind and
        the strategies above 10%), ``t_total`` and the measures of the attractor's state
        (``cooperation, effective_number, richness, mean_payoff, welfare``).
    """
    tour = _tournament(spec, regime, seed)
    names = list(tour.names)
    starts = np.random.default_rng(seed).dirichlet(np.ones(len(names)), size=n)
    rows, points = [], []
    for i, x0 in enumerate(starts):
        tr, att = settle(tour, x0, t_max=t_max, budget=budget, regime=regime, lyapunov=False)
        x = _final(tr, att)
        names = list(tr.strategies)  # crossed with {contributes, abstains} when funded
        label = None
        for q, name in points:
            if np.abs(x - q).max() < 1e-3:
                label = name
                break
        if label is None:
            label = f"A{len(points) + 1}"
            points.append((x, label))
        rows.append({"regime": regime.name, "start": i, "kind": att.kind, "attractor": label,
                     "description": _describe(x, names, att.kind),
                     "t_total": float(tr.info["t_total"]), **_measures(tour, x, spec.game)})
    return pd.DataFrame(rows)


def matched_frame(spec: Spec, regimes: list[Regime], mutation: float, seed: int,
                  budget: float = 3000.0) -> pd.DataFrame:
    """Every regime at the same mutation rate, run from the barycentre to its attractor.

    Parameters
    ----------
    spec : Spec
        The experiment.
    regimes : list of Regime
        The regimes (their own ``mutation`` replaced by ``mutation``).
    mutation : float
        The common rate.
    seed : int
        The play's seed.
    budget : float
        As in :func:`evopolity.settle`.

    Returns
    -------
    DataFrame
        One row per regime: ``regime, mutation, own_mutation, kind`` and the measures of
        the state reached.
    """
    rows = []
    for regime in regimes:
        matched = regime.replace(mutation=mutation)
        tour = _tournament(spec, matched, seed)
        tr, att = settle(tour, None, t_max=100.0, budget=budget, regime=matched,
                         lyapunov=False)
        rows.append({"regime": regime.name, "mutation": mutation,
                     "own_mutation": regime.mutation, "kind": att.kind,
                     **_measures(tour, _final(tr, att), spec.game)})
    return pd.DataFrame(rows)


def hysteresis_frame(spec: Spec, regime: Regime, values: np.ndarray, seed: int,
                     budget: float = 2000.0, tol: float = 0.02) -> tuple[pd.DataFrame,
                                                                          pd.DataFrame]:
    """Continuation of ``regime`` along its fine, up then down, state carried from run to run.

    As :func:`evopolity.continuation`, but each value replays the matches under its own fine
    (the fine acts inside the matches, so the interactions change with it).

    Parameters
    ----------
    spec : Spec
        The experiment.
    regime : Regime
        A regime (its institution's strength is carried when it co-evolves).
    values : array_like
        The fines, strictly increasing.
    seed : int
        The play's seed.
    budget : float
        As in :func:`evopolity.settle`.
    tol : float
        The branches differ at a value when cooperation or the institution's strength
        differ by more.

    Returns
    -------
    (DataFrame, DataFrame)
        The runs (``branch, step, value, kind, cooperation, effective_number, welfare,
        institution_strength, differs``) and :func:`evopolity.hysteresis` of them.
    """
    grid = [float(v) for v in values]
    path = [("up", v) for v in grid] + [("down", v) for v in reversed(grid)]
    x, m = None, None
    rows = []
    for step, (branch, v) in enumerate(path):
        r = regime.replace(fine=v)
        tour = _tournament(spec, r, seed)
        tr, att = settle(tour, x, t_max=100.0, budget=budget, regime=r, strength=m,
                         lyapunov=False)
        x = tr.frequencies[-1].copy()
        strength = math.nan
        if tr.macro is not None and "institution_strength" in tr.macro:
            strength = float(tr.macro["institution_strength"].iloc[-1])
            m = min(1.0, max(0.0, strength))
        rows.append({"branch": branch, "step": step, "value": v, "kind": att.kind,
                     **_measures(tour, _final(tr, att), spec.game),
                     "institution_strength": strength})
    frame = pd.DataFrame(rows)
    up = frame[frame.branch == "up"].set_index("value")
    down = frame[frame.branch == "down"].set_index("value")
    gap = ((up.cooperation - down.cooperation).abs() > tol) | \
        ((up.institution_strength - down.institution_strength).abs() > tol)
    frame["differs"] = frame["value"].map(gap).astype(bool)
    return frame, hysteresis(frame)


def _groups(regime_a: Regime, regime_b: Regime) -> dict[str, list[str]]:
    """The differing fields of two regimes, grouped by mechanism."""
    skip = {"name", "description"}
    differ = [f.name for f in dataclasses.fields(Regime)
              if f.name not in skip and getattr(regime_a, f.name) != getattr(regime_b, f.name)]
    groups: dict[str, list[str]] = {}
    for field in differ:
        mech = next((k for k, v in MECHANISMS.items() if field in v), field)
        groups.setdefault(mech, []).append(field)
    return groups


def attribution_frame(spec: Spec, regime_a: Regime, regime_b: Regime, seed: int,
                      budget: float = 2000.0) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Shapley attribution of the difference in cooperation and diversity between two
    regimes to their mechanisms (:func:`evopolity.attribute` over groups of fields).

    Each hybrid regime takes a mechanism's fields all from ``regime_b`` or all from
    ``regime_a``; it runs from the barycentre to its attractor.

    Parameters
    ----------
    spec : Spec
        The experiment.
    regime_a, regime_b : Regime
        The baseline and the other regime.
    seed : int
        The play's seed.
    budget : float
        As in :func:`evopolity.settle`.

    Returns
    -------
    (DataFrame, dict)
        One row per mechanism and measure (``measure, mechanism, fields, shapley, share,
        alone``, plus ``total`` the whole difference) and the groups of fields.
    """
    groups = _groups(regime_a, regime_b)
    lead = {mech: fields[0] for mech, fields in groups.items()}
    cache: dict[tuple, dict[str, float]] = {}

    def run(hybrid: Regime) -> dict[str, float]:
        chosen = [m for m, f in lead.items() if getattr(hybrid, f) == getattr(regime_b, f)]
        key = tuple(sorted(chosen))
        if key not in cache:
            fields = {f: getattr(regime_b, f) for m in chosen for f in groups[m]}
            r = dataclasses.replace(regime_a, **fields)
            tour = _tournament(spec, r, seed)
            tr, att = settle(tour, None, t_max=100.0, budget=budget, regime=r,
                             lyapunov=False)
            cache[key] = _measures(tour, _final(tr, att), spec.game)
        return cache[key]

    rows = []
    for measure in ("cooperation", "effective_number", "welfare"):
        at = attribute(regime_a, regime_b, lambda r, m=measure: run(r)[m],
                       fields=list(lead.values()))
        by_lead = {f: m for m, f in lead.items()}
        for field, row in at.fields.iterrows():
            mech = by_lead[field]
            rows.append({"measure": measure, "mechanism": mech,
                         "fields": ", ".join(groups[mech]), "shapley": row["shapley"],
                         "share": row["share"], "alone": row["alone"], "total": at.total})
    return pd.DataFrame(rows), groups


#: The rates of environmental change (switches per elementary step) of the main job's polities.
POLITY_RATES = (1e-4, 1e-3, 1e-2)
#: Its polities: m polities of at most n members, run this many steps, per seed.
POLITY_SETUP = {"n": 10, "m": 30, "generations": 30_000, "selection": 1.0, "split": 0.05,
                "migration": 0.01, "imitation": 0.01, "imitation_selection": 1.0}
#: A polity whose mean payoff per turn stays below this many times P (mutual defection's) for
#: this many steps collapses.
POLITY_COLLAPSE = (1.5, 1_000)


def polities_frames(spec: Spec, seed: int, seeds: int = 3,
                    rates: tuple[float, ...] = POLITY_RATES) -> dict[str, Any]:
    """The spec's regimes as polities in a changing world, at several rates of change.

    Every regime of the spec (funded and voted ones included; each acting inside matches with
    the sanctions of its own tournament, as :func:`evopolity.evolve` plays it) is present at
    once, assigned round-robin to ``POLITY_SETUP["m"]`` polities of at most ``n``
    (:func:`evopolity.polities`), the strategies playing the spec's round robin. The world
    switches at random (``Markov``) between the spec's game and the same game with the
    temptation of the spec's first temptation shock (``T + (T - R)`` without one), at each
    of ``rates``;
    ``seeds`` runs per rate (seeds ``seed, seed + 1, ...``).

    Parameters
    ----------
    spec : Spec
        The experiment (its strategies, game, play and regimes).
    seed : int
        The first seed.
    seeds : int
        Runs per rate.
    rates : tuple of float
        Probabilities of a switch per elementary step.

    Returns
    -------
    dict
        ``"rows"``: one row per (rate, seed, regime) with ``median_lifetime`` (Kaplan–Meier;
        NaN when survival stays above 1/2), ``spells``, ``ended``, ``final_share``,
        ``diversity`` and ``cooperation`` (means over the regime's polities over every
        record), ``splits``, ``collapses``, ``environment_changes``; ``"survival"``: the
        Kaplan–Meier curves (rate, seed, regime, time, at_risk, ended, censored, survival);
        ``"skipped"``: the regimes polities cannot hold, with why; ``"setup"``: the settings.
        Empty frames when no regime can be held or the game has no temptation.
    """
    from evopolity.dynamics.environments import Markov
    from evopolity.dynamics.polities import Collapse, polities
    from evopolity.experiments.tasks import polity_measures

    game = spec.game
    empty = {"rows": pd.DataFrame(), "survival": pd.DataFrame(), "skipped": {}, "setup": {}}
    if not all(hasattr(game, f) for f in ("R", "T", "P")):
        return empty
    temptation = next((s.value for s in spec.shocks if s.kind == "temptation"),
                      game.T + (game.T - game.R))
    changed = dataclasses.replace(game, T=float(temptation))
    play = (spec.strategies, spec.turns, spec.repetitions, spec.noise, spec.method)
    base = _interactions(play[0], game, *play[1:], seed, None)
    other = _interactions(play[0], changed, *play[1:], seed, None)
    held, skipped, played = [], {}, []
    for r in spec.regimes:
        # a regime acting inside matches brings its own tournament's sanctions (norm,
        # fine_to), as evolve plays it; the bare payoffs are the same (sanctions change no move)
        own = (_interactions(play[0], game, *play[1:], seed, r) if r.acts_in_play else None)
        try:  # what polities refuses, asked of a tiny run
            polities(base, [r], n=3, m=1, generations=0, split=0.0, seed=0, played=[own])
        except ValueError as exc:
            skipped[r.name] = str(exc).split(";")[0]
        else:
            held.append(r)
            played.append(own)
    if not held:
        return {**empty, "skipped": skipped}
    threshold = POLITY_COLLAPSE[0] * float(game.P)
    rows, curves = [], []
    for rate in rates:
        for s in range(seed, seed + seeds):
            run = polities(base, held, **POLITY_SETUP,
                           collapse=Collapse(threshold, POLITY_COLLAPSE[1]),
                           environment=Markov(rate, [other.payoffs]), seed=s,
                           played=played)
            measures = polity_measures(run)
            f = run.frame().groupby("regime", observed=False)[["diversity", "cooperation"]].mean()
            for name in run.regime_names:
                rows.append({"rate": rate, "seed": s, "regime": name,
                             "median_lifetime": measures[f"median_lifetime[{name}]"],
                             "spells": measures[f"spells[{name}]"],
                             "ended": measures[f"ended[{name}]"],
                             "final_share": measures[f"final_share[{name}]"],
                             "diversity": float(f.loc[name, "diversity"]),
                             "cooperation": float(f.loc[name, "cooperation"]),
                             "splits": measures["splits"], "collapses": measures["collapses"],
                             "environment_changes": measures["environment_changes"]})
            curves.append(run.survival().assign(rate=rate, seed=s))
    survival = pd.concat(curves, ignore_index=True)
    survival = survival[["rate", "seed", *[c for c in survival.columns
                                           if c not in ("rate", "seed")]]]
    return {"rows": pd.DataFrame(rows), "survival": survival, "skipped": skipped,
            "setup": {**POLITY_SETUP, "collapse": (threshold, POLITY_COLLAPSE[1]),
                      "temptation": (float(game.T), float(temptation)), "seeds": seeds}}
