"""Shocks applied between segments, and the regime comparison."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

import evopolity as ep
from evopolity.analysis import metrics
from evopolity.dynamics.pipeline import evolve
from evopolity.institutions.regime import Regime
from evopolity.institutions.shocks import Shock

RESIDENTS = ["Tit For Tat", "Defector", "Cooperator"]


def test_without_shocks_evolve_is_the_replicator_on_the_tournament():
    # evolve plays the regime's in-play part inside the matches (balanced: fines on
    # unjustified defection paid to the victim), so the same tournament is the one played
    # with regime=r.in_play(); balanced is funded, so the state is over the strategies
    # crossed with {contributes, abstains}, contributors first, and paying changes nothing in
    # play: the crossed cooperation matrix is [[C, C], [C, C]]
    r = ep.regimes.balanced()
    t = ep.tournament(RESIDENTS, turns=50, method="exact", regime=r.in_play())
    tr = evolve(RESIDENTS, r, turns=50, t_max=40, points_per_unit=1)
    direct = ep.replicator(t, times=np.linspace(0, 40, 41), regime=r)
    np.testing.assert_allclose(tr.frequencies, direct.frequencies, atol=1e-12)
    np.testing.assert_allclose(tr.macro["institution_strength"],
                               direct.macro["institution_strength"], atol=1e-12)
    np.testing.assert_allclose(tr.macro["fine_level"], direct.macro["fine_level"], atol=1e-12)
    x = tr.frequencies
    C = np.tile(t.cooperation.to_numpy(), (2, 2))
    np.testing.assert_allclose(tr.macro["cooperation"], np.einsum("ti,ij,tj->t", x, C, x),
                               atol=1e-12)


def test_a_shock_splits_the_run_and_continues_from_the_state_before_it():
    # a regime shock to the same regime changes nothing: the two halves join seamlessly
    r = ep.regimes.balanced()
    whole = evolve(RESIDENTS, r, turns=50, t_max=40, points_per_unit=1)
    split = evolve(RESIDENTS, r, turns=50, t_max=40, points_per_unit=1,
                   shocks=[Shock(20.0, "regime", r)])
    assert split.times.size == whole.times.size + 1  # t = 20 twice: before and after
    keep = np.r_[0:21, 22:42]
    np.testing.assert_allclose(split.frequencies[keep], whole.frequencies, atol=1e-7)
    assert [e.kind for e in split.events] == ["regime"] and split.events[0].time == 20.0


def test_temptation_shock_replays_the_interactions_with_the_new_game():
    tr = evolve(RESIDENTS, None, turns=50, t_max=20, shocks=[Shock(10.0, "temptation", 7.0)])
    assert tr.params["game"].T == 7.0
    after = ep.tournament(RESIDENTS, game=ep.PrisonersDilemma(T=7.0), turns=50,
                          method="exact")
    np.testing.assert_array_equal(tr.params["payoffs"], after.payoffs.to_numpy())
    assert tr.events[0].detail == {"T_before": 5.0, "T_after": 7.0}


def test_invasion_sets_the_invader_and_scales_the_others():
    tr = evolve(["Tit For Tat", "Cooperator"], None, invaders=["Defector"], turns=20,
                t_max=10, points_per_unit=1, shocks=[Shock(5.0, "invasion", "Defector", 0.1)])
    i = tr.strategies.index("Defector")
    before, after = tr.frequencies[5], tr.frequencies[6]  # t = 5 before and after the shock
    assert before[i] == 0.0 and after[i] == pytest.approx(0.1)
    others = [j for j in range(3) if j != i]
    np.testing.assert_allclose(after[others], 0.9 * before[others], atol=1e-15)
    with pytest.raises(ValueError, match="'Grudger' is not among the strategies"):
        evolve(RESIDENTS, None, t_max=10, shocks=[Shock(5.0, "invasion", "Grudger")])


def test_collapse_sets_a_coevolving_institution_to_zero():
    r = ep.regimes.carrot_then_stick()  # the preset whose strength follows its support
    tr = evolve(RESIDENTS, r, turns=50, t_max=20, points_per_unit=1,
                shocks=[Shock(10.0, "collapse")])
    strength = tr.macro["institution_strength"].to_numpy()
    assert strength[10] > 0.1 and strength[11] == 0.0  # t = 10 before and after
    with pytest.raises(ValueError, match="co-evolving institution"):
        evolve(RESIDENTS, ep.regimes.communitarian(), t_max=20,
               shocks=[Shock(10.0, "collapse")])


def test_bad_shocks_are_refused():
    with pytest.raises(ValueError, match="Shock.kind must be one of"):
        Shock(1.0, "earthquake")
    with pytest.raises(ValueError, match=r"outside the run \(0, 10"):
        evolve(RESIDENTS, None, t_max=10, shocks=[Shock(12.0, "collapse")])
    with pytest.raises(TypeError, match="Regime"):
        Shock(1.0, "regime", "balanced")
    with pytest.raises(ValueError, match=r"Shock.value \(noise\) must be a probability"):
        Shock(1.0, "noise", 2.0)


def test_compare_regimes_returns_one_row_per_regime_and_scenario():
    frame = ep.compare_regimes(RESIDENTS, t_max=60, turns=50)
    presets = [r.name for r in ep.regimes.all_presets()]
    assert list(frame.regime) == [n for n in presets for _ in (0, 1)]
    assert list(frame.scenario) == ["baseline", "shocked"] * len(presets)
    baseline = frame[frame.scenario == "baseline"]
    assert baseline.recovered.isna().all() and baseline.cooperation_drop.isna().all()
    shocked = frame[frame.scenario == "shocked"]
    assert shocked.recovered.notna().all()
    assert ((frame.cooperation >= 0) & (frame.cooperation <= 1)).all()
    # each row is the summary of its own run
    tr = evolve(RESIDENTS, ep.regimes.communitarian(), turns=50, noise=0.01, t_max=60)
    row = frame[(frame.regime == "communitarian") & (frame.scenario == "baseline")].iloc[0]
    assert row.cooperation == pytest.approx(metrics.summary(tr)["cooperation"])
    assert row.institution_strength == 1.0
    laissez = frame[(frame.regime == "laissez-faire")].institution_strength
    assert (laissez == 0.0).all()


def test_compare_regimes_validates():
    with pytest.raises(ValueError, match="regimes is empty"):
        ep.compare_regimes(RESIDENTS, regimes=[])
    with pytest.raises(ValueError, match="distinct names"):
        ep.compare_regimes(RESIDENTS, regimes=[ep.regimes.balanced()] * 2)


def test_compare_regimes_rows_are_the_closed_form_runs():
    # ALLC against ALLD, no noise, no institution: with x = x_C the replicator is
    # dx/dt = -x (1 - x) ((T - R) x + (P - S)(1 - x)). Before the default shock (T = 5 at
    # t_max/3) that is -x(1-x)(1+x), solved by x/sqrt(1-x^2) = e^(-t) x0/sqrt(1-x0^2); after
    # it (T = 7), -x(1-x)(1+3x), whose integral gives H(x) = ln x - ln(1-x)/4 - 3 ln(1+3x)/4
    # = H(x_shock) - (t - t_shock). Cooperation x^T C x = x; richness counts shares > 0.001.
    def before(t):
        u = np.exp(-t) * 0.5 / math.sqrt(0.75)
        return u / math.sqrt(1 + u * u)

    def after(t, start, x_start):
        def H(x):
            return math.log(x) - math.log1p(-x) / 4 - 3 * math.log1p(3 * x) / 4

        return brentq(lambda x: H(x) - H(x_start) + (t - start), 1e-12, x_start, xtol=1e-15)

    t_max = 3.0  # the shock at t = 1; with 2 points per unit the last row before it is t = 0.5
    frame = ep.compare_regimes(["Cooperator", "Defector"], regimes=[Regime(name="bare")],
                               t_max=t_max, noise=0.0, turns=20)
    assert list(frame.scenario) == ["baseline", "shocked"]
    x_base, x_shock = before(t_max), after(t_max, 1.0, before(1.0))
    for row, x, T in [(frame.iloc[0], x_base, 5.0), (frame.iloc[1], x_shock, 7.0)]:
        shares = np.array([x, 1 - x])
        assert row.cooperation == pytest.approx(x, rel=1e-6)
        assert row.entropy == pytest.approx(-(shares * np.log(shares)).sum(), rel=1e-6)
        assert row.effective_number == pytest.approx(np.exp(-(shares * np.log(shares)).sum()),
                                                     rel=1e-6)
        assert row.inverse_simpson == pytest.approx(1 / (shares**2).sum(), rel=1e-6)
        assert row.richness == 2
        # the game in force at the end: the shocked run ends with T = 7
        mean_payoff = 3 * x * x + T * x * (1 - x) + (1 - x) ** 2
        assert row.mean_payoff == pytest.approx(mean_payoff, rel=1e-6)
        assert row.mean_fitness == pytest.approx(mean_payoff, rel=1e-6)
        assert row.institution_strength == 0.0
    base, shocked = frame.iloc[0], frame.iloc[1]
    assert math.isnan(base.min_cooperation) and pd.isna(base.recovered)
    # cooperation only falls: the minimum is the last value, far from the level before
    assert shocked.min_cooperation == pytest.approx(x_shock, rel=1e-6)
    assert shocked.cooperation_drop == pytest.approx(before(0.5) - x_shock, rel=1e-6)
    assert not shocked.recovered and math.isnan(shocked.recovery_time)
