"""Institutional regimes: the rules that act on agents, and the institution agents sustain.

A ``Regime`` is a frozen dataclass of mechanism strengths. Downward causation (the
institution on agents) enters the fitness of strategy ``i`` in population ``x``; upward
causation (agents on the institution) is the law of the institution's strength ``m``:

=====================  ======================================================================
mechanism              term (``s`` = ``m`` if the institution co-evolves, else 1)
=====================  ======================================================================
fine ``F``, detection  ``- s q F d_i``: expected fine on ``i``'s defection rate ``d_i``
``q``                  (on its cooperation rate ``c_i`` if the institution is ``captured``)
reward ``B``           ``+ s q B c_i``
switch ``theta``       rewards only while the cooperation level is below ``theta``, fines
                       only above it (Chen et al. 2015); 0: both always
cost ``kappa``         ``- s kappa`` per capita (or shared by contributors in proportion to
                       their cooperation: ``- s kappa c_i / mean(c)``)
tax ``tau``            ``(1 - tau) v_i + tau mean(v)`` on what fines, rewards and cost left
                       (``v``): payoff differences shrink by ``1 - tau``
conformity ``D``       ``+ D x_i``: conformist transmission (Boyd & Richerson 1985)
mutation ``mu``        new or dissenting strategies enter at rate ``mu``, independently of
                       fitness: ``+ sum_j x_j Q_ji - x_i`` in ``dx_i/dt`` (``mutation_model``)
feedback ``lambda``,   ``dm/dt = lambda (support(x) - m) - decay``, ``support`` the population's
decay                  cooperation level (Weitz et al. 2016 for games with environmental
                       feedback)
=====================  ======================================================================

``c_i = (C x)_i`` comes from the cooperation matrix of the interactions (a ``Tournament``'s
``.cooperation``), so the institution sees how often each strategy defects against the
population it lives in. In the kernels the regime is one flat array
(:func:`evopolity.kernels.layout.regime_array`), so one compiled fitness function serves all
regimes.

Those are the expected terms. Played inside the matches (:meth:`Regime.in_play`,
``tournament(..., regime=r)``, what :func:`evopolity.evolve` does), the fine and reward act
round by round, judged by ``norm`` and sent where ``fine_to`` says, and the dynamics replace
the first two rows by ``+ s (S x)_i``, ``S`` the net sanction per turn
(:mod:`evopolity.dynamics.fitness`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from evopolity.kernels.codes import FINE_DESTINATIONS, NORMS
from evopolity.kernels.layout import regime_array
from evopolity.validate import (
    nonnegative,
    probability,
)

__all__ = ["IN_PLAY_FIELDS", "MUTATION_MODELS", "Regime", "regime_parameters"]

# how mutation enters the replicator (Regime.mutation_model, replicator's mutation_model)
MUTATION_MODELS = ("independent", "fitness_weighted")
#: The fields of a regime that act inside a match (``tournament(..., regime=r)``); the rest
#: (tax, cost, conformity, mutation, switch, the institution's law) act on a population.
IN_PLAY_FIELDS = ("fine", "detection", "reward", "captured", "norm", "fine_to")


@dataclass(frozen=True)
class Regime:
    """Mechanism strengths of an institutional regime (all default to "no institution").

    Parameters
    ----------
    name : str
        A label for results.
    fine : float
        ``F >= 0``: the fine on a detected defection.
    detection : float
        ``q`` in [0, 1]: probability that a move is seen by the institution (fines and
        rewards).
    reward : float
        ``B >= 0``: the reward for a detected cooperation.
    tax : float
        ``tau`` in [0, 1]: share of payoffs pooled and returned equally.
    cost : float
        ``kappa >= 0``: running cost of the institution per capita at full strength.
    cost_by_contributors : bool
        The cost is borne by contributors, in proportion to their cooperation.
    conformity : float
        ``D >= 0``: strength of conformist transmission.
    mutation : float
        ``mu`` in [0, 1]: rate at which other strategies enter (tolerance of dissent).
    feedback : float
        ``lambda >= 0``: how fast the institution follows its support; with ``feedback`` and
        ``decay`` both 0 the institution has fixed full strength.
    decay : float
        ``>= 0``: erosion of the institution per unit time.
    initial_strength : float
        ``m(0)`` in [0, 1] for a co-evolving institution.
    captured : bool
        A captured institution turns its fines on cooperation (its critics).
    switch : float
        ``theta`` in [0, 1]: reward while the population's cooperation level is below
        ``theta``, fine once it is above ("first carrot, then stick"); 0 keeps both on.
    norm : {"any", "unjustified"}
        Which detected defections are fined when the regime acts inside matches
        (``tournament(..., regime=r)``): ``"any"`` every one; ``"unjustified"`` only one that
        follows a cooperation of the opponent (a first-round defection is unjustified), so
        retaliation goes unpunished. :func:`~evopolity.evolve` plays it inside the matches;
        the expected-payoff path (``replicator(payoffs, regime=r)`` on payoffs played
        without ``r``) models only ``"any"`` and refuses ``"unjustified"`` where a fine acts.
    fine_to : {"burned", "victim", "group", "institution"}
        Where a fine goes inside a match: it vanishes, the opponent receives it, the two
        players of the match share it equally (the fined included), or the institution
        collects it (reported in ``Tournament.sanctions``, and as the macro column
        ``to_institution`` of a run; what the funds pay for is not modelled yet). The
        expected-payoff path models only ``"burned"`` and refuses the others where a fine
        acts.
    description : str
        The argument behind a preset.
    mutation_model : {"independent", "fitness_weighted"}
        How mutation enters the replicator. ``"independent"`` (default): individuals switch
        strategy at rate ``mu`` whatever their fitness, ``dx_i/dt = x_i (f_i - phi) +
        sum_j x_j Q_ji - x_i`` (Crow & Kimura 1970), which a constant added to every payoff,
        or a cost every member pays equally, leaves unchanged. ``"fitness_weighted"``:
        mutation at birth, ``dx_i/dt = sum_j x_j f_j Q_ji - x_i phi`` (the replicator--mutator
        of Page & Nowak 2002), defined only while every fitness is non-negative; the
        replicator refuses a regime and payoffs that can make one negative. Finite
        populations mutate per event (:func:`~evopolity.moran`) under either.

    Raises
    ------
    ValueError
        For a strength out of its range (negative, or a probability outside [0, 1]), an
        empty name, or an unknown ``norm``, ``fine_to`` or ``mutation_model``.
    TypeError
        For a flag that is not a bool, or a description that is not a string.
    """

    name: str = "custom"
    fine: float = 0.0
    detection: float = 0.0
    reward: float = 0.0
    tax: float = 0.0
    cost: float = 0.0
    cost_by_contributors: bool = False
    conformity: float = 0.0
    mutation: float = 0.0
    feedback: float = 0.0
    decay: float = 0.0
    initial_strength: float = 1.0
    captured: bool = False
    switch: float = 0.0
    norm: str = "any"
    fine_to: str = "burned"
    mutation_model: str = "independent"
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Regime.name must be a non-empty string, got {self.name!r}")
        for field in ("fine", "reward", "cost", "conformity", "feedback", "decay"):
            object.__setattr__(self, field, nonnegative(getattr(self, field), f"Regime.{field}"))
        for field in ("detection", "tax", "mutation", "initial_strength", "switch"):
            object.__setattr__(self, field, probability(getattr(self, field), f"Regime.{field}"))
        for field in ("cost_by_contributors", "captured"):
            if not isinstance(getattr(self, field), bool | np.bool_):
                raise TypeError(
                    f"Regime.{field} must be True or False, got {getattr(self, field)!r}"
                )
        if not isinstance(self.description, str):
            raise TypeError(f"Regime.description must be a string, got {self.description!r}")
        for field, allowed in (("norm", NORMS), ("fine_to", FINE_DESTINATIONS)):
            if getattr(self, field) not in allowed:
                raise ValueError(
                    f"Regime.{field} must be one of {allowed}, got {getattr(self, field)!r}"
                )
        if self.mutation_model not in MUTATION_MODELS:
            raise ValueError(
                f"Regime.mutation_model must be one of {', '.join(map(repr, MUTATION_MODELS))}, "
                f"got {self.mutation_model!r}"
            )

    @property
    def has_institution(self) -> bool:
        """Whether any institutional mechanism (fine, reward, tax, cost) is active."""
        return any(v > 0.0 for v in (self.fine, self.reward, self.tax, self.cost))

    @property
    def acts_in_play(self) -> bool:
        """Whether anything of the regime acts on a round of a match: a fine or a reward that
        can be seen (``detection > 0``)."""
        return self.detection > 0.0 and (self.fine > 0.0 or self.reward > 0.0)

    def in_play(self) -> Regime | None:
        """The part of the regime that acts inside matches, to play a tournament with.

        Returns
        -------
        Regime or None
            A regime named ``"in-play"`` with this one's :data:`IN_PLAY_FIELDS` and nothing
            else (no switch, tax, cost, conformity, mutation or law: the dynamics apply those
            to the population), or None when nothing acts on a round
            (:attr:`acts_in_play`). Regimes that differ only in population-level fields have
            equal in-play parts, so they share one tournament.
        """
        if not self.acts_in_play:
            return None
        return Regime(name="in-play", **{f: getattr(self, f) for f in IN_PLAY_FIELDS})

    @property
    def coevolves(self) -> bool:
        """Whether the institution's strength ``m`` follows the population."""
        return self.feedback > 0.0 or self.decay > 0.0

    def replace(self, **changes: Any) -> Regime:
        """A copy with some fields changed.

        Parameters
        ----------
        **changes
            New values of :class:`Regime` fields (``fine=2.0``, ``name="strict"``, ...).

        Returns
        -------
        Regime
            Validated again.

        Raises
        ------
        ValueError
            Naming unknown fields, or for a value out of range.
        """
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown Regime field(s) {unknown}; fields are {sorted(known)}")
        return dataclasses.replace(self, **changes)


def regime_parameters(
    regime: Regime, cooperation: np.ndarray, sanctions: tuple[np.ndarray, ...] = ()
) -> np.ndarray:
    """The flat kernel array of ``regime`` followed by the cooperation matrix.

    Parameters
    ----------
    regime : Regime
        The regime to pack.
    cooperation : ndarray
        The k x k cooperation matrix.
    sanctions : tuple of ndarray
        The sanctions played inside matches that replace the expected fine and reward: none,
        ``(S,)`` or ``(S_fine, S_reward)`` (:func:`evopolity.kernels.layout.regime_array`).

    Returns
    -------
    ndarray
        The regime's fields at the positions of :mod:`evopolity.kernels.fitness`, then ``C``
        row-major, then the sanction matrices.

    Raises
    ------
    TypeError
        If ``regime`` is not a ``Regime``.
    """
    if not isinstance(regime, Regime):
        raise TypeError(f"regime must be a Regime, got {type(regime).__name__}")
    return regime_array(
        cooperation, fine=regime.fine, detection=regime.detection, reward=regime.reward,
        tax=regime.tax, cost=regime.cost, cost_by_contributors=regime.cost_by_contributors,
        conformity=regime.conformity, feedback=regime.feedback, decay=regime.decay,
        captured=regime.captured, switch=regime.switch, sanctions=sanctions,
    )  # fmt: skip
