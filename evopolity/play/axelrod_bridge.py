"""The bridge to the axelrod library (imported lazily: ``import axelrod`` takes ~10 s).

* ``from_axelrod(player)`` converts axelrod players that are finite automata: the library's
  strategies (by class and parameters), any memory-one player, finite-state machines, lookup
  tables (``LookerUp``, ``Gambler``), cyclers and ``Random``. Others are refused with an error
  that names them.
* ``to_axelrod(strategy)`` wraps an evopolity automaton as an axelrod ``Player``, so that mixed
  pairs can be played by axelrod's engine (and so tests can check one engine with the other).
* ``play_with_axelrod`` plays a pair with axelrod's ``Match`` (the slow path for players that
  are not automata), cached by the players' full parameters. axelrod's own deterministic cache
  is keyed by class name only and returns wrong moves for parameterised strategies such as
  ``Cycler``; each of our matches gets a fresh one.
"""

from __future__ import annotations

import functools
import importlib
from collections import OrderedDict
from typing import Any

import numpy as np

from evopolity.play.games import Game
from evopolity.play.strategies import automaton, library
from evopolity.play.strategies.automaton import Strategy

__all__ = ["from_axelrod", "to_axelrod", "is_axelrod_player", "play_with_axelrod", "player_key"]


def _axelrod():
    try:
        return importlib.import_module("axelrod")
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "this needs the axelrod library: pip install 'evopolity[axelrod]' "
            "(axelrod>=4.13.1,<4.14)"
        ) from exc


def is_axelrod_player(obj: Any) -> bool:
    """True for an axelrod ``Player`` instance, without importing axelrod when it is absent."""
    module = type(obj).__module__ or ""
    if not module.startswith("axelrod"):
        return False
    return isinstance(obj, _axelrod().Player)


def _moves(actions) -> str:
    return "".join(str(a) for a in actions)


def from_axelrod(player: Any, game: Game | None = None) -> Strategy:
    """Convert an axelrod player that is a finite automaton into a ``Strategy``.

    Parameters
    ----------
    player : axelrod.Player
        An instance (``axl.TitForTat()``), or a class with a default constructor.
    game : Game, optional
        Players whose rule depends on the game (ZD strategies, GTFT) are converted for this
        game (default: the (3, 0, 5, 1) prisoner's dilemma), as axelrod does at match time.

    Returns
    -------
    Strategy
        The library's own strategy when the player has the library's class and parameters,
        else a new automaton under the player's display name.

    Raises
    ------
    TypeError
        If ``player`` is not an axelrod player.
    ValueError
        If the player is not a finite automaton (it counts, inspects, or learns), naming it.
    """
    axl = _axelrod()
    if isinstance(player, type) and issubclass(player, axl.Player):
        player = player()
    if not isinstance(player, axl.Player):
        raise TypeError(f"from_axelrod needs an axelrod Player, got {type(player).__name__}")
    from evopolity.play.games import as_game

    kind = type(player)
    # the library's own strategies, when the player has the library's parameters (fast path:
    # no clone; game-dependent memory-one players are recomputed below for another game).
    # library.get resolves axelrod class names as it resolves every other name.
    try:
        known = library.get(kind.__name__)
    except ValueError:
        known = None
    if known is not None and known.name == str(player):
        if game is None or known.name not in _memory_one_names():
            return known
    player = player.clone()
    game_ = as_game(game)
    player.set_match_attributes(length=-1, game=axl.Game(*game_.rstp), noise=0)
    name = str(player)

    def base(module: str, cls: str):
        return getattr(importlib.import_module(f"axelrod.strategies.{module}"), cls).strategy

    if kind.strategy is base("memoryone", "MemoryOnePlayer"):
        vector = tuple(float(v) for v in player._four_vector.values())
        return automaton.memory_one(vector, str(player._initial), name=name, source="axelrod")
    if kind.strategy is base("finite_state_machines", "FSMPlayer"):
        transitions = [
            (s, str(a), n, str(b)) for (s, a), (n, b) in player.fsm.state_transitions.items()
        ]
        return automaton.fsm(
            transitions,
            player.initial_state,
            str(player.initial_action),
            name=name,
            source="axelrod",
        )
    if kind.strategy in (base("lookerup", "LookerUp"), base("gambler", "Gambler")):
        table = {
            (_moves(k.self_plays), _moves(k.op_plays), _moves(k.op_openings)): (
                str(v) if hasattr(v, "name") else float(v)
            )
            for k, v in player.lookup_dict.items()
        }
        return automaton.lookup(table, _moves(player.initial_actions), name=name,
                                source="axelrod")
    if kind.strategy is base("cycler", "Cycler"):
        return automaton.cycler(player.cycle, name=name, source="axelrod")
    if kind.strategy is base("rand", "Random"):
        return automaton.memory_zero(player.p, name=name, source="axelrod")
    raise ValueError(
        f"axelrod strategy {name!r} ({kind.__name__}) is not a finite automaton evopolity can "
        "convert; ep.tournament plays it with axelrod's own engine instead"
    )


@functools.cache
def _memory_one_names() -> frozenset[str]:
    return frozenset(library.names("memory_one"))


@functools.cache
def _automaton_player_class():
    axl = _axelrod()

    class AutomatonPlayer(axl.Player):
        """An evopolity automaton as an axelrod player (moves on the actual, noisy moves)."""

        name = "evopolity automaton"
        classifier = {
            "memory_depth": float("inf"),
            "stochastic": True,
            "long_run_time": False,
            "inspects_source": False,
            "manipulates_source": False,
            "manipulates_state": False,
        }

        def __init__(self, strategy: Strategy) -> None:
            super().__init__()
            self.strategy_automaton = strategy
            self.name = strategy.name
            self.classifier = dict(self.classifier)  # per instance: the class dict is shared
            self.classifier["stochastic"] = strategy.stochastic
            self.classifier["memory_depth"] = strategy.memory_depth
            self._state = 0

        def __repr__(self) -> str:
            return self.strategy_automaton.name

        def reset(self) -> None:
            super().reset()
            self._state = 0

        def strategy(self, opponent):
            a = self.strategy_automaton
            if self.history:
                mine = 0 if self.history[-1] == axl.Action.C else 1
                theirs = 0 if opponent.history[-1] == axl.Action.C else 1
                self._state = int(a.next_state[self._state, mine, theirs])
            p = float(a.p_coop[self._state])
            if p in (0.0, 1.0):  # axelrod seeds only stochastic players
                return axl.Action.C if p == 1.0 else axl.Action.D
            return self._random.random_choice(p)

    return AutomatonPlayer


def to_axelrod(strategy: Strategy):
    """An axelrod ``Player`` that plays the automaton ``strategy``.

    Parameters
    ----------
    strategy : Strategy
        The automaton to wrap.

    Returns
    -------
    axelrod.Player
        Named as the strategy; it follows the automaton on the moves actually played (after
        noise) and draws its random moves from axelrod's seeded generator.

    Raises
    ------
    TypeError
        If ``strategy`` is not a ``Strategy``.
    ImportError
        If axelrod is not installed.
    """
    if not isinstance(strategy, Strategy):
        raise TypeError(f"to_axelrod needs a Strategy, got {type(strategy).__name__}")
    return _automaton_player_class()(strategy)


def player_key(player: Any) -> tuple:
    """A cache key with the player's full parameters (not only its class name)."""
    if isinstance(player, Strategy):
        return ("evopolity", player.name, player.p_coop.tobytes(), player.next_state.tobytes())
    kind = type(player)
    kwargs = getattr(player, "init_kwargs", {}) or {}
    return (kind.__module__, kind.__qualname__, repr(sorted(kwargs.items())), repr(player))


_CACHE: OrderedDict[tuple, np.ndarray] = OrderedDict()
_CACHE_SIZE = 100_000


def play_with_axelrod(
    player_i: Any,
    player_j: Any,
    game: Game,
    turns: int | None,
    prob_end: float | None,
    noise: float,
    repetitions: int,
    seed: int,
) -> np.ndarray:
    """Play a pair with axelrod's engine: ``[payoff_i, payoff_j, coop_i, coop_j, std_i, std_j,
    turns]`` with the same meaning as the kernel's output (pooled per-turn means).

    Each repetition is a fresh ``Match`` with seed ``seed + repetition`` and a fresh
    deterministic cache. Results are cached by both players' full parameters and the match
    settings.
    """
    key = (player_key(player_i), player_key(player_j), game.rstp, turns, prob_end, noise,
           repetitions, seed)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key].copy()
    axl = _axelrod()
    players = [to_axelrod(p) if isinstance(p, Strategy) else p for p in (player_i, player_j)]
    ax_game = axl.Game(*game.rstp)
    score = np.zeros(2)
    coop = np.zeros(2)
    n_turns = 0
    per_rep = np.zeros((repetitions, 2))
    for rep in range(repetitions):
        pair = [players[0].clone(), players[1].clone()]
        match = axl.Match(
            pair,
            turns=turns,
            game=ax_game,
            noise=noise,
            prob_end=prob_end,
            seed=int(seed + rep) % (2**32),
            deterministic_cache=axl.DeterministicCache(),
        )
        result = match.play()
        scores = np.array(match.scores(), dtype=np.float64).reshape(-1, 2)
        length = max(len(result), 1)
        score += scores.sum(axis=0)
        coop += np.array(match.cooperation(), dtype=np.float64)
        n_turns += len(result)
        per_rep[rep] = scores.sum(axis=0) / length
    std = per_rep.std(axis=0, ddof=1) if repetitions > 1 else np.zeros(2)
    out = np.array(
        [score[0] / n_turns, score[1] / n_turns, coop[0] / n_turns, coop[1] / n_turns,
         std[0], std[1], n_turns],
        dtype=np.float64,
    )
    _CACHE[key] = out
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return out.copy()
