"""Experiments: TOML specs, runs and sweeps (stored as Parquet parts), reading results back,
the report and the figures. Imports :mod:`evopolity.analysis` and the wings beneath it;
only :mod:`evopolity.cli` imports this wing.
"""

from evopolity.experiments.runner import (
    ExperimentError,
    load,
    run,
    run_task,
    summary_table,
    sweep,
    sweep_tasks,
    task_of,
    tasks_of,
    write_parquet,
)

__all__ = [
    "ExperimentError",
    "load",
    "run",
    "run_task",
    "summary_table",
    "sweep",
    "sweep_tasks",
    "task_of",
    "tasks_of",
    "write_parquet",
]
