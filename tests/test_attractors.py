"""Attractor classification of trajectories, the largest Lyapunov exponent, settle.

Sources: Hofbauer & Sigmund (1998) 7.1 (Hawk--Dove converges to V / C) and 7.6-7.7 (zero-sum
rock--paper--scissors: closed orbits around the barycentre, whose time averages equal it;
near the centre the period tends to 2 pi / omega, omega = 1 / sqrt(3), the imaginary part of
the linearisation's eigenvalues); Arneodo, Coullet & Tresser (1980) Phys. Lett. A 79: 259 and
Skyrms (1992) PSA 2: 374 (a three-species Lotka--Volterra system with a strange attractor near
mu = 1.5, periodic at mu = 1.3), carried to a four-strategy replicator by Hofbauer's
equivalence (1981: y_i = x_i / x_4 turns the replicator with a zero last row into
Lotka--Volterra with r_i = A_i4, a_ij = A_ij); Benettin et al. (1980) for the exponent.
"""

import math

import numpy as np
import pytest

import evopolity as ep
from evopolity.dynamics.attractors import classify


def act(mu):
    """The Arneodo--Coullet--Tresser Lotka--Volterra system as a 4-strategy replicator."""
    return np.array([[-0.5, -0.5, -0.1, 1.1],
                     [0.5, 0.1, -0.1, -0.5],
                     [-mu, -0.1, -0.1, mu + 0.2],
                     [0.0, 0.0, 0.0, 0.0]])


ACT_START = np.array([0.5, 0.3, 0.2, 1.0]) / 2.0  # LV state (0.5, 0.3, 0.2)

RPS = [[0, -1, 1], [1, 0, -1], [-1, 1, 0]]


def test_hawk_dove_is_at_rest_at_v_over_c():
    tr = ep.replicator([[-0.5, 2.0], [0.0, 1.0]], x0=[0.1, 0.9], t_max=200)
    a = tr.attractor()
    assert a.kind == "rest" and a.settled
    assert a.point.iloc[0] == pytest.approx(2 / 3, abs=1e-7)
    assert a.period is None and a.lyapunov is None
    assert a.label() == "rest: 0=0.67 1=0.33"


def test_rest_without_the_integrator_saying_so():
    # rk4 with stop_at_rest off: the rows themselves show the rest
    tr = ep.replicator([[-0.5, 2.0], [0.0, 1.0]], x0=[0.1, 0.9], t_max=300,
                       integrator="rk4", stop_at_rest=False)
    assert tr.info["status"] == "done"
    assert tr.attractor().kind == "rest"


def test_zero_sum_rps_is_a_cycle_with_the_linearised_period_near_the_centre():
    tr = ep.replicator(RPS, x0=[0.34, 0.33, 0.33], t_max=200, n_points=4001)
    a = tr.attractor()
    assert a.kind == "cycle"
    assert a.period == pytest.approx(2 * math.pi * math.sqrt(3), rel=2e-3)
    # the time average over whole periods is the interior rest point
    assert a.mean.to_numpy() == pytest.approx(np.full(3, 1 / 3), abs=1e-4)
    far = ep.replicator(RPS, x0=[0.5, 0.3, 0.2], t_max=100, n_points=2001).attractor()
    assert far.kind == "cycle"
    assert far.period > a.period  # larger orbits are slower (they pass near the corners)
    assert far.mean.to_numpy() == pytest.approx(np.full(3, 1 / 3), abs=1e-3)


def test_act_replicator_is_chaotic_with_a_positive_exponent():
    tr = ep.replicator(act(1.5), x0=ACT_START, t_max=3000, n_points=12001)
    a = tr.attractor(seed=1)
    assert a.kind == "chaos"
    assert 0.004 < a.lyapunov < 0.02  # about 0.008 per unit of replicator time
    # the estimate does not depend on the first perturbation beyond its error
    b = tr.attractor(seed=2)
    assert b.lyapunov == pytest.approx(a.lyapunov, abs=1.5e-3)


def test_act_below_the_cascade_is_a_cycle():
    tr = ep.replicator(act(1.3), x0=ACT_START, t_max=3000, n_points=12001)
    a = tr.attractor()
    assert a.kind == "cycle"
    assert 100 < a.period < 200


def test_lyapunov_exponent_of_a_stable_point_is_its_eigenvalue():
    # Hawk-Dove near V/C: perturbations shrink at the eigenvalue -V (C - V) / (2 C) = -1/3
    lam = ep.lyapunov_exponent([[-0.5, 2.0], [0.0, 1.0]], [2 / 3, 1 / 3], t=20, seed=0)
    assert lam == pytest.approx(-1 / 3, rel=1e-3)
    # on a neutral orbit of zero-sum RPS: no exponential growth
    lam = ep.lyapunov_exponent(RPS, [0.5, 0.3, 0.2], t=2000, seed=0)
    assert abs(lam) < 3e-3


def test_slow_spiral_is_unsettled_then_settle_runs_it_to_rest():
    A = [[0, -1, 1.05], [1.05, 0, -1], [-1, 1.05, 0]]  # a > b: a weakly stable focus
    short = ep.replicator(A, x0=[0.5, 0.3, 0.2], t_max=50, n_points=501)
    a = short.attractor(lyapunov=False)
    assert a.kind == "unsettled" and not a.settled
    tr, att = ep.settle(A, [0.5, 0.3, 0.2], t_max=50, budget=20_000)
    assert att.kind == "rest"
    assert att.point.to_numpy() == pytest.approx(np.full(3, 1 / 3), abs=1e-5)
    assert tr.info["t_total"] > 50 and tr.times[0] > 0


def test_settle_within_budget_reports_unsettled():
    A = [[0, -1, 1.05], [1.05, 0, -1], [-1, 1.05, 0]]
    tr, att = ep.settle(A, [0.5, 0.3, 0.2], t_max=20, budget=40, lyapunov=False)
    assert att.kind == "unsettled"
    assert tr.info["t_total"] == pytest.approx(40)


def test_settle_carries_a_coevolving_institution():
    regime = ep.Regime(fine=2.0, detection=1.0, feedback=1.0, decay=0.5, initial_strength=0.5)
    C = [[1, 1], [0, 0]]
    tr, att = ep.settle([[3, 0], [5, 1]], [0.5, 0.5], regime=regime, cooperation=C,
                        t_max=10, budget=2000)
    assert att.settled
    assert tr.macro is not None


def test_classify_refusals():
    tr = ep.replicator(RPS, t_max=10)
    with pytest.raises(TypeError, match="trajectory"):
        classify("x")
    with pytest.raises(ValueError, match="tail"):
        tr.attractor(tail=0.0)
    with pytest.raises(ValueError, match="budget"):
        ep.settle(RPS, t_max=10, budget=5)
