"""Structured populations: games on graphs, simulated, and the fixation of one mutant there.

Individuals sit on the nodes of a :class:`~evopolity.dynamics.graphs.Graph`; each plays the
two-player game with its neighbours on the *interaction* graph and is replaced by (or imitates)
its neighbours on the *replacement* graph (by default the same graph). The update rules, the
payoff conventions and the sources are in docs/structure.md and :mod:`evopolity.kernels.graph`.

Every function takes a ``seed`` and gives the same result for the same seed whatever the
number of numba threads.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from evopolity.dynamics.finite import _record_points, population_counts
from evopolity.dynamics.fitness import moran_rule
from evopolity.dynamics.graphs import Graph, as_graph
from evopolity.dynamics.trajectory import Trajectory
from evopolity.kernels import codes
from evopolity.kernels import graph as _gk
from evopolity.kernels.rng import packed_seed, stream_key
from evopolity.validate import (
    MAX_ROWS,
    as_payoff_matrix,
    boolean,
    check_size,
    integer,
    nonnegative,
    probability,
    seed_sequence,
)

__all__ = ["FixationEstimate", "graph_fixation", "structured"]

UPDATES = {"bd": _gk.BD, "db": _gk.DB, "imitation": _gk.IMITATION, "fermi": _gk.FERMI,
           "best": _gk.BEST}
PAYOFFS = ("accumulated", "averaged")
_EXP_SPAN = 700.0  # exp(w (pi - ref)) of the lowest payoff stays above ~1e-304


@dataclass(frozen=True)
class _Setup:
    rule: int
    fmap: int
    mode: int
    w: float
    ref: float
    interaction: Graph
    replacement: Graph


def _graphs(graph: Any, replacement_graph: Any) -> tuple[Graph, Graph]:
    g = as_graph(graph, "graph")
    r = g if replacement_graph is None else as_graph(replacement_graph, "replacement_graph")
    if r.n != g.n:
        raise ValueError(f"replacement_graph must have the {g.n} nodes of graph, got {r.n}")
    if g.n < 2:
        raise ValueError(f"graph must have at least 2 nodes, got {g.n}")
    for label, h in (("graph", g), ("replacement_graph", r)):
        lonely = np.flatnonzero(h.degrees == 0)
        if lonely.size:
            raise ValueError(
                f"{label} has isolated nodes (no neighbours: nobody to play with, replace or "
                f"imitate), e.g. node {int(lonely[0])}; {lonely.size} in all"
            )
    return g, r


def _setup(update: Any, payoff: Any, fitness_map: Any, selection: Any, A: np.ndarray,
           g: Graph, r: Graph, self_interaction: Any) -> _Setup:  # fmt: skip
    if not isinstance(update, str) or update not in UPDATES:
        raise ValueError(f"update must be one of {', '.join(map(repr, UPDATES))}, got {update!r}")
    if payoff not in PAYOFFS:
        raise ValueError(f"payoff must be 'accumulated' or 'averaged', got {payoff!r}")
    averaged = payoff == "averaged"
    own = boolean(self_interaction, "self_interaction")
    mode = (_gk.AVERAGED if averaged else 0) | (_gk.SELF if own else 0)
    d = g.degrees + (1 if own else 0)
    top, bottom = float(A.max()), float(A.min())
    if averaged:
        hi, lo = top, bottom
    else:
        hi = max(top * d.max(), top * d.min())
        lo = min(bottom * d.max(), bottom * d.min())
    rule = UPDATES[update]
    if rule in (_gk.BD, _gk.DB, _gk.IMITATION):
        fmap, w = moran_rule(fitness_map, selection, lo)
        if fmap == codes.MORAN_EXP and w * (hi - lo) > _EXP_SPAN:
            raise ValueError(
                f"selection = {w:g} times the spread of payoffs ({hi - lo:g}) exceeds "
                f"{_EXP_SPAN:g}: fitnesses exp(selection * payoff) would span more than a "
                "double holds; lower selection (or scale the payoffs down)"
            )
    else:
        if fitness_map not in ("exponential", "linear"):
            raise ValueError(
                f"fitness_map must be 'exponential' or 'linear', got {fitness_map!r}"
            )
        fmap = codes.MORAN_EXP
        w = nonnegative(selection, "selection")
    return _Setup(rule, fmap, mode, w, hi, g, r)


def structured(
    payoffs: Any,
    graph: Any,
    update: Literal["bd", "db", "imitation", "fermi", "best"] = "bd",
    generations: int = 10_000,
    selection: float = 1.0,
    mutation: float = 0.0,
    x0: Any = None,
    seed: int | np.random.SeedSequence | None = None,
    *,
    payoff: Literal["accumulated", "averaged"] = "accumulated",
    fitness_map: Literal["exponential", "linear"] = "exponential",
    record_every: int | None = None,
    stop_on_fixation: bool | None = None,
    replacement_graph: Any = None,
    states: Any = None,
    snapshots: bool = False,
    self_interaction: bool = False,
) -> Trajectory:
    r"""Simulate a game on a graph: one strategy per node, local play, local replacement.

    Node :math:`i` earns :math:`P_i = \sum_{j \in I(i)} A_{s_i s_j}` against its interaction
    neighbours :math:`I(i)` (``payoff="accumulated"``) or :math:`P_i / |I(i)|`
    (``"averaged"``); its fitness is :math:`e^{w P_i}` (or :math:`1 - w + w P_i` with
    ``fitness_map="linear"``). Updates (Ohtsuki, Hauert, Lieberman & Nowak 2006; Szabó & Fáth
    2007; Nowak & May 1992):

    * ``"bd"``, birth--death: a node reproduces with probability proportional to fitness;
      its offspring replaces a uniformly chosen replacement neighbour;
    * ``"db"``, death--birth: a uniformly chosen node dies and its replacement neighbours
      compete for the site proportionally to fitness;
    * ``"imitation"``: a uniformly chosen node keeps its strategy or copies a neighbour's,
      proportionally to the fitnesses of itself and its neighbours;
    * ``"fermi"``: a uniformly chosen node copies a uniformly chosen neighbour with probability
      :math:`1 / (1 + e^{-\beta (\pi_j - \pi_i)})`, :math:`\beta` = ``selection``;
    * ``"best"``: synchronously, every node adopts the strategy of the highest payoff among
      itself and its neighbours (deterministic; ``selection`` unused).

    With probability ``mutation`` an offspring (or a Fermi focal node, or under ``"best"``
    every node after each round) takes a uniformly chosen other strategy. Payoff sums are
    updated only around the node that changed, so an event costs O(degree^2), not O(n). A
    disconnected graph is accepted (each component evolves on its own; without mutation the
    population may then never fix); :func:`graph_fixation` refuses one.

    Parameters
    ----------
    payoffs : array_like, DataFrame or object with ``.payoffs``
        The k x k game (a ``Tournament``'s interactions play on the graph as they are).
    graph : Graph, networkx graph or adjacency matrix
        The interaction graph (``ep.graphs``); with no ``replacement_graph``, also the
        replacement graph.
    update : {"bd", "db", "imitation", "fermi", "best"}
        The update rule.
    generations : int
        Events to run (one birth--death, death--birth or imitation each, as in :func:`moran`;
        ``n`` of them give every node one update on average), or synchronous rounds under
        ``"best"``.
    selection : float
        The intensity of selection ``w >= 0`` (``beta`` for ``"fermi"``; in [0, 1] with
        ``fitness_map="linear"``).
    mutation : float
        Mutation probability, in [0, 1].
    x0 : array_like, Series or dict, optional
        Initial counts (summing to the number of nodes) or frequencies (whose ``n x0`` are
        whole), placed on uniformly random nodes; default: every node draws a strategy
        uniformly at random.
    seed : int, SeedSequence or None
        None (default) draws fresh entropy; an int reproduces the result, whatever the number
        of threads. Recorded in ``params["seed"]``.
    payoff : {"accumulated", "averaged"}
        Sum the payoffs over the interaction neighbours or average them.
    fitness_map : {"exponential", "linear"}
        The map from payoff to fitness under ``"bd"``, ``"db"`` and ``"imitation"``.
    record_every : int, optional
        Record every this many generations (default: at most ~10^4 rows); the last is always
        recorded.
    stop_on_fixation : bool, optional
        Stop once one strategy holds every node (default: when ``mutation == 0``); later rows
        repeat the final state. Without mutation ``"best"`` also stops at a state that no
        longer changes.
    replacement_graph : Graph, networkx graph or adjacency matrix, optional
        Who may replace (or be imitated by) whom, on the same nodes (default: ``graph``).
    states : array_like of int, optional
        The strategy (index) of every node, instead of ``x0``.
    snapshots : bool
        Also keep every node's strategy at each recorded generation, in
        ``info["snapshots"]`` (rows x nodes; ``record_every`` sets how many rows).
    self_interaction : bool
        Every node also plays against itself, ``A[s_i, s_i]`` joining its sum (and its count,
        when averaged), as on Nowak & May's (1992) lattice.

    Returns
    -------
    Trajectory
        Strategy frequencies at the recorded generations; ``info`` has ``fixated``,
        ``winner``, ``generations`` (run), ``states`` (every node's final strategy index) and,
        with ``snapshots=True``, ``snapshots``.

    Raises
    ------
    ValueError
        For an unknown ``update``, ``payoff`` or ``fitness_map``, a parameter out of range, a
        graph with isolated nodes, graphs on different nodes, an initial state that does not
        fit the nodes, or a ``selection`` so strong that fitnesses overflow.
    TypeError
        For a ``graph`` that is no graph.
    """
    A, names = as_payoff_matrix(payoffs)
    k = A.shape[0]
    g, r = _graphs(graph, replacement_graph)
    st = _setup(update, payoff, fitness_map, selection, A, g, r, self_interaction)
    generations = integer(generations, "generations", 0)
    mu = probability(mutation, "mutation")
    if mu > 0 and k < 2:
        raise ValueError("mutation needs at least 2 strategies")
    if stop_on_fixation is None:
        stop_on_fixation = mu == 0.0
    stop_on_fixation = boolean(stop_on_fixation, "stop_on_fixation")
    ss = seed_sequence(seed)
    rng = np.random.Generator(np.random.PCG64(ss.spawn(1)[0]))
    if states is not None:
        if x0 is not None:
            raise ValueError("give x0 or states, not both")
        s = np.asarray(states)
        if s.shape != (g.n,) or s.dtype.kind not in "iu":
            raise ValueError(f"states must be {g.n} integer strategy indices, got {s.shape}")
        if ((s < 0) | (s >= k)).any():
            raise ValueError(f"states must lie in 0 .. {k - 1}")
        s = s.astype(np.int64)
    elif x0 is None:
        s = rng.integers(k, size=g.n).astype(np.int64)
    else:
        counts = population_counts(x0, g.n, names)
        s = np.repeat(np.arange(k, dtype=np.int64), counts)
        rng.shuffle(s)
    initial = s.copy()
    pts = _record_points(generations, record_every, k)
    out = np.empty((pts.size, k))
    if boolean(snapshots, "snapshots"):
        check_size(pts.size * g.n, MAX_ROWS, "snapshot entries", "recorded generations x nodes",
                   bytes_per_item=1, fix="raise record_every")  # fmt: skip
        snaps = np.empty((pts.size, g.n), np.int8 if k <= 127 else np.int64)
    else:
        snaps = np.empty((0, g.n), np.int8 if k <= 127 else np.int64)
    t, winner = _gk.simulate(
        st.rule, st.fmap, st.mode, A, g.indptr, g.indices, r.indptr, r.indices, s,
        st.w, mu, st.ref, pts, bool(stop_on_fixation), np.uint64(stream_key(packed_seed(ss), 0, 0)),
        out, snaps,
    )  # fmt: skip
    s.setflags(write=False)
    snaps.setflags(write=False)
    return Trajectory(
        pts.astype(np.float64),
        out / g.n,
        names,
        params={
            "dynamic": "structured",
            "update": update,
            "graph": g.name,
            "replacement_graph": r.name,
            "n": g.n,
            "selection": st.w,
            "mutation": mu,
            "payoff": payoff,
            "self_interaction": bool(self_interaction),
            "fitness_map": fitness_map if st.rule in (_gk.BD, _gk.DB, _gk.IMITATION) else None,
            "payoffs": A,
            "states": initial,
            "seed": ss.entropy,
            "generations": generations,
        },
        info={
            "fixated": bool(winner >= 0),
            "winner": names[winner] if winner >= 0 else None,
            "generations": int(t),
            "states": s,
            **({"snapshots": snaps} if snapshots else {}),
        },
    )


@dataclass(frozen=True)
class FixationEstimate:
    """Fixation of one mutant estimated over independent runs.

    Parameters
    ----------
    probability : float
        The fraction of runs in which the mutant took over.
    stderr : float
        Its binomial standard error ``sqrt(p (1 - p) / runs)``.
    runs : int
        Runs made.
    fixations : int
        Runs in which the mutant fixed.
    fixation_time : float
        Mean events (generations) to fixation over the runs that fixed (NaN if none did).
    absorption_time : float
        Mean events until the mutant fixed or was lost, over the absorbed runs.
    unabsorbed : int
        Runs stopped by ``max_generations`` before either (counted as not fixed).
    neutral : float
        The neutral reference ``1 / n`` (or the initial frequency).
    """

    probability: float
    stderr: float
    runs: int
    fixations: int
    fixation_time: float
    absorption_time: float
    unabsorbed: int
    neutral: float

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        """The normal-approximation confidence interval ``probability -+ z stderr``.

        Parameters
        ----------
        z : float
            Standard errors on each side (1.96: 95%).

        Returns
        -------
        tuple of float
            ``(low, high)``.
        """
        z = nonnegative(z, "z")
        return self.probability - z * self.stderr, self.probability + z * self.stderr


def _estimate(fixed: np.ndarray, times: np.ndarray, neutral: float) -> FixationEstimate:
    runs = fixed.size
    won = fixed == 1
    done = fixed >= 0
    p = float(won.mean())
    unabsorbed = int((~done).sum())
    if unabsorbed:
        warnings.warn(
            f"{unabsorbed} of {runs} runs neither fixed nor lost the mutant within "
            "max_generations; they count as not fixed", RuntimeWarning, stacklevel=3,
        )  # fmt: skip
    return FixationEstimate(
        probability=p,
        stderr=math.sqrt(p * (1 - p) / runs),
        runs=runs,
        fixations=int(won.sum()),
        fixation_time=float(times[won].mean()) if won.any() else math.nan,
        absorption_time=float(times[done].mean()) if done.any() else math.nan,
        unabsorbed=unabsorbed,
        neutral=neutral,
    )


def strategy_index(value: Any, names: tuple[str, ...], name: str) -> int:
    """The index of strategy ``value`` (an index or a name) among ``names``."""
    if isinstance(value, str):
        if value not in names:
            raise ValueError(f"{name} must name one of {list(names)}, got {value!r}")
        return names.index(value)
    return integer(value, name, 0, len(names) - 1)


def graph_fixation(
    payoffs: Any,
    graph: Any,
    update: Literal["bd", "db", "imitation", "fermi"] = "bd",
    selection: float = 1.0,
    runs: int = 10_000,
    seed: int | np.random.SeedSequence | None = None,
    mutant: int | str = 0,
    resident: int | str = 1,
    start_node: int | None = None,
    *,
    payoff: Literal["accumulated", "averaged"] = "accumulated",
    fitness_map: Literal["exponential", "linear"] = "exponential",
    replacement_graph: Any = None,
    max_generations: int | None = None,
    self_interaction: bool = False,
) -> FixationEstimate:
    r"""Estimate the probability that one ``mutant`` takes over a graph of ``resident``.

    Each run places the mutant on a uniformly chosen node (or ``start_node``), every other node
    holding the resident, and runs the update (as in :func:`structured`, without mutation)
    until the mutant holds every node or none. Runs are spread over numba's threads; run ``r``
    draws from its own stream keyed by ``r``, so the estimate is the same for a seed whatever
    the number of threads. The neutral reference is ``1 / n``.

    Parameters
    ----------
    payoffs : array_like, DataFrame or object with ``.payoffs``
        The k x k game.
    graph : Graph, networkx graph or adjacency matrix
        The interaction graph (and the replacement graph unless ``replacement_graph``).
    update : {"bd", "db", "imitation", "fermi"}
        The update rule (:func:`structured`).
    selection : float
        The intensity of selection (``beta`` for ``"fermi"``).
    runs : int
        Independent runs (>= 1).
    seed : int, SeedSequence or None
        None (default) draws fresh entropy; an int reproduces the estimate, whatever the
        number of threads.
    mutant, resident : int or str
        The strategies (indices or names), different.
    start_node : int, optional
        The mutant's node in every run (default: uniformly chosen in each run).
    payoff : {"accumulated", "averaged"}
        Sum or average the payoffs over the interaction neighbours.
    fitness_map : {"exponential", "linear"}
        The map from payoff to fitness under ``"bd"``, ``"db"`` and ``"imitation"``.
    replacement_graph : Graph, networkx graph or adjacency matrix, optional
        Who may replace whom (default: ``graph``); must be connected.
    max_generations : int, optional
        Events after which a run stops unabsorbed (default: no limit); such runs count as
        not fixed, with a ``RuntimeWarning``.
    self_interaction : bool
        Every node also plays against itself (:func:`structured`).

    Returns
    -------
    FixationEstimate
        ``probability``, ``stderr``, mean ``fixation_time`` (events, over the runs that
        fixed) and more.

    Raises
    ------
    ValueError
        For an unknown ``update`` (``"best"`` is deterministic: no fixation probability to
        estimate), ``payoff`` or ``fitness_map``, ``mutant == resident``, a graph with
        isolated nodes, a disconnected replacement graph (fixation is impossible), or a
        parameter out of range.
    TypeError
        For a ``graph`` that is no graph.
    """
    A, names = as_payoff_matrix(payoffs)
    m = strategy_index(mutant, names, "mutant")
    res = strategy_index(resident, names, "resident")
    if m == res:
        raise ValueError(f"mutant and resident must differ, both are {names[m]!r}")
    if update == "best":
        raise ValueError("update must be 'bd', 'db', 'imitation' or 'fermi' ('best' is "
                         "deterministic: no fixation probability to estimate)")
    g, r = _graphs(graph, replacement_graph)
    if not r.is_connected():
        label = "graph" if replacement_graph is None else "replacement_graph"
        raise ValueError(
            f"{label} must be connected: with {r.components()} components the mutant can "
            "never reach the others, and fixation is impossible"
        )
    A2 = np.ascontiguousarray(A[np.ix_([m, res], [m, res])])
    st = _setup(update, payoff, fitness_map, selection, A2, g, r, self_interaction)
    runs = integer(runs, "runs", 1, 10**10)
    node = -1 if start_node is None else integer(start_node, "start_node", 0, g.n - 1)
    cap = 2**62 if max_generations is None else integer(max_generations, "max_generations")
    ss = seed_sequence(seed)
    fixed = np.empty(runs, np.int8)
    times = np.empty(runs, np.int64)
    _gk.fixation(st.rule, st.fmap, st.mode, A2, g.indptr, g.indices, r.indptr, r.indices,
                 st.w, st.ref, runs, node, packed_seed(ss), cap, fixed, times)  # fmt: skip
    return _estimate(fixed, times, 1.0 / g.n)
