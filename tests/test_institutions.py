"""Institutional mechanisms against hand-derived cases (no value taken from our own output)."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import evopolity as ep
from evopolity.dynamics.fitness import fitness
from evopolity.institutions import regimes
from evopolity.institutions.regime import Regime

R, S, T, P = 3.0, 0.0, 5.0, 1.0
# one-shot prisoner's dilemma between ALLC (row 0) and ALLD (row 1)
A = np.array([[R, S], [T, P]])
C = np.array([[1.0, 1.0], [0.0, 0.0]])  # ALLC always cooperates, ALLD never


def test_no_institution_leaves_payoffs_alone():
    x = [0.3, 0.7]
    f = fitness(Regime(), A, C, x)
    np.testing.assert_allclose(f.to_numpy(), A @ x, atol=1e-15)


@pytest.mark.parametrize("x", [[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]])
def test_fine_with_detection_charges_q_f_times_the_defection_rate(x):
    f = fitness(Regime(fine=3.0, detection=0.5), A, C, x)
    base = A @ np.array(x)
    np.testing.assert_allclose(f.to_numpy(), base - np.array([0.0, 0.5 * 3.0]), atol=1e-14)


def test_fine_above_the_temptation_gain_makes_defection_dominated():
    # Without institution ALLD earns T - R more against C and P - S more against D.
    # A fine q F > max(T - R, P - S) = 2 reverses both: ALLC beats ALLD at every x, and the
    # replicator goes to all-C from any interior start; q F < min(T - R, P - S) does not.
    strong, weak = Regime(fine=2.5, detection=1.0), Regime(fine=0.9, detection=1.0)
    for x1 in np.linspace(0.01, 0.99, 25):
        f = fitness(strong, A, C, [x1, 1 - x1]).to_numpy()
        assert f[0] > f[1]
        g = fitness(weak, A, C, [x1, 1 - x1]).to_numpy()
        assert g[0] < g[1]
    up = ep.replicator(A, x0=[0.05, 0.95], t_max=200, regime=strong, cooperation=C)
    down = ep.replicator(A, x0=[0.95, 0.05], t_max=200, regime=weak, cooperation=C)
    assert up.final().iloc[0] > 1 - 1e-6
    assert down.final().iloc[0] < 1e-6


def test_reward_pays_q_b_times_the_cooperation_rate():
    x = np.array([0.4, 0.6])
    f = fitness(Regime(reward=2.0, detection=0.25), A, C, x).to_numpy()
    np.testing.assert_allclose(f, A @ x + np.array([0.25 * 2.0, 0.0]), atol=1e-14)


@pytest.mark.parametrize("tau", [0.1, 0.5, 0.9])
def test_tax_scales_every_payoff_difference_by_one_minus_tau(tau):
    rng = np.random.default_rng(1)
    A4, C4 = rng.random((4, 4)) * 5, rng.random((4, 4))
    x = rng.dirichlet(np.ones(4))
    base = fitness(Regime(), A4, C4, x).to_numpy()
    taxed = fitness(Regime(tax=tau), A4, C4, x).to_numpy()
    np.testing.assert_allclose(np.subtract.outer(taxed, taxed),
                               (1 - tau) * np.subtract.outer(base, base), atol=1e-13)
    # and the mean payoff is kept: redistribution, not destruction
    assert x @ taxed == pytest.approx(x @ base, abs=1e-13)


def test_tax_slows_the_replicator_by_one_minus_tau():
    # dx/dt scales by (1 - tau), so the taxed trajectory at time t is the untaxed one at
    # time (1 - tau) t.
    tau = 0.6
    rps = np.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], dtype=float) + 2
    C3 = np.full((3, 3), 0.5)
    x0 = [0.5, 0.3, 0.2]
    taxed = ep.replicator(rps, x0=x0, times=np.linspace(0, 20, 11), regime=Regime(tax=tau),
                          cooperation=C3, stop_at_rest=False)
    plain = ep.replicator(rps, x0=x0, times=(1 - tau) * np.linspace(0, 20, 11),
                          stop_at_rest=False)
    np.testing.assert_allclose(taxed.frequencies, plain.frequencies, atol=1e-7)


def test_per_capita_cost_shifts_everyone_and_changes_nothing_in_the_dynamics():
    x = np.array([0.3, 0.7])
    f = fitness(Regime(cost=0.7), A, C, x).to_numpy()
    np.testing.assert_allclose(f, A @ x - 0.7, atol=1e-14)
    with_cost = ep.replicator(A, x0=[0.6, 0.4], t_max=5, regime=Regime(cost=0.7),
                              cooperation=C, stop_at_rest=False)
    without = ep.replicator(A, x0=[0.6, 0.4], t_max=5, stop_at_rest=False)
    np.testing.assert_allclose(with_cost.frequencies, without.frequencies, atol=1e-8)


def test_cost_borne_by_contributors_in_proportion_to_their_cooperation():
    # mean cooperation is x_C = 0.25, so ALLC pays kappa * 1 / 0.25 and ALLD nothing
    x = np.array([0.25, 0.75])
    f = fitness(Regime(cost=0.2, cost_by_contributors=True), A, C, x).to_numpy()
    np.testing.assert_allclose(f, A @ x - np.array([0.2 / 0.25, 0.0]), atol=1e-14)


def test_captured_institution_fines_cooperation():
    x = np.array([0.5, 0.5])
    f = fitness(Regime(fine=2.0, detection=0.5, captured=True), A, C, x).to_numpy()
    np.testing.assert_allclose(f, A @ x - np.array([1.0, 0.0]), atol=1e-14)


def test_carrot_then_stick_rewards_below_the_threshold_and_fines_above():
    r = Regime(fine=2.0, reward=1.0, detection=1.0, switch=0.5)
    low, high = np.array([0.3, 0.7]), np.array([0.7, 0.3])  # cooperation levels 0.3, 0.7
    np.testing.assert_allclose(fitness(r, A, C, low).to_numpy(), A @ low + [1.0, 0.0])
    np.testing.assert_allclose(fitness(r, A, C, high).to_numpy(), A @ high - [0.0, 2.0])


def test_conformity_favours_the_majority_in_a_neutral_game():
    # A = 0: dx1/dt = D x1 (x1 - x1^2 - x2^2) = D x1 x2 (2 x1 - 1); 1/2 is the unstable rest
    # point between the two monomorphic states (Boyd & Richerson 1985).
    zero, C2 = np.zeros((2, 2)), np.full((2, 2), 0.5)
    conform = Regime(conformity=1.0)
    assert ep.replicator(zero, x0=[0.55, 0.45], t_max=200, regime=conform,
                         cooperation=C2).final().iloc[0] > 0.999
    assert ep.replicator(zero, x0=[0.45, 0.55], t_max=200, regime=conform,
                         cooperation=C2).final().iloc[0] < 0.001
    assert ep.replicator(zero, x0=[0.5, 0.5], t_max=50, regime=conform,
                         cooperation=C2).final().iloc[0] == pytest.approx(0.5, abs=1e-12)
    # the velocity itself: a short RK4 step from x1 = 0.7
    x1, D, h = 0.7, 1.0, 1e-3
    tr = ep.replicator(zero, x0=[x1, 1 - x1], times=[0, h], regime=conform, cooperation=C2,
                       integrator="rk4", dt=h)
    assert (tr.frequencies[1, 0] - x1) / h == pytest.approx(D * x1 * (1 - x1) * (2 * x1 - 1),
                                                            rel=1e-3)


def test_institution_strength_relaxes_to_its_support_minus_decay():
    # all-cooperator population (x stays (1, 0)): support = 1, so
    # dm/dt = lam (1 - m) - decay, m(t) = m* + (m0 - m*) exp(-lam t), m* = 1 - decay / lam
    lam, decay, m0 = 0.5, 0.1, 0.2
    r = Regime(feedback=lam, decay=decay, initial_strength=m0)
    t = np.linspace(0, 10, 21)
    tr = ep.replicator(A, x0=[1.0, 0.0], times=t, regime=r, cooperation=C, stop_at_rest=False)
    m_star = 1 - decay / lam
    np.testing.assert_allclose(tr.macro["institution_strength"],
                               m_star + (m0 - m_star) * np.exp(-lam * t), atol=1e-8)
    assert list(tr.macro.columns) == ["institution_strength"]


def test_institution_collapses_without_support_and_stays_in_unit_interval():
    # all defectors: support 0, dm/dt = -lam m - decay reaches 0 and stays there
    r = Regime(fine=5.0, detection=1.0, feedback=1.0, decay=0.05, initial_strength=0.3)
    tr = ep.replicator(A, x0=[0.0, 1.0], t_max=50, regime=r, cooperation=C,
                       stop_at_rest=False)
    strength = tr.macro["institution_strength"]
    assert strength.min() >= 0.0 and strength.iloc[-1] == 0.0


def test_institution_strength_scales_fines():
    # a co-evolving institution at strength m fines m q F d_i
    r = Regime(fine=4.0, detection=0.5, feedback=1.0, initial_strength=0.25)
    x = np.array([0.5, 0.5])
    f = fitness(r, A, C, x, strength=0.25).to_numpy()
    np.testing.assert_allclose(f, A @ x - np.array([0.0, 0.25 * 0.5 * 4.0]), atol=1e-14)


def test_regime_validation_names_the_field():
    with pytest.raises(ValueError, match=r"Regime.detection must be a probability in \[0, 1\]"):
        Regime(detection=1.5)
    with pytest.raises(ValueError, match="Regime.fine must be finite and >= 0"):
        Regime(fine=-1)
    with pytest.raises(ValueError, match=r"unknown Regime field\(s\) \['fines'\]"):
        regimes.balanced().replace(fines=2.0)
    with pytest.raises(TypeError, match="Regime.captured must be True or False"):
        Regime(captured="yes")


def test_replicator_with_a_regime_validates_its_inputs():
    with pytest.raises(ValueError, match="cooperation must have shape"):
        ep.replicator(A, regime=Regime(), cooperation=np.ones((3, 3)))
    with pytest.raises(ValueError, match="give the mutation rate as regime.mutation"):
        ep.replicator(A, regime=Regime(), cooperation=C, mutation=0.1)
    with pytest.raises(ValueError, match="cooperation is only used with a regime"):
        ep.replicator(A, cooperation=C)
    with pytest.raises(ValueError, match="needs the cooperation matrix"):
        ep.replicator(A, regime=Regime())  # an array has no cooperation: must be given


def test_presets_are_distinct_and_documented():
    presets = regimes.all_presets()
    assert [r.name for r in presets] == ["laissez-faire", "communitarian", "balanced",
                                         "carrot-then-stick", "captured"]
    assert all(r.description for r in presets)
    assert regimes.laissez_faire().fine == 0 and regimes.laissez_faire().detection == 0
    assert not regimes.laissez_faire().has_institution
    # the same mutation rate everywhere, and the same detection, played fine level and bounds
    # wherever an institution has them: the presets differ in how the institution is made
    assert {r.mutation for r in presets} == {regimes.SHARED_MUTATION}
    institutions = presets[1:]
    assert {r.detection for r in institutions} == {regimes.SHARED_DETECTION}
    assert {r.cost for r in institutions} == {regimes.SHARED_COST}
    assert all(r.mutation_model == "independent" for r in presets)
    assert {r.fine_bounds for r in institutions if r.chosen} == {regimes.SHARED_FINE_BOUNDS}
    c, b, s, k = (regimes.communitarian(), regimes.balanced(), regimes.carrot_then_stick(),
                  regimes.captured())
    # who funds it
    assert (c.funding_mode, b.funding_mode, s.funding_mode, k.funding_mode) == (
        "fixed", "contributions", "support", "fixed")
    assert b.levy > 0 and b.second_order > 0
    # who chooses the fine (communitarian: a constitution, at the top of the bounds)
    assert (c.rule_by, b.rule_by, s.rule_by, k.rule_by) == ("fixed", "majority", "fixed", "elite")
    assert c.fine == regimes.SHARED_FINE_BOUNDS[1]
    # what the norm punishes, where the fines go
    assert (c.norm, b.norm) == ("any", "unjustified")
    assert (c.fine_to, b.fine_to, k.fine_to) == ("burned", "victim", "victim")
    assert k.captured and not any(r.captured for r in (c, b, s))
    # no preset forces one strategy by conformist transmission: diversity must come from how
    # the institution is made, not from a parameter that decides it
    assert all(r.conformity == 0 for r in presets)


def test_tournament_feeds_a_regime_directly():
    # TFT and ALLD, 50 turns, no noise, by hand: TFT earns 3 against itself and (S + 49 P)/50
    # = 0.98 against ALLD, which earns (T + 49 P)/50 = 1.08 against TFT and P = 1 against
    # itself; TFT cooperates in 1 move of 50 against ALLD, ALLD never
    t = ep.tournament(["Tit For Tat", "Defector"], turns=50)
    np.testing.assert_allclose(t.payoffs.to_numpy(), [[3.0, 0.98], [1.08, 1.0]], atol=1e-15)
    np.testing.assert_allclose(t.cooperation.to_numpy(), [[1.0, 0.02], [0.0, 0.0]], atol=1e-15)
    # a co-evolving institution at strength m fines m q F d_i; dm/dt = lam (c - m) - decay with
    # c = sum_i x_i c_i (docs/institutions.md). With x = x_TFT, c_TFT = x + (1 - x)/50 and
    # c_ALLD = 0, the fines differ by m q F c_TFT, so the tournament's payoffs and cooperation
    # give the planar system below, integrated here by scipy (an independent integrator)
    regime = Regime(fine=4.0, detection=0.5, feedback=1.0, decay=0.01, initial_strength=0.5)
    qF, lam, decay = 2.0, 1.0, 0.01

    def field(_, y):
        x, m = y
        c_tft = x + (1 - x) / 50
        gain = (3 * x + 0.98 * (1 - x)) - (1.08 * x + (1 - x)) + m * qF * c_tft
        return [x * (1 - x) * gain, lam * (x * c_tft - m) - decay]

    tr = ep.replicator(t, t_max=5, regime=regime)
    assert list(tr.macro.columns) == ["institution_strength"] and tr.times[-1] == 5.0
    ref = solve_ivp(field, (0.0, 5.0), [0.5, 0.5], t_eval=tr.times, method="DOP853",
                    rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tr.frequencies[:, 0], ref.y[0], atol=1e-7)
    np.testing.assert_allclose(tr.frequencies[:, 1], 1 - ref.y[0], atol=1e-7)
    np.testing.assert_allclose(tr.macro["institution_strength"], ref.y[1], atol=1e-7)


# -- finite populations ------------------------------------------------------------------


def test_finite_fine_is_the_bare_game_with_defectors_payoffs_lowered():
    # ALLD always defects, so a fine q F (fixed institution) is a constant -q F on ALLD's
    # payoffs: the regime run must fix ALLC as often as the closed-form fixation probability
    # of the matrix [[R, S], [T - qF, P - qF]] (Traulsen et al. 2006), within a binomial bound.
    N, beta, runs = 12, 1.0, 3000
    regime = Regime(fine=1.2, detection=1.0)
    shifted = A - np.array([[0.0, 0.0], [1.2, 1.2]])
    rho = ep.fixation_probability(shifted, N, "fermi", beta, mutant=0, resident=1)
    wins = sum(
        ep.pairwise_comparison(A, N, [1, N - 1], 10**6, beta, seed=s, regime=regime,
                               cooperation=C).info["winner"] == "0"
        for s in range(runs)
    )
    assert abs(wins / runs - rho) < 4 * np.sqrt(rho * (1 - rho) / runs)


def test_finite_tax_is_weaker_selection():
    # payoff differences scale by 1 - tau, so the Fermi process with tax tau at beta is the
    # untaxed one at beta (1 - tau): same seed, same events
    tau, beta = 0.4, 2.0
    for seed in range(20):
        taxed = ep.pairwise_comparison(A, 10, [3, 7], 2000, beta, mutation=0.0, seed=seed,
                                       regime=Regime(tax=tau), cooperation=C)
        plain = ep.pairwise_comparison(A, 10, [3, 7], 2000, beta * (1 - tau), seed=seed)
        np.testing.assert_array_equal(taxed.frequencies, plain.frequencies)


def test_finite_institution_strength_follows_euler_steps_of_its_law():
    # all cooperators, nothing changes: m_{e+1} = m_e + (lam (1 - m_e) - decay) / N, so
    # m_e = m* + (m0 - m*) (1 - lam / N)^e with m* = 1 - decay / lam
    N, lam, decay, m0 = 20, 0.5, 0.1, 0.2
    r = Regime(feedback=lam, decay=decay, initial_strength=m0)
    tr = ep.moran(A, N, [N, 0], 400, 0.5, seed=1, regime=r, cooperation=C,
                  stop_on_fixation=False, record_every=40)
    e = tr.times
    m_star = 1 - decay / lam
    np.testing.assert_allclose(tr.macro["institution_strength"],
                               m_star + (m0 - m_star) * (1 - lam / N) ** e, atol=1e-12)


def test_finite_regime_refuses_negative_linear_moran_fitness():
    # payoffs >= 1 pass the bare-game check at w = 1; a fine of 10 on ALLD does not, under the
    # linear fitness 1 - w + w pi; the exponential one (the default) takes any payoff
    with pytest.raises(ValueError, match="made a Moran fitness .* negative"):
        ep.moran(A + 1, 10, [5, 5], 100, 1.0, seed=1, fitness_map="linear",
                 regime=Regime(fine=10.0, detection=1.0), cooperation=C)
    tr = ep.moran(A + 1, 10, [5, 5], 100, 1.0, seed=1,
                  regime=Regime(fine=10.0, detection=1.0), cooperation=C)
    assert tr.info["generations"] > 0


# -- regimes on group games --------------------------------------------------------------


def test_regime_on_a_public_goods_game_fines_participating_defectors_only():
    # contributions: cooperators 1, defectors 0, loners 1 (they do not take part, so the
    # institution does not fine them); the fine is q F on d_i = 1 - c_i
    game = ep.public_goods(5, 3.0, 1.0, sigma=1.0)
    x = [0.3, 0.5, 0.2]
    base = game.expected_payoffs(x).to_numpy()
    f = fitness(Regime(fine=2.0, detection=0.5), game, [1.0, 0.0, 1.0], x).to_numpy()
    np.testing.assert_allclose(f, base - np.array([0.0, 1.0, 0.0]), atol=1e-12)
    taxed = fitness(Regime(tax=0.3), game, [1.0, 0.0, 1.0], x).to_numpy()
    np.testing.assert_allclose(np.subtract.outer(taxed, taxed),
                               0.7 * np.subtract.outer(base, base), atol=1e-12)


def test_a_fine_above_the_free_riding_gain_ends_the_public_goods_cycles():
    # With r = 3, c = 1 and S participants, defecting instead of contributing saves
    # c - r c / S, at most 1 - 3/5 = 0.4 (S = 5). A fine q F = 1.5 > 0.4 makes defecting worse
    # than cooperating in every group, so defectors vanish, and cooperators (payoff
    # (r - 1) c = 2 among themselves) beat loners (sigma = 1).
    game = ep.public_goods(5, 3.0, 1.0, sigma=1.0)
    tr = ep.replicator(game, x0=[0.2, 0.6, 0.2], t_max=200,
                       regime=Regime(fine=1.5, detection=1.0), cooperation=[1, 0, 1])
    assert tr.final()["cooperator"] > 0.999
    with pytest.raises(ValueError, match="contribution of each strategy"):
        ep.replicator(game, regime=Regime(fine=1.0))
    with pytest.raises(ValueError, match="one rate per strategy of the group game"):
        ep.replicator(game, regime=Regime(fine=1.0), cooperation=[1, 0])


def test_the_regime_comparison_shows_an_outcome_no_preset_encodes():
    # The balanced preset sets neither its institution's strength nor its fine: the members'
    # levies fund it and a majority votes the fine. With levy L = cost K = 0.3 the
    # institution affords s = min(1, L p / K) = p (p the share of contributors), and
    # abstainers pay the second-order fine s q2 F2 = 1.2 p, so (paying changes nothing in
    # play) f(X+levy) - f(X) = -L + 1.2 p for every strategy X: contributors grow where
    # p > p* = K / (q2 F2) = 0.25 and decline below it (mutation 0.001 moves the threshold
    # by little). The same preset, the same game and strategies, started with 35% or with 15%
    # of each strategy contributing, ends with a funded institution or with none.
    shared = regimes.SHARED_COST / (regimes.SHARED_DETECTION * regimes.SHARED_FINE)
    assert shared == pytest.approx(0.25)
    b = regimes.balanced()
    above = b.replace(name="balanced, 35% contribute", initial_contributors=0.35)
    below = b.replace(name="balanced, 15% contribute", initial_contributors=0.15)
    frame = ep.compare_regimes(["Tit For Tat", "Defector", "Cooperator"], [above, below],
                               turns=10, t_max=200)
    base = frame[frame.scenario == "baseline"].set_index("regime")
    assert base.institution_strength[above.name] > 0.95
    assert base.institution_strength[below.name] < 0.05
    # and the vote decides the fine: from the level play starts at (2), the majority (who
    # receive the fines paid for unprovoked defection against them) raises it to the top
    tr = ep.evolve(["Tit For Tat", "Defector", "Cooperator"], b, turns=10, t_max=200)
    assert tr.macro["fine_level"].iloc[0] == pytest.approx(regimes.SHARED_FINE)
    assert tr.macro["fine_level"].iloc[-1] == pytest.approx(regimes.SHARED_FINE_BOUNDS[1], abs=1e-3)
    # fixing the fine by hand at the level play starts at leaves another population: the
    # shares of Tit For Tat and Always Cooperate differ by more than 0.05
    fixed = ep.evolve(["Tit For Tat", "Defector", "Cooperator"],
                      b.replace(rule_by="fixed", fine_bounds=None), turns=10, t_max=200)
    assert abs(fixed.final()["Tit For Tat+levy"] - tr.final()["Tit For Tat+levy"]) > 0.05


@pytest.mark.parametrize("k", [3, 6])
@pytest.mark.parametrize("played", [0, 1, 2])
def test_plain_regime_fitness_is_the_formula_and_the_general_path(k, played):
    # the one-pass fast path (kernels.fitness.plain_institution_fitness) and the integrators'
    # folded one (kernels.velocity.folded_fitness) against the module's formula in numpy and
    # against the general path with its scratch arrays; k = 6 takes a block of four rows and
    # two left over, k = 3 only the rows left over
    import numba

    from evopolity.kernels import velocity
    from evopolity.kernels.codes import INSTITUTIONS
    from evopolity.kernels.fitness import (
        general_institution_fitness,
        institution_fitness,
        plain_regime,
    )
    from evopolity.kernels.layout import regime_array

    folded_fitness = numba.njit(velocity.folded_fitness.py_func)  # compiled callers' only

    rng = np.random.default_rng(10 * k + played)
    Ak, Ck = rng.normal(size=(k, k)), rng.random((k, k))
    S = [rng.normal(size=(k, k)) for _ in range(played)]
    x = rng.dirichlet(np.ones(k))
    # fixed and co-evolving, captured or not, with and without a tax (one pass without)
    for captured, m, tau in ((False, None, 0.3), (True, 0.4, 0.3), (False, 0.7, 0.0),
                             (True, None, 0.0)):  # fmt: skip
        F, q, B, kappa, D = 2.0, 0.6, 0.5, 0.2, 0.1
        params = regime_array(Ck, fine=F, detection=q, reward=B, tax=tau, cost=kappa,
                              conformity=D, captured=captured, sanctions=S,
                              feedback=0.0 if m is None else 1.0)  # fmt: skip
        assert plain_regime(params)
        s = 1.0 if m is None else m
        pi, c = Ak @ x, Ck @ x
        if played == 0:
            v = pi - s * q * F * (c if captured else 1 - c) + s * q * B * c - s * kappa
        else:
            v = pi + s * sum(M @ x for M in S) - s * kappa
        expected = (1 - tau) * v + tau * (x @ v) + D * x
        y = x if m is None else np.append(x, m)
        fast, general = np.empty(y.size), np.empty(y.size)
        institution_fitness(y, Ak, params, fast)
        general_institution_fitness(y, Ak, params, general)
        np.testing.assert_allclose(fast[:k], expected, rtol=0, atol=1e-13)
        np.testing.assert_allclose(fast, general, rtol=0, atol=1e-14)
        model, folded_matrices = velocity.fold_regime(INSTITUTIONS, Ak, Ak.T.copy(), params)
        assert model == velocity.FOLDED_INSTITUTIONS
        folded = np.empty(y.size)
        folded_fitness(y, folded_matrices, params, folded)
        np.testing.assert_allclose(folded, general, rtol=0, atol=1e-13)
        if m is not None:  # the support left for the macro velocity
            assert fast[k] == pytest.approx(x @ c, abs=1e-14)
            assert folded[k] == pytest.approx(x @ c, abs=1e-14)
