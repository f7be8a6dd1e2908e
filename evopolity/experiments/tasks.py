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

__all__ = ["run_task", "sweep_tasks", "task_of", "tasks_of"]


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
    point, regime = divmod(rest, len(spec.regimes))
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
        elif name == "noise":
            noise = value
        else:
            turns = value  # an int: the parser keeps play.turns integer
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
        values and :func:`evopolity.analysis.compare.outcome`.

    Raises
    ------
    IndexError
        If the spec has no point ``point_index`` or no regime ``regime_index``.
    """
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
