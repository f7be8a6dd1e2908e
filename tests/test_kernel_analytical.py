"""Kernels of finite populations on their own: compositions and their ranks, the update rules
(:mod:`evopolity.kernels.rules`), and the cooperation level.

References: the compositions of ``N`` into ``k`` parts, in lexicographic order, enumerated by
itertools (there are ``C(N + k - 1, k - 1)``, "stars and bars"); the fixation probability of
one mutant, ``rho = 1 / (1 + sum_{q=1}^{N-1} prod_{j=1}^{q} T-(j)/T+(j))`` (Nowak et al. 2004;
Traulsen et al. 2006), computed here in exact rational arithmetic (Moran) or directly
(Fermi); the cooperation level ``x^T C x`` by numpy.
"""

import itertools
import math
from fractions import Fraction

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evopolity.kernels import analytical, rules
from evopolity.kernels.codes import FERMI, MORAN
from evopolity.kernels.fitness import cooperation_levels


def lexicographic_compositions(N, k):
    """Every (n_1, ..., n_k) >= 0 summing to N, in lexicographic order."""
    return [c for c in itertools.product(range(N + 1), repeat=k) if sum(c) == N]


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("N", [0, 1, 2, 5, 8])
def test_rank_is_the_lexicographic_position(N, k):
    expected = lexicographic_compositions(N, k)
    assert len(expected) == math.comb(N + k - 1, k - 1)
    Cb = analytical.binomials(N + k - 1, k - 1)
    ranks = [analytical.rank(np.array(c, np.int64), N, Cb) for c in expected]
    assert ranks == list(range(len(expected)))  # a bijection onto 0..C(N+k-1, k-1) - 1
    out = np.empty((len(expected), k), np.int64)
    analytical.enumerate_compositions(N, k, out)
    assert [tuple(row) for row in out] == expected
    # inside kernels, the jitted twins of binomials and rank (the Python ones above)
    np.testing.assert_array_equal(ranks_in_kernel(out, N), np.arange(len(expected)))


@numba.njit
def ranks_in_kernel(states, N):
    S, k = states.shape
    Cb = analytical.binomials(N + k - 1, k - 1)
    out = np.empty(S, np.int64)
    for s in range(S):
        out[s] = analytical.rank(states[s], N, Cb)
    return out


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 40), r=st.integers(0, 6))
def test_binomials_are_pascals_triangle(n, r):
    C = analytical.binomials(n, 6)
    assert C[n, r] == (math.comb(n, r) if r <= n else 0)
    np.testing.assert_array_equal(binomials_in_kernel(n, 6), C)


@numba.njit
def binomials_in_kernel(n, r):
    return analytical.binomials(n, r)


def payoffs(a, b, c, d, N, j):
    """Nowak et al. (2004): payoffs of j mutants and N - j residents, self excluded."""
    return (Fraction(j - 1) * a + Fraction(N - j) * b) / (N - 1), \
        (Fraction(j) * c + Fraction(N - j - 1) * d) / (N - 1)


def exact_moran_rho(a, b, c, d, N, w):
    """rho of the Moran process in rational arithmetic: gamma_j = f_B / f_A."""
    a, b, c, d, w = (Fraction(v) for v in (a, b, c, d, w))
    total = Fraction(1)
    prod = Fraction(1)
    for j in range(1, N):
        pa, pb = payoffs(a, b, c, d, N, j)
        prod *= (1 - w + w * pb) / (1 - w + w * pa)
        total += prod
    return 1 / total


entry = st.floats(0.0, 5.0, allow_nan=False).map(lambda v: round(v, 3))


@settings(max_examples=60, deadline=None)
@given(a=entry, b=entry, c=entry, d=entry, N=st.integers(2, 40),
       w=st.floats(0.0, 0.99).map(lambda v: round(v, 3)))  # fitness 1 - w + w pi > 0
def test_moran_fixation_against_exact_arithmetic(a, b, c, d, N, w):
    value = analytical.log_fixation(MORAN, a, b, c, d, N, w)
    assert value == pytest.approx(math.log(exact_moran_rho(a, b, c, d, N, w)), rel=1e-12,
                                  abs=1e-13)


@settings(max_examples=60, deadline=None)
@given(a=entry, b=entry, c=entry, d=entry, N=st.integers(2, 30),
       beta=st.floats(0.0, 3.0).map(lambda v: round(v, 3)))
def test_fermi_fixation_against_the_direct_sum(a, b, c, d, N, beta):
    # gamma_j = exp(-beta (pi_A - pi_B)); with payoffs in [0, 5] and beta <= 3 the plain sum
    # of products stays within double range
    total, prod = 1.0, 1.0
    for j in range(1, N):
        pa, pb = (float(v) for v in payoffs(a, b, c, d, N, j))
        prod *= math.exp(-beta * (pa - pb))
        total += prod
    value = analytical.log_fixation(FERMI, a, b, c, d, N, beta)
    assert value == pytest.approx(-math.log(total), rel=1e-11, abs=1e-12)


@pytest.mark.parametrize("rule", [MORAN, FERMI])
def test_neutral_fixation_is_one_over_n(rule):
    assert math.exp(analytical.log_fixation(rule, 1.0, 3.0, 2.0, 0.5, 17, 0.0)) == \
        pytest.approx(1 / 17, rel=1e-14)


def test_log_fixation_reaches_below_the_smallest_double():
    # a strongly disfavoured mutant (Fermi, beta = 50, payoff gap 2 at every j):
    # log rho = -log(sum_q exp(100 q)) -> about -100 (N - 1), far below log(1e-308)
    lg = np.full(30, 100.0)
    expected = -math.log(sum(math.exp(100.0 * q - 2900.0) for q in range(30))) - 2900.0
    assert rules.log_fixation(lg) == pytest.approx(expected, rel=1e-14)
    assert rules.log_fixation(lg) < math.log(5e-324)


@settings(max_examples=60, deadline=None)
@given(pa=st.floats(0.0, 5.0), pb=st.floats(0.0, 5.0), N=st.integers(2, 100),
       data=st.data(), w=st.floats(0.0, 0.99), beta=st.floats(0.0, 5.0))
def test_transitions_are_the_textbook_formulas(pa, pb, N, data, w, beta):
    j = data.draw(st.integers(1, N - 1))
    fa, fb = 1 - w + w * pa, 1 - w + w * pb
    tplus, tminus = rules.transitions(MORAN, w, N, j, pa, pb)
    assert tplus == pytest.approx(j * fa / (j * fa + (N - j) * fb) * (N - j) / N, rel=1e-13)
    assert tminus == pytest.approx((N - j) * fb / (j * fa + (N - j) * fb) * j / N, rel=1e-13)
    assert math.log(tminus / tplus) == pytest.approx(
        rules.log_gamma(MORAN, w, pa, pb), rel=1e-10, abs=1e-12)
    tplus, tminus = rules.transitions(FERMI, beta, N, j, pa, pb)
    base = j * (N - j) / (N * (N - 1))
    assert tplus == pytest.approx(base / (1 + math.exp(-beta * (pa - pb))), rel=1e-13)
    assert tminus == pytest.approx(base / (1 + math.exp(beta * (pa - pb))), rel=1e-13)
    assert tplus - tminus == pytest.approx(base * math.tanh(beta * (pa - pb) / 2), abs=1e-15)


@settings(max_examples=30, deadline=None)
@given(k=st.integers(1, 8), T=st.integers(0, 20), seed=st.integers(0, 2**32 - 1))
def test_cooperation_levels_are_x_c_x(k, T, seed):
    rng = np.random.default_rng(seed)
    X = rng.dirichlet(np.ones(k), size=T) if T else np.empty((0, k))
    C = rng.uniform(0.0, 1.0, (k, k))
    np.testing.assert_allclose(cooperation_levels(X, C), np.einsum("ti,ij,tj->t", X, C, X),
                               rtol=1e-14, atol=1e-15)
