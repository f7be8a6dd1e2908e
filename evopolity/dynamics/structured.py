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
import pandas as pd

from evopolity.dynamics.finite import _record_points, population_counts
from evopolity.dynamics.fitness import (
    PlayedSanctions,
    _as_sanctions,
    _check_played,
    moran_rule,
    played_sanctions,
    regime_setup,
)
from evopolity.dynamics.graphs import Graph, as_graph
from evopolity.dynamics.trajectory import Trajectory
from evopolity.institutions.regime import Regime
from evopolity.kernels import codes
from evopolity.kernels import graph as _gk
from evopolity.kernels.analytical import binomials
from evopolity.kernels.layout import SANCTIONS
from evopolity.kernels.rng import packed_seed, stream_key
from evopolity.play.group_games import GroupGame
from evopolity.validate import (
    MAX_ROWS,
    as_payoff_matrix,
    boolean,
    check_size,
    cooperation_matrix,
    integer,
    nonnegative,
    probability,
    seed_sequence,
)

__all__ = ["FixationEstimate", "graph_fixation", "node_payoffs", "peer_punished", "structured"]

UPDATES = {"bd": codes.GRAPH_BD, "db": codes.GRAPH_DB, "imitation": codes.GRAPH_IMITATION,
           "fermi": codes.GRAPH_FERMI,
           "best": codes.GRAPH_BEST}
PAYOFFS = ("accumulated", "averaged")
_EXP_SPAN = 700.0  # exp(w (pi - ref)) of the lowest payoff stays above ~1e-304


@dataclass(frozen=True)
class _Setup:
    rule: int
    fmap: int
    mode: int
    w: float
    ref: float
    A: np.ndarray
    model: tuple  # (G, R, Cb, fl, D): the kernel's general path (kernels.graph.extension)
    mutation: float | None  # the regime's, when a regime is given
    coevolves: bool = False  # the institution's strengths follow their law (fl[COEV])


SCOPES = ("global", "local")


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


def _interactions(payoffs: Any) -> tuple[np.ndarray, tuple[str, ...], GroupGame | None]:
    """The k x k matrix and names of a pairwise game, or a placeholder matrix and the
    ``GroupGame``."""
    if isinstance(payoffs, GroupGame):
        k = payoffs.k
        return np.zeros((k, k)), payoffs.strategies, payoffs
    A, names = as_payoff_matrix(payoffs)
    return A, names, None


def peer_punished(A: np.ndarray, C: np.ndarray, punishers: np.ndarray, fine: float,
                  cost: float) -> np.ndarray:  # fmt: skip
    r"""The pairwise game with peer punishment between neighbours folded in.

    A punisher ``a`` pays ``cost`` for every defection of its partner ``b`` against it and
    fines the partner ``fine`` for it: :math:`A'_{ab} = A_{ab} - \gamma\,[a \in
    \mathcal{P}]\,(1 - C_{ba}) - \beta\,[b \in \mathcal{P}]\,(1 - C_{ab})`, with
    :math:`1 - C_{ba}` how often ``b`` defects against ``a``. Summed over a node's neighbours
    this is peer punishment among neighbours (Brandt, Hauert & Sigmund 2003; Helbing,
    Szolnoki, Perc & Szabó 2010).

    Parameters
    ----------
    A : ndarray
        The k x k game.
    C : ndarray
        The k x k cooperation matrix.
    punishers : ndarray of bool
        Which strategies punish.
    fine, cost : float
        The fine a punisher imposes and the cost it pays, per defection.

    Returns
    -------
    ndarray
        The k x k game with the sanctions.
    """
    p = punishers.astype(np.float64)
    return A - cost * p[:, None] * (1.0 - C.T) - fine * p[None, :] * (1.0 - C)


def _peer(peer_punishment: Any, punishers: Any, C: np.ndarray | None, A: np.ndarray,
          names: tuple[str, ...], group: bool) -> np.ndarray:  # fmt: skip
    if peer_punishment is None:
        if punishers is not None:
            raise ValueError("punishers is only used with peer_punishment=(fine, cost)")
        return A
    if group:
        raise ValueError(
            "peer_punishment is for pairwise games; a group game has its peer punishers in "
            "its table (ep.punishment_game)"
        )
    try:
        fine, cost = peer_punishment
    except (TypeError, ValueError):
        raise TypeError(
            f"peer_punishment must be a pair (fine, cost), got {peer_punishment!r}"
        ) from None
    fine = nonnegative(fine, "peer_punishment fine")
    cost = nonnegative(cost, "peer_punishment cost")
    if punishers is None:
        raise ValueError("peer_punishment needs punishers= (the strategies that punish)")
    if C is None:
        raise ValueError("peer_punishment needs cooperation= (who defects against whom)")
    if isinstance(punishers, (str, int, np.integer)):
        punishers = [punishers]
    mask = np.zeros(len(names), bool)
    for p in punishers:
        mask[strategy_index(p, names, "punishers")] = True
    return peer_punished(A, C, mask, fine, cost)


def _played(payoffs: Any, sanctions: Any, k: int, game: GroupGame | None,
            regime: Any) -> tuple[np.ndarray | None, PlayedSanctions | None]:
    """The sanctions played inside matches that a regime's terms take instead of its expected
    fine and reward: ``(bare, played)``, ``bare`` the payoffs without them (None: ``payoffs``
    are bare already) and ``played`` the sanctions (None: none to apply). A tournament
    played under a regime without one given here keeps its net payoffs."""
    if game is not None:
        if sanctions is not None:
            raise ValueError("sanctions is for pairwise games (a group game played under a "
                             "regime holds its sanctions in its table)")
        return None, None
    under, played = played_sanctions(payoffs)
    if sanctions is not None:
        if played is not None:
            raise ValueError("sanctions is for bare payoffs; this tournament carries its own")
        if regime is None:
            raise ValueError("sanctions needs a regime (its strength scales them)")
        return None, _as_sanctions(sanctions, k)
    if played is None or regime is None:
        return None, None
    _check_played(regime, under)
    A, _ = as_payoff_matrix(payoffs)
    return A - played.total, played


def _bounds(A: np.ndarray, game: GroupGame | None, g: Graph, mode: int) -> tuple[float, float]:
    """Bounds of a node's base payoff."""
    if game is None:
        top, bottom = float(A.max()), float(A.min())
        d = g.degrees + (1 if mode & codes.GRAPH_SELF else 0)
    else:
        bottom, top = game.payoff_range()
        d = g.degrees + 1  # the groups a node plays in
    if mode & codes.GRAPH_AVERAGED:
        return bottom, top
    return (min(bottom * d.max(), bottom * d.min()), max(top * d.max(), top * d.min()))


def _prepare(payoffs: Any, g: Graph, update: Any, payoff: Any, fitness_map: Any,
             selection: Any, self_interaction: Any, regime: Any, cooperation: Any,
             institution_scope: Any, peer_punishment: Any, punishers: Any,
             mutation: Any, sanctions: Any = None) -> tuple[_Setup, tuple[str, ...]]:  # fmt: skip
    """Validate the game, the regime and the update; the kernel's arrays."""
    A, names, game = _interactions(payoffs)
    k = len(names)
    bare, played = _played(payoffs, sanctions, k, game, regime)
    if bare is not None:
        A = bare
    if not isinstance(update, str) or update not in UPDATES:
        raise ValueError(f"update must be one of {', '.join(map(repr, UPDATES))}, got {update!r}")
    if payoff not in PAYOFFS:
        raise ValueError(f"payoff must be 'accumulated' or 'averaged', got {payoff!r}")
    own = boolean(self_interaction, "self_interaction")
    mode = (codes.GRAPH_AVERAGED if payoff == "averaged" else 0) | (codes.GRAPH_SELF if own else 0)
    if institution_scope not in SCOPES:
        raise ValueError(
            f"institution_scope must be 'global' or 'local', got {institution_scope!r}"
        )
    fl = np.zeros(_gk.N_FLAGS, np.int64)
    G = np.zeros(0)
    Cb = np.zeros((1, 1))
    if game is not None:
        if own:
            raise ValueError("self_interaction is for pairwise games (a node is already in "
                             "its own group)")
        sizes = np.unique(g.degrees + 1)
        if sizes.size != 1 or sizes[0] != game.group_size:
            raise ValueError(
                f"group_size of the game ({game.group_size}) must be every node's degree + 1 "
                f"(each node and its neighbours form a group); the graph's groups have sizes "
                f"{sizes.tolist()}"
            )
        fl[_gk.GAME] = 1
        G = game.kernel_params()
        Cb = binomials(game.group_size - 1 + k - 1, k - 1)
    C = None
    if cooperation is not None and not (game is not None and np.ndim(cooperation) == 1):
        C = cooperation_matrix(cooperation, names, "cooperation")
    A = _peer(peer_punishment, punishers, C, A, names, game is not None)
    lo, hi = _bounds(A, game, g, mode)
    R = np.zeros(0)
    D = np.zeros(1)
    mu = None
    if regime is not None:
        if not isinstance(regime, Regime):
            raise TypeError(f"regime must be a Regime, got {type(regime).__name__}")
        setup = regime_setup(regime.replace(conformity=0.0), mutation, A if game is None
                             else game, cooperation, names, sanctions=played)  # fmt: skip
        A = np.ascontiguousarray(setup.A)
        R = np.ascontiguousarray(setup.params)
        if regime.coevolves:  # D[1]: the strength every node's institution starts at
            D = np.array([regime.conformity, regime.initial_strength])
            fl[_gk.COEV] = 1
        D[0] = regime.conformity
        mu = float(setup.mutation)
        fl[_gk.REGIME] = 1
        fl[_gk.GLOBAL] = institution_scope == "global"
        shared = regime.cost > 0.0 and regime.cost_by_contributors
        fl[_gk.GROUPED] = regime.tax > 0 or shared or regime.switch > 0 or regime.conformity > 0
        q = regime.detection
        if game is None:
            lo, hi = _bounds(A, None, g, mode)
        count = int(setup.params[SANCTIONS])  # played sanctions on top, at strength <= 1
        for M in () if count == 0 else (played.total,) if count == 1 else played[:2]:
            low, high = _bounds(M, None, g, mode)
            lo += min(low, 0.0)
            hi += max(high, 0.0)
        span = g.n if institution_scope == "global" else int(g.degrees.max()) + 1
        hi += q * regime.reward + regime.conformity
        lo -= q * regime.fine + regime.cost * (span if shared else 1.0)
    elif cooperation is not None and peer_punishment is None:
        raise ValueError("cooperation is only used with a regime or peer_punishment")
    rule = UPDATES[update]
    if rule in (codes.GRAPH_BD, codes.GRAPH_DB, codes.GRAPH_IMITATION):
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
    st = _Setup(rule, fmap, mode, w, hi, np.ascontiguousarray(A, dtype=np.float64),
                (G, R, Cb, fl, D), mu, bool(fl[_gk.COEV]))
    return st, names


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
    regime: Regime | None = None,
    cooperation: Any = None,
    institution_scope: Literal["global", "local"] = "global",
    peer_punishment: tuple[float, float] | None = None,
    punishers: Any = None,
    sanctions: Any = None,
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
    payoffs : array_like, DataFrame, object with ``.payoffs``, or GroupGame
        The k x k game (a ``Tournament``'s interactions play on the graph as they are), or an
        n-player game played on overlapping groups: each node and its neighbours form a group
        (``group_size`` must be every degree + 1), and a node plays in the groups centred on
        itself and on each neighbour (Szabó & Hauert 2002; Santos, Santos & Pacheco 2008),
        its payoffs summed (or averaged over its groups).
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
        Stop once one strategy holds every node (default: when ``mutation == 0`` and the
        institution does not co-evolve); later rows repeat the final state. Without mutation
        ``"best"`` also stops at a state that no longer changes (unless the institution
        co-evolves). Refused with a co-evolving institution, which moves on after fixation.
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
    regime : Regime, optional
        An institution acting on every node's payoff (docs/structure.md): node ``i``
        cooperates at the rate ``c_i``, the mean of ``C[s_i, s_j]`` over its partners, and
        :func:`~evopolity.kernels.fitness.institution_adjust` applies the regime's terms to
        its base payoff: fine ``- q F (1 - c_i)``, reward ``+ q B c_i``, cost, tax and
        conformity. Its ``mutation`` replaces ``mutation``. A co-evolving institution
        (``feedback`` or ``decay`` above 0) has a strength per node, ``m_i`` (one shared
        ``m`` with ``institution_scope="global"``), starting at ``initial_strength``: every
        ``n`` events (every round under ``"best"``) it moves by the exact solution over one
        unit of time of ``dm/dt = feedback (support - m) - decay``, ``support`` the mean
        ``c_j`` over the neighbourhood ``{i} + I(i)`` (over all nodes when global), and
        node ``i``'s regime terms act at strength ``m_i``; the mean strength is the
        trajectory's macro column ``institution_strength``. Sanctions played inside matches
        (a tournament played under the regime, or ``sanctions``) replace the expected fine
        and reward: node ``i`` receives ``S[s_i, s_j]`` from each partner, summed (or
        averaged) like its payoff, scaled by its strength, and with a ``switch`` the fines
        (``S_fine``) act only while the cooperation level (over all nodes, or the
        neighbourhood when local) is at least ``switch``, the rewards (``S_reward``) only
        below it.
    cooperation : array_like, DataFrame or Tournament, optional
        The k x k cooperation matrix the regime and ``peer_punishment`` read (for a group
        game a vector of each strategy's contribution may do).
    institution_scope : {"global", "local"}
        Where the regime's means are taken (the tax's mean payoff, a cost shared by
        contributors, the switch's cooperation level, the conformity's share of one's
        strategy): over all nodes (a central institution) or over each node's neighbourhood
        ``{i} + I(i)`` (one institution per neighbourhood).
    peer_punishment : (float, float), optional
        ``(fine, cost)`` of peer punishment between neighbours: a punisher pays ``cost`` per
        defection of a neighbour against it and fines that neighbour ``fine``
        (:func:`peer_punished`; Brandt, Hauert & Sigmund 2003; Helbing et al. 2010).
    punishers : str, int or sequence, optional
        The strategies that punish (with ``peer_punishment``).
    sanctions : PlayedSanctions or dict, optional
        The sanctions played inside matches per turn at full strength (``fine``, ``reward``,
        ``to_institution``, k x k each; a trajectory's ``params["sanctions"]``), with
        ``payoffs`` the bare game and a ``regime``; a tournament played under the regime
        brings its own.

    Returns
    -------
    Trajectory
        Strategy frequencies at the recorded generations; ``info`` has ``fixated``,
        ``winner``, ``generations`` (run), ``states`` (every node's final strategy index) and,
        with ``snapshots=True``, ``snapshots``. With a co-evolving institution, ``macro`` has
        the mean strength ``institution_strength`` at the recorded generations and ``info``
        every node's final strength, ``strengths``.

    Raises
    ------
    ValueError
        For an unknown ``update``, ``payoff`` or ``fitness_map``, a parameter out of range, a
        graph with isolated nodes, graphs on different nodes, an initial state that does not
        fit the nodes, a ``selection`` so strong that fitnesses overflow, a group game whose
        ``group_size`` is not every degree + 1, ``stop_on_fixation=True`` with a co-evolving
        regime, a tournament played under other in-play fields than ``regime``'s, or a
        regime, ``sanctions`` or peer punishment without what it needs (cooperation,
        punishers, a regime).
    TypeError
        For a ``graph`` that is no graph, or a ``regime`` that is no ``Regime``.
    """
    g, r = _graphs(graph, replacement_graph)
    st, names = _prepare(payoffs, g, update, payoff, fitness_map, selection, self_interaction,
                         regime, cooperation, institution_scope, peer_punishment, punishers,
                         mutation, sanctions)  # fmt: skip
    A = st.A
    k = len(names)
    generations = integer(generations, "generations", 0)
    mu = probability(mutation if st.mutation is None else st.mutation, "mutation")
    if mu > 0 and k < 2:
        raise ValueError("mutation needs at least 2 strategies")
    if stop_on_fixation is None:
        stop_on_fixation = mu == 0.0 and not st.coevolves
    stop_on_fixation = boolean(stop_on_fixation, "stop_on_fixation")
    if stop_on_fixation and st.coevolves:
        raise ValueError(
            f"stop_on_fixation must be False with regime {regime.name!r}: its institutions "
            "co-evolve (feedback or decay above 0) and keep moving after fixation"
        )
    ss = seed_sequence(seed)
    rng = np.random.Generator(np.random.PCG64(ss.spawn(1)[0]))
    if states is not None:
        if x0 is not None:
            raise ValueError("give x0 or states, not both")
        s = _states(states, g.n, k)
    elif x0 is None:
        s = rng.integers(k, size=g.n).astype(np.int64)
    else:
        counts = population_counts(x0, g.n, names)
        s = np.repeat(np.arange(k, dtype=np.int64), counts)
        rng.shuffle(s)
    initial = s.copy()
    pts = _record_points(generations, record_every, k)
    out = np.empty((pts.size, k))
    mout = np.empty(pts.size if st.coevolves else 0)
    strengths = np.empty(g.n if st.coevolves else 0)
    if boolean(snapshots, "snapshots"):
        check_size(pts.size * g.n, MAX_ROWS, "snapshot entries", "recorded generations x nodes",
                   bytes_per_item=1, fix="raise record_every")  # fmt: skip
        snaps = np.empty((pts.size, g.n), np.int8 if k <= 127 else np.int64)
    else:
        snaps = np.empty((0, g.n), np.int8 if k <= 127 else np.int64)
    args = (st.rule, st.fmap, st.mode, A, g.indptr, g.indices, r.indptr, r.indices, s, st.w,
            mu, st.ref, pts, bool(stop_on_fixation),
            np.uint64(stream_key(packed_seed(ss), 0, 0)), out, snaps)  # fmt: skip
    fl = st.model[3]
    if st.rule != codes.GRAPH_BEST and not (fl[_gk.GAME] or fl[_gk.REGIME]) and \
            k <= _gk.MAX_FAST_K:
        t = _gk.simulate_plain(*args)  # compiles only this rule's loop
        fixed = np.flatnonzero(out[-1] == g.n)
        winner = int(fixed[0]) if fixed.size else -1
    else:
        t, winner = _gk.simulate(*args, mout, strengths, *st.model)
    s.setflags(write=False)
    snaps.setflags(write=False)
    strengths.setflags(write=False)
    return Trajectory(
        pts.astype(np.float64),
        out / g.n,
        names,
        macro=mout[:, None] if st.coevolves else None,
        macro_names=("institution_strength",) if st.coevolves else None,
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
            "fitness_map": fitness_map if st.rule in (codes.GRAPH_BD, codes.GRAPH_DB,
                                                      codes.GRAPH_IMITATION) else None,
            "payoffs": payoffs if isinstance(payoffs, GroupGame) else A,
            "regime": regime,
            "institution_scope": institution_scope if regime is not None else None,
            "peer_punishment": peer_punishment,
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
            **({"strengths": strengths} if st.coevolves else {}),
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
    regime: Regime | None = None,
    cooperation: Any = None,
    institution_scope: Literal["global", "local"] = "global",
    peer_punishment: tuple[float, float] | None = None,
    punishers: Any = None,
    sanctions: Any = None,
) -> FixationEstimate:
    r"""Estimate the probability that one ``mutant`` takes over a graph of ``resident``.

    Each run places the mutant on a uniformly chosen node (or ``start_node``), every other node
    holding the resident, and runs the update (as in :func:`structured`, without mutation)
    until the mutant holds every node or none. Runs are spread over numba's threads; run ``r``
    draws from its own stream keyed by ``r``, so the estimate is the same for a seed whatever
    the number of threads. The neutral reference is ``1 / n``.

    Parameters
    ----------
    payoffs : array_like, DataFrame, object with ``.payoffs``, or GroupGame
        The k x k game, or a group game on overlapping groups (:func:`structured`).
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
    regime, cooperation, institution_scope, peer_punishment, punishers, sanctions
        As in :func:`structured` (the regime without mutation).

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
        isolated nodes, a disconnected replacement graph (fixation is impossible), a
        parameter out of range, or a regime as :func:`structured` refuses it (or with
        mutation).
    TypeError
        For a ``graph`` that is no graph, or a ``regime`` that is no ``Regime``.
    """
    _, names, game = _interactions(payoffs)
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
    pair = [m, res]
    if punishers is not None and peer_punishment is not None:
        if isinstance(punishers, (str, int, np.integer)):
            punishers = [punishers]
        punishers = [strategy_index(p, names, "punishers") for p in punishers]
        punishers = [pair.index(p) for p in punishers if p in pair] or None
        if punishers is None:
            peer_punishment = None
    if cooperation is not None and not (game is not None and np.ndim(cooperation) == 1):
        cooperation = cooperation_matrix(cooperation, names, "cooperation")[np.ix_(pair, pair)]
    elif cooperation is not None:
        cooperation = np.asarray(cooperation, dtype=np.float64)[pair]
    bare, played = _played(payoffs, sanctions, len(names), game, regime)
    if played is not None:
        played = PlayedSanctions(*(M[np.ix_(pair, pair)] for M in played))
    if game is not None:
        sub = game.subgame([names[m], names[res]])
    else:
        A = as_payoff_matrix(payoffs)[0] if bare is None else bare
        sub = np.ascontiguousarray(A[np.ix_(pair, pair)])
    st, _ = _prepare(sub, g, update, payoff, fitness_map, selection, self_interaction, regime,
                     cooperation, institution_scope, peer_punishment, punishers, 0.0, played)
    if regime is not None and st.mutation:
        raise ValueError(
            f"regime {regime.name!r} has mutation {st.mutation:g}: fixation needs none"
        )
    A2 = st.A
    runs = integer(runs, "runs", 1, 10**10)
    node = -1 if start_node is None else integer(start_node, "start_node", 0, g.n - 1)
    cap = 2**62 if max_generations is None else integer(max_generations, "max_generations")
    ss = seed_sequence(seed)
    fixed = np.empty(runs, np.int8)
    times = np.empty(runs, np.int64)
    args = (st.rule, st.fmap, st.mode, A2, g.indptr, g.indices, r.indptr, r.indices, st.w,
            st.ref, runs, node, packed_seed(ss), cap, fixed, times)
    fl = st.model[3]
    if fl[_gk.GAME] or fl[_gk.REGIME]:
        _gk.fixation(*args, *st.model)
    else:
        _gk.fixation_plain(*args)  # compiles only this rule's loop
    return _estimate(fixed, times, 1.0 / g.n)


def node_payoffs(
    payoffs: Any,
    graph: Any,
    states: Any,
    *,
    payoff: Literal["accumulated", "averaged"] = "accumulated",
    self_interaction: bool = False,
    regime: Regime | None = None,
    cooperation: Any = None,
    institution_scope: Literal["global", "local"] = "global",
    peer_punishment: tuple[float, float] | None = None,
    punishers: Any = None,
    sanctions: Any = None,
    strengths: Any = None,
) -> pd.Series:
    """Every node's payoff in the state ``states``: what the update rules of
    :func:`structured` read (fitness is a map of it).

    Parameters
    ----------
    payoffs : array_like, DataFrame, object with ``.payoffs``, or GroupGame
        The game (:func:`structured`).
    graph : Graph, networkx graph or adjacency matrix
        The interaction graph.
    states : array_like of int
        The strategy index of every node.
    payoff, self_interaction, regime, cooperation, institution_scope, peer_punishment, \
punishers, sanctions
        As in :func:`structured`.
    strengths : float or array_like, optional
        The institution's strength ``m_i`` in [0, 1] at every node (n values; with
        ``institution_scope="global"`` one number, the strength all share), at which the
        regime's terms act (fine ``- m_i q F (1 - c_i)``, reward, cost, played sanctions;
        docs/structure.md); default: full strength, or ``initial_strength`` for a
        co-evolving institution. Needs a ``regime``.

    Returns
    -------
    Series
        The payoff of each node, indexed by node, named ``payoff``.

    Raises
    ------
    ValueError
        As :func:`structured` does, or for ``states`` that do not fit the nodes.
    TypeError
        For a ``graph`` that is no graph, or a ``regime`` that is no ``Regime``.
    """
    g, _ = _graphs(graph, None)
    st, names = _prepare(payoffs, g, "fermi", payoff, "exponential", 1.0, self_interaction,
                         regime, cooperation, institution_scope, peer_punishment, punishers,
                         0.0, sanctions)  # fmt: skip
    s = _states(states, g.n, len(names))
    P, F = np.empty(g.n), np.empty(g.n)
    counts = np.zeros(len(names), np.int64)
    gx = _gk.extension(*st.model, g.n, len(names))
    if strengths is not None:
        if regime is None:
            raise ValueError("strengths needs a regime (the strength of its institution)")
        m = np.asarray(strengths, dtype=np.float64)
        one = institution_scope == "global"
        if (m.shape != () if one else m.shape not in ((), (g.n,))) or not (
                np.all(m >= 0.0) and np.all(m <= 1.0)):
            want = "one number" if one else f"one number or {g.n} values"
            raise ValueError(f"strengths must be {want} in [0, 1] (institution_scope="
                             f"{institution_scope!r}), got {np.asarray(strengths)!r}")
        gx[11][:] = m
    _gk.init_state(codes.GRAPH_FERMI, st.fmap, st.mode, st.A, g.indptr, g.indices, s, 0.0,
                   0.0, P, F, np.zeros(0), 1, counts, gx)  # fmt: skip
    fl = st.model[3]
    if not (fl[_gk.GAME] or fl[_gk.REGIME]) and st.mode & codes.GRAPH_AVERAGED:
        P = P / (g.degrees + (1 if st.mode & codes.GRAPH_SELF else 0))  # the plain path keeps sums
    return pd.Series(P, index=pd.RangeIndex(g.n, name="node"), name="payoff")


def _states(states: Any, n: int, k: int) -> np.ndarray:
    s = np.asarray(states)
    if s.shape != (n,) or s.dtype.kind not in "iu":
        raise ValueError(f"states must be {n} integer strategy indices, got {s.shape}")
    if ((s < 0) | (s >= k)).any():
        raise ValueError(f"states must lie in 0 .. {k - 1}")
    return s.astype(np.int64)
