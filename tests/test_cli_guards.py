"""The command line refuses a user's mistake in one line, exit code 2, before it writes
anything: the output location, the options, the scheduler and the spec are all checked first;
one sweep at a time writes a directory (its lock)."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evopolity.cli import main
from evopolity.experiments import storage
from evopolity.experiments.spec import load_spec

SPEC = """
[experiment]
name = "guards"
seeds = 1

[strategies]
names = ["Tit For Tat", "Defector"]

[play]
turns = 20

[dynamics]
t_max = 10
points_per_unit = 0.5

[[regimes]]
preset = "carrot_then_stick"  # a fixed fine on an institution that follows its support

[sweep]
"regime.fine" = [0, 1, 2, 3]
"""


@pytest.fixture
def spec(tmp_path) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(SPEC)
    return path


def snapshot(path: Path):
    """Everything under ``path``: names, sizes and contents (``None``: nothing there)."""
    if not path.exists():
        return None
    if path.is_file():
        return path.read_bytes()
    return sorted((str(p.relative_to(path)), p.read_bytes() if p.is_file() else None)
                  for p in path.rglob("*"))


def cli(*argv, timeout=300):
    return subprocess.run([sys.executable, "-m", "evopolity", *map(str, argv)],
                          capture_output=True, text=True, timeout=timeout)


def assert_refused(proc, message):
    """Exit 2, one line on stderr that starts with ``message``, no traceback."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith(message), proc.stderr


# -- the output location -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sweep", "{spec}", "--out", "{tmp}/a-file"],
         "evopolity sweep: error: --out: '{tmp}/a-file' is a file, not a directory"),
        # a path under a regular file cannot be created, whoever runs (root included)
        (["sweep", "{spec}", "--out", "{tmp}/a-file/out"],
         "evopolity sweep: error: --out: cannot create '{tmp}/a-file/out': '{tmp}/a-file' is a "
         "file, not a directory"),
        (["run", "{spec}", "--out", "{tmp}/a-file/deeper/out", "--no-figures"],
         "evopolity run: error: --out: cannot create '{tmp}/a-file/deeper/out': '{tmp}/a-file' "
         "is a file, not a directory"),
        (["sweep", "{spec}", "--out", "{tmp}/parts-a-file"],
         "evopolity sweep: error: --out: '{tmp}/parts-a-file/parts' is a file; a sweep needs a "
         "directory of that name"),
        (["sweep", "{spec}", "--out", "{tmp}/bad-record"],
         "evopolity sweep: error: --out: '{tmp}/bad-record/sweep.json' cannot be read as a "
         "sweep's record"),
        (["run", "{spec}", "--out", "{tmp}/figures-a-file"],
         "evopolity run: error: --out: '{tmp}/figures-a-file/figures' is a file; a run needs a "
         "directory of that name"),
        (["tournament", "--strategies", "basic", "--out", "{tmp}/a-directory.csv"],
         "evopolity tournament: error: --out: '{tmp}/a-directory.csv' is a directory, not a "
         "file"),
        (["tournament", "--strategies", "basic", "--out", "{tmp}/a-file/results.csv"],
         "evopolity tournament: error: --out: cannot create '{tmp}/a-file/results.csv': "
         "'{tmp}/a-file' is a file, not a directory"),
    ],
)
def test_a_bad_output_location_is_refused_before_anything_runs(tmp_path, spec, argv, message):
    (tmp_path / "a-file").write_text("not a directory")
    (tmp_path / "a-directory.csv").mkdir()
    (tmp_path / "parts-a-file").mkdir()
    (tmp_path / "parts-a-file" / "parts").write_text("not a directory")
    (tmp_path / "bad-record").mkdir()
    (tmp_path / "bad-record" / "sweep.json").write_text("{half a rec")
    (tmp_path / "figures-a-file").mkdir()
    (tmp_path / "figures-a-file" / "figures").write_text("not a directory")
    before = snapshot(tmp_path)
    proc = cli(*[a.format(tmp=tmp_path, spec=spec) for a in argv])
    assert_refused(proc, message.format(tmp=tmp_path))
    assert proc.stdout == ""  # nothing ran: a tournament would have printed its ranking
    assert snapshot(tmp_path) == before  # and nothing was written, nor left behind


def test_an_unwritable_directory_is_refused_by_name(tmp_path, spec, monkeypatch, capsys):
    # root may write anywhere (but a read-only file system), so the permission is faked here;
    # a path under a file, refused for root too, is run for real above
    locked = tmp_path / "locked"
    locked.mkdir()
    access = os.access
    monkeypatch.setattr(storage.os, "access",
                        lambda path, mode: Path(path) != locked and access(path, mode))
    for argv, message in [
        (["sweep", str(spec), "--out", str(locked / "out")],
         f"--out: cannot create '{locked}/out': '{locked}' is not writable"),
        (["sweep", str(spec), "--out", str(locked)], f"--out: '{locked}' is not writable"),
        (["run", str(spec), "--out", str(locked), "--quiet"],
         f"--out: '{locked}' is not writable"),
        (["tournament", "--out", str(locked / "t.csv")],
         f"--out: cannot write '{locked}/t.csv': '{locked}' is not writable"),
    ]:
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert captured.err == f"evopolity {argv[0]}: error: {message}\n"
        assert captured.out == ""
    assert list(locked.iterdir()) == []


# -- options --------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["sweep", "{spec}"], ["run", "{spec}"], ["tournament"]])
def test_an_empty_out_is_refused_not_taken_as_the_current_directory(tmp_path, spec, command,
                                                                    monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    assert main([c.format(spec=spec) for c in command] + ["--out", ""]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"evopolity {command[0]}: error: argument --out: expected a ")
    assert err.endswith("got an empty name\n")
    assert snapshot(tmp_path) == before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_refused_at_once_and_writes_nothing(tmp_path, spec):
    pytest.importorskip("distributed")
    port = _free_port()  # closed again: nothing listens there
    started = time.perf_counter()
    proc = cli("sweep", spec, "--out", tmp_path / "out", "--scheduler", f"tcp://127.0.0.1:{port}")
    assert time.perf_counter() - started < 30  # not after Dask's 30 s connect timeout
    assert_refused(proc, f"evopolity sweep: error: --scheduler: cannot reach a Dask scheduler "
                         f"at tcp://127.0.0.1:{port} (Connection refused)")
    assert not (tmp_path / "out").exists()
    proc = cli("sweep", spec, "--out", tmp_path / "out", "--scheduler", "nowhere")
    assert_refused(proc, "evopolity sweep: error: --scheduler: not a scheduler address")
    assert not (tmp_path / "out").exists()
    proc = cli("sweep", spec, "--out", tmp_path / "out", "--scheduler", "inproc://x")
    assert_refused(proc, "evopolity sweep: error: --scheduler: not a scheduler address: "
                         "inproc:// is not a network protocol here")
    assert not (tmp_path / "out").exists()
    proc = cli("sweep", spec, "--out", tmp_path / "out", "--scheduler", "tcp://1.2.3.4:1",
               "--dask-local")
    assert_refused(proc, "evopolity sweep: error: --scheduler and --dask-local: give one, "
                         "not both")
    assert not (tmp_path / "out").exists()


def test_workers_are_at_least_one_and_at_most_the_cpus(tmp_path, spec, monkeypatch, capsys):
    from evopolity.experiments import executors, runner

    assert_refused(cli("sweep", spec, "--out", tmp_path / "out", "--workers", "0"),
                   "evopolity sweep: error: argument --workers: expected a positive integer, "
                   "got '0'")
    assert not (tmp_path / "out").exists()
    # more workers than CPUs: said in one line, and cut to the CPUs
    monkeypatch.setattr(executors, "cpus", lambda: 1)
    seen = []
    monkeypatch.setattr(runner, "_sweep", lambda spec, parts, workers, *rest: seen.append(
        workers) or __import__("pandas").DataFrame())
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out"), "--workers", "16"]) == 0
    err = capsys.readouterr().err
    assert err == ("evopolity sweep: warning: --workers 16 is more than the 1 CPU this process "
                   "may use; running 1 (more would only share the cores and run slower)\n")
    assert seen == [1]
    # the Python API warns and cuts the same way
    with pytest.warns(UserWarning, match="workers = 3 is more than the 1 CPU this process may "
                                         "use; running 1"):
        runner.sweep(spec, tmp_path / "out", workers=3, progress=False)
    assert seen == [1, 1]
    with pytest.raises(ValueError, match="workers must be >= 1, got 0"):
        runner.sweep(spec, tmp_path / "out", workers=0)


# -- the spec: every bad input refused before the output directory is touched ----------------

BAD_SPECS = [
    ("[play\n", "not valid TOML"),
    ("[experiment]\nseeds = 1000000000\n",
     "experiment.seeds: 1,000,000,000 seeds are more than the 1,000,000 tasks"),
    ("[experiment]\nseeds = true\n", "experiment.seeds: must be a count or a list"),
    ("[experiment]\nseeds = [1, 1]\n", "experiment.seeds: seeds must be distinct"),
    ("[strategies]\nnames = ['Nobody']\n", "strategies.names: unknown strategy name"),
    ("[[strategies.memory_one]]\nname = 'x'\np = [2, 0, 0, 0]\n",
     "strategies.memory_one[0]: "),
    ("[[strategies.memory_one]]\np = [1, 0, 1, 0]\n",
     "strategies.memory_one[0].name: required, missing"),
    ("[[regimes]]\npreset = 'utopia'\n", "regimes[0].preset: unknown preset 'utopia'"),
    ("[[regimes]]\nfine = 'a'\n", "regimes[0]: "),
    ("[[shocks]]\ntime = 3\nkind = 'noise'\nvalue = 2\n", "shocks[0]: "),
    ("[[shocks]]\nkind = 'noise'\nvalue = 0.1\n", "shocks[0].time: required, missing"),
    ("[[shocks]]\ntime = 3\nkind = 'invasion'\nvalue = 'Nobody'\n",
     "shocks[0].value: invading strategy 'Nobody'"),
    ("[game]\nkind = 'donation'\nb = 1\nc = 2\n", "game: "),
    ("[play]\nturns = 0\n", "play.turns: must be >= 1, got 0"),
    ("[play]\nnoise = 1.5\n", "play.noise: must be <= 1, got 1.5"),
    ("[dynamics]\nt_max = -1\n", "dynamics.t_max: must be > 0, got -1"),
    ("[sweep]\n'regime.fine' = []\n", 'sweep."regime.fine": must be a non-empty list'),
    ("[sweep]\n'regime.fine' = [0, 1, -1]\n", 'sweep."regime.fine"[2]: regime '),
    ("[sweep]\n'play.noise' = [0.01, 1.5]\n", 'sweep."play.noise"[1]: noise must be a '
                                              "probability"),
    ("[sweep]\n'play.turns' = [true, 20]\n", 'sweep."play.turns"[0]: must be a number, got '
                                             "a boolean"),
    ("[sweep]\n'regime.fine' = {start = 0, stop = 1, num = 100000000}\n",
     'sweep."regime.fine".num: 100,000,000 points are more than'),
    ("[sweep]\n'game.T' = [5, 2]\n", 'sweep."game.T"[1]: not a prisoner\'s dilemma'),
    ("[sweep]\n'regime.colour' = [1]\n", 'sweep."regime.colour": cannot sweep'),
]


@pytest.mark.parametrize("command", ["sweep", "run"])
def test_a_bad_spec_leaves_the_output_directory_as_it_was(tmp_path, command, capsys):
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "notes.txt").write_text("mine")
    for i, (text, message) in enumerate(BAD_SPECS):
        path = tmp_path / f"bad{i}.toml"
        path.write_text(text)
        for out in (tmp_path / f"new{i}", existing):
            before = snapshot(out)
            argv = [command, str(path), "--out", str(out), "--quiet"]
            assert main(argv) == 2, text
            err = capsys.readouterr().err
            assert err.startswith(f"evopolity {command}: error: {path}: {message}"), (text, err)
            assert err.count("\n") == 1
            assert snapshot(out) == before, text


def test_a_spec_too_large_is_refused_in_one_line_through_the_cli(tmp_path):
    path = tmp_path / "huge.toml"
    path.write_text("[experiment]\nseeds = 1000000000\n")
    proc = cli("sweep", path, "--out", tmp_path / "out")
    assert_refused(proc, f"evopolity sweep: error: {path}: experiment.seeds: 1,000,000,000 "
                         "seeds are more than the 1,000,000 tasks a spec may describe; one part "
                         "file per task would take about 8,000 GB on disk")
    assert not (tmp_path / "out").exists()


# -- one sweep at a time per directory -----------------------------------------------------------

# a sweep that writes its first part, then hangs (as a long sweep would) until killed
SLOW_SWEEP = """
import sys, time
from evopolity.experiments import runner

real, calls = runner.sweep_tasks, []

def slow(spec_json, where, tasks):
    calls.append(tasks)
    if len(calls) > 1:
        time.sleep(600)
    return real(spec_json, where, tasks)

runner.sweep_tasks = slow
runner.sweep(sys.argv[1], sys.argv[2], progress=False)
"""


def _wait_for(condition, proc, seconds=240):
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the first sweep did not start"
        time.sleep(0.1)


def test_a_second_sweep_on_a_busy_directory_is_refused_and_a_killed_one_resumes(tmp_path,
                                                                                 spec):
    out = tmp_path / "out"
    first = subprocess.Popen([sys.executable, "-c", SLOW_SWEEP, str(spec), str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: (out / "parts" / "part-000000.parquet").exists(), first)
        before = snapshot(out)
        second = cli("sweep", spec, "--out", out)
        assert_refused(second, f"evopolity sweep: error: --out: '{out}' is in use by another "
                               f"sweep (pid {first.pid} on {socket.gethostname()}, sweep.lock); "
                               "wait for it to end, or use another directory")
        assert snapshot(out) == before  # the second sweep wrote nothing
        with pytest.raises(storage.ExperimentError, match="is in use by another sweep"):
            from evopolity import experiments

            experiments.sweep(spec, out, progress=False)
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=60)
    assert first.returncode == -signal.SIGKILL
    # the kernel released the lock with the process: a new sweep resumes at once
    resumed = cli("sweep", spec, "--out", out, "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout == f"4 tasks in {out}/parts (evopolity.load({str(out)!r}))\n"
    assert (out / "manifest.txt").read_text() == "0\n1\n2\n3\n"  # each task once
    assert sorted(p.name for p in (out / "parts").iterdir()) == [
        f"part-{t:06d}.parquet" for t in range(4)]


def test_the_lock_is_per_directory_and_released_on_close(tmp_path, spec):
    parsed = load_spec(spec)
    info = {"digest": parsed.digest, "tasks": parsed.n_tasks, "axes": parsed.sweep}
    with storage.SweepDirectory(tmp_path / "a", info):
        # another open of the same directory (even in this process) is refused
        with pytest.raises(storage.ExperimentError) as refused:
            storage.SweepDirectory(tmp_path / "a", info)
        assert refused.value.parameter == "out"
        assert "is in use by another sweep (pid " in str(refused.value)
        # another directory is free
        storage.SweepDirectory(tmp_path / "b", info).close()
    # released: open again, and the lock file names this process
    with storage.SweepDirectory(tmp_path / "a", info):
        text = (tmp_path / "a" / "sweep.lock").read_text()
        assert text == f"pid {os.getpid()} on {socket.gethostname()}\n"
