"""Named regimes: presets of :class:`evopolity.Regime` that differ in how the institution is
made and paid for.

The presets make the micro-macro argument of the project's background essay testable. A
society's institutions are pushed by its members (upward causation) and push back on them
(downward causation). The presets differ in *who chooses the rules* (nobody, a fixed
constitution, the majority, the richest), *who pays for them* (nobody, everyone by
imposition, the members who choose to contribute, the population's support), *what the norm
punishes* (every defection, or only unprovoked ones) and *where fines go* (burned, to the
victim). They share every strength a mechanism has in common, so that a difference in
outcome comes from the institutional design rather than from a hand-picked number:

- the same mutation rate, :data:`SHARED_MUTATION` (independent of fitness; mutation does not set
  diversity);
- the same detection :data:`SHARED_DETECTION` and fine scale: fines are played at
  :data:`SHARED_FINE` and,
  where the members choose them, chosen inside :data:`SHARED_FINE_BOUNDS`; a fixed high fine is the
  top of those bounds;
- the same running cost of an institution at full strength, :data:`SHARED_COST` (a per-capita
  cost every member pays equally leaves the dynamics unchanged: it shows in welfare only);
- the same levy :data:`SHARED_LEVY` and second-order sanction where the members fund the
  institution.

All strengths are in units of the stage game's payoffs (with the default prisoner's dilemma,
the temptation gain ``T - R`` is 2). Every value is a modelling choice, documented in each
preset and meant to be changed (``preset.replace(fine=3.0)``); the model, not the labels,
decides which regime does best.
"""

from __future__ import annotations

from evopolity.institutions.regime import Regime

__all__ = ["SHARED_COST", "SHARED_DETECTION", "SHARED_FINE", "SHARED_FINE_BOUNDS",
           "SHARED_LEVY", "SHARED_MUTATION", "all_presets",
           "balanced", "captured", "carrot_then_stick", "communitarian", "laissez_faire"]

#: The mutation rate of every preset (independent of fitness: ``mu (q_i - x_i)``).
SHARED_MUTATION = 0.001
#: The probability that the institution sees a move, shared by every institution.
SHARED_DETECTION = 0.6
#: The fine level play starts at (the temptation gain ``T - R`` of the default game).
SHARED_FINE = 2.0
#: The range the members choose the fine in; a fixed high fine is its top.
SHARED_FINE_BOUNDS = (0.0, 4.0)
#: An institution's running cost at full strength (per capita, or set against its funds).
SHARED_COST = 0.3
#: What a contributor pays a funded institution per unit time.
SHARED_LEVY = 0.3


def laissez_faire() -> Regime:
    """No institution: the micro level alone.

    No fines, rewards, taxes or conformity pressure; strategies enter freely at the common
    mutation rate (:data:`SHARED_MUTATION`). Whatever cooperation survives is sustained by the
    strategies themselves (reciprocity), as in Axelrod's tournaments (Axelrod 1984).

    Returns
    -------
    Regime
    """
    return Regime(
        name="laissez-faire",
        mutation=SHARED_MUTATION,
        description="no institution: payoffs of the game alone, free entry of strategies",
    )


def communitarian() -> Regime:
    """The whole over the parts: an imposed institution that fines every defection.

    How it is made: imposed (``funding="fixed"``, full strength whatever its support), paid
    for by everyone (the running cost :data:`SHARED_COST` per capita), its fine fixed by a
    constitution at the top of the shared bounds (``F = 4``, twice the temptation gain; the
    members do not choose it). What it punishes: every detected defection (``norm="any"``),
    retaliation included, the expected-fine institution of Sigmund et al.'s pool punishment
    (Sigmund, De Silva, Traulsen & Hauert 2010, Nature 466: 861) and of Ostrom's graduated,
    monitored sanctions without their gradation. Where fines go: burned (nobody profits from
    a fine).

    Modelling choices: the fixed high fine, imposed. No conformist transmission: pressure to
    do what most do would force one strategy by construction, and a comparison of diversity
    would then restate the preset; whatever diversity this regime loses here comes from how
    its institution is made. ``communitarian().replace(conformity=1.0)`` adds conformist
    transmission (Boyd & Richerson 1985, Culture and the Evolutionary Process) for a user
    who wants to study it, and ``ep.attribute`` then shows its share. Detection, cost and
    mutation are the shared values.

    Returns
    -------
    Regime
    """
    return Regime(
        name="communitarian",
        fine=SHARED_FINE_BOUNDS[1],
        detection=SHARED_DETECTION,
        cost=SHARED_COST,
        mutation=SHARED_MUTATION,
        funding="fixed",
        norm="any",
        fine_to="burned",
        description="an imposed institution with a fixed high fine on every defection "
        "(retaliation included), fines burned",
    )


def balanced() -> Regime:
    """The interplay: an institution the members fund, that punishes unprovoked defection,
    pays the victim, and whose fine the majority votes.

    How it is made and paid for: every strategy comes as a contributor (pays the levy
    :data:`SHARED_LEVY` per unit time) and an abstainer (``funding="contributions"``); the
    institution's strength is what the levies afford against its running cost
    :data:`SHARED_COST`, ``s = min(1, L p / K)`` with ``p`` the share of contributors. Abstainers
    are fined for not paying (second-order sanctions, ``F2 = SHARED_FINE`` seen with probability
    :data:`SHARED_DETECTION`), as in pool punishment with second-order punishment (Sigmund et al.
    2010): contributors then grow wherever ``s q2 F2 > SHARED_LEVY``, i.e. above ``p* = K / (q2
    F2) = 0.25``, and the institution holds; below it they decline and the institution
    erodes. Half of each strategy starts as contributors.

    What it punishes: a defection that follows a cooperation of the opponent
    (``norm="unjustified"``): retaliation is not fined (justified defection, Sugden 1986;
    Ohtsuki & Iwasa 2004). Where fines go: to the victim (restitution), which gives those
    exploited an interest in a high fine. Who chooses it: the majority
    (``rule_by="majority"``, the median member's preferred level in :data:`SHARED_FINE_BOUNDS`,
    played at and starting from :data:`SHARED_FINE`); the level follows the vote at rate 1.

    Modelling choices: the levy and the second-order fine (what makes the institution
    affordable and its free-riding costly), and that half the members start contributing.
    Nothing sets the fine level or the institution's strength directly: the vote and the
    funding do. Detection, cost, fine scale and mutation are the shared values.

    Returns
    -------
    Regime
    """
    return Regime(
        name="balanced",
        fine=SHARED_FINE,
        detection=SHARED_DETECTION,
        cost=SHARED_COST,
        mutation=SHARED_MUTATION,
        funding="contributions",
        levy=SHARED_LEVY,
        second_order=SHARED_FINE,
        second_order_detection=SHARED_DETECTION,
        initial_contributors=0.5,
        norm="unjustified",
        fine_to="victim",
        rule_by="majority",
        fine_bounds=SHARED_FINE_BOUNDS,
        description="funded by its members' levies with second-order sanctions, fines on "
        "unprovoked defection paid to the victim, the fine voted by the majority",
    )


def captured() -> Regime:
    """A captured institution: ruled by the richest, its sanctions fall on cooperators.

    How it is made: imposed (``funding="fixed"``, paid for per capita by everyone, the
    shared :data:`SHARED_COST`). What it punishes: every detected cooperation (``captured=True``:
    the enforcement apparatus turned against those who contribute, the "critics", as in
    models of institutional corruption, e.g. Lee, Iwasa, Dieckmann & Sigmund 2019, PNAS 116:
    13276). Where fines go: to the opponent of the fined cooperator, so those who deal with
    cooperators (and exploit them) profit. Who chooses the fine: the richest tenth
    (``rule_by="elite"``, a captured constitution), in :data:`SHARED_FINE_BOUNDS` from
    :data:`SHARED_FINE`.

    Modelling choices: the elite's share (0.1) and that the fines are paid over to the
    opponent. Detection, cost, fine scale and mutation are the shared values; whether the
    elite raises or lowers the fine is decided by who is richest.

    Returns
    -------
    Regime
    """
    return Regime(
        name="captured",
        fine=SHARED_FINE,
        detection=SHARED_DETECTION,
        cost=SHARED_COST,
        mutation=SHARED_MUTATION,
        funding="fixed",
        captured=True,
        fine_to="victim",
        rule_by="elite",
        elite_share=0.1,
        fine_bounds=SHARED_FINE_BOUNDS,
        description="an imposed institution ruled by the richest tenth, fining cooperation "
        "and paying the fines to the cooperator's opponent",
    )


def carrot_then_stick() -> Regime:
    """First carrot, then stick, living on its support (Chen, Sasaki, Brännström & Dieckmann
    2015, J. R. Soc. Interface 12: 20140935).

    What it does: rewards detected cooperation (``B = SHARED_FINE``) while the population's
    cooperation level is below one half and fines detected defection (``F = SHARED_FINE``,
    ``norm="any"``, burned) once it is above (``switch = 0.5``); Chen et al. show this
    adaptive hybrid establishes cooperation at lower cost than rewards or fines alone. How it
    is made and paid for: its strength follows its support (``funding="support"``, ``dm/dt =
    lambda (c - m) - decay`` with ``lambda = 1``, ``decay = 0.01``, ``m(0) = 0.5``; Weitz et
    al. 2016 for games with environmental feedback), its running cost :data:`SHARED_COST` paid per
    capita at that strength. (Member funding is not modelled together with a switch.)

    Modelling choices: the switch point, the reward equal to the fine, and the law of
    support. Detection, the fine, cost and mutation are the shared values.

    Returns
    -------
    Regime
    """
    return Regime(
        name="carrot-then-stick",
        fine=SHARED_FINE,
        reward=SHARED_FINE,
        switch=0.5,
        detection=SHARED_DETECTION,
        cost=SHARED_COST,
        mutation=SHARED_MUTATION,
        funding="support",
        feedback=1.0,
        decay=0.01,
        initial_strength=0.5,
        description="rewards while cooperation is rare, fines once it is common, an "
        "institution whose strength follows its support",
    )


def all_presets() -> list[Regime]:
    """Every preset, in the order of the argument.

    Returns
    -------
    list of Regime
        laissez-faire, communitarian, balanced, carrot-then-stick, captured.
    """
    return [laissez_faire(), communitarian(), balanced(), carrot_then_stick(), captured()]
