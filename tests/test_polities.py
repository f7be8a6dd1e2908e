"""Polities (evopolity.dynamics.polities, kernels/polity.py) against theory.

The theory each test checks is derived in docs/polities.md; the numbers below say where they
come from.
"""

import math

import numpy as np
import pandas as pd
import pytest

import evopolity as ep
from evopolity.dynamics.polities import PolityRun
from evopolity.kernels.polity import strength_after


def donation(b, c):
    """Cooperators (0) and defectors (1) in the donation game: C gives b at cost c."""
    return np.array([[b - c, -c], [b, 0.0]])


def moran_constant(r, N):
    """Fixation probability of one mutant of constant relative fitness r among N."""
    return 1.0 / N if r == 1.0 else (1.0 - 1.0 / r) / (1.0 - r ** (-N))


def rare_split_fixation(b, c, n, m, w):
    """Traulsen & Nowak's two-step fixation under rare splitting, with exp(w pi) fitness
    (Traulsen, Shoresh & Nowak 2008): within a full polity the cooperator's payoff falls short
    of the defector's by c + b / (n - 1) at every composition (a Moran process of n with
    constant r = exp(-w (c + b / (n - 1)))); between polities an all-C polity splits
    exp(w (b - c)) times as often as an all-D one and its daughter replaces a random other
    (a Moran process of m polities)."""
    inside = moran_constant(math.exp(-w * (c + b / (n - 1))), n)
    between = moran_constant(math.exp(w * (b - c)), m)
    return inside * between


# -- the well-mixed limit, neutrality, Traulsen & Nowak ------------------------------------


def test_one_polity_is_the_moran_process():
    # m = 1, no between-polity events: a birth into the full polity replaces a uniformly
    # chosen member, the Moran process of ep.moran; its fixation probability is the closed
    # form (exponential fitness, the same map)
    A = donation(3.0, 1.0)
    est = ep.multilevel_fixation(A, 10, 1, 0.3, 20_000, seed=1)
    exact = ep.fixation_probability(A, 10, "moran", 0.3)
    assert exact == pytest.approx(0.00918, abs=1e-5)  # far below neutral 0.1: a real check
    assert abs(est["fixation"] - exact) < 4 * math.sqrt(exact * (1 - exact) / 20_000)
    assert est["unresolved"] == 0


def test_neutral_fixation_is_one_over_all_members():
    # selection 0: every one of the n m members of the (symmetric, all full) initial state is
    # equally likely to be the ancestor of everyone, whatever split and migration, so a
    # single mutant fixes with probability exactly 1 / (n m) = 1/20
    est = ep.multilevel_fixation(donation(3.0, 1.0), 4, 5, 0.0, 20_000, seed=2, split=0.3,
                                 migration=0.1)
    assert est["neutral"] == 1 / 20
    se = math.sqrt(0.05 * 0.95 / 20_000)
    assert abs(est["fixation"] - 0.05) < 4 * se


@pytest.mark.parametrize(("b", "favoured"), [(1.2, False), (3.2, True)])
def test_traulsen_nowak_condition(b, favoured):
    # Traulsen & Nowak 2006: under weak selection and rare splitting cooperators are favoured
    # (fixation above 1 / (n m)) when b / c > 1 + n / (m - 2): here n = 3, m = 8, threshold
    # 1.5; b / c = 1.2 below it, 3.2 above. w = 0.2, split q = 0.01. The estimate lies on the
    # side the condition says, 5 or more standard errors from neutral (0.80 and 1.60 times
    # 1 / (n m) under the rare-splitting formula), and agrees with that formula
    n, m, w, c = 3, 8, 0.2, 1.0
    est = ep.multilevel_fixation(donation(b, c), n, m, w, 20_000, seed=3, split=0.01)
    assert (b / c > 1 + n / (m - 2)) == favoured
    neutral = 1 / (n * m)
    p, se = est["fixation"], est["se"]
    assert (p - 4 * se > neutral) if favoured else (p + 4 * se < neutral)
    assert abs(p - rare_split_fixation(b, c, n, m, w)) < 4 * se


def test_fixation_is_the_same_whatever_the_thread_count(two_thread_pool):
    runs = two_thread_pool("""
        A = np.array([[2.0, -1.0], [3.0, 0.0]])
        for threads, seed in ((1, 5), (2, 5), (2, 6)):
            numba.set_num_threads(threads)
            r = ep.multilevel_fixation(A, 4, 5, 0.2, 3000, seed=seed, split=0.2)
            results[f"t{threads}_s{seed}"] = np.array([r["fixed"], r["mean_generations"]])
    """)
    np.testing.assert_array_equal(runs["t1_s5"], runs["t2_s5"])
    assert not np.array_equal(runs["t2_s6"], runs["t2_s5"])


# -- institutional imitation: the replicator of regimes ------------------------------------


def test_imitation_alone_follows_the_replicator_of_regimes():
    # every step an imitation (no births): compositions and so the payoff difference between
    # the regimes are fixed. "costly" pays 0.5 per capita, so its polities earn Delta = 0.5
    # less. A focal polity meets a random other and adopts its regime with probability
    # 1 / (1 + exp(-beta (P_other - P_focal))); the expected change of the share y of "free"
    # per step is y (1 - y) tanh(beta Delta / 2) / (m - 1): the logistic (two-regime
    # replicator) y(t) = y0 e^{rt} / (1 - y0 + y0 e^{rt}), r = tanh(beta Delta / 2) / (m - 1)
    m, beta, delta, y0 = 2000, 2.0, 0.5, 0.1
    free = ep.Regime(name="free")
    costly = ep.Regime(name="costly", cost=delta)
    assignment = [0 if i < y0 * m else 1 for i in range(m)]
    run = ep.polities(donation(2.0, 1.0), [free, costly], n=4, m=m, generations=30_000,
                      imitation=1.0, imitation_selection=beta, assignment=assignment,
                      cooperation=np.ones((2, 2)) * [[1.0], [0.0]], x0=[2, 2], seed=4,
                      record_every=1000)  # fmt: skip
    shares = run.regimes().query("regime == 'free'").set_index("generation")["share"]
    t = shares.index.to_numpy(dtype=float)
    r = math.tanh(beta * delta / 2) / (m - 1)
    logistic = y0 * np.exp(r * t) / (1 - y0 + y0 * np.exp(r * t))
    assert shares.iloc[0] == pytest.approx(0.1) and shares.iloc[-1] > 0.9
    assert np.abs(shares.to_numpy() - logistic).max() < 0.05
    adopted = run.events.query("event == 'adoption'")
    assert len(adopted) > 0 and (adopted["regime"] == "free").mean() > 0.7


# -- splits, collapse, survival ------------------------------------------------------------


def test_collapse_refounds_from_others_and_survival_is_the_duration():
    # "costly" pays 5 per capita: with payoffs at most 5 its polities' mean payoff is below 0
    # from the start, so each collapses exactly `duration` steps after it was founded
    # (Kaplan-Meier: survival 1 until then, 0 from then; median lifetime = duration); "free"
    # polities never fall below 0 (payoffs of (3, 0, 5, 1) with both strategies present)
    # and are never lost: no splits and no migration here
    free = ep.Regime(name="free")
    costly = ep.Regime(name="costly", cost=5.0)
    A = np.array([[3.0, 0.0], [5.0, 1.0]])
    run = ep.polities(A, [free, costly], n=6, m=20, generations=3000, split=0.0,
                      selection=0.1, collapse=ep.Collapse(threshold=0.0, duration=100),
                      cooperation=np.ones((2, 2)) * [[1.0], [0.0]], seed=5)  # fmt: skip
    ev = run.events
    collapses = ev[ev["event"] == "collapse"]
    assert len(collapses) >= 10 and set(collapses["regime"]) == {"costly"}
    assert (collapses["generation"] % 100 == 0).all()
    life = run.lifetimes()
    ended = life[life["ended"]]
    assert set(ended["regime"]) == {"costly"} and (ended["lifetime"] == 100).all()
    assert run.median_lifetime()["costly"] == 100
    assert math.isnan(run.median_lifetime()["free"])
    final = run.regimes().query("generation == 3000").set_index("regime")["share"]
    assert final["free"] == 1.0  # each collapse refounds from another: costly ones run out


def test_kaplan_meier_by_hand():
    # two slots, polities 0 and 1 at the start; each split's daughter takes the other slot:
    # g2: 0 splits -> 2, 1 dies; g3: 0 splits -> 3, 2 dies; g5: 3 splits -> 4, 0 dies;
    # g8: 4 splits -> 5, 3 dies; the run ends at 10 with 4 and 5 alive (censored).
    # Lifetimes: 0: 5, 1: 2, 2: 1, 3: 5 (ended); 4: 5, 5: 2 (censored).
    # Kaplan-Meier: S(1) = 5/6; S(2) = 5/6 * (1 - 1/5) = 2/3 (5 at risk, 1 ended, 1
    # censored); S(5) = 2/3 * (1 - 2/3) = 2/9 (3 at risk, 2 ended); median 5
    rows = [(2, "split", 0, 2), (2, "extinction", 1, 2), (3, "split", 0, 3),
            (3, "extinction", 2, 3), (5, "split", 3, 4), (5, "extinction", 0, 4),
            (8, "split", 4, 5), (8, "extinction", 3, 5)]  # fmt: skip
    events = pd.DataFrame(rows, columns=["generation", "event", "polity", "other"])
    events["regime"] = "a"
    run = PolityRun(("C", "D"), ("a",), np.array([0, 10]), np.ones((2, 2, 2), np.int64),
                    np.array([[0, 1], [4, 5]]), np.zeros((2, 2), np.int64), np.ones((2, 2)),
                    np.zeros((2, 2)), events, None, {})  # fmt: skip
    life = run.lifetimes().sort_values("polity")
    assert life["lifetime"].tolist() == [5, 2, 1, 5, 5, 2]
    assert life["ended"].tolist() == [True, True, True, True, False, False]
    km = run.survival().set_index("time")
    assert km.loc[1, "survival"] == pytest.approx(5 / 6)
    assert km.loc[2, "survival"] == pytest.approx(2 / 3)
    assert km.loc[5, "survival"] == pytest.approx(2 / 9)
    assert km.loc[2, ["at_risk", "ended", "censored"]].tolist() == [5, 1, 1]
    assert km.loc[5, ["at_risk", "ended", "censored"]].tolist() == [3, 2, 1]
    assert run.median_lifetime()["a"] == 5


def test_splitting_keeps_m_and_sizes_within_bounds():
    run = ep.polities(donation(3.0, 1.0), [None], n=8, m=12, generations=5000, split=0.5,
                      migration=0.05, selection=0.5, seed=6, record_every=50)  # fmt: skip
    f = run.frame()
    assert f.groupby("generation").size().eq(12).all()
    assert f["size"].between(4, 8).all()  # halves of n + 1 = 9: 4 and 5, then growth to 8
    ev = run.events
    splits, ext = ev[ev["event"] == "split"], ev[ev["event"] == "extinction"]
    assert len(splits) == len(ext) > 50
    # the daughter of each split is the polity that took the dead one's slot
    np.testing.assert_array_equal(splits["other"].to_numpy(), ext["other"].to_numpy())
    assert set(f["polity"]) <= set(range(12)) | set(splits["other"])
    # diversity: the effective number of strategies, exp of the Shannon entropy by hand
    x = f[["0", "1"]].to_numpy()
    h = -(np.where(x > 0, x, 1.0) * np.log(np.where(x > 0, x, 1.0))).sum(axis=1)
    np.testing.assert_allclose(f["diversity"], np.exp(h), rtol=1e-12)
    assert f["diversity"].between(1.0, 2.0).all() and (f["diversity"] == 1.0).any()


# -- environments ---------------------------------------------------------------------------


def test_a_switch_of_game_reverses_what_does_best():
    # prisoner's dilemma (3, 0, 5, 1): defectors win inside every polity; harmony game
    # (R = 5, S = 2, T = 1, P = 0): cooperators do. The switch at 20,000 acts on every polity.
    # Births are global: once a polity has turned cooperative it outbreeds the others (e^5
    # against e^0) and, splitting, takes their slots
    pd_game = np.array([[3.0, 0.0], [5.0, 1.0]])
    harmony = np.array([[5.0, 2.0], [1.0, 0.0]])
    env = ep.environments.Scheduled([20_000], [harmony])
    run = ep.polities(pd_game, [None], n=10, m=10, generations=40_000, split=0.05,
                      mutation=0.01, selection=1.0, environment=env, seed=7,
                      record_every=1000)  # fmt: skip
    c = run.frame().groupby("generation")["0"].mean()
    assert c[20_000] < 0.2 and c[40_000] > 0.8
    changes = run.events.query("event == 'environment'")
    assert changes[["generation", "other"]].values.tolist() == [[20_000, 1]]


def test_environment_schedules():
    h = np.eye(2)
    at, game = ep.environments.Periodic(10, [h, h]).schedule(45, np.random.SeedSequence(0))
    assert at.tolist() == [10, 20, 30, 40] and game.tolist() == [1, 2, 0, 1]
    at, game = ep.environments.Scheduled([5, 9], [h, h]).schedule(45, None)
    assert at.tolist() == [5, 9] and game.tolist() == [1, 2]
    mk = ep.environments.Markov(0.01, [h])
    at, game = mk.schedule(100_000, np.random.SeedSequence(1))
    # geometric waiting times of mean 100: about 1000 +- 3 * 31 switches, alternating games
    assert 900 < at.size < 1100 and set(np.diff(game) != 0) == {True}
    again = mk.schedule(100_000, np.random.SeedSequence(1))[0]
    np.testing.assert_array_equal(at, again)
    assert ep.environments.Constant().schedule(10, None)[0].size == 0
    with pytest.raises(ValueError, match="times"):
        ep.environments.Scheduled([5, 5], [h, h])
    with pytest.raises(ValueError, match="rate"):
        ep.environments.Markov(0.0, [h])


def test_temptation_walk_statistics():
    A = donation(3.0, 1.0)  # T = b = 3
    # wide bounds (500 levels each way, about 32 steps of spread): every change is one level,
    # the steps come at rate 0.02 (binomial count, 3 SE) and go up or down with probability 1/2
    wide = ep.environments.TemptationWalk(0.02, 0.01, -2.0, 8.0)
    T = wide.temptations(A)
    at, game = wide.schedule(100_000, np.random.SeedSequence(3), A)
    count, sd = 99_999 * 0.02, math.sqrt(99_999 * 0.02 * 0.98)
    assert abs(at.size - count) < 3 * sd and (np.diff(at) > 0).all()
    path = np.concatenate(([T[0]], T[game]))
    step = np.diff(path)
    np.testing.assert_allclose(np.abs(step), 0.01, rtol=1e-9)
    assert abs((step > 0).mean() - 0.5) < 3 * 0.5 / math.sqrt(step.size)
    games = wide.matrices(("0", "1"), A)
    assert len(games) == T.size - 1 and games[0][1, 0] == pytest.approx(-2.0)
    np.testing.assert_array_equal(np.delete(games[7].ravel(), 2), np.delete(A.ravel(), 2))
    # three levels held at their bounds: the transition matrix is doubly stochastic, so the
    # time spent at each level tends to 1/3 (steps at rate 1/2: correlation time ~ 4, so
    # 60,000 generations give an SE ~ 0.01)
    tight = ep.environments.TemptationWalk(0.5, 0.5, 2.5, 3.5)
    at, game = tight.schedule(60_000, np.random.SeedSequence(4), A)
    spans = np.diff(np.concatenate(([0], at, [60_000])))
    occupancy = np.bincount(np.concatenate(([0], game)), weights=spans) / 60_000
    np.testing.assert_allclose(occupancy, 1 / 3, atol=0.04)
    with pytest.raises(ValueError, match="must lie in"):
        ep.environments.TemptationWalk(0.1, 0.5, 4.0, 5.0).schedule(10, None, A)
    with pytest.raises(ValueError, match="low must be below high"):
        ep.environments.TemptationWalk(0.1, 0.5, 4.0, 4.0)


def test_temptation_walk_moves_the_game_of_a_run():
    # each recorded polity's mean payoff, recomputed by hand from its members and the
    # temptation the logged walk had reached: sum_i x_i (sum_j A_ij n_j - A_ii) / (N - 1)
    A = donation(3.0, 1.0)
    env = ep.environments.TemptationWalk(0.01, 1.0, 1.0, 5.0)
    run = ep.polities(A, [None], n=5, m=3, generations=2000, split=0.1, selection=0.1,
                      environment=env, x0=[3, 2], seed=5, record_every=50)
    T = env.temptations(A)
    changes = run.events.query("event == 'environment'")
    assert len(changes) > 5
    f = run.frame()
    for g, at, x, N, pay in zip(f["generation"], f.index, f["0"], f["size"], f["mean_payoff"],
                                strict=True):  # fmt: skip
        game = changes.loc[changes["generation"] <= g, "other"]
        B = A.copy()
        B[1, 0] = T[game.iloc[-1]] if len(game) else T[0]
        n = np.array([x, 1.0 - x]) * N
        expected = n @ ((B @ n - np.diag(B)) / (N - 1)) / N
        assert pay == pytest.approx(expected, abs=1e-9), at


# -- institutions, reproducibility, refusals -------------------------------------------------


def test_strength_law_is_integrated_exactly():
    # dm/dt = lambda (support - m) - decay, held in [0, 1], against a fine Euler integration
    for m0, support, lam, decay in ((0.2, 0.9, 1.5, 0.1), (0.9, 0.05, 2.0, 0.3),
                                    (0.5, 0.5, 0.0, 0.2)):  # fmt: skip
        m = m0
        for _ in range(200_000):
            dm = lam * (support - m) - decay
            if not ((m <= 0 and dm < 0) or (m >= 1 and dm > 0)):
                m = min(1.0, max(0.0, m + dm * 1e-5))
        assert strength_after(m0, support, lam, decay, 2.0) == pytest.approx(m, abs=1e-4)


def test_coevolving_institutions_follow_their_law_in_a_run():
    # ALLC only: support = 1, so m -> 1 - decay / lambda = 0.8 from 0.3
    r = ep.Regime(name="coev", fine=1.0, detection=0.5, feedback=1.0, decay=0.2,
                  initial_strength=0.3)
    run = ep.polities(donation(2.0, 1.0), [r], n=5, m=4, generations=20_000, split=0.0,
                      cooperation=np.array([[1.0, 1.0], [0.0, 0.0]]), x0=[5, 0], seed=8)
    s = run.frame().groupby("generation")["institution_strength"].mean()
    assert s.iloc[0] == pytest.approx(0.3) and s.iloc[-1] == pytest.approx(0.8, abs=1e-6)


def test_same_seed_same_run():
    kw = dict(n=6, m=10, generations=3000, split=0.2, migration=0.1, imitation=0.1,
              selection=0.5, mutation=0.01, record_every=100,
              environment=ep.environments.Markov(0.002, [np.array([[5.0, 2.0], [1.0, 0.0]])]))
    regimes = [None, None]
    a = ep.polities(donation(3.0, 1.0), regimes, seed=9, **kw)
    b = ep.polities(donation(3.0, 1.0), regimes, seed=9, **kw)
    c = ep.polities(donation(3.0, 1.0), regimes, seed=10, **kw)
    pd.testing.assert_frame_equal(a.frame(), b.frame())
    pd.testing.assert_frame_equal(a.events, b.events)
    assert (a.events["event"] == "environment").sum() > 0  # the switches come from the seed
    assert not a.frame().equals(c.frame())


def test_refusals_name_the_parameter():
    A = donation(3.0, 1.0)
    with pytest.raises(ValueError, match="split needs m >= 2"):
        ep.polities(A, [None], n=5, m=1, generations=10, split=0.1)
    with pytest.raises(ValueError, match="mutation applies"):
        ep.polities(A, [ep.Regime()], n=5, m=2, generations=10, mutation=0.1,
                    cooperation=np.eye(2))
    with pytest.raises(ValueError, match="x0"):
        ep.polities(A, [None], n=5, m=2, generations=10, x0=[4, 3])
    with pytest.raises(ValueError, match="n must be >= 3"):
        ep.polities(A, [None], n=2, m=2, generations=10)
    with pytest.raises(ValueError, match="collapse.duration"):
        ep.Collapse(0.0, 0)
    with pytest.raises(ValueError, match="split and migration"):
        ep.multilevel_fixation(A, 4, 3, 0.1, 10, split=0.0)
    with pytest.raises(ValueError, match="assignment"):
        ep.polities(A, [None], n=5, m=3, generations=10, assignment=[0, 0])
