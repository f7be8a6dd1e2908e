"""Polities under the pairwise-comparison (Fermi) update and with group games as interactions,
against theory (docs/polities.md, "Update rules and group games").

Every run here shares the one compiled polity kernel (the update rule and the group game are
runtime branches of it), so these tests add no numba specialisation.
"""

import math

import numpy as np
import pytest

import evopolity as ep

# a coordination-like game in which the mutant (strategy 0) is disfavoured: its fixation
# probability lies far below neutral 1 / N, so agreement with the closed form is a real check
A = np.array([[3.0, 1.0], [2.0, 1.5]])


def volunteer_pay(counts):
    """A threshold public good in groups of 3: every member gets 4 when at least two
    volunteer; volunteers pay 1."""
    b = 4.0 if counts[0] >= 2 else 0.0
    return [b - 1.0, b]


VOLUNTEERS = ep.GroupGame.from_function(["volunteer", "shirker"], 3, volunteer_pay)


def group_fixation_by_hand(N, w):
    """One volunteer among N - 1 shirkers, by hand: the co-players of a focal member are 2 of
    the N - 1 others drawn without replacement, so with j volunteers a volunteer meets l
    volunteers with probability C(j-1, l) C(N-j, 2-l) / C(N-1, 2) and a shirker with C(j, l)
    C(N-1-j, 2-l) / C(N-1, 2); gamma_j = exp(-w (pi_V - pi_S)) for the exponential Moran
    process and the Fermi rule alike, rho = 1 / (1 + sum_k prod_{j<=k} gamma_j)."""
    total = math.comb(N - 1, 2)
    prods, acc = [], 1.0
    for j in range(1, N):
        pv = sum(math.comb(j - 1, v) * math.comb(N - j, 2 - v) * volunteer_pay([v + 1, 2 - v])[0]
                 for v in range(3)) / total
        ps = sum(math.comb(j, v) * math.comb(N - 1 - j, 2 - v) * volunteer_pay([v, 3 - v])[1]
                 for v in range(3)) / total
        acc *= math.exp(-w * (pv - ps))
        prods.append(acc)
    return 1.0 / (1.0 + sum(prods))


def within(est, exact, runs):
    return abs(est["fixation"] - exact) < 4 * math.sqrt(exact * (1 - exact) / runs)


def test_one_polity_under_fermi_is_the_pairwise_comparison_process():
    # m = 1, no between-polity events: a focal member copies a uniformly chosen other with
    # probability 1 / (1 + exp(-beta (pi_model - pi_focal))), ep.pairwise_comparison's process,
    # whose fixation probability is the closed form of ep.fixation_probability(rule="fermi")
    exact = ep.fixation_probability(A, 8, "fermi", 1.0)
    assert exact == pytest.approx(0.0674, abs=1e-4)  # against neutral 0.125
    est = ep.multilevel_fixation(A, 8, 1, 1.0, 10_000, seed=3, update="fermi")
    assert within(est, exact, 10_000)
    assert est["unresolved"] == 0


@pytest.mark.parametrize("update", ["moran", "fermi"])
def test_one_polity_playing_a_group_game_is_the_well_mixed_group_process(update):
    # the payoffs are the hypergeometric expectations over the group's other members; the
    # closed form computed by hand above agrees with ep.fixation_probability for the group
    # game, and the simulation with both (the two rules share gamma_j, hence rho)
    exact = group_fixation_by_hand(6, 1.0)
    assert ep.fixation_probability(VOLUNTEERS, 6, update, 1.0) == pytest.approx(exact, rel=1e-12)
    assert exact == pytest.approx(0.0919, abs=1e-4)  # against neutral 1/6
    est = ep.multilevel_fixation(VOLUNTEERS, 6, 1, 1.0, 10_000, seed=4, update=update)
    assert within(est, exact, 10_000)


def test_fermi_polities_keep_their_sizes_and_only_copy_institutions():
    # under pairwise comparison nobody is born: each polity keeps its size, the only
    # between-polity events are institutional adoptions
    pd_game = np.array([[3.0, 0.0], [5.0, 1.0]])
    x0 = [[3, 2], [2, 2], [4, 2], [1, 5]]
    run = ep.polities(pd_game, [None, ep.Regime(name="fined", fine=3.0, detection=0.8)], n=6,
                      m=4, generations=3000, split=0.0, imitation=0.05, update="fermi",
                      cooperation=np.array([[1.0, 1.0], [0.0, 0.0]]), x0=x0, seed=5)
    f = run.frame()
    sizes = f.pivot(index="generation", columns="slot", values="size")
    assert (sizes.to_numpy() == np.array([5, 4, 6, 6])).all()
    assert set(run.events["event"]) == {"adoption"}
    assert run.params["update"] == "fermi"


def test_group_game_polities_follow_the_game_of_the_moment():
    # homogeneous polities stay homogeneous without mutation or migration (births copy the
    # parent, splits copy the polity), so every polity's mean payoff is known by hand: in
    # public goods of 3 with factor r, all cooperators earn r - 1, all defectors 0; under the
    # fined regime a defector pays the expected fine detection * fine = 2.4 (a cooperator
    # nothing); the world switches between r = 2 and r = 2.5 every 200 steps
    g2 = ep.public_goods(3, r=2.0, c=1.0)
    g25 = ep.public_goods(3, r=2.5, c=1.0)
    fined = ep.Regime(name="fined", fine=3.0, detection=0.8)
    x0 = np.array([[6, 0], [0, 6]] * 3)
    run = ep.polities(g2, [None, fined], n=6, m=6, generations=1100, split=0.1,
                      environment=ep.environments.Periodic(200, [g25]), x0=x0,
                      assignment=[0, 0, 1, 1, 0, 1], cooperation=[1.0, 0.0],
                      record_every=50, seed=6)
    f = run.frame()
    assert set(f["cooperator"]) <= {0.0, 1.0}
    r = np.where((f["generation"] // 200) % 2 == 0, 2.0, 2.5)
    expected = np.where(f["cooperator"] == 1.0, r - 1.0, 0.0)
    expected -= np.where((f["regime"] == "fined") & (f["cooperator"] == 0.0), 2.4, 0.0)
    np.testing.assert_allclose(f["mean_payoff"], expected, atol=1e-12)
    # a group game's cooperation is its contribution vector: the share of cooperators
    np.testing.assert_allclose(f["cooperation"], f["cooperator"], atol=1e-12)
    assert (run.events["event"] == "environment").sum() == 5
    assert (run.events["event"] == "split").sum() > 0


def test_refusals_of_the_update_rule_and_group_games_name_the_field():
    pd_game = np.array([[3.0, 0.0], [5.0, 1.0]])
    with pytest.raises(ValueError, match="update must be 'moran' or 'fermi'"):
        ep.polities(pd_game, [None], n=5, m=2, generations=10, update="bd")
    with pytest.raises(ValueError, match="split: under update='fermi'"):
        ep.polities(pd_game, [None], n=5, m=2, generations=10, update="fermi")
    with pytest.raises(ValueError, match="migration: under update='fermi'"):
        ep.polities(pd_game, [None], n=5, m=2, generations=10, split=0.0, migration=0.1,
                    update="fermi")
    with pytest.raises(ValueError, match="take m = 1"):
        ep.multilevel_fixation(pd_game, 5, 2, 0.1, 10, update="fermi")
    with pytest.raises(ValueError, match="groups of 3 need polities of at least 3"):
        ep.polities(VOLUNTEERS, [None], n=4, m=2, generations=10)  # a daughter holds 2
    with pytest.raises(ValueError, match="TemptationWalk"):
        ep.polities(VOLUNTEERS, [None], n=6, m=2, generations=10,
                    environment=ep.environments.TemptationWalk(0.1, 0.5, 0.0, 5.0))
    with pytest.raises(ValueError, match=r"environment.games\[0\] must be a group game"):
        ep.polities(VOLUNTEERS, [None], n=6, m=2, generations=10,
                    environment=ep.environments.Periodic(5, [pd_game]))
    with pytest.raises(ValueError, match="contribution of each strategy"):
        ep.polities(VOLUNTEERS, [ep.Regime()], n=6, m=2, generations=10)
