"""Experiments: TOML specs, runs and sweeps (stored as Parquet parts), reading results back,
the report and the figures. Imports :mod:`evopolity.analysis` and the wings beneath it;
only :mod:`evopolity.cli` imports this wing.

One job per module, imports only downwards in this list (no cycle):

``spec``        the TOML specification, validated
``storage``     atomic writes, the layout of a sweep directory
``results``     reading a run or sweep directory back (``load``)
``tasks``       the unit of work, what a worker runs
``executors``   in this process, a process pool, Dask
``report``      the summary table and ``report.md``
``figures``     the figures (reads through ``results``)
``runner``      ``run`` and ``sweep``: tasks to executors to storage, report and figures
"""

from evopolity.experiments.report import summary_table
from evopolity.experiments.results import load
from evopolity.experiments.runner import run, sweep
from evopolity.experiments.storage import ExperimentError, write_parquet
from evopolity.experiments.tasks import run_task, sweep_tasks, task_of, tasks_of

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
