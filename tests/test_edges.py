"""Edges of the range: tiny ``prob_end``, a mutant that is no mutant, overflowing payoffs."""

import numpy as np
import pytest

import evopolity as ep
from evopolity.dynamics.analytical import fixation_probability, gradient_of_selection

R, S, T, P = 3.0, 0.0, 5.0, 1.0
NAMES = ["Tit For Tat", "Win-Stay Lose-Shift", "Grudger"]
NOISE = 0.05
# the whole range of the issue: 1e-18 (below the spacing of doubles at 1, where 1 - p
# rounds to 1) to 0.5
PROB_ENDS = [10.0**-k for k in range(18, 0, -1)] + [0.5]


def chain(a, b, noise):
    """Product chain of two automata built here, independently of the kernels: the dense
    transition matrix over all ``n_a n_b`` pairs of states, the expected stage payoffs of
    ``a`` and of ``b`` in each, and the initial distribution."""
    na, nb = a.n_states, b.n_states
    n = na * nb
    Pm = np.zeros((n, n))
    ra = np.zeros(n)
    rb = np.zeros(n)
    game = np.array([[R, S], [T, P]])
    for sa in range(na):
        for sb in range(nb):
            s = sa * nb + sb
            qa = a.p_coop[sa] * (1 - 2 * noise) + noise
            qb = b.p_coop[sb] * (1 - 2 * noise) + noise
            for x, px in ((0, qa), (1, 1 - qa)):
                for y, py in ((0, qb), (1, 1 - qb)):
                    t = a.next_state[sa, x, y] * nb + b.next_state[sb, y, x]
                    Pm[s, t] += px * py
                    ra[s] += px * py * game[x, y]
                    rb[s] += px * py * game[y, x]
    pi0 = np.zeros(n)
    pi0[a.initial_state * nb + b.initial_state] = 1.0
    return Pm, ra, rb, pi0


def truncated_sum(Pm, r, pi0, p):
    """``p sum_{t<T} (1-p)^t pi0 P^t r`` with ``(1-p)^T < 1e-18``, summed by doubling:
    ``S_{2T} = S_T + (dP)^T S_T``."""
    d = 1.0 - p
    M = d * Pm  # (dP)^T
    acc = np.eye(len(r))  # S_1
    T = 1
    while d**T > 1e-18:
        acc = acc + M @ acc
        M = M @ M
        T *= 2
    return p * pi0 @ acc @ r


def payoffs(**kw):
    return ep.tournament(NAMES, method="exact", noise=NOISE, **kw).payoffs


@pytest.fixture(scope="module")
def limit():
    """The limit of means L of each pair and K = sum_t |pi0 P^t r - L| (see below)."""
    L = payoffs(turns=None)
    lib = {n: ep.library.get(n) for n in NAMES}
    K = {}
    for a in NAMES:
        for b in NAMES:
            Pm, ra, _, pi0 = chain(lib[a], lib[b], NOISE)
            total, dist = 0.0, pi0.copy()
            for _ in range(5000):
                term = abs(dist @ ra - L.loc[a, b])
                total += term
                dist = dist @ Pm
            # the terms decay geometrically down to rounding (a wrong L would leave |error|)
            assert term < 1e-11, (a, b, term)
            K[a, b] = total
    return L, K


@pytest.mark.parametrize("p", PROB_ENDS)
def test_geometric_matches_meet_the_limit_of_means(p, limit):
    # With L = lim pi0 P^t r, the geometric per-turn payoff is
    #   p sum_t (1-p)^t pi0 P^t r = L + p sum_t (1-p)^t (pi0 P^t r - L),
    # so |v(p) - L| <= p K, K = sum_t |pi0 P^t r - L| (finite: noise makes the chains
    # aperiodic). The issue measured errors of 2e-4 at 1e-12, 0.023 at 1e-14, 1.46 at 1e-16
    # and an exception from 1e-17.
    L, K = limit
    got = payoffs(turns=None, prob_end=p)
    for a in NAMES:
        for b in NAMES:
            v = got.loc[a, b]
            assert np.isfinite(v)
            assert abs(v - L.loc[a, b]) <= p * K[a, b] + 1e-13, (a, b, v, L.loc[a, b])


@pytest.mark.parametrize("p", [p for p in PROB_ENDS if p >= 1e-6])
def test_geometric_matches_equal_the_truncated_sum(p):
    got = payoffs(turns=None, prob_end=p)
    lib = {n: ep.library.get(n) for n in NAMES}
    for a in NAMES:
        for b in NAMES:
            Pm, ra, _, pi0 = chain(lib[a], lib[b], NOISE)
            # the reference's own rounding: repeated squaring of P to (dP)^T, T ~ 41 / p, can
            # grow a rounding error as T eps (measured 1.6e-10 relative at p = 1e-6)
            want = truncated_sum(Pm, ra, pi0, p)
            assert got.loc[a, b] == pytest.approx(want, rel=1e-12 + 1e-14 / p)


@pytest.mark.parametrize("p", PROB_ENDS)
def test_tft_vs_alld_geometric_closed_form_over_the_whole_range(p):
    # TFT loses S once then both defect: per turn (1 - p) P + p S and (1 - p) P + p T.
    t = ep.tournament(["Tit For Tat", "Defector"], method="exact", turns=None, prob_end=p)
    assert t.payoffs.loc["Tit For Tat", "Defector"] == pytest.approx(
        (1 - p) * P + p * S, rel=1e-14
    )
    assert t.payoffs.loc["Defector", "Tit For Tat"] == pytest.approx(
        (1 - p) * P + p * T, rel=1e-14
    )


@pytest.mark.parametrize("p", [1e-18, 1e-16, 1e-9])
def test_tft_vs_wsls_tiny_prob_end_is_the_limit_2_25(p):
    # the limit of means of TFT against WSLS is 2.25 for any noise (test_exact);
    # |v - 2.25| <= p K with K < 1e3 (the fixture's K is about 26 at noise 0.05)
    t = ep.tournament(NAMES[:2], method="exact", noise=NOISE, turns=None, prob_end=p)
    off = t.payoffs.to_numpy()[[0, 1], [1, 0]]
    np.testing.assert_allclose(off, 2.25, rtol=0, atol=1e3 * p + 1e-13)


A2 = [[1.0, 2.0], [3.0, 1.0]]


@pytest.mark.parametrize("mutant, resident", [(0, 0), (1, 1), ("a", "a"), (0, "a")])
def test_fixation_probability_refuses_a_mutant_that_is_the_resident(mutant, resident):
    A = ep.dynamics.analytical.pd.DataFrame(A2, index=["a", "b"], columns=["a", "b"])
    with pytest.raises(ValueError, match="mutant.*resident"):
        fixation_probability(A, 4, mutant=mutant, resident=resident)


def test_gradient_of_selection_refuses_a_mutant_that_is_the_resident():
    with pytest.raises(ValueError, match="mutant=1 and resident=1"):
        gradient_of_selection(A2, 4, mutant=1, resident=1)


def test_fixation_probability_of_distinct_strategies_still_nowak_2004():
    # Nowak et al. 2004: rho = 8/45 for A = [[1, 2], [3, 1]], N = 4, w = 1
    assert fixation_probability(A2, 4, fitness_map="linear") == pytest.approx(8 / 45, rel=1e-13)


@pytest.mark.parametrize("rule, selection", [("fermi", 1.0), ("moran", 1e-300)])
def test_overflowing_payoffs_are_refused_never_nan(rule, selection):
    # N * max|payoff| overflows a double: the sums inside become inf and inf - inf = nan
    with pytest.raises(ValueError, match="overflow a double"):
        fixation_probability([[0, 0], [0, 8.99e307]], N=4, rule=rule, selection=selection)
    with pytest.raises(ValueError, match="overflow a double"):
        ep.fixation_matrix([[0, 0], [0, 8.99e307]], N=4, rule=rule, selection=selection)


def test_large_payoffs_below_overflow_are_fermi_scale_invariant():
    # Fermi depends on selection x payoff differences only: (A / c, beta c) is the same process
    A = np.array([[1.0, 2.0], [3.0, 1.0]])
    c = 1e300
    want = fixation_probability(A, 4, "fermi", 0.5)
    got = fixation_probability(A * c, 4, "fermi", 0.5 / c)
    assert np.isfinite(got)
    assert got == pytest.approx(want, rel=1e-12)
