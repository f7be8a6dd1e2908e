"""The Wright--Fisher process: a well-mixed population with non-overlapping generations.

Beside the Moran process (:mod:`evopolity.dynamics.finite`, one birth and one death per
event), the whole population is replaced at once each generation by multinomial sampling of
the parents' types in proportion to fitness (Fisher 1930, Wright 1931; Ewens 2004). The
kernels, with exact binomial draws, are in :mod:`evopolity.kernels.wright_fisher`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from evopolity.dynamics.finite import _record_points, population_counts
from evopolity.dynamics.structured import FixationEstimate, _estimate, strategy_index
from evopolity.dynamics.trajectory import Trajectory
from evopolity.kernels import wright_fisher as _wf
from evopolity.kernels.rng import packed_seed, stream_key
from evopolity.validate import (
    as_payoff_matrix,
    boolean,
    check_magnitude,
    integer,
    nonnegative,
    probability,
    seed_sequence,
)

__all__ = ["wright_fisher", "wright_fisher_fixation"]

_EXP_SPAN = 700.0


def _selection(selection: Any, A: np.ndarray) -> float:
    w = nonnegative(selection, "selection")
    check_magnitude(
        w * float(A.max() - A.min()), _EXP_SPAN, "selection * (largest - smallest payoff)",
        "fitnesses exp(selection * payoff) would span more than a double holds; lower "
        "selection or scale the payoffs down",
    )  # fmt: skip
    return w


def wright_fisher(
    payoffs: Any,
    N: int,
    x0: Any,
    generations: int,
    selection: float = 1.0,
    mutation: float = 0.0,
    seed: int | np.random.SeedSequence | None = None,
    *,
    record_every: int | None = None,
    stop_on_fixation: bool | None = None,
) -> Trajectory:
    r"""Simulate the frequency-dependent Wright--Fisher process.

    Each generation the ``N`` offspring pick their parent's type independently, type ``i``
    with probability :math:`p_i = n_i f_i / \sum_j n_j f_j`, fitness :math:`f_i = e^{w
    \pi_i}` and :math:`\pi_i = (\sum_j n_j A_{ij} - A_{ii})/(N-1)` the mean payoff against the
    *other* ``N - 1`` (as in :func:`moran`); each offspring then mutates with probability
    ``mutation`` to a uniformly chosen other type, :math:`p'_i = (1-\mu) p_i + \mu (1 - p_i)/(k
    - 1)`, and the new counts are :math:`\mathrm{Multinomial}(N, p')`.

    Without selection a type's frequency is a martingale, so one fixes with probability its
    initial frequency; under weak constant selection (fitness ``1 + s`` against 1) a type at
    frequency ``p`` fixes with about :math:`(1 - e^{-2Nsp}) / (1 - e^{-2Ns})` (Kimura 1962's
    diffusion approximation), twice the Moran process's ``s`` per generation of ``N`` events.

    Parameters
    ----------
    payoffs : array_like, DataFrame or object with ``.payoffs``
        k x k interaction matrix.
    N : int
        Population size (>= 2).
    x0 : array_like, Series or dict
        Initial counts (integers summing to ``N``) or frequencies (with ``N x0`` whole).
    generations : int
        Generations to run (each replaces all ``N`` individuals, unlike :func:`moran`'s
        single events).
    selection : float
        The intensity of selection ``w >= 0``.
    mutation : float
        Mutation probability per offspring, in [0, 1].
    seed : int, SeedSequence or None
        None (default) draws fresh entropy; an int reproduces the result. Recorded in
        ``params["seed"]``.
    record_every : int, optional
        Record every this many generations (default: at most ~10^4 rows); the last is always
        recorded.
    stop_on_fixation : bool, optional
        Stop once one type holds everyone (default: when ``mutation == 0``).

    Returns
    -------
    Trajectory
        Frequencies ``counts / N`` by generation; ``info`` has ``fixated``, ``winner`` and
        ``generations`` (run).

    Raises
    ------
    ValueError
        For a parameter out of range, an initial state that is not ``N`` individuals, or a
        ``selection`` so strong that fitnesses overflow.
    """
    A, names = as_payoff_matrix(payoffs)
    k = A.shape[0]
    N = integer(N, "N", 2, 2**53)
    counts = population_counts(x0, N, names)
    generations = integer(generations, "generations", 0)
    w = _selection(selection, A)
    mu = probability(mutation, "mutation")
    if mu > 0 and k < 2:
        raise ValueError("mutation needs at least 2 strategies")
    if stop_on_fixation is None:
        stop_on_fixation = mu == 0.0
    stop_on_fixation = boolean(stop_on_fixation, "stop_on_fixation")
    ss = seed_sequence(seed)
    pts = _record_points(generations, record_every, k)
    out = np.empty((pts.size, k))
    n = counts.copy()
    t, winner = _wf.simulate(A, N, n, w, mu, pts, bool(stop_on_fixation),
                             np.uint64(stream_key(packed_seed(ss), 0, 0)), out)  # fmt: skip
    return Trajectory(
        pts.astype(np.float64),
        out / N,
        names,
        params={
            "dynamic": "wright_fisher",
            "N": N,
            "x0": counts,
            "selection": w,
            "mutation": mu,
            "payoffs": A,
            "seed": ss.entropy,
            "generations": generations,
        },
        info={
            "fixated": bool(winner >= 0),
            "winner": names[winner] if winner >= 0 else None,
            "generations": int(t),
        },
    )


def wright_fisher_fixation(
    payoffs: Any,
    N: int,
    selection: float = 1.0,
    runs: int = 10_000,
    seed: int | np.random.SeedSequence | None = None,
    mutant: int | str = 0,
    resident: int | str = 1,
    *,
    start: int = 1,
    max_generations: int | None = None,
) -> FixationEstimate:
    """Estimate the probability that ``start`` mutants take over a Wright--Fisher population.

    Runs of :func:`wright_fisher` without mutation from ``start`` mutants among ``N - start``
    residents until one type holds everyone, spread over numba's threads, run ``r`` keyed by
    ``r`` (the same estimate for a seed whatever the number of threads). The neutral
    reference is ``start / N``.

    Parameters
    ----------
    payoffs : array_like, DataFrame or object with ``.payoffs``
        The k x k game.
    N : int
        Population size (>= 2).
    selection : float
        The intensity of selection ``w >= 0``.
    runs : int
        Independent runs (>= 1).
    seed : int, SeedSequence or None
        None (default) draws fresh entropy; an int reproduces the estimate.
    mutant, resident : int or str
        The strategies (indices or names), different.
    start : int
        Initial mutants, in ``1 .. N - 1``.
    max_generations : int, optional
        Generations after which a run stops unabsorbed (default: no limit); such runs count
        as not fixed, with a ``RuntimeWarning``.

    Returns
    -------
    FixationEstimate
        ``probability``, ``stderr``, mean ``fixation_time`` in generations, and more.

    Raises
    ------
    ValueError
        For ``mutant == resident`` or a parameter out of range.
    """
    A, names = as_payoff_matrix(payoffs)
    m = strategy_index(mutant, names, "mutant")
    res = strategy_index(resident, names, "resident")
    if m == res:
        raise ValueError(f"mutant and resident must differ, both are {names[m]!r}")
    A2 = np.ascontiguousarray(A[np.ix_([m, res], [m, res])])
    N = integer(N, "N", 2, 2**53)
    start = integer(start, "start", 1, N - 1)
    w = _selection(selection, A2)
    runs = integer(runs, "runs", 1, 10**10)
    cap = 2**62 if max_generations is None else integer(max_generations, "max_generations")
    ss = seed_sequence(seed)
    fixed = np.empty(runs, np.int8)
    times = np.empty(runs, np.int64)
    _wf.fixation(A2, N, start, w, runs, packed_seed(ss), cap, fixed, times)
    return _estimate(fixed, times, start / N)
