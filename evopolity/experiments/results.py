"""Reading results back: what a directory holds, its frames, and a sweep's axes.

A *run directory* (``experiments.run``) holds the Parquet files of
:data:`~evopolity.experiments.storage.RUN_FILES`; a *sweep directory*
(``experiments.sweep``) holds ``parts/part-*.parquet`` and ``sweep.json``
(:mod:`evopolity.experiments.storage`). :func:`load` reads either as one tidy DataFrame.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from evopolity.experiments.storage import (
    PART_GLOB,
    PART_NAME,
    PARTS,
    RUN_FILES,
    SWEEP_META,
    PartsWarning,
    scan_parts,
    warn_strays,
)

__all__ = ["load", "directory_kind", "read_run", "read_sweep", "sweep_axes",
           "continuation_results", "ensemble_results"]


def directory_kind(directory: str | Path) -> str | None:
    """What a directory holds: ``"sweep"``, ``"run"``, or ``None``.

    Parameters
    ----------
    directory : str or Path
        A directory written by ``experiments.sweep`` or ``experiments.run`` (or anything).

    Returns
    -------
    str or None
        ``"sweep"`` if it holds a file named as a part (a sweep that has begun), else
        ``"run"`` if it holds any of the run files, else ``None``.
    """
    root = Path(directory)
    if any(PART_NAME.fullmatch(p.name) for p in (root / PARTS).glob(PART_GLOB)):
        return "sweep"
    if any((root / name).is_file() for name in RUN_FILES):
        return "run"
    return None


def read_sweep(directory: str | Path) -> pd.DataFrame:
    """Every part of a sweep directory as one frame, one row per finished task, by task.

    Parameters
    ----------
    directory : str or Path
        A sweep directory.

    Only the parts the sweep writes are read: ``parts/part-NNNNNN.parquet`` for a task of the
    sweep (``sweep.json`` gives their number and the axes), each verified
    (:func:`~evopolity.experiments.storage.scan_parts`). Anything else there (a copy such as
    ``part-000003.parquet.bak``, a subdirectory) is named in a
    :class:`~evopolity.experiments.storage.PartsWarning` and left out, as is a bad part
    (truncated, empty, of another task), which the sweep runs again when resumed.

    Returns
    -------
    DataFrame
        Columns ``task, regime, scenario, seed``, the swept axes (e.g. ``regime.fine``, as
        written in the spec) and the outcome of :func:`evopolity.analysis.compare.outcome`;
        ``recovered`` is a nullable boolean.

    Raises
    ------
    FileNotFoundError
        If the directory holds no good part.
    """
    import warnings

    import pyarrow as pa

    root = Path(directory)
    parts = root / PARTS
    meta = root / SWEEP_META
    info = json.loads(meta.read_text()) if meta.is_file() else {}
    axes = info.get("axes") or {}
    scan = scan_parts(parts, info.get("tasks"), list(axes))
    warn_strays(scan.strays, parts)
    for task, (path, reason) in sorted(scan.bad.items()):
        warnings.warn(f"bad part of task {task} not read ({path.name}: {reason}); resuming the "
                      "sweep runs it again", PartsWarning, stacklevel=2)
    if not scan.good:
        raise FileNotFoundError(f"{directory} holds no sweep parts ({PARTS}/{PART_GLOB})")
    tables = [scan.good[t] for t in sorted(scan.good)]
    frame = pa.concat_tables(tables, promote_options="permissive").to_pandas()
    frame["recovered"] = frame["recovered"].astype("boolean")
    return frame.reset_index(drop=True)


def read_run(directory: str | Path) -> dict[str, pd.DataFrame | None]:
    """The frames of a run directory, by name (``None`` for a file that is absent).

    Parameters
    ----------
    directory : str or Path
        A run directory.

    Returns
    -------
    dict
        ``{"trajectories": ..., "macro": ..., "summary": ..., "events": ...}``.
    """
    root = Path(directory)
    out: dict[str, pd.DataFrame | None] = {}
    for name in RUN_FILES:
        path = root / name
        out[path.stem] = pd.read_parquet(path) if path.is_file() else None
    return out


def sweep_axes(directory: str | Path, frame: pd.DataFrame) -> list[str]:
    """The swept columns of a sweep, in the spec's order.

    Parameters
    ----------
    directory : str or Path
        The sweep directory (its ``sweep.json`` names the axes).
    frame : DataFrame
        Its rows (:func:`read_sweep`): axes absent from them are left out.

    Returns
    -------
    list of str
        The axes of ``sweep.json``; without it, the dotted columns (``regime.fine``).
    """
    meta = Path(directory) / SWEEP_META
    if meta.is_file():
        axes = json.loads(meta.read_text()).get("axes", {})
        names = list(axes) if isinstance(axes, dict) else [str(a) for a in axes]
        return [a for a in names if a in frame.columns]
    return [c for c in frame.columns if "." in str(c)]


def load(directory: str | Path) -> pd.DataFrame:
    """A sweep directory's rows as one DataFrame (by task), or a run directory's summary.

    Parameters
    ----------
    directory : str or Path
        Written by ``experiments.sweep`` or ``experiments.run``.

    Returns
    -------
    DataFrame
        A sweep: :func:`read_sweep`. A run: ``summary.parquet``, one row per run.

    Raises
    ------
    FileNotFoundError
        If the directory holds neither sweep parts nor a run's summary.
    """
    root = Path(directory)
    if directory_kind(root) == "sweep":
        return read_sweep(root)
    summary = root / "summary.parquet"
    if summary.is_file():
        return pd.read_parquet(summary)
    raise FileNotFoundError(f"{directory} holds neither sweep parts nor a run's summary")


def continuation_results(frame: pd.DataFrame, spec: Any = None,
                       tol: float | None = None) -> pd.DataFrame:
    """A continuation directory's rows, with ``differs`` marked per regime.

    Parameters
    ----------
    frame : DataFrame
        The parts (:func:`evopolity.load` of the directory).
    spec : Spec, optional
        The spec (its ``continuation.tol``).
    tol : float, optional
        The tolerance (default: the spec's, else 0.02).

    Returns
    -------
    DataFrame
        ``frame`` with ``differs``, by task.
    """
    from evopolity.analysis.continuation import branches_differ

    if tol is None:
        tol = spec.continuation.tol if spec is not None else 0.02
    frame = frame.sort_values("task").reset_index(drop=True)
    state = [c for c in frame.columns if c.startswith("x_")] + ["institution_strength"]
    frame["differs"] = False
    for _, g in frame.groupby("regime", sort=False):
        try:
            frame.loc[g.index, "differs"] = branches_differ(g, state, tol)
        except ValueError:  # an unfinished continuation: a value without its down run
            pass
    return frame


def ensemble_results(frame: pd.DataFrame, same: float = 1e-3) -> pd.DataFrame:
    """An ensemble directory's rows, with ``attractor`` labels shared within each regime.

    Parameters
    ----------
    frame : DataFrame
        The parts (:func:`evopolity.load` of the directory).
    same : float
        States closer than this are one attractor.

    Returns
    -------
    DataFrame
        ``frame`` by task, with ``attractor``.
    """
    from evopolity.analysis.ensemble import same_attractors

    frame = frame.sort_values("task").reset_index(drop=True)
    finals = [c for c in frame.columns if c.startswith("final_")]
    frame["attractor"] = ""
    for _, g in frame.groupby("regime", sort=False):
        frame.loc[g.index, "attractor"] = same_attractors(
            g[finals].to_numpy(), g["kind"], g["description"], same)
    return frame
