"""Rules the members choose (``rule_by``), on a case worked by hand.

Always Cooperate (C) and Always Defect (D), fines seen always (``q = 1``) and paid to the
victim, played at ``F = 1`` per detected defection: per turn C earns ``3`` against C and
``0 + F`` against D, D earns ``5 - F`` against C and ``1`` against D (both fined, both repaid).
Fitness is linear in ``F``: ``d f_C / dF = x_D`` (fines received) and ``d f_D / dF = -x_C``,
so while both are present cooperators prefer the top of the bounds and defectors the bottom.
At ``x = (0.6, 0.4)``, ``F = 1``: the majority (cooperators, 0.6) chooses the high fine; the
richest are the defectors (``f_D = 4 * 0.6 + 0.4 = 2.8 > f_C = 1.8 + 0.4 = 2.2``), so an elite
rule chooses the low one. A high fine (``F > 2``) makes cooperation dominant and a low one
(``F < 1``) defection, so the vote decides who takes over.
"""

import numpy as np
import pytest

import evopolity as ep
from evopolity.kernels.fitness import VOTE_TOL  # noqa: F401 - the tie tolerance is public

BOUNDS = (0.0, 4.0)


def regime(rule):
    return ep.Regime(fine=1.0, detection=1.0, fine_to="victim", rule_by=rule,
                     fine_bounds=BOUNDS, rule_rate=1.0)


def run(rule, x0=(0.6, 0.4), t_max=40.0):
    t = ep.tournament(["Cooperator", "Defector"], turns=5, method="exact",
                      regime=regime(rule).in_play())
    return ep.replicator(t, x0=list(x0), t_max=t_max, n_points=81, regime=regime(rule),
                         stop_at_rest=False)


def test_majority_follows_the_larger_group():
    tr = run("majority")
    first = tr.macro.iloc[0]
    assert first["prefer_high"] == pytest.approx(0.6)
    assert first["chosen_fine"] == 4.0 and first["fine_level"] == pytest.approx(1.0)
    # the level moves toward 4 at rate 1: F(t) = 4 - 3 e^{-t} while the majority holds
    early = tr.macro["fine_level"].to_numpy()[:3]
    np.testing.assert_allclose(early, 4.0 - 3.0 * np.exp(-tr.times[:3]), atol=1e-6)
    assert tr.final()["Cooperator"] > 0.99
    assert tr.macro["fine_level"].iloc[-1] > 3.9


def test_a_defecting_majority_votes_the_fine_down():
    tr = run("majority", x0=(0.4, 0.6))
    assert tr.macro["chosen_fine"].iloc[0] == 0.0
    assert tr.final()["Defector"] > 0.99 and tr.macro["fine_level"].iloc[-1] < 0.01


def test_elite_follows_the_richest():
    tr = run("elite")
    first = tr.macro.iloc[0]
    assert first["prefer_high"] == pytest.approx(0.6)  # the same preferences ...
    assert first["chosen_fine"] == 0.0                  # ... but the richest choose
    assert tr.final()["Defector"] > 0.99 and tr.macro["fine_level"].iloc[-1] < 0.01


def test_rule_by_is_validated():
    with pytest.raises(ValueError, match="fine_bounds"):
        ep.Regime(fine=1.0, rule_by="majority")
    with pytest.raises(ValueError, match="Regime.fine must be above 0 and inside"):
        ep.Regime(fine=5.0, rule_by="majority", fine_bounds=BOUNDS)
    with pytest.raises(ValueError, match="Regime.rule_by"):
        ep.Regime(rule_by="lottery")
    with pytest.raises(ValueError, match="Regime.initial_fine"):
        ep.Regime(fine=1.0, rule_by="elite", fine_bounds=BOUNDS, initial_fine=9.0)
