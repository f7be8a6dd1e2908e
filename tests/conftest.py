"""Shared test fixtures. axelrod is imported only by the tests that cross-check against it."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

import evopolity

# Property tests draw the same examples on every run unless asked otherwise: a landing must not
# hang on a lucky draw, and a failure seen once is seen again. HYPOTHESIS_PROFILE=explore draws
# fresh examples (and keeps hypothesis's database of failures) for a developer looking for bugs.
settings.register_profile("fixed", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed"))

# the directory that holds the evopolity package the tests import, so that a child interpreter
# imports the same code (and finds its numba cache: no second compilation)
PACKAGE_ROOT = str(Path(evopolity.__file__).resolve().parents[1])


@pytest.fixture(scope="session")
def axl():
    """axelrod, imported once for the session (every test that plays it asks for this).

    ``import axelrod`` classifies every strategy class, and its transformers call
    ``inspect.getsource`` ~12,000 times on 28 distinct objects: re-reading and re-tokenising
    the same sources is most of its import time (3-4x). During the import alone, each
    object's source is read once; the text is the same, so axelrod classifies the same way.
    """
    import inspect

    getsource, sources = inspect.getsource, {}

    def getsource_once(obj):
        key = getattr(obj, "__func__", obj)  # a bound method's source is its function's
        if key not in sources:
            sources[key] = getsource(obj)
        return sources[key]

    inspect.getsource = getsource_once
    try:
        import axelrod
    finally:
        inspect.getsource = getsource
    return axelrod


@pytest.fixture
def two_thread_pool(tmp_path):
    """Run code in a fresh interpreter whose numba pool has exactly two threads.

    numba fixes the pool size when it starts, from ``NUMBA_NUM_THREADS`` (default: the number of
    cores), so a test that compares one thread with two in-process compares nothing on a
    one-core machine. The child gets ``NUMBA_NUM_THREADS=2`` whatever the machine (two threads
    also run, time-sliced, on one core), checks it has them, runs ``code`` with ``numba``,
    ``np`` and ``ep`` imported, and returns the arrays ``code`` put in the dict ``results``.
    """

    def run(code):
        out = tmp_path / "results.npz"
        script = "\n".join([
            "import sys, numba, numpy as np, evopolity as ep",
            "assert numba.config.NUMBA_NUM_THREADS == 2, numba.config.NUMBA_NUM_THREADS",
            "results = {}",
            textwrap.dedent(code),
            "np.savez(sys.argv[1], **results)",
        ])  # fmt: skip
        path = os.pathsep.join(filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))
        env = dict(os.environ, NUMBA_NUM_THREADS="2", PYTHONPATH=path)
        proc = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True,
                              text=True, env=env, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        with np.load(out) as data:
            return dict(data)

    return run


@pytest.fixture
def record_part_writes(monkeypatch):
    """Call to start recording the tasks whose parts a sweep writes, in order (a list)."""
    from evopolity.experiments import storage

    def start() -> list[int]:
        written: list[int] = []
        original = storage.SweepDirectory.write

        def recording(self, task, row):
            written.append(task)
            original(self, task, row)

        monkeypatch.setattr(storage.SweepDirectory, "write", recording)
        return written

    return start
