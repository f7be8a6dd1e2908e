"""Timing helpers shared by the benchmark scripts (run them as ``python benchmarks/NAME.py``)."""

import time
from collections.abc import Callable


def best(fn: Callable[[], object], repeat: int) -> float:
    """The shortest of ``repeat`` wall-clock times of ``fn()``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)
