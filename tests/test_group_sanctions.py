"""Group games played under a regime's sanctions (GroupGame.under) and the dynamics on them."""

import numpy as np
import pytest

import evopolity as ep
from evopolity.dynamics.fitness import fitness, regime_setup
from evopolity.kernels import codes

# the linear public goods game, n = 3, r = 2, c = 1 (share="all"); rows are the compositions
# (cooperators, defectors) = (0, 3), (1, 2), (2, 1), (3, 0). Bare payoffs, P_D = 2 k / 3 and
# P_C = P_D - 1 with k contributors:
#   (0, 3): D 0        (1, 2): C -1/3, D 2/3     (2, 1): C 1/3, D 4/3     (3, 0): C 1
# The regime: q = 0.5, F = 2, so the expected fine on a defector is q F = 1.
NAN = np.nan
THIRD = 1.0 / 3.0


def pgg3() -> ep.GroupGame:
    return ep.public_goods(group_size=3, r=2.0, c=1.0)


def regime(**kw) -> ep.Regime:
    return ep.Regime(**{"fine": 2.0, "detection": 0.5, **kw})


def test_bare_table_is_the_hand_worked_one():
    expected = [[NAN, 0.0], [-THIRD, 2 * THIRD], [THIRD, 4 * THIRD], [1.0, NAN]]
    np.testing.assert_allclose(pgg3().table, expected)


@pytest.mark.parametrize(
    ("fine_to", "expected"),
    [
        # burned: every defector loses q F = 1, nobody receives it
        #   (0,3): D 0 - 1 = -1; (1,2): D 2/3 - 1 = -1/3; (2,1): D 4/3 - 1 = 1/3
        ("burned", [[NAN, -1.0], [-THIRD, -THIRD], [THIRD, THIRD], [1.0, NAN]]),
        # victim: the T fines are shared by the K contributors, T/K each; with K = 0 burned
        #   (0,3): D -1 (nobody to receive); (1,2): C -1/3 + 2/1 = 5/3, D -1/3;
        #   (2,1): C 1/3 + 1/2 = 5/6, D 1/3
        ("victim", [[NAN, -1.0], [5 * THIRD, -THIRD], [5.0 / 6.0, THIRD], [1.0, NAN]]),
        # group: the T fines are shared by all 3 members, T/3 each, the fined included
        #   (0,3): D 0 - 1 + 3/3 = 0; (1,2): C -1/3 + 2/3 = 1/3, D 2/3 - 1 + 2/3 = 1/3;
        #   (2,1): C 1/3 + 1/3 = 2/3, D 4/3 - 1 + 1/3 = 2/3
        ("group", [[NAN, 0.0], [THIRD, THIRD], [2 * THIRD, 2 * THIRD], [1.0, NAN]]),
        # institution: as burned for the members; the institution collects T per group
        ("institution", [[NAN, -1.0], [-THIRD, -THIRD], [THIRD, THIRD], [1.0, NAN]]),
    ],
)
def test_hand_worked_payoffs_by_destination(fine_to, expected):
    game = pgg3().under(regime(fine_to=fine_to), contributes=[True, False])
    np.testing.assert_allclose(game.table, expected)
    collected = [3.0, 2.0, 1.0, 0.0] if fine_to == "institution" else [0.0] * 4
    np.testing.assert_allclose(game.to_institution, collected)
    np.testing.assert_allclose(game.frame()["to_institution"], collected)
    assert game.played_under.fine_to == fine_to
    assert game.contributes == (True, False)


def test_rewards_and_a_captured_institution():
    # reward B = 1 (q B = 0.5) to every contributor, fines burned:
    #   (1,2): C -1/3 + 1/2 = 1/6, D 2/3 - 1 = -1/3; (2,1): C 1/3 + 1/2 = 5/6, D 1/3
    #   (3,0): C 1 + 1/2 = 3/2
    game = pgg3().under(regime(reward=1.0), contributes=[True, False])
    np.testing.assert_allclose(game.table,
                               [[NAN, -1.0], [1 / 6, -THIRD], [5 / 6, THIRD], [1.5, NAN]])
    # captured: contributors are fined (q F = 1); to the victim = the other contributors,
    # each contributor getting the K - 1 others' fines shared by K - 1, i.e. 1 when K >= 2
    #   (1,2): C -1/3 - 1 (K = 1: nobody to receive it, burned) = -4/3, D 2/3
    #   (2,1): C 1/3 - 1 + 1 = 1/3, D 4/3;  (3,0): C 1 - 1 + 1 = 1;  (0,3): D 0
    game = pgg3().under(regime(captured=True, fine_to="victim"), contributes=[True, False])
    np.testing.assert_allclose(game.table,
                               [[NAN, 0.0], [-4 * THIRD, 2 * THIRD], [THIRD, 4 * THIRD],
                                [1.0, NAN]])


def test_members_not_judged_keep_their_payoff():
    # optional public goods: loners (None) are neither fined nor victims; fines to the group
    # are shared by all n members, loners included
    bare = ep.public_goods(group_size=3, r=2.0, c=1.0, sigma=0.5)
    game = bare.under(regime(fine_to="group"), contributes=[True, False, None])
    frame, base = game.frame(), bare.frame()
    # (1 C, 1 D, 1 L): S = 2 participants, P_D = 2 * 1/2 = 1, P_C = 0; one defector fined 1,
    # shared 1/3 each: C 1/3, D 1 - 1 + 1/3 = 1/3, L 0.5 + 1/3
    row = frame[(frame.cooperator == 1) & (frame.defector == 1)].iloc[0]
    assert row.payoff_cooperator == pytest.approx(THIRD)
    assert row.payoff_defector == pytest.approx(THIRD)
    assert row.payoff_loner == pytest.approx(0.5 + THIRD)
    # all loners: nobody fined, nothing changes
    np.testing.assert_allclose(frame.iloc[0, 3:6].astype(float), base.iloc[0, 3:].astype(float),
                               equal_nan=True)
    assert frame["to_institution"].eq(0.0).all()
    # a subgame keeps the sanctions and the record; its compositions (defectors, cooperators)
    # run (0, 3), (1, 2), (2, 1), (3, 0), a cooperator's payoffs as in the "group" table above
    sub = game.subgame(["defector", "cooperator"])
    assert sub.contributes == (False, True)
    assert sub.played_under is game.played_under
    np.testing.assert_allclose(sub.frame()["payoff_cooperator"],
                               [1.0, 2 * THIRD, THIRD, NAN])


def coop_minus_defect(game: ep.GroupGame) -> np.ndarray:
    """P_C(o + e_C) - P_D(o + e_D) for every co-player composition o, by the number j of
    contributing co-players (j = 0 .. n - 1)."""
    n = game.group_size
    f = game.frame()
    pc = {int(r.cooperator): r.payoff_cooperator for r in f.itertuples()}
    pd_ = {int(r.cooperator): r.payoff_defector for r in f.itertuples()}
    return np.array([pc[j + 1] - pd_[j] for j in range(n)])


# The threshold, n = 4, r = 2, c = 1: without sanctions P_C - P_D = c (r/n - 1) = -1/2 for
# every o. Burned (or institution): the defector alone loses q F, so the difference is
# c (r/n - 1) + q F and cooperation is dominant iff q F > c (1 - r/n) = 1/2. Group: with D_o
# defecting co-players the contributor receives q F D_o / n, the defector pays q F and receives
# q F (D_o + 1) / n; the D_o terms cancel, leaving c (r/n - 1) + q F (1 - 1/n), so dominant iff
# q F (3/4) > 1/2, q F > 2/3. Victim: the contributor receives q F D_o / (j + 1), the defector
# nothing, so the difference is c (r/n - 1) + q F + q F D_o / (j + 1), smallest at D_o = 0:
# the same threshold as burned.
N4, R2 = 4, 2.0


@pytest.mark.parametrize(("fine_to", "threshold"),
                         [("burned", 0.5), ("institution", 0.5), ("victim", 0.5),
                          ("group", 0.5 / 0.75)])
def test_threshold_for_cooperation_to_dominate(fine_to, threshold):
    bare = ep.public_goods(group_size=N4, r=R2, c=1.0)
    np.testing.assert_allclose(coop_minus_defect(bare), R2 / N4 - 1.0)
    for qF, dominant in ((threshold - 0.02, False), (threshold + 0.02, True)):
        game = bare.under(regime(fine=qF / 0.5, detection=0.5, fine_to=fine_to), [True, False])
        diff = coop_minus_defect(game)
        if fine_to == "group":
            np.testing.assert_allclose(diff, R2 / N4 - 1.0 + qF * (1 - 1 / N4))
        elif fine_to == "victim":
            j = np.arange(N4)
            np.testing.assert_allclose(diff, R2 / N4 - 1.0 + qF + qF * (N4 - 1 - j) / (j + 1))
        else:
            np.testing.assert_allclose(diff, R2 / N4 - 1.0 + qF)
        assert bool(np.all(diff > 0)) is dominant
        if fine_to != "victim":  # victim: dominated only where all others contribute
            assert bool(np.all(diff < 0)) is not dominant


def test_threshold_in_the_replicator():
    # between the two thresholds (q F = 0.6): a burned fine makes contributing dominant, the
    # same fine shared in the group does not (difference 0.6 * 3/4 - 1/2 = -0.05 everywhere)
    bare = ep.public_goods(group_size=N4, r=R2, c=1.0)
    for fine_to, winner in (("burned", 0), ("group", 1), ("victim", 0)):
        r = regime(fine=1.2, detection=0.5, fine_to=fine_to)
        game = bare.under(r, contributes=[True, False])
        final = ep.replicator(game, x0=[0.5, 0.5], regime=r, t_max=600).final()
        assert final.iloc[winner] > 0.99, (fine_to, final)
    # above 2/3 (q F = 0.7) the shared fine makes cooperation win too
    r = regime(fine=1.4, detection=0.5, fine_to="group")
    final = ep.replicator(bare.under(r, [True, False]), x0=[0.5, 0.5], regime=r,
                          t_max=600).final()
    assert final["cooperator"] > 0.99


def test_no_double_counting():
    bare = ep.public_goods(group_size=4, r=3.0, c=1.0)
    r = regime(tax=0.3, cost=0.2, conformity=0.1)
    played = bare.under(r, contributes=[True, False])
    # the played game with the regime's population part equals the expected path on the bare
    # game (burned fines, norm any): the fine counts once
    for x in ([0.2, 0.8], [0.7, 0.3]):
        np.testing.assert_allclose(fitness(r, played, None, x), fitness(r, bare, [1, 0], x))
    setup = regime_setup(r, 0.0, played, None, played.strategies)
    assert setup.model == codes.GROUP_INSTITUTIONS
    # by hand at x = (0.5, 0.5): the played payoffs, then the cost 0.2 each, then the tax
    x = np.array([0.5, 0.5])
    v = played.expected_payoffs(x).to_numpy() - 0.2
    v = 0.7 * v + 0.3 * (x @ v) + 0.1 * x
    np.testing.assert_allclose(fitness(r, played, None, x), v)
    # a regime whose in-play part differs is refused, naming what differs
    with pytest.raises(ValueError, match="does not match the regime the group game"):
        fitness(r.replace(fine=3.0), played, None, [0.5, 0.5])
    with pytest.raises(ValueError, match="does not match"):
        ep.replicator(played, x0=[0.5, 0.5], regime=r.replace(fine_to="group"), t_max=1)
    # playing a played game again, or other contributions than it was played with
    with pytest.raises(ValueError, match="already played under a regime"):
        played.under(r, [True, False])
    with pytest.raises(ValueError, match="cooperation must be the contributions"):
        fitness(r, played, [0, 1], [0.5, 0.5])
    # fines that scale with a co-evolving strength cannot be read off a fixed table
    with pytest.raises(ValueError, match="co-evolving strength or a switch"):
        fitness(r.replace(feedback=1.0), played, None, [0.5, 0.5])
    # the bare game with a destination other than burned points to under()
    with pytest.raises(ValueError, match=r"game.under"):
        fitness(r.replace(fine_to="group"), bare, [1, 0], [0.5, 0.5])
    # without a regime the played game is what its members earned
    tr = ep.replicator(played, x0=[0.5, 0.5], t_max=5)
    assert tr.final().sum() == pytest.approx(1.0)


def test_refusals():
    game = pgg3()
    with pytest.raises(ValueError, match="no previous round"):
        game.under(regime(norm="unjustified"), [True, False])
    with pytest.raises(ValueError, match="switch"):
        game.under(regime(switch=0.5), [True, False])
    with pytest.raises(ValueError, match="contributes must give one value per strategy"):
        game.under(regime(), [True])
    with pytest.raises(ValueError, match="contributes must hold"):
        game.under(regime(), [True, "no"])
    with pytest.raises(TypeError, match="contributes must be a sequence"):
        game.under(regime(), "cooperator")
    with pytest.raises(TypeError, match="regime must be a Regime"):
        game.under({"fine": 1.0}, [True, False])
