"""Experiments: the main job (``run``), sweeps that scale out (``sweep``), and ``load``.

A run or a sweep is a list of independent tasks. A task evolves the spec's strategies under
one regime, at one sweep point, for one seed (:func:`run_task`); its result depends on nothing
else, so any executor (in-process, a process pool, a Dask cluster) gives the same rows, bit for
bit.

Sweeps write every finished task atomically as its own Parquet part (a temporary name, then
``os.replace``) and keep a manifest; running the same command on the same directory skips the
parts that exist, so a sweep killed at any moment (SIGKILL included) resumes and ends with
exactly the rows of an uninterrupted run. A directory made by another spec is refused.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evopolity.analysis.compare import outcome, outcome_frame
from evopolity.dynamics.pipeline import evolve
from evopolity.experiments.spec import Spec, SpecError, load_spec, parse_spec
from evopolity.play.games import DonationGame

__all__ = [
    "run",
    "sweep",
    "load",
    "run_task",
    "sweep_tasks",
    "task_of",
    "tasks_of",
    "summary_table",
    "write_parquet",
    "ExperimentError",
]


class ExperimentError(ValueError):
    """An experiment cannot proceed (e.g. an output directory made by another spec)."""


# -- one task ---------------------------------------------------------------------------------


def tasks_of(spec: Spec) -> list[tuple[int, int, int]]:
    """The sweep's tasks as ``(point_index, regime_index, seed)``, in a fixed order."""
    n = spec.n_points * len(spec.regimes) * len(spec.seeds)
    return [task_of(spec, t) for t in range(n)]


def task_of(spec: Spec, task: int) -> tuple[int, int, int]:
    """Task ``task`` of :func:`tasks_of`: points outermost, then regimes, then seeds."""
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
            turns = int(value)
    try:
        if regime_changes:
            regime = regime.replace(**regime_changes)
        if game_changes:
            if isinstance(game, DonationGame) and set(game_changes) <= {"b", "c"}:
                game = DonationGame(game_changes.get("b", game.b), game_changes.get("c", game.c))
            else:
                game = game.with_payoffs(**game_changes)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{spec.source}: sweep point {point}: {exc}") from None
    return regime, game, noise, turns


def run_task(
    spec: Spec,
    point_index: int,
    regime_index: int,
    seed: int,
    scenario: str = "shocked",
    keep_trajectory: bool = False,
) -> tuple[dict[str, Any], Any]:
    """Evolve one regime at one sweep point for one seed; ``scenario`` "baseline" leaves the
    shocks out. Returns ``(row, trajectory or None)``: the row holds the labels, the point's
    values and :func:`evopolity.analysis.compare.outcome`."""
    point = spec.sweep_point(point_index)
    regime, game, noise, turns = _apply_point(spec, regime_index, point)
    shocks = spec.shocks if scenario == "shocked" else []
    tr = evolve(
        spec.strategies, regime, game=game, turns=turns, repetitions=spec.repetitions,
        noise=noise, method=spec.method, seed=seed, invaders=spec.invaders, t_max=spec.t_max,
        points_per_unit=spec.points_per_unit, shocks=shocks,
    )  # fmt: skip
    first = min((s.time for s in shocks), default=None)
    row = {"regime": regime.name, "scenario": scenario, "seed": seed, **point,
           **outcome(tr, first, spec.tolerance)}
    return row, (tr if keep_trajectory else None)


# -- the main job -------------------------------------------------------------------------------


def run(spec: Spec | str | Path | None = None, out: str | Path = "evopolity-out",
        figures: bool = True) -> pd.DataFrame:
    """Run an experiment (default: the built-in regime comparison) and write its results.

    Every regime runs once undisturbed (``baseline``) and, if the spec has shocks, once with
    them (``shocked``), for every seed, at the first sweep point (sweeps are for
    :func:`sweep`). Writes to ``out``: ``trajectories.parquet`` (run, regime, scenario, seed,
    time, strategy, frequency), ``macro.parquet`` (run, regime, scenario, seed, time,
    variable, value), ``events.parquet``, ``summary.parquet`` (one row per run), the figures
    (``figures/``, with matplotlib) and ``report.md``. Returns the summary.
    """
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scenarios = ["baseline", "shocked"] if spec.shocks else ["baseline"]
    rows, trajectories, macro, events = [], [], [], []
    started = time.perf_counter()
    for r in range(len(spec.regimes)):
        for scenario in scenarios:
            for seed in spec.seeds:
                run_id = len(rows)
                row, tr = run_task(spec, 0, r, seed, scenario, keep_trajectory=True)
                labels = {"run": run_id, "regime": row["regime"], "scenario": scenario,
                          "seed": seed}
                rows.append({"run": run_id, **row})
                trajectories.append(tr.frame().assign(**labels))
                states = tr.macro if tr.macro is not None else {}
                for variable in states:
                    macro.append(pd.DataFrame({"time": tr.times, "variable": variable,
                                               "value": states[variable].to_numpy()})
                                 .assign(**labels))
                events.extend({**labels, "time": e.time, "kind": e.kind} for e in tr.events)
    summary = outcome_frame(rows)
    label_cols = ["run", "regime", "scenario", "seed"]
    frames = {
        "trajectories": pd.concat(trajectories, ignore_index=True)[
            [*label_cols, "time", "strategy", "frequency"]],
        "macro": pd.concat(macro, ignore_index=True)[[*label_cols, "time", "variable", "value"]],
        "events": pd.DataFrame(events, columns=[*label_cols, "time", "kind"]),
        "summary": summary,
    }
    for name, frame in frames.items():
        write_parquet(frame, out / f"{name}.parquet")
    elapsed = time.perf_counter() - started
    written = _figures(out) if figures else []
    _report(spec, summary, out, written, elapsed)
    return summary


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write atomically: a reader never sees half a file, a crash leaves no corrupt one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _figures(out: Path) -> list[Path]:
    try:
        from evopolity.experiments import figures as plotting
    except ImportError:  # plotting needs matplotlib
        return []
    return plotting.plot_directory(out)


SUMMARY_COLUMNS = ["regime", "scenario", "cooperation", "effective_number", "richness",
                   "mean_fitness", "institution_strength", "min_cooperation", "recovered",
                   "recovery_time"]


def summary_table(summary: pd.DataFrame) -> str:
    """The summary as a fixed-width text table, one row per regime and scenario (means over
    seeds; ``recovered`` is yes / no, or the share of seeds that recovered)."""
    numeric = [c for c in SUMMARY_COLUMNS[2:] if c != "recovered"]
    grouped = summary.groupby(["regime", "scenario"], sort=False)
    table = grouped[numeric].mean()

    def recovered(values: pd.Series) -> str:
        values = values.dropna()
        if values.empty:
            return "-"
        share = float(values.astype(float).mean())
        return {1.0: "yes", 0.0: "no"}.get(share, f"{share:.0%}")

    table.insert(table.columns.get_loc("min_cooperation") + 1, "recovered",
                 grouped["recovered"].agg(recovered))
    return table.reset_index().to_string(index=False, float_format=lambda v: f"{v:.3f}",
                                         na_rep="-")


def _report(spec: Spec, summary: pd.DataFrame, out: Path, figures: list[Path],
            elapsed: float) -> None:
    lines = [
        f"# {spec.name}",
        "",
        f"Spec: `{spec.source}` (digest `{spec.digest}`). {len(spec.strategies)} strategies, "
        f"{spec.game.describe()}, {spec.turns} turns, noise {spec.noise:g}, "
        f"method {spec.method}; replicator for t = 0..{spec.t_max:g}; seeds {spec.seeds}. "
        f"Computed in {elapsed:.1f} s.",
        "",
        "Shocks: " + (", ".join(f"{s.kind} at t = {s.time:g}"
                                + (f" (to {s.value})" if s.kind in ("temptation", "noise")
                                   else "") for s in spec.shocks) or "none") + ".",
        "",
        "## Outcome per regime (final state; resilience after the first shock)",
        "",
        "```",
        summary_table(summary),
        "```",
        "",
        "Files: `trajectories.parquet` (run, regime, scenario, seed, time, strategy, "
        "frequency), `macro.parquet` (cooperation level and institution strength over time), "
        "`events.parquet` (shocks), `summary.parquet` (the table above, per run).",
        "",
    ]
    if figures:
        lines += ["## Figures", ""]
        lines += [f"![{p.stem}](figures/{p.name})" for p in figures]
        lines.append("")
    (out / "report.md").write_text("\n".join(lines))


# -- sweeps --------------------------------------------------------------------------------------


@functools.cache
def _spec_from_json(text: str, where: str) -> Spec:
    return parse_spec(json.loads(text), where)


def sweep_tasks(spec_json: str, where: str, tasks: list[int]) -> list[tuple[int, dict]]:
    """Rows of some sweep tasks (what a worker process or a Dask worker runs): plain dicts,
    cheap to send back; the caller writes each as its part."""
    spec = _spec_from_json(spec_json, where)
    out = []
    for task in tasks:
        point, regime, seed = task_of(spec, task)
        row, _ = run_task(spec, point, regime, seed, "shocked" if spec.shocks else "baseline")
        out.append((task, {"task": task, **row}))
    return out


def _part_table(row: dict):
    """A one-row Arrow table with types fixed by column (``recovered`` a nullable bool), so
    parts written apart read back as one table."""
    import pyarrow as pa

    def kind(key: str, value: Any):
        if key == "recovered":
            return pa.bool_()
        if isinstance(value, str):
            return pa.string()
        if isinstance(value, bool | np.bool_):
            return pa.bool_()
        if isinstance(value, int | np.integer):
            return pa.int64()
        return pa.float64()

    clean = {k: (None if v is pd.NA else v) for k, v in row.items()}
    schema = pa.schema([(k, kind(k, v)) for k, v in clean.items()])
    return pa.Table.from_pylist([clean], schema=schema)


class _Parts:
    """The output directory of a sweep: spec, manifest and one Parquet part per task."""

    def __init__(self, out: Path, spec: Spec, n_tasks: int) -> None:
        self.out = out
        self.parts = out / "parts"
        self.n_tasks = n_tasks
        self.parts.mkdir(parents=True, exist_ok=True)
        meta = out / "sweep.json"
        info = {"name": spec.name, "source": spec.source, "digest": spec.digest,
                "tasks": n_tasks, "axes": spec.sweep, "spec": spec.raw}
        if meta.exists():
            old = json.loads(meta.read_text())
            if old.get("digest") != spec.digest:
                raise ExperimentError(
                    f"{out} holds a sweep of another spec (digest {old.get('digest')}, this "
                    f"one {spec.digest}); use a new --out directory"
                )
        else:
            _write_text(meta, json.dumps(info, indent=2, default=str))

    def path(self, task: int) -> Path:
        return self.parts / f"part-{task:06d}.parquet"

    def done(self) -> set[int]:
        """Tasks whose part exists (the files are the truth; the manifest follows them)."""
        return {int(p.stem.split("-")[1]) for p in self.parts.glob("part-*.parquet")}

    def write(self, task: int, row: dict) -> None:
        """One part, atomically (pyarrow directly: ~0.6 ms a part, the pool's serial cost)."""
        import pyarrow.parquet as pq

        path = self.path(task)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        pq.write_table(_part_table(row), tmp)
        os.replace(tmp, path)

    def write_manifest(self, done: set[int]) -> None:
        """Rewrite the manifest from the parts on disk (one finished task id per line)."""
        _write_text(self.out / "manifest.txt", "".join(f"{t}\n" for t in sorted(done)))

    def append_manifest(self, task: int) -> None:
        """Append a finished task; appending keeps the cost per task constant (a torn last
        line after a crash is harmless: the parts are the truth, the manifest is rebuilt)."""
        with open(self.out / "manifest.txt", "a") as handle:
            handle.write(f"{task}\n")


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


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
        skips what is done; a directory made by another spec is refused.
    workers : int
        Local worker processes (1: in this process).
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:port``): the tasks run there.
    dask_local : bool
        Start a ``distributed.LocalCluster`` with ``workers`` processes and run there.
    progress : bool
        Show a progress bar (tasks done, rate, time left).

    Returns
    -------
    DataFrame
        :func:`load` of the directory: every task's row, by task.
    """
    from evopolity.validate import integer

    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    workers = integer(workers, "workers")
    if scheduler and dask_local:
        raise ValueError("give either scheduler or dask_local, not both")
    out = Path(out)
    tasks = tasks_of(spec)
    parts = _Parts(out, spec, len(tasks))
    done = parts.done()
    parts.write_manifest(done)
    todo = [t for t in range(len(tasks)) if t not in done]
    spec_json = json.dumps(spec.raw, default=str)
    # a few dozen chunks per worker: little transport per task, work still spread evenly,
    # and a killed sweep loses at most the chunks in flight
    size = max(1, min(50, -(-len(todo) // (workers * 20))))
    chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
    bar = _progress(len(tasks), len(done), progress)
    try:
        if scheduler or dask_local:
            results = _run_dask(spec_json, spec.source, chunks, workers, scheduler)
        elif workers > 1:
            results = _run_pool(spec_json, spec.source, chunks, workers)
        else:
            results = (sweep_tasks(spec_json, spec.source, c) for c in chunks)
        for rows in results:
            for task, row in rows:
                parts.write(task, row)
                parts.append_manifest(task)
            bar(len(rows))
    finally:
        bar(0, close=True)
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
    import numba

    numba.set_num_threads(1)


def _run_pool(spec_json: str, where: str, chunks: list[list[int]], workers: int
              ) -> Iterator[list[tuple[int, dict]]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn, not fork: numba's threading layer must not be forked while its threads exist
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_one_numba_thread
    ) as pool:
        futures = [pool.submit(sweep_tasks, spec_json, where, c) for c in chunks]
        for future in as_completed(futures):
            yield future.result()


def _run_dask(spec_json: str, where: str, chunks: list[list[int]], workers: int,
              scheduler: str | None) -> Iterator[list[tuple[int, dict]]]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ImportError(
            "Dask distributed is needed for --scheduler / --dask-local: "
            "pip install 'evopolity[distributed]'"
        ) from None
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address="127.0.0.1:0", host="127.0.0.1")
        client = Client(cluster)
        client.run(_one_numba_thread)  # local workers share this machine's cores
    try:
        futures = [client.submit(sweep_tasks, spec_json, where, c, pure=False) for c in chunks]
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def load(directory: str | Path) -> pd.DataFrame:
    """A sweep directory's rows as one DataFrame (by task), or a run directory's summary.

    Parameters
    ----------
    directory : str or Path
        The ``--out`` of ``evopolity sweep`` or ``evopolity run``.

    Returns
    -------
    DataFrame
        A sweep's rows (one per task, sorted by ``task``; ``recovered`` nullable boolean), or
        a run's ``summary.parquet``.

    Raises
    ------
    FileNotFoundError
        If the directory holds neither sweep parts nor a run's summary.
    """
    directory = Path(directory)
    parts = directory / "parts"
    if parts.is_dir() and any(parts.glob("part-*.parquet")):
        import pyarrow.parquet as pq

        # one multi-threaded read of every part (temporary files are hidden: dot names)
        frame = pq.read_table(parts).to_pandas()
        frame["recovered"] = frame["recovered"].astype("boolean")
        return frame.sort_values("task", kind="stable").reset_index(drop=True)
    summary = directory / "summary.parquet"
    if summary.exists():
        return pd.read_parquet(summary)
    raise FileNotFoundError(f"{directory} holds neither sweep parts nor a run's summary")
