"""Ensembles over starts: the basins of a coordination game.

For the coordination game A = [[a, 0], [0, b]] (a, b > 0) the replicator
x' = x (1 - x) ((a + b) x - b) has the unstable mixed point x* = b / (a + b): a start with
x > x* goes to all-first, one with x < x* to all-second (Hofbauer & Sigmund 1998, 7.1). A start
uniform on the simplex of two strategies has x uniform on [0, 1] (Dirichlet(1, 1)), so the
first basin's measure is 1 - x* = a / (a + b).
"""

import numpy as np
import pandas as pd
import pytest

import evopolity as ep

A, B = 2.0, 1.0
GAME = pd.DataFrame([[A, 0.0], [0.0, B]], index=["a", "b"], columns=["a", "b"])
X_STAR = B / (A + B)


def test_coordination_game_two_basins_split_at_the_mixed_point():
    runs = ep.ensemble(GAME, n=300, seed=7, lyapunov=False)
    assert list(runs.columns) == ["start", "x0_a", "x0_b", "final_a", "final_b", "kind",
                                  "attractor", "period", "lyapunov", "t_total"]
    assert (runs.kind == "rest").all()
    above = runs.x0_a > X_STAR
    # every start on one side of x* reaches that side's corner
    assert runs.loc[above, "final_a"].to_numpy() == pytest.approx(1.0, abs=1e-6)
    assert runs.loc[~above, "final_b"].to_numpy() == pytest.approx(1.0, abs=1e-6)
    shares = ep.basins(runs)
    assert len(shares) == 2 and shares.sum() == pytest.approx(1.0)
    share_a = shares[runs.loc[above, "attractor"].iloc[0]]
    # the measure of x > x* under uniform starts: a / (a + b) = 2/3, within 4 binomial sigmas
    sigma = np.sqrt(2 / 9 / 300)
    assert abs(share_a - A / (A + B)) < 4 * sigma
    assert share_a == above.mean()


def test_given_starts_either_side_of_the_boundary():
    runs = ep.ensemble(GAME, starts=[[X_STAR - 0.01, 1 - X_STAR + 0.01],
                                     [X_STAR + 0.01, 1 - X_STAR - 0.01]], lyapunov=False)
    assert runs.final_a.round(6).tolist() == [0.0, 1.0]
    assert runs.attractor.nunique() == 2


def test_dirichlet_starts_crowd_the_barycentre():
    wide = ep.ensemble(GAME, "dirichlet", n=50, seed=3, alpha=0.2, lyapunov=False)
    tight = ep.ensemble(GAME, "dirichlet", n=50, seed=3, alpha=50.0, lyapunov=False)
    assert tight.x0_a.std() < wide.x0_a.std() / 3
    # from near (1/2, 1/2) > x* = 1/3 every start goes to the first corner
    assert (tight.final_a > 0.99).mean() > 0.95


def test_seeded_starts_repeat_and_rps_orbits_are_cycles():
    rps = [[0, -1, 1], [1, 0, -1], [-1, 1, 0]]
    a = ep.ensemble(rps, n=3, seed=1, lyapunov=False, t_max=100)
    b = ep.ensemble(rps, n=3, seed=1, lyapunov=False, t_max=100)
    pd.testing.assert_frame_equal(a, b)
    assert (a.kind == "cycle").all()
    assert (a.period > 2 * np.pi * np.sqrt(3) - 0.05).all()


def test_ensemble_refusals():
    with pytest.raises(ValueError, match="starts"):
        ep.ensemble(GAME, starts="grid")
    with pytest.raises(ValueError, match="starts"):
        ep.ensemble(GAME, starts=[[0.5, 0.6]])
    with pytest.raises(ValueError, match="alpha"):
        ep.ensemble(GAME, "dirichlet", alpha=-1.0)
    with pytest.raises(ValueError, match="runs"):
        ep.basins(pd.DataFrame())
