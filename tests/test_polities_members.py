"""Polities under funded institutions and chosen fines (kernels/polity.py's member path),
against hand-worked closed forms with m = 1 and no between-polity events."""

import numpy as np
import pytest

import evopolity as ep
from evopolity.institutions.regime import Regime

PD = np.array([[3.0, 0.0], [5.0, 1.0]])  # C, D
COOP = np.array([[1.0, 1.0], [0.0, 0.0]])  # C always cooperates, D never


def test_funded_institution_hand_worked():
    # 4 contributing cooperators and 6 abstaining defectors (crossed order: C+levy, D+levy,
    # C, D). Burned fines bring nothing (R = 0), so s = levy p / upkeep = 0.5 * 0.4 / 1.
    r = Regime(name="funded", fine=2.0, detection=0.5, cost=1.0, levy=0.5, second_order=1.0,
               funding="contributions")
    run = ep.polities(PD, [r], n=10, m=1, generations=0, split=0.0, cooperation=COOP,
                      x0=[4, 0, 0, 6], seed=1)
    assert run.strategies == ("0+levy", "1+levy", "0", "1")
    s = 0.2
    pay_c = 3 * 3 / 9 - 0.5  # against 3 C and 6 D, minus the levy; never fined
    pay_d = (4 * 5 + 5 * 1) / 9 - s * 1.0 - s * 0.5 * 2.0  # second-order fine, then the fine
    f = run.frame()
    assert f["institution_strength"].iloc[0] == pytest.approx(s, rel=1e-12)
    assert f["mean_payoff"].iloc[0] == pytest.approx(0.4 * pay_c + 0.6 * pay_d, rel=1e-12)


@pytest.mark.parametrize("rule, decays", [("majority", False), ("elite", True)])
def test_chosen_fine_hand_worked(rule, decays):
    # 7 cooperators (never fined: indifferent to the level) and 3 defectors (prefer the
    # lowest). The majority is indifferent, so the level stays; the richest tenth are
    # defectors, so under the elite it moves to 0 at rate 1: level 2 exp(-t), t = steps / N.
    # Defectors hold >= 1 member over 2 steps, so the vote holds.
    r = Regime(name=rule, fine=2.0, detection=0.5, rule_by=rule, fine_bounds=(0.0, 4.0),
               rule_rate=1.0)
    run = ep.polities(PD, [r], n=10, m=1, generations=2, split=0.0, cooperation=COOP,
                      x0=[7, 3], selection=0.0, record_every=1, seed=2)
    level = run.frame()["fine_level"].to_numpy()
    want = 2.0 * np.exp(-np.arange(3) / 10.0) if decays else np.full(3, 2.0)
    np.testing.assert_allclose(level, want, rtol=1e-12)


def test_chosen_fine_sets_payoffs():
    # all defectors under the majority: the level decays as 4 u0 exp(-t) with u0 = 1/2 and
    # every member pays q * level: mean payoff P - q level (closed form), at the level of the
    # polity's last event (the step before the record; a payoff is set by an event)
    r = Regime(name="vote", fine=2.0, detection=0.5, rule_by="majority",
               fine_bounds=(0.0, 4.0), rule_rate=1.0)
    run = ep.polities(PD, [r], n=10, m=1, generations=40, split=0.0, cooperation=COOP,
                      x0=[0, 10], record_every=10, seed=3)
    f = run.frame()
    level = 2.0 * np.exp(-run.generations / 10.0)
    np.testing.assert_allclose(f["fine_level"], level, rtol=1e-9)
    at_event = 2.0 * np.exp(-np.maximum(run.generations - 1, 0) / 10.0)
    np.testing.assert_allclose(f["mean_payoff"], 1.0 - 0.5 * at_event, rtol=1e-9)


def test_group_game_played_under_the_regime():
    # public goods of 3 (r = 2, c = 1) played under a fine on non-contributors: a defector in
    # an all-defector polity earns 0 - q F = -2.4 (in the game's table), a cooperator among
    # cooperators r - 1 = 1; the regime's polities also pay its cost 0.5 (a population-level
    # term), the bare polities play the game's net payoffs. Homogeneous polities stay so.
    fined = ep.Regime(name="fined", fine=3.0, detection=0.8, cost=0.5)
    game = ep.public_goods(3, r=2.0, c=1.0).under(fined, contributes=[True, False])
    run = ep.polities(game, [None, fined], n=6, m=4, generations=200, split=0.1,
                      x0=np.array([[6, 0], [0, 6]] * 2), assignment=[0, 0, 1, 1],
                      record_every=100, seed=7)
    f = run.frame()
    expected = np.where(f["cooperator"] == 1.0, 1.0, -2.4)
    expected -= np.where(f["regime"] == "fined", 0.5, 0.0)
    np.testing.assert_allclose(f["mean_payoff"], expected, atol=1e-12)
    with pytest.raises(ValueError, match="regimes\\[1\\]"):  # other in-play fields
        ep.polities(game, [None, fined.replace(fine=1.0)], n=6, m=2, generations=10)
