"""Cooperation, diversity and resilience measures against hand-computed values."""

import math

import numpy as np
import pandas as pd
import pytest

import evopolity as ep
from evopolity.analysis import metrics
from evopolity.dynamics.trajectory import Trajectory


def test_entropy_and_hill_numbers_of_known_distributions():
    uniform = np.full(4, 0.25)
    assert metrics.shannon_entropy(uniform) == pytest.approx(math.log(4))
    for q in (0, 1, 2, 3.5):
        assert metrics.hill_number(uniform, q) == pytest.approx(4.0)
    x = np.array([0.5, 0.25, 0.25, 0.0])
    h = -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25))
    assert metrics.shannon_entropy(x) == pytest.approx(h)
    assert metrics.hill_number(x, 0) == 3.0
    assert metrics.hill_number(x, 1) == pytest.approx(math.exp(h))
    assert metrics.hill_number(x, 2) == pytest.approx(1 / (0.25 + 0.0625 + 0.0625))
    assert metrics.shannon_entropy(np.array([1.0, 0.0])) == 0.0


def test_cooperation_level_is_x_c_x():
    C = np.array([[1.0, 0.2], [0.6, 0.0]])
    tr = Trajectory([0.0, 1.0], [[1.0, 0.0], [0.5, 0.5]], ["a", "b"])
    level = metrics.cooperation(tr, C)
    # state 2: 0.25 * (1 + 0.2 + 0.6 + 0) = 0.45
    assert level.to_list() == pytest.approx([1.0, 0.45])
    with pytest.raises(ValueError, match="carries no cooperation matrix"):
        metrics.cooperation(tr)


def test_resilience_of_a_constructed_series():
    t = np.arange(0, 11.0)
    v = [0.8, 0.8, 0.8, 0.3, 0.5, 0.7, 0.77, 0.79, 0.8, 0.8, 0.8]
    r = metrics.resilience(pd.Series(v, index=t), shock_time=3.0, tolerance=0.05)
    assert r["pre_shock"] == 0.8 and r["minimum"] == 0.3
    assert r["drop"] == pytest.approx(0.5)
    assert r["recovered"] is True
    assert r["recovery_time"] == 3.0  # within 0.05 from t = 6 on
    never = metrics.resilience(pd.Series([0.8, 0.8, 0.1, 0.1], index=[0, 1, 2, 3.0]), 2.0)
    assert never["recovered"] is False and math.isnan(never["recovery_time"])
    with pytest.raises(ValueError, match="inside the series"):
        metrics.resilience(pd.Series(v, index=t), shock_time=-1.0)


def test_summary_of_a_regime_run():
    t = ep.tournament(["Tit For Tat", "Defector", "Cooperator"], turns=50, seed=1)
    # carrot-then-stick: a co-evolving institution (institution_strength in the macro frame)
    # whose fines (norm "any", burned) act on the expected payoffs of a bare tournament
    tr = ep.replicator(t, t_max=50, regime=ep.regimes.carrot_then_stick())
    row = metrics.summary(tr)
    x = tr.frequencies[-1]
    C = t.cooperation.to_numpy()
    assert row["cooperation"] == pytest.approx(x @ C @ x)
    assert row["mean_payoff"] == pytest.approx(x @ t.payoffs.to_numpy() @ x)
    assert row["institution_strength"] == tr.macro["institution_strength"].iloc[-1]
    # Hill numbers of the final state, written out (Jost 2006): q = 0 counts the strategies
    # above the 0.1% threshold, q = 1 is exp of the Shannon entropy, q = 2 is 1 / sum x^2
    present = x[x > 0]
    assert row["richness"] == np.count_nonzero(x > 1e-3)
    assert row["entropy"] == pytest.approx(-(present * np.log(present)).sum())
    assert row["effective_number"] == pytest.approx(np.exp(-(present * np.log(present)).sum()))
    assert row["inverse_simpson"] == pytest.approx(1.0 / (x * x).sum())


def test_a_strategy_and_its_levy_paying_version_count_as_one_way_of_playing():
    # a funded institution crosses the strategies with {pays, abstains}: diversity is over
    # ways of playing, so splitting TFT between payers and abstainers adds nothing
    names = ["TFT+levy", "ALLD+levy", "TFT", "ALLD"]
    x = np.array([[0.3, 0.0, 0.7, 0.0], [0.25, 0.25, 0.25, 0.25]])
    folded = ep.metrics.behaviours(x, names)
    np.testing.assert_allclose(folded, [[1.0, 0.0], [0.5, 0.5]])
    tr = ep.Trajectory([0.0, 1.0], x, names)
    d = ep.metrics.diversity(tr, threshold=1e-6)
    assert list(d["richness"]) == [1.0, 2.0]
    assert d["effective_number"].iloc[1] == pytest.approx(2.0)
    # names that are not a crossing are left alone
    plain = ["A+levy", "B", "A", "C"]
    np.testing.assert_array_equal(ep.metrics.behaviours(x, plain), x)
