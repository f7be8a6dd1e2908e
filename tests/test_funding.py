"""Institutions the members fund (``funding="contributions"``), with and without second-order
sanctions, on a case worked by hand.

Always Cooperate and Always Defect on the prisoner's dilemma (R, S, T, P = 3, 0, 5, 1), a fine
``q F = 4`` on defection, an institution whose running cost at full strength is ``K = 1``, a
levy ``L = 1.5``. Crossed with {contributes, abstains} the four strategies are C+levy, D+levy,
C, D. Paying the levy changes nothing in play, so for either X,
``f(X+levy) - f(X) = -L + s q2 F2`` (the second-order fine falls on abstainers only), with
``s = min(1, L p / K)`` and ``p`` the share of contributors. Hence, without mutation, exactly
``dp/dt = p (1 - p) (-L + s(p) q2 F2)``:

* without second-order sanctions, ``p(t) = p0 e^{-L t} / (p0 e^{-L t} + 1 - p0)``: free-riding
  erodes the institution, ``s`` falls with ``p`` and defectors take over once ``q F s`` drops
  below what defection saves;
* with ``q2 F2 = 2``, contributors gain where ``s > L / (q2 F2) = 0.75``, i.e. ``p > K / (q2 F2)
  = 0.5``: from ``p0 = 0.8`` contributors take over and the institution holds at ``s = 1``
  (and cooperators win, ``q F = 4 > T - R``); from ``p0 = 0.3`` it erodes.
"""

import numpy as np
import pandas as pd
import pytest

import evopolity as ep
from evopolity.dynamics.fitness import fitness

A = pd.DataFrame([[3.0, 0.0], [5.0, 1.0]], index=["C", "D"], columns=["C", "D"])
COOP = [[1.0, 1.0], [0.0, 0.0]]
L, K = 1.5, 1.0


def regime(second_order=0.0):
    return ep.Regime(fine=4.0, detection=1.0, funding="contributions", cost=K, levy=L,
                     second_order=second_order)


def run(r, p0, t_max=20.0):
    x0 = [p0 / 2, p0 / 2, (1 - p0) / 2, (1 - p0) / 2]
    return ep.replicator(A, x0=x0, t_max=t_max, n_points=41, regime=r, cooperation=COOP,
                         stop_at_rest=False, rtol=1e-10, atol=1e-12)


def test_strategies_are_crossed_with_contributes_and_abstains():
    tr = run(regime(), 0.5, t_max=1.0)
    assert list(tr.wide().columns) == ["C+levy", "D+levy", "C", "D"]
    # a state over the bare strategies is split by initial_contributors
    tr2 = ep.replicator(A, x0=[0.5, 0.5], t_max=1.0, cooperation=COOP,
                        regime=regime().replace(initial_contributors=0.2))
    assert tr2.frequencies[0] == pytest.approx([0.1, 0.1, 0.4, 0.4])


def test_without_second_order_sanctions_free_riding_erodes_the_institution():
    p0 = 0.8
    tr = run(regime(), p0)
    p = tr.wide()[["C+levy", "D+levy"]].sum(axis=1).to_numpy()
    t = tr.times
    expected = p0 * np.exp(-L * t) / (p0 * np.exp(-L * t) + 1 - p0)
    np.testing.assert_allclose(p, expected, atol=1e-6)
    s = tr.macro["institution_strength"].to_numpy()
    np.testing.assert_allclose(s, np.minimum(1.0, L * p / K), atol=1e-9)
    assert s[0] == 1.0 and s[-1] < 1e-6
    assert tr.final()[["D", "D+levy"]].sum() > 0.99  # defectors take over


@pytest.mark.parametrize("p0, holds", [(0.8, True), (0.3, False)])
def test_with_second_order_sanctions_the_institution_can_hold(p0, holds):
    tr = run(regime(second_order=2.0), p0, t_max=40.0)
    p = tr.wide()[["C+levy", "D+levy"]].sum(axis=1).to_numpy()
    s = tr.macro["institution_strength"].to_numpy()
    if holds:  # above the threshold p* = K / (q2 F2) = 0.5
        assert p[-1] > 0.999 and s[-1] == 1.0
        assert tr.final()["C+levy"] > 0.99
    else:
        assert p[-1] < 1e-3 and s[-1] < 1e-2


def test_fitness_reads_the_levy_the_strength_and_the_second_order_fine():
    # x = (C+levy, D+levy, C, D) = (0.2, 0.2, 0.3, 0.3): p = 0.4, s = min(1, 1.5 * 0.4) = 0.6
    x = [0.2, 0.2, 0.3, 0.3]
    f = fitness(regime(second_order=2.0), A, COOP, x)
    # f_C = 3 x_C = 1.5; f_D = 5 * 0.5 + 1 * 0.5 - s q F = 3 - 2.4 = 0.6
    assert f.to_numpy() == pytest.approx([1.5 - L, 0.6 - L, 1.5 - 0.6 * 2.0, 0.6 - 0.6 * 2.0])


def test_funding_is_validated():
    with pytest.raises(ValueError, match="Regime.cost"):
        ep.Regime(funding="contributions", levy=1.0)
    with pytest.raises(ValueError, match="Regime.levy"):
        ep.Regime(levy=1.0)
    with pytest.raises(ValueError, match="Regime.funding"):
        ep.Regime(funding="taxes")
    with pytest.raises(ValueError, match="feedback"):
        ep.Regime(funding="fixed", feedback=1.0)
    with pytest.raises(ValueError, match="feedback or decay"):
        ep.Regime(funding="support")
    assert ep.Regime(feedback=1.0).funding_mode == "support"
    assert ep.Regime().funding_mode == "fixed"
    with pytest.raises(ValueError, match="contributions"):
        ep.moran(A, N=10, x0=[5, 5], generations=10, regime=regime(), cooperation=COOP, seed=1)


def test_evolve_crosses_the_strategies_and_records_what_the_institution_affords():
    r = ep.Regime(fine=3.0, detection=0.8, funding="contributions", cost=0.5, levy=1.0,
                  mutation=0.001)
    tr = ep.evolve(["Tit For Tat", "Defector"], r, turns=10, t_max=10,
                   shocks=[ep.Shock(5.0, "temptation", 6.0)])
    assert list(tr.wide().columns) == ["Tit For Tat+levy", "Defector+levy",
                                            "Tit For Tat", "Defector"]
    # share of contributors 1/2 at the start: s = min(1, 1.0 * 0.5 / 0.5) = 1, then eroding
    s = tr.macro["institution_strength"].to_numpy()
    assert s[0] == pytest.approx(1.0) and s[-1] < s[0]
