"""Finite-population simulations agree with the closed forms and are reproducible.

Sources: Nowak et al. (2004) Nature 428:646 (Moran fixation of a single mutant; the N=4
example is 8/45, worked in tests/test_analytical.py); Traulsen, Nowak & Pacheco (2006)
PRE 74:011909 (Fermi fixation; beta = 0 gives 1/N). Simulated frequencies must fall within
four binomial standard errors of the analytical probability.
"""

import math

import numpy as np
import pytest

from evopolity.dynamics.analytical import fixation_probability, stationary_distribution
from evopolity.dynamics.finite import moran, pairwise_comparison


def fixation_frequency(simulate, A, N, runs, **kw):
    fixed = 0
    for seed in range(runs):
        tr = simulate(A, N, [1, N - 1], 10**6, seed=seed, **kw)
        assert tr.info["fixated"]
        fixed += tr.info["winner"] == "0"
    return fixed / runs


def within_binomial_bound(freq, p, runs, z=4.0):
    return abs(freq - p) <= z * math.sqrt(p * (1 - p) / runs)


def test_moran_n4_fixation_frequency_is_8_over_45():
    # Nowak et al.'s example is for the linear fitness 1 - w + w pi
    runs = 6000
    freq = fixation_frequency(moran, [[1, 2], [3, 1]], 4, runs, selection=1.0,
                              fitness_map="linear")
    assert within_binomial_bound(freq, 8 / 45, runs)


@pytest.mark.parametrize(
    "simulate, rule, s, A, N, kw",
    [
        (moran, "moran", 0.5, [[3.0, 0.0], [5.0, 1.0]], 10, {}),  # PD: cooperators rarely fix
        (moran, "moran", 0.5, [[3.0, 0.0], [5.0, 1.0]], 10, {"fitness_map": "linear"}),
        (moran, "moran", 1.0, [[1.5, 1.5], [1.0, 1.0]], 12, {"fitness_map": "linear"}),  # r=1.5
        (moran, "moran", 0.4, [[-5.0, 2.0], [-3.0, -4.0]], 10, {}),  # exp(w pi): any sign
        (pairwise_comparison, "fermi", 1.0, [[1.0, 3.0], [2.0, 1.0]], 10, {}),  # snowdrift-like
        (pairwise_comparison, "fermi", 0.3, [[4.0, 0.0], [3.0, 2.0]], 15, {}),  # stag hunt
    ],
)
def test_simulated_fixation_agrees_with_the_closed_form(simulate, rule, s, A, N, kw):
    runs = 4000
    freq = fixation_frequency(simulate, A, N, runs, selection=s, **kw)
    p = fixation_probability(A, N, rule, s, **kw)
    assert within_binomial_bound(freq, p, runs)


def test_fermi_at_beta_zero_fixes_with_one_over_n():
    # Traulsen et al. (2006): neutral imitation, rho = 1/N.
    runs, N = 4000, 8
    freq = fixation_frequency(pairwise_comparison, [[5.0, 0.0], [1.0, 3.0]], N, runs,
                              selection=0.0)
    assert within_binomial_bound(freq, 1 / N, runs)


def test_long_run_with_mutation_matches_the_full_chain():
    A = np.array([[3.0, 0.5, 2.0], [4.0, 1.0, 0.5], [2.5, 2.0, 1.5]])
    N, beta, mu = 20, 0.5, 0.05
    expected = stationary_distribution(A, N, "fermi", beta, mutation=mu).to_numpy()
    tr = pairwise_comparison(A, N, [7, 7, 6], 4_000_000, selection=beta, mutation=mu, seed=1,
                             record_every=100)
    observed = tr.frequencies[len(tr) // 10 :].mean(axis=0)
    assert np.abs(expected - 1 / 3).max() > 0.05  # the expectation is not the neutral one
    np.testing.assert_allclose(observed, expected, atol=0.015)
    assert not tr.info["fixated"] or tr.params["mutation"] > 0


def test_same_seed_same_trajectory_and_different_seeds_differ():
    A = [[1.0, 3.0], [2.0, 1.0]]
    a = moran(A, 50, [25, 25], 5000, mutation=0.01, seed=7)
    b = moran(A, 50, [25, 25], 5000, mutation=0.01, seed=7)
    c = moran(A, 50, [25, 25], 5000, mutation=0.01, seed=8)
    np.testing.assert_array_equal(a.frequencies, b.frequencies)
    assert not np.array_equal(a.frequencies, c.frequencies)
    assert a.params["seed"] == 7


def test_trajectory_records_counts_over_n_and_stops_at_fixation():
    tr = moran([[1.0, 2.0], [3.0, 1.0]], 10, [0.5, 0.5], 100_000, seed=3, record_every=10)
    assert tr.frequencies.shape[1] == 2
    np.testing.assert_allclose(tr.frequencies.sum(axis=1), 1.0)
    np.testing.assert_allclose(tr.frequencies * 10, np.round(tr.frequencies * 10), atol=1e-12)
    assert tr.info["fixated"]
    assert tr.times[-1] == 100_000 and tr.times[1] == 10
    # after fixation the state stays put
    fixed_at = tr.info["generations"]
    after = tr.frequencies[tr.times >= fixed_at]
    assert np.all(after == after[-1]) and after[-1].max() == 1.0


def test_counts_or_frequencies_as_initial_state():
    A = [[1.0, 2.0], [3.0, 1.0]]
    a = pairwise_comparison(A, 10, [3, 7], 100, seed=1)
    b = pairwise_comparison(A, 10, [0.3, 0.7], 100, seed=1)
    c = pairwise_comparison(A, 10, {"1": 7, "0": 3}, 100, seed=1)
    np.testing.assert_array_equal(a.frequencies, b.frequencies)
    np.testing.assert_array_equal(a.frequencies, c.frequencies)
    assert a.frequencies[0].tolist() == [0.3, 0.7]


@pytest.mark.parametrize(
    "kw, err, match",
    [
        ({"x0": [0.25, 0.75]}, ValueError, "whole numbers"),
        ({"x0": [3, 3]}, ValueError, "counts summing to N"),
        ({"N": 1}, ValueError, "N must be >= 2"),
        ({"selection": 1.5, "fitness_map": "linear"}, ValueError,
         r"selection must lie in \[0, 1\] for fitness_map='linear'"),
        ({"selection": -0.5}, ValueError, "selection must be"),
        ({"fitness_map": "logistic"}, ValueError, "fitness_map must be one of"),
        ({"mutation": 2.0}, ValueError, r"mutation must be a probability in \[0, 1\]"),
        ({"seed": -1}, ValueError, "seed must be a non-negative integer"),
        ({"generations": -5}, ValueError, "generations must be >= 0"),
    ],
)
def test_invalid_arguments_are_refused(kw, err, match):
    args = {"payoffs": [[1.0, 2.0], [3.0, 1.0]], "N": 10, "x0": [5, 5], "generations": 10}
    args.update(kw)
    with pytest.raises(err, match=match):
        moran(**args)


def test_moran_refuses_nonpositive_linear_fitness_and_takes_any_payoff_exponentially():
    with pytest.raises(ValueError, match="non-positive Moran fitness"):
        moran([[-2.0, 0.0], [1.0, 0.0]], 10, [5, 5], 10, selection=1.0, fitness_map="linear")
    tr = moran([[-2.0, 0.0], [1.0, 0.0]], 10, [5, 5], 10, selection=1.0, seed=1)
    assert tr.params["fitness_map"] == "exponential"
    # exp(w pi) sees payoff differences only: the same run with every payoff shifted
    shifted = moran([[98.0, 100.0], [101.0, 100.0]], 10, [5, 5], 10, selection=1.0, seed=1)
    np.testing.assert_array_equal(tr.frequencies, shifted.frequencies)


@pytest.mark.parametrize("rule", ["moran", "linear", "fermi"])
def test_fast_event_loop_matches_the_general_one_bit_for_bit(rule):
    # without a regime the kernel runs its own loop (payoffs of two types per Fermi event,
    # Moran fitnesses kept until the counts change); the general loop, which a regime uses,
    # must give the same trajectory from the same draws
    from evopolity.kernels import codes
    from evopolity.kernels import finite as fk

    code = {"moran": codes.MORAN_EXP, "linear": codes.MORAN, "fermi": codes.FERMI}[rule]
    A = np.array([[1.0, 0.2, 1.4], [1.3, 0.7, 0.4], [0.6, 1.1, 0.9]])
    # payoffs far apart under exp(w pi): fitnesses below the smallest normal double, flushed
    A_far = A * (800.0 if rule == "moran" else 1.0)
    for M, mu, stop in ((A, 0.05, False), (A_far, 0.0, True)):
        pts = np.r_[np.arange(0, 3000, 7), 3000].astype(np.int64)
        runs = []
        for general in (False, True):
            out, macro = np.empty((pts.size, 3)), np.empty(pts.size)
            args = (code, M, 30, np.array([10, 10, 10]), 0.5, mu, pts, stop, np.uint64(99), out)
            if general:
                ret = fk.simulate(*args, codes.LINEAR, np.zeros(0), 1.0, macro)
            else:
                ret = fk.simulate_bare(*args, 1.0, macro)
            runs.append((ret, out))
        assert runs[0][0] == runs[1][0]
        np.testing.assert_array_equal(runs[0][1], runs[1][1])
        assert len(set(np.rint(runs[0][1][:, 0]))) > 3  # the counts moved
