"""Changing worlds for :func:`evopolity.polities`: which game every polity plays, when.

An environment is an object the user builds and passes as ``polities(..., environment=...)``.
It names games (payoff matrices on the run's strategies) and a rule for switching between
them; the run's own ``payoffs`` are game 0 and ``games[i]`` is game ``i + 1``. A switch acts
on every polity at once. Before the run, :meth:`Environment.schedule` turns the rule (and,
for a random one, the run's seed) into the change points the kernel reads, so the kernel stays
a pure function of its arrays.

* :class:`Constant`: game 0 throughout.
* :class:`Scheduled`: game ``i + 1`` from generation ``times[i]`` on (today's shocks, for
  every polity at once).
* :class:`Periodic`: game 0, then each of ``games`` in turn, ``period`` generations each,
  round and round.
* :class:`Markov`: each generation, with probability ``rate``, a switch to a uniformly chosen
  other game (the waiting times are geometric with mean ``1 / rate``).

A switch between games whose best replies differ (a prisoner's dilemma, where defection is
best, and a harmony game, where cooperation is) is the case in which standing variation
matters: what did best before the change does badly after it (docs/polities.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from evopolity.validate import as_payoff_matrix, check_size, integer, probability

__all__ = ["Constant", "Environment", "Markov", "Periodic", "Scheduled"]

# the most change points a schedule may hold
MAX_CHANGES = 10_000_000


class Environment:
    """A rule for which game the polities play at each generation (a base class).

    Parameters
    ----------
    games : sequence
        Payoff matrices (k x k arrays, DataFrames or Tournaments) on the run's strategies,
        games ``1 .. len(games)``; game 0 is the run's ``payoffs``.

    Raises
    ------
    TypeError
        If ``games`` is not a sequence.
    """

    def __init__(self, games: Sequence[Any] = ()) -> None:
        if isinstance(games, str | bytes) or not isinstance(games, Sequence):
            raise TypeError(f"games must be a list of payoff matrices, got {type(games).__name__}")
        self.games = tuple(games)

    def matrices(self, names: tuple[str, ...]) -> list[np.ndarray]:
        """The games as k x k float arrays aligned to ``names``.

        Parameters
        ----------
        names : tuple of str
            The run's strategies.

        Returns
        -------
        list of ndarray
            One matrix per game in ``games``.

        Raises
        ------
        ValueError
            For a game of another size or with other strategy labels.
        """
        out = []
        for i, g in enumerate(self.games):
            A, labels = as_payoff_matrix(g, f"games[{i}]")
            if A.shape[0] != len(names):
                raise ValueError(
                    f"games[{i}] must be {len(names)} x {len(names)} like payoffs, got "
                    f"{A.shape[0]} x {A.shape[0]}"
                )
            if labels != tuple(map(str, range(len(names)))) and labels != names:
                raise ValueError(f"games[{i}] names strategies {labels}, payoffs {names}")
            out.append(A)
        return out

    def schedule(
        self, generations: int, seed: np.random.SeedSequence
    ) -> tuple[np.ndarray, np.ndarray]:
        """The change points of a run of ``generations`` steps.

        Parameters
        ----------
        generations : int
            The run's length.
        seed : SeedSequence
            The stream of a random environment (unused by deterministic ones).

        Returns
        -------
        tuple of ndarray
            ``(at, game)``, int64: from step ``at[i]`` on, every polity plays game
            ``game[i]`` (0: the run's payoffs); ``at`` is increasing.
        """
        return np.zeros(0, np.int64), np.zeros(0, np.int64)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.games)} games)"


class Constant(Environment):
    """The run's payoffs throughout (the default environment).

    Raises
    ------
    TypeError
        Never (no parameters).
    """

    def __init__(self) -> None:
        super().__init__(())

    def __repr__(self) -> str:
        return "Constant()"


class Scheduled(Environment):
    """Game ``i + 1`` (``games[i]``) from generation ``times[i]`` on, for every polity.

    Parameters
    ----------
    times : sequence of int
        Increasing generations (>= 0) of the switches.
    games : sequence
        One payoff matrix per switch.

    Raises
    ------
    ValueError
        For times that are not increasing, negative, or not one per game.
    TypeError
        For a time that is not an integer.
    """

    def __init__(self, times: Sequence[int], games: Sequence[Any]) -> None:
        super().__init__(games)
        t = [integer(v, f"times[{i}]", 0) for i, v in enumerate(times)]
        if len(t) != len(self.games):
            raise ValueError(f"times must give one time per game ({len(self.games)}), got {len(t)}")
        if any(b <= a for a, b in zip(t, t[1:], strict=False)):
            raise ValueError(f"times must be strictly increasing, got {t}")
        self.times = tuple(t)

    def schedule(
        self, generations: int, seed: np.random.SeedSequence
    ) -> tuple[np.ndarray, np.ndarray]:
        """The switches at ``times`` (see :meth:`Environment.schedule`).

        Parameters
        ----------
        generations : int
            The run's length.
        seed : SeedSequence
            Unused.

        Returns
        -------
        tuple of ndarray
            ``(at, game)``.
        """
        return (np.array(self.times, np.int64),
                np.arange(1, len(self.times) + 1, dtype=np.int64))

    def __repr__(self) -> str:
        return f"Scheduled(times={list(self.times)}, {len(self.games)} games)"


class Periodic(Environment):
    """Game 0, then each of ``games`` in turn, ``period`` generations each, round and round.

    Parameters
    ----------
    period : int
        Generations (elementary steps) each game lasts (>= 1).
    games : sequence
        The payoff matrices that follow the run's own (at least one).

    Raises
    ------
    ValueError
        For a period below 1 or no games.
    """

    def __init__(self, period: int, games: Sequence[Any]) -> None:
        super().__init__(games)
        self.period = integer(period, "period", 1)
        if not self.games:
            raise ValueError("games must hold at least one payoff matrix")

    def schedule(
        self, generations: int, seed: np.random.SeedSequence
    ) -> tuple[np.ndarray, np.ndarray]:
        """A switch every ``period`` generations (see :meth:`Environment.schedule`).

        Parameters
        ----------
        generations : int
            The run's length.
        seed : SeedSequence
            Unused.

        Returns
        -------
        tuple of ndarray
            ``(at, game)``.

        Raises
        ------
        ValueError
            When the run would hold more than 10^7 switches.
        """
        count = max(0, (generations - 1) // self.period)
        check_size(count, MAX_CHANGES, "environment changes", "generations / period")
        at = np.arange(1, count + 1, dtype=np.int64) * self.period
        game = np.arange(1, count + 1, dtype=np.int64) % (len(self.games) + 1)
        return at, game

    def __repr__(self) -> str:
        return f"Periodic(period={self.period}, {len(self.games)} games)"


class Markov(Environment):
    """Random switching: each generation, with probability ``rate``, to another game.

    The next game is drawn uniformly among the other ``len(games)`` games (the run's payoffs
    included), so the waiting time between switches is geometric with mean ``1 / rate``
    generations. The draws come from the run's seed (a stream of their own).

    Parameters
    ----------
    rate : float
        Probability in (0, 1] of a switch per generation (elementary step).
    games : sequence
        The payoff matrices besides the run's own (at least one).

    Raises
    ------
    ValueError
        For a rate outside (0, 1] or no games.
    """

    def __init__(self, rate: float, games: Sequence[Any]) -> None:
        super().__init__(games)
        self.rate = probability(rate, "rate", zero=False)
        if not self.games:
            raise ValueError("games must hold at least one payoff matrix")

    def schedule(
        self, generations: int, seed: np.random.SeedSequence
    ) -> tuple[np.ndarray, np.ndarray]:
        """Geometric waiting times drawn from ``seed`` (see :meth:`Environment.schedule`).

        Parameters
        ----------
        generations : int
            The run's length.
        seed : SeedSequence
            The environment's stream.

        Returns
        -------
        tuple of ndarray
            ``(at, game)``.

        Raises
        ------
        ValueError
            When the run would expect more than 10^7 switches.
        """
        check_size(generations * self.rate, MAX_CHANGES, "environment changes",
                   "generations * rate")
        rng = np.random.default_rng(seed)
        at: list[int] = []
        game: list[int] = []
        t, g, states = 0, 0, len(self.games) + 1
        while True:
            t += int(rng.geometric(self.rate))
            if t >= generations:
                break
            g = (g + 1 + int(rng.integers(states - 1))) % states
            at.append(t)
            game.append(g)
        return np.array(at, np.int64), np.array(game, np.int64)

    def __repr__(self) -> str:
        return f"Markov(rate={self.rate:g}, {len(self.games)} games)"
