"""Finite populations, solved: fixation probabilities, stationary distributions, gradients.

The exact counterparts of the simulations in :mod:`evopolity.dynamics.finite` (same processes, same
conventions: payoffs exclude self-interaction, Moran fitness ``exp(w pi)`` (or, with
``fitness_map="linear"``, ``1 - w + w pi``), Fermi imitation
``1 / (1 + exp(-beta (pi_model - pi_focal)))``; ``selection`` is ``w`` or ``beta``).

Adding a constant to every payoff changes none of these results under the Fermi rule and
the exponential Moran fitness (both depend on payoff differences only); under the linear
Moran fitness it acts as a change of the intensity of selection.

Group games (:class:`~evopolity.play.group_games.GroupGame`) are accepted wherever a payoff matrix
is, for the pairwise results (fixation probabilities, the small-mutation stationary
distribution, the pairwise gradient): with ``j`` mutants among ``N`` the payoff of each type is
the hypergeometric expectation over its ``n - 1`` co-players drawn without replacement from the
``N - 1`` others (e.g. Sigmund et al. 2010, Methods), which for ``n = 2`` is the matrix game's
``((j-1)a + (N-j)b)/(N-1)``.

References
----------
Nowak, Sasaki, Taylor & Fudenberg (2004), "Emergence of cooperation and evolutionary
stability in finite populations", Nature 428, 646-650.
Traulsen, Shoresh & Nowak (2008), "Analytical results for individual and group selection of
any intensity", Bull. Math. Biol. 70, 1410-1424.
Traulsen, Nowak & Pacheco (2006), "Stochastic dynamics of invasion and fixation",
Phys. Rev. E 74, 011909.
Fudenberg & Imhof (2006), "Imitation processes with small mutations", J. Econ. Theory 131.
Grassmann, Taksar & Heyman (1985), "Regenerative analysis and steady state distributions for
Markov chains", Oper. Res. 33, 1107-1116.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd

from evopolity.dynamics.fitness import moran_rule
from evopolity.kernels import analytical as _ak
from evopolity.kernels import codes
from evopolity.kernels import group as _gk
from evopolity.kernels.gth import log_gth_stationary
from evopolity.play.group_games import GroupGame
from evopolity.validate import (
    MAX_ROWS,
    as_payoff_matrix,
    boolean,
    check_size,
    integer,
    nonnegative,
    probability,
)

__all__ = [
    "fixation_probability",
    "fixation_matrix",
    "stationary_distribution",
    "gradient_of_selection",
]

Rule = Literal["moran", "fermi"]
FitnessMap = Literal["exponential", "linear"]
MAX_BAND_BYTES = 2_000_000_000
#: The most payoff evaluations (population sizes times pairs of strategies) one call may do.
MAX_WORK = 10_000_000_000


def _interactions(payoffs: Any, N: Any) -> tuple[np.ndarray | None, tuple[str, ...], int]:
    """``(A, names, N)`` of a matrix game, or ``(None, names, N)`` of a group game (whose
    population must hold at least one group)."""
    N = integer(N, "N", 2)
    if isinstance(payoffs, GroupGame):
        if N < payoffs.group_size:
            raise ValueError(
                f"N must be >= group_size = {payoffs.group_size} for a group game, got {N}"
            )
        return None, payoffs.strategies, N
    A, names = as_payoff_matrix(payoffs)
    return A, names, N


def _check_work(payoffs: Any, N: int, pairs: int) -> None:
    """Refuse analytical results whose loops over ``j = 1..N`` for ``pairs`` pairs (times a
    group game's group size) would run for hours."""
    per = payoffs.group_size if isinstance(payoffs, GroupGame) else 1
    check_size(float(N) * pairs * per, MAX_WORK, "payoff evaluations", "N", unit="")


def _group_log_fixation(game: GroupGame, code: int, N: int, s: float) -> np.ndarray:
    others, pf = game.kernel_tables()
    out = np.empty((game.k, game.k))
    _gk.log_fixation_matrix(code, others, pf, N, s, out)
    return out


def _rule(rule: Any, selection: Any, A: np.ndarray | GroupGame,
          fitness_map: Any = "exponential") -> tuple[int, float]:
    """Kernel code and validated intensity of selection for ``rule`` (and, for Moran, the
    map from payoff to fitness: :func:`evopolity.dynamics.fitness.moran_rule`)."""
    if rule == "moran":
        lowest = A.payoff_range()[0] if isinstance(A, GroupGame) else float(A.min())
        return moran_rule(fitness_map, selection, lowest)
    if rule == "fermi":
        if fitness_map != "exponential":
            raise ValueError(
                f"fitness_map is the Moran process's (the Fermi rule reads payoff differences);"
                f" leave it at 'exponential' with rule='fermi', got {fitness_map!r}"
            )
        return codes.FERMI, nonnegative(selection, "selection")
    raise ValueError(f"rule must be 'moran' or 'fermi', got {rule!r}")


def _check_magnitude(A: np.ndarray | GroupGame, N: int, s: float) -> None:
    """Refuse payoffs whose sums over a population overflow a double.

    The payoff of a type at ``j`` mutants sums up to ``N - 1`` payoffs, and the Fermi rule
    multiplies a difference of two such means (up to twice the largest payoff) by the
    selection: past 1.8e308 these become ``inf`` and then ``inf - inf = nan``. Such payoffs
    are refused, with a way out, rather than turned into NaN.
    """
    lo, hi = A.payoff_range() if isinstance(A, GroupGame) else (float(A.min()), float(A.max()))
    big = max(abs(lo), abs(hi))
    with np.errstate(over="ignore"):
        reach = np.float64(big) * np.float64(N) * 2.0 * max(np.float64(s), 1.0)
    if not np.isfinite(reach):
        raise ValueError(
            f"payoffs as large as {big:g} with N = {N} and selection = {s:g} overflow a double "
            "(N * max|payoff| * 2 * max(selection, 1) > 1.8e308), which would make the "
            "result NaN; rescale the payoffs (under rule='fermi' dividing them by c and "
            "multiplying selection by c changes nothing)"
        )


def _index(which: Any, names: tuple[str, ...], name: str) -> int:
    if isinstance(which, str):
        if which not in names:
            raise ValueError(f"{name} must be a strategy name in {list(names)}, got {which!r}")
        return names.index(which)
    if isinstance(which, bool) or not isinstance(which, int | np.integer):
        raise TypeError(f"{name} must be a strategy index or name, got {which!r}")
    if not 0 <= which < len(names):
        raise ValueError(f"{name} must lie in [0, {len(names) - 1}], got {which}")
    return int(which)


def _pair(mutant: Any, resident: Any, names: tuple[str, ...]) -> tuple[int, int]:
    """Indices of ``mutant`` and ``resident``, which must be two different strategies."""
    m = _index(mutant, names, "mutant")
    r = _index(resident, names, "resident")
    if m == r:
        raise ValueError(
            f"mutant and resident must be different strategies, got mutant={mutant!r} and "
            f"resident={resident!r} (both {names[m]!r})"
        )
    return m, r


def fixation_probability(
    payoffs: Any,
    N: int,
    rule: Rule = "moran",
    selection: float = 1.0,
    mutant: int | str = 0,
    resident: int | str = 1,
    *,
    log: bool = False,
    fitness_map: FitnessMap = "exponential",
) -> float:
    r"""Probability that a single ``mutant`` takes over a population of ``N - 1`` ``resident``.

    .. math::

        \rho = \Big(1 + \sum_{k=1}^{N-1} \prod_{j=1}^{k} \gamma_j\Big)^{-1},
        \qquad \gamma_j = \frac{T^-(j)}{T^+(j)}

    with, for ``j`` mutants, :math:`\pi_A = ((j-1)a + (N-j)b)/(N-1)`,
    :math:`\pi_B = (jc + (N-j-1)d)/(N-1)` (``a, b, c, d`` the mutant/resident entries of
    ``A``), and :math:`\gamma_j = f_B / f_A` for the Moran process, with fitness :math:`f =
    e^{w\pi}` (Traulsen, Shoresh & Nowak 2008; ``fitness_map="exponential"``) or :math:`f = 1 - w +
    w\pi` (Nowak et al. 2004; ``fitness_map="linear"``), or :math:`\gamma_j =
    e^{-\beta(\pi_A-\pi_B)}` for the Fermi rule (Traulsen et al. 2006). The exponential Moran
    process and the Fermi rule with ``beta = w`` share :math:`\gamma_j` and so their fixation
    probabilities. The sum is taken in log space, so ``1e-30`` is returned as such.

    For a group game the payoffs at ``j`` mutants are hypergeometric sums over the ``n - 1``
    co-players (:meth:`~evopolity.play.group_games.GroupGame.finite_payoffs`).

    Parameters
    ----------
    payoffs : array_like, DataFrame, object with ``.payoffs``, or GroupGame
        The k x k interaction matrix, or an n-player game.
    N : int
        Population size (>= 2, and >= the group size of a group game).
    rule : {"moran", "fermi"}
        The update: the frequency-dependent Moran process or pairwise comparison with the
        Fermi rule.
    selection : float
        The intensity of selection: ``w >= 0`` (Moran; in [0, 1] with
        ``fitness_map="linear"``, whose fitnesses ``1 - w + w pi`` must stay positive) or
        ``beta >= 0`` (Fermi).
    mutant, resident : int or str
        Strategy indices or names; two different strategies.
    log : bool
        Return ``log(rho)`` (for probabilities below 1e-308).
    fitness_map : {"exponential", "linear"}
        The Moran process's map from payoff to fitness: ``exp(w pi)`` (default; a constant
        added to every payoff changes nothing) or ``1 - w + w pi`` (Nowak et al. 2004; a
        constant changes the result). Only ``"exponential"`` with ``rule="fermi"``.

    Returns
    -------
    float
        ``rho`` (or ``log(rho)``).

    Raises
    ------
    ValueError
        For an unknown rule or ``fitness_map``, a ``selection`` out of range (or one that makes a
        linear Moran fitness non-positive), ``N`` below 2 or below a group game's group size, an
        unknown strategy, or ``mutant`` the same strategy as ``resident`` (a mutant identical to the
        residents is no mutant; :func:`fixation_matrix` gives its neutral ``1 / N`` on the
        diagonal).

    Examples
    --------
    >>> float(round(fixation_probability([[1, 2], [3, 1]], N=4, fitness_map="linear") * 45,
    ...             12))  # Nowak et al. 2004, linear fitness at w = 1
    8.0
    """
    A, names, N = _interactions(payoffs, N)
    code, s = _rule(rule, selection, payoffs if A is None else A, fitness_map)
    _check_magnitude(payoffs if A is None else A, N, s)
    m, r = _pair(mutant, resident, names)
    _check_work(payoffs, N, 1)
    log = boolean(log, "log")
    if A is None:
        others, pf = payoffs.kernel_tables()
        pa = np.empty(payoffs.group_size)
        pb = np.empty(payoffs.group_size)
        _gk.pair_table(others, pf, m, r, pa, pb)
        value = _gk.pair_log_fixation(code, pa, pb, N, s)
    else:
        value = _ak.log_fixation(code, A[m, m], A[m, r], A[r, m], A[r, r], N, s)
    return float(value) if log else math.exp(value)


def fixation_matrix(
    payoffs: Any,
    N: int,
    rule: Rule = "moran",
    selection: float = 1.0,
    *,
    log: bool = False,
    fitness_map: FitnessMap = "exponential",
) -> pd.DataFrame:
    """Fixation probabilities of every single mutant (rows) in every resident (columns).

    ``out.loc[m, r]`` is :func:`fixation_probability` with ``mutant=m, resident=r`` (Nowak
    et al. 2004 for Moran, Traulsen et al. 2006 for Fermi).

    Parameters
    ----------
    payoffs : array_like, DataFrame, object with ``.payoffs``, or GroupGame
        The k x k interaction matrix, or an n-player game.
    N : int
        Population size (>= 2, and >= the group size of a group game).
    rule : {"moran", "fermi"}
        The update: the frequency-dependent Moran process or pairwise comparison with the
        Fermi rule.
    selection : float
        The intensity of selection: ``w >= 0`` (Moran; in [0, 1] with
        ``fitness_map="linear"``, whose fitnesses ``1 - w + w pi`` must stay positive) or
        ``beta >= 0`` (Fermi).
    log : bool
        Return ``log(rho)`` (for probabilities below 1e-308).
    fitness_map : {"exponential", "linear"}
        The Moran process's map from payoff to fitness: ``exp(w pi)`` (default; a constant
        added to every payoff changes nothing) or ``1 - w + w pi`` (Nowak et al. 2004; a
        constant changes the result). Only ``"exponential"`` with ``rule="fermi"``.

    Returns
    -------
    DataFrame
        Index ``mutant``, columns ``resident``; the diagonal holds the neutral ``1 / N``.

    Raises
    ------
    ValueError
        For an unknown rule or ``fitness_map``, a ``selection`` out of range (or one that
        makes a linear Moran fitness non-positive), ``N`` below 2 or below a group game's
        group size, or an unknown strategy.
    """
    A, names, N = _interactions(payoffs, N)
    code, s = _rule(rule, selection, payoffs if A is None else A, fitness_map)
    _check_magnitude(payoffs if A is None else A, N, s)
    _check_work(payoffs, N, len(names) ** 2)
    log = boolean(log, "log")
    if A is None:
        out = _group_log_fixation(payoffs, code, N, s)
    else:
        out = np.empty_like(A)
        _ak.log_fixation_matrix(code, A, N, s, out)
    index = pd.Index(names, name="mutant")
    columns = pd.Index(names, name="resident")
    return pd.DataFrame(out if log else np.exp(out), index=index, columns=columns)


def stationary_distribution(
    payoffs: Any,
    N: int,
    rule: Rule = "moran",
    selection: float = 1.0,
    mutation: float | None = None,
    *,
    states: bool = False,
    fitness_map: FitnessMap = "exponential",
) -> pd.Series | pd.DataFrame:
    r"""Long-run distribution of the finite population under mutation and selection.

    ``mutation=None``: the small-mutation limit (Fudenberg & Imhof 2006). The population is
    almost always monomorphic; from ``r`` a mutant of each other strategy ``m`` arises with
    probability ``1/(k-1)`` and fixes with :math:`\rho_{m,r}`, which gives the embedded chain
    :math:`M_{rm} = \rho_{m,r}/(k-1)` on the ``k`` monomorphic states. Its stationary
    distribution (solved by GTH elimination) is returned as a Series over strategies.

    ``mutation=mu`` in (0, 1]: the full chain on all :math:`\binom{N+k-1}{k-1}` compositions,
    with the mutation of :func:`~evopolity.dynamics.finite.moran` /
    :func:`~evopolity.dynamics.finite.pairwise_comparison` (to a uniformly chosen other
    strategy). It is
    solved exactly by GTH elimination within the band the lexicographic order of compositions
    gives (O(S b^2) for S states and half-bandwidth b; k = 3, N = 100 in milliseconds).

    Parameters
    ----------
    payoffs : array_like, DataFrame, object with ``.payoffs``, or GroupGame
        The k x k interaction matrix, or an n-player game.
    N : int
        Population size (>= 2, and >= the group size of a group game).
    rule : {"moran", "fermi"}
        The update: the frequency-dependent Moran process or pairwise comparison with the
        Fermi rule.
    selection : float
        The intensity of selection: ``w >= 0`` (Moran; in [0, 1] with
        ``fitness_map="linear"``, whose fitnesses ``1 - w + w pi`` must stay positive) or
        ``beta >= 0`` (Fermi). ``np.inf``: the strong-selection limit of the small-mutation
        distribution, computed exactly (exponential Moran fitness or Fermi, which share it;
        ``mutation=None`` only). Each fixation probability is
        :math:`\rho = 1 / (1 + \sum_{i=1}^{N-1} e^{-w S_i})` with
        :math:`S_i = \sum_{j \le i} (\pi_A(j) - \pi_B(j))`, so as ``w`` grows
        :math:`\rho \sim e^{w m} / n` with :math:`m = \min(0, \min_i S_i)` and ``n`` the
        number of ``i`` in ``0..N-1`` (``S_0 = 0``) at which the minimum is reached (a
        mutant that never falls behind fixes with probability ``1 / n``: 1 if it is strictly
        ahead at every ``j``, 1/2 under one tie, ...). GTH elimination never subtracts, so it
        runs exactly on these asymptotic rates ``c e^{w m}`` (products multiply ``c`` and add
        ``m``, sums keep the largest exponent and add the ``c`` of tied ones); the limit puts
        weight on the states of the largest exponent, in proportion to their ``c``.
    mutation : float, optional
        ``None`` for the small-mutation limit, or the probability in (0, 1] that an offspring
        (Moran) or an updating individual (Fermi) mutates.
    states : bool
        With a mutation rate, return the distribution over all compositions.
    fitness_map : {"exponential", "linear"}
        The Moran process's map from payoff to fitness: ``exp(w pi)`` (default; a constant
        added to every payoff changes nothing) or ``1 - w + w pi`` (Nowak et al. 2004; a
        constant changes the result). Only ``"exponential"`` with ``rule="fermi"``.

    Returns
    -------
    Series or DataFrame
        The stationary weight of each monomorphic state (small-mutation limit), or the mean
        frequency of each strategy (full chain); with ``states=True`` a DataFrame of all
        compositions (one count column per strategy) and their ``probability``.

    Raises
    ------
    ValueError
        For an unknown rule or ``fitness_map``, a ``selection`` out of range (or one that makes a
        linear Moran fitness non-positive), ``N`` below 2 or below a group game's group size, or an
        unknown strategy. Also for fewer than 2 strategies, a reducible chain, a full chain too
        large to solve, ``states=True`` without a mutation rate, or a mutation rate with a group
        game.
    """
    A, names, N = _interactions(payoffs, N)
    if _is_infinite(selection):  # the strong-selection limit, computed exactly
        return _strong_selection_stationary(payoffs, A, names, N, rule, mutation, states,
                                            fitness_map)
    code, s = _rule(rule, selection, payoffs if A is None else A, fitness_map)
    _check_magnitude(payoffs if A is None else A, N, s)
    k = len(names)
    states = boolean(states, "states")
    if k < 2:
        raise ValueError("payoffs must have at least 2 strategies for a stationary distribution")
    if mutation is None:
        if states:
            raise ValueError("states=True needs a mutation rate (the full chain)")
        _check_work(payoffs, N, k * k)
        if A is None:
            logrho = _group_log_fixation(payoffs, code, N, s)
        else:
            logrho = np.empty_like(A)
            _ak.log_fixation_matrix(code, A, N, s, logrho)
        # M[r, m] = rho[m, r] / (k - 1) (the common factor 1 / (k - 1) dropped), solved in log
        # space: fixation probabilities of 1e-400 are common under strong selection
        off = logrho.T.copy()  # C order, as the kernel takes it
        np.fill_diagonal(off, -np.inf)
        logpi = np.empty(k)
        if not log_gth_stationary(off, logpi):
            raise ValueError("the small-mutation chain is reducible: a state cannot be left")
        pi = np.exp(logpi - logpi.max())
        pi /= pi.sum()
        return pd.Series(pi, index=pd.Index(names, name="strategy"), name="stationary")
    if A is None:
        raise ValueError(
            "the full chain (a mutation rate) is not available for group games; use "
            "mutation=None (the small-mutation limit)"
        )
    mu = probability(mutation, "mutation", zero=False)
    # sizes from the closed forms, before anything is enumerated: S compositions and, in
    # their lexicographic order, a one-individual move spans at most C(N+k-2, k-2) ranks
    S = math.comb(N + k - 1, k - 1)
    if S > 50_000_000:
        raise ValueError(
            f"N = {N} with k = {k} strategies gives a full chain of {S} states (more than "
            "50,000,000); lower N or k (or use mutation=None)"
        )
    band = math.comb(N + k - 2, k - 2)
    need = 8 * S * (2 * band + 1) + 8 * S * (k + 1)  # the band, the states and the result
    if need > MAX_BAND_BYTES:
        raise ValueError(
            f"N = {N} with k = {k} strategies gives a full chain ({S} states, bandwidth "
            f"{band}) that needs about {need / 1e9:.3g} GB, more than "
            f"{MAX_BAND_BYTES / 1e9:g} GB; lower N or k (or use mutation=None)"
        )
    comps = np.empty((S, k), np.int64)
    _ak.enumerate_compositions(N, k, comps)
    p = np.empty(S)
    if _ak.full_chain_stationary(code, A, N, s, mu, comps, band, p) != 0:
        raise ValueError("the chain is reducible: some state cannot be left")
    if states:
        frame = pd.DataFrame(comps, columns=list(names))
        frame["probability"] = p
        return frame
    return pd.Series(
        (p @ comps) / N, index=pd.Index(names, name="strategy"), name="mean frequency"
    )


def _is_infinite(selection: Any) -> bool:
    """Whether ``selection`` is +inf (the strong-selection limit)."""
    return isinstance(selection, float | int | np.floating) and not isinstance(selection, bool) \
        and float(selection) == math.inf


def _payoff_gaps(payoffs: Any, A: np.ndarray | None, m: int, r: int, N: int) -> np.ndarray:
    """``pi_m(j) - pi_r(j)`` for ``j = 1..N-1`` mutants ``m`` among residents ``r`` (payoffs
    exclude self-interaction; a group game's co-players are drawn without replacement)."""
    j = np.arange(1, N, dtype=np.float64)
    if A is not None:
        pm = ((j - 1) * A[m, m] + (N - j) * A[m, r]) / (N - 1)
        pr = (j * A[r, m] + (N - j - 1) * A[r, r]) / (N - 1)
        return pm - pr
    out = np.empty(N - 1)
    counts = np.zeros(payoffs.k, dtype=np.int64)
    for i in range(1, N):
        counts[:] = 0
        counts[m], counts[r] = i, N - i
        f = payoffs.finite_payoffs(counts).to_numpy()
        out[i - 1] = f[m] - f[r]
    return out


def _strong_selection_stationary(payoffs: Any, A: np.ndarray | None, names: tuple[str, ...],
                                 N: int, rule: Any, mutation: Any, states: Any,
                                 fitness_map: Any) -> pd.Series:
    """The ``selection = inf`` limit of the small-mutation stationary distribution.

    Rates are held as ``(c, e)`` meaning ``c exp(w e)`` as ``w -> inf``; GTH elimination
    (subtraction-free) runs on them exactly. Exponents closer than a tolerance (round-off of
    the payoff sums) are ties.
    """
    if rule not in ("moran", "fermi"):
        raise ValueError(f"rule must be 'moran' or 'fermi', got {rule!r}")
    if fitness_map != "exponential":
        raise ValueError(
            "selection = inf needs fitness_map='exponential' (the linear map takes selection "
            f"in [0, 1]), got {fitness_map!r}"
        )
    if mutation is not None or boolean(states, "states"):
        raise ValueError(
            "selection = inf is available in the small-mutation limit only (mutation=None, "
            "states=False)"
        )
    k = len(names)
    if k < 2:
        raise ValueError("payoffs must have at least 2 strategies for a stationary distribution")
    big = max(abs(v) for v in payoffs.payoff_range()) if A is None else float(np.abs(A).max())
    tol = 1e-9 * (1.0 + big) * N
    c = np.zeros((k, k))  # transition r -> m: mutant m fixes among residents r
    e = np.full((k, k), -np.inf)
    for r in range(k):
        for m in range(k):
            if m == r:
                continue
            S = np.concatenate([[0.0], np.cumsum(_payoff_gaps(payoffs, A, m, r, N))])
            low = min(0.0, float(S.min()))
            c[r, m] = 1.0 / int((S <= low + tol).sum())
            e[r, m] = low
    pc, pe = _asymptotic_gth(c, e, tol)
    top = pe.max()
    pi = np.where(pe >= top - tol, pc, 0.0)
    pi /= pi.sum()
    return pd.Series(pi, index=pd.Index(names, name="strategy"), name="stationary")


def _asymptotic_gth(c: np.ndarray, e: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """GTH elimination on rates ``c exp(w e)`` in the limit ``w -> inf``; returns the
    unnormalised stationary weights as ``(c, e)``."""
    c, e = c.copy(), e.copy()
    k = c.shape[0]

    def add(c1: float, e1: float, c2: float, e2: float) -> tuple[float, float]:
        if c1 == 0.0 or e2 > e1 + tol:
            return c2, e2
        if c2 == 0.0 or e1 > e2 + tol:
            return c1, e1
        return c1 + c2, max(e1, e2)

    for n in range(k - 1, 0, -1):
        sc, se = 0.0, -np.inf
        for j in range(n):
            sc, se = add(sc, se, c[n, j], e[n, j])
        if sc == 0.0:
            raise ValueError("the small-mutation chain is reducible: a state cannot be left")
        for i in range(n):
            if c[i, n] == 0.0:
                continue
            c[i, n], e[i, n] = c[i, n] / sc, e[i, n] - se
            for j in range(n):
                if c[n, j] == 0.0:
                    continue
                c[i, j], e[i, j] = add(c[i, j], e[i, j], c[i, n] * c[n, j], e[i, n] + e[n, j])
    pc, pe = np.zeros(k), np.full(k, -np.inf)
    pc[0], pe[0] = 1.0, 0.0
    for n in range(1, k):
        for i in range(n):
            if c[i, n] != 0.0:
                pc[n], pe[n] = add(pc[n], pe[n], pc[i] * c[i, n], pe[i] + e[i, n])
    return pc, pe


def gradient_of_selection(
    payoffs: Any,
    N: int,
    rule: Rule = "moran",
    selection: float = 1.0,
    mutant: int | str = 0,
    resident: int | str = 1,
    *,
    state: Any = None,
    mutation: float = 0.0,
    fitness_map: FitnessMap = "exponential",
) -> pd.Series:
    r"""The gradient of selection: expected change of strategy counts per event.

    Without ``state``: for a ``mutant`` among ``resident``\ s, the expected change
    :math:`G(j) = T^+(j) - T^-(j)` of the mutant count at every ``j = 0..N``, without mutation.
    Moran: :math:`T^+ = \frac{j f_A}{j f_A + (N-j) f_B}\frac{N-j}{N}`,
    :math:`T^- = \frac{(N-j) f_B}{j f_A + (N-j) f_B}\frac{j}{N}`; Fermi (focal and model
    drawn without replacement): :math:`G(j) = \frac{j(N-j)}{N(N-1)}\tanh\frac{\beta(\pi_A -
    \pi_B)}{2}` (Traulsen et al. 2006). Returned as a Series indexed by ``j / N``.

    With ``state`` (counts summing to ``N``, or frequencies, of all ``k`` strategies): the
    vector :math:`G_i(n) = \sum_{d \ne i} T_{d \to i}(n) - \sum_{b \ne i} T_{i \to b}(n)`
    of expected changes of each count in one event, with ``mutation`` (uniform, to the
    ``k - 1`` other strategies) included, as in the full chain of
    :func:`stationary_distribution`.

    Parameters
    ----------
    payoffs : array_like, DataFrame, object with ``.payoffs``, or GroupGame
        The k x k interaction matrix, or an n-player game.
    N : int
        Population size (>= 2, and >= the group size of a group game).
    rule : {"moran", "fermi"}
        The update: the frequency-dependent Moran process or pairwise comparison with the
        Fermi rule.
    selection : float
        The intensity of selection: ``w >= 0`` (Moran; in [0, 1] with
        ``fitness_map="linear"``, whose fitnesses ``1 - w + w pi`` must stay positive) or
        ``beta >= 0`` (Fermi).
    mutant, resident : int or str
        The pair of the pairwise gradient (indices or names).
    state : array_like, Series or dict, optional
        Counts summing to ``N`` (or frequencies) of all strategies: the gradient there.
    mutation : float
        Mutation probability, with ``state`` only.
    fitness_map : {"exponential", "linear"}
        The Moran process's map from payoff to fitness: ``exp(w pi)`` (default; a constant
        added to every payoff changes nothing) or ``1 - w + w pi`` (Nowak et al. 2004; a
        constant changes the result). Only ``"exponential"`` with ``rule="fermi"``.

    Returns
    -------
    Series
        Without ``state``: ``G(j)`` indexed by ``j / N`` (``frequency``); with it, the
        expected change of each count, indexed by strategy. Named ``gradient``.

    Raises
    ------
    ValueError
        For an unknown rule or ``fitness_map``, a ``selection`` out of range (or one that makes a
        linear Moran fitness non-positive), ``N`` below 2 or below a group game's group size, or an
        unknown strategy. Also for a mutation rate without a state, the same strategy as mutant and
        resident, or a state with a group game.
    """
    A, names, N = _interactions(payoffs, N)
    code, s = _rule(rule, selection, payoffs if A is None else A, fitness_map)
    _check_magnitude(payoffs if A is None else A, N, s)
    if state is not None:
        if A is None:
            raise ValueError("the gradient at a state is not available for group games")
        from evopolity.dynamics.finite import population_counts

        mu = probability(mutation, "mutation")
        n = population_counts(state, N, names, "state").astype(np.int64)
        f = np.empty(len(names))
        rates = np.empty((len(names), len(names)))
        _ak._rates(code, A, N, s, mu, n, f, rates)  # rates[b, d]: a d replaced by a b
        gradient = rates.sum(axis=1) - rates.sum(axis=0)
        return pd.Series(gradient, index=pd.Index(names, name="strategy"), name="gradient")
    if mutation != 0.0:
        raise ValueError("mutation needs a state: the pairwise gradient is without mutation")
    m, r = _pair(mutant, resident, names)
    check_size(N + 1, MAX_ROWS, "gradient points", "N", bytes_per_item=8 * 4)
    _check_work(payoffs, N, 1)
    tp = np.empty(N + 1)
    tm = np.empty(N + 1)
    if A is None:
        others, pf = payoffs.kernel_tables()
        pa = np.empty(payoffs.group_size)
        pb = np.empty(payoffs.group_size)
        _gk.pair_table(others, pf, m, r, pa, pb)
        _gk.pair_transitions(code, pa, pb, N, s, tp, tm)
    else:
        _ak.pair_transitions(code, A[m, m], A[m, r], A[r, m], A[r, r], N, s, tp, tm)
    return pd.Series(
        tp - tm, index=pd.Index(np.arange(N + 1) / N, name="frequency"), name="gradient"
    )
