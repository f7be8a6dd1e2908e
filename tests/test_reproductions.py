"""The reproduction scripts (scripts/reproduce_*.py) at reduced size, against the papers.

Each test imports a script by path and checks its numbers against the paper's closed forms or
claims (never against the scripts' own earlier output); the source of each expected value is
stated where it is used.
"""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def load(name):
    if str(SCRIPTS) not in sys.path:  # as `python scripts/x.py` does: siblings import
        sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- Nowak, Sasaki, Taylor & Fudenberg 2004 ---------------------------------------------------


def test_nowak2004_tft_alld_matches_one_third_law():
    nowak = load("reproduce_nowak2004")
    A = nowak.tft_alld_matrix(10)
    # the paper's TFT/ALLD matrix for m = 10, R, S, T, P = 3, 0, 5, 1: a = 30, b = 9, c = 14,
    # d = 10, so x* = 1/17 and rho_TFT > 1/N under weak selection iff N > 43/14
    np.testing.assert_array_equal(A.to_numpy(), [[30, 9], [14, 10]])
    cf = nowak.closed_forms(A)
    assert cf["x_star"] == pytest.approx(1 / 17)
    assert cf["N_threshold"] == pytest.approx(43 / 14)
    fix = nowak.fixation_table(A, [2, 3, 4, 5, 10, 40], selections=(1e-4,))
    assert list(fix.favoured) == list(fix.paper) == [False, False, True, True, True, True]
    # first order in w: N rho = 1 + w (alpha N - beta)/6 (the paper's expansion); the
    # remainder is O(w^2 N^2), 2 % of the first-order term at N = 40, w = 1e-4
    np.testing.assert_allclose(fix.N_rho - 1, fix.N_rho_weak - 1, rtol=2e-2)
    # one-third law for m rounds: x* < 1/3 iff m > (T + P - 2S)/(R - P) = 3
    rounds = nowak.rounds_table(range(3, 12))
    assert list(rounds.one_third) == [m > 3 for m in range(3, 12)]


def test_nowak2004_moran_simulation_agrees_with_exact_fixation():
    nowak = load("reproduce_nowak2004")
    A = nowak.tft_alld_matrix(10)
    sim = nowak.simulate(A, 6, 0.1, runs=4000, seed=11)
    # 4 binomial standard errors
    assert abs(sim["simulated"] - sim["exact"]) < 4 * sim["se"]


# -- Hauert, De Monte, Hofbauer & Sigmund 2002 ------------------------------------------------


def test_hauert2002_rest_point_and_cycles_match_the_paper():
    hauert = load("reproduce_hauert2002")
    import evopolity as ep

    game = ep.public_goods(5, 3.0, 1.0, sigma=1.0)
    Q = hauert.our_Q(game, [0.3, 0.3, 0.4])
    # the paper: at Q, x/(x+y) = sigma/(r-1) and F(z) = 0
    assert Q[0] / (Q[0] + Q[1]) == pytest.approx(0.5, abs=1e-9)
    assert hauert.F(Q[2]) == pytest.approx(0.0, abs=1e-9)
    frame, _ = hauert.orbit_table(deltas=(0.005, 0.2), t_max=60.0, n_points=12001)
    # closed orbits (the paper's constant of motion), cycling C -> D -> L
    assert frame.H_drift.max() < 1e-8
    assert set(frame.order) == {"C -> D -> L"}
    # from df/dt = -f(1-f)F(z), dz/dt = -z(1-z)(1-z^(N-1))((r-1)f - sigma): the time average
    # of f over a period is sigma/(r-1), and small orbits have period 2 pi/omega
    np.testing.assert_allclose(frame.mean_f, 0.5, atol=1e-6)
    assert frame.period.iloc[0] == pytest.approx(hauert.linear_period(), rel=1e-3)
    assert frame.period.iloc[1] > frame.period.iloc[0]


def test_hauert2002_no_interior_rest_point_below_r_2():
    hauert = load("reproduce_hauert2002")
    nc, _ = hauert.no_cycles(t_max=2000.0)
    # the paper: for r < 2, F > 0 on (0, 1), defectors beat cooperators, orbits are
    # homoclinic to the loner state
    assert nc["F_positive"] and nc["defectors_beat_cooperators"] and nc["f_monotone"]
    assert nc["z_min"] < 0.45 and nc["z_end"] > 0.99


# -- Sigmund, De Silva, Traulsen & Hauert 2010 ------------------------------------------------


def test_sigmund2010_peer_vs_pool_ranking_matches_the_paper():
    sigmund = load("reproduce_sigmund2010")
    frame = sigmund.stationary(imitation=(0.5,))
    claims = frame[frame.paper != ""]
    # the abstract and Figs 2-3: peer beats pool without second-order punishment, pool beats
    # peer with it (voluntary); pool takes over the voluntary game, defectors the compulsory
    assert len(claims) == 4
    assert (claims.winner == claims.paper).all()
    both = frame[(frame.participation == "voluntary") & (frame.punishers == "peer + pool")]
    without = both[~both.second_order].iloc[0]
    with_ = both[both.second_order].iloc[0]
    assert without.peer_punisher > 0.5 > without.pool_punisher
    assert with_.pool_punisher > 0.99


# -- Axelrod 1984, the ecological model ---------------------------------------------------------


@pytest.mark.usefixtures("axl")  # the session's one import of axelrod (conftest.py)
def test_axelrod_ecology_agrees_with_axelrod_ecosystem():
    axelrod_ecology = load("reproduce_axelrod_ecology")
    names = ["Tit For Tat", "Defector", "Cooperator", "Grudger", "Alternator", "Raider",
             "Tit For 2 Tats", "Bully"]
    ours, results = axelrod_ecology.payoff_matrices(names, turns=100)
    eco = axelrod_ecology.ecologies(ours, results, generations=200)
    # axelrod's own tournament gives the same per-turn payoffs, and its Ecosystem (no noise:
    # deterministic players) the same shares on the same matrix
    np.testing.assert_allclose(ours.to_numpy(), eco["A_axelrod"].to_numpy(), atol=1e-12)
    np.testing.assert_allclose(eco["ours_on_axelrod"], eco["ecosystem"], atol=1e-12)
    # Axelrod's finding: the non-nice rules die out, Tit For Tat ends among the most common
    final = dict(zip(names, eco["ours"][-1], strict=True))
    assert sum(final[n] for n in ("Defector", "Alternator", "Raider", "Bully")) < 1e-6
    assert max(final, key=final.get) == "Tit For Tat"
    # an exploiter (Raider) grows at first and then dies out with its prey (Axelrod's
    # "Harrington")
    raider = eco["ours"][:, names.index("Raider")]
    assert raider.max() > raider[0] and raider[-1] < 1e-6


# -- games on graphs: Ohtsuki et al. 2006, Nowak & May 1992, Lieberman et al. 2005 ------------


def test_ohtsuki2006_quick_run_follows_the_b_over_c_rule(tmp_path):
    ohtsuki = load("reproduce_ohtsuki2006")
    frame = ohtsuki.main(["--quick", "--out", str(tmp_path)])["fixation"]
    assert (tmp_path / "ohtsuki2006.png").stat().st_size > 0
    # Ohtsuki et al. 2006: death-birth favours one cooperator (N rho > 1) for b/c above the
    # finite threshold (N - 2)/(N/k - 2) (2.25 on the cycle of 20, 5.4 on the 5 x 5 torus)
    # and opposes it below; birth-death never favours it
    db = frame[frame.rule == "db"]
    assert (db.favoured == (db.b_over_c > db.threshold)).all()
    assert (db.opposed == (db.b_over_c < db.threshold)).all()
    assert not frame[frame.rule == "bd"].favoured.any()


def test_nowak_may1992_quick_run_shows_the_three_regimes(tmp_path):
    nowak = load("reproduce_nowak_may1992")
    frame = nowak.main(["--quick", "--out", str(tmp_path)])["regimes"].set_index("b")
    assert (tmp_path / "nowak_may1992_lattice.png").stat().st_size > 0
    # Nowak & May 1992: cooperators dominate below 1.8, fluctuate around 12 ln 2 - 8 between
    # 1.8 and 2, and almost vanish above 2 in a frozen pattern
    assert frame.loc[1.5, "cooperators"] > 0.6
    assert abs(frame.loc[1.9, "cooperators"] - nowak.CHAOS) < 0.1
    assert frame.loc[2.2, "cooperators"] < 0.1 and frame.loc[2.2, "frozen"]


def test_lieberman2005_quick_run_isothermal_and_star(tmp_path):
    lieberman = load("reproduce_lieberman2005")
    frame = lieberman.main(["--quick", "--out", str(tmp_path)])["fixation"].set_index("graph")
    # Lieberman, Hauert & Nowak 2005: regular graphs fix with the Moran probability (within
    # 4 standard errors); the star amplifies selection, well above it
    for name in ("cycle", "torus 5x5", "random 4-regular"):
        assert abs(frame.loc[name, "z"]) < 4
    assert frame.loc["star", "rho"] - 4 * frame.loc["star", "se"] > frame.loc["star", "moran"]


# -- multilevel selection: Traulsen & Nowak 2006 ------------------------------------------------


def test_traulsen_nowak2006_quick_run_follows_the_multilevel_condition(tmp_path):
    traulsen = load("reproduce_traulsen_nowak2006")
    frame = traulsen.main(["--quick", "--out", str(tmp_path)])["fixation"].set_index("b_over_c")
    assert (tmp_path / "traulsen_nowak2006.png").stat().st_size > 0
    # Traulsen & Nowak 2006: with n = 3, m = 8 one cooperator is favoured (n m rho > 1) iff
    # b/c > 1 + n/(m - 2) = 1.5; 1.1 lies below it, 6 above
    assert traulsen.threshold(3, 8) == 1.5
    assert list(frame.paper) == [False, True]
    # docs/polities.md's rare-splitting formula, by hand at b/c = 6, w = 0.1: inside the group
    # r = exp(-0.1 (1 + 6/2)), rho_3 = 0.2120; between groups r = exp(0.5), rho_8 = 0.4008;
    # n m rho = 24 * 0.2120 * 0.4008 = 2.039, far above neutral; at b/c = 1.1, 0.880
    assert frame.loc[6.0, "formula"] == pytest.approx(2.039, abs=2e-3)
    assert frame.loc[1.1, "formula"] == pytest.approx(0.880, abs=2e-3)
    high, low = frame.loc[6.0], frame.loc[1.1]
    # well above the threshold the estimate exceeds neutral by more than 4 standard errors
    # (a neutral process would give 1 +- 0.06); well below it it lies under neutral
    assert high.nm_rho - 4 * high.se > 1.0
    assert low.nm_rho < 1.0 and low.nm_rho - 2 * low.se < 1.0
    # and both agree with the formula within 4 standard errors
    assert abs(frame.z).max() < 4
