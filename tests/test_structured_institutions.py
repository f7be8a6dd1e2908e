"""Institutions and group games on graphs: payoffs worked by hand, the invariance contract, the
incremental updates against a recomputation, and spatial public goods against the literature.
"""

import numpy as np
import pytest

import evopolity as ep
from evopolity import graphs
from evopolity.kernels import codes
from evopolity.kernels import graph as gk
from evopolity.kernels.codes import MORAN_EXP

# the donation game b = 3, c = 1: strategy 0 cooperates, 1 defects
DONATION = np.array([[2.0, -1.0], [3.0, 0.0]])
ALWAYS = [[1.0, 1.0], [0.0, 0.0]]  # the cooperator always cooperates, the defector never
# a ring of 4 (0-1-2-3-0) with one defector at node 2
RING4 = graphs.ring(4, 2)
ONE_D = [0, 0, 1, 0]
# base payoffs (accumulated): node 0 meets two cooperators, 2 + 2 = 4; nodes 1 and 3 meet a
# cooperator and the defector, 2 - 1 = 1; the defector meets two cooperators, 3 + 3 = 6
BASE = [4.0, 1.0, 6.0, 1.0]


def test_base_payoffs_by_hand():
    np.testing.assert_allclose(ep.node_payoffs(DONATION, RING4, ONE_D), BASE)
    np.testing.assert_allclose(ep.node_payoffs(DONATION, RING4, ONE_D, payoff="averaged"),
                               np.array(BASE) / 2)  # fmt: skip


def test_regime_per_node_by_hand_global_and_local():
    # fine F = 4 and reward B = 2 detected with q = 0.5: cooperators (c_i = 1) get +1, the
    # defector (d_i = 1) pays 2; a cost of 0.5 per capita: v = [4.5, 1.5, 3.5, 1.5]
    r = ep.Regime(name="r", fine=4.0, reward=2.0, detection=0.5, cost=0.5)
    v = np.array([4.5, 1.5, 3.5, 1.5])
    np.testing.assert_allclose(ep.node_payoffs(DONATION, RING4, ONE_D, regime=r,
                                               cooperation=ALWAYS), v)  # fmt: skip
    # no term reads a mean: the scope does not matter
    np.testing.assert_allclose(ep.node_payoffs(DONATION, RING4, ONE_D, regime=r,
                                               cooperation=ALWAYS, institution_scope="local"),
                               v)  # fmt: skip
    # tax 0.5, global: (1 - tau) v_i + tau mean(v), mean(v) = 11 / 4
    taxed = r.replace(tax=0.5)
    np.testing.assert_allclose(
        ep.node_payoffs(DONATION, RING4, ONE_D, regime=taxed, cooperation=ALWAYS),
        0.5 * v + 0.5 * 11 / 4,
    )
    # tax local, with conformity 0.3 on the share of one's strategy in {i} + I(i):
    # node 0's group {3, 0, 1} means (1.5 + 4.5 + 1.5) / 3 = 2.5, all cooperate: +0.3;
    # node 1's {0, 1, 2}: 9.5 / 3, 2 of 3 cooperate: +0.2; node 2's {1, 2, 3}: 6.5 / 3, it is
    # the only defector: +0.1; node 3's {2, 3, 0}: 9.5 / 3, +0.2
    local = taxed.replace(conformity=0.3)
    expected = [0.5 * 4.5 + 0.5 * 2.5 + 0.3, 0.5 * 1.5 + 0.5 * 9.5 / 3 + 0.2,
                0.5 * 3.5 + 0.5 * 6.5 / 3 + 0.1, 0.5 * 1.5 + 0.5 * 9.5 / 3 + 0.2]  # fmt: skip
    np.testing.assert_allclose(
        ep.node_payoffs(DONATION, RING4, ONE_D, regime=local, cooperation=ALWAYS,
                        institution_scope="local"), expected)  # fmt: skip
    # global conformity: 3 of 4 cooperate, 1 of 4 defects
    np.testing.assert_allclose(
        ep.node_payoffs(DONATION, RING4, ONE_D, regime=r.replace(conformity=0.3),
                        cooperation=ALWAYS), v + 0.3 * np.array([0.75, 0.75, 0.25, 0.75]))
    # a cost shared by contributors, locally: kappa c_i / mean(c) over {i} + I(i); node 1's
    # group holds 2 cooperators of 3, so it pays 0.5 * 1 / (2 / 3) = 0.75; the defector
    # pays nothing
    shared = ep.Regime(name="s", cost=0.5, cost_by_contributors=True)
    np.testing.assert_allclose(
        ep.node_payoffs(DONATION, RING4, ONE_D, regime=shared, cooperation=ALWAYS,
                        institution_scope="local"), [4.0 - 0.5, 1.0 - 0.75, 6.0, 1.0 - 0.75])


# sanctions played inside matches, per turn at full strength, cooperator (0) and defector (1):
# the defector pays a fine of 1 per turn and its victim receives it (S_fine), a cooperator is
# rewarded 0.5 per turn (S_reward)
PLAYED = {"fine": np.array([[0.0, 1.0], [-1.0, 0.0]]), "reward": np.array([[0.5, 0.5], [0.0, 0.0]]),
          "to_institution": np.zeros((2, 2))}


def test_played_sanctions_with_a_switch_by_hand():
    # ONE_D on the ring of 4: node i receives S[s_i, s_j] from each neighbour, summed like its
    # payoff: S_fine sums [0, 1, -2, 1] (the defector's neighbours are its victims), S_reward
    # sums [1, 1, 0, 1]. Cooperation rates c = [1, 1, 0, 1]; a cost of 0.5 per node.
    r = ep.Regime(name="switch", fine=2.0, detection=0.5, reward=1.0, switch=0.7, cost=0.5)
    kw = {"regime": r, "cooperation": ALWAYS, "sanctions": PLAYED}
    # global: mean c = 0.75 >= 0.7, fines act, rewards not: BASE + S_fine - cost
    np.testing.assert_allclose(ep.node_payoffs(DONATION, RING4, ONE_D, **kw),
                               [3.5, 1.5, 3.5, 1.5])  # fmt: skip
    # local: node 0's neighbourhood {0, 1, 3} cooperates (mean c = 1: fines), those of nodes
    # 1, 2, 3 hold the defector (mean c = 2/3 < 0.7: rewards)
    np.testing.assert_allclose(
        ep.node_payoffs(DONATION, RING4, ONE_D, institution_scope="local", **kw),
        [4.0 + 0.0 - 0.5, 1.0 + 1.0 - 0.5, 6.0 + 0.0 - 0.5, 1.0 + 1.0 - 0.5])
    # at given strengths m_i every term scales: the fine or reward and the cost
    m = np.array([1.0, 0.5, 0.25, 0.0])
    np.testing.assert_allclose(
        ep.node_payoffs(DONATION, RING4, ONE_D, institution_scope="local", strengths=m, **kw),
        [4.0 - 0.5, 1.0 + 0.5 - 0.25, 6.0 - 0.125, 1.0])
    np.testing.assert_allclose(ep.node_payoffs(DONATION, RING4, ONE_D, strengths=0.5, **kw),
                               [3.75, 1.25, 4.75, 1.25])  # fmt: skip
    # averaged payoffs average the sanctions too
    np.testing.assert_allclose(
        ep.node_payoffs(DONATION, RING4, ONE_D, payoff="averaged", **kw), [1.5, 0.5, 1.5, 0.5])


def test_strengths_by_hand_and_their_errors():
    # the expected path at given strengths: fine F = 4, reward B = 2, q = 0.5, cost 0.5 scale
    # with m_i (test_regime_per_node_by_hand_global_and_local at m = 1)
    r = ep.Regime(name="r", fine=4.0, reward=2.0, detection=0.5, cost=0.5)
    m = np.array([0.0, 1.0, 0.5, 0.25])
    np.testing.assert_allclose(
        ep.node_payoffs(DONATION, RING4, ONE_D, regime=r, cooperation=ALWAYS,
                        institution_scope="local", strengths=m),
        [4.0, 1.5, 6.0 - 0.5 * 2.5, 1.0 + 0.25 * 0.5])  # fmt: skip
    with pytest.raises(ValueError, match="strengths must be one number in"):
        ep.node_payoffs(DONATION, RING4, ONE_D, regime=r, cooperation=ALWAYS, strengths=m)
    with pytest.raises(ValueError, match="strengths must be one number or 4"):
        ep.node_payoffs(DONATION, RING4, ONE_D, regime=r, cooperation=ALWAYS,
                        institution_scope="local", strengths=[0.5, 1.5, 0.0, 0.0])
    with pytest.raises(ValueError, match="strengths needs a regime"):
        ep.node_payoffs(DONATION, RING4, ONE_D, strengths=0.5)
    with pytest.raises(ValueError, match="sanctions needs a regime"):
        ep.node_payoffs(DONATION, RING4, ONE_D, sanctions=PLAYED)


def test_a_switch_that_never_rewards_runs_as_its_fines_folded_into_the_game():
    # with switch -> 0 the fines always act and the rewards never (unless nobody cooperates,
    # when no cooperator is left to reward): the same runs, draw for draw, as the regime
    # without a switch and only the fines, which folds them into the game (whole numbers:
    # both sums are exact; the Fermi rule reads payoffs, not a reference point)
    S = {**PLAYED, "fine": PLAYED["fine"] * 2}
    with_switch = ep.Regime(name="s", fine=2.0, detection=1.0, reward=1.0, switch=1e-9)
    folded = ep.Regime(name="f", fine=2.0, detection=1.0)
    G = graphs.lattice(4)
    for scope in ("global", "local"):
        runs = [ep.structured(DONATION, G, "fermi", 400, 0.5, x0=[8, 8], seed=3, regime=r,
                              cooperation=ALWAYS, institution_scope=scope,
                              sanctions=S if r is with_switch else {
                                  **S, "reward": np.zeros((2, 2))})
                for r in (with_switch, folded)]  # fmt: skip
        np.testing.assert_array_equal(runs[0].info["states"], runs[1].info["states"])
        np.testing.assert_array_equal(runs[0].wide().to_numpy(), runs[1].wide().to_numpy())


def test_peer_punishment_among_neighbours_by_hand():
    # cooperator, defector, punisher (who cooperates); the punisher pays 0.5 per defecting
    # neighbour and fines it 2
    A = np.array([[2.0, -1.0, 2.0], [3.0, 0.0, 3.0], [2.0, -1.0, 2.0]])
    C = [[1, 1, 1], [0, 0, 0], [1, 1, 1]]
    # ring of 4: P at 0, D at 1, C at 2, D at 3; node 0 meets D (1) and D (3)
    states = [2, 1, 0, 1]
    got = ep.node_payoffs(A, RING4, states, cooperation=C, peer_punishment=(2.0, 0.5),
                          punishers="2")  # fmt: skip
    # node 0 (P): -1 - 1 from the game, pays 0.5 twice: -3; node 1 (D) meets P and C:
    # 3 + 3 - 2 (fined by the punisher) = 4; node 2 (C) meets two defectors: -2; node 3 (D)
    # meets C and P: 3 + 3 - 2 = 4
    np.testing.assert_allclose(got, [-3.0, 4.0, -2.0, 4.0])


def test_group_game_on_overlapping_groups_by_hand():
    # a ring of 5, groups of 3 (each node and its two neighbours); public goods r = 2, c = 1,
    # shared by all: in a group with nc cooperators a defector gets 2 nc / 3, a cooperator
    # that minus 1. States C C D D D: group centred on 0 = {4, 0, 1} has 2 cooperators, on 1
    # = {0, 1, 2} 2, on 2 = {1, 2, 3} 1, on 3 none, on 4 = {3, 4, 0} 1.
    pg = ep.public_goods(3, 2.0, 1.0)
    got = ep.node_payoffs(pg, graphs.ring(5, 2), [0, 0, 1, 1, 1])
    # node 0 plays in groups 4, 0, 1: -1/3 + 1/3 + 1/3; node 1 in 0, 1, 2: 1/3 + 1/3 - 1/3;
    # node 2 in 1, 2, 3: 4/3 + 2/3 + 0; node 3 in 2, 3, 4: 2/3 + 0 + 2/3; node 4 in 3, 4, 0:
    # 0 + 2/3 + 4/3
    np.testing.assert_allclose(got, [1 / 3, 1 / 3, 2.0, 4 / 3, 2.0])
    avg = ep.node_payoffs(pg, graphs.ring(5, 2), [0, 0, 1, 1, 1], payoff="averaged")
    np.testing.assert_allclose(avg, np.array([1 / 3, 1 / 3, 2.0, 4 / 3, 2.0]) / 3)
    # a regime on the group game: contributions as a vector, a fine of 1 on defection
    fined = ep.node_payoffs(pg, graphs.ring(5, 2), [0, 0, 1, 1, 1],
                            regime=ep.Regime(name="f", fine=1.0, detection=1.0),
                            cooperation=[1.0, 0.0])
    np.testing.assert_allclose(fined, [1 / 3, 1 / 3, 1.0, 1 / 3, 1.0])


def test_group_size_must_fit_the_graph():
    with pytest.raises(ValueError, match="group_size"):
        ep.structured(ep.public_goods(4), graphs.ring(6, 2), "db", 10)
    with pytest.raises(ValueError, match="group_size"):
        ep.structured(ep.public_goods(3), graphs.star(5), "db", 10)


def test_errors_name_the_parameter():
    r = ep.Regime(name="r", fine=1.0, detection=1.0)
    with pytest.raises(ValueError, match="cooperation"):
        ep.structured(DONATION, RING4, "db", 10, regime=r)
    with pytest.raises(ValueError, match="institution_scope"):
        ep.structured(DONATION, RING4, "db", 10, regime=r, cooperation=ALWAYS,
                      institution_scope="national")  # fmt: skip
    with pytest.raises(ValueError, match="stop_on_fixation must be False"):
        ep.structured(DONATION, RING4, "db", 10, regime=r.replace(feedback=1.0),
                      cooperation=ALWAYS, stop_on_fixation=True)  # fmt: skip
    with pytest.raises(ValueError, match="punishers"):
        ep.structured(DONATION, RING4, "db", 10, peer_punishment=(1.0, 0.1),
                      cooperation=ALWAYS)  # fmt: skip
    with pytest.raises(TypeError, match="regime"):
        ep.structured(DONATION, RING4, "db", 10, regime="strict", cooperation=ALWAYS)
    with pytest.raises(ValueError, match="mutation"):
        ep.structured(DONATION, RING4, "db", 10, mutation=0.1, regime=r, cooperation=ALWAYS)


@pytest.mark.parametrize("update", ["bd", "db", "imitation", "fermi"])
def test_adding_a_constant_to_every_payoff_changes_nothing(update):
    # exponential fitness (and Fermi's differences) see payoffs only up to a common constant:
    # with averaged payoffs on an irregular graph and a regime whose tax and local means mix
    # payoffs, the same seed gives the same run
    g = graphs.erdos_renyi(30, 0.2, seed=4)
    r = ep.Regime(name="r", fine=1.0, reward=0.5, detection=0.8, tax=0.3, cost=0.2,
                  conformity=0.2)  # fmt: skip
    kw = dict(payoff="averaged", regime=r, cooperation=ALWAYS, institution_scope="local",
              x0=[15, 15], seed=9, record_every=50)  # fmt: skip
    one = ep.structured(DONATION, g, update, 1500, 0.7, **kw)
    two = ep.structured(DONATION + 3.25, g, update, 1500, 0.7, **kw)
    np.testing.assert_array_equal(one.frequencies, two.frequencies)
    np.testing.assert_array_equal(one.info["states"], two.info["states"])
    assert len(set(map(tuple, one.frequencies))) > 1  # the run went somewhere
    # accumulated payoffs on a regular graph: a constant per edge is a constant per node
    pg = ep.public_goods(5, 3.5, 1.0)
    shifted = ep.GroupGame(pg.strategies, 5, pg.table + 2.0)
    lat = graphs.lattice(6)
    a = ep.structured(pg, lat, update, 1500, 0.5, x0=[18, 18], seed=2, record_every=50)
    b = ep.structured(shifted, lat, update, 1500, 0.5, x0=[18, 18], seed=2, record_every=50)
    np.testing.assert_array_equal(a.frequencies, b.frequencies)


def test_incremental_updates_equal_a_recomputation_on_the_general_path():
    # after 3000 events with mutation, the payoffs kept up to date around each changed node
    # (two steps for a group game, one more for a regime's local means) equal those
    # recomputed from scratch
    G = graphs.lattice(5, "von_neumann")
    k = 3
    pg = ep.public_goods(5, 3.0, 1.0, sigma=0.5)  # cooperator, defector, loner
    r = ep.Regime(name="r", fine=1.0, detection=0.5, tax=0.4, conformity=0.2, cost=0.1,
                  cost_by_contributors=True)  # fmt: skip
    from evopolity.dynamics.structured import _prepare

    for scope in ("local", "global"):
        three = np.arange(9.0).reshape(3, 3) / 4
        played = {"fine": -three.T, "reward": three / 2, "to_institution": np.zeros((3, 3))}
        switch = r.replace(switch=0.6, feedback=1.0, tax=0.0)  # the switch reads its means
        for game, coop, rg, S in ((pg, [1.0, 0.0, 0.0], r, None),
                                  (three, np.eye(3) * 0.5 + 0.25, r, None),
                                  (three, np.eye(3) * 0.5 + 0.25, switch, played)):
            st, _ = _prepare(game, G, "db", "accumulated", "exponential", 0.3, False, rg, coop,
                             scope, None, None, 0.0, S)  # fmt: skip
            rng = np.random.default_rng(1)
            s = rng.integers(k, size=G.n).astype(np.int64)
            P, F = np.empty(G.n), np.empty(G.n)
            size = gk.tree_size(G.n)
            tree = np.zeros(2 * size)
            counts = np.zeros(k, np.int64)
            gx = gk.extension(*st.model, G.n, k)
            args = (codes.GRAPH_BD, MORAN_EXP, st.mode, st.A, G.indptr, G.indices)
            gk.init_state(*args, s, 0.3, st.ref, P, F, tree, size, counts, gx)
            counter = np.uint64(5)
            for _ in range(3000):
                counter = np.uint64(gk.event(*args, G.indptr, G.indices, s, 0.3, 0.05, st.ref,
                                             P, F, tree, size, counts, counter, gx))  # fmt: skip
            P2, F2, tree2 = np.empty(G.n), np.empty(G.n), tree.copy()
            gx2 = gk.extension(*st.model, G.n, k)
            gk.init_state(*args, s, 0.3, st.ref, P2, F2, tree2, size, counts.copy(), gx2)
            np.testing.assert_allclose(P, P2, atol=1e-9)
            np.testing.assert_allclose(tree, tree2, rtol=1e-9)
            assert len(set(s.tolist())) > 1


def test_a_fine_on_defection_lets_cooperators_fix_on_a_graph():
    # the donation game b = 3, c = 1 on a cycle of 20 under birth-death: without an
    # institution a cooperator fixes below 1/N (Ohtsuki et al. 2006: birth-death never
    # favours it); a detected fine of 2 (> c) on every defection leaves a defector 1 below a
    # cooperator with the same neighbours, and one cooperator fixes far above 1/N
    cycle = graphs.ring(20, 2)
    bare = ep.graph_fixation(DONATION, cycle, "bd", selection=0.5, runs=1500, seed=3,
                             payoff="averaged")  # fmt: skip
    fined = ep.graph_fixation(DONATION, cycle, "bd", selection=0.5, runs=1500, seed=3,
                              payoff="averaged",
                              regime=ep.Regime(name="f", fine=2.0, detection=1.0),
                              cooperation=ALWAYS)  # fmt: skip
    assert bare.interval(4)[1] < 1 / 20
    assert fined.interval(4)[0] > 2 / 20


def test_spatial_public_goods_cooperators_survive_on_the_lattice_only():
    # Szabó & Hauert 2002; Santos, Santos & Pacheco 2008; Szolnoki, Perc & Szabó 2009 (Phys.
    # Rev. E 80: 056109): on the von Neumann lattice (groups of 5) with the Fermi rule at
    # noise K = 0.5 (beta = 2), cooperators survive for r above about 3.74, below the group
    # size 5, and die out for r below it; well mixed, defection dominates for every r < 5
    lat = graphs.lattice(30)
    survive = ep.structured(ep.public_goods(5, 4.5, 1.0), lat, "fermi", 300_000, 2.0,
                            x0=[450, 450], seed=1, record_every=900)  # fmt: skip
    assert survive.frequencies[-50:, 0].min() > 0.2
    die = ep.structured(ep.public_goods(5, 3.0, 1.0), lat, "fermi", 300_000, 2.0,
                        x0=[450, 450], seed=1, record_every=900)  # fmt: skip
    assert die.final()["cooperator"] == 0.0
    mixed = ep.replicator(ep.public_goods(5, 4.5, 1.0), x0=[0.5, 0.5], t_max=200)
    assert mixed.final()["cooperator"] < 1e-6


# -- co-evolving institutions on graphs: m_i per node, dm/dt = lambda (support - m) - decay --


def _closed_form(t, m0, support, lam, decay):
    """m after t units of time of dm/dt = lam (support - m) - decay held in [0, 1], support
    constant: the linear ODE's solution, which moves monotonically, clipped."""
    if lam == 0.0:
        return np.clip(m0 - decay * t, 0.0, 1.0)
    target = support - decay / lam
    return np.clip(target + (m0 - target) * np.exp(-lam * t), 0.0, 1.0)


@pytest.mark.parametrize("scope", ["local", "global"])
def test_coevolving_strength_follows_its_law_on_a_frozen_complete_graph(scope):
    # all cooperators (support 1) or all defectors (support 0) on the complete graph of 6:
    # nothing changes but the institutions, whose strength every n = 6 events follows the
    # exact solution of the law; the cases cross 0 and reach a target inside [0, 1]
    g = graphs.complete(6)
    for state, lam, decay, m0 in ((0, 0.5, 0.1, 0.2), (1, 0.5, 0.1, 0.9), (0, 0.0, 0.15, 0.9)):
        r = ep.Regime(name="r", fine=1.0, detection=1.0, feedback=lam, decay=decay,
                      initial_strength=m0)  # fmt: skip
        tr = ep.structured(DONATION, g, "db", 60, 0.5, states=[state] * 6, seed=1, regime=r,
                           cooperation=ALWAYS, institution_scope=scope,
                           record_every=3)  # fmt: skip
        units = np.floor(tr.times / 6)  # steps taken at every multiple of n events
        expected = _closed_form(units, m0, 1.0 - state, lam, decay)
        np.testing.assert_allclose(tr.macro["institution_strength"], expected, atol=1e-12)
        np.testing.assert_allclose(tr.info["strengths"], expected[-1], atol=1e-12)
        assert not tr.info["fixated"] or tr.info["generations"] == 60


def test_local_strengths_read_their_neighbourhoods_support():
    # the ring of 4 with the defector at node 2: cooperation rates c = [1, 1, 0, 1]; node i's
    # support is the mean over {i} + I(i): node 0 {3, 0, 1}: 1; nodes 1, 2, 3: 2/3; with
    # lambda = 1, decay = 0.1 one unit moves m from 0.5 to target + (0.5 - target) / e,
    # target = support - 0.1; globally one m follows the mean 3/4
    from evopolity.dynamics.structured import _prepare

    r = ep.Regime(name="r", fine=1.0, detection=1.0, feedback=1.0, decay=0.1,
                  initial_strength=0.5)  # fmt: skip
    s = np.array(ONE_D, np.int64)
    for scope, support in (("local", np.array([1.0, 2 / 3, 2 / 3, 2 / 3])),
                           ("global", np.full(4, 0.75))):
        st, _ = _prepare(DONATION, RING4, "fermi", "accumulated", "exponential", 1.0, False, r,
                         ALWAYS, scope, None, None, 0.0)  # fmt: skip
        gx = gk.extension(*st.model, 4, 2)
        P, F = np.empty(4), np.empty(4)
        gk.init_state(codes.GRAPH_FERMI, MORAN_EXP, st.mode, st.A, RING4.indptr, RING4.indices,
                      s, 1.0, st.ref, P, F, np.zeros(0), 1, np.zeros(2, np.int64), gx)
        np.testing.assert_allclose(gx[11], 0.5)
        gk.institution_step(RING4.indptr, RING4.indices, gx)
        np.testing.assert_allclose(gx[11], _closed_form(1.0, 0.5, support, 1.0, 0.1),
                                   atol=1e-15)  # fmt: skip


def test_payoffs_under_local_strength_after_one_node_changes():
    # strengths m = [0.2, 0.4, 0.6, 0.8] on the ring of 4; node 0 turns defector, so the
    # states are D C D C: base payoffs 3 + 3 = 6 for the defectors, -1 - 1 = -2 for the
    # cooperators; with q = 0.5, F = 4, B = 2, cost 0.5 at strength m_i: a defector pays
    # m_i q F = 2 m_i, a cooperator gets m_i q B = m_i, everyone pays 0.5 m_i
    from evopolity.dynamics.structured import _prepare

    r = ep.Regime(name="r", fine=4.0, reward=2.0, detection=0.5, cost=0.5, feedback=1.0)
    st, _ = _prepare(DONATION, RING4, "fermi", "accumulated", "exponential", 1.0, False, r,
                     ALWAYS, "local", None, None, 0.0)  # fmt: skip
    gx = gk.extension(*st.model, 4, 2)
    gx[11][:] = [0.2, 0.4, 0.6, 0.8]
    s = np.array(ONE_D, np.int64)
    P, F = np.empty(4), np.empty(4)
    counts = np.zeros(2, np.int64)
    args = (codes.GRAPH_FERMI, MORAN_EXP, st.mode, st.A, RING4.indptr, RING4.indices)
    gk.init_state(*args, s, 1.0, st.ref, P, F, np.zeros(0), 1, counts, gx)
    gk.change_general(0, 1, *args, s, 1.0, st.ref, P, F, np.zeros(0), 1, counts, gx)
    m = np.array([0.2, 0.4, 0.6, 0.8])
    expected = np.array([6.0 - 2 * m[0], -2.0 + m[1], 6.0 - 2 * m[2], -2.0 + m[3]]) - 0.5 * m
    np.testing.assert_allclose(P, expected, atol=1e-12)
    assert counts.tolist() == [2, 2]


def test_coevolving_regime_runs_every_update_and_fixation():
    # the refusal is gone: every update rule runs a co-evolving regime (its mean strength a
    # macro column in [0, 1]), and graph_fixation estimates with one
    r = ep.Regime(name="r", fine=2.0, detection=0.8, feedback=0.5, decay=0.05, tax=0.2,
                  initial_strength=0.5)  # fmt: skip
    g = graphs.ring(10, 2)
    for update in ("bd", "db", "imitation", "fermi", "best"):
        tr = ep.structured(DONATION, g, update, 40 if update != "best" else 5, 0.5, seed=3,
                           regime=r, cooperation=ALWAYS, institution_scope="local")
        m = tr.macro["institution_strength"].to_numpy()
        assert m.shape == (tr.times.size,) and ((m >= 0) & (m <= 1)).all()
        assert m[0] == 0.5
    est = ep.graph_fixation(DONATION, g, "db", 0.5, runs=64, seed=1, regime=r,
                            cooperation=ALWAYS)  # fmt: skip
    assert 0.0 <= est.probability <= 1.0 and est.unabsorbed == 0


def test_a_structure_spec_takes_a_coevolving_regime_and_still_refuses_a_funded_one():
    from evopolity.experiments.spec import SpecError, parse_spec

    raw = {"experiment": {"seeds": [3]}, "strategies": {"names": ["Tit For Tat", "Defector"]},
           "structure": {"graph": "ring", "n": 10, "update": "db", "generations": 50},
           "regimes": [{"preset": "none", "name": "coev", "fine": 1.0, "detection": 0.5,
                        "feedback": 1.0, "decay": 0.01}]}  # fmt: skip
    assert parse_spec(raw).regimes[0].coevolves
    with pytest.raises(SpecError, match="funded by its members"):
        parse_spec({**raw, "regimes": [{"preset": "balanced"}]})
