"""Experiments: the main job (``run``) and sweeps that scale out (``sweep``).

Both are lists of independent tasks (:mod:`evopolity.experiments.tasks`). ``run`` computes
its tasks here and writes the run directory (Parquet frames, figures, ``report.md``);
``sweep`` hands chunks of tasks to an executor (:mod:`evopolity.experiments.executors`) and
writes every finished task as its own Parquet part, keeping a manifest
(:mod:`evopolity.experiments.storage`). Running the same sweep on the same directory skips the
parts that exist, so a sweep killed at any moment (SIGKILL included) resumes and ends with
exactly the rows of an uninterrupted run. A directory made by another spec is refused.

Both say what they are doing on stderr (``progress=False`` silences them): the first time the
numba kernels are compiled, where their cache goes; then each stage of the job.
"""

from __future__ import annotations

import functools
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from evopolity.analysis.compare import outcome_frame
from evopolity.analysis.metrics import shock_responses
from evopolity.experiments import executors
from evopolity.experiments.analyses import (
    EVENT_COLUMNS,
    attribution_frame,
    ensemble_frame,
    event_rows,
    hysteresis_frame,
    matched_frame,
    polities_frames,
)
from evopolity.experiments.figures import plot_directory
from evopolity.experiments.report import write_report
from evopolity.experiments.results import continuation_results, ensemble_results, load
from evopolity.experiments.spec import Spec, load_spec
from evopolity.experiments.storage import (
    ExperimentError,
    SweepDirectory,
    check_directory,
    make_directory,
    write_parquet,
)
from evopolity.experiments.tasks import run_task, sweep_tasks
from evopolity.kernels import _jit

__all__ = ["run", "run_polities", "sweep", "distinct_seeds", "run_continuation",
           "run_ensemble", "continuation_results", "ensemble_results", "ensemble_tasks"]

#: The kernel modules a task compiles, by ``play.method`` (besides the replicator's own):
#: their cache decides whether a job announces a first compilation.
_KERNELS = {"exact": ("markov", "fitness", "replicator"),
            "simulate": ("match", "fitness", "replicator")}


def _messages(enabled: bool) -> Callable[[str], None]:
    """A function that prints one line on stderr (or nothing, when disabled)."""
    if not enabled:
        return lambda message: None
    return lambda message: print(message, file=sys.stderr, flush=True)


def _compile_notice(spec: Spec, where: str = "") -> str | None:
    """The line that announces a first compilation, or ``None`` when the cache is warm."""
    kernels = _KERNELS[spec.method]
    if spec.polities is not None:
        kernels = (kernels[0], "polity")
    elif spec.structure is not None:
        kernels = (kernels[0], "graph")
    if _jit.cache_is_warm(*kernels):
        return None
    directory = _jit.cache_directory()
    if directory is None:
        return (f"compiling numba kernels{where}: a minute or two before the first result; "
                "caching is off (EVOPOLITY_NO_CACHE, or no writable cache directory), so "
                "every run compiles")
    return (f"compiling numba kernels{where}: first run only, a minute or two before the "
            f"first result; cached in {directory}")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}{'es' if word.endswith('s') else 's'}"


# -- the main job -------------------------------------------------------------------------------


def run(spec: Spec | str | Path | None = None, out: str | Path = "evopolity-out",
        figures: bool = True, progress: bool = True) -> pd.DataFrame:
    """Run an experiment (default: the built-in regime comparison) and write its results.

    Every regime runs once undisturbed (``baseline``) and, if the spec has shocks, once with
    them (``shocked``), for every seed that gives a distinct run (:func:`distinct_seeds`:
    one with ``method = "exact"``), at the first sweep point (sweeps are for :func:`sweep`).
    Then every regime runs from 8 random starts (Dirichlet(1)) to its attractor, and once at
    a common mutation rate (1e-3) from the barycentre; the first co-evolving regime is
    continued along its fine (0 to ``max(4, 2 * fine)`` and back, 9 values); the difference
    between the first regime and the first co-evolving one (else the second) is attributed
    to their mechanisms (Shapley values over groups of fields, each hybrid run to its
    attractor from the barycentre).

    Parameters
    ----------
    spec : Spec or path, optional
        The experiment (default: ``evopolity/data/default.toml``).
    out : path
        Output directory (created): ``trajectories.parquet`` (run, regime, scenario, seed,
        time, strategy, frequency), ``macro.parquet`` (run, regime, scenario, seed, time,
        variable, value), ``events.parquet`` (one row per shock of each run: ``time, kind,
        variable, value_before, value_after, change, class_before, class_after,
        class_change``), ``summary.parquet`` (one row per run), ``resilience.parquet`` (one
        row per shock of each shocked run, read up to the next shock:
        :func:`evopolity.analysis.metrics.shock_responses`), ``ensemble.parquet`` (one row
        per start of each regime), ``matched.parquet`` (each regime at the common mutation
        rate), ``hysteresis.parquet`` (the continuation's runs), ``attribution.parquet``
        (each mechanism's Shapley value per measure), the figures (``figures/``) and
        ``report.md``.
    figures : bool
        Draw the figures (matplotlib).
    progress : bool
        Say on stderr what is happening: a first compilation of the kernels (and where they
        are cached), the play, each run as it starts, the figures, the report.

    A spec with ``[polities]`` runs :func:`run_polities`; one with ``[structure]`` plays on
    its graph instead (every regime, every seed: :func:`~evopolity.experiments.tasks.
    run_structure_task`) and writes ``trajectories.parquet`` (frequencies over generations),
    ``summary.parquet`` (final frequencies, cooperation, assortment) and ``report.md``.

    Returns
    -------
    DataFrame
        The summary, one row per run.

    Raises
    ------
    SpecError
        If the spec is invalid.
    ExperimentError
        If ``out`` cannot be a run directory (a file, under a file, not writable, or holding
        a directory where a run writes a file), before anything runs.
    """
    say = _messages(progress)
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    if spec.polities is not None:
        return run_polities(spec, out, figures, progress)
    for section in ("continuation", "ensemble"):
        if getattr(spec, section) is not None:
            say(f"the spec's [{section}] runs with `evopolity {section}` "
                f"(experiments.runner.run_{section}), not in the main job")
    out = Path(out)
    check_directory(out, "run")  # before anything is computed or written
    if spec.structure is not None:
        return _run_structure(spec, out, say)
    make_directory(out)
    scenarios = ["baseline", "shocked"] if spec.shocks else ["baseline"]
    notice = _compile_notice(spec)
    if notice:
        say(notice)
    how = ("exact payoffs" if spec.method == "exact"
           else f"{_plural(spec.repetitions, 'simulated match')} per pair")
    say(f"playing {len(spec.strategies)} strategies ({how}, {spec.turns} turns, "
        f"noise {spec.noise:g})...")
    seeds = distinct_seeds(spec)
    plan = [(r, scenario, seed) for r in range(len(spec.regimes)) for scenario in scenarios
            for seed in seeds]
    scope = f"{_plural(len(spec.regimes), 'regime')} x {_plural(len(scenarios), 'scenario')}"
    if len(seeds) > 1:
        scope += f" x {_plural(len(seeds), 'seed')}"
    rows, trajectories, macro, events, responses = [], [], [], [], []
    started = time.perf_counter()
    for run_id, (r, scenario, seed) in enumerate(plan):
        label = f"{spec.regimes[r].name}, {scenario}"
        say(f"evolving under {scope} [{run_id + 1}/{len(plan)}] {label}"
            + (f", seed {seed}" if len(seeds) > 1 else ""))
        row, tr = run_task(spec, 0, r, seed, scenario, keep_trajectory=True)
        labels = {"run": run_id, "regime": row["regime"], "scenario": scenario, "seed": seed}
        rows.append({"run": run_id, **row})
        trajectories.append(tr.frame().assign(**labels))
        states = tr.macro if tr.macro is not None else {}
        for variable in states:
            macro.append(pd.DataFrame({"time": tr.times, "variable": variable,
                                       "value": states[variable].to_numpy()}).assign(**labels))
        events.extend({**labels, **e} for e in event_rows(tr.events, spec.game, spec.noise))
        if tr.events:
            responses.append(shock_responses(tr, spec.tolerance).assign(**labels))
    summary = outcome_frame(rows)
    label_cols = ["run", "regime", "scenario", "seed"]
    frames = {
        "trajectories": pd.concat(trajectories, ignore_index=True)[
            [*label_cols, "time", "strategy", "frequency"]],
        "macro": pd.concat(macro, ignore_index=True)[[*label_cols, "time", "variable", "value"]],
        "events": pd.DataFrame(events, columns=[*label_cols, *EVENT_COLUMNS]),
        "summary": summary,
        "resilience": (pd.concat(responses, ignore_index=True) if responses
                       else pd.DataFrame(columns=[*label_cols, "shock"])),
    }
    if not responses:
        frames.pop("resilience")
    else:
        frames["resilience"] = frames["resilience"][
            [*label_cols, *[c for c in frames["resilience"].columns if c not in label_cols]]]
    frames.update(_analyses(spec, seeds[0], say))
    for name, frame in frames.items():
        write_parquet(frame, out / f"{name}.parquet")
    elapsed = time.perf_counter() - started
    written = _figures(out, say) if figures else []
    report = write_report(spec, summary, out, written, elapsed, frames=frames, seeds=seeds)
    say(f"report: {report}")
    return summary


def distinct_seeds(spec: Spec) -> list[int]:
    """The seeds that give distinct runs: all of them, or the first alone when play is exact
    (``method = "exact"`` draws nothing and the replicator is deterministic), with a warning
    when the spec lists several.

    Parameters
    ----------
    spec : Spec
        The experiment.

    Returns
    -------
    list of int
        The seeds to run.
    """
    seeds = list(spec.seeds)
    if spec.method == "exact" and len(seeds) > 1:
        warnings.warn(
            f"seeds = {seeds}: with method = \"exact\" play draws nothing and the replicator "
            f"is deterministic, so every seed gives the same run; running seed {seeds[0]} only",
            stacklevel=3)
        return seeds[:1]
    return seeds


#: How many starts each regime's ensemble runs (Dirichlet(1) on the simplex).
ENSEMBLE_STARTS = 8
#: The mutation rate at which diversity is compared across regimes.
MATCHED_MUTATION = 1e-3


def _analyses(spec: Spec, seed: int, say: Callable[[str], None]) -> dict[str, pd.DataFrame]:
    """The ensembles, the matched-mutation runs, the continuation along the fine of the first
    co-evolving regime and the attribution between the first regime and another one."""
    import numpy as np

    frames: dict[str, pd.DataFrame] = {}
    say(f"running {ENSEMBLE_STARTS} starts per regime to their attractors")
    frames["ensemble"] = pd.concat(
        [ensemble_frame(spec, r, ENSEMBLE_STARTS, seed) for r in spec.regimes],
        ignore_index=True)
    say(f"every regime at mutation {MATCHED_MUTATION:g}")
    frames["matched"] = matched_frame(spec, list(spec.regimes), MATCHED_MUTATION, seed)
    coevolving = [r for r in spec.regimes if r.coevolves]
    if coevolving:
        r = coevolving[0]
        top = max(4.0, 2.0 * r.fine)
        say(f"continuation of {r.name} along its fine, 0 to {top:g} and back")
        frame, _ = hysteresis_frame(spec, r, np.linspace(0.0, top, 9), seed)
        frames["hysteresis"] = frame.assign(regime=r.name, parameter="fine")
    if len(spec.regimes) > 1:
        a = spec.regimes[0]
        others = [r for r in spec.regimes[1:] if r.coevolves] or list(spec.regimes[1:])
        b = others[0]
        say(f"attributing the difference between {a.name} and {b.name} to their mechanisms")
        try:
            frame, _ = attribution_frame(spec, a, b, seed)
        except ValueError as exc:  # e.g. more mechanisms than an attribution takes
            say(f"no attribution: {exc}")
        else:
            frames["attribution"] = frame.assign(regime_a=a.name, regime_b=b.name)
    say("the regimes as polities in a changing world")
    pol = polities_frames(spec, seed)
    if len(pol["rows"]):
        frames["polities"] = pol["rows"].assign(skipped="; ".join(
            f"{k}: {v}" for k, v in pol["skipped"].items()))
        frames["polity_survival"] = pol["survival"]
    return frames


def _figures(out: Path, say: Callable[[str], None]) -> list[Path]:
    say("writing figures")
    try:
        return plot_directory(out)
    except ImportError as exc:  # the figures need matplotlib; the results do not
        say(f"no figures: {exc}")
        return []


def _run_structure(spec: Spec, out: Path, say: Callable[[str], None]) -> pd.DataFrame:
    """The runs of a ``[structure]`` spec: every regime x seed on the graph."""
    from evopolity.experiments.report import write_structure_report

    make_directory(out)
    s = spec.structure
    plan = [(r, seed) for r in range(len(spec.regimes)) for seed in spec.seeds]
    rows, trajectories = [], []
    started = time.perf_counter()
    for run_id, (r, seed) in enumerate(plan):
        say(f"on a {s.graph} graph, update {s.update} [{run_id + 1}/{len(plan)}] "
            f"{spec.regimes[r].name}, seed {seed}")
        row, tr = run_task(spec, 0, r, seed, keep_trajectory=True)
        rows.append({"run": run_id, **row})
        trajectories.append(tr.frame().assign(run=run_id, regime=row["regime"],
                                              scenario="structure", seed=seed))
    label_cols = ["run", "regime", "scenario", "seed"]
    summary = pd.DataFrame(rows).drop(columns=["recovered"])
    traj = pd.concat(trajectories, ignore_index=True)
    traj = traj[[*label_cols, *[c for c in traj.columns if c not in label_cols]]]
    write_parquet(traj, out / "trajectories.parquet")
    write_parquet(summary, out / "summary.parquet")
    report = write_structure_report(spec, out, summary, time.perf_counter() - started)
    say(f"report: {report}")
    return summary


def run_polities(spec: Spec | str | Path, out: str | Path = "evopolity-out",
                 figures: bool = True, progress: bool = True) -> pd.DataFrame:
    """Run a ``[polities]`` spec: every regime at once among the polities, once per seed.

    Parameters
    ----------
    spec : Spec or path
        An experiment with a ``[polities]`` table (its first sweep point; sweeps are for
        :func:`sweep`).
    out : path
        Output directory (created): ``frame.parquet`` (every polity at every record,
        :meth:`~evopolity.dynamics.polities.PolityRun.frame`), ``regimes.parquet`` (per regime
        and record), ``events.parquet``, ``survival.parquet`` (Kaplan–Meier per regime), each
        with a ``seed`` column first; ``figures/`` (regime shares over time, survival
        curves) and ``report.md``.
    figures : bool
        Draw the figures (matplotlib).
    progress : bool
        Say on stderr what is happening.

    Returns
    -------
    DataFrame
        One row per seed and regime: ``seed``, ``regime``, ``median_lifetime``, ``spells``,
        ``ended``, ``final_share``.

    Raises
    ------
    SpecError
        If the spec is invalid or has no ``[polities]`` table.
    ExperimentError
        If ``out`` cannot be a run directory, before anything runs.
    """
    from evopolity.experiments.report import write_polities_report
    from evopolity.experiments.spec import SpecError

    say = _messages(progress)
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    if spec.polities is None:
        raise SpecError(f"{spec.source}: polities: required, missing (a [polities] table)")
    out = Path(out)
    check_directory(out, "run")
    make_directory(out)
    p = spec.polities
    frames: dict[str, list[pd.DataFrame]] = {"frame": [], "regimes": [], "events": [],
                                             "survival": []}
    rows = []
    started = time.perf_counter()
    for i, seed in enumerate(spec.seeds):
        say(f"{p.m} polities x {p.generations:,} generations, "
            f"{_plural(len(spec.regimes), 'regime')} [{i + 1}/{len(spec.seeds)}] seed {seed}")
        row, polity_run = run_task(spec, 0, 0, seed, keep_trajectory=True)
        for name, frame in (("frame", polity_run.frame()), ("regimes", polity_run.regimes()),
                            ("events", polity_run.events), ("survival", polity_run.survival())):
            frame = frame.copy()
            frame.insert(0, "seed", seed)
            frames[name].append(frame)
        for name in polity_run.regime_names:
            rows.append({"seed": seed, "regime": name,
                         "median_lifetime": row[f"median_lifetime[{name}]"],
                         "spells": row[f"spells[{name}]"], "ended": row[f"ended[{name}]"],
                         "final_share": row[f"final_share[{name}]"]})
    elapsed = time.perf_counter() - started
    for name, parts in frames.items():
        write_parquet(pd.concat(parts, ignore_index=True), out / f"{name}.parquet")
    summary = pd.DataFrame(rows)
    written: list[Path] = []
    if figures:
        say("writing figures")
        try:
            from evopolity.experiments.figures_polities import plot_polities_directory

            written = plot_polities_directory(out)
        except ImportError as exc:
            say(f"no figures: {exc}")
    report = write_polities_report(spec, out, summary, written, elapsed)
    say(f"report: {report}")
    return summary


# -- sweeps --------------------------------------------------------------------------------------


def sweep(
    spec: Spec | str | Path,
    out: str | Path,
    workers: int = 1,
    scheduler: str | None = None,
    dask_local: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """Run every task of the spec's sweep (axes x regimes x seeds), resumably.

    Parameters
    ----------
    spec : Spec or path
        The experiment (its ``[sweep]`` axes; shocks, when present, apply to every task).
    out : path
        Output directory: ``sweep.json`` (the spec and its digest), ``manifest.txt`` (the
        finished tasks), ``parts/part-NNNNNN.parquet`` (one per finished task). Re-running
        skips what is done, runs again the tasks of bad parts (truncated, empty: set aside as
        ``*.bad`` with a warning) and removes the temporary files a killed sweep left; a
        directory made by another spec is refused, and so is one in use by another sweep
        (``sweep.lock``, held while a sweep runs and released when its process ends).
    workers : int
        Local worker processes (1: in this process), at most the CPUs this process may use:
        more are cut to that number with a warning (they would only share the cores and run
        slower). Ignored with ``scheduler``, whose cluster has its own workers.
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:port``): the tasks run there.
    dask_local : bool
        Start a ``distributed.LocalCluster`` with ``workers`` processes and run there.
    progress : bool
        Say on stderr what is happening (the tasks, a first compilation of the kernels and
        where they are cached) and show a progress bar (tasks done, rate, time left).

    Returns
    -------
    DataFrame
        :func:`load` of the directory: every task's row, by task.

    Raises
    ------
    SpecError
        If the spec is invalid (too large included: more than
        :data:`~evopolity.experiments.spec.MAX_TASKS` tasks).
    ExperimentError
        If ``out`` cannot be a sweep directory (a file, under a file, not writable, ``parts``
        a file), holds a sweep of another spec or is in use by another sweep (its lock), or
        the ``scheduler`` cannot be reached: all checked before anything is written.
    ValueError
        If both ``scheduler`` and ``dask_local`` are given, or ``workers`` is below 1.
    """
    from evopolity.validate import integer

    say = _messages(progress)
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    workers = integer(workers, "workers", 1)
    if scheduler and dask_local:
        raise ValueError("give either scheduler or dask_local, not both")
    if not scheduler and workers > (cpus := executors.cpus()):
        warnings.warn(f"workers = {workers} is more than the {_plural(cpus, 'CPU')} this "
                      f"process may use; running {cpus} (more only share the cores and run "
                      "slower)", stacklevel=2)
        workers = cpus
    if spec.method == "exact" and len(spec.seeds) > 1 and spec.polities is None \
            and spec.structure is None:
        warnings.warn(f"seeds = {list(spec.seeds)}: with method = \"exact\" every seed gives "
                      "the same rows (play draws nothing, the replicator is deterministic)",
                      stacklevel=2)
    out = Path(out)
    n_tasks = spec.n_tasks
    info = {"name": spec.name, "source": spec.source, "digest": spec.digest, "tasks": n_tasks,
            "axes": spec.sweep, "spec": spec.raw}
    # everything is checked before anything is written: the spec (parsed), the options, the
    # output directory, and the Dask cluster
    check_directory(out, "sweep", spec.digest)
    if scheduler or dask_local:
        try:
            executors.check_dask(scheduler)
        except (ValueError, ConnectionError) as exc:
            raise ExperimentError(str(exc), "scheduler") from None
    with SweepDirectory(out, info) as parts:  # holds the directory's lock
        return _sweep(spec, parts, workers, scheduler, dask_local, say, progress)


def _sweep(spec: Spec, parts: SweepDirectory, workers: int, scheduler: str | None,
           dask_local: bool, say: Callable[[str], None], progress: bool) -> pd.DataFrame:
    """The body of :func:`sweep`, in a directory it has opened (and locked)."""
    out, n_tasks = parts.out, parts.n_tasks
    # what a killed sweep leaves: temporary files (removed), bad parts (set aside, run again)
    left = parts.clean()
    if left:
        say(f"removed {_plural(len(left), 'temporary file')} left by an interrupted sweep")
    done = parts.done()
    parts.write_manifest(done)
    todo = [t for t in range(n_tasks) if t not in done]
    spec_json = json.dumps(spec.raw, default=str)
    # what every executor runs on a chunk; partial of a module function: picklable
    work = functools.partial(sweep_tasks, spec_json, spec.source)
    where = (f"on the Dask scheduler {scheduler}" if scheduler
             else f"on a local Dask cluster of {_plural(workers, 'worker')}" if dask_local
             else f"on {_plural(workers, 'worker process')}" if workers > 1
             else "in this process")
    regimes = ("" if spec.polities is not None
               else f"{_plural(len(spec.regimes), 'regime')} x ")
    say(f"sweep: {_plural(n_tasks, 'task')} ({_plural(spec.n_points, 'point')} x "
        f"{regimes}{_plural(len(spec.seeds), 'seed')}), "
        f"{len(done)} done, {len(todo)} to run {where}")

    _run_chunks(parts, work, todo, workers, say, progress, spec, scheduler, dask_local)
    return load(out)


def _progress(total: int, initial: int, enabled: bool) -> Callable[..., None]:
    if not enabled:
        return lambda n, close=False: None
    from tqdm import tqdm

    bar = tqdm(total=total, initial=initial, unit="task", file=sys.stderr, smoothing=0.1)

    def update(n: int, close: bool = False) -> None:
        if n:
            bar.update(n)
        if close:
            bar.close()

    return update


def _one_numba_thread() -> None:
    """Worker set-up: one numba thread per worker process, as the workers share the cores
    (idle OpenMP threads spin, and a parallel kernel in each of two workers on two cores ran a
    sweep 2.7x slower). Results do not depend on the number of threads."""
    from evopolity.kernels._jit import one_thread

    one_thread()


# -- continuation and ensembles of a spec ---------------------------------------------------------


def _analysis_spec(spec: Spec | str | Path, section: str) -> Spec:
    """The spec, read if need be, refused without its ``[section]`` table."""
    from evopolity.experiments.spec import SpecError

    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    if getattr(spec, section) is None:
        article = "an" if section[0] in "aeiou" else "a"
        raise SpecError(f"{spec.source}: {section}: required, missing ({article} [{section}] "
                        "table; docs/experiments.md)")
    return spec


def _analysis_info(spec: Spec, section: str, n_tasks: int) -> dict:
    # the section is part of the digest: one spec's continuation and ensemble never share a
    # directory (their parts are different tasks)
    return {"name": spec.name, "source": spec.source, "digest": f"{spec.digest}-{section}",
            "tasks": n_tasks, "axes": [], "analysis": section, "spec": spec.raw}


def _play(spec: Spec, regime: Any, game: Any, seed: int) -> Any:
    """The spec's strategies played under ``game`` and ``regime``'s in-play part (cached)."""
    from evopolity.dynamics.pipeline import _interactions

    return _interactions(spec.strategies, game, spec.turns, spec.repetitions, spec.noise,
                         spec.method, seed, regime)


def _folded(x: Any, k: int) -> Any:
    """A state over the spec's ``k`` strategies (a funded regime's levy-paying and bare
    versions of a strategy added up)."""
    import numpy as np

    x = np.asarray(x, dtype=float)
    return x[:k] + x[k:] if x.size == 2 * k else x


def _continuation_step(spec: Spec, r: int, step: int, x: Any, m: Any, seed: int
                       ) -> tuple[dict, list[float], float | None]:
    """One run of a regime's continuation: its row, and the state it hands on."""
    import math

    import numpy as np

    from evopolity.dynamics.attractors import settle
    from evopolity.experiments.analyses import _final, _measures
    from evopolity.experiments.spec import _game_at

    cont = spec.continuation
    branch, _, value = cont.path[step]
    target, name = cont.parameter.split(".", 1)
    regime, game = spec.regimes[r], spec.game
    if target == "regime":
        regime = regime.replace(**{name: value})
    else:
        game = _game_at(game, {name: value})
    tour = _play(spec, regime, game, seed)
    tr, att = settle(tour, None if x is None else np.asarray(x, dtype=float), t_max=cont.t_max,
                     budget=cont.budget, regime=regime, strength=m, lyapunov=False)
    state = _final(tr, att)
    k = len(spec.strategies)
    strength = math.nan
    if tr.macro is not None and "institution_strength" in tr.macro:
        strength = float(tr.macro["institution_strength"].iloc[-1])
        m = min(1.0, max(0.0, strength))
    carry = [float(v) for v in tr.frequencies[-1]]
    row = {"task": r * len(cont.path) + step, "regime": spec.regimes[r].name,
           "scenario": "continuation", "seed": seed, "recovered": pd.NA, "branch": branch,
           "step": step, "parameter": cont.parameter, "value": float(value), "kind": att.kind,
           **{f"x_{s.name}": float(v) for s, v in zip(spec.strategies, _folded(state, k),
                                                      strict=True)},
           **_measures(tour, state, game), "institution_strength": strength,
           "t_total": float(tr.info["t_total"]),
           # the state handed to the next run, exactly (a resumed chain goes on from it)
           "carry": json.dumps(carry), "carry_strength": math.nan if m is None else float(m)}
    return row, carry, m


def run_continuation(spec: Spec | str | Path, out: str | Path, figures: bool = True,
                 progress: bool = True) -> pd.DataFrame:
    """Run a spec's ``[continuation]`` for every regime, resumably.

    Each regime's parameter goes up through ``values`` and back down, each run starting
    from where the previous one ended (its frequencies and a co-evolving institution's
    strength; :func:`evopolity.continuation`), on the spec's play: every value replays the
    matches, since a regime's fine or a payoff acts inside them. Every run is written as it
    finishes (a part, as in :func:`sweep`) with the state it hands on, so a killed
    continuation resumes from its last finished run and ends with exactly the rows of an
    uninterrupted one.

    Parameters
    ----------
    spec : Spec or path
        An experiment with a ``[continuation]`` table (the play's seed: its first seed).
    out : path
        Output directory (a sweep directory: ``sweep.json``, ``manifest.txt``,
        ``parts/``), then ``figures/continuation-*.png`` (both branches, per regime).
    figures : bool
        Draw the figures.
    progress : bool
        Say on stderr what is happening.

    Returns
    -------
    DataFrame
        One row per run: ``task, regime, scenario, seed, recovered, branch, step,
        parameter, value, kind``, ``x_<strategy>`` (the attractor's state: the rest point
        or the mean over a cycle), ``cooperation, effective_number, richness, mean_payoff,
        welfare, institution_strength, t_total``, the state handed on (``carry``,
        ``carry_strength``) and ``differs`` (the branches differ there by more than
        ``tol``; :func:`evopolity.hysteresis` reads the ranges).

    Raises
    ------
    SpecError
        If the spec is invalid or has no ``[continuation]`` table.
    ExperimentError
        If ``out`` cannot be a sweep directory, holds another spec's results or is in use.
    """
    say = _messages(progress)
    spec = _analysis_spec(spec, "continuation")
    cont = spec.continuation
    out = Path(out)
    runs = len(cont.path)
    info = _analysis_info(spec, "continuation", len(spec.regimes) * runs)
    check_directory(out, "sweep", info["digest"])
    seed = spec.seeds[0]
    with SweepDirectory(out, info) as parts:
        parts.clean()
        done = parts.done()
        parts.write_manifest(done)
        for r, regime in enumerate(spec.regimes):
            base = r * runs
            first = next((j for j in range(runs) if base + j not in done), None)
            if first is None:
                continue
            x, m = cont.x0, None
            if first > 0:  # go on from the state the last finished run handed on
                last = pd.read_parquet(parts.path(base + first - 1)).iloc[0]
                x = json.loads(last["carry"])
                m = None if pd.isna(last["carry_strength"]) else float(last["carry_strength"])
            say(f"continuation of {regime.name} along {cont.parameter}: "
                f"{cont.values[0]:g} to {cont.values[-1]:g} and back, {runs} runs"
                + (f", from run {first}" if first else ""))
            for step in range(first, runs):
                row, x, m = _continuation_step(spec, r, step, x, m, seed)
                parts.write(base + step, row)
                parts.append_manifest(base + step)
    frame = continuation_results(load(out), spec)
    if figures:
        _figures(out, say)
    return frame


def ensemble_tasks(spec_json: str, where: str, tasks: list[int]) -> list[tuple[int, dict]]:
    """Rows of some starts of a spec's ``[ensemble]``: what a worker process runs.

    Parameters
    ----------
    spec_json : str
        The spec's raw table as JSON.
    where : str
        The spec's source, for error messages.
    tasks : list of int
        Task numbers: regime ``task // count``, start ``task % count``.

    Returns
    -------
    list of tuple
        ``(task, row)`` per task.
    """
    from evopolity.dynamics.attractors import settle
    from evopolity.experiments.analyses import _describe, _final, _measures
    from evopolity.experiments.tasks import _spec_from_json

    spec = _spec_from_json(spec_json, where)
    ens = spec.ensemble
    names = [s.name for s in spec.strategies]
    k = len(names)
    starts = ens.points(k)
    seed = spec.seeds[0]
    out = []
    for task in tasks:
        r, i = divmod(task, ens.count)
        regime = spec.regimes[r]
        tour = _play(spec, regime, spec.game, seed)
        tr, att = settle(tour, starts[i], t_max=ens.t_max, budget=ens.budget, regime=regime,
                         lyapunov=ens.lyapunov)
        state = _final(tr, att)
        folded = _folded(state, k)
        out.append((task, {
            "task": task, "regime": regime.name, "scenario": "ensemble", "seed": seed,
            "recovered": pd.NA, "start": i,
            **{f"x0_{s}": float(v) for s, v in zip(names, starts[i], strict=True)},
            **{f"final_{s}": float(v) for s, v in zip(names, folded, strict=True)},
            "kind": att.kind, "description": _describe(folded, names, att.kind),
            "period": float("nan") if att.period is None else float(att.period),
            "lyapunov": float("nan") if att.lyapunov is None else float(att.lyapunov),
            "t_total": float(tr.info["t_total"]), **_measures(tour, state, spec.game)}))
    return out


def run_ensemble(spec: Spec | str | Path, out: str | Path, workers: int = 1, figures: bool = True,
             progress: bool = True) -> pd.DataFrame:
    """Run a spec's ``[ensemble]``: every start under every regime, to its attractor,
    resumably and on several processes.

    Every (regime, start) is a task written as its own part when it finishes
    (:func:`sweep`'s layout and resumption). The starts are drawn from the ensemble's seed
    before anything runs and every run is deterministic, so the rows are the same for any
    number of workers.

    Parameters
    ----------
    spec : Spec or path
        An experiment with an ``[ensemble]`` table.
    out : path
        Output directory (a sweep directory), then ``figures/basins.png``.
    workers : int
        Local worker processes (1: in this process), at most the CPUs this process may use
        (more are cut to that number, with a warning).
    figures : bool
        Draw the figures.
    progress : bool
        Say on stderr what is happening.

    Returns
    -------
    DataFrame
        One row per regime and start: ``task, regime, scenario, seed, recovered, start``,
        ``x0_<strategy>``, ``final_<strategy>`` (the attractor's state), ``kind,
        description, period, lyapunov, t_total``, the measures of the state and
        ``attractor`` (a label shared, within a regime, by the starts that reached one
        attractor: :func:`evopolity.analysis.ensemble.same_attractors`).

    Raises
    ------
    SpecError
        If the spec is invalid or has no ``[ensemble]`` table.
    ExperimentError
        If ``out`` cannot be a sweep directory, holds another spec's results or is in use.
    """
    from evopolity.validate import integer

    say = _messages(progress)
    spec = _analysis_spec(spec, "ensemble")
    workers = integer(workers, "workers", 1)
    if workers > (cpus := executors.cpus()):
        warnings.warn(f"workers = {workers} is more than the {_plural(cpus, 'CPU')} this "
                      f"process may use; running {cpus}", stacklevel=2)
        workers = cpus
    ens = spec.ensemble
    out = Path(out)
    info = _analysis_info(spec, "ensemble", len(spec.regimes) * ens.count)
    check_directory(out, "sweep", info["digest"])
    with SweepDirectory(out, info) as parts:
        parts.clean()
        done = parts.done()
        parts.write_manifest(done)
        todo = [t for t in range(parts.n_tasks) if t not in done]
        say(f"ensemble: {_plural(ens.count, 'start')} ({ens.starts}) x "
            f"{_plural(len(spec.regimes), 'regime')}, {len(done)} done, {len(todo)} to run"
            + (f" on {_plural(workers, 'worker process')}" if workers > 1 else ""))
        work = functools.partial(ensemble_tasks, json.dumps(spec.raw, default=str),
                                 spec.source)
        _run_chunks(parts, work, todo, workers, say, progress, spec)
    frame = ensemble_results(load(out))
    if figures:
        _figures(out, say)
    return frame


def _run_chunks(parts: SweepDirectory, work: Callable, todo: list[int], workers: int,
                say: Callable[[str], None], progress: bool, spec: Spec,
                scheduler: str | None = None, dask_local: bool = False) -> None:
    """Run ``work`` over chunks of the tasks ``todo``, here, on a process pool or on Dask,
    writing each finished task's part and manifest line as its chunk comes back."""

    def finish(rows: list[tuple[int, dict]]) -> None:
        for task, row in rows:
            parts.write(task, row)
            parts.append_manifest(task)

    n_done = parts.n_tasks - len(todo)
    if todo and not scheduler:
        notice = _compile_notice(spec, "" if workers == 1 and not dask_local
                                 else " in this process first, then the workers load them")
        if notice:
            say(notice)
            if (workers > 1 or dask_local) and _jit.cache_directory() is not None:
                # one compilation here fills the cache; otherwise each worker would compile
                # the same kernels at once, on the same cores, and the first tasks would
                # seem to take a minute each
                finish(work(todo[:1]))
                todo = todo[1:]
                n_done += 1
    elif todo:
        say("each Dask worker compiles the kernels on its first task unless its cache is warm")
    # a few dozen chunks per worker: little transport per task, work still spread evenly,
    # and a killed run loses at most the chunks in flight
    size = max(1, min(50, -(-len(todo) // (workers * 20))))
    chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
    bar = _progress(parts.n_tasks, n_done, progress)
    try:
        if scheduler or dask_local:
            results = executors.dask(work, chunks, workers, scheduler,
                                     local_setup=_one_numba_thread)
        elif workers > 1:
            results = executors.process_pool(work, chunks, workers,
                                             initializer=_one_numba_thread)
        else:
            results = executors.in_process(work, chunks)
        for rows in results:
            finish(rows)
            bar(len(rows))
    finally:
        bar(0, close=True)
