"""Games on graphs (ep.structured, ep.graph_fixation) against hand-worked cases and theory.

Sources of the expected values are named in each test: the Moran fixation probability
(Nowak et al. 2004, Traulsen et al. 2006; ``ep.fixation_probability``), the isothermal
theorem and the star's amplification (Lieberman, Hauert & Nowak 2005), the b/c > k rule
(Ohtsuki, Hauert, Lieberman & Nowak 2006), and Nowak & May (1992) for the synchronous rule.
"""

import math

import numpy as np
import pytest

import evopolity as ep
from evopolity.kernels import codes
from evopolity.kernels import graph as gk
from evopolity.kernels.codes import MORAN_EXP

graphs = ep.graphs


def constant_fitness(r: float) -> np.ndarray:
    """Averaged payoffs ``ln r`` for the mutant (0), 0 for the resident (1), whoever the
    neighbours: fitness ``exp(1 * payoff)`` is ``r`` against 1 (selection = 1)."""
    a = math.log(r)
    return np.array([[a, a], [0.0, 0.0]])


def moran(r: float, N: int) -> float:
    """The fixation probability of one mutant of constant fitness ``r`` (Moran 1958)."""
    return (1 - 1 / r) / (1 - r ** (-N))


def donation(b: float, c: float = 1.0) -> np.ndarray:
    return np.array([[b - c, -c], [b, 0.0]])


def within(est, value: float, z: float = 4.0) -> bool:
    return abs(est.probability - value) <= z * est.stderr


# --- hand-worked ---------------------------------------------------------------------------


def test_best_neighbour_on_a_cycle_by_hand():
    # Nowak & May (1992) game R = 1, T = b, S = P = 0, one defector (0) at node 3 of a cycle
    # of 7, accumulated payoffs. Defector: 2b; its neighbours (C): 1; the other C: 2.
    # b = 1.5: nodes 2 and 4 see 2b = 3 > 2 and defect; next round the new defectors earn
    # b = 1.5 < 2 of the cooperators 1 and 5 next to them, and nothing changes again.
    game = lambda b: np.array([[0.0, b], [0.0, 1.0]])  # noqa: E731 - strategy 0 defects
    start = [1, 1, 1, 0, 1, 1, 1]
    tr = ep.structured(game(1.5), graphs.ring(7), "best", 10, states=start)
    assert tr.info["states"].tolist() == [1, 1, 0, 0, 0, 1, 1]
    assert tr.info["generations"] == 2 and not tr.info["fixated"]
    np.testing.assert_allclose(tr.frequencies[-1], [3 / 7, 4 / 7])
    # b = 0.8: 2b = 1.6 < 2 and the lone defector keeps 1.6 > 1: a still state at once
    tr = ep.structured(game(0.8), graphs.ring(7), "best", 10, states=start)
    assert tr.info["states"].tolist() == start and tr.info["generations"] == 1


def test_incremental_payoffs_equal_payoffs_from_scratch():
    # after 5000 events with mutation on a Moore lattice, the payoff sums kept up to date
    # around each changed node equal those recomputed from the final states
    G = graphs.lattice(6, "moore")
    A = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0], [0.0, 2.0, 1.5]])
    rng = np.random.default_rng(0)
    cases = ((codes.GRAPH_BD, 0), (codes.GRAPH_DB, codes.GRAPH_SELF),
             (codes.GRAPH_IMITATION, codes.GRAPH_AVERAGED | codes.GRAPH_SELF),
             (codes.GRAPH_FERMI, codes.GRAPH_AVERAGED))
    for rule, mode in cases:
        s = rng.integers(3, size=G.n).astype(np.int64)
        P, F = np.empty(G.n), np.empty(G.n)
        size = gk.tree_size(G.n)
        tree = np.zeros(2 * size) if rule == codes.GRAPH_BD else np.zeros(0)
        counts = np.zeros(3, np.int64)
        args = (rule, MORAN_EXP, mode, A, G.indptr, G.indices)
        gx = gk.extension(*gk.plain_model(), G.n, 3)
        gk.init_state(*args, s, 0.3, 20.0, P, F, tree, size, counts, gx)
        counter = np.uint64(7)
        for _ in range(5000):
            counter = np.uint64(gk.event(*args, G.indptr, G.indices, s, 0.3, 0.1, 20.0, P, F,
                                         tree, size, counts, counter, gx))  # fmt: skip
        P2, F2, tree2, counts2 = np.empty(G.n), np.empty(G.n), tree.copy(), counts.copy()
        gk.init_state(*args, s, 0.3, 20.0, P2, F2, tree2, size, counts2, gx)
        np.testing.assert_allclose(P, P2, atol=1e-9)
        np.testing.assert_allclose(F, F2, rtol=1e-9)
        np.testing.assert_allclose(tree, tree2, rtol=1e-9)
        np.testing.assert_array_equal(counts, counts2)
        assert counts.sum() == G.n and np.array_equal(counts, np.bincount(s, minlength=3))


def _fast_and_slow(rule, mode, A, G, s0, w, mu, events, ref=20.0):
    """The state after ``events`` events run by the fast loop (``gk.advance``) and one at a
    time by ``gk.event``, from the same start and counter."""
    k = A.shape[0]
    out = []
    for fast in (True, False):
        s = s0.copy()
        P, F = np.empty(G.n), np.empty(G.n)
        size = gk.tree_size(G.n)
        tree = np.zeros(2 * size) if rule == codes.GRAPH_BD else np.zeros(0)
        counts = np.zeros(k, np.int64)
        gx = gk.extension(*gk.plain_model(), G.n, k)
        gk.init_state(rule, MORAN_EXP, mode, A, G.indptr, G.indices, s, w, ref, P, F, tree,
                      size, counts, gx)  # fmt: skip
        counter = np.uint64(11)
        px = gk.plain_scratch(rule, G.n, gk.reverse_edges(G.indptr, G.indices))
        if fast:
            gk.fill_scratch(rule, s, F, G.indices, px)
            t, counter = gk.advance(rule, MORAN_EXP, mode, A, G.indptr, G.indices, G.indptr,
                                    G.indices, s, w, mu, ref, P, F, tree, size, counts, px,
                                    counter, 0, events, False)  # fmt: skip
            assert t == events
        else:
            for _ in range(events):
                counter = np.uint64(gk.event(rule, MORAN_EXP, mode, A, G.indptr, G.indices,
                                             G.indptr, G.indices, s, w, mu, ref, P, F, tree,
                                             size, counts, counter, gx))  # fmt: skip
        out.append((s, P, F, tree, counts, np.uint64(counter), px))
    return out


def test_the_fast_loop_makes_the_same_events_as_one_event_at_a_time():
    # the fused loop of the plain path (no regime, a matrix game) must draw, choose and change
    # exactly as the general event function, bit for bit: death-birth, imitation and Fermi
    # always; birth-death while it draws from the sum tree (fitnesses too uneven for
    # rejection: one strategy-0 node earning 5 from each of its 8 neighbours, w = 0.5)
    G = graphs.lattice(10, "moore")
    A = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0], [0.0, 2.0, 1.5]])
    rng = np.random.default_rng(1)
    s0 = rng.integers(3, size=G.n).astype(np.int64)
    for rule, mode in ((codes.GRAPH_DB, 0), (codes.GRAPH_DB, codes.GRAPH_AVERAGED),
                       (codes.GRAPH_IMITATION, codes.GRAPH_SELF),
                       (codes.GRAPH_FERMI, codes.GRAPH_AVERAGED | codes.GRAPH_SELF)):
        fast, slow = _fast_and_slow(rule, mode, A, G, s0, 0.4, 0.05, 4000)
        for q, (a, b) in enumerate(zip(fast[:6], slow[:6], strict=True)):
            if q != 2 or rule != codes.GRAPH_FERMI:  # the Fermi loop reads payoffs, not F
                np.testing.assert_array_equal(a, b)
        # and the contiguous copies of the neighbours' strategies and fitnesses are current
        FE, SE = fast[6][0], fast[6][1]
        np.testing.assert_array_equal(SE, fast[0][G.indices])
        if rule != codes.GRAPH_FERMI:
            np.testing.assert_array_equal(FE, fast[2][G.indices])
    lone = np.ones(G.n, np.int64)
    lone[0] = 0
    A2 = np.array([[0.0, 5.0], [0.0, 0.0]])
    fast, slow = _fast_and_slow(codes.GRAPH_BD, 0, A2, G, lone, 0.5, 0.0, G.n, ref=40.0)
    assert fast[6][5][1] == 1.0  # the tree was in use
    for a, b in zip(fast[:6], slow[:6], strict=True):
        np.testing.assert_array_equal(a, b)
    # the tree updated over the changed leaves equals one built from scratch
    tree2 = np.zeros_like(fast[3])
    size = gk.tree_size(G.n)
    tree2[size:size + G.n] = fast[2]
    for p in range(size - 1, 0, -1):
        tree2[p] = tree2[2 * p] + tree2[2 * p + 1]
    np.testing.assert_array_equal(fast[3], tree2)


def test_a_run_does_not_depend_on_where_it_is_recorded():
    # birth-death keeps its sampler's state between the stretches of events that recording
    # cuts a run into: any record_every gives the same run
    A = np.array([[3.0, 0.5], [5.0, 1.0]])
    runs = [ep.structured(A, graphs.lattice(8), update, 3000, 0.3, 0.01, seed=2,
                          record_every=every)
            for update in ("bd", "db") for every in (3000, 7)]  # fmt: skip
    for one, other in ((runs[0], runs[1]), (runs[2], runs[3])):
        np.testing.assert_array_equal(one.info["states"], other.info["states"])
        np.testing.assert_array_equal(one.frequencies[-1], other.frequencies[-1])


def test_trajectory_rows_and_seed():
    A = [[3.0, 0.0], [5.0, 1.0]]
    tr = ep.structured(A, graphs.lattice(10), "db", 5000, 0.1, 0.01, x0=[50, 50], seed=3,
                       record_every=100)  # fmt: skip
    assert len(tr) == 51 and tr.times[-1] == 5000
    np.testing.assert_allclose(tr.frequencies[0], [0.5, 0.5])
    np.testing.assert_allclose(tr.frequencies.sum(axis=1), 1.0)
    counts = tr.frequencies * 100
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-9)
    assert np.array_equal(np.bincount(tr.info["states"], minlength=2) / 100, tr.frequencies[-1])
    again = ep.structured(A, graphs.lattice(10), "db", 5000, 0.1, 0.01, x0=[50, 50], seed=3,
                          record_every=100)  # fmt: skip
    assert np.array_equal(again.frequencies, tr.frequencies)
    other = ep.structured(A, graphs.lattice(10), "db", 5000, 0.1, 0.01, x0=[50, 50], seed=4,
                          record_every=100)  # fmt: skip
    assert not np.array_equal(other.frequencies, tr.frequencies)


def test_without_mutation_a_fixed_population_stops():
    tr = ep.structured(constant_fitness(3.0), graphs.complete(8), "bd", 10**6, 1.0,
                       x0=[4, 4], seed=1, payoff="averaged")  # fmt: skip
    assert tr.info["fixated"] and tr.info["generations"] < 10**6
    assert tr.frequencies[-1].max() == 1.0


# --- theory ---------------------------------------------------------------------------------


def test_complete_graph_is_the_well_mixed_moran_and_fermi_process():
    # On the complete graph, averaged payoffs are the mean payoffs against the N - 1 others:
    # birth-death has the Moran process's ratio T-/T+ (the offspring replaces a neighbour
    # rather than anyone, which changes times, not fixation), and the Fermi update is the
    # pairwise comparison process. Source: ep.fixation_probability (Nowak et al. 2004,
    # Traulsen, Shoresh & Nowak 2008, Traulsen et al. 2006).
    A = np.array([[1.0, 4.0], [2.0, 3.0]])  # coexistence game: the mutant is favoured rare
    N = 12
    for update, rule in (("bd", "moran"), ("fermi", "fermi")):
        est = ep.graph_fixation(A, graphs.complete(N), update, 0.5, 20_000, seed=1,
                                payoff="averaged")  # fmt: skip
        exact = ep.fixation_probability(A, N, rule, 0.5)
        assert within(est, exact), (update, est.probability, est.stderr, exact)
        assert est.probability > 1 / N + 4 * est.stderr
    # the linear fitness map too (Nowak et al. 2004)
    est = ep.graph_fixation(A, graphs.complete(N), "bd", 0.3, 20_000, seed=2, payoff="averaged",
                            fitness_map="linear")  # fmt: skip
    assert within(est, ep.fixation_probability(A, N, "moran", 0.3, fitness_map="linear"))


def test_isothermal_theorem():
    # Lieberman, Hauert & Nowak (2005), Nature 433: under birth-death with constant fitness r
    # every regular graph (every isothermal one) fixes one mutant with the Moran probability
    # (1 - 1/r) / (1 - 1/r^N), whatever the structure.
    r = 1.5
    for G in (graphs.ring(16), graphs.lattice(4), graphs.random_regular(16, 3, seed=5)):
        est = ep.graph_fixation(constant_fitness(r), G, "bd", 1.0, 20_000, seed=2,
                                payoff="averaged")  # fmt: skip
        assert within(est, moran(r, G.n)), (G, est.probability, moran(r, G.n))


def star_fixation(r: float, N: int) -> float:
    """The exact birth-death fixation probability of one mutant of fitness ``r`` placed
    uniformly on a star of ``N`` nodes: the Markov chain on (hub mutant or not, mutant
    leaves) solved directly (as in Broom & Rychtar 2008)."""
    L = N - 1
    index = {(h, j): 2 * j + h for j in range(L + 1) for h in (0, 1)}
    M = np.zeros((2 * (L + 1), 2 * (L + 1)))
    rhs = np.zeros(2 * (L + 1))
    for (h, j), q in index.items():
        M[q, q] = 1.0
        if (h, j) in ((0, 0), (1, L)):
            rhs[q] = float(h == 1)
            continue
        W = r * (h + j) + (N - h - j)
        moves = {
            (h, j + 1): h * r / W * (L - j) / L,  # the mutant hub's offspring on a resident leaf
            (h, j - 1): (1 - h) / W * j / L,  # the resident hub's on a mutant leaf
            (1, j): (1 - h) * r * j / W,  # a mutant leaf's offspring takes the hub
            (0, j): h * (L - j) / W,  # a resident leaf's takes it
        }
        for state, p in moves.items():
            if p > 0:
                M[q, index[state]] -= p
        M[q, q] = sum(p for p in moves.values() if p > 0)
    x = np.linalg.solve(M, rhs)
    return (x[index[(1, 0)]] + L * x[index[(0, 1)]]) / N


def test_the_star_amplifies_selection():
    # Lieberman, Hauert & Nowak (2005): on the star a mutant of fitness r fixes with about
    # (1 - 1/r^2) / (1 - 1/r^(2N)) for large N, above the Moran value; the replacement graph
    # decides it, not the interaction graph, when fitness is constant.
    r, N = 1.5, 20
    exact = star_fixation(r, N)
    assert exact > moran(r, N) + 0.1
    # the exact chain approaches the large-N approximation
    assert abs(star_fixation(r, 400) - (1 - r**-2)) < 0.01
    est = ep.graph_fixation(constant_fitness(r), graphs.star(N), "bd", 1.0, 4_000, seed=3,
                            payoff="averaged")  # fmt: skip
    assert within(est, exact), (est.probability, est.stderr, exact)
    assert est.probability > moran(r, N) + 6 * est.stderr
    # play on the star but replace on the complete graph: the Moran value again
    mixed = ep.graph_fixation(constant_fitness(r), graphs.star(N), "bd", 1.0, 8_000, seed=4,
                              payoff="averaged", replacement_graph=graphs.complete(N))  # fmt: skip
    assert within(mixed, moran(r, N))


@pytest.mark.parametrize("G, k, above, below", [
    (graphs.ring(20), 2, 10.0, 1.2),
    (graphs.lattice(5), 4, 20.0, 2.0),
])  # fmt: skip
def test_death_birth_favours_cooperation_when_b_over_c_exceeds_k(G, k, above, below):
    # Ohtsuki, Hauert, Lieberman & Nowak (2006), Nature 441: under death-birth with weak
    # selection on a graph of degree k, cooperators (donation game) fix with probability above
    # 1/N when b/c > k (for a finite graph the threshold is (N - 2)/(N/k - 2): 2.25 for the
    # cycle of 20, 5.4 for the 5 x 5 torus; Chen 2013), and birth-death never favours them.
    assert below <= k < (G.n - 2) / (G.n / k - 2) < above
    w, runs = 0.02, 15_000
    neutral = 1 / G.n
    db_high = ep.graph_fixation(donation(above), G, "db", w, runs, seed=11)
    db_low = ep.graph_fixation(donation(below), G, "db", w, runs, seed=12)
    bd_high = ep.graph_fixation(donation(above), G, "bd", w, runs, seed=13)
    assert db_high.interval(4.0)[0] > neutral, db_high
    assert db_low.interval(4.0)[1] < neutral, db_low
    assert bd_high.interval(4.0)[1] < neutral, bd_high
    assert db_high.neutral == neutral


def test_neutral_fixation_is_one_over_n_with_times():
    # neutral drift (selection 0): every node's lineage is equally likely to take over, 1/N,
    # for any update and any connected graph (here the irregular star and BA graph)
    for G, update in ((graphs.star(10), "db"), (graphs.barabasi_albert(15, 2, seed=1), "fermi"),
                      (graphs.star(10), "imitation")):  # fmt: skip
        est = ep.graph_fixation([[1.0, 0.0], [2.0, 1.0]], G, update, 0.0, 10_000, seed=6)
        assert within(est, 1 / G.n), (G, update, est)
        assert est.fixation_time > est.absorption_time > 0
        assert est.runs == 10_000 and est.fixations == round(est.probability * 10_000)


def test_start_node_matters_on_the_star():
    # a mutant of fitness r on the hub of a star under birth-death is almost always replaced
    # by a leaf's offspring at once: fixation far below the uniform start (Lieberman et al.
    # 2005; the hub is replaced with probability ~1 each event a leaf reproduces)
    r, N = 2.0, 20
    hub = ep.graph_fixation(constant_fitness(r), graphs.star(N), "bd", 1.0, 4_000, seed=7,
                            start_node=0, payoff="averaged")  # fmt: skip
    anywhere = ep.graph_fixation(constant_fitness(r), graphs.star(N), "bd", 1.0, 4_000, seed=7,
                                 payoff="averaged")  # fmt: skip
    assert hub.probability + 6 * hub.stderr < anywhere.probability


# --- reproducibility and errors -------------------------------------------------------------


def test_same_seed_same_result_whatever_the_thread_count(two_thread_pool):
    runs = two_thread_pool("""
        G = ep.graphs.lattice(6)
        A = np.array([[2.0, -1.0], [3.0, 0.0]])
        for threads, seed in ((1, 5), (2, 5), (2, 6)):
            numba.set_num_threads(threads)
            est = ep.graph_fixation(A, G, "db", 0.1, 3000, seed=seed)
            results[f"threads_{threads}_seed_{seed}"] = np.array(
                [est.probability, est.absorption_time])
            tr = ep.structured(A, G, "bd", 3000, 0.1, 0.01, seed=seed)
            results[f"tr_{threads}_seed_{seed}"] = tr.frequencies
    """)
    np.testing.assert_array_equal(runs["threads_1_seed_5"], runs["threads_2_seed_5"])
    np.testing.assert_array_equal(runs["tr_1_seed_5"], runs["tr_2_seed_5"])
    assert not np.array_equal(runs["threads_2_seed_6"], runs["threads_2_seed_5"])


def test_graphs_that_cannot_host_the_process_are_refused():
    A = [[1.0, 0.0], [2.0, 1.0]]
    lonely = graphs.from_edges([(0, 1), (1, 2)], n=4)
    with pytest.raises(ValueError, match="isolated nodes.*node 3"):
        ep.structured(A, lonely, "db", 10)
    two = graphs.from_edges([(0, 1), (2, 3)])
    with pytest.raises(ValueError, match="connected.*fixation is impossible"):
        ep.graph_fixation(A, two, "bd", 1.0, 10)
    with pytest.raises(ValueError, match="replacement_graph must be connected"):
        ep.graph_fixation(A, graphs.complete(4), "bd", 1.0, 10, replacement_graph=two)
    with pytest.raises(ValueError, match="replacement_graph must have the 4 nodes"):
        ep.structured(A, graphs.complete(4), "db", 10, replacement_graph=graphs.complete(5))
    with pytest.raises(ValueError, match="'best' is deterministic"):
        ep.graph_fixation(A, graphs.ring(6), "best", 1.0, 10)
    with pytest.raises(ValueError, match="update must be one of"):
        ep.structured(A, graphs.ring(6), "moran", 10)
    with pytest.raises(ValueError, match="payoff must be"):
        ep.structured(A, graphs.ring(6), "db", 10, payoff="total")
    with pytest.raises(ValueError, match="selection = 500"):
        ep.structured(A, graphs.ring(6), "bd", 10, selection=500)
    with pytest.raises(ValueError, match="mutant and resident must differ"):
        ep.graph_fixation(A, graphs.ring(6), "bd", 1.0, 10, mutant=1, resident=1)
    with pytest.raises(ValueError, match="x0"):
        ep.structured(A, graphs.ring(6), "bd", 10, x0=[0.5, 0.4])
    with pytest.raises(ValueError, match="states"):
        ep.structured(A, graphs.ring(6), "bd", 10, states=[0, 1, 2, 0, 1, 0])
    with pytest.raises(TypeError, match="graph must be a Graph"):
        ep.structured(A, [[0, 1]], "bd", 10)


def test_networkx_graphs_and_tournaments_play_directly():
    nx = pytest.importorskip("networkx")
    import pandas as pd

    class Played:  # what a Tournament offers the dynamics: labelled .payoffs
        names = ["Tit For Tat", "Defector", "Cooperator"]
        payoffs = pd.DataFrame([[3.0, 0.9, 3.0], [1.4, 1.0, 5.0], [3.0, 0.0, 3.0]],
                               index=names, columns=names)

    tr = ep.structured(Played(), nx.cycle_graph(12), "db", 300, 0.1, x0=[4, 4, 4], seed=1)
    assert tr.strategies == tuple(Played.names) and tr.params["graph"] == "from_networkx(12)"


def test_snapshots_hold_the_recorded_node_states():
    A = [[3.0, 0.0], [5.0, 1.0]]
    G = graphs.lattice(8)
    tr = ep.structured(A, G, "fermi", 2000, 1.0, 0.01, seed=2, record_every=500,
                       snapshots=True)  # fmt: skip
    snaps = tr.info["snapshots"]
    assert snaps.shape == (5, 64)
    np.testing.assert_allclose(np.stack([np.bincount(r, minlength=2) for r in snaps]) / 64,
                               tr.frequencies)  # fmt: skip
    assert np.array_equal(snaps[0], tr.params["states"]) and np.array_equal(snaps[-1],
                                                                            tr.info["states"])
    plain = ep.structured(A, G, "fermi", 2000, 1.0, 0.01, seed=2, record_every=500)
    assert "snapshots" not in plain.info and np.array_equal(plain.frequencies, tr.frequencies)


def test_local_replacement_builds_clusters():
    # a random placement at frequencies x puts like next to like on a share sum(x_i^2) of the
    # edges; death-birth replaces a node by a neighbour's offspring, so within a few sweeps
    # like neighbours like far more often (the assortment behind Ohtsuki et al. 2006's pair
    # approximation)
    G = graphs.lattice(20)
    tr = ep.structured(donation(6.0), G, "db", 2400, 0.5, x0=[0.5, 0.5], seed=3,
                       record_every=800, snapshots=True)  # fmt: skip
    like = [graphs.assortment(G, s) for s in tr.info["snapshots"]]
    random = (tr.frequencies**2).sum(axis=1)
    assert abs(like[0] - random[0]) < 0.1
    assert all(like[r] > random[r] + 0.05 for r in (1, 2, 3)), (like, random)


def test_nowak_may_regimes_in_b():
    # Nowak & May (1992), Nature 359: 826. Cooperators (0) and defectors (1) on a torus with
    # the Moore neighbourhood, each playing its 8 neighbours and itself (R = 1, T = b,
    # S = P = 0), every node copying the best of itself and its neighbours each round, from
    # 10% defectors. Payoffs are whole multiples of 1 and of b, so only ratios c1/c2 of
    # counts (c1 <= 9, c2 <= 8) can be boundaries: b = 1.8 and b = 2 are, nothing between.
    # b < 1.8: cooperators hold most of the lattice in still or blinking clusters;
    # 1.8 < b < 2: spatial chaos, cooperators fluctuating around 12 ln 2 - 8 = 0.318;
    # b > 2: defectors take almost everything and the pattern freezes.
    G = graphs.lattice(50, "moore")

    def run(b):
        return ep.structured([[1.0, 0.0], [b, 0.0]], G, "best", 250, x0=[0.9, 0.1], seed=1,
                             self_interaction=True)  # fmt: skip

    low, chaos, chaos2, high = run(1.7), run(1.85), run(1.95), run(2.05)
    tail = slice(-100, None)
    assert low.frequencies[tail, 0].mean() > 0.6 and low.frequencies[tail, 0].std() < 0.02
    np.testing.assert_array_equal(chaos.frequencies, chaos2.frequencies)  # no boundary between
    mean, sd = chaos.frequencies[tail, 0].mean(), chaos.frequencies[tail, 0].std()
    assert abs(mean - (12 * math.log(2) - 8)) < 0.04 and sd > 0.01, (mean, sd)
    assert chaos.info["generations"] == 250  # never still
    assert high.frequencies[-1, 0] < 0.1 and high.info["generations"] < 50  # frozen early


def test_lattice_snapshots_figure_writes_a_png(tmp_path):
    from evopolity.experiments.figures_graphs import lattice_snapshots

    game = [[1.0, 0.0], [1.9, 0.0]]
    run = ep.structured(game, graphs.lattice(20, "moore"), "best", 20, snapshots=True,
                        self_interaction=True, states=np.r_[np.zeros(399, int), 1],
                        stop_on_fixation=False)  # fmt: skip
    path = tmp_path / "lattice.png"
    fig = lattice_snapshots(run, 3, path=path, title="b = 1.9")
    assert len(fig.axes) == 3
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="snapshots"):
        lattice_snapshots(ep.structured(game, graphs.lattice(4), "db", 10, seed=1))
