"""Timing helpers shared by the benchmark scripts (run them as ``python benchmarks/NAME.py``)."""

import statistics
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


def fmt(seconds: float) -> str:
    """A duration in us, ms or s, 8 characters wide."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds:8.2f} s "


def interleaved(
    calls: dict[str, Callable[[], object]], rounds: int, per_round: int
) -> dict[str, list[float]]:
    """Time several calls in turns, on a shared machine: each round runs every call
    ``per_round`` times, one call after the other, and keeps each call's median of the round.

    Returns
    -------
    dict
        For each name, its per-round medians in seconds (rounds in order, so that two calls'
        round ``r`` were taken moments apart and their ratio is fair).
    """
    out: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, fn in calls.items():
            times = []
            for _ in range(per_round):
                start = time.perf_counter()
                fn()
                times.append(time.perf_counter() - start)
            out[name].append(statistics.median(times))
    return out


def spread(values: list[float]) -> tuple[float, float, float]:
    """The median and the 10th and 90th percentiles of ``values``."""
    ordered = sorted(values)
    n = len(ordered)
    return (statistics.median(ordered), ordered[int(0.1 * (n - 1))],
            ordered[int(round(0.9 * (n - 1)))])
