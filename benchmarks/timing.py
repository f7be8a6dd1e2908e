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


def optional(name: str):
    """The module ``name``, or ``None`` (said on stdout) when it cannot be imported: a peer
    that is not installed skips its comparison instead of failing the script."""
    import importlib

    try:
        return importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - any import failure means "not available"
        print(f"  ({name} not available: {type(exc).__name__}: {exc}; comparison skipped)")
        return None


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


def paired_ratio(numerator: list[float], denominator: list[float]) -> tuple[float, float, float]:
    """The median and 10th-90th percentiles of the per-round ratios ``numerator[r] /
    denominator[r]`` of two calls timed by :func:`interleaved` (each round's pair was taken
    moments apart, so their ratio is fair on a shared machine)."""
    return spread([a / b for a, b in zip(numerator, denominator, strict=True)])


# Figures a script records for `benchmarks/run_all.py`, which regenerates docs/benchmarks.md
# from them (each script still prints its own tables for a reader at the terminal).
RESULTS: list[dict] = []


def record(
    section: str,
    work: str,
    ratio: float | None = None,
    *,
    ours: str = "",
    reference: str = "",
    spread: str = "",
    goal: str = "",
    met: bool | None = None,
    low: float | None = None,
    high: float | None = None,
    better: str = "higher",
) -> None:
    """Keep one figure for the generated benchmark page.

    Parameters
    ----------
    section : str
        The table the figure belongs to (e.g. ``"Tournaments"``).
    work : str
        What was timed, a row label unique within the section; the key under which the
        previous run's figure is found and printed beside this one.
    ratio : float, optional
        The headline number: ours against the peer or the ceiling, measured in the same run
        (a median of interleaved rounds), larger is better.
    ours, reference, spread, goal : str
        Our time or rate, the peer's or the ceiling's, the spread of the ratio over rounds
        (e.g. ``"[10%..90%] 0.41..0.47"``) and the issue's goal, as printed.
    met : bool, optional
        Whether the goal is met (``None``: the row has no goal).
    low, high : float, optional
        The ratio's 10th and 90th percentiles over the interleaved rounds (:func:`spread`):
        the page generator marks a figure that got worse than the previous run's by more than
        these spreads, and prints ``spread`` from them when it is not given.
    better : {"higher", "lower"}
        Which way the ratio improves: ``"lower"`` for a cost ratio (a regime's time over the
        bare game's, at most 1.5x).
    """
    if better not in ("higher", "lower"):
        raise ValueError(f"better must be 'higher' or 'lower', got {better!r}")
    if not spread and low is not None and high is not None:
        spread = f"{low:.3g}..{high:.3g}"
    RESULTS.append(dict(section=section, work=work, ratio=ratio, ours=ours,
                        reference=reference, spread=spread, goal=goal, met=met, low=low,
                        high=high, better=better))  # fmt: skip


def save_results(script: str) -> None:
    """Write the recorded figures to ``$EVOPOLITY_BENCH_JSON/<script>.json`` when that
    variable names a directory (``run_all.py`` sets it); otherwise do nothing."""
    import json
    import os

    directory = os.environ.get("EVOPOLITY_BENCH_JSON")
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, f"{script}.json"), "w") as fh:
        json.dump({"script": script, "load_average": os.getloadavg(), "results": RESULTS}, fh,
                  indent=1)  # fmt: skip
