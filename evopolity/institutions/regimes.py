"""Named regimes: presets of :class:`evopolity.Regime`, each with the argument behind it.

The presets make the micro-macro argument of the project's background essay testable. A
society's institutions are pushed by its members (upward causation) and push back on them
(downward causation). A regime that lets the whole override the parts buys compliance with
conformity and loses the variety it needs to adapt. A regime that leaves the parts alone
lets the shared fabric that makes cooperation pay wear away. A regime that keeps both levels
in play tries to keep cooperation and diversity together. The numbers are
modelling choices, documented here and meant to be changed (``preset.replace(fine=2.0)``);
the model, not the labels, decides which regime does best.

All strengths are in units of the stage game's payoffs (with the default prisoner's dilemma,
the temptation gain ``T - R`` is 2).
"""

from __future__ import annotations

from evopolity.institutions.regime import Regime

__all__ = ["laissez_faire", "communitarian", "balanced", "captured", "carrot_then_stick",
           "all_presets"]


def laissez_faire() -> Regime:
    """No institution: the micro level alone.

    No fines, rewards, taxes or conformity pressure; strategies enter freely at a small
    mutation rate (0.001). Whatever cooperation survives is sustained by the strategies
    themselves (reciprocity), as in Axelrod's tournaments.

    Returns
    -------
    Regime
    """
    return Regime(
        name="laissez-faire",
        mutation=0.001,
        description="no institution: payoffs of the game alone, free entry of strategies",
    )


def communitarian() -> Regime:
    """The whole over the parts: strong, well-detected sanctions and strong conformity.

    A heavy fine (``F = 4``, twice the temptation gain) seen 90% of the time makes defection
    a losing move; strong conformist transmission (``D = 2``) rewards doing what most do;
    dissent barely enters (``mu = 1e-4``). The institution is imposed from the top at full
    strength (it does not depend on support) and costs 0.3 per capita to run.

    Returns
    -------
    Regime
    """
    return Regime(
        name="communitarian",
        fine=4.0,
        detection=0.9,
        cost=0.3,
        conformity=2.0,
        mutation=1e-4,
        description="strong, well-detected sanctions, strong conformity, little dissent, "
        "a fixed top-down institution",
    )


def balanced() -> Regime:
    """The interplay: moderate sanctions, redistribution, tolerance, an institution that
    lives on its support.

    A moderate fine (``F = 2``) seen 60% of the time, a 20% tax returned equally
    (redistribution), weak conformity (``D = 0.1``), dissent tolerated (``mu = 0.01``). The
    institution's strength follows the population's cooperation (``lambda = 1``) and erodes
    slowly (``decay = 0.01``) when nobody sustains it: upward and downward causation both act.

    Returns
    -------
    Regime
    """
    return Regime(
        name="balanced",
        fine=2.0,
        detection=0.6,
        tax=0.2,
        cost=0.15,
        conformity=0.1,
        mutation=0.01,
        feedback=1.0,
        decay=0.01,
        initial_strength=0.5,
        description="moderate sanctions and redistribution, tolerance of dissent, an "
        "institution that co-evolves with its support",
    )


def captured() -> Regime:
    """A captured institution: its sanctions fall on cooperators.

    The enforcement apparatus of ``balanced`` turned against those who contribute (the
    "critics"), as in models of institutional corruption (e.g. Lee, Iwasa, Dieckmann &
    Sigmund 2019, PNAS 116: 13276). It still costs its subjects and still feeds on their
    cooperation.

    Returns
    -------
    Regime
    """
    return balanced().replace(
        name="captured",
        captured=True,
        description="the balanced regime's sanctions turned on cooperators",
    )


def carrot_then_stick() -> Regime:
    """First carrot, then stick (Chen, Sasaki, Brännström & Dieckmann 2015, J. R. Soc.
    Interface 12: 20140935).

    The institution rewards cooperation (``B = 2``) while cooperators are a minority and
    switches to fining defection (``F = 2``) once cooperation exceeds half the moves
    (``switch = 0.5``), detection 0.6. Chen et al. show this adaptive hybrid establishes
    cooperation at lower cost than rewards or fines alone. The institution's strength follows
    its support, as in ``balanced``.

    Returns
    -------
    Regime
    """
    return Regime(
        name="carrot-then-stick",
        fine=2.0,
        reward=2.0,
        switch=0.5,
        detection=0.6,
        cost=0.15,
        conformity=0.1,
        mutation=0.01,
        feedback=1.0,
        decay=0.01,
        initial_strength=0.5,
        description="rewards while cooperation is rare, fines once it is common, an "
        "institution that co-evolves",
    )


def all_presets() -> list[Regime]:
    """Every preset, in the order of the argument.

    Returns
    -------
    list of Regime
        laissez-faire, communitarian, balanced, carrot-then-stick, captured.
    """
    return [laissez_faire(), communitarian(), balanced(), carrot_then_stick(), captured()]
