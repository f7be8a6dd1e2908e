"""The Wright-Fisher process (ep.wright_fisher, ep.wright_fisher_fixation): exact binomial
draws, one generation's law, neutral fixation and Kimura's diffusion approximation."""

import math

import numba
import numpy as np
import pytest

import evopolity as ep
from evopolity.kernels import wright_fisher as wf


@numba.njit
def _draws(n, p, m, seed):
    out = np.empty(m, np.int64)
    counter = np.uint64(seed)
    for i in range(m):
        out[i], counter = wf.binomial(n, p, counter)
    return out


@pytest.mark.parametrize("n, p", [(40, 0.35), (1000, 0.3), (100_000, 0.001), (5000, 0.97)])
def test_binomial_draws_follow_the_binomial_law(n, p):
    # chi-square goodness of fit against the binomial pmf (cells of expected count >= 5
    # pooled), below the Bernoulli threshold (40) and through Knuth's splitting above it
    stats = pytest.importorskip("scipy.stats")
    x = _draws(n, p, 40_000, 3)
    lo, hi = int(stats.binom.ppf(1e-6, n, p)), int(stats.binom.ppf(1 - 1e-6, n, p))
    support = np.arange(lo, hi + 1)
    expected = stats.binom.pmf(support, n, p) * x.size
    observed = np.array([(x == v).sum() for v in support], dtype=float)
    keep = expected >= 5
    o = np.append(observed[keep], observed[~keep].sum() + ((x < lo) | (x > hi)).sum())
    e = np.append(expected[keep], x.size - expected[keep].sum())
    stat = ((o - e) ** 2 / e).sum()
    assert stats.chi2.sf(stat, o.size - 1) > 1e-4, (stat, o.size)


def test_one_generation_has_the_multinomial_law():
    # k = 3, mutation 0.1, N = 10^6: fitness exp(w pi) with pi the mean payoff against the
    # N - 1 others; p'_i = 0.9 p_i + 0.1 (1 - p_i) / 2; each new frequency has mean p'_i and
    # standard deviation sqrt(p'_i (1 - p'_i) / N) (Ewens 2004)
    A = np.array([[1.0, 0.0, 2.0], [0.5, 1.5, 0.0], [0.0, 1.0, 1.0]])
    N, n0 = 10**6, np.array([200_000, 300_000, 500_000])
    w, mu = 0.8, 0.1
    pi = (A @ n0 - np.diag(A)) / (N - 1)
    p = n0 * np.exp(w * pi)
    p /= p.sum()
    p = (1 - mu) * p + mu * (1 - p) / 2
    sd = np.sqrt(p * (1 - p) / N)
    z = []
    for seed in range(20):
        tr = ep.wright_fisher(A, N, n0, 1, w, mu, seed=seed)
        x = tr.frequencies[-1]
        assert x.sum() == pytest.approx(1.0) and tr.info["generations"] == 1
        z.append((x - p) / sd)
    z = np.array(z)
    assert np.abs(z).max() < 5 and abs(z.mean()) < 4 / math.sqrt(20)
    assert 0.4 < z.std() < 1.6  # the sampling noise is there, with its binomial size


def test_neutral_fixation_is_the_initial_frequency():
    # without selection a type's frequency is a martingale: it fixes with probability x0
    # (Kimura 1962; Ewens 2004, eq. 1.53)
    game = [[1.0, 4.0], [2.0, 3.0]]  # payoffs do not matter at selection 0
    est = ep.wright_fisher_fixation(game, 50, 0.0, 20_000, seed=1, start=10)
    assert est.neutral == 0.2
    assert abs(est.probability - 0.2) < 4 * est.stderr
    assert est.fixation_time > est.absorption_time > 0


@pytest.mark.parametrize("start", [1, 10])
def test_weak_selection_against_kimuras_diffusion(start):
    # a type of constant fitness 1 + s (payoff ln(1 + s), selection 1) at frequency p fixes
    # with (1 - exp(-2 N s p)) / (1 - exp(-2 N s)) in the diffusion limit (Kimura 1962,
    # Genetics 47: 713): N = 100, s = 0.01 gives 0.0229 for one mutant (neutral 0.01) and
    # 0.2096 from 10 (neutral 0.1)
    N, s = 100, 0.01
    a = math.log(1 + s)
    est = ep.wright_fisher_fixation([[a, a], [0.0, 0.0]], N, 1.0, 20_000, seed=2 + start,
                                    start=start)  # fmt: skip
    p = start / N
    kimura = (1 - math.exp(-2 * N * s * p)) / (1 - math.exp(-2 * N * s))
    assert abs(est.probability - kimura) < 4 * est.stderr + 0.02 * kimura, (est, kimura)
    assert est.probability > p + 6 * est.stderr


def test_trajectory_counts_and_fixation():
    tr = ep.wright_fisher([[1.0, 2.0], [3.0, 1.0]], 40, [0.5, 0.5], 500, 1.0, seed=4)
    counts = tr.frequencies * 40
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-9)
    assert tr.info["fixated"] == (tr.frequencies[-1].max() == 1.0)
    again = ep.wright_fisher([[1.0, 2.0], [3.0, 1.0]], 40, [0.5, 0.5], 500, 1.0, seed=4)
    assert np.array_equal(again.frequencies, tr.frequencies)
    # mutation keeps both types and runs every generation
    mixed = ep.wright_fisher([[1.0, 2.0], [3.0, 1.0]], 40, [20, 20], 300, 1.0, 0.05, seed=5,
                             record_every=10)  # fmt: skip
    assert mixed.info["generations"] == 300 and len(mixed) == 31
    # the coexistence game (A = [[1, 2], [3, 1]]) holds the first type near 1/3
    assert abs(mixed.frequencies[10:, 0].mean() - 1 / 3) < 0.12


def test_same_seed_same_estimate_whatever_the_thread_count(two_thread_pool):
    runs = two_thread_pool("""
        for threads, seed in ((1, 5), (2, 5), (2, 6)):
            numba.set_num_threads(threads)
            est = ep.wright_fisher_fixation([[1.1, 1.1], [1.0, 1.0]], 30, 1.0, 2000, seed=seed)
            results[f"threads_{threads}_seed_{seed}"] = np.array(
                [est.probability, est.absorption_time])
    """)
    np.testing.assert_array_equal(runs["threads_1_seed_5"], runs["threads_2_seed_5"])
    assert not np.array_equal(runs["threads_2_seed_6"], runs["threads_2_seed_5"])


def test_parameters_are_checked_by_name():
    A = [[1.0, 0.0], [2.0, 1.0]]
    with pytest.raises(ValueError, match="N"):
        ep.wright_fisher(A, 1, [1, 0], 10)
    with pytest.raises(ValueError, match="x0"):
        ep.wright_fisher(A, 10, [3, 3], 10)
    with pytest.raises(ValueError, match="selection"):
        ep.wright_fisher(A, 10, [5, 5], 10, selection=1000)
    with pytest.raises(ValueError, match="mutation"):
        ep.wright_fisher(A, 10, [5, 5], 10, mutation=1.5)
    with pytest.raises(ValueError, match="start"):
        ep.wright_fisher_fixation(A, 10, start=10)
    with pytest.raises(ValueError, match="must differ"):
        ep.wright_fisher_fixation(A, 10, mutant=0, resident=0)
