"""Group games: tables, multinomial / hypergeometric payoffs, replicator and finite populations.

Every expected number comes from a closed form written out here (its source named), from the
matrix-game code for n = 2 (validated elsewhere against Nowak et al. 2004), or from the
qualitative results the papers report.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize

import evopolity.dynamics.analytical as an
from evopolity.dynamics.replicator import replicator
from evopolity.play.group_games import (
    PUNISHMENT_STRATEGIES,
    GroupGame,
    public_goods,
    punishment_game,
    snowdrift,
    stag_hunt,
)

FAST = settings(max_examples=40, deadline=None)


def simplex(k, draw_values):
    v = np.asarray(draw_values, dtype=float) + 1e-3
    return v / v.sum()


# -- the linear public goods game: closed forms ---------------------------------------------


@FAST
@given(
    n=st.integers(2, 9),
    r=st.floats(0.5, 8.0),
    c=st.floats(0.1, 3.0),
    x=st.floats(0.0, 1.0),
)
def test_public_goods_expected_payoffs_equal_closed_form(n, r, c, x):
    # k - 1 ~ Binomial(n - 1, x) co-operating co-players: E[k] = 1 + (n - 1) x for a
    # cooperator, (n - 1) x for a defector; P = r c k / n (- c) is linear in k
    f = public_goods(n, r, c).expected_payoffs([x, 1.0 - x])
    assert f["cooperator"] == pytest.approx(r * c * (1 + (n - 1) * x) / n - c, abs=1e-12)
    assert f["defector"] == pytest.approx(r * c * (n - 1) * x / n, abs=1e-12)


@FAST
@given(n=st.integers(2, 7), extra=st.integers(0, 40), r=st.floats(0.5, 8.0), data=st.data())
def test_public_goods_finite_payoffs_equal_hypergeometric_mean(n, extra, r, data):
    # co-players drawn without replacement from the M - 1 others: E[cooperators among them]
    # = (n - 1) (j - [focal is C]) / (M - 1)
    M = n + extra
    j = data.draw(st.integers(1, M - 1))
    f = public_goods(n, r, 1.0).finite_payoffs([j, M - j])
    assert f["cooperator"] == pytest.approx(r * (1 + (n - 1) * (j - 1) / (M - 1)) / n - 1.0,
                                            abs=1e-10)
    assert f["defector"] == pytest.approx(r * (n - 1) * j / ((M - 1) * n), abs=1e-10)


@FAST
@given(n=st.integers(2, 6), extra=st.integers(0, 30), r=st.floats(0.5, 6.0),
       beta=st.floats(0.0, 5.0), data=st.data())
def test_public_goods_fixation_equals_direct_sum_with_closed_form_payoffs(n, extra, r, beta,
                                                                          data):
    # Traulsen et al. 2006: rho = 1 / (1 + sum_q prod_{j<=q} exp(-beta (pi_C(j) - pi_D(j))))
    M = n + extra
    pi_c = lambda j: r * (1 + (n - 1) * (j - 1) / (M - 1)) / n - 1.0  # noqa: E731
    pi_d = lambda j: r * (n - 1) * j / ((M - 1) * n)  # noqa: E731
    terms = np.cumsum([-beta * (pi_c(j) - pi_d(j)) for j in range(1, M)])
    expected = 1.0 / (1.0 + np.exp(terms).sum())
    rho = an.fixation_probability(public_goods(n, r, 1.0), M, "fermi", beta)
    assert rho == pytest.approx(expected, rel=1e-9)


# -- the optional public goods game (Hauert, De Monte, Hofbauer & Sigmund 2002) -------------


def hauert_payoffs(x, y, z, N, r, sigma):
    """J. theor. Biol. 218: 187 (2002), eqs for P_d and P_d - P_c = F(z) (c = 1)."""
    P_d = sigma * z ** (N - 1) + r * x / (1 - z) * (1 - (1 - z**N) / (N * (1 - z)))
    F = 1 + (r - 1) * z ** (N - 1) - (r / N) * (1 - z**N) / (1 - z)
    return P_d - F, P_d


@FAST
@given(
    v=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0)),
    N=st.integers(2, 8),
    r=st.floats(1.1, 6.0),
    sigma=st.floats(0.0, 2.0),
)
def test_optional_public_goods_payoffs_equal_hauert_2002(v, N, r, sigma):
    x, y, z = simplex(3, v)
    f = public_goods(N, r, 1.0, sigma=sigma).expected_payoffs([x, y, z])
    P_c, P_d = hauert_payoffs(x, y, z, N, r, sigma)
    assert f["cooperator"] == pytest.approx(P_c, abs=1e-10)
    assert f["defector"] == pytest.approx(P_d, abs=1e-10)
    assert f["loner"] == pytest.approx(sigma, abs=1e-12)


def F_hauert(z, N, r):
    return 1 + (r - 1) * z ** (N - 1) - (r / N) * (1 - z**N) / (1 - z)


def test_optional_public_goods_interior_rest_point_is_hauerts_Q():
    # Hauert et al. 2002 (JTB): at Q, x / (x + y) = sigma / (r - 1) and F(z) = 0; N = 5,
    # r = 3, sigma = 1 (the Science paper's Fig. 2 parameters)
    N, r, sigma = 5, 3.0, 1.0
    z = optimize.brentq(F_hauert, 1e-9, 1 - 1e-9, args=(N, r))
    f = sigma / (r - 1)
    Q = np.array([(1 - z) * f, (1 - z) * (1 - f), z])
    game = public_goods(N, r, 1.0, sigma=sigma)
    np.testing.assert_allclose(game.expected_payoffs(Q).to_numpy(), sigma, atol=1e-12)
    tr = replicator(game, Q, t_max=50.0)
    assert tr.info["status"] == "rest point"
    np.testing.assert_allclose(tr.final().to_numpy(), Q, atol=1e-10)


def hauert_invariant(x, y, z, N, r, sigma, z_ref):
    """A constant of motion of the optional PGG replicator (derived for this test).

    With f = x / (x + y): df/dt = -f (1 - f) F(z) and
    dz/dt = -z (1 - z) (1 - z^(N-1)) ((r - 1) f - sigma), so
    H = sigma ln f + (r - 1 - sigma) ln(1 - f) + int^z F(s) / (s (1 - s) (1 - s^(N-1))) ds
    has dH/dt = 0.
    """
    f = x / (x + y)
    integral, _ = integrate.quad(
        lambda s: F_hauert(s, N, r) / (s * (1 - s) * (1 - s ** (N - 1))), z_ref, z,
        epsabs=1e-13, epsrel=1e-12,
    )
    return sigma * math.log(f) + (r - 1 - sigma) * math.log(1 - f) + integral


def test_optional_public_goods_cycles_for_r_above_2():
    # Hauert et al. 2002 (Science, Fig. 2; JTB): for 2 < r < N the interior rest point is
    # surrounded by closed orbits, cooperators -> defectors -> loners -> cooperators
    N, r, sigma = 5, 3.0, 1.0
    x0 = np.array([0.3, 0.2, 0.5])
    tr = replicator(public_goods(N, r, 1.0, sigma=sigma), x0, t_max=60.0, n_points=20001,
                    rtol=1e-11, atol=1e-13)
    X = tr.frequencies
    H0 = hauert_invariant(*x0, N, r, sigma, 0.5)
    for row in X[::1000]:
        assert hauert_invariant(*row, N, r, sigma, 0.5) == pytest.approx(H0, abs=1e-7)
    # f = x / (x + y) swings around sigma / (r - 1) = 1/2 again and again
    f = X[:, 0] / (X[:, 0] + X[:, 1])
    crossings = np.count_nonzero(np.diff(np.sign(f - 0.5)) != 0)
    assert crossings >= 4
    # the orbit closes: after leaving, it comes back to within 2e-3 of its start
    d = np.linalg.norm(X - x0, axis=1)
    away = np.argmax(d > 0.1)
    assert d[away:].min() < 2e-3
    # and the cyclic order is C -> D -> L: the maxima of x, y, z come in that order
    t_max_c = np.argmax(X[:6000, 0])
    t_max_d = t_max_c + np.argmax(X[t_max_c:t_max_c + 6000, 1])
    t_max_l = t_max_d + np.argmax(X[t_max_d:t_max_d + 6000, 2])
    assert t_max_c < t_max_d < t_max_l


def test_optional_public_goods_no_cycles_for_r_below_2():
    # Hauert et al. 2002: for r <= 2, F(z) > 0 on (0, 1), so defectors always beat
    # cooperators, there is no interior rest point, and orbits return to the loner state
    # (homoclinic orbits of e_z): f = x / (x + y) falls for ever and z -> 1
    N, r, sigma = 5, 1.8, 0.5
    game = public_goods(N, r, 1.0, sigma=sigma)
    rng = np.random.default_rng(3)
    for v in rng.dirichlet([1, 1, 1], size=200):
        f = game.expected_payoffs(v)
        assert f["defector"] > f["cooperator"]
    tr = replicator(game, [0.45, 0.05, 0.5], t_max=2000.0, n_points=4001)
    X = tr.frequencies
    f = X[:, 0] / (X[:, 0] + X[:, 1])
    assert np.all(np.diff(f) <= 1e-12)
    assert X[-1, 2] > 0.99
    assert X[:, 2].min() < 0.45  # the burst of cooperation: loners first recede


# -- n = 2 is the matrix game ---------------------------------------------------------------


matrices = st.lists(st.floats(-3.0, 3.0), min_size=9, max_size=9).map(
    lambda v: np.array(v).reshape(3, 3)
)


@settings(max_examples=15, deadline=None)
@given(A=matrices, v=st.tuples(*[st.floats(0.0, 1.0)] * 3), N=st.integers(3, 30))
def test_group_game_of_two_players_is_the_matrix_game(A, v, N):
    game = GroupGame.from_matrix(A)
    x = simplex(3, v)
    np.testing.assert_allclose(game.expected_payoffs(x).to_numpy(), A @ x, atol=1e-12)
    counts = np.array([1, 1, N - 2])
    expected = (A @ counts - np.diag(A)) / (N - 1)  # Nowak et al. 2004, self excluded
    np.testing.assert_allclose(game.finite_payoffs(counts).to_numpy(), expected, atol=1e-12)
    t1 = replicator(game, x, t_max=5.0, n_points=11)
    t2 = replicator(A, x, t_max=5.0, n_points=11)
    np.testing.assert_allclose(t1.frequencies, t2.frequencies, atol=1e-12)
    for rule, s in (("fermi", 1.5), ("moran", 0.1)):
        np.testing.assert_allclose(
            an.fixation_matrix(game, N, rule, s, log=True).to_numpy(),
            an.fixation_matrix(A, N, rule, s, log=True).to_numpy(),
            atol=1e-9,
        )
        np.testing.assert_allclose(
            an.stationary_distribution(game, N, rule, s).to_numpy(),
            an.stationary_distribution(A, N, rule, s).to_numpy(),
            atol=1e-9,
        )
    np.testing.assert_allclose(
        an.gradient_of_selection(game, N, "fermi", 1.0, 0, 2).to_numpy(),
        an.gradient_of_selection(A, N, "fermi", 1.0, 0, 2).to_numpy(),
        atol=1e-12,
    )


# -- relabelling strategies permutes results ------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 5), perm=st.permutations([0, 1, 2]))
def test_relabelling_strategies_permutes_payoffs_and_fixation(seed, n, perm):
    rng = np.random.default_rng(seed)
    base = GroupGame(["a", "b", "c"], n, rng.normal(size=(math.comb(n + 2, 2), 3)))
    perm = list(perm)
    names = [base.strategies[i] for i in perm]
    relabelled = base.subgame(names)  # the same game, strategies listed in another order
    x = rng.dirichlet([1, 1, 1])
    np.testing.assert_allclose(
        relabelled.expected_payoffs(x[perm]).to_numpy(),
        base.expected_payoffs(x).to_numpy()[perm],
        atol=1e-12,
    )
    counts = np.array([3, 4, 5])
    np.testing.assert_allclose(
        relabelled.finite_payoffs(counts[perm]).to_numpy(),
        base.finite_payoffs(counts).to_numpy()[perm],
        atol=1e-12,
    )
    np.testing.assert_allclose(
        an.fixation_matrix(relabelled, 12, "fermi", 1.0, log=True).to_numpy(),
        an.fixation_matrix(base, 12, "fermi", 1.0, log=True).to_numpy()[np.ix_(perm, perm)],
        atol=1e-12,
    )


# -- peer and pool punishment (Sigmund, De Silva, Traulsen & Hauert 2010) -------------------


def sigmund_payoffs(counts, N, r, c, sigma, beta, gamma, G, B, second_order):
    """Expected payoffs of the focal types in a population of M (Methods of Sigmund et al.
    2010, written out for this test): co-players are N - 1 of the M - 1 others; the game
    happens unless all co-players are loners (probability F); contributions go to the other
    participants, so a contributor's share is r c times the fraction of contributors among
    the other participants in the population."""
    X, Y, Z, V, W = counts
    M = sum(counts)
    F = math.comb(Z, N - 1) / math.comb(M - 1, N - 1)
    q = (N - 1) / (M - 1)  # expected number of co-players of a type = q * its count
    P_X = sigma * F + (1 - F) * c * (r * (M - Z - Y - 1) / (M - Z - 1) - 1)
    P_Y = sigma * F + (1 - F) * r * c * (M - Z - Y) / (M - Z - 1) - q * (beta * V + B * W)
    P_V = P_X - gamma * q * Y
    P_W = P_X - (1 - F) * G
    if second_order:
        # pool: B per pool punisher on cooperators and peer punishers; peer: beta per peer
        # punisher on a cooperator (gamma per cooperator for the punisher) when a defector
        # is among the other N - 2 co-players
        some_d = 1 - math.comb(M - Y - 2, N - 2) / math.comb(M - 2, N - 2)
        P_X -= q * B * W + beta * q * V * some_d
        P_V -= q * B * W + gamma * q * X * some_d
    return np.array([P_X, P_Y, sigma, P_V, P_W])


@pytest.mark.parametrize("second_order", [False, True])
def test_punishment_finite_payoffs_equal_sigmund_2010_methods(second_order):
    par = dict(N=5, r=3.0, c=1.0, sigma=1.0, beta=0.7, gamma=0.7, G=0.7, B=0.7)
    game = punishment_game(5, 3.0, 1.0, 1.0, peer_fine=0.7, peer_cost=0.7, pool_fee=0.7,
                           pool_fine=0.7, second_order=second_order)
    rng = np.random.default_rng(7)
    for _ in range(20):
        counts = rng.multinomial(95, rng.dirichlet(np.ones(5))) + 1
        expected = sigmund_payoffs(counts, second_order=second_order, **par)
        np.testing.assert_allclose(game.finite_payoffs(counts).to_numpy(), expected,
                                   atol=1e-12)


def test_peer_vs_pool_punishment_reproduces_sigmund_2010():
    # Sigmund et al. 2010, abstract and Fig. 3 (competition of peer and pool punishers in
    # voluntary PGGs): "in the absence of such second-order punishment, peer-punishers do
    # better than pool-punishers; but with second-order punishment, the situation is
    # reversed". Fig. 2: with second-order punishment pool punishment takes over in the
    # voluntary game but not in the compulsory one (defectors). Small-mutation limit,
    # pairwise comparison (Fermi) imitation, M = 100, N = 5, r = 3, c = 1, sigma = 1,
    # B = G = beta = gamma = 0.7.
    M = 100
    for s in (0.5, 10.0):
        first = an.stationary_distribution(punishment_game(), M, "fermi", s)
        assert first.idxmax() == "peer_punisher"
        assert first["peer_punisher"] > 0.5 > 0.05 > first["pool_punisher"]
        second = punishment_game(second_order=True)
        both = an.stationary_distribution(second, M, "fermi", s)
        assert both.idxmax() == "pool_punisher"
        assert both["pool_punisher"] > 0.9 > 0.05 > both["peer_punisher"]
        voluntary = second.subgame(["cooperator", "defector", "loner", "pool_punisher"])
        compulsory = second.subgame(["cooperator", "defector", "pool_punisher"])
        assert an.stationary_distribution(voluntary, M, "fermi", s).idxmax() == "pool_punisher"
        assert an.stationary_distribution(compulsory, M, "fermi", s).idxmax() == "defector"


def test_punishment_game_groups_of_loners_do_not_play():
    # Hauert et al. 2002: a lone participant gets sigma, like the loners
    game = punishment_game(sigma=0.4)
    table = game.frame()
    alone = table[table["loner"] == 4]
    for name in PUNISHMENT_STRATEGIES:
        present = alone[alone[name] == 1]
        if name != "loner":
            assert present[f"payoff_{name}"].tolist() == [0.4]


# -- n-player snowdrift (Souza, Pacheco & Santos 2009) and stag hunt (Pacheco et al. 2009) ---


@pytest.mark.parametrize("n, b, c", [(2, 2.0, 1.0), (5, 2.0, 1.0), (8, 1.5, 1.0)])
def test_snowdrift_rest_point_solves_closed_form(n, b, c):
    # f_C - f_D = b (1 - x)^(n-1) - c (1 - (1 - x)^n) / (n x)  (threshold 1, cost shared)
    gap = lambda x: b * (1 - x) ** (n - 1) - c * (1 - (1 - x) ** n) / (n * x)  # noqa: E731
    x_star = optimize.brentq(gap, 1e-9, 1 - 1e-9)
    if n == 2:  # the 2x2 snowdrift R = b - c/2, S = b - c, T = b, P = 0: (b - c) / (b - c/2)
        assert x_star == pytest.approx((b - c) / (b - c / 2), rel=1e-9)
    game = snowdrift(n, b, c)
    f = game.expected_payoffs([x_star, 1 - x_star])
    assert f["cooperator"] == pytest.approx(f["defector"], abs=1e-9)
    for x0 in (0.05, 0.95):
        tr = replicator(game, [x0, 1 - x0], t_max=500.0)
        assert tr.final()["cooperator"] == pytest.approx(x_star, abs=1e-6)


def test_snowdrift_of_two_is_the_matrix_snowdrift():
    b, c = 3.0, 1.0
    A = np.array([[b - c / 2, b - c], [b, 0.0]])
    np.testing.assert_allclose(snowdrift(2, b, c).frame()[["payoff_cooperator",
                                                           "payoff_defector"]].to_numpy(),
                               [[np.nan, 0.0], [b - c, b], [b - c / 2, np.nan]])
    np.testing.assert_allclose(
        an.fixation_matrix(snowdrift(2, b, c), 20, "fermi", 1.0).to_numpy(),
        an.fixation_matrix(A, 20, "fermi", 1.0).to_numpy(), atol=1e-12)


def pacheco_gap(x, N, r, M):
    """Pacheco et al. 2009, Proc. R. Soc. B 276: 315: f_C - f_D (c = 1)."""
    above = sum(math.comb(N - 1, j) * x**j * (1 - x) ** (N - 1 - j) for j in range(M, N))
    at = M * math.comb(N - 1, M - 1) * x ** (M - 1) * (1 - x) ** (N - M)
    return r / N * (above + at) - 1


@FAST
@given(x=st.floats(0.0, 1.0), N=st.integers(2, 12), data=st.data())
def test_stag_hunt_payoff_gap_equals_pacheco_2009(x, N, data):
    M = data.draw(st.integers(1, N))
    r = data.draw(st.floats(0.5, 2.0 * N))
    f = stag_hunt(N, r, 1.0, M).expected_payoffs([x, 1 - x])
    assert f["cooperator"] - f["defector"] == pytest.approx(pacheco_gap(x, N, r, M), abs=1e-10)


def test_stag_hunt_has_coordination_threshold_and_stable_coexistence():
    # Pacheco et al. 2009: for r < N above a critical r, two interior roots x_L < x_R, x_L
    # unstable and x_R stable; below x_L cooperation dies out
    N, r, M = 10, 8.0, 5
    grid = np.linspace(1e-6, 1 - 1e-6, 2001)
    g = np.array([pacheco_gap(x, N, r, M) for x in grid])
    roots = [optimize.brentq(pacheco_gap, grid[i], grid[i + 1], args=(N, r, M))
             for i in np.flatnonzero(np.sign(g[:-1]) != np.sign(g[1:]))]
    assert len(roots) == 2
    x_l, x_r = roots
    game = stag_hunt(N, r, 1.0, M)
    up = replicator(game, [x_l + 0.02, 1 - x_l - 0.02], t_max=2000.0)
    down = replicator(game, [x_l - 0.02, 1 - x_l + 0.02], t_max=2000.0)
    assert up.final()["cooperator"] == pytest.approx(x_r, abs=1e-6)
    assert down.final()["cooperator"] < 1e-6


# -- the public edge ------------------------------------------------------------------------


def test_errors_name_the_parameter():
    with pytest.raises(ValueError, match="group_size"):
        public_goods(1)
    with pytest.raises(ValueError, match="threshold"):
        stag_hunt(5, 3.0, 1.0, 6)
    with pytest.raises(ValueError, match="share"):
        public_goods(5, 3.0, share="mine")
    with pytest.raises(ValueError, match="peer_fine"):
        punishment_game(peer_fine=-1.0)
    with pytest.raises(ValueError, match="table"):
        GroupGame(["a", "b"], 3, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="N must be >= group_size"):
        an.fixation_probability(public_goods(5), 4)
    with pytest.raises(ValueError, match="small-mutation"):
        an.stationary_distribution(public_goods(5), 20, "fermi", 1.0, mutation=0.01)
    with pytest.raises(ValueError, match="regime"):
        from evopolity.institutions.regimes import balanced

        replicator(public_goods(5), regime=balanced())
    with pytest.raises(ValueError, match="counts"):
        public_goods(5).finite_payoffs([1, 2])
