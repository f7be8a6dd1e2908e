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
* :class:`TemptationWalk`: the temptation (one payoff entry of the run's game) follows a
  bounded random walk: each generation, with probability ``rate``, it steps up or down by
  ``step``, a step past ``low`` or ``high`` not being taken.

A switch between games whose best replies differ (a prisoner's dilemma, where defection is
best, and a harmony game, where cooperation is) is the case in which standing variation
matters: what did best before the change does badly after it (docs/polities.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from evopolity.validate import (
    as_payoff_matrix,
    check_size,
    integer,
    nonnegative,
    probability,
    real,
)

__all__ = ["Constant", "Environment", "Markov", "Periodic", "Scheduled", "TemptationWalk"]

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

    def matrices(self, names: tuple[str, ...], base: np.ndarray | None = None) -> list[np.ndarray]:
        """The games as k x k float arrays aligned to ``names``.

        Parameters
        ----------
        names : tuple of str
            The run's strategies.
        base : ndarray, optional
            The run's payoffs (game 0), for environments that derive their games from it.

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
        self, generations: int, seed: np.random.SeedSequence, base: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The change points of a run of ``generations`` steps.

        Parameters
        ----------
        generations : int
            The run's length.
        seed : SeedSequence
            The stream of a random environment (unused by deterministic ones).
        base : ndarray, optional
            The run's payoffs (game 0), for environments that derive their games from it.

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
        self, generations: int, seed: np.random.SeedSequence, base: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The switches at ``times`` (see :meth:`Environment.schedule`).

        Parameters
        ----------
        generations : int
            The run's length.
        seed : SeedSequence
            Unused.
        base : ndarray, optional
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
        self, generations: int, seed: np.random.SeedSequence, base: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """A switch every ``period`` generations (see :meth:`Environment.schedule`).

        Parameters
        ----------
        generations : int
            The run's length.
        seed : SeedSequence
            Unused.
        base : ndarray, optional
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
        self, generations: int, seed: np.random.SeedSequence, base: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Geometric waiting times drawn from ``seed`` (see :meth:`Environment.schedule`).

        Parameters
        ----------
        generations : int
            The run's length.
        seed : SeedSequence
            The environment's stream.
        base : ndarray, optional
            Unused.

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


def _attempts(generations: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    """The generations ``1 .. generations - 1`` at which an event of probability ``rate`` per
    generation happens (geometric gaps, as :class:`Markov` draws them), increasing."""
    if generations < 2:
        return np.zeros(0, np.int64)
    mean = (generations - 1) * rate
    chunk = int(mean + 10.0 * np.sqrt(mean) + 16)
    parts = [np.cumsum(rng.geometric(rate, chunk))]
    while parts[-1][-1] < generations:
        parts.append(parts[-1][-1] + np.cumsum(rng.geometric(rate, chunk)))
    at = np.concatenate(parts)
    return at[at < generations].astype(np.int64)


class TemptationWalk(Environment):
    r"""The temptation follows a bounded random walk: a world that changes by degrees.

    The temptation ``T`` is the entry ``payoffs[entry]`` of the run's game (default ``(1, 0)``:
    the second strategy's payoff against the first, the defector's against a cooperator in
    ``[[R, S], [T, P]]``). Each generation, with probability ``rate``, ``T`` steps by
    ``+step`` or ``-step`` with probability 1/2 each; a step that would leave ``[low, high]``
    is not taken (the walk holds). ``T`` lives on the levels ``T_0 + j step`` inside the
    bounds, ``T_0`` the run's own; every other entry of the game stays. Held at its bounds,
    the walk's transition matrix is doubly stochastic, so in the long run every level is
    equally likely; between the bounds the displacement after ``t`` generations has variance
    ``rate t step^2``.

    The games are the levels other than ``T_0``, in increasing order (game 0 is the run's
    payoffs, the walk's start); :meth:`temptations` gives each game's ``T``.

    Parameters
    ----------
    rate : float
        Probability in (0, 1] of a step per generation (elementary step).
    step : float
        The size of a step (> 0).
    low, high : float
        The bounds of ``T`` (``low <= T_0 <= high``, checked when the run's game is known).
    entry : tuple of int
        The (row, column) of the temptation in the payoff matrix.

    Raises
    ------
    ValueError
        For a rate outside (0, 1], a step that is not positive, ``low >= high``, or an entry
        with a negative index.
    """

    def __init__(self, rate: float, step: float, low: float, high: float,
                 entry: tuple[int, int] = (1, 0)) -> None:  # fmt: skip
        super().__init__(())
        self.rate = probability(rate, "rate", zero=False)
        self.step = nonnegative(step, "step", allow_zero=False)
        self.low = real(low, "low")
        self.high = real(high, "high")
        if not self.low < self.high:
            raise ValueError(f"low must be below high, got low = {low}, high = {high}")
        if len(entry) != 2:
            raise ValueError(f"entry must be (row, column), got {entry!r}")
        self.entry = (integer(entry[0], "entry[0]", 0), integer(entry[1], "entry[1]", 0))

    def _span(self, base: np.ndarray | None) -> tuple[float, int, int]:
        """``(T_0, below, above)``: the walk's start and its levels below and above it."""
        if base is None:
            raise ValueError("TemptationWalk derives its games from the run's payoffs (base)")
        i, j = self.entry
        if i >= base.shape[0] or j >= base.shape[1]:
            raise ValueError(f"entry {self.entry} is outside the {base.shape[0]} x "
                             f"{base.shape[1]} game")
        t0 = float(base[i, j])
        slack = 1e-9 * self.step
        if not self.low - slack <= t0 <= self.high + slack:
            raise ValueError(f"the run's temptation payoffs{list(self.entry)} = {t0:g} must lie "
                             f"in [low, high] = [{self.low:g}, {self.high:g}]")
        below = int(np.floor((t0 - self.low) / self.step + 1e-9))
        above = int(np.floor((self.high - t0) / self.step + 1e-9))
        if below + above == 0:
            raise ValueError(f"[low, high] = [{self.low:g}, {self.high:g}] leaves no level "
                             f"{self.step:g} away from the run's temptation {t0:g}")
        check_size(below + above, 100_000, "temptation levels", "(high - low) / step")
        return t0, below, above

    def temptations(self, base: np.ndarray) -> np.ndarray:
        """Each game's temptation: ``T_0`` (game 0) and the other levels in increasing order.

        Parameters
        ----------
        base : ndarray
            The run's payoffs.

        Returns
        -------
        ndarray
            ``T`` of games ``0 .. below + above``.
        """
        t0, below, above = self._span(np.asarray(base, np.float64))
        levels = [t0 + j * self.step for j in range(-below, above + 1) if j != 0]
        return np.array([t0, *levels])

    def matrices(self, names: tuple[str, ...], base: np.ndarray | None = None) -> list[np.ndarray]:
        """The run's payoffs with the temptation at each level but ``T_0`` (see
        :meth:`Environment.matrices`).

        Parameters
        ----------
        names : tuple of str
            The run's strategies.
        base : ndarray
            The run's payoffs.

        Returns
        -------
        list of ndarray
            One matrix per level other than ``T_0``, in increasing order of ``T``.

        Raises
        ------
        ValueError
            Without ``base``, or when ``T_0`` lies outside ``[low, high]``.
        """
        temptations = self.temptations(base)
        out = []
        for t in temptations[1:]:
            A = np.array(base, dtype=np.float64)
            A[self.entry] = t
            out.append(A)
        return out

    def schedule(
        self, generations: int, seed: np.random.SeedSequence, base: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The walk's moves drawn from ``seed`` (see :meth:`Environment.schedule`); a held
        step is no change.

        Parameters
        ----------
        generations : int
            The run's length.
        seed : SeedSequence
            The environment's stream.
        base : ndarray
            The run's payoffs.

        Returns
        -------
        tuple of ndarray
            ``(at, game)``.

        Raises
        ------
        ValueError
            When the run would expect more than 10^7 steps, or as :meth:`matrices`.
        """
        from evopolity.kernels.polity import bounded_walk

        _, below, above = self._span(base)
        check_size(generations * self.rate, MAX_CHANGES, "environment changes",
                   "generations * rate")
        rng = np.random.default_rng(seed)
        at = _attempts(generations, self.rate, rng)
        moves = rng.integers(0, 2, at.size).astype(np.int64) * 2 - 1
        level = bounded_walk(moves, -below, above)
        moved = level != np.concatenate(([0], level[:-1]))
        j = level[moved]
        # game of level j: 0 for j = 0, else its rank among the other levels
        game = np.where(j < 0, j + below + 1, j + below)
        game[j == 0] = 0
        return at[moved], game.astype(np.int64)

    def __repr__(self) -> str:
        return (f"TemptationWalk(rate={self.rate:g}, step={self.step:g}, low={self.low:g}, "
                f"high={self.high:g}, entry={self.entry})")
