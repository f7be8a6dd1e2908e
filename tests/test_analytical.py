"""Closed forms of finite populations against theory.

Sources: Nowak, Sasaki, Taylor & Fudenberg (2004) Nature 428:646 (fixation probability of a
single mutant, the 8/45 example is worked by hand below, the one-third law and its finite-N
condition); Moran (1958) / Nowak (2006) *Evolutionary Dynamics* eq. (6.13) (constant fitness
r: rho = (1 - 1/r) / (1 - 1/r^N)); Traulsen, Nowak & Pacheco (2006) PRE 74:011909 (Fermi rule,
gradient of selection with tanh); Fudenberg & Imhof (2006) JET 131 (small-mutation limit);
Karlin & Taylor (1975) *A First Course in Stochastic Processes* (birth-death chains satisfy
detailed balance, pi_{j+1} / pi_j = T+(j) / T-(j+1)).
"""

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evopolity.dynamics.analytical import (
    fixation_matrix,
    fixation_probability,
    gradient_of_selection,
    stationary_distribution,
)


def test_moran_n4_example_is_8_over_45():
    # By hand (Nowak et al. 2004 formula), A = [[1, 2], [3, 1]], w = 1, N = 4, a=1 b=2 c=3 d=1:
    # j=1: pi_A = (0*1 + 3*2)/3 = 2,   pi_B = (1*3 + 2*1)/3 = 5/3, gamma_1 = 5/6
    # j=2: pi_A = (1*1 + 2*2)/3 = 5/3, pi_B = (2*3 + 1*1)/3 = 7/3, gamma_2 = 7/5
    # j=3: pi_A = (2*1 + 1*2)/3 = 4/3, pi_B = (3*3 + 0*1)/3 = 3,   gamma_3 = 9/4
    # 1 + 5/6 + 5/6*7/5 + 5/6*7/5*9/4 = 1 + 5/6 + 7/6 + 21/8 = 45/8, so rho = 8/45.
    assert fixation_probability([[1, 2], [3, 1]], N=4, selection=1.0,
                                fitness_map="linear") == pytest.approx(8 / 45, rel=1e-14)


def exact_rho(A, N, w, m=0, r=1):
    """Nowak et al. (2004) in exact rational arithmetic."""
    a, b, c, d = (Fraction(A[m][m]), Fraction(A[m][r]), Fraction(A[r][m]), Fraction(A[r][r]))
    w = Fraction(w)
    total, prod = Fraction(1), Fraction(1)
    for j in range(1, N):
        fa = 1 - w + w * ((j - 1) * a + (N - j) * b) / (N - 1)
        fb = 1 - w + w * (j * c + (N - j - 1) * d) / (N - 1)
        prod *= fb / fa
        total += prod
    return 1 / total


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 9), min_size=4, max_size=4),
    st.integers(2, 30),
    st.sampled_from([Fraction(1), Fraction(1, 2), Fraction(1, 10)]),
)
def test_moran_fixation_matches_exact_rational_formula(entries, N, w):
    A = [entries[:2], entries[2:]]
    expected = float(exact_rho(A, N, w))
    assert fixation_probability(A, N, "moran", float(w), fitness_map="linear") == pytest.approx(
        expected, rel=1e-11)


@pytest.mark.parametrize("N", [2, 7, 50])
def test_neutral_processes_fix_with_one_over_n(N):
    A = [[1.0, 5.0], [0.5, 2.0]]
    # Traulsen et al. (2006): beta = 0 makes gamma_j = 1; Nowak et al. (2004): w = 0 likewise.
    assert fixation_probability(A, N, "fermi", 0.0) == pytest.approx(1 / N, rel=1e-13)
    assert fixation_probability(A, N, "moran", 0.0) == pytest.approx(1 / N, rel=1e-13)


@pytest.mark.parametrize("r, N", [(1.1, 10), (2.0, 20), (0.5, 8)])
def test_constant_fitness_moran_formula(r, N):
    # Moran (1958): rho = (1 - 1/r) / (1 - 1/r^N) for a mutant of constant relative fitness r.
    A = [[r, r], [1.0, 1.0]]
    expected = (1 - 1 / r) / (1 - r**-N)
    assert fixation_probability(A, N, "moran", 1.0, fitness_map="linear") == pytest.approx(
        expected, rel=1e-12)


def test_tiny_fixation_probabilities_keep_their_value_in_log_space():
    # Constant payoff deficit with beta*delta = ln 10: gamma_j = 10, rho = 9 / (10^N - 1).
    delta = math.log(10.0)
    A = [[0.0, 0.0], [delta, delta]]
    assert fixation_probability(A, 40, "fermi", 1.0) == pytest.approx(9 / (10**40 - 1), rel=1e-9)
    # far below the smallest double: log(rho) = log 9 - 1000 log 10 (to 1e-12)
    lr = fixation_probability(A, 1000, "fermi", 1.0, log=True)
    assert lr == pytest.approx(math.log(9) - 1000 * math.log(10), rel=1e-12)


@pytest.mark.parametrize("x_star, above", [(0.30, True), (0.36, False)])
def test_one_third_law_at_weak_selection(x_star, above):
    # Nowak et al. (2004): in a coordination game (a > c, b < d), at weak selection and large N,
    # rho_A > 1/N iff the unstable equilibrium x* = (d - b)/(a - b - c + d) is below 1/3.
    d = 100.0 * x_star
    a = 100.0 - d
    A = [[a, 0.0], [0.0, d]]
    N = 1000
    w = 1e-6
    rho = fixation_probability(A, N, "moran", w)
    assert (rho > 1 / N) == above


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=4, max_size=4), st.integers(3, 60))
def test_weak_selection_finite_n_condition(entries, N):
    # Nowak et al. (2004): at w -> 0, rho_A > 1/N iff a(N-2) + b(2N-1) > c(N+1) + d(2N-4).
    a, b, c, d = entries
    margin = a * (N - 2) + b * (2 * N - 1) - c * (N + 1) - d * (2 * N - 4)
    # on the boundary (margin 0) the sign of rho - 1/N is decided by the O(w^2) terms: no claim
    assume(margin != 0)
    rho = fixation_probability([[a, b], [c, d]], N, "moran", 1e-7)
    assert (rho > 1 / N) == (margin > 0)


def test_fixation_matrix_diagonal_and_entries():
    r, N = 1.5, 12
    A = [[r, r], [1.0, 1.0]]
    F = fixation_matrix(A, N, "moran", 1.0, fitness_map="linear")
    assert F.index.name == "mutant" and F.columns.name == "resident"
    np.testing.assert_allclose(np.diag(F.to_numpy()), 1 / N)
    assert F.loc["0", "1"] == pytest.approx((1 - 1 / r) / (1 - r**-N), rel=1e-12)
    assert F.loc["1", "0"] == pytest.approx((1 - r) / (1 - r**N), rel=1e-12)


def test_small_mutation_limit_two_strategies_is_ratio_of_fixation_probabilities():
    # Fudenberg & Imhof (2006): pi_A / pi_B = rho_{A,B} / rho_{B,A}.
    A = [[3, 1], [4, 2]]
    N, w = 9, 0.5
    ra = float(exact_rho(A, N, Fraction(1, 2), 0, 1))
    rb = float(exact_rho(A, N, Fraction(1, 2), 1, 0))
    pi = stationary_distribution(A, N, "moran", w, fitness_map="linear")
    assert pi["0"] == pytest.approx(ra / (ra + rb), rel=1e-12)


def birth_death_stationary(A, N, w, mu):
    """Two-strategy Moran with mutation as a birth-death chain (Karlin & Taylor)."""
    (a, b), (c, d) = A

    def rates(j):
        fa = 1 - w + w * ((j - 1) * a + (N - j) * b) / (N - 1) if j > 0 else 0.0
        fb = 1 - w + w * (j * c + (N - j - 1) * d) / (N - 1) if j < N else 0.0
        tot = j * fa + (N - j) * fb
        up = (j * fa * (1 - mu) + (N - j) * fb * mu) / tot * (N - j) / N
        down = ((N - j) * fb * (1 - mu) + j * fa * mu) / tot * j / N
        return up, down

    p = [1.0]
    for j in range(N):
        p.append(p[-1] * rates(j)[0] / rates(j + 1)[1])
    p = np.array(p)
    return p / p.sum()


def test_full_chain_two_strategies_matches_detailed_balance():
    A = [[3.0, 1.0], [4.0, 2.0]]
    N, w, mu = 25, 0.3, 0.02
    expected = birth_death_stationary(A, N, w, mu)
    frame = stationary_distribution(A, N, "moran", w, mutation=mu, states=True,
                                    fitness_map="linear")
    # rows are compositions (count of "0", count of "1")
    p = frame.set_index("0")["probability"].sort_index().to_numpy()
    np.testing.assert_allclose(p, expected, rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("rule, s", [("moran", 0.5), ("fermi", 1.0)])
def test_full_chain_tends_to_small_mutation_limit(rule, s):
    # Fudenberg & Imhof (2006): as mu -> 0 the mass concentrates on the monomorphic states with
    # the embedded chain's stationary distribution.
    A = np.array([[3.0, 0.5, 2.0], [4.0, 1.0, 0.5], [2.5, 2.0, 1.5]])
    N = 12
    limit = stationary_distribution(A, N, rule, s)
    frame = stationary_distribution(A, N, rule, s, mutation=1e-7, states=True)
    mono = [frame.loc[frame[name] == N, "probability"].item() for name in ["0", "1", "2"]]
    np.testing.assert_allclose(mono, limit.to_numpy(), rtol=1e-3)
    assert limit.min() > 0.01  # a non-trivial distribution


def test_full_chain_k3_n100_is_a_distribution_and_symmetric_under_beta_zero():
    A = np.array([[3.0, 0.5, 2.0], [4.0, 1.0, 0.5], [2.5, 2.0, 1.5]])
    frame = stationary_distribution(A, 100, "fermi", 0.0, mutation=0.01, states=True)
    assert len(frame) == 5151
    assert frame["probability"].sum() == pytest.approx(1.0, rel=1e-12)
    # neutral with uniform mutation: exchangeable, so every strategy has mean frequency 1/3
    mean = stationary_distribution(A, 100, "fermi", 0.0, mutation=0.01)
    np.testing.assert_allclose(mean.to_numpy(), 1 / 3, rtol=1e-9)


def test_fermi_gradient_is_tanh_of_payoff_difference():
    # Traulsen et al. (2006): T+ - T- = j(N-j)/(N(N-1)) tanh(beta/2 (pi_A - pi_B)).
    a, b, c, d = 3.0, 0.0, 5.0, 1.0
    N, beta = 20, 0.7
    g = gradient_of_selection([[a, b], [c, d]], N, "fermi", beta)
    for j in range(N + 1):
        pa = ((j - 1) * a + (N - j) * b) / (N - 1)
        pb = (j * c + (N - j - 1) * d) / (N - 1)
        expected = j * (N - j) / (N * (N - 1)) * math.tanh(beta / 2 * (pa - pb))
        assert g.iloc[j] == pytest.approx(expected, abs=1e-15)
    assert g.index[5] == 0.25


def test_moran_gradient_sign_follows_the_coexistence_point():
    # Hawk-Dove V=2, C=3: for w=1 and large N, G(x) > 0 below x* ~ V/C and < 0 above.
    A = [[-0.5 + 1, 2.0 + 1], [0.0 + 1, 1.0 + 1]]
    g = gradient_of_selection(A, 300, "moran", 1.0)
    x = g.index.to_numpy()
    inner = (x > 0) & (x < 1)
    assert np.all(g[inner & (x < 0.64)] > 0) and np.all(g[inner & (x > 0.69)] < 0)


@settings(max_examples=20, deadline=None)
@given(st.permutations([0, 1, 2]), st.integers(0, 10_000))
def test_relabelling_permutes_fixation_and_stationary(perm, seed):
    A = np.random.default_rng(seed).uniform(0, 3, (3, 3))
    perm = list(perm)
    P = A[np.ix_(perm, perm)]
    F, Fp = fixation_matrix(A, 10, "fermi", 1.0), fixation_matrix(P, 10, "fermi", 1.0)
    np.testing.assert_allclose(Fp.to_numpy(), F.to_numpy()[np.ix_(perm, perm)], rtol=1e-12)
    s = stationary_distribution(A, 10, "moran", 0.4)
    sp = stationary_distribution(P, 10, "moran", 0.4)
    np.testing.assert_allclose(sp.to_numpy(), s.to_numpy()[perm], rtol=1e-10)
    m = stationary_distribution(A, 10, "fermi", 1.0, mutation=0.05)
    mp = stationary_distribution(P, 10, "fermi", 1.0, mutation=0.05)
    np.testing.assert_allclose(mp.to_numpy(), m.to_numpy()[perm], rtol=1e-9)


@pytest.mark.parametrize(
    "kw, err, match",
    [
        ({"rule": "birth"}, ValueError, "rule must be"),
        ({"selection": 2.0, "fitness_map": "linear"}, ValueError, "selection must lie"),
        ({"selection": -1.0}, ValueError, "selection must be"),
        ({"fitness_map": "affine"}, ValueError, "fitness_map must be one of"),
        ({"rule": "fermi", "fitness_map": "linear"}, ValueError, "fitness_map is the Moran"),
        ({"N": 1}, ValueError, "N must be >= 2"),
        ({"mutant": 5}, ValueError, "mutant must lie"),
        ({"resident": "X"}, ValueError, "resident must be a strategy name"),
        ({"N": 3.5}, TypeError, "N must be an integer"),
    ],
)
def test_invalid_arguments_are_refused(kw, err, match):
    args = {"payoffs": [[1.0, 2.0], [3.0, 1.0]], "N": 10}
    args.update(kw)
    with pytest.raises(err, match=match):
        fixation_probability(**args)


def test_nonpositive_moran_fitness_is_refused():
    with pytest.raises(ValueError, match="non-positive Moran fitness"):
        fixation_probability([[-3.0, 0.0], [1.0, 0.0]], 10, "moran", 1.0, fitness_map="linear")


def test_dataframe_names_carry_through():
    names = ["ALLC", "ALLD"]
    A = pd.DataFrame([[3.0, 0.0], [5.0, 1.0]], index=names, columns=names)
    pi = stationary_distribution(A, 10, "fermi", 1.0)
    assert list(pi.index) == names and pi["ALLD"] > 0.99
    assert fixation_probability(A, 10, "fermi", 1.0, mutant="ALLD", resident="ALLC") > 0.9


@pytest.mark.parametrize("rule", ["moran", "fermi"])
def test_gradient_at_a_state_of_two_strategies_equals_the_pairwise_gradient(rule):
    # two routes to the same number: the closed-form T+ - T- and the k-strategy rates
    A = [[3.0, 0.5], [4.0, 1.0]]
    N = 12
    pairwise = gradient_of_selection(A, N, rule, 0.3)
    for j in range(N + 1):
        g = gradient_of_selection(A, N, rule, 0.3, state=[j, N - j])
        assert g.iloc[0] == pytest.approx(pairwise.iloc[j], abs=1e-14)
        assert g.iloc[1] == pytest.approx(-pairwise.iloc[j], abs=1e-14)


def test_neutral_moran_gradient_with_mutation_by_hand():
    # neutral Moran (w = 0): G_i = born_i - n_i / N with
    # born_i = (n_i / N)(1 - mu) + ((N - n_i) / N) mu / (k - 1), so
    # G_i = mu ((N - n_i) / (k - 1) - n_i) / N: mutation pulls towards the uniform state
    A = np.arange(9.0).reshape(3, 3)
    N, mu, n = 10, 0.1, np.array([6, 3, 1])
    g = gradient_of_selection(A, N, "moran", 0.0, state=n, mutation=mu)
    np.testing.assert_allclose(g.to_numpy(), mu * ((N - n) / 2 - n) / N, atol=1e-15)
    assert g.sum() == pytest.approx(0.0, abs=1e-15)


def test_gradient_state_is_validated():
    with pytest.raises(ValueError, match="state"):
        gradient_of_selection([[1, 2], [3, 4]], 10, state=[3, 3])
    with pytest.raises(ValueError, match="mutation needs a state"):
        gradient_of_selection([[1, 2], [3, 4]], 10, mutation=0.1)


# -- the strong-selection limit (selection = inf) ----------------------------------------------
# rho = 1 / (1 + sum_i exp(-w S_i)), S_i the partial sums of pi_mutant - pi_resident, so as
# w -> inf rho ~ exp(w min(0, min S)) / (number of i in 0..N-1 at the minimum): these are the
# limits of the finite formulas above, and the stationary distribution follows exactly.


@pytest.mark.parametrize("rule", ["moran", "fermi"])
@pytest.mark.parametrize("A, N", [
    ([[1, 2], [3, 1]], 4),  # Nowak et al. 2004's 8/45 matrix
    ([[3, 0], [5, 1]], 10),  # the prisoner's dilemma: defection takes all
    ([[2, 0], [0, 1]], 10),  # coordination: the risk-dominant corner takes all
    ([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], 10),  # rock-paper-scissors: a third each
    ([[1, 1, 1], [1, 2, 1], [1, 2, 0]], 4),  # ties in the payoff sums: 1/3, 1/2, 1/6
    ([[0, 2, 2], [2, 0, 2], [1, 2, 2]], 4),
])
def test_infinite_selection_equals_large_finite_selection(A, N, rule):
    limit = stationary_distribution(A, N, rule, np.inf)
    large = stationary_distribution(A, N, rule, 1e3)
    assert limit.to_numpy() == pytest.approx(large.to_numpy(), abs=1e-12)
    assert limit.sum() == pytest.approx(1.0)


def test_infinite_selection_with_ties_by_hand():
    # N = 3, A = [[2, 1], [1, 2]] (symmetric coordination): a single mutant's gaps are
    # pi_m(1) - pi_r(1) = (0*2 + 2*1)/2 - (1 + 2)/2 = -1/2 and pi_m(2) - pi_r(2) = (2 + 1)/2
    # - 2*1/2 = 1/2: S = (0, -1/2, 0), so rho ~ exp(-w/2) / 1 both ways and the limit is 1/2
    # each; with A = [[2, 1], [1, 1]] the first mutant's S = (0, 0, 1/2) (rho -> 1/2) and the
    # second's (0, -1/2, -1/2): all weight on the first strategy.
    assert stationary_distribution([[2, 1], [1, 2]], 3, "moran", np.inf).to_numpy() == \
        pytest.approx([0.5, 0.5], abs=1e-15)
    assert stationary_distribution([[2, 1], [1, 1]], 3, "moran", np.inf).to_numpy() == \
        pytest.approx([1.0, 0.0], abs=1e-15)
    # a neutral game: every fixation probability is 1/N, the distribution uniform
    assert stationary_distribution(np.ones((3, 3)), 6, "fermi", np.inf).to_numpy() == \
        pytest.approx([1 / 3] * 3, abs=1e-15)


@pytest.mark.parametrize("seed", range(5))
def test_infinite_selection_matches_on_tie_heavy_random_games(seed):
    rng = np.random.default_rng(seed)
    A = rng.integers(0, 3, size=(4, 4)).astype(float)
    N = int(rng.integers(3, 8))
    limit = stationary_distribution(A, N, "moran", np.inf)
    assert limit.to_numpy() == pytest.approx(
        stationary_distribution(A, N, "moran", 1e3).to_numpy(), abs=1e-9)


def test_infinite_selection_for_a_group_game():
    import evopolity as ep

    game = ep.public_goods(group_size=3, r=2.5, sigma=1.0)
    limit = stationary_distribution(game, 10, "fermi", np.inf)
    assert limit.to_numpy() == pytest.approx(
        stationary_distribution(game, 10, "fermi", 1e3).to_numpy(), abs=1e-9)


def test_infinite_selection_refusals():
    with pytest.raises(ValueError, match="small-mutation limit only"):
        stationary_distribution([[1, 0], [0, 1]], 10, "moran", np.inf, mutation=0.1)
    with pytest.raises(ValueError, match="fitness_map"):
        stationary_distribution([[1, 0], [0, 1]], 10, "moran", np.inf, fitness_map="linear")
