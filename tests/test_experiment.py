"""Experiments: specs, the main job, resumable sweeps on a pool and on Dask, the module
layout of the wing, and what a run says while it works."""

import ast
import hashlib
import json
import math
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pandas as pd
import pytest

import evopolity as ep
from evopolity import experiments as experiment
from evopolity.experiments import runner, storage
from evopolity.experiments.spec import SpecError, grid, load_spec, parse_spec
from evopolity.kernels import _jit

ROOT = Path(__file__).resolve().parent.parent

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
preset = "carrot_then_stick"

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
    # every state is a point of the simplex over the 64 strategies, or over the 128 of the
    # balanced regime, whose members fund it (each strategy crossed with {contributes,
    # abstains}); a shock's time holds two states, before and after it
    k = traj.groupby("run").strategy.nunique()
    presets = {r.name: r for r in ep.regimes.all_presets()}
    assert k.to_dict() == {run: 128 if presets[name].funded else 64
                           for run, name in zip(summary.run, summary.regime, strict=True)}
    grouped = traj.groupby(["run", "time"]).frequency
    sizes = grouped.size()
    states = sizes / k.loc[sizes.index.get_level_values("run")].to_numpy()
    assert ((grouped.sum() - states).abs() < 1e-9).all()
    assert set(states.unique()) == {1.0, 2.0}
    assert traj.strategy.nunique() == 128  # the 64, and their contributing versions
    macro = pd.read_parquet(tmp_path / "macro.parquet")
    # the vote of the regimes whose members choose the fine (balanced, captured) is recorded
    assert set(macro.variable) == {"cooperation", "institution_strength", "fine_level",
                                   "prefer_high", "chosen_fine"}
    voted = set(macro[macro.variable == "fine_level"].regime)
    assert voted == {r.name for r in ep.regimes.all_presets() if r.chosen}
    events = pd.read_parquet(tmp_path / "events.parquet")
    assert set(events.kind) == {"temptation", "noise"} and set(events.time) == {100.0, 200.0}
    stored = pd.read_parquet(tmp_path / "summary.parquet")
    pd.testing.assert_frame_equal(stored, summary)
    # the summary's final cooperation is the macro column's last value of each run
    last = macro[macro.variable == "cooperation"].groupby("run").value.last()
    assert (abs(last.to_numpy() - summary.cooperation.to_numpy()) < 1e-12).all()
    report = (tmp_path / "report.md").read_text()
    assert "communitarian" in report and "digest" in report
    # one run computed directly with the pipeline the spec describes (default.toml), its
    # measures worked out by hand from the trajectory
    tr = ep.evolve(ep.library.all_strategies(), ep.regimes.communitarian(),
                   game=ep.PrisonersDilemma(R=3, S=0, T=5, P=1), turns=200, noise=0.01,
                   method="exact", seed=0, t_max=300, points_per_unit=1,
                   shocks=[ep.Shock(100.0, "temptation", 7.0), ep.Shock(200.0, "noise", 0.05)])
    row = summary[(summary.regime == "communitarian") & (summary.scenario == "shocked")]
    row = row.iloc[0]
    x = tr.frequencies[-1]
    C = tr.params["cooperation"]  # the interactions after both shocks (T = 7, noise 0.05)
    assert row.cooperation == pytest.approx(x @ C @ x, abs=1e-12)
    h = -sum(v * math.log(v) for v in x if v > 0)
    assert row.effective_number == pytest.approx(math.exp(h), rel=1e-12)
    assert row.richness == (x > 1e-3).sum()
    level = tr.macro["cooperation"].to_numpy()  # x C x under each segment's C
    after = tr.times >= 100.0
    pre = level[tr.times < 100.0][-1]
    # resilience to the first shock is read up to the second (t = 200, the state before it)
    window = after & (np.arange(len(level)) <= np.flatnonzero(tr.times >= 200.0)[0])
    assert row.min_cooperation == pytest.approx(level[window].min(), abs=1e-12)
    assert bool(row.recovered) == (abs(level[window][-1] - pre) <= 0.05)
    assert row.response == ("unaffected" if (abs(level[window] - pre) <= 0.05).all()
                            else "recovered" if row.recovered else "fell"
                            if level[window][-1] < pre else "rose")
    # welfare: the mean payoff per turn over the social optimum of the final game (T = 7):
    # max(R, (T + S) / 2, P) = 3.5
    assert row.welfare == pytest.approx(row.mean_payoff / 3.5, rel=1e-12)
    # the shocks' values and classes are recorded: T 5 -> 7 leaves the prisoner's dilemma
    t_shock = events[events.kind == "temptation"].iloc[0]
    assert (t_shock.value_before, t_shock.value_after) == (5.0, 7.0)
    assert (t_shock.class_before, t_shock.class_after, bool(t_shock.class_change)) == (
        "prisoners_dilemma", "alternating_dilemma", True)
    assert not events[events.kind == "noise"].class_change.any()
    assert row.institution_strength == pytest.approx(
        tr.macro["institution_strength"].iloc[-1], abs=1e-12)


def test_default_spec_is_the_regime_comparison_with_shocks():
    spec = load_spec()
    # what docs/experiments.md and evopolity/data/default.toml promise, value by value
    assert [s.name for s in spec.strategies] == ep.library.names("all")
    assert len(spec.strategies) == 64 and spec.invaders == []
    assert spec.regimes == [ep.regimes.laissez_faire(), ep.regimes.communitarian(),
                            ep.regimes.balanced(), ep.regimes.carrot_then_stick(),
                            ep.regimes.captured()]
    assert [(s.time, s.kind, s.value) for s in spec.shocks] == [(100.0, "temptation", 7.0),
                                                                 (200.0, "noise", 0.05)]
    assert spec.game == ep.PrisonersDilemma(R=3, S=0, T=5, P=1)
    assert (spec.turns, spec.noise, spec.repetitions, spec.method) == (200, 0.01, 1, "exact")
    assert (spec.t_max, spec.points_per_unit, spec.seeds, spec.tolerance) == (300.0, 1.0, [0],
                                                                              0.05)
    assert spec.sweep == {} and spec.sweep_points() == [{}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[play]\nturn = 3\n", "play.turn: unknown key in [play]; allowed: method, noise"),
        ("[play]\nnoise = 1.5\n", "play.noise: must be <= 1, got 1.5"),
        ("[play]\nmethod = 'fast'\n", "play.method: must be one of exact, simulate, got 'fast'"),
        ("[game]\nkind = 'poker'\n", "game.kind: must be one of prisoners_dilemma"),
        ("[game]\nT = 2\n", "game: not a prisoner's dilemma: temptation T=2"),
        ("[strategies]\nnames = ['Nobody']\n", "strategies.names: unknown strategy name"),
        ("[[regimes]]\npreset = 'utopia'\n", "regimes[0].preset: unknown preset 'utopia'"),
        ("[[regimes]]\npreset = 'balanced'\nfines = 2\n", "regimes[0].fines: unknown key"),
        ("[[regimes]]\ndetection = 2.0\n", "Regime.detection must be a probability"),
        ("[[shocks]]\ntime = 500\nkind = 'temptation'\nvalue = 7\n",
         "shocks[0].time: must be < dynamics.t_max = 300"),
        ("[sweep]\n'regime.colour' = [1, 2]\n", 'sweep."regime.colour": cannot sweep'),
        ("[sweep]\n'regime.fine' = 'lots'\n", 'sweep."regime.fine": must be a non-empty list'),
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


def test_sweep_rows_are_the_tasks_whatever_the_executor(tmp_path, monkeypatch, capsys):
    spec = write_spec(tmp_path)
    serial = experiment.sweep(spec, tmp_path / "serial", progress=False)
    # as on a first run: the kernels are compiled (and cached) here, on the first task,
    # before the workers start and load them
    monkeypatch.setattr(_jit, "cache_is_warm", lambda *modules: False)
    pool = experiment.sweep(spec, tmp_path / "pool", workers=2, progress=True)
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == [
        "sweep: 12 tasks (6 points x 1 regime x 2 seeds), 0 done, 12 to run on 2 worker "
        "processes",
        _first_run_line(" in this process first, then the workers load them"),
    ]
    monkeypatch.undo()
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


# SIGKILL lands while the k-th part sits in its temporary file, before the rename: the
# worst moment. pyarrow's writer is wrapped in the child process only.
KILLED_SWEEP = """
import os, signal, sys
import pyarrow.parquet as pq
from evopolity.experiments import runner

write_table, calls = pq.write_table, []

def write_then_die(table, where, *args, **kwargs):
    write_table(table, where, *args, **kwargs)
    calls.append(where)
    if len(calls) == int(sys.argv[3]):
        os.kill(os.getpid(), signal.SIGKILL)

pq.write_table = write_then_die
runner.sweep(sys.argv[1], sys.argv[2], progress=False)
"""


def _manifest(out: Path) -> list[int]:
    return [int(line) for line in (out / "manifest.txt").read_text().split()]


def test_sweep_killed_with_sigkill_mid_write_resumes_to_the_uninterrupted_rows(
        tmp_path, monkeypatch, record_part_writes):
    spec = write_spec(tmp_path, n_fine=5)  # 5 x 2 x 2 = 20 tasks, one per chunk in-process
    out, k = tmp_path / "killed", 8
    proc = subprocess.run([sys.executable, "-c", KILLED_SWEEP, str(spec), str(out), str(k)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr[-2000:]
    parts = out / "parts"
    # tasks 0..6 are in place, task 7 only in a hidden temporary file
    assert sorted(p.name for p in parts.glob("part-*.parquet")) == [
        f"part-{t:06d}.parquet" for t in range(k - 1)]
    (hidden,) = [p.name for p in parts.iterdir() if p.name.startswith(".")]
    assert hidden.startswith(f".part-{k - 1:06d}.") and hidden.endswith(".tmp.parquet")
    assert _manifest(out) == list(range(k - 1))
    assert list(ep.load(out).task) == list(range(k - 1))  # the temporary file is not read

    written = record_part_writes()
    resumed = experiment.sweep(spec, out, progress=False)
    assert written == list(range(k - 1, 20))  # only what was missing, each task once
    assert sorted(_manifest(out)) == list(range(20)) == list(resumed.task)
    whole = experiment.sweep(spec, tmp_path / "whole", progress=False)
    pd.testing.assert_frame_equal(resumed, whole, check_exact=True)


def test_sweep_whose_worker_fails_after_some_tasks_resumes_without_repeating_them(
        tmp_path, monkeypatch, record_part_writes):
    spec = write_spec(tmp_path, n_fine=5)
    out = tmp_path / "failed"
    real, chunks = runner.sweep_tasks, []

    def fails_on_the_fourth_chunk(spec_json, where, tasks):
        chunks.append(tasks)
        if len(chunks) == 4:
            raise RuntimeError("worker lost")
        return real(spec_json, where, tasks)

    monkeypatch.setattr(runner, "sweep_tasks", fails_on_the_fourth_chunk)
    written = record_part_writes()
    with pytest.raises(RuntimeError, match="worker lost"):
        experiment.sweep(spec, out, progress=False)
    assert chunks == [[0], [1], [2], [3]] and written == [0, 1, 2]
    monkeypatch.setattr(runner, "sweep_tasks", real)
    resumed = experiment.sweep(spec, out, progress=False)
    assert written == list(range(20))  # 0, 1, 2 before the failure; 3..19 after, once each
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


# -- sweep axes hold the values written -------------------------------------------------------


def test_grid_points_are_the_decimals_they_stand_for():
    from fractions import Fraction

    # numpy.linspace(0, 0.9, 10) holds 0.30000000000000004, 0.6000000000000001, ...
    assert grid(0.0, 0.9, 10) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert grid(0.0, 4.0, 9) == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]
    assert grid(-1, 1, 3) == [-1.0, 0.0, 1.0] and grid(2.5, 7.0, 1) == [2.5]
    # points that are no short decimal: the float nearest to the exact value
    assert grid(0, 1, 4) == [float(Fraction(i, 3)) for i in range(4)]
    assert grid(0.01, 0.02, 4) == [float(Fraction(1, 100) + Fraction(i, 300)) for i in range(4)]


def test_sweep_axes_are_stored_as_written_so_frames_filter_on_them(tmp_path):
    spec = parse_spec({
        "strategies": {"names": ["Tit For Tat", "Defector"]},
        "play": {"turns": 20},
        "dynamics": {"t_max": 10},
        "regimes": [{"preset": "carrot_then_stick"}],  # its fine is fixed, so it can be 0
        "sweep": {"regime.tax": {"start": 0.0, "stop": 0.8, "num": 5}, "regime.fine": [0, 1.5]},
    })
    # the int 0 beside 1.5 becomes 0.0, so the axis has one type in every part
    assert spec.sweep == {"regime.tax": [0.0, 0.2, 0.4, 0.6, 0.8], "regime.fine": [0.0, 1.5]}
    frame = experiment.sweep(spec, tmp_path / "s", progress=False)
    picked = frame[frame["regime.tax"] == 0.6]
    assert list(picked["regime.fine"]) == [0.0, 1.5] and list(picked.task) == [6, 7]
    assert frame["regime.fine"].dtype == np.float64
    stored = json.loads((tmp_path / "s" / "sweep.json").read_text())["axes"]
    assert stored == {"regime.tax": [0.0, 0.2, 0.4, 0.6, 0.8], "regime.fine": [0.0, 1.5]}
    # and the regime that ran had that tax
    _, tr = experiment.run_task(spec, 6, 0, 0, "baseline", keep_trajectory=True)
    assert tr.params["regime"].tax == 0.6 and tr.params["regime"].fine == 0.0


# -- the wing's layout ----------------------------------------------------------------------


def _experiments_imports() -> dict[str, set[str]]:
    """For each module of the wing, the sibling modules it imports (function-local too)."""
    prefix = "evopolity.experiments"
    graph = {}
    for path in (ROOT / "evopolity" / "experiments").glob("*.py"):
        if path.stem == "__init__":
            continue
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == prefix:
                deps |= {a.name for a in node.names}  # from evopolity.experiments import x
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(prefix):
                deps.add(node.module.split(".")[2])
            elif isinstance(node, ast.Import):
                deps |= {a.name.split(".")[2] for a in node.names
                         if a.name.startswith(prefix + ".")}
        graph[path.stem] = deps
    return graph


def test_each_module_of_the_wing_imports_only_those_before_it():
    order = ["spec", "storage", "results", "tasks", "analyses", "executors", "report",
             "figures_polities", "figures", "figures_graphs", "runner"]
    graph = _experiments_imports()
    assert sorted(graph) == sorted(order)
    for i, module in enumerate(order):
        assert graph[module] <= set(order[:i]), (module, graph[module])
    assert graph["executors"] == set()  # knows nothing of specs or files
    # reads through results; draws the main job's polities curves with figures_polities
    assert graph["figures"] == {"results", "storage", "figures_polities"}
    assert graph["tasks"] == {"spec"}  # a worker imports nothing that writes


def test_files_are_renamed_into_place_by_storage_alone():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "evopolity").rglob("*.py")
                 if p != ROOT / "evopolity" / "experiments" / "storage.py"
                 and any(s in p.read_text() for s in ("os.replace", "os.rename", ".tmp"))]
    assert offenders == []


def test_atomic_write_leaves_the_old_file_when_the_writer_fails(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("old\n")

    def half_then_fail(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        storage.atomic_write(path, half_then_fail)
    assert path.read_text() == "old\n" and os.listdir(tmp_path) == ["table.csv"]
    storage.write_text(path, "new\n")
    assert path.read_text() == "new\n" and os.listdir(tmp_path) == ["table.csv"]


# -- a first run that talks -----------------------------------------------------------------


def _index(directory: Path, module: str, stamp: bytes, version: str = numba.__version__):
    """A numba index file as numba writes it: its version, then (source stamp, overloads)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f"{module}.some_kernel-10.py311.nbi", "wb") as handle:
        pickle.dump(version, handle, protocol=-1)
        handle.write(pickle.dumps((stamp, {}), protocol=-1))


def test_cache_is_warm_reads_numbas_own_index_files(tmp_path, monkeypatch):
    monkeypatch.setattr(_jit, "CACHE", True)
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    kernels = ROOT / "evopolity" / "kernels"
    # where numba's own locator puts this package's kernels under NUMBA_CACHE_DIR
    from numba.core.caching import UserProvidedCacheLocator

    expected = UserProvidedCacheLocator(_index, str(kernels / "replicator.py")).get_cache_path()
    directory = _jit.cache_directory()
    assert directory == Path(expected)
    assert not _jit.cache_is_warm() and not _jit.cache_is_warm("replicator")

    def stamp(module):
        return hashlib.sha256((kernels / f"{module}.py").read_bytes()).digest()

    _index(directory, "markov", stamp("replicator"))  # another module's stamp: stale
    _index(directory, "fitness", stamp("fitness"), version="0.1.0")  # another numba
    assert not _jit.cache_is_warm() and not _jit.cache_is_warm("markov", "fitness")
    _index(directory, "replicator", stamp("replicator"))
    assert _jit.cache_is_warm() and _jit.cache_is_warm("replicator")
    assert not _jit.cache_is_warm("replicator", "markov")
    monkeypatch.setattr(_jit, "CACHE", False)
    assert _jit.cache_directory() is None and not _jit.cache_is_warm("replicator")


def test_after_a_run_the_kernels_it_names_read_as_cached(tmp_path):
    spec = parse_spec(SMALL)
    experiment.run(spec, tmp_path, figures=False, progress=False)
    warm = _jit.cache_is_warm(*runner._KERNELS["exact"])
    # a cached run is silent the next time; without caching it can never be
    assert warm == (_jit.cache_directory() is not None)


SMALL = {
    "experiment": {"name": "three strategies"},
    "strategies": {"names": ["Tit For Tat", "Defector", "Cooperator"]},
    "play": {"turns": 100, "noise": 0.01},
    "dynamics": {"t_max": 100, "points_per_unit": 1},
    "regimes": [{"preset": "laissez_faire"}, {"preset": "communitarian"}],
    "shocks": [{"time": 50, "kind": "temptation", "value": 7.0}],
}


def _first_run_line(where: str = "") -> str:
    directory = _jit.cache_directory()
    if directory is None:
        return (f"compiling numba kernels{where}: a minute or two before the first result; "
                "caching is off (EVOPOLITY_NO_CACHE, or no writable cache directory), so every "
                "run compiles")
    return (f"compiling numba kernels{where}: first run only, a minute or two before the "
            f"first result; cached in {directory}")


def test_run_says_what_it_does_on_stderr(tmp_path, monkeypatch, capsys):
    spec = parse_spec(SMALL)
    monkeypatch.setattr(_jit, "cache_is_warm", lambda *modules: False)  # as on a first run
    summary = experiment.run(spec, tmp_path, figures=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        _first_run_line(),
        "playing 3 strategies (exact payoffs, 100 turns, noise 0.01)...",
        "evolving under 2 regimes x 2 scenarios [1/4] laissez-faire, baseline",
        "evolving under 2 regimes x 2 scenarios [2/4] laissez-faire, shocked",
        "evolving under 2 regimes x 2 scenarios [3/4] communitarian, baseline",
        "evolving under 2 regimes x 2 scenarios [4/4] communitarian, shocked",
        "running 8 starts per regime to their attractors",
        "every regime at mutation 0.001",
        "attributing the difference between laissez-faire and communitarian to their "
        "mechanisms",
        "the regimes as polities in a changing world",
        "writing figures",
        f"report: {tmp_path / 'report.md'}",
    ]
    monkeypatch.setattr(_jit, "cache_is_warm", lambda *modules: True)
    again = experiment.run(spec, tmp_path / "again", figures=False)
    err = capsys.readouterr().err
    assert err.splitlines()[0] == "playing 3 strategies (exact payoffs, 100 turns, noise 0.01)..."
    assert "compiling" not in err and "writing figures" not in err
    pd.testing.assert_frame_equal(again, summary)
    experiment.run(spec, tmp_path / "quiet", figures=False, progress=False)
    assert capsys.readouterr() == ("", "")


def test_cli_run_quiet_silences_the_progress_lines(tmp_path, capsys):
    from evopolity.cli import main

    path = tmp_path / "small.toml"
    path.write_text(SMALL_TOML)
    assert main(["run", str(path), "--out", str(tmp_path / "talk"), "--no-figures"]) == 0
    out, err = capsys.readouterr()
    assert "evolving under 2 regimes x 2 scenarios [4/4] communitarian, shocked" in err
    assert f"report: {tmp_path / 'talk' / 'report.md'}" in err
    assert out.splitlines()[0].split() == ["regime", "scenario", "cooperation", "welfare",
                                           "effective_number", "richness", "mean_fitness",
                                           "institution_strength", "min_cooperation",
                                           "response", "recovery_time"]
    assert main(["run", str(path), "--out", str(tmp_path / "quiet"), "--no-figures",
                 "--quiet"]) == 0
    quiet_out, quiet_err = capsys.readouterr()
    assert quiet_err == ""
    assert quiet_out.splitlines()[:-1] == out.splitlines()[:-1]  # the same table
    assert quiet_out.splitlines()[-1] == out.splitlines()[-1].replace(
        str(tmp_path / "talk"), str(tmp_path / "quiet"))


SMALL_TOML = """
[experiment]
name = "three strategies"

[strategies]
names = ["Tit For Tat", "Defector", "Cooperator"]

[play]
turns = 100
noise = 0.01

[dynamics]
t_max = 100

[[regimes]]
preset = "laissez_faire"

[[regimes]]
preset = "communitarian"

[[shocks]]
time = 50
kind = "temptation"
value = 7.0
"""


def test_cli_sweep_reports_its_tasks_and_quiet_silences_it(tmp_path, capsys):
    from evopolity.cli import main

    spec = write_spec(tmp_path)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "a")]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines()[0] == ("sweep: 12 tasks (6 points x 1 regime x 2 seeds), 0 done, "
                                   "12 to run in this process")
    assert "12/12" in err  # the progress bar's last state
    assert out == f"12 tasks in {tmp_path / 'a'}/parts (evopolity.load({str(tmp_path / 'a')!r}))\n"
    assert main(["sweep", str(spec), "--out", str(tmp_path / "a"), "--quiet"]) == 0
    assert capsys.readouterr().err == ""


# -- the docs' examples run as written ---------------------------------------------------------


def _block(page: str, language: str, index: int = 0) -> str:
    text = (ROOT / "docs" / page).read_text()
    blocks = text.split(f"```{language}\n")[1:]
    return blocks[index].split("```", 1)[0]


def test_the_spec_of_docs_experiments_md_loads_and_runs(tmp_path):
    path = tmp_path / "my.toml"
    path.write_text(_block("experiments.md", "toml"))
    spec = load_spec(path)
    names = [s.name for s in spec.strategies]
    assert names == [*ep.library.names("basic"), "Grudger", "GTFT: 0.33", "generous 0.2",
                     "my FSM"]
    assert [s.name for s in spec.invaders] == ["Hard Tit For Tat"]
    assert spec.sweep == {"regime.fine": [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0],
                          "regime.tax": [0.0, 0.2, 0.4]}
    summary = experiment.run(spec, tmp_path / "out", figures=False, progress=False)
    assert list(zip(summary.regime, summary.scenario, strict=True)) == [
        ("carrot-then-stick", "baseline"), ("carrot-then-stick", "shocked")]
    traj = pd.read_parquet(tmp_path / "out" / "trajectories.parquet")
    invader = traj[traj.strategy == "Hard Tit For Tat"]
    assert invader[invader.time == 0].frequency.tolist() == [0.0, 0.0]  # absent at first
    # the invasion at t = 200 sets its share to 5% (the second row at the shock's time)
    shocked = invader[invader.scenario == "shocked"]
    before, after = shocked[shocked.time == 200].frequency
    assert before < 0.05 and after == pytest.approx(0.05, abs=1e-12)


def test_the_error_shown_in_docs_experiments_md_is_the_one_printed(tmp_path, monkeypatch,
                                                                    capsys):
    from evopolity.cli import main

    shown = [line for line in (ROOT / "docs" / "experiments.md").read_text().splitlines()
             if line.startswith("evopolity run: error: my.toml")]
    assert len(shown) == 1
    monkeypatch.chdir(tmp_path)
    Path("my.toml").write_text("[play]\nturn = 200\n")
    assert main(["run", "my.toml"]) == 2
    assert capsys.readouterr().err == shown[0] + "\n"
    assert not Path("evopolity-out").exists()  # nothing ran
