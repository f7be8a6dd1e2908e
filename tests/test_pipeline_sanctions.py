"""Sanctions played inside matches, all the way through the dynamics (issue 11).

A tournament played under a regime (``tournament(..., regime=r)``) holds payoffs net of its
sanctions at full strength, ``A_net = A + S``; the dynamics then use
``f_i = (A x)_i + s (S x)_i`` and the regime's population-level terms only. These tests work
fitness out by hand, check that nothing is counted twice, that the played path equals the
expected one where the expected one is exact (``norm="any"``, ``fine_to="burned"``, exact
play), and measure one outcome that only the played norm produces.
"""

import numpy as np
import pytest

import evopolity as ep
from evopolity.dynamics.fitness import fitness, played_sanctions

TRIO = ["Tit For Tat", "Defector", "Cooperator"]

# TFT, ALLD, ALLC over 10 turns without noise, (R, S, T, P) = (3, 0, 5, 1), per turn:
# TFT vs ALLD: C then 9 D against 10 D: TFT (0 + 9 * 1) / 10 = 0.9, ALLD (5 + 9) / 10 = 1.4;
# TFT vs ALLC and every cooperative pair: 3; ALLD vs ALLD: 1; ALLD vs ALLC: 5 and 0.
BARE = np.array([[3.0, 0.9, 3.0], [1.4, 1.0, 5.0], [3.0, 0.0, 3.0]])


def _trio(regime=None, turns=10, noise=0.0):
    return ep.tournament(TRIO, turns=turns, noise=noise, method="exact", regime=regime)


def test_unjustified_to_victim_fitness_by_hand():
    # q F = 0.5 * 2 = 1 per fined move. Under "unjustified" a defection is fined when the
    # opponent cooperated the round before, or in the first round:
    # * TFT's 9 retaliations against ALLD follow ALLD's defections: never fined;
    # * ALLD against TFT: round 1 (first) and round 2 (TFT cooperated in round 1) are fined,
    #   rounds 3-10 follow TFT's defection: 2 fines in 10 turns, 0.2 per turn, to TFT;
    # * ALLD against ALLD: only round 1 for each; each receives the other's: net 0;
    # * ALLD against ALLC: every round, 1 per turn, to ALLC.
    S = np.array([[0.0, 0.2, 0.0], [-0.2, 0.0, -1.0], [0.0, 1.0, 0.0]])
    r = ep.Regime(fine=2.0, detection=0.5, norm="unjustified", fine_to="victim")
    t = _trio(r)
    _, played = played_sanctions(t)
    np.testing.assert_allclose(played.total, S, atol=1e-12)
    np.testing.assert_allclose(t.payoffs.to_numpy() - played.total, BARE, atol=1e-12)
    x = np.array([0.5, 0.25, 0.25])
    # A x = (2.475, 2.2, 2.25), S x = (0.05, -0.35, 0.25)
    np.testing.assert_allclose(fitness(r, t, t.cooperation, x).to_numpy(),
                               [2.525, 1.85, 2.5], atol=1e-12)
    # a co-evolving institution at m = 0.5 scales the sanctions: A x + 0.5 S x
    rc = r.replace(feedback=1.0)
    np.testing.assert_allclose(fitness(rc, t, t.cooperation, x, strength=0.5).to_numpy(),
                               [2.5, 2.025, 2.375], atol=1e-12)
    # and the replicator moves along x_i (f_i - phi) with that fitness
    f = np.array([2.5, 2.025, 2.375])
    h = 1e-6
    tr = ep.replicator(t, x0=x, times=[0.0, h], regime=rc.replace(initial_strength=0.5),
                       integrator="rk4", dt=h, stop_at_rest=False)
    np.testing.assert_allclose((tr.frequencies[1] - x) / h, x * (f - x @ f), atol=1e-5)


# a co-evolving institution with a per-capita cost, a tax and conformity (the balanced preset
# before it was funded by its members and its fine voted): these tests read the pipeline's
# mechanics, which a funded institution's crossed strategies would only obscure
COEVOLVING = ep.Regime(name="co-evolving", fine=2.0, detection=0.6, tax=0.2, cost=0.15,
                       conformity=0.1, mutation=0.01, feedback=1.0, decay=0.01,
                       initial_strength=0.5)


def test_played_any_burned_equals_the_expected_path():
    # the expected fine per turn of i against j is q F d_ij, which is what exact play under
    # norm "any" with burned fines gives: the two paths agree, for a fixed institution (S
    # folded into A), a co-evolving one (S scaled by m) and the carrot-then-stick switch
    # (S_fine and S_reward apart)
    x0 = [0.3, 0.2, 0.5]
    for preset in (ep.regimes.communitarian(), COEVOLVING, ep.regimes.carrot_then_stick()):
        bare = _trio(turns=20, noise=0.02)
        played = _trio(preset.in_play(), turns=20, noise=0.02)
        a = ep.replicator(bare, x0=x0, t_max=40, n_points=41, regime=preset)
        b = ep.replicator(played, x0=x0, t_max=40, n_points=41, regime=preset)
        np.testing.assert_allclose(b.frequencies, a.frequencies, atol=1e-7)
        if a.macro is not None:
            np.testing.assert_allclose(b.macro.to_numpy(), a.macro.to_numpy(), atol=1e-7)
        # the trajectory keeps the bare payoffs (x^T A x, the game alone) on both paths
        np.testing.assert_allclose(b.params["payoffs"], a.params["payoffs"], atol=1e-12)


def test_a_tournament_under_other_in_play_fields_is_refused():
    played = _trio(ep.Regime(fine=2.0, detection=0.5))
    for other in (ep.Regime(fine=3.0, detection=0.5), ep.Regime(fine=2.0, detection=0.5,
                                                                norm="unjustified")):
        with pytest.raises(ValueError, match="twice"):
            ep.replicator(played, regime=other)
        with pytest.raises(ValueError, match="twice"):
            ep.moran(played, N=30, x0=[10, 10, 10], generations=10, regime=other, seed=1)
    # population-level fields may differ: they are the dynamics' part
    ep.replicator(played, t_max=1, regime=ep.Regime(fine=2.0, detection=0.5, tax=0.3,
                                                    feedback=1.0, switch=0.5))


def test_the_expected_path_refuses_what_it_does_not_model():
    bare = _trio()
    for r in (ep.Regime(fine=2.0, detection=0.5, norm="unjustified"),
              ep.Regime(fine=2.0, detection=0.5, fine_to="victim")):
        with pytest.raises(ValueError, match="regime=r"):
            ep.replicator(bare, regime=r)
        with pytest.raises(ValueError, match="regime=r"):
            ep.pairwise_comparison(bare, N=30, x0=[10, 10, 10], generations=10, regime=r,
                                   seed=1)
    # without a fine the norm and destination do nothing: accepted
    ep.replicator(bare, t_max=1, regime=ep.Regime(reward=1.0, detection=0.5,
                                                  norm="unjustified"))


def test_evolve_plays_the_regime_once():
    # evolve = the tournament under the regime's in-play part + the replicator with the
    # whole regime; the trajectory's mean fitness counts the sanctions once
    r = COEVOLVING.replace(norm="unjustified", fine_to="group")
    tr = ep.evolve(TRIO, r, turns=20, noise=0.01, t_max=30)
    t = _trio(r.in_play(), turns=20, noise=0.01)
    direct = ep.replicator(t, times=tr.times, regime=r)
    np.testing.assert_allclose(tr.frequencies, direct.frequencies, atol=1e-9)
    _, played = played_sanctions(t)
    np.testing.assert_allclose(tr.params["payoffs"] + played.total, t.payoffs.to_numpy(),
                               atol=1e-12)
    # mean fitness: x (A x + m S x) less the cost, taxed (the tax keeps the mean)
    x = tr.frequencies[-1]
    m = tr.macro["institution_strength"].iloc[-1]
    expected = x @ (tr.params["payoffs"] + m * played.total) @ x - m * r.cost
    summary = ep.metrics.summary(tr)
    assert summary["mean_fitness"] == pytest.approx(expected, abs=1e-9)
    assert summary["mean_payoff"] == pytest.approx(x @ tr.params["payoffs"] @ x, abs=1e-12)


def test_fixed_institution_in_finite_populations_counts_sanctions_once():
    # a fixed institution without a switch acts through A_net = A + S: the same Moran run as
    # the net matrix with no fine at all
    r = ep.Regime(fine=2.0, detection=0.5, norm="unjustified", fine_to="victim", cost=0.1)
    t = _trio(r)
    a = ep.moran(t, N=30, x0=[10, 10, 10], generations=2000, selection=0.5, regime=r, seed=3)
    b = ep.moran(t.payoffs, N=30, x0=[10, 10, 10], generations=2000, selection=0.5,
                 regime=r.replace(fine=0.0, norm="any", fine_to="burned"),
                 cooperation=t.cooperation, seed=3)
    np.testing.assert_array_equal(a.frequencies, b.frequencies)


def test_coevolving_finite_population_uses_the_played_sanctions():
    # at m = 1 throughout (feedback with support 1 and no decay), a co-evolving institution
    # acts as the fixed one: the same run as the net matrix with no fine
    r = ep.Regime(fine=2.0, detection=0.5, norm="unjustified", fine_to="victim",
                  feedback=1e-300, initial_strength=1.0)
    t = _trio(r)
    a = ep.moran(t, N=30, x0=[10, 10, 10], generations=2000, selection=0.5, regime=r, seed=4)
    b = ep.moran(t.payoffs, N=30, x0=[10, 10, 10], generations=2000, selection=0.5,
                 regime=ep.Regime(), cooperation=t.cooperation, seed=4)
    np.testing.assert_allclose(a.frequencies, b.frequencies)


def test_fines_to_the_institution_are_a_macro_quantity():
    r = ep.Regime(fine=2.0, detection=0.5, fine_to="institution", feedback=1.0, decay=0.01,
                  initial_strength=0.5)
    tr = ep.evolve(TRIO, r, turns=10, t_max=10, x0=[0.5, 0.25, 0.25])
    t = _trio(r.in_play())
    _, played = played_sanctions(t)
    # under "any", q F = 1 per defection; what each pair's fines bring per turn:
    # TFT against ALLD 0.9 (9 defections in 10 turns), ALLD against TFT, ALLD, ALLC 1
    np.testing.assert_allclose(played.to_institution,
                               [[0.0, 0.9, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]], atol=1e-12)
    # nobody receives a fine: the players' payoffs lose them
    np.testing.assert_allclose(played.fine, -played.to_institution, atol=1e-12)
    x0 = np.array([0.5, 0.25, 0.25])
    revenue = tr.macro["to_institution"].to_numpy()
    # at t = 0: m x^T S_inst x = 0.5 * (0.5 * 0.25 * 0.9 + 0.25 * 1.0) = 0.18125
    assert revenue[0] == pytest.approx(0.5 * x0 @ played.to_institution @ x0, abs=1e-12)
    assert revenue[0] == pytest.approx(0.18125, abs=1e-12)
    m = tr.macro["institution_strength"].to_numpy()
    X = tr.frequencies
    np.testing.assert_allclose(revenue, m * np.einsum("ti,ij,tj->t", X, played.to_institution,
                                                      X), atol=1e-12)


def test_unjustified_norm_lets_tit_for_tat_retaliate():
    # The emergent result. With q F = 2 > 1 every retaliation TFT makes against ALLD costs it
    # more under "any" than the defection gains (P - S = 1 per round), so against ALLD the
    # unconditional cooperator does better than TFT: (0.9 - 0.9 * 2) < 0 for TFT, 0 for ALLC.
    # TFT and ALLC earn the same against each other and themselves, so while ALLD is around
    # selection drifts the population from TFT towards ALLC. Under "unjustified" the
    # retaliation is not fined (it answers a defection) and TFT beats ALLC against ALLD:
    # TFT ends more frequent. No preset encodes this: the norm acts through which rounds
    # are fined, which only play inside the matches sees.
    final = {}
    for norm in ("any", "unjustified"):
        r = ep.Regime(fine=4.0, detection=0.5, norm=norm)
        tr = ep.evolve(TRIO, r, turns=10, t_max=200)
        final[norm] = tr.final()
    # measured: TFT 0.439 under "any" and 0.608 under "unjustified" (ALLD dies out in
    # both; ALLC holds the rest)
    assert final["unjustified"]["Tit For Tat"] > final["any"]["Tit For Tat"] + 0.1
    assert final["any"]["Cooperator"] > final["unjustified"]["Cooperator"]
    assert final["any"]["Defector"] < 1e-3 and final["unjustified"]["Defector"] < 1e-3


def test_specs_set_and_sweep_the_norm_and_the_destination():
    from evopolity import experiments
    from evopolity.experiments.spec import SpecError, parse_spec

    raw = {"strategies": {"names": TRIO},
           "play": {"turns": 10, "noise": 0.0},
           "dynamics": {"t_max": 200, "points_per_unit": 1},
           "regimes": [{"name": "fined", "fine": 4.0, "detection": 0.5, "fine_to": "burned",
                        "mutation_model": "independent"}],
           "sweep": {"regime.norm": ["any", "unjustified"],
                     "regime.fine_to": ["burned", "victim"]}}
    spec = parse_spec(raw)
    assert spec.regimes[0].fine_to == "burned"
    assert spec.sweep["regime.norm"] == ["any", "unjustified"]  # stored as the strings
    assert spec.sweep_point(2) == {"regime.norm": "unjustified", "regime.fine_to": "burned"}
    rows = {}
    for point in (0, 2):
        row, tr = experiments.run_task(spec, point, 0, 0, "baseline", keep_trajectory=True)
        assert tr.params["regime"].norm == row["regime.norm"]
        rows[row["regime.norm"]] = tr.final()["Tit For Tat"]
    # the measured outcome of test_unjustified_norm_lets_tit_for_tat_retaliate, via a sweep
    assert rows["unjustified"] > rows["any"] + 0.1
    for axis, bad in (("regime.norm", ["any", "stern"]), ("regime.fine_to", [1.0]),
                      ("regime.mutation_model", ["independent", "birth"])):
        with pytest.raises(SpecError, match=axis.split(".")[1]):
            parse_spec({**raw, "sweep": {axis: bad}})


def test_a_constant_on_every_payoff_changes_nothing_under_played_sanctions():
    # the invariance contract on the played path: f_i = (A x)_i + s (S x)_i + ... and S does
    # not depend on the stage payoffs, so adding c to R, S, T and P adds c to every fitness
    r = ep.regimes.balanced().replace(norm="unjustified", fine_to="victim")
    runs = []
    for c in (0.0, 10.0):
        game = ep.PrisonersDilemma(R=3.0 + c, S=0.0 + c, T=5.0 + c, P=1.0 + c)
        runs.append(ep.evolve(TRIO, r, game=game, turns=10, noise=0.01, t_max=50))
    np.testing.assert_allclose(runs[1].frequencies, runs[0].frequencies, atol=1e-7)
    np.testing.assert_allclose(runs[1].macro["institution_strength"],
                               runs[0].macro["institution_strength"], atol=1e-7)
