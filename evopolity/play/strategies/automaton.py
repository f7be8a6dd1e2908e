"""Strategies as stochastic Moore automata.

Every strategy evopolity plays natively is one finite automaton (docs/design.md):

* ``p_coop[s]``: the probability of *intending* to cooperate in state ``s``;
* ``next_state[s, my_move, their_move]``: the state after a round in which the moves actually
  played (after noise) were ``my_move`` and ``their_move`` (``C = 0``, ``D = 1``);
* ``initial_state``: the state of the first round.

Memory-one strategies, memory-n lookup tables, axelrod's finite-state machines (Mealy
machines, converted to Moore form), cyclers, Grudger and zero-determinant strategies all compile
to these arrays, so one kernel plays every pair, and the product of two automata is a Markov
chain whose exact payoffs come from the same arrays.

Constructors remove unreachable states and merge equivalent ones (Moore minimisation), so two
descriptions of the same behaviour give the same arrays and exact solvers work on the smallest
chain.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from evopolity.play.games import C, D
from evopolity.validate import probability

__all__ = [
    "Strategy",
    "memory_one",
    "memory_zero",
    "lookup",
    "fsm",
    "cycler",
    "from_rule",
    "parse_move",
    "PackedStrategies",
]

Move = int


def parse_move(value: Any, name: str) -> Move:
    """``C``/``D`` as 0/1 from ``"C"``, ``"D"`` or an axelrod ``Action``; others are refused."""
    text = getattr(value, "name", value)
    if isinstance(text, str) and text.upper() in ("C", "D"):
        return C if text.upper() == "C" else D
    raise ValueError(f"{name} must be a move 'C' or 'D', got {value!r}")


def _probability(value: Any, name: str) -> float:
    """A probability of cooperating from a float in [0, 1] or a move ``'C'`` (1) / ``'D'`` (0)."""
    if isinstance(value, str) or hasattr(value, "name"):
        return 1.0 if parse_move(value, name) == C else 0.0
    return probability(value, name)


def _display_name(name: Any, default: str) -> str:
    """``name`` if given (a non-empty string), else ``default``."""
    if name is None:
        return default
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name must be a non-empty string or None, got {name!r}")
    return name


class Strategy:
    """A strategy of the repeated 2x2 game, as a stochastic Moore automaton.

    Parameters
    ----------
    p_coop : array_like of float, shape (n,)
        Probability of intending to cooperate in each state (before noise).
    next_state : array_like of int, shape (n, 2, 2)
        ``next_state[s, my_move, their_move]`` with moves ``C = 0``, ``D = 1``: the state after
        a round in which those moves were actually played.
    initial_state : int
        State of the first round.
    name : str
        Display name (equal to axelrod's where axelrod has the strategy).
    memory_depth : float
        How many past rounds the strategy may look at (``math.inf`` for unbounded).
    source : str
        Where the strategy comes from (paper or author).
    params : dict, optional
        Parameters that made it (kept for display and for the axelrod cache key).

    Notes
    -----
    The arrays are minimised on construction: states unreachable from ``initial_state`` are
    dropped and states with the same cooperation probability and equivalent successors are
    merged (Moore's partition refinement). ``Strategy`` objects are immutable and hashable;
    two strategies are equal when their names and minimised automata are.

    Raises
    ------
    ValueError
        For an empty name, probabilities outside [0, 1], or transitions and an initial state
        that do not fit the number of states.
    TypeError
        For non-integer states, or a source that is not a string.
    """

    __slots__ = (
        "name",
        "p_coop",
        "next_state",
        "initial_state",
        "memory_depth",
        "source",
        "params",
        "_key",
        "_stochastic",
    )

    def __init__(
        self,
        p_coop: Sequence[float] | np.ndarray,
        next_state: Sequence | np.ndarray,
        initial_state: int = 0,
        *,
        name: str,
        memory_depth: float = math.inf,
        source: str = "",
        params: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        if not isinstance(source, str):
            raise TypeError(f"source must be a string, got {source!r}")
        p = np.asarray(p_coop, dtype=np.float64)
        if p.ndim != 1 or p.size == 0:
            raise ValueError(f"p_coop must be a non-empty 1-d array, got shape {p.shape}")
        if not np.all((p >= 0.0) & (p <= 1.0)):
            bad = p[~((p >= 0.0) & (p <= 1.0))][0]
            raise ValueError(f"p_coop must hold probabilities in [0, 1], found {bad!r}")
        nxt = np.asarray(next_state)
        if nxt.shape != (p.size, 2, 2):
            raise ValueError(
                f"next_state must have shape (n_states, 2, 2) = {(p.size, 2, 2)}, got {nxt.shape}"
            )
        if not np.issubdtype(nxt.dtype, np.integer):
            raise TypeError(f"next_state must hold integers, got dtype {nxt.dtype}")
        if nxt.min() < 0 or nxt.max() >= p.size:
            raise ValueError(f"next_state entries must lie in [0, {p.size - 1}]")
        if isinstance(initial_state, bool) or not isinstance(initial_state, int | np.integer):
            raise TypeError(f"initial_state must be an integer, got {initial_state!r}")
        if not 0 <= initial_state < p.size:
            raise ValueError(f"initial_state must lie in [0, {p.size - 1}], got {initial_state}")
        p, nxt = _minimise(p, nxt.astype(np.int64), int(initial_state))
        p.setflags(write=False)
        nxt.setflags(write=False)
        set_ = object.__setattr__
        set_(self, "name", name)
        set_(self, "p_coop", p)
        set_(self, "next_state", nxt)
        set_(self, "initial_state", 0)
        set_(self, "memory_depth", float(memory_depth))
        set_(self, "source", source)
        set_(self, "params", dict(params or {}))
        set_(self, "_key", (name, p.tobytes(), nxt.tobytes()))
        set_(self, "_stochastic", bool(np.any((p > 0.0) & (p < 1.0))))

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("Strategy is immutable")

    # -- identity ---------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Strategy) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        kind = "stochastic" if self.stochastic else "deterministic"
        return f"<Strategy {self.name!r}: {self.n_states} states, {kind}>"

    def __str__(self) -> str:
        return self.name

    def same_behaviour(self, other: Strategy) -> bool:
        """Whether ``other`` plays identically, whatever its name.

        Parameters
        ----------
        other : Strategy
            The strategy to compare with.

        Returns
        -------
        bool
            True when the two minimised automata are the same.
        """
        return self._key[1:] == other._key[1:]

    # -- properties -------------------------------------------------------------------------
    @property
    def n_states(self) -> int:
        """Number of states of the minimised automaton."""
        return int(self.p_coop.size)

    @property
    def stochastic(self) -> bool:
        """True if some state cooperates with a probability strictly between 0 and 1."""
        return self._stochastic

    def renamed(self, name: str) -> Strategy:
        """The same automaton under another name.

        Parameters
        ----------
        name : str
            The new display name (to tell copies apart in a tournament).

        Returns
        -------
        Strategy
        """
        return Strategy(
            self.p_coop,
            self.next_state,
            0,
            name=name,
            memory_depth=self.memory_depth,
            source=self.source,
            params=self.params,
        )

    def moves(self, opponent_moves: Iterable[Any]) -> str:
        """Moves this deterministic strategy plays against a given sequence (no noise).

        A small interpreter for documentation and tests: ``len(opponent_moves)`` rounds.

        Parameters
        ----------
        opponent_moves : iterable
            The opponent's moves, ``"C"``/``"D"`` (a string such as ``"CDDC"``) or axelrod
            actions.

        Returns
        -------
        str
            This strategy's moves, one letter per round.

        Raises
        ------
        ValueError
            If the strategy is stochastic, or a move is not C or D.
        """
        if self.stochastic:
            raise ValueError(f"{self.name} is stochastic; its moves are not determined")
        state, out = 0, []
        for i, their in enumerate(opponent_moves):
            mine = C if self.p_coop[state] == 1.0 else D
            their = parse_move(their, f"opponent_moves[{i}]")
            out.append("CD"[mine])
            state = int(self.next_state[state, mine, their])
        return "".join(out)


def _minimise(p: np.ndarray, nxt: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Drop unreachable states, merge equivalent ones, number states by discovery order.

    O(n log n) in the number of states ``n`` (Hopcroft's refinement; the rest is linear).
    """
    # reachable states in breadth-first order from the start
    succ = nxt.reshape(p.size, 4).tolist()
    order, seen, queue = [], {start}, deque([start])
    while queue:
        s = queue.popleft()
        order.append(s)
        for t in succ[s]:
            if t not in seen:
                seen.add(t)
                queue.append(t)
    order_arr = np.array(order, dtype=np.int64)
    index = np.full(p.size, -1, dtype=np.int64)
    index[order_arr] = np.arange(order_arr.size)
    p = p[order_arr]
    nxt = index[nxt[order_arr]]
    block = _coarsest_partition(p, nxt.reshape(p.size, 4))
    # renumber blocks by first appearance in BFS order (start state is 0)
    _, first = np.unique(block, return_index=True)
    reps = np.sort(first)
    number = np.empty(int(block.max()) + 1, dtype=np.int64)
    number[block[reps]] = np.arange(reps.size)
    p_min = np.ascontiguousarray(p[reps], dtype=np.float64)
    nxt_min = np.ascontiguousarray(number[block[nxt[reps]]], dtype=np.int64)
    return p_min, nxt_min


def _coarsest_partition(p: np.ndarray, succ: np.ndarray) -> np.ndarray:
    """Block labels of the coarsest partition that refines "equal ``p``" and is stable under
    the four successor maps ``succ[:, a]`` (states in one block cooperate alike and go to one
    block on every outcome): Moore equivalence, found by Hopcroft's partition refinement
    (Hopcroft 1971), O(n log n) for ``n`` states and the alphabet of four outcomes.
    """
    n = p.size
    _, label = np.unique(p, return_inverse=True)
    block = label.astype(np.int64).tolist()
    members: list[set[int]] = [set() for _ in range(int(label.max()) + 1)]
    for s, b in enumerate(block):
        members[b].add(s)
    # predecessors of each state on each outcome
    pred: list[list[list[int]]] = [[[] for _ in range(n)] for _ in range(4)]
    for s, row in enumerate(succ.tolist()):
        for a in range(4):
            pred[a][row[a]].append(s)
    # splitters: every initial block but the largest (splitting on it is implied by the rest)
    largest = max(range(len(members)), key=lambda b: len(members[b]))
    waiting = set(range(len(members))) - {largest}
    while waiting:
        splitter = list(members[waiting.pop()])
        for a in range(4):
            hit: dict[int, list[int]] = {}
            for t in splitter:
                for s in pred[a][t]:
                    hit.setdefault(block[s], []).append(s)
            for b, inside in hit.items():
                if len(inside) == len(members[b]):
                    continue  # the whole block goes into the splitter: no split
                new = len(members)
                moved = set(inside)
                members[b] -= moved
                members.append(moved)
                for s in moved:
                    block[s] = new
                if b in waiting:
                    waiting.add(new)
                else:  # the smaller half suffices (Hopcroft's trick)
                    waiting.add(new if len(moved) <= len(members[b]) else b)
    return np.array(block, dtype=np.int64)


def from_rule(
    initial: Hashable,
    output: Callable[[Hashable], float],
    step: Callable[[Hashable, Move, Move], Hashable],
    *,
    name: str,
    memory_depth: float = math.inf,
    source: str = "",
    params: Mapping[str, Any] | None = None,
    max_states: int = 100_000,
) -> Strategy:
    """Build an automaton from a rule on hashable "memory" keys.

    States are the keys reachable from ``initial``, found breadth first.

    Parameters
    ----------
    initial : hashable
        The memory in the first round.
    output : callable
        ``output(key)``: the probability of cooperating (or a move ``"C"``/``"D"``) when the
        memory is ``key``.
    step : callable
        ``step(key, my_move, their_move)``: the memory after a round in which those moves
        (``C = 0``, ``D = 1``, after noise) were played.
    name : str
        Display name.
    memory_depth : float
        How many past rounds the rule looks at (``math.inf`` for unbounded).
    source : str
        Where the strategy comes from.
    params : mapping, optional
        Parameters kept with the strategy.
    max_states : int
        Most memory keys to explore.

    Returns
    -------
    Strategy
        The minimised automaton.

    Raises
    ------
    ValueError
        If more than ``max_states`` keys are reachable, or an output is not a probability.
    """
    index: dict[Hashable, int] = {initial: 0}
    keys, queue = [initial], deque([initial])
    transitions: list[list[list[int]]] = []
    while queue:
        key = queue.popleft()
        rows = []
        for mine in (C, D):
            row = []
            for theirs in (C, D):
                nk = step(key, mine, theirs)
                if nk not in index:
                    if len(index) >= max_states:
                        raise ValueError(f"{name}: more than {max_states} memory states")
                    index[nk] = len(keys)
                    keys.append(nk)
                    queue.append(nk)
                row.append(index[nk])
            rows.append(row)
        transitions.append(rows)
    p = [_probability(output(k), f"{name}: output for memory {k!r}") for k in keys]
    return Strategy(
        p,
        np.array(transitions, dtype=np.int64),
        0,
        name=name,
        memory_depth=memory_depth,
        source=source,
        params=params,
    )


def memory_zero(p: float, *, name: str | None = None, source: str = "") -> Strategy:
    """Cooperate with probability ``p`` every round, whatever happened (axelrod's ``Random``).

    Parameters
    ----------
    p : float or str
        Probability of cooperating, or a move (``"C"`` always, ``"D"`` never).
    name : str, optional
        Display name (default ``"Random: p"``).
    source : str
        Where the strategy comes from.

    Returns
    -------
    Strategy
        A one-state automaton.

    Raises
    ------
    ValueError
        If ``p`` is not a probability.
    """
    p = _probability(p, "p")
    return Strategy(
        [p],
        np.zeros((1, 2, 2), np.int64),
        0,
        name=_display_name(name, f"Random: {p:g}"),
        memory_depth=0,
        source=source,
        params={"p": p},
    )


def memory_one(
    p: Sequence[float],
    initial: float | str = "C",
    *,
    name: str | None = None,
    source: str = "",
) -> Strategy:
    """A memory-one strategy ``p = (p_CC, p_CD, p_DC, p_DD)``.

    ``p_XY`` is the probability of cooperating after a round in which this player played
    ``X`` and the opponent ``Y`` (axelrod's ``MemoryOnePlayer`` order; Nowak & Sigmund 1990).

    Parameters
    ----------
    p : sequence of 4 floats
        ``(p_CC, p_CD, p_DC, p_DD)``, each a probability or a move.
    initial : float or str
        The first move (``'C'``/``'D'``) or the probability of cooperating first.
    name : str, optional
        Display name (default ``"Memory One: (...), initial"``).
    source : str
        Where the strategy comes from.

    Returns
    -------
    Strategy
        At most five states (the first round and the four outcomes), fewer once minimised.

    Raises
    ------
    TypeError, ValueError
        Unless ``p`` holds four probabilities.

    Examples
    --------
    >>> tft = memory_one((1, 0, 1, 0), name="Tit For Tat")
    >>> tft.moves("CDDC")
    'CCDD'
    >>> tft.n_states  # start, "opponent cooperated" and "opponent defected" merged to 2
    2
    """
    if isinstance(p, str) or not hasattr(p, "__len__"):
        raise TypeError(f"p must be a sequence of four probabilities, got {p!r}")
    if len(p) != 4:
        raise ValueError(f"p must have four entries (p_CC, p_CD, p_DC, p_DD), got {len(p)}")
    probs = [
        _probability(v, f"p[{i}] ({label})")
        for i, (v, label) in enumerate(zip(p, _PAIRS, strict=True))
    ]
    first = _probability(initial, "initial")
    # state 0 is the first round; state 1 + 2*my + their remembers the last round
    nxt = np.empty((5, 2, 2), np.int64)
    for mine in (C, D):
        for theirs in (C, D):
            nxt[:, mine, theirs] = 1 + 2 * mine + theirs
    label = _display_name(name, f"Memory One: {tuple(float(x) for x in probs)}, {initial}")
    return Strategy(
        [first, *probs],
        nxt,
        0,
        name=label,
        memory_depth=0 if len(set(probs)) == 1 else 1,
        source=source,
        params={"p": tuple(probs), "initial": first},
    )


_PAIRS = ("p_CC", "p_CD", "p_DC", "p_DD")


def cycler(pattern: str, *, name: str | None = None, source: str = "") -> Strategy:
    """Repeat ``pattern`` forever, whatever the opponent does (axelrod's ``Cycler``).

    Parameters
    ----------
    pattern : str
        A non-empty string of C and D.
    name : str, optional
        Display name (default ``"Cycler: PATTERN"``).
    source : str
        Where the strategy comes from.

    Returns
    -------
    Strategy
        One state per move of the pattern (fewer once minimised, e.g. for ``"CC"``).

    Raises
    ------
    ValueError
        For an empty pattern or a letter other than C and D.
    """
    if not isinstance(pattern, str) or not pattern:
        raise ValueError(f"pattern must be a non-empty string of C and D, got {pattern!r}")
    moves = [parse_move(ch, f"pattern[{i}]") for i, ch in enumerate(pattern)]
    n = len(moves)
    nxt = np.empty((n, 2, 2), np.int64)
    for s in range(n):
        nxt[s] = (s + 1) % n
    return Strategy(
        [1.0 if m == C else 0.0 for m in moves],
        nxt,
        0,
        name=_display_name(name, f"Cycler: {pattern.upper()}"),
        memory_depth=n - 1,
        source=source,
        params={"cycle": pattern.upper()},
    )


def fsm(
    transitions: Iterable[Sequence[Any]],
    initial_state: Hashable = 1,
    initial_action: Any = "C",
    *,
    name: str,
    source: str = "",
) -> Strategy:
    """A finite-state machine in axelrod's form.

    This is a Mealy machine; its Moore form has one state per (machine state, action to
    play).

    Parameters
    ----------
    transitions : iterable of 4-tuples
        Rows ``(state, opponent_last_action, next_state, action)``: in ``state``, having seen
        the opponent play ``opponent_last_action``, move to ``next_state`` and play
        ``action``; every state needs a row for C and one for D.
    initial_state : hashable
        The machine's state in the first round.
    initial_action : str
        The first move, ``"C"`` or ``"D"``.
    name : str
        Display name.
    source : str
        Where the strategy comes from.

    Returns
    -------
    Strategy

    Raises
    ------
    ValueError
        For a malformed row, a missing or repeated transition, a transition to a state that
        has none, or a move other than C and D.
    TypeError
        If ``transitions`` is not an iterable of rows, or a state is not hashable.
    """
    if isinstance(transitions, str | bytes | Mapping) or not isinstance(transitions, Iterable):
        raise TypeError(
            f"transitions must be an iterable of (state, opponent_action, next_state, action) "
            f"rows, got {transitions!r}"
        )
    try:
        hash(initial_state)
    except TypeError:
        raise TypeError(f"initial_state must be hashable, got {initial_state!r}") from None
    table: dict[tuple[Hashable, Move], tuple[Hashable, Move]] = {}
    row_of: dict[tuple[Hashable, Move], int] = {}
    for k, row in enumerate(transitions):
        if isinstance(row, str | bytes) or not isinstance(row, Sequence) or len(row) != 4:
            raise ValueError(
                f"{name}: transitions[{k}] must be (state, opponent_action, next_state, "
                f"action), got {row!r}"
            )
        state, seen, nxt, action = row
        try:
            hash(state), hash(nxt)
        except TypeError:
            raise TypeError(
                f"{name}: transitions[{k}] states must be hashable, got {row!r}"
            ) from None
        key = (state, parse_move(seen, f"{name}: transitions[{k}] opponent_action"))
        if key in table:
            raise ValueError(f"{name}: two transitions for state {state!r} after {seen}")
        table[key] = (nxt, parse_move(action, f"{name}: transitions[{k}] action"))
        row_of[key] = k
    if not table:
        raise ValueError(f"{name}: transitions is empty")
    states = {s for s, _ in table}
    if initial_state not in states:
        raise ValueError(
            f"{name}: initial_state {initial_state!r} has no transitions (the states are "
            f"{sorted(states, key=repr)})"
        )
    for s in states:
        for m in (C, D):
            if (s, m) not in table:
                raise ValueError(f"{name}: no transition for state {s!r} after {'CD'[m]}")
    for key, (nxt, _) in table.items():
        if nxt not in states:
            raise ValueError(
                f"{name}: transitions[{row_of[key]}] goes to state {nxt!r}, which has no "
                f"transitions (the states are {sorted(states, key=repr)})"
            )
    first = parse_move(initial_action, "initial_action")

    def step(key: tuple[Hashable, Move], mine: Move, theirs: Move) -> tuple[Hashable, Move]:
        return table[(key[0], theirs)]

    return from_rule(
        (initial_state, first),
        lambda key: 1.0 if key[1] == C else 0.0,
        step,
        name=name,
        memory_depth=math.inf,
        source=source,
        params={"n_machine_states": len(states)},
    )


def _moves_key(moves: Iterable[Any], name: str) -> tuple[Move, ...]:
    return tuple(parse_move(m, name) for m in moves)


def lookup(
    table: Mapping[Any, Any],
    initial: str | Sequence[Any] = "",
    *,
    name: str,
    source: str = "",
) -> Strategy:
    """A memory-n lookup table (axelrod's ``LookerUp`` / ``Gambler``).

    Keys are ``(own_last_plays, opponent_last_plays)`` or ``(own_last_plays,
    opponent_last_plays, opponent_openings)``, each a string such as ``"CD"`` (oldest first);
    values are a move (``'C'``/``'D'``) or a probability of cooperating. The depths are the
    lengths of the keys' parts and the table must hold every combination.

    Parameters
    ----------
    table : mapping
        The lookup table, as above.
    initial : str or sequence
        The moves of the first ``max(depths)`` rounds (padded with C, as axelrod does).
    name : str
        Display name.
    source : str
        Where the strategy comes from.

    Returns
    -------
    Strategy

    Raises
    ------
    ValueError
        For a malformed key, keys of different depths, a missing combination, or a value
        that is neither a move nor a probability.
    TypeError
        If ``table`` is not a mapping or ``initial`` not a sequence of moves.

    Examples
    --------
    Tit For 2 Tats: defect only after two defections.

    >>> t = {(own, opp): "D" if opp == "DD" else "C"
    ...      for own in [""] for opp in ["CC", "CD", "DC", "DD"]}
    >>> lookup(t, name="TF2T").moves("DDCDD")
    'CCDCC'
    """
    if not isinstance(table, Mapping):
        raise TypeError(f"{name}: table must be a mapping, got {type(table).__name__}")
    if not table:
        raise ValueError(f"{name}: table must be a non-empty mapping")
    entries: dict[tuple, float] = {}
    depths = None
    shape = "(own_plays, opponent_plays[, opponent_openings]), strings of C and D"
    for key, value in table.items():
        if isinstance(key, str) or not isinstance(key, Iterable):
            raise ValueError(f"{name}: table key {key!r} must be {shape}")
        parts = tuple(key)
        if len(parts) == 2:
            parts = (*parts, ())
        if len(parts) != 3 or not all(
            isinstance(x, Iterable) and not isinstance(x, bytes) for x in parts
        ):
            raise ValueError(f"{name}: table key {key!r} must be {shape}")
        parts = tuple(_moves_key(x, f"{name}: table key {key!r}") for x in parts)
        d = tuple(len(x) for x in parts)
        if depths is None:
            depths = d
        elif d != depths:
            raise ValueError(f"{name}: table keys have different depths {depths} and {d}")
        entries[parts] = _probability(value, f"{name}: table[{key!r}]")
    own_d, opp_d, open_d = depths
    expected = 2 ** (own_d + opp_d + open_d)
    if len(entries) != expected:
        raise ValueError(
            f"{name}: table has {len(entries)} entries; depths {depths} need all {expected}"
        )
    table_depth = max(depths)
    if isinstance(initial, bytes) or not isinstance(initial, Iterable):
        raise TypeError(f"{name}: initial must be a string or sequence of moves, got {initial!r}")
    first = [
        _probability(m, f"{name}: initial[{i}]")
        for i, m in enumerate(initial if not isinstance(initial, str) else list(initial))
    ][:table_depth]
    first += [1.0] * (table_depth - len(first))

    # memory: (rounds played capped at table_depth, own history, opponent history, openings)
    def output(key: tuple) -> float:
        turn, own, opp, openings = key
        if turn < table_depth:
            return first[turn]
        return entries[(own[len(own) - own_d :], opp[len(opp) - opp_d :], openings)]

    keep = max(own_d, opp_d)

    def step(key: tuple, mine: Move, theirs: Move) -> tuple:
        turn, own, opp, openings = key
        if keep:
            own, opp = (own + (mine,))[-keep:], (opp + (theirs,))[-keep:]
        if len(openings) < open_d:
            openings = openings + (theirs,)
        return (min(turn + 1, table_depth), own, opp, openings)

    stochastic_memory = math.inf if open_d else table_depth
    return from_rule(
        (0, (), (), ()),
        output,
        step,
        name=name,
        memory_depth=stochastic_memory,
        source=source,
        params={"depths": depths},
    )


class PackedStrategies:
    """Strategies concatenated into the flat arrays the kernels take.

    Attributes
    ----------
    p_coop : (total_states,) float64
    next_state : (total_states, 2, 2) int64, *rows* of the packed arrays (a strategy's local
        state numbers plus its offset), so kernels follow transitions without adding offsets
    offsets : (k,) int64, first row (the initial state) of each strategy
    sizes : (k,) int64, number of states of each strategy
    deterministic : (k,) bool
    """

    __slots__ = ("p_coop", "next_state", "offsets", "sizes", "deterministic")

    def __init__(self, strategies: Sequence[Strategy]) -> None:
        if not strategies:
            raise ValueError("need at least one strategy")
        sizes = np.array([s.n_states for s in strategies], dtype=np.int64)
        self.sizes = sizes
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.p_coop = np.ascontiguousarray(np.concatenate([s.p_coop for s in strategies]))
        self.next_state = np.ascontiguousarray(
            np.concatenate(
                [s.next_state + off for s, off in zip(strategies, self.offsets, strict=True)]
            ).astype(np.int64)
        )
        self.deterministic = np.array([not s.stochastic for s in strategies], dtype=np.bool_)
