"""Quasi-periodic motion (on a torus) is told from cycles, rest and chaos.

A constructed signal: a point of the simplex of three strategies turning at frequency 1 and
at frequency sqrt(2) (incommensurate: the orbit never closes) is quasi-periodic; the same
with frequencies 1 and 2 closes after 2 pi and is not.

A replicator system: two zero-sum rock--paper--scissors games side by side (a block-diagonal
payoff matrix, 0 between the blocks). Each block's mean payoff is 0 (x . A x = 0 for an
antisymmetric A), so the blocks' masses m1, m2 stay constant, and within each block the
relative frequencies follow rock--paper--scissors slowed by its mass: closed orbits of
periods near 2 pi sqrt(3) / m (Hofbauer & Sigmund 1998, 7.6-7.7). With m2 / m1 = sqrt(2)
the two rotations are incommensurate and the motion fills a torus; the time average of
each block is its barycentre, (m / 3, m / 3, m / 3).
"""

import numpy as np
import pytest

import evopolity as ep
from evopolity.dynamics.attractors import ATTRACTOR_KINDS, classify, quasi_periodic

RPS = np.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], dtype=float)
M1 = np.sqrt(2.0) - 1.0  # block masses: M2 / M1 = sqrt(2)
M2 = 1.0 - M1
TWO_BLOCKS = np.block([[RPS, np.zeros((3, 3))], [np.zeros((3, 3)), RPS]])
START = np.r_[M1 * np.array([0.4, 0.3, 0.3]), M2 * np.array([0.4, 0.3, 0.3])]


def turning(second):
    t = np.linspace(0.0, 1000.0, 4001)
    e1 = np.array([1.0, -1.0, 0.0]) / np.sqrt(2.0)
    e2 = np.array([1.0, 1.0, -2.0]) / np.sqrt(6.0)
    c1, s1 = np.cos(t)[:, None], np.sin(t)[:, None]
    c2, s2 = np.cos(second * t)[:, None], np.sin(second * t)[:, None]
    X = 1 / 3 + 0.1 * (c1 * e1 + s1 * e2) + 0.05 * (c2 * e2 + s2 * e1)
    return ep.Trajectory(t, X, ("a", "b", "c"))


def test_two_incommensurate_frequencies_are_quasi_periodic():
    assert "quasiperiodic" in ATTRACTOR_KINDS
    a = classify(turning(np.sqrt(2.0)))
    assert a.kind == "quasiperiodic" and a.settled
    assert a.point is None and a.period is None
    assert a.mean.to_numpy() == pytest.approx(np.full(3, 1 / 3), abs=2e-3)
    assert a.label().startswith("quasiperiodic: ")
    # commensurate frequencies: a closed orbit, whatever else it is called
    assert classify(turning(2.0)).kind != "quasiperiodic"


def test_two_rock_paper_scissors_blocks_fill_a_torus():
    tr = ep.replicator(TWO_BLOCKS, x0=START, t_max=2000, n_points=8001)
    assert tr.frequencies[-1, :3].sum() == pytest.approx(M1, abs=1e-9)  # masses conserved
    a = tr.attractor()
    assert a.kind == "quasiperiodic"
    assert a.lyapunov is None  # told from the spectrum, before any exponent is estimated
    expected = np.r_[np.full(3, M1 / 3), np.full(3, M2 / 3)]
    assert a.mean.to_numpy() == pytest.approx(expected, abs=5e-3)
    # a loose recurrence tolerance does not turn it into a cycle
    assert tr.attractor(cycle_tol=0.05).kind == "quasiperiodic"
    # one block alone is a cycle: the check does not take every orbit for a torus
    one = ep.replicator(RPS, x0=[0.4, 0.3, 0.3], t_max=500, n_points=2001).attractor()
    assert one.kind == "cycle"
    # settle stops at the torus instead of spending its budget
    _, att = ep.settle(TWO_BLOCKS, START, lyapunov=False)
    assert att.kind == "quasiperiodic"


def test_the_spectral_test_needs_a_long_enough_tail():
    t = np.linspace(0.0, 10.0, 41)  # under two turns of the slow rotation, few rows
    X = turning(np.sqrt(2.0)).frequencies[:41]
    assert not quasi_periodic(t, X)
