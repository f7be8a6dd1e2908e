"""Experiments: specs, the main job, resumable sweeps on a pool and on Dask."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import evopolity as ep
from evopolity.experiments import runner as experiment
from evopolity.experiments.spec import SpecError, load_spec, parse_spec

SWEEP = """
[experiment]
name = "small sweep"
seeds = [0, 1]

[strategies]
names = ["Tit For Tat", "Defector", "Cooperator", "Grudger"]

[play]
turns = 50
noise = 0.02
method = "simulate"
repetitions = 3

[dynamics]
t_max = {t_max}
points_per_unit = 0.5

[[regimes]]
preset = "balanced"

[[shocks]]
time = 10
kind = "temptation"
value = 6.0

[sweep]
"regime.fine" = {{ start = 0.0, stop = 4.0, num = {n_fine} }}
"regime.tax" = [0.0, 0.5]
"""


def write_spec(tmp_path: Path, t_max: float = 30, n_fine: int = 3, name="spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(SWEEP.format(t_max=t_max, n_fine=n_fine))
    return path


def test_default_experiment_runs_end_to_end_and_reads_back(tmp_path):
    summary = experiment.run(None, tmp_path, figures=False)
    regimes = [r.name for r in ep.regimes.all_presets()]
    assert list(summary.regime) == [r for r in regimes for _ in (0, 1)]
    traj = pd.read_parquet(tmp_path / "trajectories.parquet")
    assert list(traj.columns) == ["run", "regime", "scenario", "seed", "time", "strategy",
                                  "frequency"]
    # every state is a point of the simplex over the 64 strategies (a shock's time holds
    # two states, before and after it)
    grouped = traj.groupby(["run", "time"]).frequency
    states = grouped.size() / 64
    assert ((grouped.sum() - states).abs() < 1e-9).all()
    assert set(states.unique()) == {1.0, 2.0}
    assert traj.strategy.nunique() == 64
    macro = pd.read_parquet(tmp_path / "macro.parquet")
    assert set(macro.variable) == {"cooperation", "institution_strength"}
    events = pd.read_parquet(tmp_path / "events.parquet")
    assert set(events.kind) == {"temptation", "noise"} and set(events.time) == {100.0, 200.0}
    stored = pd.read_parquet(tmp_path / "summary.parquet")
    pd.testing.assert_frame_equal(stored, summary)
    # the summary's final cooperation is the macro column's last value of each run
    last = macro[macro.variable == "cooperation"].groupby("run").value.last()
    assert (abs(last.to_numpy() - summary.cooperation.to_numpy()) < 1e-12).all()
    report = (tmp_path / "report.md").read_text()
    assert "communitarian" in report and "digest" in report


def test_default_spec_is_the_regime_comparison_with_shocks():
    spec = load_spec()
    assert len(spec.strategies) == 64 and len(spec.regimes) == 5
    assert [s.kind for s in spec.shocks] == ["temptation", "noise"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[play]\nturn = 3\n", "play.turn: unknown key in [play]; allowed: method, noise"),
        ("[play]\nnoise = 1.5\n", "play.noise: must be <= 1, got 1.5"),
        ("[play]\nmethod = 'fast'\n", "play.method: must be one of exact, simulate"),
        ("[game]\nkind = 'poker'\n", "game.kind: must be one of prisoners_dilemma"),
        ("[game]\nT = 2\n", "game: not a prisoner's dilemma: temptation T=2"),
        ("[strategies]\nnames = ['Nobody']\n", "strategies.names: unknown strategy name"),
        ("[[regimes]]\npreset = 'utopia'\n", "regimes[0].preset: unknown preset 'utopia'"),
        ("[[regimes]]\npreset = 'balanced'\nfines = 2\n", "regimes[0].fines: unknown key"),
        ("[[regimes]]\ndetection = 2.0\n", "Regime.detection must be a probability"),
        ("[[shocks]]\ntime = 500\nkind = 'temptation'\nvalue = 7\n",
         "shocks[0].time: must be < dynamics.t_max = 300"),
        ("[sweep]\n'regime.colour' = [1, 2]\n", "sweep.regime.colour: cannot sweep"),
        ("[sweep]\n'regime.fine' = 'lots'\n", "sweep.regime.fine: must be a non-empty list"),
        ("[experiment]\nseeds = [-1]\n", "experiment.seeds: must be a count or a list"),
        ("nonsense = 1\n", "nonsense: unknown key in top level"),
        ("[play\n", "not valid TOML"),
    ],
)
def test_bad_specs_name_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_cli_run_refuses_a_bad_spec_in_one_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[play]\nturns = 'x'\n")
    proc = subprocess.run([sys.executable, "-m", "evopolity", "run", str(path), "--out",
                           str(tmp_path / "o")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"evopolity run: error: {path}: play.turns: must be an " \
                                  "integer, got 'x'"


def test_sweep_rows_are_the_tasks_whatever_the_executor(tmp_path):
    spec = write_spec(tmp_path)
    serial = experiment.sweep(spec, tmp_path / "serial", progress=False)
    pool = experiment.sweep(spec, tmp_path / "pool", workers=2, progress=False)
    dask = experiment.sweep(spec, tmp_path / "dask", workers=2, dask_local=True,
                            progress=False)
    assert len(serial) == 3 * 2 * 2  # fine x tax x seeds (one regime)
    assert list(serial.task) == list(range(12))
    pd.testing.assert_frame_equal(serial, pool, check_exact=True)
    pd.testing.assert_frame_equal(serial, dask, check_exact=True)
    # each row is its own task computed directly
    parsed = load_spec(spec)
    row, _ = experiment.run_task(parsed, 1, 0, 1)  # point 1 = (fine 0, tax 0.5), seed 1
    match = serial[(serial["regime.fine"] == 0.0) & (serial["regime.tax"] == 0.5)
                   & (serial.seed == 1)].iloc[0]
    assert match.cooperation == row["cooperation"]


def test_sweep_killed_with_sigkill_resumes_to_the_uninterrupted_rows(tmp_path):
    spec = write_spec(tmp_path, t_max=200, n_fine=40)  # 40 x 2 x 2 = 160 tasks
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "evopolity", "sweep", str(spec), "--out", str(out),
           "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parts = out / "parts"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if parts.exists() and len(list(parts.glob("part-*.parquet"))) >= 20:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the sweep ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_at_kill = len(list(parts.glob("part-*.parquet")))
    assert 20 <= done_at_kill < 160
    subprocess.run(cmd, check=True, timeout=300)
    resumed = ep.load(out)
    assert list(resumed.task) == list(range(160))  # every task once, none twice
    whole = experiment.sweep(spec, tmp_path / "whole", progress=False)
    pd.testing.assert_frame_equal(resumed, whole, check_exact=True)


def test_a_changed_spec_on_an_existing_out_is_refused(tmp_path):
    spec = write_spec(tmp_path)
    experiment.sweep(spec, tmp_path / "out", progress=False)
    other = write_spec(tmp_path, t_max=40, name="other.toml")
    with pytest.raises(experiment.ExperimentError, match="holds a sweep of another spec"):
        experiment.sweep(other, tmp_path / "out", progress=False)


def test_sweep_points_apply_to_game_and_play(tmp_path):
    raw = {"strategies": {"names": ["Tit For Tat", "Defector"]},
           "dynamics": {"t_max": 20},
           "regimes": [{"preset": "none", "name": "bare"}],
           "sweep": {"game.T": [6.0, 8.0], "play.noise": [0.0, 0.1]}}
    spec = parse_spec(raw)
    assert spec.sweep_points() == [{"game.T": 6.0, "play.noise": 0.0},
                                   {"game.T": 6.0, "play.noise": 0.1},
                                   {"game.T": 8.0, "play.noise": 0.0},
                                   {"game.T": 8.0, "play.noise": 0.1}]
    row, tr = experiment.run_task(spec, 3, 0, 0, "baseline", keep_trajectory=True)
    assert tr.params["game"].T == 8.0 and tr.params["noise"] == 0.1
    direct = ep.tournament(["Tit For Tat", "Defector"], game=ep.PrisonersDilemma(T=8.0),
                           noise=0.1, method="exact")
    assert (tr.params["payoffs"] == direct.payoffs.to_numpy()).all()
