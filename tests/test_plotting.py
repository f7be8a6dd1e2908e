"""Figures read back from their artists: the drawn geometry must be the data's.

Expected numbers come from the frames the tests build (pivoted means, band thicknesses) or by
hand (the barycentric images of simplex points: corners A=(0,0), B=(1,0), C=(1/2, sqrt(3)/2)).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from evopolity.dynamics.trajectory import Event, Trajectory
from evopolity.experiments import figures as plotting

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _tidy(times, freqs, names, **ids) -> pd.DataFrame:
    T, k = freqs.shape
    return pd.DataFrame(
        {
            "time": np.repeat(times, k),
            "strategy": np.tile(np.array(names, dtype=object), T),
            "frequency": freqs.reshape(-1),
            **ids,
        }
    )


def _peaked(k: int = 14, T: int = 40) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """k strategies; strategy i peaks at 0.9 - 0.05 i at row 2i (so its rank by max is i)."""
    assert T >= 2 * k and k <= 16
    t = np.linspace(0.0, 30.0, T)
    x = np.full((T, k), 1.0 / k)
    for i in range(k):
        peak = 0.9 - 0.05 * i
        x[2 * i] = (1.0 - peak) / (k - 1)
        x[2 * i, i] = peak
    return t, x, [f"S{i:02d}" for i in range(k)]


def _bands(ax) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For each stacked band: x, lower edge and upper edge read from its polygon's vertices."""
    out = {}
    for coll in ax.collections:
        gid = coll.get_gid()
        if gid is None:
            continue
        v = np.concatenate([p.vertices for p in coll.get_paths()])
        xs = np.unique(v[:, 0])
        lo = np.array([v[v[:, 0] == x, 1].min() for x in xs])
        hi = np.array([v[v[:, 0] == x, 1].max() for x in xs])
        out[gid] = (xs, lo, hi)
    return out


# --------------------------------------------------------------------------- frequencies


def test_stacked_areas_top_edge_is_one_and_bands_are_the_frequencies():
    t, x, names = _peaked()
    fig = plotting.frequencies(_tidy(t, x, names), top=5)
    ax = fig.axes[0]
    bands = _bands(ax)
    assert set(bands) == {*names[:5], "other"}
    xs, _, top_edge = bands["other"]  # "other" is stacked last, on top
    np.testing.assert_allclose(xs, t)
    np.testing.assert_allclose(top_edge, 1.0, atol=1e-12)
    for i in range(5):  # each named band is exactly as thick as its strategy's frequency
        _, lo, hi = bands[names[i]]
        np.testing.assert_allclose(hi - lo, x[:, i], atol=1e-12)
    _, lo, hi = bands["other"]
    np.testing.assert_allclose(hi - lo, x[:, 5:].sum(axis=1), atol=1e-12)
    assert ax.get_xlabel() == "time" and ax.get_ylabel() == "frequency"
    assert ax.get_title()


def test_legend_names_the_top_strategies_then_other_top_down():
    t, x, names = _peaked()
    fig = plotting.frequencies(_tidy(t, x, names), top=4)
    legend = fig.axes[0].get_legend()
    labels = [tx.get_text() for tx in legend.get_texts()]
    # stacked bottom-up in rank order, listed top-down as they appear
    assert labels == ["other", "S03", "S02", "S01", "S00"]


def test_rank_by_final_frequency_picks_the_winners_at_the_end():
    t, x, names = _peaked(k=6)
    x = x.copy()
    x[-1] = [0.01, 0.01, 0.02, 0.06, 0.3, 0.6]  # S05 and S04 end on top
    fig = plotting.frequencies(_tidy(t, x, names), top=2, by="final")
    labels = [tx.get_text() for tx in fig.axes[0].get_legend().get_texts()]
    assert labels == ["other", "S04", "S05"]


def test_no_other_band_when_it_would_hide_a_single_strategy():
    t, x, names = _peaked(k=6)
    fig = plotting.frequencies(_tidy(t, x, names), top=5)
    labels = [tx.get_text() for tx in fig.axes[0].get_legend().get_texts()]
    assert "other" not in labels and sorted(labels) == names


def test_shock_lines_sit_at_the_trajectorys_event_times_with_labels():
    # a segmented run repeats the shock time (state before and after), as evolve() does
    t = np.array([0.0, 5.0, 10.0, 10.0, 15.0, 20.0, 20.0, 25.0])
    x = np.tile([0.5, 0.3, 0.2], (len(t), 1))
    ev = [Event(10.0, "temptation", {"T_before": 5.0, "T_after": 7.0}), Event(20.0, "collapse")]
    tr = Trajectory(t, x, ["A", "B", "C"], events=ev)
    ax = plotting.frequencies(tr).axes[0]
    shock_lines = [ln for ln in ax.lines if ln.get_gid() == "shock"]
    assert [ln.get_xdata()[0] for ln in shock_lines] == [10.0, 20.0]
    assert all(ln.get_xdata()[0] == ln.get_xdata()[1] for ln in shock_lines)
    texts = [tx.get_text().strip() for tx in ax.texts]
    assert texts == ["temptation T=7", "collapse"]
    assert [tx.get_position()[0] for tx in ax.texts] == [10.0, 20.0]
    # both rows at each repeated time are drawn: the band edge has len(t) points per side
    xs, _, top_edge = _bands(ax)["C"]
    np.testing.assert_allclose(xs, np.unique(t))
    np.testing.assert_allclose(top_edge, 1.0)


def test_shocks_given_as_events_frame_times_or_pairs():
    t, x, names = _peaked(k=3)
    frame = _tidy(t, x, names)
    events = pd.DataFrame({"time": [12.0, 3.0, 12.0], "kind": ["noise", "invasion", "collapse"]})
    ax = plotting.frequencies(frame, shocks=events).axes[0]
    assert [ln.get_xdata()[0] for ln in ax.lines if ln.get_gid() == "shock"] == [3.0, 12.0]
    assert [tx.get_text().strip() for tx in ax.texts] == ["invasion", "noise, collapse"]
    ax = plotting.frequencies(frame, shocks=[7.5, (9.0, "tax up")]).axes[0]
    assert [tx.get_text().strip() for tx in ax.texts] == ["shock", "tax up"]


def test_frequencies_refuses_a_frame_of_several_runs_and_bad_arguments():
    t, x, names = _peaked(k=3)
    two = pd.concat([_tidy(t, x, names, run=0), _tidy(t, x, names, run=1)])
    with pytest.raises(ValueError, match="several runs"):
        plotting.frequencies(two)
    with pytest.raises(ValueError, match="top"):
        plotting.frequencies(_tidy(t, x, names), top=0)
    with pytest.raises(ValueError, match="lacks the column"):
        plotting.frequencies(pd.DataFrame({"time": [0.0], "freq": [1.0]}))
    with pytest.raises(TypeError):
        plotting.frequencies(x)


def test_frequencies_saves_a_png_at_150_dpi(tmp_path):
    t, x, names = _peaked()
    p = tmp_path / "sub" / "f.png"
    plotting.frequencies(_tidy(t, x, names), path=p)
    data = p.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert [f.name for f in p.parent.iterdir()] == ["f.png"]  # written atomically, no leftovers
    width = int.from_bytes(data[16:20], "big")
    assert width > 9.0 * 150 * 0.9  # 9-inch figure at 150 dpi (tight bbox adds the legend)


# --------------------------------------------------------------------------- simplex


def test_simplex_path_is_the_barycentric_image_of_the_frequencies():
    names = ["Tit For Tat", "Defector", "Cooperator"]
    x = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0],
                  [1 / 3, 1 / 3, 1 / 3]])
    frame = _tidy(np.arange(5.0), x, names)
    ax = plotting.simplex(frame).axes[0]
    (path,) = [ln for ln in ax.lines if ln.get_gid() == "trajectory"]
    h = math.sqrt(3.0) / 2.0
    by_hand = [(0.3 + 0.25, 0.5 * h),  # 0.2 A + 0.3 B + 0.5 C
               (0.0, 0.0), (1.0, 0.0), (0.5, h),  # the corners
               (0.5, h / 3.0)]  # the barycentre
    np.testing.assert_allclose(path.get_xydata(), by_hand, atol=1e-12)
    (start,) = [ln for ln in ax.lines if ln.get_gid() == "start"]
    (end,) = [ln for ln in ax.lines if ln.get_gid() == "end"]
    np.testing.assert_allclose(start.get_xydata()[0], by_hand[0])
    np.testing.assert_allclose(end.get_xydata()[0], by_hand[-1])
    corners = {tx.get_text(): tx.get_position() for tx in ax.texts if tx.get_gid() == "corner"}
    assert set(corners) == set(names)
    # each name sits by its own corner
    assert corners["Tit For Tat"][0] < 0.1 and corners["Tit For Tat"][1] < 0
    assert corners["Defector"][0] > 0.9 and corners["Defector"][1] < 0
    assert corners["Cooperator"][1] > h
    labels = [tx.get_text() for tx in ax.get_legend().get_texts()]
    assert labels[:3] == ["trajectory", "start", "end"]


def test_simplex_marks_the_state_at_each_shock():
    t = np.array([0.0, 1.0, 2.0, 2.0, 3.0])
    x = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1], [1, 1, 1]]) / np.array(
        [[1], [1], [1], [1], [3]])
    tr = Trajectory(t, x, ["A", "B", "C"], events=[Event(1.0, "noise")])
    ax = plotting.simplex(tr).axes[0]
    (marks,) = [ln for ln in ax.lines if ln.get_gid() == "shocks"]
    np.testing.assert_allclose(marks.get_xydata(), [[1.0, 0.0]])  # the state at t=1 is B


@pytest.mark.parametrize("k", [2, 4])
def test_simplex_refuses_anything_but_three_strategies(k):
    x = np.full((3, k), 1.0 / k)
    tr = Trajectory([0.0, 1.0, 2.0], x, [f"s{i}" for i in range(k)])
    with pytest.raises(ValueError, match=f"exactly 3 strategies.*k={k}"):
        plotting.simplex(tr)


def test_barycentric_corners_and_centre():
    h = math.sqrt(3.0) / 2.0
    np.testing.assert_allclose(plotting.barycentric([[2, 0, 0], [0, 0, 5], [1, 1, 1]]),
                               [[0, 0], [0.5, h], [0.5, h / 3]], atol=1e-12)


# --------------------------------------------------------------------------- phase diagram


def _sweep(regimes=("balanced",), seeds=3, missing=True) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for r in regimes:
        for fine in (0.0, 0.5, 1.0, 2.0):
            for tax in (0.1, 0.2, 0.3):
                for s in range(seeds):
                    if missing and fine == 2.0 and tax == 0.3:
                        continue
                    rows.append({"task": len(rows), "seed": s, "regime": r, "scenario": "shocked",
                                 "regime.fine": fine, "regime.tax": tax,
                                 "cooperation": rng.uniform(), "effective_number":
                                 1 + 4 * rng.uniform()})
    df = pd.DataFrame(rows)
    # the other summary columns of a sweep part, as evopolity.experiments.sweep writes them
    for col in ("entropy", "richness", "inverse_simpson", "mean_payoff", "mean_fitness",
                "institution_strength", "min_cooperation", "cooperation_drop", "recovery_time"):
        df[col] = 0.5
    df["recovered"] = pd.array([True] * len(df), dtype="boolean")
    return df


@pytest.mark.parametrize("value", ["cooperation", "effective_number"])
def test_heat_map_array_is_the_pivoted_mean_over_seeds(value):
    df = _sweep()
    fig = plotting.phase_diagram(df, "regime.fine", "regime.tax", value)
    ax = fig.axes[0]
    (mesh,) = [c for c in ax.collections if c.get_gid() == "heatmap"]
    expected = df.pivot_table(index="regime.tax", columns="regime.fine", values=value,
                              aggfunc="mean")
    got = np.ma.asarray(mesh.get_array()).reshape(expected.shape)
    np.testing.assert_allclose(got.filled(np.nan), expected.to_numpy(), equal_nan=True)
    assert got.mask[-1, -1] and not got.mask[:-1].any()  # the missing combination is blank
    assert ax.get_xlabel() == "regime.fine" and ax.get_ylabel() == "regime.tax"
    colorbar_label = fig.axes[1].get_ylabel()
    assert plotting.LABELS[value] in colorbar_label and "3 seeds" in colorbar_label
    if value == "cooperation":
        assert mesh.get_clim() == (0.0, 1.0)
    else:
        assert mesh.get_clim() == (np.nanmin(expected), np.nanmax(expected))
    # cells are centred on the swept values: edges halfway between them
    xs = np.unique(mesh.get_coordinates()[..., 0])
    np.testing.assert_allclose(xs, [-0.25, 0.25, 0.75, 1.5, 2.5])
    cells = [tx.get_text() for tx in ax.texts if tx.get_gid() == "cell"]
    assert len(cells) == 11


def test_phase_diagram_needs_a_regime_when_the_sweep_holds_several():
    df = _sweep(regimes=("balanced", "captured"))
    with pytest.raises(ValueError, match="several regimes"):
        plotting.phase_diagram(df, "regime.fine", "regime.tax")
    fig = plotting.phase_diagram(df, "regime.fine", "regime.tax", regime="captured")
    (mesh,) = [c for c in fig.axes[0].collections if c.get_gid() == "heatmap"]
    sub = df[df.regime == "captured"]
    expected = sub.pivot_table(index="regime.tax", columns="regime.fine", values="cooperation")
    got = np.ma.asarray(mesh.get_array()).reshape(expected.shape).filled(np.nan)
    np.testing.assert_allclose(got, expected.to_numpy(), equal_nan=True)
    assert "captured" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="regime must be one of"):
        plotting.phase_diagram(df, "regime.fine", "regime.tax", regime="nope")
    with pytest.raises(ValueError, match="lacks the column"):
        plotting.phase_diagram(df, "regime.fine", "game.T")


def test_geometric_axis_is_drawn_on_a_log_scale_labelled_with_the_swept_values():
    df = _sweep(missing=False)
    df["regime.tax"] = df["regime.tax"].map({0.1: 0.01, 0.2: 0.1, 0.3: 1.0})
    ax = plotting.phase_diagram(df, "regime.fine", "regime.tax").axes[0]
    assert ax.get_yscale() == "log" and ax.get_xscale() == "linear"
    assert [tx.get_text() for tx in ax.get_yticklabels()] == ["0.01", "0.1", "1"]


# --------------------------------------------------------------------------- regime outcomes


def _summary() -> pd.DataFrame:
    rows = []
    for r, coop, rec in (("laissez-faire", 0.3, [False, False]), ("balanced", 0.9, [True, True]),
                         ("captured", 0.6, [True, False])):
        for seed in (0, 1):
            base = {"run": len(rows), "regime": r, "seed": seed}
            rows.append({**base, "scenario": "baseline", "cooperation": coop + 0.02 * seed,
                         "effective_number": 2.0 + seed, "min_cooperation": np.nan,
                         "recovered": pd.NA, "recovery_time": np.nan})
            rows.append({**base, "scenario": "shocked", "cooperation": coop - 0.1 + 0.04 * seed,
                         "effective_number": 1.5 + seed, "min_cooperation": coop - 0.2,
                         "recovered": rec[seed], "recovery_time": 12.0 if rec[seed] else np.nan})
    df = pd.DataFrame(rows)
    df["recovered"] = df["recovered"].astype("boolean")
    return df


def test_grouped_bars_are_the_means_per_regime_and_scenario():
    df = _summary()
    fig = plotting.regime_outcomes(df)
    means = df.groupby(["regime", "scenario"], sort=False)[["cooperation",
                                                            "effective_number"]].mean()
    regimes = ["laissez-faire", "balanced", "captured"]
    for ax, value in zip(fig.axes, ("cooperation", "effective_number"), strict=True):
        for scen in ("baseline", "shocked"):
            (bars,) = [c for c in ax.containers if c.get_label() == scen]
            heights = [b.get_height() for b in bars]
            np.testing.assert_allclose(heights, [means.loc[(r, scen), value] for r in regimes])
            centres = [b.get_x() + b.get_width() / 2 for b in bars]
            # baseline left of shocked, within each regime's slot
            offset = -0.2 if scen == "baseline" else 0.2
            np.testing.assert_allclose(centres, np.arange(3) + offset)
        assert [t.get_text() for t in ax.get_xticklabels()] == regimes
        assert ax.get_ylabel() == plotting.LABELS[value]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"baseline", "shocked", "lowest after shock"} <= set(legend)


def test_recovery_and_the_lowest_cooperation_are_marked_on_the_shocked_bars():
    df = _summary()
    ax = plotting.regime_outcomes(df).axes[0]
    texts = [t.get_text() for t in ax.texts if t.get_gid() == "recovery"]
    assert texts == ["recovered\n0/2", "recovered\n2/2", "recovered\n1/2"]
    lows = [ln.get_ydata()[0] for ln in ax.lines if ln.get_gid() == "min_cooperation"]
    np.testing.assert_allclose(lows, [0.1, 0.7, 0.4])
    one = plotting.regime_outcomes(df[df.seed == 0]).axes[0]
    texts = [t.get_text() for t in one.texts if t.get_gid() == "recovery"]
    assert texts == ["not\nrecovered", "recovered\nt=12", "recovered\nt=12"]


# --------------------------------------------------------------------------- timeline


def test_macro_timeline_draws_the_first_seed_of_each_regime_and_scenario():
    t = np.linspace(0, 10, 11)
    rows = []
    for r in ("a", "b"):
        for scen in ("baseline", "shocked"):
            for seed in (1, 0):
                for var in ("cooperation", "institution_strength"):
                    rows.append(pd.DataFrame({"run": 0, "regime": r, "scenario": scen,
                                              "seed": seed, "time": t, "variable": var,
                                              "value": (t / 10) ** (seed + 1)}))
    macro = pd.concat(rows)
    events = pd.DataFrame({"regime": ["a", "b"], "scenario": "shocked", "seed": 0, "run": 0,
                           "time": [3.0, 6.0], "kind": "temptation"})
    fig = plotting.macro_timeline(macro, events=events)
    axs = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axs] == ["a", "b"]
    for ax, shock in zip(axs, (3.0, 6.0), strict=True):
        data = [ln for ln in ax.lines if ln.get_gid() != "shock"]
        assert [ln.get_label() for ln in data] == ["baseline", "shocked"]
        for ln in data:
            np.testing.assert_allclose(ln.get_ydata(), t / 10)  # seed 0, not seed 1
        assert [ln.get_xdata()[0] for ln in ax.lines if ln.get_gid() == "shock"] == [shock]
    with pytest.raises(ValueError, match="no variable 'legitimacy'"):
        plotting.macro_timeline(macro, "legitimacy")


# --------------------------------------------------------------------------- directories


def _write_run(root, regimes=("laissez-faire", "balanced")):
    root.mkdir(parents=True, exist_ok=True)
    times = np.linspace(0, 20, 21)
    names = [f"S{i}" for i in range(12)]
    traj, macro, events = [], [], []
    run = 0
    for r in regimes:
        for scen in ("baseline", "shocked"):
            for seed in (0, 1):
                ids = {"run": run, "regime": r, "scenario": scen, "seed": seed}
                x = np.random.default_rng(run).dirichlet(np.ones(12), size=len(times))
                traj.append(_tidy(times, x, names, **ids))
                macro.append(pd.DataFrame({**ids, "time": times, "variable": "cooperation",
                                           "value": x[:, :6].sum(axis=1)}))
                if scen == "shocked":
                    events.append(pd.DataFrame({**ids, "time": [7.0], "kind": ["temptation"]}))
                run += 1
    pd.concat(traj).to_parquet(root / "trajectories.parquet")
    pd.concat(macro).to_parquet(root / "macro.parquet")
    pd.concat(events).to_parquet(root / "events.parquet")
    _summary().to_parquet(root / "summary.parquet")


def test_plot_directory_writes_the_run_figures(tmp_path):
    _write_run(tmp_path / "run")
    paths = plotting.plot_directory(tmp_path / "run")
    fig_dir = tmp_path / "run" / "figures"
    assert [p.name for p in paths] == [
        "frequencies-laissez-faire-baseline.png",
        "frequencies-laissez-faire-shocked.png",
        "frequencies-balanced-baseline.png",
        "frequencies-balanced-shocked.png",
        "cooperation.png",
        "regime-outcomes.png",
    ]
    assert sorted(p.name for p in fig_dir.iterdir()) == sorted(p.name for p in paths)
    for p in paths:
        assert p.parent == fig_dir and p.read_bytes()[:8] == PNG_MAGIC


def test_a_run_with_polities_gets_one_survival_figure_per_rate_of_change(tmp_path):
    # the main job's polities section: Kaplan-Meier curves at each rate of environmental change
    _write_run(tmp_path / "run")
    curve = pd.DataFrame({"time": [0.0, 5.0, 9.0], "survival": [1.0, 0.5, 0.0]})
    pd.concat([curve.assign(rate=rate, seed=seed, regime=regime)
               for rate in (0.01, 0.1) for seed in (0, 1) for regime in ("free", "fined")]
              ).to_parquet(tmp_path / "run" / "polity_survival.parquet")
    paths = plotting.plot_directory(tmp_path / "run")
    assert [p.name for p in paths][-2:] == ["polities-survival-rate-0.01.png",
                                            "polities-survival-rate-0.1.png"]
    assert all(p.read_bytes()[:8] == PNG_MAGIC for p in paths[-2:])


def _write_parts(root, df: pd.DataFrame) -> None:
    """One part per task, each holding its task's row, as a sweep writes them."""
    df = df.reset_index(drop=True).assign(task=lambda d: np.arange(len(d)))
    for task in range(len(df)):
        df.iloc[[task]].to_parquet(root / "parts" / f"part-{task:06d}.parquet")


def test_plot_directory_writes_phase_diagrams_per_regime_for_a_sweep(tmp_path):
    root = tmp_path / "sweep"
    (root / "parts").mkdir(parents=True)
    df = _sweep(regimes=("balanced", "captured"))
    _write_parts(root, df)
    (root / "sweep.json").write_text(json.dumps(
        {"tasks": len(df),
         "axes": {"regime.fine": [0.0, 0.5, 1.0, 2.0], "regime.tax": [0.1, 0.2, 0.3]}}))
    names = [p.name for p in plotting.plot_directory(root)]
    assert names == ["phase-cooperation-balanced.png", "phase-cooperation-captured.png",
                     "phase-effective_number-balanced.png",
                     "phase-effective_number-captured.png"]


def test_plot_directory_draws_lines_for_a_one_axis_sweep(tmp_path):
    root = tmp_path / "sweep1"
    (root / "parts").mkdir(parents=True)
    df = _sweep().drop(columns="regime.tax").drop_duplicates(["regime.fine", "seed"])
    _write_parts(root, df)
    (root / "sweep.json").write_text(json.dumps(
        {"tasks": len(df), "axes": {"regime.fine": [0.0, 0.5, 1.0, 2.0]}}))
    paths = plotting.plot_directory(root)
    assert [p.name for p in paths] == ["sweep-cooperation.png", "sweep-effective_number.png"]


def test_sweep_lines_plot_the_mean_over_seeds():
    df = _sweep(regimes=("balanced", "captured"), missing=False)
    ax = plotting.sweep_lines(df[df["regime.tax"] == 0.1], "regime.fine").axes[0]
    assert [ln.get_label() for ln in ax.lines] == ["balanced", "captured"]
    sub = df[(df["regime.tax"] == 0.1) & (df.regime == "captured")]
    expected = sub.groupby("regime.fine")["cooperation"].mean()
    np.testing.assert_allclose(ax.lines[1].get_xdata(), expected.index)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), expected.to_numpy())


def test_plot_directory_refuses_an_empty_or_missing_directory(tmp_path):
    with pytest.raises(ValueError, match="neither a run.*nor a sweep"):
        plotting.plot_directory(tmp_path)
    with pytest.raises(ValueError, match="not a directory"):
        plotting.plot_directory(tmp_path / "absent")
    assert not (tmp_path / "figures").exists()


def test_a_real_shocked_run_draws_on_the_simplex_and_stacks_to_one():
    import evopolity as ep

    # carrot-then-stick: three strategies stay three (balanced's members fund their
    # institution, which crosses each strategy with {contributes, abstains})
    tr = ep.evolve(["Tit For Tat", "Defector", "Cooperator"], ep.regimes.carrot_then_stick(),
                   turns=20, t_max=30, shocks=[ep.Shock(10.0, "temptation", 7.0)])
    ax = plotting.simplex(tr).axes[0]
    (path,) = [ln for ln in ax.lines if ln.get_gid() == "trajectory"]
    x = tr.frequencies / tr.frequencies.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(path.get_xdata(), x[:, 1] + 0.5 * x[:, 2], atol=1e-12)
    np.testing.assert_allclose(path.get_ydata(), math.sqrt(3) / 2 * x[:, 2], atol=1e-12)
    ax = plotting.frequencies(tr).axes[0]
    top = _bands(ax)[_top_name(ax)]
    np.testing.assert_allclose(top[2], 1.0, atol=1e-9)
    assert [ln.get_xdata()[0] for ln in ax.lines if ln.get_gid() == "shock"] == [10.0]


def _top_name(ax) -> str:
    """The band stacked last (the legend lists it first)."""
    return ax.get_legend().get_texts()[0].get_text()
