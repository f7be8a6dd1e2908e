"""The main job's report says only what it measured: every number it states is read back and
checked against the frames it wrote; welfare, game classes, resilience per shock and the
seeds warning against hand-worked cases."""

import math
import re

import numpy as np
import pandas as pd
import pytest

import evopolity as ep
from evopolity import experiments as experiment
from evopolity.analysis import metrics
from evopolity.experiments.analyses import event_rows
from evopolity.experiments.spec import parse_spec
from evopolity.institutions.shocks import Shock

SPEC = {
    "experiment": {"name": "report check", "seeds": [0, 1, 2]},
    "strategies": {"names": ["Tit For Tat", "Defector", "Cooperator", "Grudger"]},
    "play": {"turns": 50, "noise": 0.01},
    "dynamics": {"t_max": 60, "points_per_unit": 1},
    "regimes": [{"preset": "laissez_faire"}, {"preset": "communitarian"},
                {"preset": "balanced"}],
    "shocks": [{"time": 20, "kind": "temptation", "value": 7.0},
               {"time": 40, "kind": "noise", "value": 0.05}],
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    spec = parse_spec(SPEC, "test")
    with pytest.warns(UserWarning, match='method = "exact".*running seed 0 only'):
        summary = experiment.run(spec, out, figures=False, progress=False)
    return out, summary


def _num(text: str) -> float:
    return float(text)


def test_seeds_of_exact_play_are_one_run_and_the_report_says_so(run_dir):
    out, summary = run_dir
    assert set(summary.seed) == {0} and len(summary) == 3 * 2
    report = (out / "report.md").read_text()
    assert "seeds [0, 1, 2] requested" in report and "seed 0 alone ran" in report
    assert "6 distinct runs" in report


def test_every_number_of_the_outcome_table_is_the_summary_s(run_dir):
    out, summary = run_dir
    report = (out / "report.md").read_text()
    block = report.split("## Outcome per regime")[1].split("```")[1].strip().splitlines()
    header = block[0].split()
    assert header[:4] == ["regime", "scenario", "cooperation", "welfare"]
    for line in block[1:]:
        cells = line.split()
        row = summary[(summary.regime == cells[0]) & (summary.scenario == cells[1])].iloc[0]
        for name, cell in zip(header[2:], cells[2:], strict=True):
            if name == "response":
                assert cell == (row.response if row.scenario == "shocked" else "-")
            elif cell == "-":
                assert math.isnan(row[name])
            else:
                assert _num(cell) == pytest.approx(row[name], abs=5e-4), (cells[0], name)


def test_the_shocks_section_states_the_values_and_the_class_change(run_dir):
    out, _ = run_dir
    report = (out / "report.md").read_text()
    events = pd.read_parquet(out / "events.parquet")
    assert "t = 20: T 5 -> 7" in report and "**alternating_dilemma** after" in report
    assert "t = 40: noise 0.01 -> 0.05" in report
    temptation = events[events.kind == "temptation"]
    assert temptation.class_change.all() and (temptation.value_after == 7.0).all()


def test_resilience_lines_are_the_resilience_frame(run_dir):
    out, _ = run_dir
    report = (out / "report.md").read_text()
    res = pd.read_parquet(out / "resilience.parquet")
    block = report.split("## Resilience per shock")[1].split("```")[1].strip().splitlines()
    assert len(block) - 1 == len(res) == 3 * 2  # each shocked run, each shock
    for line, (_, row) in zip(block[1:], res.iterrows(), strict=True):
        cells = line.split()
        assert cells[0] == row.regime and int(cells[1]) == row.shock
        assert _num(cells[5]) == pytest.approx(row.pre_shock, abs=5e-4)
        assert _num(cells[7]) == pytest.approx(row["drop"], abs=5e-4)
        assert cells[9] == row.response
    # the first shock's window ends at the second
    assert set(res[res.shock == 1].until) == {40.0}


def test_ensemble_lines_state_the_frame_s_numbers(run_dir):
    out, _ = run_dir
    report = (out / "report.md").read_text()
    ens = pd.read_parquet(out / "ensemble.parquet")
    pattern = re.compile(
        r"- \*\*(?P<regime>[\w-]+)\*\*: (?P<n>\d+) starts .*?; (?P<k>\d+) distinct final "
        r"states; the most common, `.*?`, reached from (?P<top>\d+) of \d+ starts; "
        r"cooperation mean (?P<c>[\d.]+) \(range (?P<c0>[\d.]+) to (?P<c1>[\d.]+)\); "
        r"effective number mean (?P<e>[\d.]+) .*?welfare mean (?P<w>[\d.]+)")
    found = [m.groupdict() for m in pattern.finditer(report)]
    assert [f["regime"] for f in found] == ["laissez-faire", "communitarian", "balanced"]
    for f in found:
        g = ens[ens.regime == f["regime"]]
        assert int(f["n"]) == len(g) == 8
        assert int(f["k"]) == g.attractor.nunique()
        assert int(f["top"]) == g.attractor.value_counts().iloc[0]
        assert _num(f["c"]) == pytest.approx(g.cooperation.mean(), abs=5e-4)
        assert _num(f["c0"]) == pytest.approx(g.cooperation.min(), abs=5e-4)
        assert _num(f["c1"]) == pytest.approx(g.cooperation.max(), abs=5e-4)
        assert _num(f["e"]) == pytest.approx(g.effective_number.mean(), abs=5e-4)
        assert _num(f["w"]) == pytest.approx(g.welfare.mean(), abs=5e-4)


def test_the_essay_verdicts_follow_from_the_numbers(run_dir):
    out, _ = run_dir
    report = (out / "report.md").read_text()
    ens = pd.read_parquet(out / "ensemble.parquet")
    matched = pd.read_parquet(out / "matched.parquet").set_index("regime")
    coop = ens.groupby("regime").cooperation.mean()
    line = next(x for x in report.splitlines() if x.startswith('- "Laissez-faire erodes'))
    holds = coop["laissez-faire"] < coop.drop("laissez-faire").mean() - 0.05
    assert ("holds" in line) == holds and ("contradicted" in line) == (not holds)
    numbers = [float(v) for v in re.findall(r"\d+\.\d{3}", line)]
    assert numbers == pytest.approx([coop["laissez-faire"], coop.drop("laissez-faire").mean()],
                                    abs=5e-4)
    line = next(x for x in report.splitlines() if x.startswith('- "Balanced keeps both"'))
    keeps = (coop["balanced"] >= coop.max() - 0.05
             and matched.effective_number["balanced"] >= matched.effective_number.median())
    assert ("holds" in line) == keeps
    line = next(x for x in report.splitlines() if x.startswith('- "Communitarian'))
    numbers = [float(v) for v in re.findall(r"\d+\.\d{3}", line)]
    assert numbers == pytest.approx(
        [coop["communitarian"], coop.drop("communitarian").mean(),
         matched.effective_number["communitarian"],
         matched.effective_number.drop("communitarian").mean()], abs=5e-4)
    # which parameters differ is listed, from the regimes themselves
    assert "- communitarian vs balanced: fine 4.0 vs 2.0" in report


def test_attribution_adds_up_and_the_report_states_its_total(run_dir):
    out, _ = run_dir
    report = (out / "report.md").read_text()
    att = pd.read_parquet(out / "attribution.parquet")
    for measure, g in att.groupby("measure"):
        assert g.shapley.sum() == pytest.approx(g.total.iloc[0], abs=1e-9)
        line = next(x for x in report.splitlines()
                    if x.startswith(f"- {measure.replace('_', ' ')}: total difference"))
        total = float(re.search(r"total difference (-?[\d.]+)", line).group(1))
        assert total == pytest.approx(g.total.iloc[0], abs=5e-4)


def test_the_polities_section_states_the_frame_s_medians_and_ranges(run_dir):
    out, _ = run_dir
    report = (out / "report.md").read_text()
    pol = pd.read_parquet(out / "polities.parquet")
    km = pd.read_parquet(out / "polity_survival.parquet")
    assert "## The regimes as polities in a changing world" in report
    # every regime runs as polities, balanced (a funded institution) included
    assert set(pol.regime) == {"laissez-faire", "communitarian", "balanced"}
    assert "Not run as polities" not in report
    for (rate, regime), g in pol.groupby(["rate", "regime"]):
        line = next(x for x in report.splitlines() if x.startswith(f"| {rate:g} | {regime} |"))
        cells = [c.strip() for c in line.strip("|").split("|")]
        share = g.final_share
        assert cells[3] == f"{share.median():.2f} [{share.min():.2f} .. {share.max():.2f}]"
        life = g.median_lifetime.dropna()
        if len(life):
            assert cells[2].startswith(f"{life.median():.0f} [{life.min():.0f} .. "
                                       f"{life.max():.0f}]")
        # each run's median lifetime is its Kaplan-Meier curve's first time at or below 1/2
        for seed, value in zip(g.seed, g.median_lifetime, strict=True):
            curve = km[(km.rate == rate) & (km.seed == seed) & (km.regime == regime)]
            below = curve[curve.survival <= 0.5]
            assert (value == below.time.iloc[0]) if len(below) else math.isnan(value)
    div = pol.groupby("regime").diversity.median()
    line = next(x for x in report.splitlines() if x.startswith('- "A regime that prioritises'))
    assert ("is contradicted" in line) == (div["communitarian"] >= div.max())
    others = ", ".join(f"{r} {div[r]:.2f}" for r in sorted(div.index) if r != "communitarian")
    assert f"{div['communitarian']:.2f}, against {others})" in line
    line = next(x for x in report.splitlines() if x.startswith('- "... and so fails'))
    share = pol.groupby(["rate", "regime"]).final_share.median().unstack()
    lo, hi = share.index.min(), share.index.max()
    c_lo, c_hi = share.loc[lo, "communitarian"], share.loc[hi, "communitarian"]
    other = share.loc[hi].drop("communitarian").max()
    assert ("is contradicted" in line) == (c_hi >= c_lo and c_hi >= other)
    assert ("holds" in line) == (c_hi < c_lo)
    assert f"{c_lo:.2f} at rate {lo:g} and {c_hi:.2f} at rate {hi:g}" in line


# -- hand-worked measures ----------------------------------------------------------------------


def test_welfare_against_hand_computed_values():
    # (3, 0, 5, 1): mutual cooperation is the optimum, 3 per turn
    assert metrics.social_optimum(ep.PrisonersDilemma()) == 3.0
    assert metrics.welfare(2.4, ep.PrisonersDilemma()) == pytest.approx(0.8)
    # T = 7: alternating exploitation pays (7 + 0) / 2 = 3.5 per turn
    assert metrics.social_optimum((3, 0, 7, 1)) == 3.5
    assert metrics.welfare(3.0, (3, 0, 7, 1)) == pytest.approx(6 / 7)
    # a half-half mix of ALLC and ALLD in the one-shot game: x'Ax = (3 + 0 + 5 + 1) / 4
    A = ep.PrisonersDilemma().matrix
    x = np.array([0.5, 0.5])
    assert metrics.welfare(x @ A @ x, ep.PrisonersDilemma()) == pytest.approx(2.25 / 3)
    # donation game b = 3, c = 1: optimum b - c = 2
    assert metrics.welfare(1.0, ep.DonationGame(3, 1)) == pytest.approx(0.5)
    assert math.isnan(metrics.welfare(1.0, (0, -1, 1, -2)))  # optimum 0: no ratio


def test_game_classes_of_hand_picked_games_and_shocks():
    assert metrics.game_class((3, 0, 5, 1)) == "prisoners_dilemma"
    assert metrics.game_class((3, 0, 6, 1)) == "alternating_dilemma"  # 2R = T + S
    assert metrics.game_class((3, 1, 5, 0)) == "snowdrift"
    assert metrics.game_class((5, 0, 3, 1)) == "stag_hunt"
    assert metrics.game_class((3, 2, 3, 1)) == "harmony"  # T <= R: nobody is tempted
    assert metrics.game_class((1, 0, 5, 3)) == "deadlock"
    pd_ = ep.PrisonersDilemma()
    # a temptation shock to 5.5 keeps the dilemma (2R = 6 > 5.5); to 7 leaves it
    keep = ep.evolve(["Tit For Tat", "Defector"], game=pd_, turns=10, t_max=4,
                     shocks=[Shock(1.0, "temptation", 5.5), Shock(2.0, "temptation", 7.0),
                             Shock(3.0, "noise", 0.1)])
    rows = event_rows(keep.events, pd_, 0.0)
    assert [r["class_change"] for r in rows] == [False, True, False]
    assert [(r["value_before"], r["value_after"]) for r in rows] == [(5.0, 5.5), (5.5, 7.0),
                                                                      (0.0, 0.1)]
    assert rows[1]["class_after"] == "alternating_dilemma"
    # a snowdrift whose S falls below P becomes a prisoner's dilemma
    assert metrics.game_class(ep.Snowdrift(R=3, S=1, T=5, P=0)) == "snowdrift"
    assert metrics.game_class((3, -1, 5, 0)) == "prisoners_dilemma"


def test_a_shock_with_no_effect_is_unaffected_not_recovered_at_zero():
    t = np.arange(10.0)
    flat = pd.Series(np.full(10, 0.8), index=t)
    r = metrics.resilience(flat, 3.0)
    assert r["response"] == "unaffected" and math.isnan(r["recovery_time"])
    dip = pd.Series([0.8, 0.8, 0.8, 0.5, 0.6, 0.79, 0.8, 0.3, 0.3, 0.3], index=t)
    # read up to a next shock at t = 6: it fell and was back within 0.05 from t = 5 on
    r = metrics.resilience(dip, 3.0, end=6.0)
    assert r["response"] == "recovered" and r["recovery_time"] == 2.0
    assert r["final"] == 0.8 and r["minimum"] == 0.5
    # up to t = 7 the window ends at that row (0.3, the state a shock there would meet)
    r = metrics.resilience(dip, 3.0, end=7.0)
    assert r["response"] == "fell" and r["final"] == 0.3
    assert metrics.resilience(dip, 3.0)["response"] == "fell"
    with pytest.raises(ValueError, match="end"):
        metrics.resilience(dip, 3.0, end=2.0)


def test_shock_responses_of_a_run_with_a_shock_that_moves_nothing():
    # every strategy cooperates fully whatever the noise: noise changes nothing measurable
    tr = ep.evolve(["Cooperator", "Tit For Tat"], turns=10, t_max=30,
                   shocks=[Shock(10.0, "temptation", 6.0), Shock(20.0, "noise", 0.0)])
    res = metrics.shock_responses(tr)
    assert list(res.until) == [20.0, 30.0]
    assert list(res.response) == ["unaffected", "unaffected"]
    assert res.recovery_time.isna().all()
