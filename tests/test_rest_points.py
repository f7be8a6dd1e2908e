"""Rest points of the replicator and their stability against closed forms.

Sources: Maynard Smith (1982) / Hofbauer & Sigmund (1998) 7.1 (Hawk--Dove: the mixed point
x_H = V / C is stable, with eigenvalue -V (C - V) / (2 C)); Hofbauer & Sigmund (1998) 7.7 and
Zeeman (1980) (rock--paper--scissors with win a, loss b: the interior point's eigenvalues are
(a w^2 - b w) / 3, w = exp(2 pi i / 3): real part (b - a) / 6, a centre for a = b); Hauert,
De Monte, Hofbauer & Sigmund (2002) Science 296: 1129 and J. theor. Biol. 218: 187 (the
optional public goods game: interior point Q with f = x / (x + y) = sigma / (r - 1) and
F(z) = 0, a centre surrounded by closed orbits).
"""

import math

import numpy as np
import pandas as pd
import pytest

import evopolity as ep
from evopolity.analysis.rest_points import stability_label


def test_hawk_dove_interior_point_and_its_eigenvalue():
    V, C = 2.0, 3.0
    rp = ep.rest_points([[(V - C) / 2, V], [0.0, V / 2]])
    assert len(rp) == 3
    mixed = rp[rp.support == 2].iloc[0]
    assert mixed["0"] == pytest.approx(V / C, abs=1e-14)
    # x' = x (1 - x) (V - C x) / 2, derivative at V / C: -V (C - V) / (2 C) = -1/3
    (lam,) = mixed.eigenvalues
    assert lam.real == pytest.approx(-V * (C - V) / (2 * C), rel=1e-12)
    assert mixed.stability == "stable"
    # corners: a rare dove earns V/2 - (V - C)/2 = C/2 more than hawks; a rare hawk V/2 more
    hawks, doves = rp.iloc[0], rp.iloc[1]
    assert hawks.transversal == pytest.approx(((C - V) / 2,))
    assert doves.transversal == pytest.approx((V / 2,))
    assert hawks.stability == doves.stability == "unstable"
    assert not hawks.saturated and mixed.saturated


def test_prisoners_dilemma_has_defection_as_only_stable_point():
    rp = ep.rest_points(ep.PrisonersDilemma())  # the one-shot stage game
    assert list(rp.columns[:2]) == ["C", "D"]
    assert rp.stability.tolist() == ["unstable", "stable"]
    assert rp.transversal.tolist() == [(5.0 - 3.0,), (0.0 - 1.0,)]  # T - R, S - P


@pytest.mark.parametrize("a, b", [(1.0, 1.0), (2.0, 1.0), (1.0, 2.0)])
def test_rock_paper_scissors_interior_eigenvalues(a, b):
    A = [[0, -b, a], [a, 0, -b], [-b, a, 0]]
    rp = ep.rest_points(pd.DataFrame(A, index=list("RPS"), columns=list("RPS")))
    assert list(rp.columns[:3]) == ["R", "P", "S"]
    assert len(rp) == 4  # three corners and the barycentre; no rest point on an edge
    inner = rp[rp.support == 3].iloc[0]
    assert inner[["R", "P", "S"]].to_numpy() == pytest.approx(np.full(3, 1 / 3), abs=1e-14)
    ev = sorted(inner.eigenvalues, key=lambda z: z.imag)
    assert [z.real for z in ev] == pytest.approx([(b - a) / 6] * 2, abs=1e-14)
    assert [z.imag for z in ev] == pytest.approx([-(a + b) * math.sqrt(3) / 6,
                                                  (a + b) * math.sqrt(3) / 6], rel=1e-12)
    expected = "centre" if a == b else "stable" if a > b else "unstable"
    assert inner.stability == expected
    # each corner: beaten by one strategy (+a... or +b) and beating the other: a saddle
    assert (rp[rp.support == 1].stability == "saddle").all()


def test_optional_public_goods_interior_point_is_a_centre():
    n, r, sigma = 5, 3.0, 1.0
    rp = ep.rest_points(ep.public_goods(group_size=n, r=r, sigma=sigma))
    inner = rp[rp.support == 3]
    assert len(inner) == 1
    q = inner.iloc[0]

    def F(z):  # P_D - P_C (Hauert et al. 2002, J. theor. Biol.)
        return 1 + (r - 1) * z ** (n - 1) - (r / n) * (1 - z**n) / (1 - z)

    z = q["loner"]
    assert F(z) == pytest.approx(0.0, abs=1e-10)
    assert z == pytest.approx(0.461340, abs=1e-6)
    assert q["cooperator"] / (q["cooperator"] + q["defector"]) == pytest.approx(
        sigma / (r - 1), abs=1e-9)
    # linearising df/dt = -f(1-f)F(z), dz/dt = -z(1-z)(1-z^(n-1))((r-1)f - sigma) at Q:
    # eigenvalues +-i omega, omega^2 = -f(1-f) F'(z) z(1-z)(1-z^(n-1)) (r-1)
    h = 1e-6
    dF = (F(z + h) - F(z - h)) / (2 * h)
    f = 0.5
    omega = math.sqrt(-f * (1 - f) * dF * z * (1 - z) * (1 - z ** (n - 1)) * (r - 1))
    ev = sorted(q.eigenvalues, key=lambda v: v.imag)
    assert [abs(v.real) for v in ev] == pytest.approx([0, 0], abs=1e-8)
    assert [v.imag for v in ev] == pytest.approx([-omega, omega], rel=1e-6)
    assert q.stability == "centre"
    # the loners' corner is non-hyperbolic (every rare strategy earns sigma: both zero)
    loners = rp[(rp.support == 1) & (rp.loner == 1.0)].iloc[0]
    assert loners.transversal == pytest.approx((0.0, 0.0))
    assert loners.stability == "degenerate"


def test_group_game_of_two_strategies_matches_its_matrix_game():
    A = [[3.0, 0.0], [5.0, 1.0]]  # a 2-player group game is the matrix game
    sd = [[3.0, 1.0], [4.0, 0.0]]  # snowdrift: interior stable at x = 1/2
    for M in (A, sd):
        by_matrix = ep.rest_points(M)
        by_group = ep.rest_points(ep.GroupGame.from_matrix(M))
        assert len(by_matrix) == len(by_group)
        assert by_group.iloc[:, :2].to_numpy() == pytest.approx(
            by_matrix.iloc[:, :2].to_numpy(), abs=1e-9)
        assert by_group.stability.tolist() == by_matrix.stability.tolist()


def test_stability_labels():
    assert stability_label([-1, -2]) == "stable"
    assert stability_label([1, 2]) == "unstable"
    assert stability_label([1, -2]) == "saddle"
    assert stability_label([1j, -1j]) == "centre"
    assert stability_label([0.0, -1.0]) == "degenerate"
    assert stability_label([]) == "stable"


def test_refusals():
    with pytest.raises(ValueError, match="payoffs must have at most 12"):
        ep.rest_points(np.zeros((13, 13)))
    with pytest.raises(ValueError, match="starts"):
        ep.rest_points([[1, 0], [0, 1]], starts=1)
    with pytest.raises(TypeError, match="regime"):
        ep.rest_points([[1, 0], [0, 1]], regime="laissez")
    with pytest.warns(UserWarning, match="continuum"):
        ep.rest_points(np.ones((2, 2)))
