"""Symmetric two-player stage games.

A stage game is the 2x2 payoff table of the *row* player, indexed by moves with
``C = 0`` and ``D = 1``: ``matrix[my_move, their_move]``.  In the usual letters,
``R = matrix[C, C]`` (reward), ``S = matrix[C, D]`` (sucker), ``T = matrix[D, C]``
(temptation) and ``P = matrix[D, D]`` (punishment).  The column player's payoff is the
transpose, so every game here is symmetric.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evopolity.validate import real

__all__ = [
    "C",
    "D",
    "Game",
    "MatrixGame",
    "PrisonersDilemma",
    "DonationGame",
    "Snowdrift",
    "StagHunt",
    "as_game",
]

C = 0
D = 1


@dataclass(frozen=True)
class Game:
    """A symmetric 2x2 game given by its four payoffs ``R, S, T, P``.

    Subclasses add the inequalities that define their class of game and refuse values that
    break them, saying which inequality failed.

    Parameters
    ----------
    R : float
        Reward: each player's payoff for mutual cooperation.
    S : float
        Sucker's payoff: cooperating against a defector.
    T : float
        Temptation: defecting against a cooperator.
    P : float
        Punishment: mutual defection.

    Raises
    ------
    TypeError, ValueError
        For a payoff that is not a finite real number (and, in subclasses, for payoffs that
        break the game's inequalities).
    """

    R: float = 3.0
    S: float = 0.0
    T: float = 5.0
    P: float = 1.0

    def __post_init__(self) -> None:
        for name in ("R", "S", "T", "P"):
            object.__setattr__(self, name, real(getattr(self, name), name))
        self._check()

    def _check(self) -> None:  # overridden by the named games
        pass

    @property
    def matrix(self) -> np.ndarray:
        """Row player's payoffs ``[[R, S], [T, P]]`` as a float64 array (C = 0, D = 1)."""
        return np.array([[self.R, self.S], [self.T, self.P]], dtype=np.float64)

    @property
    def rstp(self) -> tuple[float, float, float, float]:
        """The payoffs as a tuple ``(R, S, T, P)`` (axelrod's ``Game`` order)."""
        return (self.R, self.S, self.T, self.P)

    def with_payoffs(self, **changes: float) -> Game:
        """A copy with some of ``R, S, T, P`` changed (validated again).

        Parameters
        ----------
        **changes : float
            New values of ``R``, ``S``, ``T`` or ``P``.

        Returns
        -------
        Game
            A game of the same kind (a donation game becomes a ``PrisonersDilemma``: its
            payoffs are no longer parametrised by ``b`` and ``c``).

        Raises
        ------
        ValueError
            For an unknown payoff name, or payoffs that break the game's inequalities.
        """
        values = dict(zip("RSTP", self.rstp, strict=True))
        unknown = set(changes) - set(values)
        if unknown:
            raise ValueError(f"unknown payoff name(s) {sorted(unknown)}; use R, S, T or P")
        values.update(changes)
        # a donation game with other payoffs is no longer parametrised by (b, c)
        kind = PrisonersDilemma if isinstance(self, DonationGame) else type(self)
        return kind(**values)

    def describe(self) -> str:
        """A one-line description, ``"PrisonersDilemma(R=3, S=0, T=5, P=1)"``.

        Returns
        -------
        str
        """
        return f"{type(self).__name__}(R={self.R:g}, S={self.S:g}, T={self.T:g}, P={self.P:g})"


@dataclass(frozen=True)
class MatrixGame(Game):
    """Any symmetric 2x2 game: ``MatrixGame(R, S, T, P)``; no inequality is imposed.

    Parameters
    ----------
    R : float
        Reward: each player's payoff for mutual cooperation.
    S : float
        Sucker's payoff: cooperating against a defector.
    T : float
        Temptation: defecting against a cooperator.
    P : float
        Punishment: mutual defection.
    """


@dataclass(frozen=True)
class PrisonersDilemma(Game):
    """The prisoner's dilemma, ``T > R > P > S`` (Axelrod 1984).

    The default (R, S, T, P) = (3, 0, 5, 1) is Axelrod's. Repeated play also usually asks
    ``2R > T + S`` (mutual cooperation beats alternating exploitation); it is not required
    here, but a game that breaks it is still a prisoner's dilemma.

    Parameters
    ----------
    R : float
        Reward: each player's payoff for mutual cooperation.
    S : float
        Sucker's payoff: cooperating against a defector.
    T : float
        Temptation: defecting against a cooperator.
    P : float
        Punishment: mutual defection.

    Raises
    ------
    ValueError
        Naming the inequality ``T > R > P > S`` that fails.
    """

    def _check(self) -> None:
        R, S, T, P = self.rstp
        if not T > R:
            raise ValueError(
                f"not a prisoner's dilemma: temptation T={T:g} must exceed reward R={R:g} "
                "(otherwise nobody is tempted to defect)"
            )
        if not R > P:
            raise ValueError(
                f"not a prisoner's dilemma: reward R={R:g} must exceed punishment P={P:g} "
                "(otherwise mutual cooperation is no better than mutual defection)"
            )
        if not P > S:
            raise ValueError(
                f"not a prisoner's dilemma: punishment P={P:g} must exceed sucker's payoff "
                f"S={S:g} (otherwise defecting against a defector does not pay)"
            )


class DonationGame(PrisonersDilemma):
    """The donation game: cooperating costs ``c`` and gives ``b`` to the other player.

    R = b - c, S = -c, T = b, P = 0; a prisoner's dilemma whenever ``b > c > 0`` (Sigmund
    2010, *The Calculus of Selfishness*).

    Parameters
    ----------
    b : float
        The benefit the other player receives.
    c : float
        The cost of cooperating, ``0 < c < b``.

    Raises
    ------
    ValueError
        If not ``b > c > 0``.
    """

    def __init__(self, b: float = 2.0, c: float = 1.0) -> None:
        b = real(b, "b")
        c = real(c, "c")
        if not c > 0:
            raise ValueError(f"donation game cost c must be positive, got c={c:g}")
        if not b > c:
            raise ValueError(
                f"donation game benefit b={b:g} must exceed cost c={c:g} "
                "(otherwise cooperating is never worth it and there is no dilemma)"
            )
        super().__init__(R=b - c, S=-c, T=b, P=0.0)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "c", c)

    def __repr__(self) -> str:
        return f"DonationGame(b={self.b:g}, c={self.c:g})"


@dataclass(frozen=True)
class Snowdrift(Game):
    """Snowdrift (hawk-dove, chicken): ``T > R > S > P``.

    The default comes from benefit b = 4 and cost c = 2 of clearing the snow:
    R = b - c/2 = 3, S = b - c = 2, T = b = 4, P = 0. Against a defector it pays to cooperate,
    so cooperators and defectors coexist at x_C = (S - P) / (S - P + T - R).

    Parameters
    ----------
    R : float
        Reward: each player's payoff for mutual cooperation.
    S : float
        Sucker's payoff: cooperating against a defector.
    T : float
        Temptation: defecting against a cooperator.
    P : float
        Punishment: mutual defection.

    Raises
    ------
    ValueError
        If not ``T > R > S > P``.
    """

    R: float = 3.0
    S: float = 2.0
    T: float = 4.0
    P: float = 0.0

    def _check(self) -> None:
        R, S, T, P = self.rstp
        if not (T > R > S > P):
            raise ValueError(
                f"not a snowdrift game: needs T > R > S > P, got T={T:g}, R={R:g}, S={S:g}, "
                f"P={P:g}"
            )


@dataclass(frozen=True)
class StagHunt(Game):
    """Stag hunt (assurance game): ``R > T >= P > S``.

    Mutual cooperation is the best outcome, but cooperating alone is the worst: two strict
    equilibria, all-C (payoff dominant) and all-D (risk dominant when T + P > R + S).
    Default (R, S, T, P) = (4, 0, 3, 1).

    Parameters
    ----------
    R : float
        Reward: each player's payoff for mutual cooperation.
    S : float
        Sucker's payoff: cooperating against a defector.
    T : float
        Temptation: defecting against a cooperator.
    P : float
        Punishment: mutual defection.

    Raises
    ------
    ValueError
        If not ``R > T >= P > S``.
    """

    R: float = 4.0
    S: float = 0.0
    T: float = 3.0
    P: float = 1.0

    def _check(self) -> None:
        R, S, T, P = self.rstp
        if not (R > T >= P > S):
            raise ValueError(
                f"not a stag hunt: needs R > T >= P > S, got R={R:g}, T={T:g}, P={P:g}, "
                f"S={S:g}"
            )


# games are frozen: one default serves every call (building one validates its payoffs, which
# costs more than a small tournament's Python)
_DEFAULT_GAME = PrisonersDilemma()


def as_game(game: Game | None) -> Game:
    """The game to play: ``None`` means Axelrod's prisoner's dilemma (3, 0, 5, 1).

    Parameters
    ----------
    game : Game or None
        The game, or None for the default.

    Returns
    -------
    Game

    Raises
    ------
    TypeError
        If ``game`` is neither a ``Game`` nor None.
    """
    if game is None:
        return _DEFAULT_GAME
    if isinstance(game, Game):
        return game
    raise TypeError(
        f"game must be an evopolity Game (PrisonersDilemma, DonationGame, Snowdrift, StagHunt, "
        f"MatrixGame) or None, got {type(game).__name__}"
    )
