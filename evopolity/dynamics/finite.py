"""Finite populations, simulated: the Moran process, pairwise comparison and agent-based play.

These are stochastic simulations; their closed forms (fixation probabilities, stationary
distributions) live in :mod:`evopolity.dynamics.analytical`. Every function takes a
``seed`` and gives the same result for the same seed whatever the number of numba threads.

One *generation* here is one elementary event (one birth--death, or one imitation), as in
Nowak (2006) and ``axelrod.MoranProcess``; ``N`` events make a generation in the sense of
everyone having had one chance to be replaced on average.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from evopolity.dynamics.fitness import moran_rule, regime_setup
from evopolity.dynamics.trajectory import Trajectory
from evopolity.institutions.regime import Regime
from evopolity.kernels import codes
from evopolity.kernels import finite as _fk
from evopolity.kernels.rng import packed_seed, stream_key
from evopolity.play.games import Game
from evopolity.play.strategies.automaton import Strategy
from evopolity.validate import (
    MAX_ROWS,
    as_payoff_matrix,
    boolean,
    check_magnitude,
    check_size,
    integer,
    nonnegative,
    probability,
    seed_sequence,
)

__all__ = ["moran", "pairwise_comparison", "agent_moran"]

MAX_RECORDS = 10_000
_LARGEST = 1e307  # below the largest double, leaving room for the kernels' few extra terms
# turns really played in a generation (cached pairs not counted) from which its matches are
# played on threads: ~10 ms of one thread's work. Waking a parallel region costs milliseconds
# on a busy machine: measured under a load of 8 on 2 cores, 9,000 turns a generation took 13x
# longer on two threads than on one, 632,000 1.3x longer, 2.5 M as long (benchmarks/
# bench_finite.py, agent Moran); on an idle machine two threads nearly halve it
PARALLEL_TURNS = 1_000_000


def population_counts(x0: Any, N: int, names: Sequence[str], name: str = "x0") -> np.ndarray:
    """Counts (int64, summing to ``N``) from counts or from frequencies whose ``N x`` are whole.

    ``x0`` may be an array (counts if integers summing to ``N``, else frequencies summing to
    1) or a Series / dict indexed by strategy name.
    """
    import pandas as pd

    k = len(names)
    if isinstance(x0, pd.Series | dict):
        series = pd.Series(x0)
        unknown = set(map(str, series.index)) - set(names)
        if unknown:
            raise ValueError(f"{name} names unknown strategies {sorted(unknown)}")
        series.index = [str(s) for s in series.index]
        x0 = series.reindex(list(names), fill_value=0).to_numpy()
    try:
        v = np.array(x0, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be {k} counts or frequencies") from None
    if v.shape != (k,):
        raise ValueError(f"{name} must have shape ({k},), got {v.shape}")
    if not np.all(np.isfinite(v)) or np.any(v < 0):
        raise ValueError(f"{name} must be non-negative and finite")
    if np.all(v == np.round(v)) and v.sum() == N:
        return v.astype(np.int64)
    if abs(v.sum() - 1.0) <= 1e-9:
        c = v * N
        if np.allclose(c, np.round(c), rtol=0, atol=1e-6):
            c = np.round(c).astype(np.int64)
            if c.sum() == N:
                return c
        raise ValueError(f"{name} frequencies times N = {N} must be whole numbers, got {c}")
    raise ValueError(f"{name} must be counts summing to N = {N} or frequencies summing to 1")


def _record_points(generations: int, record_every: int | None, k: int = 1) -> np.ndarray:
    if record_every is None:
        record_every = max(1, -(-generations // MAX_RECORDS))
    record_every = integer(record_every, "record_every")
    rows = generations // record_every + 2  # the last event is always recorded
    check_size(rows, MAX_ROWS, "recorded generations", "generations / record_every",
               bytes_per_item=8 * (k + 3), fix="lower generations or raise record_every")
    pts = np.arange(0, generations + 1, record_every, dtype=np.int64)
    if pts[-1] != generations:
        pts = np.append(pts, generations)
    return pts


def _simulate(
    rule: int,
    dynamic: str,
    payoffs: Any,
    N: int,
    x0: Any,
    generations: int,
    selection: float,
    mutation: float,
    seed: Any,
    record_every: int | None,
    stop_on_fixation: bool | None,
    regime: Regime | None = None,
    cooperation: Any = None,
) -> Trajectory:
    """Run ``rule`` (a kernel code: ``MORAN_EXP``, ``MORAN`` or ``FERMI``, its ``selection``
    validated by the caller) and wrap the result."""
    A, names = as_payoff_matrix(payoffs)
    k = A.shape[0]
    N = integer(N, "N", 2)
    counts = population_counts(x0, N, names)
    generations = integer(generations, "generations", 0)
    setup = regime_setup(regime, mutation, payoffs, cooperation, names)
    model, params, mutation, C = setup.model, setup.params, setup.mutation, setup.C
    A = setup.A  # bare, or net of played sanctions for a fixed institution
    largest = float(np.abs(A).max())
    if setup.sanctions is not None and regime is not None:
        largest += float(np.abs(setup.sanctions.fine).max() + np.abs(setup.sanctions.reward).max())
    what = "payoffs"
    if regime is not None:
        largest += regime.fine + regime.reward + regime.cost + regime.conformity
        what = "payoffs (with the regime's fine, reward, cost and conformity)"
    check_magnitude(
        largest * N * 2.0 * max(selection, 1.0), _LARGEST, f"{what} * N * 2 * max(selection, 1)",
        "payoff sums over the population (and Fermi's differences times the selection) "
        "would overflow a double; divide the payoffs by c (under the Fermi rule, multiplying "
        "selection by c changes nothing)",
    )  # fmt: skip
    m0 = regime.initial_strength if regime is not None and regime.coevolves else 1.0
    mu = probability(mutation, "mutation")
    if mu > 0 and k < 2:
        raise ValueError("mutation needs at least 2 strategies")
    if stop_on_fixation is None:
        stop_on_fixation = mu == 0.0
    stop_on_fixation = boolean(stop_on_fixation, "stop_on_fixation")
    ss = seed_sequence(seed)
    key = packed_seed(ss)
    pts = _record_points(generations, record_every, k)
    out = np.empty((pts.size, k))
    macro = np.empty(pts.size)
    args = (rule, A, N, counts, selection, mu, pts, bool(stop_on_fixation),
            np.uint64(stream_key(key, 0, 0)), out)  # fmt: skip
    if model == codes.INSTITUTIONS:
        events, winner, ok = _fk.simulate(*args, model, params, m0, macro)
    else:  # never compiles the regime's loop
        events, winner, ok = _fk.simulate_bare(*args, m0, macro)
    if not ok:
        raise ValueError(
            f"selection = {selection:g} made a Moran fitness 1 - w + w * payoff "
            f"negative at event {events} under this regime (fines and costs lower payoffs); "
            "lower the selection or use fitness_map='exponential'"
        )
    fixated = winner >= 0
    coevolves = regime is not None and regime.coevolves
    return Trajectory(
        pts.astype(np.float64),
        out / N,
        names,
        macro=macro if coevolves else None,
        macro_names=("institution_strength",) if coevolves else None,
        params={
            "dynamic": dynamic,
            "N": N,
            "x0": counts,
            "selection": selection,
            "fitness_map": {codes.MORAN_EXP: "exponential", codes.MORAN: "linear"}.get(rule),
            "regime": regime,
            "payoffs": setup.bare,
            "sanctions": None if setup.sanctions is None or regime is None
            else setup.sanctions.arrays(),
            "cooperation": C,
            "mutation": mu,
            "seed": ss.entropy,
            "generations": generations,
        },
        info={
            "fixated": bool(fixated),
            "winner": names[winner] if fixated else None,
            "generations": int(events),
        },
    )


def moran(
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
    regime: Regime | None = None,
    cooperation: Any = None,
    fitness_map: Literal["exponential", "linear"] = "exponential",
) -> Trajectory:
    r"""Simulate the frequency-dependent Moran process (Nowak et al. 2004).

    Each event, one individual reproduces with probability proportional to its fitness
    :math:`f_i = e^{w \pi_i}` (Traulsen, Shoresh & Nowak 2008; or, with
    ``fitness_map="linear"``, :math:`f_i = 1 - w + w \pi_i` as in Nowak et al. 2004), where
    :math:`\pi_i = (\sum_j n_j A_{ij} - A_{ii})/(N-1)` is its mean payoff against the
    *other* ``N - 1`` individuals (passed through the regime, if any); its offspring (a mutant
    of a uniformly chosen other strategy with probability ``mutation``) replaces an individual
    chosen uniformly at random (possibly the parent).

    The exponential fitness depends on payoff differences only: adding a constant to every
    payoff, or a cost that every member pays equally, multiplies every fitness by one factor
    and leaves every birth probability unchanged. The linear fitness does not (a constant acts
    as a change of ``w``), and must stay positive.

    Parameters
    ----------
    payoffs : array_like, DataFrame or object with ``.payoffs``
        k x k interaction matrix.
    N : int
        Population size (>= 2).
    x0 : array_like, Series or dict
        Initial counts (integers summing to ``N``) or frequencies (summing to 1, with ``N x0``
        whole numbers).
    generations : int
        Number of events to run (one birth--death event is one generation here, as in
        ``axelrod.MoranProcess``; ``N`` of them give everyone one chance to be replaced).
    selection : float
        Intensity of selection ``w >= 0`` (in [0, 1] with ``fitness_map="linear"``, whose
        fitnesses ``1 - w + w pi`` must be positive for every payoff in the matrix and, under
        a regime, after its fines and costs).
    mutation : float
        Mutation probability per birth, in [0, 1].
    seed : int, SeedSequence or None
        None (default) draws fresh entropy; an int reproduces the result, whatever the number
        of threads. Recorded in ``params["seed"]`` (the entropy drawn, for None).
    record_every : int, optional
        Record every this many events (default: at most ~10^4 rows); the last event is
        always recorded.
    stop_on_fixation : bool, optional
        Stop once one strategy has taken over (default: when ``mutation == 0``); later rows
        repeat the fixed state.
    regime : Regime, optional
        An institutional regime: payoffs (against the other ``N - 1``) pass through its fines,
        rewards, taxes, costs and conformity (:mod:`evopolity.institutions.regime`), its
        ``mutation`` is the mutation rate, and a co-evolving institution's strength follows its
        law in generations of ``N`` events (macro column ``institution_strength``). A
        ``Tournament`` played under the regime brings the sanctions played inside its matches
        (``pi_i + s (S x)_i`` against the other ``N - 1``, as :func:`evopolity.replicator`;
        a mismatch of in-play fields is refused).
    cooperation : array_like or DataFrame, optional
        The cooperation matrix the regime needs (default: ``payoffs.cooperation``).
    fitness_map : {"exponential", "linear"}
        The map from payoff to fitness: ``exp(w pi)`` (default) or ``1 - w + w pi``.

    Returns
    -------
    Trajectory
        Frequencies ``counts / N`` at the recorded events; ``info`` has ``fixated``,
        ``winner`` and ``generations`` (events run).

    Raises
    ------
    ValueError
        For a parameter out of range, an unknown ``fitness_map``, an initial state that is
        not ``N`` individuals, or (``fitness_map="linear"``) a ``selection`` that makes some
        fitness ``1 - w + w pi`` non-positive.
    """
    A, _ = as_payoff_matrix(payoffs)
    code, w = moran_rule(fitness_map, selection, float(A.min()))
    return _simulate(
        code, "moran", payoffs, N, x0, generations, w, mutation, seed, record_every,
        stop_on_fixation, regime, cooperation,
    )  # fmt: skip


def pairwise_comparison(
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
    regime: Regime | None = None,
    cooperation: Any = None,
) -> Trajectory:
    r"""Simulate the pairwise comparison process with the Fermi rule (Traulsen et al. 2006).

    Each event, a random focal individual either mutates (probability ``mutation``) to a
    uniformly chosen other strategy, or picks a random model among the other ``N - 1`` and
    copies its strategy with probability

    .. math::  \frac{1}{1 + e^{-\beta(\pi_\text{model} - \pi_\text{focal})}}

    with :math:`\beta` = ``selection`` and payoffs excluding self-interaction, as in
    :func:`moran` (and, with a ``regime``, passed through the institution as there).

    Parameters
    ----------
    payoffs : array_like, DataFrame or object with ``.payoffs``
        k x k interaction matrix.
    N : int
        Population size (>= 2).
    x0 : array_like, Series or dict
        Initial counts (integers summing to ``N``) or frequencies (summing to 1, with ``N x0``
        whole numbers).
    generations : int
        Number of events (imitations or mutations) to run.
    selection : float
        The intensity of selection :math:`\beta \ge 0` (0: neutral drift).
    mutation : float
        Probability in [0, 1] that an event is a mutation.
    seed : int, SeedSequence or None
        None (default) draws fresh entropy; an int reproduces the result, whatever the number
        of threads. Recorded in ``params["seed"]`` (the entropy drawn, for None).
    record_every : int, optional
        Record every this many events (default: at most ~10^4 rows); the last event is
        always recorded.
    stop_on_fixation : bool, optional
        Stop once one strategy has taken over (default: when ``mutation == 0``).
    regime : Regime, optional
        An institutional regime, as in :func:`moran`.
    cooperation : array_like or DataFrame, optional
        The cooperation matrix the regime needs (default: ``payoffs.cooperation``).

    Returns
    -------
    Trajectory
        Frequencies ``counts / N`` at the recorded events; ``info`` has ``fixated``,
        ``winner`` and ``generations`` (events run).

    Raises
    ------
    ValueError
        For a parameter out of range or an initial state that is not ``N`` individuals.
    """
    b = nonnegative(selection, "selection")
    return _simulate(
        codes.FERMI, "pairwise_comparison", payoffs, N, x0, generations, b, mutation, seed,
        record_every, stop_on_fixation, regime, cooperation,
    )  # fmt: skip


def agent_moran(
    strategies: Any,
    turns: int = 200,
    noise: float = 0.0,
    mutation: float = 0.0,
    seed: int | np.random.SeedSequence | None = None,
    generations: int = 100_000,
    *,
    game: Game | None = None,
    prob_end: float = 0.0,
    record_every: int | None = None,
    stop_on_fixation: bool = True,
) -> Trajectory:
    """Agent-based Moran process: every generation the agents really play their matches.

    The semantics of ``axelrod.MoranProcess`` (birth--death mode, complete graph; Moran 1958,
    Nowak et al. 2004): each generation every pair of the ``N`` agents plays a match of
    ``turns`` turns (or ending with probability ``prob_end`` after each turn) with ``noise``;
    an agent's fitness is the sum of its per-turn scores against the ``N - 1`` others; one
    agent reproduces with probability proportional to fitness, its offspring becomes, with
    probability ``mutation``, a uniformly chosen other type of the initial population, and
    replaces an agent chosen uniformly at random (possibly its parent). Types are told apart by
    strategy name, as axelrod does.

    Parameters
    ----------
    strategies : str or sequence
        The ``N >= 2`` agents: anything :func:`evopolity.tournament` takes (``Strategy``
        objects, library names, axelrod players that are automata, or a collection name, one
        agent per strategy); repeat a strategy for several agents.
    turns : int
        Turns per match.
    noise : float
        Probability in [0, 1] that a move is flipped.
    mutation : float
        Mutation probability per birth, in [0, 1].
    seed : int, SeedSequence or None
        None (default) draws fresh entropy; an int reproduces the result, whatever the number
        of threads. Recorded in ``params["seed"]`` (the entropy drawn, for None).
    generations : int
        Most generations to run (one round robin and one birth--death event each; fewer
        when ``stop_on_fixation`` ends the run early).
    game : Game, optional
        Stage game (default: the prisoner's dilemma 3, 0, 5, 1).
    prob_end : float
        Probability in [0, 1) that a match ends after each turn (``turns`` is then unused).
    record_every : int, optional
        Record every this many generations (default: at most ~10^4 rows).
    stop_on_fixation : bool
        Stop once one type has taken over (as axelrod, also with mutation).

    Returns
    -------
    Trajectory
        Type frequencies (counts / N) by generation; ``info`` holds ``generations`` (run),
        ``fixated`` and ``winner`` (the name of the type that fixed, or None).

    Raises
    ------
    TypeError
        For an agent that is not a strategy, a name or an axelrod player.
    ValueError
        For fewer than 2 agents, an axelrod player that is not an automaton, two different
        strategies under one name, or a parameter out of range.
    """
    from evopolity.play.games import as_game
    from evopolity.play.strategies.automaton import PackedStrategies  # noqa: I001
    from evopolity.play.tournament import check_turns, resolve_strategies

    players = resolve_strategies(strategies, distinct=False, automata=True)
    if len(players) < 2:
        raise ValueError(f"strategies must hold at least 2 agents, got {len(players)}")
    types: dict[str, Strategy] = {}
    agents = np.empty(len(players), np.int64)
    for a, s in enumerate(players):
        known = types.setdefault(s.name, s)
        if not known.same_behaviour(s):
            raise ValueError(f"strategies hold two different strategies named {s.name!r}")
        agents[a] = list(types).index(s.name)
    turns = check_turns(turns, "turns")
    noise = probability(noise, "noise")
    mu = probability(mutation, "mutation")
    prob_end = probability(prob_end, "prob_end", one=False)
    generations = integer(generations, "generations", 0)
    stop_on_fixation = boolean(stop_on_fixation, "stop_on_fixation")
    g = as_game(game)
    largest = float(np.abs(g.matrix).max())
    check_magnitude(
        largest * turns * len(players), _LARGEST, "game payoffs * turns * N",
        "an agent's fitness sums its scores over every turn against the N - 1 others, which "
        "would overflow a double; scale the game's payoffs down (proportional selection does "
        "not change when every payoff is multiplied by c > 0)",
    )  # fmt: skip
    ss = seed_sequence(seed)
    packed = PackedStrategies(list(types.values()))
    pts = _record_points(generations, record_every, len(types))
    out = np.empty((pts.size, len(types)))
    # the most turns a generation can play (no pair read from the cache): below the
    # threshold the kernel never goes parallel, and is compiled without its parallel loop
    most = len(players) * (len(players) - 1) // 2 * (
        min(turns, 1.0 / prob_end) if prob_end > 0.0 else turns)
    gens, winner = _fk.agent_moran(
        packed.p_coop,
        packed.next_state,
        packed.offsets,
        packed.deterministic,
        agents,
        len(types),
        g.matrix,
        turns,
        prob_end,
        noise,
        mu,
        bool(stop_on_fixation),
        packed_seed(ss),
        pts,
        float(PARALLEL_TURNS) if most >= PARALLEL_TURNS else None,
        out,
    )
    names = tuple(types)
    fixated = winner >= 0
    return Trajectory(
        pts.astype(np.float64),
        out / len(players),
        names,
        params={
            "dynamic": "agent_moran",
            "N": len(players),
            "turns": turns,
            "noise": noise,
            "mutation": mu,
            "prob_end": prob_end,
            "game": g.rstp,
            "seed": ss.entropy,
        },
        info={
            "fixated": bool(fixated),
            "winner": names[winner] if fixated else None,
            "generations": int(gens),
        },
    )
