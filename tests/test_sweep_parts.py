"""Sweep parts: a resumed sweep trusts only parts that verify, sets aside bad ones and runs
their tasks again, reads exactly the parts it writes (strays are named, never read), and
removes the temporary files a killed sweep left."""

import os
import shutil
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

import evopolity as ep
from evopolity import experiments as experiment
from evopolity.experiments import storage
from evopolity.experiments.storage import PartsWarning

SPEC = """
[experiment]
name = "tiny sweep"
seeds = [0, 1]

[strategies]
names = ["Tit For Tat", "Defector", "Cooperator"]

[play]
turns = 20
noise = 0.02
method = "simulate"
repetitions = 2

[dynamics]
t_max = 10
points_per_unit = 0.5

[[regimes]]
preset = "carrot_then_stick"  # a fixed fine on an institution that follows its support

[sweep]
"regime.fine" = [0.0, 2.0]
"regime.tax" = [0.0, 0.5]
"""
N_TASKS = 8  # 2 x 2 points x 1 regime x 2 seeds


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """An uninterrupted sweep: its directory and its frame."""
    root = tmp_path_factory.mktemp("whole")
    spec = root / "spec.toml"
    spec.write_text(SPEC)
    frame = experiment.sweep(spec, root / "out", progress=False)
    assert list(frame.task) == list(range(N_TASKS))
    return spec, root / "out", frame


def _copy(whole, tmp_path: Path) -> Path:
    _, out, _ = whole
    shutil.copytree(out, tmp_path / "out")
    return tmp_path / "out"


def _messages(record) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, PartsWarning)]


def _manifest(out: Path) -> list[int]:
    return sorted(int(line) for line in (out / "manifest.txt").read_text().split())


def test_truncated_empty_and_misplaced_parts_are_set_aside_and_run_again(
        whole, tmp_path, monkeypatch, record_part_writes):
    spec, _, frame = whole
    out = _copy(whole, tmp_path)
    parts = out / "parts"
    truncated = parts / "part-000002.parquet"
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    (parts / "part-000005.parquet").write_bytes(b"")
    shutil.copy(parts / "part-000001.parquet", parts / "part-000006.parquet")  # task 1 inside

    # load leaves them out, saying which and why, and changes nothing on disk
    with pytest.warns(PartsWarning) as record:
        partial = ep.load(out)
    assert list(partial.task) == [0, 1, 3, 4, 7]
    said = _messages(record)
    assert len(said) == 3
    assert "task 2" in said[0] and "unreadable" in said[0]
    assert "task 5" in said[1] and "unreadable" in said[1]
    assert "task 6" in said[2] and "holds task 1" in said[2]
    pd.testing.assert_frame_equal(partial, frame[frame.task.isin([0, 1, 3, 4, 7])]
                                  .reset_index(drop=True), check_exact=True)
    assert truncated.exists() and not list(parts.glob("*.bad"))

    written = record_part_writes()
    with pytest.warns(PartsWarning) as record:
        resumed = experiment.sweep(spec, out, progress=False)
    assert written == [2, 5, 6]  # the bad parts' tasks, each once, nothing else
    said = _messages(record)
    assert [m.split(":")[0] for m in said] == [
        f"bad part of task {t} set aside as part-{t:06d}.parquet.bad, to run again"
        for t in (2, 5, 6)]
    assert all("\n" not in m for m in said)  # one line each
    assert sorted(p.name for p in parts.glob("*.bad")) == [
        f"part-{t:06d}.parquet.bad" for t in (2, 5, 6)]
    assert (parts / "part-000005.parquet.bad").read_bytes() == b""
    pd.testing.assert_frame_equal(resumed, frame, check_exact=True)
    assert _manifest(out) == list(range(N_TASKS))

    # the set-aside files are neither read nor warned about again
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pd.testing.assert_frame_equal(ep.load(out), frame, check_exact=True)
        written.clear()
        experiment.sweep(spec, out, progress=False)
    assert written == []


def test_stray_copies_are_not_read_and_are_named(whole, tmp_path, monkeypatch, record_part_writes):
    spec, _, frame = whole
    out = _copy(whole, tmp_path)
    parts = out / "parts"
    strays = {
        "part-000003.parquet.bak": parts / "part-000003.parquet",
        "part-000004 copy.parquet": parts / "part-000004.parquet",
        "part-3.parquet": parts / "part-000003.parquet",
        "part-0000003.parquet": parts / "part-000003.parquet",
        f"part-{N_TASKS:06d}.parquet": parts / "part-000001.parquet",  # beyond the sweep
    }
    for name, source in strays.items():
        shutil.copy(source, parts / name)
    (parts / "old").mkdir()
    shutil.copy(parts / "part-000002.parquet", parts / "old" / "part-000002.parquet")

    with pytest.warns(PartsWarning) as record:
        loaded = ep.load(out)
    pd.testing.assert_frame_equal(loaded, frame, check_exact=True)  # no task twice
    (said,) = _messages(record)
    assert "not parts of this sweep, not read" in said and "\n" not in said
    for name in [*strays, "old"]:
        assert repr(name) in said

    written = record_part_writes()
    with pytest.warns(PartsWarning, match="part-000004 copy.parquet"):
        resumed = experiment.sweep(spec, out, progress=False)
    assert written == []
    pd.testing.assert_frame_equal(resumed, frame, check_exact=True)
    for name in strays:  # strays are reported, never touched
        assert (parts / name).is_file()
    assert (parts / "old" / "part-000002.parquet").is_file()


def test_leftover_temporary_files_are_removed_when_a_sweep_restarts(
        whole, tmp_path, monkeypatch, record_part_writes):
    spec, _, frame = whole
    out = _copy(whole, tmp_path)
    parts = out / "parts"
    (parts / "part-000002.parquet").unlink()
    dead = 2**31 - 1  # above any pid_max: no such process
    left = [parts / f".part-000002.{dead}.tmp.parquet", out / f".manifest.{dead}.tmp.txt",
            parts / f".part-000007.{os.getpid()}.tmp.parquet"]
    for path in left:
        path.write_bytes(b"PAR1 half a part")
    live = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                            stdin=subprocess.PIPE)
    try:
        busy = parts / f".part-000003.{live.pid}.tmp.parquet"  # a writer still alive
        busy.write_bytes(b"PAR1")
        assert ep.load(out).task.tolist() == [0, 1, 3, 4, 5, 6, 7]  # temporaries not read
        written = record_part_writes()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a temporary file is no stray
            resumed = experiment.sweep(spec, out, progress=False)
        assert written == [2]
        assert not any(path.exists() for path in left)
        assert busy.exists()
    finally:
        live.communicate(b"")
    pd.testing.assert_frame_equal(resumed, frame, check_exact=True)
    assert sorted(p.name for p in parts.iterdir()) == sorted(
        [busy.name, *(f"part-{t:06d}.parquet" for t in range(N_TASKS))])


def test_atomic_write_flushes_the_file_before_the_rename_and_the_directory_after(
        tmp_path, monkeypatch):
    calls: list[tuple[str, object]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        kind = "directory" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        calls.append(("fsync", kind))
        real_fsync(fd)

    def replace(src, dst):
        calls.append(("replace", Path(dst).name))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    storage.write_text(tmp_path / "a.txt", "hello\n")
    assert calls == [("fsync", "file"), ("replace", "a.txt"), ("fsync", "directory")]
    assert (tmp_path / "a.txt").read_text() == "hello\n"
    assert os.listdir(tmp_path) == ["a.txt"]
