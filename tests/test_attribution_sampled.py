"""Sampled Shapley values: many differing fields, each share with its standard error.

The outcome v = 5 fine - 4 reward + 8 fine tax cost + cost conformity decomposes by hand: a
linear term is its field's own; a product of m fields, zero unless all are switched, is
shared equally (each of the m is last among them in 1/m of the orders). From the default
regime to fine = 2, reward = 3, tax = 0.25, cost = 1, conformity = 1: fine 10 + 4/3,
reward -12, tax 4/3, cost 4/3 + 1/2, conformity 1/2 (Shapley 1953). The three-way product
keeps the sampled estimate from being exact even with antithetic orders (a field in the
middle of the three in one order is in the middle in its reverse too).
"""

import numpy as np
import pandas as pd
import pytest

import evopolity as ep

A = ep.Regime(name="a")
B = ep.Regime(name="b", fine=2.0, reward=3.0, tax=0.25, cost=1.0, conformity=1.0)
EXACT = {"fine": 10 + 4 / 3, "reward": -12.0, "tax": 4 / 3, "cost": 4 / 3 + 0.5,
         "conformity": 0.5}


def outcome(r):
    return 5 * r.fine - 4 * r.reward + 8 * r.fine * r.tax * r.cost + r.cost * r.conformity


def test_exact_matches_the_hand_decomposition():
    at = ep.attribute(A, B, outcome)
    assert at.method == "exact" and at.samples == 0
    assert at.fields.shapley.to_dict() == pytest.approx(EXACT)
    assert (at.fields.se == 0).all()


def test_sampling_converges_to_the_exact_values():
    exact = pd.Series(EXACT)
    errors, ses = [], []
    for samples in (100, 1600):
        at = ep.attribute(A, B, outcome, method="sampled", samples=samples, seed=3)
        est, se = at.fields.shapley, at.fields.se
        assert at.method == "sampled" and at.samples == samples
        assert est.sum() == pytest.approx(at.total, abs=1e-12)  # every order adds up
        assert at.total == pytest.approx(3.0)
        assert ((est - exact[est.index]).abs() <= 4 * se + 1e-12).all()
        # the linear field's marginal is the same in every order: no error at all
        assert se["reward"] < 1e-12 and est["reward"] == pytest.approx(-12.0)
        assert (se[["fine", "tax", "cost"]] > 0).all()
        assert at.fields.share_se.to_numpy() == pytest.approx(se.to_numpy() / 3.0)
        errors.append((est - exact[est.index]).abs().max())
        ses.append(se[["fine", "tax", "cost"]].to_numpy())
    # the standard error falls as 1 / sqrt(samples): 16 times the orders, a quarter the error
    assert ses[1] == pytest.approx(ses[0] / 4, rel=0.35)
    assert errors[1] < 0.05
    again = ep.attribute(A, B, outcome, method="sampled", samples=1600, seed=3)
    pd.testing.assert_frame_equal(again.fields, at.fields)  # a seed repeats the estimate


def test_more_than_eight_fields_are_sampled_with_their_errors():
    many = ep.Regime(fine=1.0, detection=0.5, reward=1.0, tax=0.1, cost=1.0, conformity=1.0,
                     mutation=0.01, feedback=1.0, decay=0.1)
    weights = {"tax": 2.0, "cost": -1.0, "conformity": 0.5, "mutation": 10.0,
               "feedback": 0.25, "decay": 3.0}

    def v(r):
        return sum(w * getattr(r, f) for f, w in weights.items()) + \
            6 * r.fine * r.detection * r.reward

    at = ep.attribute(ep.Regime(), many, v, samples=400, seed=0)
    assert at.method == "sampled" and len(at.fields) == 9
    assert at.interactions.empty  # not estimated by sampling
    product = 6 * 1.0 * 0.5 * 1.0
    exact = {f: w * getattr(many, f) for f, w in weights.items()}
    exact.update({f: product / 3 for f in ("fine", "detection", "reward")})
    est, se = at.fields.shapley, at.fields.se
    for f, value in exact.items():
        assert abs(est[f] - value) <= 4 * se[f] + 1e-12, f
    assert (se[list(weights)] < 1e-12).all()
    assert (se[["fine", "detection", "reward"]] > 0).all()
    assert (se[["fine", "detection", "reward"]] < 0.2).all()  # the error it states
    assert est.sum() == pytest.approx(at.total, abs=1e-12)
    # every hybrid evaluated once (cached): at most the 2^9 subsets
    assert len(at.outcomes) <= 2**9
    assert np.isfinite(at.fields.alone).all()
