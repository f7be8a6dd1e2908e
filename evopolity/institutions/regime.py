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
from evopolity.kernels.layout import RULES, regime_array
from evopolity.validate import (
    nonnegative,
    probability,
)

__all__ = ["FUNDING", "IN_PLAY_FIELDS", "MUTATION_MODELS", "RULES", "Regime",
           "regime_parameters"]

#: How the institution is made and paid for (``Regime.funding``).
FUNDING = ("fixed", "support", "contributions")

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
    funding : {"fixed", "support", "contributions"}, optional
        How the institution is made and paid for. ``"fixed"``: imposed at full strength
        (``s = 1``; no feedback or decay). ``"support"``: its strength ``m`` follows the
        population's cooperation, ``dm/dt = lambda (c - m) - decay`` (needs ``feedback`` or
        ``decay``). ``"contributions"``: the members fund it: every strategy comes in two
        versions, ``"<name>+levy"`` that pays ``levy`` per unit time and ``"<name>"`` that
        abstains, and the institution's strength is what it can afford,
        ``s = min(1, funds / cost)`` with funds per capita ``levy * (share of contributors)``
        plus the fines it collects (``fine_to="institution"``); ``cost`` (> 0) is then its
        running cost at full strength, paid out of the funds rather than by every member.
        Default (None): ``"support"`` when ``feedback`` or ``decay`` is above 0, else
        ``"fixed"`` (:attr:`funding_mode`).
    levy : float
        ``>= 0``: what a contributor pays the institution per unit time (``"contributions"``).
    second_order : float
        ``F2 >= 0``: the fine on an abstainer for not paying the levy, seen with probability
        ``second_order_detection`` and scaled by the institution's strength (pool punishment
        with second-order punishment, Sigmund, De Silva, Traulsen & Hauert 2010, Nature 466:
        861); ``"contributions"`` only.
    second_order_detection : float
        ``q2`` in [0, 1]: probability that an abstainer is seen (default 1).
    initial_contributors : float
        In [0, 1]: the share of each strategy that starts as contributors when a state over
        the bare strategies is given (default 0.5).
    rule_by : {"fixed", "majority", "elite"}
        Who sets the fine level. ``"fixed"``: ``fine``. ``"majority"``: the weighted median
        of the members' preferred levels; ``"elite"``: that of the richest members (by
        payoff), down to ``elite_share`` of the population. A member prefers the level in
        ``fine_bounds`` that maximises its own current fitness (``lo`` or ``hi``, as fitness
        is linear in the fine); the level moves toward the chosen one at ``rule_rate``, from
        ``fine`` (the level the matches are played at, > 0).
    rule_rate : float
        ``> 0``: the rate at which the fine level moves toward the chosen level.
    fine_bounds : tuple of float, optional
        ``(lo, hi)``, ``0 <= lo < hi``, containing ``fine``: the range the members choose in
        (needed unless ``rule_by="fixed"``).
    elite_share : float
        In (0, 1]: the share of the population, richest first, whose preference an
        ``"elite"`` rule follows (default 0.1).
    initial_fine : float, optional
        The fine level in force at the start when the members choose it (default ``fine``,
        the level the matches are played at; sanctions scale by ``level / fine``); inside
        ``fine_bounds``.
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
        empty name, an unknown ``norm``, ``fine_to``, ``funding``, ``rule_by`` or
        ``mutation_model``, a ``funding`` that contradicts ``feedback`` and ``decay``, a levy
        or second-order fine without ``funding="contributions"``, contributions without a
        cost or with a switch, or a ``rule_by`` without valid ``fine_bounds``.
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
    funding: str | None = None
    levy: float = 0.0
    second_order: float = 0.0
    second_order_detection: float = 1.0
    initial_contributors: float = 0.5
    rule_by: str = "fixed"
    rule_rate: float = 1.0
    fine_bounds: tuple[float, float] | None = None
    elite_share: float = 0.1
    initial_fine: float | None = None
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
        self._check_funding()
        self._check_rule()
        if self.mutation_model not in MUTATION_MODELS:
            raise ValueError(
                f"Regime.mutation_model must be one of {', '.join(map(repr, MUTATION_MODELS))}, "
                f"got {self.mutation_model!r}"
            )

    def _check_funding(self) -> None:
        """Validate ``funding`` and its fields."""
        for field in ("levy", "second_order"):
            object.__setattr__(self, field, nonnegative(getattr(self, field), f"Regime.{field}"))
        for field in ("second_order_detection", "initial_contributors"):
            object.__setattr__(self, field, probability(getattr(self, field), f"Regime.{field}"))
        if self.funding is not None and self.funding not in FUNDING:
            raise ValueError(f"Regime.funding must be one of {FUNDING} or None, got "
                             f"{self.funding!r}")
        law = self.feedback > 0.0 or self.decay > 0.0
        if self.funding in ("fixed", "contributions") and law:
            raise ValueError(
                f"Regime.funding={self.funding!r} has no law of support: feedback and decay "
                f"must be 0, got feedback={self.feedback:g}, decay={self.decay:g}"
            )
        if self.funding == "support" and not law:
            raise ValueError("Regime.funding='support' needs feedback or decay above 0 (the "
                             "law dm/dt = feedback (c - m) - decay)")
        if self.funding == "contributions":
            if self.cost <= 0.0:
                raise ValueError("Regime.cost must be above 0 with funding='contributions': it "
                                 "is the running cost at full strength the funds are set against")
            if self.switch > 0.0:
                raise ValueError("Regime.switch must be 0 with funding='contributions' (not "
                                 "modelled together)")
        elif self.levy > 0.0 or self.second_order > 0.0:
            raise ValueError(
                "Regime.levy and Regime.second_order act only with funding='contributions', got "
                f"levy={self.levy:g}, second_order={self.second_order:g}, "
                f"funding={self.funding!r}"
            )

    def _check_rule(self) -> None:
        """Validate ``rule_by`` and its fields."""
        if self.rule_by not in RULES:
            raise ValueError(f"Regime.rule_by must be one of {RULES}, got {self.rule_by!r}")
        object.__setattr__(self, "rule_rate",
                           nonnegative(self.rule_rate, "Regime.rule_rate", allow_zero=False))
        share = probability(self.elite_share, "Regime.elite_share")
        if share == 0.0:
            raise ValueError("Regime.elite_share must lie in (0, 1], got 0")
        object.__setattr__(self, "elite_share", share)
        if self.fine_bounds is not None:
            try:
                lo, hi = (float(v) for v in self.fine_bounds)
            except (TypeError, ValueError):
                raise ValueError(
                    f"Regime.fine_bounds must be a pair (lo, hi), got {self.fine_bounds!r}"
                ) from None
            if not (np.isfinite(lo) and np.isfinite(hi) and 0.0 <= lo < hi):
                raise ValueError(f"Regime.fine_bounds must satisfy 0 <= lo < hi, got "
                                 f"{self.fine_bounds!r}")
            object.__setattr__(self, "fine_bounds", (lo, hi))
        if self.rule_by == "fixed":
            return
        if self.fine_bounds is None:
            raise ValueError(f"Regime.fine_bounds (lo, hi) is needed with rule_by="
                             f"{self.rule_by!r}")
        lo, hi = self.fine_bounds
        if self.initial_fine is not None:
            start = nonnegative(self.initial_fine, "Regime.initial_fine")
            if not lo <= start <= hi:
                raise ValueError(f"Regime.initial_fine must lie in fine_bounds "
                                 f"{self.fine_bounds}, got {start:g}")
            object.__setattr__(self, "initial_fine", start)
        if not (self.fine > 0.0 and lo <= self.fine <= hi):
            raise ValueError(
                f"Regime.fine must be above 0 and inside fine_bounds {self.fine_bounds} with "
                f"rule_by={self.rule_by!r} (the level play starts at), got {self.fine:g}"
            )

    @property
    def funding_mode(self) -> str:
        """How the institution is made and paid for: ``funding``, or when it is None
        ``"support"`` if the institution has a law (feedback or decay), else ``"fixed"``."""
        if self.funding is not None:
            return self.funding
        return "support" if self.coevolves else "fixed"

    @property
    def funded(self) -> bool:
        """Whether the members fund the institution (``funding="contributions"``)."""
        return self.funding == "contributions"

    @property
    def chosen(self) -> bool:
        """Whether the members choose the fine level (``rule_by`` other than ``"fixed"``)."""
        return self.rule_by != "fixed"

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
    regime: Regime, cooperation: np.ndarray, sanctions: tuple[np.ndarray, ...] = (),
    revenue: np.ndarray | None = None,
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
    revenue : ndarray, optional
        ``S_inst`` (k x k) of an institution the members fund, on the crossed strategies
        (contributors first); required with ``funding="contributions"``, whose ``cost`` then
        becomes the upkeep the funds are set against rather than a per-capita cost.

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
    funding = None
    cost = regime.cost
    if regime.funded:
        if revenue is None:
            raise ValueError("revenue (S_inst) is needed for funding='contributions'")
        funding = (regime.cost, regime.levy,
                   regime.second_order_detection * regime.second_order, revenue)
        cost = 0.0
    rule = None
    if regime.chosen:
        lo, hi = regime.fine_bounds
        rule = (float(RULES.index(regime.rule_by)), regime.rule_rate, lo, hi, regime.fine,
                regime.elite_share)
    return regime_array(
        cooperation, fine=regime.fine, detection=regime.detection, reward=regime.reward,
        tax=regime.tax, cost=cost, cost_by_contributors=regime.cost_by_contributors,
        conformity=regime.conformity, feedback=regime.feedback, decay=regime.decay,
        captured=regime.captured, switch=regime.switch, sanctions=sanctions,
        funding=funding, rule=rule,
    )  # fmt: skip
