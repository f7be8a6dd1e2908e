"""The unit of work: a task, and what a worker runs.

A run or a sweep is a list of independent tasks. A task evolves the spec's strategies under
one regime, at one sweep point, for one seed (:func:`run_task`); its result depends on nothing
else, so any executor (in-process, a process pool, a Dask cluster) gives the same rows, bit for
bit. Workers receive the spec as JSON and task numbers (:func:`sweep_tasks`): cheap to send,
and this module imports nothing that writes files.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from evopolity.analysis.compare import outcome
from evopolity.dynamics.pipeline import evolve
from evopolity.experiments.spec import Spec, parse_spec
from evopolity.play.games import DonationGame

__all__ = ["run_task", "run_polities_task", "run_structure_task", "sweep_tasks", "task_of",
           "tasks_of", "polity_measures", "graph_cooperation"]


def tasks_of(spec: Spec) -> list[tuple[int, int, int]]:
    """The sweep's tasks as ``(point_index, regime_index, seed)``, in a fixed order.

    Parameters
    ----------
    spec : Spec
        The experiment.

    Returns
    -------
    list of tuple
        ``spec.n_points * len(spec.regimes) * len(spec.seeds)`` tasks (:func:`task_of`).
    """
    return [task_of(spec, t) for t in range(spec.n_tasks)]


def task_of(spec: Spec, task: int) -> tuple[int, int, int]:
    """Task ``task`` of :func:`tasks_of`: points outermost, then regimes, then seeds.

    Parameters
    ----------
    spec : Spec
        The experiment.
    task : int
        The task's number.

    Returns
    -------
    tuple
        ``(point_index, regime_index, seed)``.

    Raises
    ------
    IndexError
        If the sweep has no task ``task``.
    """
    rest, s = divmod(task, len(spec.seeds))
    point, regime = divmod(rest, spec.n_regime_tasks)
    if not 0 <= point < spec.n_points:
        raise IndexError(f"task {task} is outside the sweep's {spec.n_points} points")
    return point, regime, spec.seeds[s]


def _apply_point(spec: Spec, regime_index: int, point: dict[str, Any]):
    regime = spec.regimes[regime_index]
    game, noise, turns = spec.game, spec.noise, spec.turns
    regime_changes, game_changes = {}, {}
    for key, value in point.items():
        section, name = key.split(".", 1)
        if section == "regime":
            regime_changes[name] = value
        elif section == "game":
            game_changes[name] = value
        elif key == "play.noise":
            noise = value
        elif key == "play.turns":
            turns = value  # an int: the parser keeps play.turns integer
        # polities.* and structure.* axes: run_polities_task, run_structure_task
    # every point was checked when the spec was parsed (spec._check_points, with the same
    # changes), so these cannot fail here
    if regime_changes:
        regime = regime.replace(**regime_changes)
    if game_changes:
        if isinstance(game, DonationGame) and set(game_changes) <= {"b", "c"}:
            game = DonationGame(game_changes.get("b", game.b), game_changes.get("c", game.c))
        else:
            game = game.with_payoffs(**game_changes)
    return regime, game, noise, turns


def run_task(
    spec: Spec,
    point_index: int,
    regime_index: int,
    seed: int,
    scenario: str = "shocked",
    keep_trajectory: bool = False,
) -> tuple[dict[str, Any], Any]:
    """Evolve one regime at one sweep point for one seed.

    Parameters
    ----------
    spec : Spec
        The experiment.
    point_index, regime_index : int
        Which sweep point (:meth:`Spec.sweep_point`) and which of ``spec.regimes``.
    seed : int
        The seed of the play (and of nothing else: the replicator is deterministic).
    scenario : {"shocked", "baseline"}
        ``"baseline"`` leaves the spec's shocks out.
    keep_trajectory : bool
        Also return the :class:`~evopolity.dynamics.trajectory.Trajectory`.

    Returns
    -------
    tuple
        ``(row, trajectory or None)``: the row holds ``regime, scenario, seed``, the point's
        values and :func:`evopolity.analysis.compare.outcome`. A ``[polities]`` spec runs
        :func:`run_polities_task` (``regime_index`` unused), a ``[structure]`` spec
        :func:`run_structure_task`.

    Raises
    ------
    IndexError
        If the spec has no point ``point_index`` or no regime ``regime_index``.
    """
    if spec.polities is not None:
        row, run = run_polities_task(spec, point_index, seed, keep_run=keep_trajectory)
        return row, run
    if spec.structure is not None:
        return run_structure_task(spec, point_index, regime_index, seed, keep_trajectory)
    point = spec.sweep_point(point_index)
    regime, game, noise, turns = _apply_point(spec, regime_index, point)
    shocks = spec.shocks if scenario == "shocked" else []
    tr = evolve(
        spec.strategies, regime, game=game, turns=turns, repetitions=spec.repetitions,
        noise=noise, method=spec.method, seed=seed, invaders=spec.invaders, t_max=spec.t_max,
        points_per_unit=spec.points_per_unit, shocks=shocks,
    )  # fmt: skip
    first = min((s.time for s in shocks), default=None)
    until = min((s.time for s in shocks if s.time > first), default=None) if shocks else None
    row = {"regime": regime.name, "scenario": scenario, "seed": seed, **point,
           **outcome(tr, first, spec.tolerance, until)}
    return row, (tr if keep_trajectory else None)


@functools.cache
def _spec_from_json(text: str, where: str) -> Spec:
    # a worker parses the spec once, whatever the number of chunks it receives
    return parse_spec(json.loads(text), where)


def sweep_tasks(spec_json: str, where: str, tasks: list[int]) -> list[tuple[int, dict]]:
    """Rows of some sweep tasks: what a worker process or a Dask worker runs.

    Parameters
    ----------
    spec_json : str
        The spec's raw table as JSON (``json.dumps(spec.raw)``).
    where : str
        The spec's source, for error messages.
    tasks : list of int
        Task numbers (:func:`task_of`).

    Returns
    -------
    list of tuple
        ``(task, row)`` per task, the row a plain dict (cheap to send back) with ``task``
        first; the caller writes each as its part. Shocks, when the spec has them, apply.
    """
    spec = _spec_from_json(spec_json, where)
    out = []
    for task in tasks:
        point, regime, seed = task_of(spec, task)
        row, _ = run_task(spec, point, regime, seed, "shocked" if spec.shocks else "baseline")
        out.append((task, {"task": task, **row}))
    return out


# -- polities and structured populations -----------------------------------------------------------

#: Tournaments already played in this process, by what decides them: a sweep over
#: ``polities.*`` or ``structure.*`` axes plays the same one at every point.
_PLAYED: dict = {}


def _interactions(spec: Spec, game: Any, noise: float, turns: int, seed: int):
    """The spec's strategies' round robin under ``game`` (played without a regime; each
    dynamic applies its regimes' expected terms), cached per process."""
    from evopolity.play.tournament import tournament

    key = (spec.digest, repr(game), noise, turns, seed if spec.method == "simulate" else None)
    if key not in _PLAYED:
        if len(_PLAYED) > 64:
            _PLAYED.clear()
        _PLAYED[key] = tournament(spec.strategies, game=game, turns=turns,
                                  repetitions=spec.repetitions, noise=noise, seed=seed,
                                  method=spec.method)
    return _PLAYED[key]


def _environment(pol, game, noise, turns, spec, seed):
    from evopolity.dynamics import environments

    played = [_interactions(spec, g, noise, turns, seed).payoffs for g in pol.games]
    if pol.environment == "scheduled":
        return environments.Scheduled(list(pol.times), played)
    if pol.environment == "periodic":
        return environments.Periodic(pol.period, played)
    if pol.environment == "markov":
        return environments.Markov(pol.rate, played)
    if pol.environment == "temptation_walk":
        # the walk's games derive from the played payoffs (entry pol.entry of game 0)
        return environments.TemptationWalk(pol.rate, pol.step, pol.low, pol.high, pol.entry)
    return environments.Constant()


def run_polities_task(spec: Spec, point_index: int, seed: int,
                      keep_run: bool = False) -> tuple[dict[str, Any], Any]:
    """Run the spec's polities (every regime at once) at one sweep point for one seed.

    Parameters
    ----------
    spec : Spec
        An experiment with a ``[polities]`` table.
    point_index : int
        Which sweep point (:meth:`Spec.sweep_point`).
    seed : int
        The seed of the run (and of the play, with ``method = "simulate"``).
    keep_run : bool
        Also return the :class:`~evopolity.dynamics.polities.PolityRun`.

    Returns
    -------
    tuple
        ``(row, run or None)``: the row holds ``regime`` (the regimes, joined by ``+``),
        ``scenario`` (``"polities"``), ``seed``, ``recovered`` (None), the point's values
        and :func:`polity_measures`.

    Raises
    ------
    ValueError
        If the spec has no ``[polities]`` table.
    """
    from evopolity.dynamics.polities import Collapse, polities
    from evopolity.experiments.spec import polities_at

    if spec.polities is None:
        raise ValueError("spec: no [polities] table")
    point = spec.sweep_point(point_index)
    regime, game, noise, turns = _apply_point(spec, 0, point)
    regime_list = [r.replace(**{k.split(".", 1)[1]: v for k, v in point.items()
                                if k.startswith("regime.")}) for r in spec.regimes]
    pol = polities_at(spec.polities, point)
    played = _interactions(spec, game, noise, turns, seed)
    run = polities(
        played.payoffs, regime_list, pol.n, pol.m, pol.generations, selection=pol.selection,
        split=pol.split, migration=pol.migration, imitation=pol.imitation,
        imitation_selection=pol.imitation_selection,
        collapse=None if pol.collapse is None else Collapse(*pol.collapse),
        environment=_environment(pol, game, noise, turns, spec, seed),
        cooperation=played.cooperation, seed=seed, record_every=pol.record_every,
        update=pol.update,
    )  # fmt: skip
    row = {"regime": "+".join(r.name for r in regime_list), "scenario": "polities",
           "seed": seed, "recovered": None, **point, **polity_measures(run)}
    return row, (run if keep_run else None)


def polity_measures(run: Any) -> dict[str, Any]:
    """A polities run's survival measures, one number each (a sweep's row).

    Parameters
    ----------
    run : PolityRun
        The run.

    Returns
    -------
    dict
        Per regime ``R``: ``median_lifetime[R]`` (Kaplan-Meier; NaN when survival stays above
        1/2), ``spells[R]`` (the spells counted), ``ended[R]`` (those that ended in
        extinction or collapse) and ``final_share[R]`` (of the polities at the end); the
        counts of ``splits``, ``collapses``, ``adoptions`` and ``environment_changes``; and
        ``cooperation`` at the end (mean over polities; NaN when unknown).
    """
    import numpy as np

    out: dict[str, Any] = {}
    life = run.lifetimes()
    median = run.median_lifetime()
    final = run.regimes()
    final = final[final["generation"] == final["generation"].max()].set_index("regime")
    for name in run.regime_names:
        sub = life[life["regime"] == name]
        out[f"median_lifetime[{name}]"] = float(median[name])
        out[f"spells[{name}]"] = int(len(sub))
        out[f"ended[{name}]"] = int(sub["ended"].sum())
        out[f"final_share[{name}]"] = float(final.loc[name, "share"])
    ev = run.events["event"]
    for kind, col in (("split", "splits"), ("collapse", "collapses"),
                      ("adoption", "adoptions"), ("environment", "environment_changes")):
        out[col] = int((ev == kind).sum())
    frame = run.frame()
    last = frame[frame["generation"] == frame["generation"].max()]
    out["cooperation"] = (float(last["cooperation"].mean()) if "cooperation" in last
                          else float(np.nan))
    return out


def graph_cooperation(graph: Any, states: Any, cooperation: Any) -> float:
    """The mean over nodes of how often a node cooperates with its neighbours.

    Parameters
    ----------
    graph : Graph
        The interaction graph.
    states : array_like of int
        Every node's strategy.
    cooperation : array_like
        The k x k cooperation matrix (``C[a, b]``: how often ``a`` cooperates with ``b``).

    Returns
    -------
    float
        ``mean_i sum_{j in N(i)} C[s_i, s_j] / |N(i)|``.
    """
    import numpy as np

    s = np.asarray(states, dtype=np.int64)
    C = np.asarray(cooperation, dtype=np.float64)
    deg = np.diff(graph.indptr)
    owner = np.repeat(np.arange(s.size), deg)
    per_edge = C[s[owner], s[graph.indices]]
    per_node = np.bincount(owner, weights=per_edge, minlength=s.size) / np.maximum(deg, 1)
    return float(per_node.mean())


def run_structure_task(spec: Spec, point_index: int, regime_index: int, seed: int,
                       keep_trajectory: bool = False) -> tuple[dict[str, Any], Any]:
    """Play the spec's interactions on its graph under one regime, at one point, one seed.

    The round robin is played without a regime (the regime then acts on every node's payoff
    through its terms, as :func:`evopolity.structured` applies it), and
    :func:`evopolity.structured` runs on its payoffs with ``seed`` (a random graph is drawn
    from the same seed). A regime that sets nothing (the default ``none``) runs the bare game.

    Parameters
    ----------
    spec : Spec
        An experiment with a ``[structure]`` table.
    point_index, regime_index : int
        Which sweep point and which of ``spec.regimes``.
    seed : int
        The seed of the run (and of the play, with ``method = "simulate"``).
    keep_trajectory : bool
        Also return the :class:`~evopolity.dynamics.trajectory.Trajectory`.

    Returns
    -------
    tuple
        ``(row, trajectory or None)``: the row holds ``regime``, ``scenario``
        (``"structure"``), ``seed``, ``recovered`` (None), the point's values, the final
        frequency of each strategy (``x[NAME]``), ``cooperation`` (:func:`graph_cooperation`
        at the end), ``assortment`` (:func:`evopolity.graphs.assortment`), ``fixated``,
        ``winner`` and ``generations`` (run).

    Raises
    ------
    ValueError
        If the spec has no ``[structure]`` table.
    """
    from evopolity.dynamics import graphs
    from evopolity.dynamics.structured import structured
    from evopolity.experiments.spec import structure_at
    from evopolity.institutions.regime import Regime

    if spec.structure is None:
        raise ValueError("spec: no [structure] table")
    point = spec.sweep_point(point_index)
    regime, game, noise, turns = _apply_point(spec, regime_index, point)
    st = structure_at(spec.structure, point)
    played = _interactions(spec, game, noise, turns, seed)
    graph = st.build_graph(seed)
    bare = regime == Regime(name=regime.name)
    tr = structured(
        played.payoffs, graph, st.update, generations=st.generations, selection=st.selection,
        mutation=st.mutation if bare else 0.0, seed=seed, payoff=st.payoff,
        record_every=st.record_every, regime=None if bare else regime,
        cooperation=None if bare else played.cooperation,
        institution_scope=st.institution_scope,
    )  # fmt: skip
    states = tr.info["states"]
    final = tr.final()
    row = {"regime": regime.name, "scenario": "structure", "seed": seed, "recovered": None,
           **point, **{f"x[{s}]": float(v) for s, v in final.items()},
           "cooperation": graph_cooperation(graph, states, played.cooperation.to_numpy()),
           "assortment": float(graphs.assortment(graph, states)),
           "fixated": bool(tr.info["fixated"]),
           "winner": "" if tr.info.get("winner") is None else str(tr.info["winner"]),
           "generations": int(tr.info["generations"])}
    return row, (tr if keep_trajectory else None)
