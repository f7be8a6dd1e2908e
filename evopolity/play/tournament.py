"""Round-robin tournaments: every strategy meets every other, and itself.

The result is the interaction data every dynamic needs (docs/design.md): ``A[i, j]`` the mean
per-turn payoff of ``i`` against ``j`` and ``C[i, j]`` the fraction of ``i``'s moves that
cooperate against ``j``. Pairs of automata are played by the numba kernels (simulated) or
solved as Markov chains (``method="exact"``); axelrod players that are not automata are played
by axelrod's own engine, pair by pair (the slow path).

With ``regime=`` every round is played under the institution (:mod:`kernels.sanctions`):
detected moves are fined or rewarded as the regime's norm says, fines go where its
``fine_to`` says, and the payoffs are net of it; ``Tournament.sanctions`` reports what was
paid, received and collected.
"""

from __future__ import annotations

import functools
import math
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evopolity.kernels import _jit, codes, markov, match
from evopolity.kernels import sanctions as sanction_kernels
from evopolity.kernels.rng import packed_seed
from evopolity.play.games import Game, as_game
from evopolity.play.strategies import library
from evopolity.play.strategies.automaton import PackedStrategies, Strategy
from evopolity.validate import integer, probability, seed_sequence

__all__ = ["Tournament", "tournament", "resolve_strategies", "check_turns", "MAX_TURNS"]

METHODS = ("simulate", "exact")
SANCTION_COLUMNS = ("fines_paid", "fines_received", "rewards", "to_institution")
# the fields of a regime that act inside a match (the rest act on the population)
_IN_PLAY = ("fine", "detection", "reward", "captured", "switch", "norm", "fine_to")


def resolve_strategies(
    strategies: Any, *, distinct: bool = True, automata: bool = False, name: str = "strategies"
) -> list[Any]:
    """The players that ``strategies`` names: the one place where names become strategies.

    Every public function that takes ``strategies`` (:func:`tournament`,
    :func:`evopolity.agent_moran`, :func:`evopolity.evolve`, the CLI and experiment specs)
    resolves them here.

    Parameters
    ----------
    strategies : str, Strategy, or iterable
        A collection name of the library (``"basic"``, ``"all"``, ...;
        :data:`evopolity.library.COLLECTIONS`), or an iterable whose items are ``Strategy``
        objects, library names (display or axelrod class names, any case; see
        :func:`evopolity.library.get`), collection names (expanded in place) and axelrod
        players (converted to automata where possible, else kept for axelrod's engine).
    distinct : bool
        Refuse two players with the same name (a tournament's rows are named); ``False``
        keeps repeats (the agents of :func:`evopolity.agent_moran`).
    automata : bool
        Refuse axelrod players that are not finite automata (for the kernels that play only
        automata).
    name : str
        The parameter's name in error messages.

    Returns
    -------
    list
        ``Strategy`` objects, and axelrod players that are not automata (unless
        ``automata``), in the order given.

    Raises
    ------
    TypeError
        For an item that is neither a ``Strategy``, a name nor an axelrod player.
    ValueError
        For an unknown name or collection, an empty result, repeated names with
        ``distinct``, or a player that is not an automaton with ``automata``.
    """
    from evopolity.play import axelrod_bridge

    if isinstance(strategies, str):
        if strategies not in library.COLLECTIONS:
            raise ValueError(
                f"{name} must be a collection name (one of {sorted(library.COLLECTIONS)}) or "
                f"a list of strategies, got {strategies!r}"
            )
        return library.collection(strategies)
    if isinstance(strategies, Strategy) or not isinstance(strategies, Iterable):
        raise TypeError(
            f"{name} must be a collection name or a list of strategies, got "
            f"{type(strategies).__name__}"
        )
    out: list[Any] = []
    for k, item in enumerate(strategies):
        if isinstance(item, Strategy):
            out.append(item)
        elif isinstance(item, str):
            if item in library.COLLECTIONS:
                out.extend(library.collection(item))
            else:
                out.append(library.get(item))
        elif axelrod_bridge.is_axelrod_player(item):
            try:
                out.append(axelrod_bridge.from_axelrod(item))
            except ValueError:
                if automata:
                    raise
                out.append(item)  # not an automaton: axelrod's engine plays its pairs
        else:
            raise TypeError(
                f"{name}[{k}] must be a Strategy, a library name or an axelrod player, "
                f"got {type(item).__name__}"
            )
    if not out:
        raise ValueError(f"{name} is empty: give at least one strategy")
    if distinct:
        names = [str(s) for s in out]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(
                f"{name} must have distinct names; repeated: {duplicates} "
                "(use Strategy.renamed to tell copies apart)"
            )
    return out


#: The most turns per match and repetitions per pair: counts stay exact in a double (the
#: per-turn means divide by them) and their product fits the kernels' int64 counters.
MAX_TURNS = 2**53


def check_turns(turns: Any, name: str = "turns") -> int:
    """``turns`` as an int in ``[1, 2**53]`` (the kernels count turns in int64 and divide
    payoff totals by them in doubles)."""
    turns = integer(turns, name, 1, maximum=2**1024)  # the bound below, with its reason
    if turns > MAX_TURNS:
        raise ValueError(
            f"{name} must be at most 2**53 = {MAX_TURNS} (turn counts must stay exact in a "
            f"double and fit the kernels' 64-bit integers), got {turns}"
        )
    return turns


def _check_settings(turns, repetitions, noise, prob_end, method, threads) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if turns is not None:
        check_turns(turns, "turns")
    check_turns(repetitions, "repetitions")
    if turns is not None and turns * repetitions > 2**62:
        raise ValueError(
            f"turns * repetitions must be at most 2**62 (the kernels count every turn of "
            f"every repetition in a 64-bit integer), got {turns} * {repetitions}"
        )
    probability(noise, "noise")
    if prob_end is not None:
        probability(prob_end, "prob_end", zero=False)
    if threads is not None:
        integer(threads, "threads")
    if turns is None and prob_end is None and method == "simulate":
        raise ValueError(
            "turns=None (the limit of means) can only be computed with method='exact'; "
            "give a number of turns or a prob_end to simulate"
        )


class Tournament:
    """The result of a round robin (built by :func:`tournament`).

    Parameters
    ----------
    strategies : sequence
        The strategies, in order.
    payoffs, payoff_std, cooperation, turns_played : ndarray
        k x k arrays, as the attributes below.
    settings : dict
        The parameters that made this tournament.
    sanctions : dict of ndarray, optional
        k x k arrays ``fines_paid``, ``fines_received``, ``rewards`` and ``to_institution``
        (per-turn means); None: no institution played inside the matches (all zero).

    Attributes
    ----------
    payoffs : DataFrame
        Mean per-turn payoff of the row strategy against the column strategy (index and
        columns named ``player`` and ``opponent``). The diagonal is self-play: the mean of the
        two copies' payoffs. Under a regime, net of fines and rewards.
    payoff_std : DataFrame
        Standard deviation over repetitions of the row strategy's per-turn payoff (0 for an
        exact result or a single repetition).
    cooperation : DataFrame
        Fraction of the row strategy's moves that cooperate against the column strategy.
    turns_played : DataFrame
        Number of turns each pair played in all (expected number for exact results).
    sanctions : DataFrame
        Per-turn sanctions of the row strategy against the column one, in tidy long form
        (one row per ``(player, opponent)``).
    strategies : list
        The strategies, in order.
    settings : dict
        The parameters that made this tournament (game, turns, noise, ...).
    """

    def __init__(
        self,
        strategies: Sequence[Any],
        payoffs: np.ndarray,
        payoff_std: np.ndarray,
        cooperation: np.ndarray,
        turns_played: np.ndarray,
        settings: dict[str, Any],
        sanctions: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.strategies = list(strategies)
        self.settings = settings
        self._names: tuple[str, ...] | None = None  # tournament() sets them, known already
        # DataFrames are built on first use: a sweep that only needs arrays never pays for them
        self._arrays = {
            "payoffs": payoffs,
            "payoff_std": payoff_std,
            "cooperation": cooperation,
            "turns_played": turns_played,
        }
        if sanctions is not None:  # else all zero, made when asked for
            for name in SANCTION_COLUMNS:
                self._arrays[name] = sanctions[name]

    def _labels(self, name: str) -> pd.Index:
        """The strategies' names as an index called ``name``: a fresh view of a cached index
        (building an index of strings costs more than a small tournament's matches; each
        frame gets its own view, so renaming one frame's axis leaves the others alone)."""
        if self._names is None:
            self._names = tuple(str(s) for s in self.strategies)
        labels = _names_index(self._names).view()
        labels.name = name
        return labels

    def _frame(self, key: str) -> pd.DataFrame:
        return pd.DataFrame(self._arrays[key], index=self._labels("player"),
                            columns=self._labels("opponent"))

    @functools.cached_property
    def payoffs(self) -> pd.DataFrame:
        """``A[i, j]``: mean per-turn payoff of the row strategy against the column one."""
        return self._frame("payoffs")

    @functools.cached_property
    def payoff_std(self) -> pd.DataFrame:
        """Standard deviation over repetitions of the row strategy's per-turn payoff."""
        return self._frame("payoff_std")

    @functools.cached_property
    def cooperation(self) -> pd.DataFrame:
        """``C[i, j]``: fraction of the row strategy's moves that cooperate against the
        column strategy."""
        return self._frame("cooperation")

    @functools.cached_property
    def turns_played(self) -> pd.DataFrame:
        """Turns each pair played in all (expected number for exact results)."""
        return self._frame("turns_played")

    @functools.cached_property
    def sanctions(self) -> pd.DataFrame:
        """What the institution did inside the matches, per turn, in tidy long form.

        One row per ``(player, opponent)`` (the index, as ``payoffs.stack()`` orders it) and
        the columns

        * ``fines_paid``: the row strategy's expected fines per turn against the column one;
        * ``fines_received``: the fines it received per turn (its opponent's with
          ``fine_to="victim"``, half of both with ``"group"``, its own half included);
        * ``rewards``: the rewards it received per turn;
        * ``to_institution``: the part of its fines that reached the institution
          (``fine_to="institution"``; 0 otherwise).

        ``payoffs = game payoff - fines_paid + fines_received + rewards``, entry by entry.
        All zero for a tournament without a regime. Self-play rows are the mean of the two
        copies, as for ``payoffs``.
        """
        index = pd.MultiIndex.from_product([self._labels("player"), self._labels("opponent")])
        zero = np.zeros(len(index))
        return pd.DataFrame({name: self._arrays[name].ravel() if name in self._arrays else zero
                             for name in SANCTION_COLUMNS}, index=index)

    @property
    def names(self) -> list[str]:
        """The strategies' names, in order."""
        return [str(s) for s in self.strategies]

    @property
    def game(self) -> Game:
        """The stage game that was played."""
        return self.settings["game"]

    def ranking(self) -> pd.DataFrame:
        """Strategies ranked by mean per-turn payoff against all strategies (self included).

        Returns
        -------
        DataFrame
            Columns ``rank, strategy, mean_payoff, cooperation, min_payoff, max_payoff``,
            best first (ties broken by name).
        """
        frame = pd.DataFrame(
            {
                "strategy": self.payoffs.index,
                "mean_payoff": self.payoffs.mean(axis=1).to_numpy(),
                "cooperation": self.cooperation.mean(axis=1).to_numpy(),
                "min_payoff": self.payoffs.min(axis=1).to_numpy(),
                "max_payoff": self.payoffs.max(axis=1).to_numpy(),
            }
        )
        frame = frame.sort_values(["mean_payoff", "strategy"], ascending=[False, True])
        frame.insert(0, "rank", np.arange(1, len(frame) + 1))
        return frame.reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """The tournament in tidy long form.

        Returns
        -------
        DataFrame
            One row per (player, opponent), columns ``player, opponent, payoff, payoff_std,
            cooperation, turns``.
        """
        frame = pd.DataFrame(
            {
                "payoff": self.payoffs.stack(),
                "payoff_std": self.payoff_std.stack(),
                "cooperation": self.cooperation.stack(),
                "turns": self.turns_played.stack(),
            }
        )
        return frame.reset_index()

    def __repr__(self) -> str:
        s = self.settings
        regime = s.get("regime")
        played = "" if regime is None else f", regime={regime.name!r}"
        return (
            f"<Tournament: {len(self.strategies)} strategies, {s['game'].describe()}, "
            f"turns={s['turns']}, prob_end={s['prob_end']}, noise={s['noise']}, "
            f"repetitions={s['repetitions']}, method={s['method']!r}{played}>"
        )



@functools.lru_cache(maxsize=64)
def _names_index(names: tuple[str, ...]) -> pd.Index:
    """An index of strategy names, built once per list of names (:meth:`Tournament._labels`
    hands out views of it)."""
    return pd.Index(names)


def tournament(
    strategies: Any,
    game: Game | None = None,
    turns: int | None = 200,
    repetitions: int = 1,
    noise: float = 0.0,
    prob_end: float | None = None,
    seed: int | np.random.SeedSequence | None = None,
    method: str = "simulate",
    threads: int | None = None,
    regime: Any = None,
) -> Tournament:
    """Play a round robin, self-play included (Axelrod 1984).

    Parameters
    ----------
    strategies : str or list
        A collection name of the library (``"basic"``, ``"all"``, ...), or a list of
        ``Strategy`` objects, library names, collection names and axelrod players
        (:func:`resolve_strategies`); names must be distinct.
    game : Game, optional
        Stage game (default: prisoner's dilemma with (R, S, T, P) = (3, 0, 5, 1)).
    turns : int or None
        Rounds per match. With ``prob_end`` it caps the geometric length (as axelrod's
        ``Match``); ``None`` with ``prob_end`` means no cap; ``None`` without ``prob_end``
        asks for the limit of means (``method="exact"`` only).
    repetitions : int
        Matches per pair (deterministic pairs without noise and of fixed length are played
        once: every repetition would be the same).
    noise : float
        Probability that each intended move is flipped.
    prob_end : float, optional
        Probability that a match ends after each round (geometric lengths, mean 1/prob_end).
    seed : int, SeedSequence or None
        None (default) draws fresh entropy; an int reproduces the result, whatever the number
        of threads. Pair ``(i, j)`` (positions in ``strategies``) draws from its own stream.
        With ``method="exact"`` nothing is drawn and the seed is unused.
    method : {"simulate", "exact"}
        ``"exact"`` solves each pair's Markov chain: expected per-turn payoffs for ``turns``
        rounds, for geometric lengths, or in the limit of means.
    threads : int, optional
        numba threads for the kernels (default: numba's default, all cores).
    regime : Regime, optional
        Play every round under this institution: each move is seen with probability
        ``detection``; a seen move that the regime's ``norm`` condemns is fined ``fine`` (a
        ``captured`` institution fines seen cooperation instead), a seen cooperation earns
        ``reward``; fines go where ``fine_to`` says. The institution acts at full strength
        (sanctions are linear in it, so dynamics can scale them by ``m``); the fields that act
        on a population (tax, cost, conformity, mutation, the institution's law) are left to
        the dynamics. Payoffs are net of sanctions; :attr:`Tournament.sanctions` reports them.
        The detections are drawn from their own streams: the moves are those played without
        the regime.

    Returns
    -------
    Tournament
        ``payoffs`` (``A``), ``cooperation`` (``C``), ``payoff_std``, ``turns_played`` and
        the settings.

    Raises
    ------
    TypeError
        For a strategy that is neither a ``Strategy``, a name nor an axelrod player, or a
        setting of the wrong type.
    ValueError
        For an unknown name, repeated names, a setting out of range, ``method="exact"``
        with axelrod players that are not automata, a regime with sanctions together with
        axelrod players that are not automata (axelrod's engine cannot sanction rounds), or a
        regime with a ``switch`` (it reads the population's cooperation level, which a
        tournament does not have).

    Notes
    -----
    Per-turn payoffs pool all turns of all repetitions: total payoff over total turns. With
    ``prob_end`` this is the expected total over the expected length, which is what the exact
    solver computes. Sanctions are pooled the same way.

    Under a regime with ``norm="unjustified"`` a defection is fined only when the opponent
    cooperated in the previous round (a first-round defection is unjustified); the exact
    solver reads each round's sanction off the state of the round before
    (:mod:`evopolity.kernels.markov`).
    """
    _check_settings(turns, repetitions, noise, prob_end, method, threads)
    sanctions = _sanction_inputs(regime)
    game = as_game(game)
    prepared = _prepare(strategies)
    players, foreign = prepared.players, prepared.foreign
    if type(seed) is int and seed >= 0:  # the common case, without building a SeedSequence
        seed_seq, key = _int_seed(seed)
    else:
        seed_seq = seed_sequence(seed)
        key = packed_seed(seed_seq)
    noise = float(noise)
    pe = 0.0 if prob_end is None else float(prob_end)
    k = len(players)
    if method == "exact" and foreign:
        names = [str(players[i]) for i in foreign]
        raise ValueError(
            f"method='exact' needs automata; these axelrod strategies are not: {names}"
        )
    if foreign and turns is None and prob_end is None:
        raise ValueError("axelrod players need a number of turns or a prob_end")
    if foreign and sanctions is not None:
        names = [str(players[i]) for i in foreign]
        raise ValueError(
            f"regime acts inside matches, which needs automata; these axelrod strategies are "
            f"not: {names}"
        )

    # payoffs, std, cooperation, turns, fines, rewards: one k x k matrix each
    matrices = np.zeros((len(_COLUMNS_I), k, k))
    pair_i, pair_j = prepared.pair_i, prepared.pair_j
    if pair_i.size:
        out = _run_kernel(prepared.packed, pair_i, pair_j, prepared.n_fixed, game, turns, pe,
                          noise, repetitions, key, method, threads, sanctions)
        match.pair_matrices(out, pair_i, pair_j, _COLUMNS_I, _COLUMNS_J, matrices)
    if foreign:
        from evopolity.play.axelrod_bridge import play_with_axelrod

        foreign_set = set(foreign)
        for i in range(k):
            for j in range(i, k):
                if i in foreign_set or j in foreign_set:
                    pair_seq = np.random.SeedSequence(
                        seed_seq.entropy, spawn_key=(*seed_seq.spawn_key, i, j)
                    )
                    pair_seed = int(pair_seq.generate_state(1)[0])
                    row = play_with_axelrod(players[i], players[j], game, turns, prob_end,
                                            noise, repetitions, pair_seed)
                    match.pair_matrices(_bridge_row(row), np.array([i]), np.array([j]),
                                        _COLUMNS_I, _COLUMNS_J, matrices)
    settings = {
        "game": game,
        "turns": turns,
        "repetitions": repetitions,
        "noise": noise,
        "prob_end": prob_end,
        "seed": seed_seq.entropy,
        "method": method,
        "regime": regime,
    }
    payoffs, std, coop, turns_played, fines, rewards = matrices
    frames = None
    if regime is not None:
        frames = _sanction_frames(fines, rewards, regime.fine_to)
    result = Tournament(players, payoffs, std, coop, turns_played, settings, frames)
    result._names = prepared.names
    return result


# the kernel columns each k x k matrix of a tournament reads, for the row player (i) and the
# column player (j): payoffs, payoff_std, cooperation, turns_played, fines, rewards
_COLUMNS_I = np.array([codes.PAYOFF_I, codes.STD_I, codes.COOP_I, codes.TURNS, codes.FINE_I,
                       codes.REWARD_I], dtype=np.int64)
_COLUMNS_J = np.array([codes.PAYOFF_J, codes.STD_J, codes.COOP_J, codes.TURNS, codes.FINE_J,
                       codes.REWARD_J], dtype=np.int64)


class _Prepared:
    """What a tournament needs that depends only on its strategy list (:func:`_prepare`)."""

    __slots__ = ("items", "players", "names", "native", "foreign", "packed", "pair_i",
                 "pair_j", "n_fixed")

    def __init__(self, items: tuple, players: list[Any]) -> None:
        self.items = items  # the caller's objects, held so that their ids stay theirs
        self.players = players
        self.names = tuple(str(p) for p in players)
        self.native = [i for i, p in enumerate(players) if isinstance(p, Strategy)]
        self.foreign = [i for i, p in enumerate(players) if not isinstance(p, Strategy)]
        # pairs (i, j >= i) of automata, flattened so that threads share the work evenly
        nat = np.array(self.native, dtype=np.int64)
        iu, ju = np.triu_indices(len(nat))
        self.pair_i, self.pair_j = nat[iu], nat[ju]
        self.packed = _pack_positions(players, self.native) if self.native else None
        if self.packed is not None:
            det = self.packed.deterministic
            self.n_fixed = int(np.count_nonzero(det[self.pair_i] & det[self.pair_j]))
        else:
            self.n_fixed = 0


_PREPARED: OrderedDict[tuple, _Prepared] = OrderedDict()
_PREPARED_SIZE = 32


def _prepare(strategies: Any) -> _Prepared:
    """The resolved players of ``strategies`` and their packed tables, pairs and names,
    cached for the last few strategy lists (a sweep or a benchmark calls ``tournament`` with
    the same list many times; resolving, converting axelrod players and packing cost more
    than a small tournament's matches).

    Collection names and lists or tuples of strategies, names and axelrod players are
    cached; an axelrod player by its identity (the entry holds it, so the id stays its own):
    its conversion depends on its class and its parameters, which axelrod sets when it is
    made. Anything else is resolved afresh each call.
    """
    key = _list_key(strategies)
    if key is not None:
        hit = _PREPARED.get(key)
        if hit is not None:
            _PREPARED.move_to_end(key)
            return hit
    prepared = _Prepared(tuple(strategies) if key else (), resolve_strategies(strategies))
    if key is not None:
        _PREPARED[key] = prepared
        if len(_PREPARED) > _PREPARED_SIZE:
            _PREPARED.popitem(last=False)
    return prepared


def _list_key(strategies: Any) -> tuple | None:
    """The cache key of a strategy list for :func:`_prepare`, or None (not cached)."""
    if isinstance(strategies, str):
        return ("collection", strategies)
    if type(strategies) not in (list, tuple):  # an iterator would be consumed
        return None
    # a Strategy is immutable and hashed by its name and tables, a name by itself; anything
    # else by its id (an int: it cannot equal either)
    return tuple(item if type(item) is Strategy or type(item) is str else id(item)
                 for item in strategies)


@functools.lru_cache(maxsize=64)
def _int_seed(seed: int) -> tuple[np.random.SeedSequence, np.uint64]:
    """``SeedSequence(seed)`` and its kernel key (only ``entropy`` and ``spawn_key`` of the
    sequence are read, so one object serves every call)."""
    seed_seq = np.random.SeedSequence(seed)
    return seed_seq, packed_seed(seed_seq)


def _sanction_inputs(regime: Any) -> tuple | None:
    """The kernel inputs of a regime acting inside matches: ``(fines, rewards, detection,
    own_share, other_share)``, or None when nothing acts on a round (no regime, or neither
    fine nor reward, or nothing detected)."""
    if regime is None:
        return None
    missing = [name for name in _IN_PLAY if not hasattr(regime, name)]
    if missing:
        raise TypeError(f"regime must be a Regime, got {type(regime).__name__}")
    if regime.switch > 0.0:
        raise ValueError(
            f"regime.switch = {regime.switch} acts on the population's cooperation level, "
            "which a tournament does not have: play the regime with switch=0 and read fines "
            "and rewards apart in Tournament.sanctions, or let the dynamics apply the switch "
            "(replicator(..., regime=r))"
        )
    if regime.detection == 0.0 or (regime.fine == 0.0 and regime.reward == 0.0):
        return None
    fines, rewards = sanction_kernels.sanction_tables(
        codes.NORMS.index(regime.norm), bool(regime.captured), float(regime.fine),
        float(regime.reward),
    )
    own, other = sanction_kernels.destination_shares(
        codes.FINE_DESTINATIONS.index(regime.fine_to)
    )
    return fines, rewards, float(regime.detection), own, other


def _sanction_frames(fines: np.ndarray, rewards: np.ndarray, fine_to: str) -> dict:
    """The k x k sanction arrays of :attr:`Tournament.sanctions` from the fines paid and the
    rewards received (what is received and collected follows from the destination)."""
    own, other = sanction_kernels.destination_shares(codes.FINE_DESTINATIONS.index(fine_to))
    # what i received from its own fines and from its opponent's: fines.T[i, j] = fines[j, i]
    received = own * fines + other * fines.T
    collected = fines.copy() if fine_to == "institution" else np.zeros_like(fines)
    return {"fines_paid": fines, "fines_received": received, "rewards": rewards,
            "to_institution": collected}


def _bridge_row(row: np.ndarray) -> np.ndarray:
    """axelrod's pair row ``[payoff_i, payoff_j, coop_i, coop_j, std_i, std_j, turns]`` at
    the columns of :mod:`kernels.codes` (no sanctions), as a one-row 2-d array."""
    out = np.zeros((1, codes.N_MATCH_OUT))
    out[0, [codes.PAYOFF_I, codes.PAYOFF_J, codes.COOP_I, codes.COOP_J, codes.STD_I,
            codes.STD_J, codes.TURNS]] = row
    return out


def _pack_positions(players: Sequence[Any], native: Sequence[int]) -> PackedStrategies:
    """Pack the automata at their positions in ``players`` (an axelrod player's slot holds a
    one-state placeholder the kernels never visit), so kernel seeds follow positions."""
    if len(native) == len(players):
        return PackedStrategies(players)
    placeholder = Strategy([0.0], np.zeros((1, 2, 2), np.int64), name="placeholder")
    native = set(native)
    return PackedStrategies([p if i in native else placeholder for i, p in enumerate(players)])


def _run_kernel(packed, pair_i, pair_j, n_fixed, game, turns, prob_end, noise, repetitions, key,
                method, threads, sanctions=None) -> np.ndarray:
    # per-turn payoffs, sanctions, their spread and their totals are linear in the stage
    # payoffs and sanctions: play large ones scaled by a power of two (exact) so that totals
    # and squares cannot overflow a double, and scale the results back
    payoff = game.matrix
    largest = float(np.abs(payoff).max())
    if sanctions is not None:
        largest = max(largest, float(np.abs(sanctions[0]).max(initial=0.0)),
                      float(np.abs(sanctions[1]).max(initial=0.0)))
    if largest > 2.0**64:
        e = math.frexp(largest)[1]
        scaled = None if sanctions is None else (
            np.ldexp(sanctions[0], -e), np.ldexp(sanctions[1], -e), *sanctions[2:])
        out = _run_kernel(packed, pair_i, pair_j, n_fixed, _Scaled(np.ldexp(payoff, -e)), turns,
                          prob_end, noise, repetitions, key, method, threads, scaled)
        for col in (codes.PAYOFF_I, codes.PAYOFF_J, codes.STD_I, codes.STD_J, codes.FINE_I,
                    codes.FINE_J, codes.REWARD_I, codes.REWARD_J):
            out[:, col] = np.ldexp(out[:, col], e)
        return out
    out = np.zeros((pair_i.size, codes.N_MATCH_OUT))
    if method == "exact":
        if sanctions is None:
            sanctions = (_NO_TABLE, _NO_TABLE, 0.0, 0.0, 0.0)
        with _jit.numba_threads(threads):  # None: numba's count, and no cost of changing it
            markov.exact_pairs_auto(
                packed.p_coop, packed.next_state, packed.offsets, packed.sizes, pair_i, pair_j,
                payoff, codes.LIMIT_OF_MEANS if turns is None else int(turns), prob_end,
                noise, *sanctions, out,
            )
        out[:, codes.TURNS] = _expected_turns(turns, prob_end)
        return out
    length = -1 if turns is None else int(turns)
    certain = sanctions is None or not 0.0 < sanctions[2] < 1.0
    work = match.played_turns(pair_i.size, n_fixed, length, prob_end, noise, repetitions,
                              certain)
    # below the threshold the pairs are played on this thread, whatever ``threads`` says
    # (the results are the same; a parallel region can stall for milliseconds)
    if work < match.PARALLEL_TURNS:
        if sanctions is None:
            match.play_pairs(packed.p_coop, packed.next_state, packed.offsets,
                             packed.deterministic, pair_i, pair_j, payoff, length, prob_end,
                             noise, repetitions, key, out)
        else:
            match.play_pairs_sanctioned(packed.p_coop, packed.next_state, packed.offsets,
                                        packed.deterministic, pair_i, pair_j, payoff, length,
                                        prob_end, noise, repetitions, key, *sanctions, out)
        return out
    with _jit.numba_threads(threads):
        if sanctions is None:
            match.play_pairs_parallel(packed.p_coop, packed.next_state, packed.offsets,
                                      packed.deterministic, pair_i, pair_j, payoff, length,
                                      prob_end, noise, repetitions, key, out)
        else:
            match.play_pairs_sanctioned_parallel(
                packed.p_coop, packed.next_state, packed.offsets, packed.deterministic, pair_i,
                pair_j, payoff, length, prob_end, noise, repetitions, key, *sanctions, out)
    return out


class _Scaled:
    """A stand-in for a game in :func:`_run_kernel`: just its payoff matrix."""

    def __init__(self, matrix: np.ndarray) -> None:
        self.matrix = matrix


_NO_TABLE = np.zeros((0, 2))  # the exact kernel's "no institution"


def _expected_turns(turns: int | None, prob_end: float) -> float:
    if prob_end > 0.0:
        if turns is None:
            return 1.0 / prob_end
        return (1.0 - (1.0 - prob_end) ** turns) / prob_end
    return math.inf if turns is None else float(turns)
