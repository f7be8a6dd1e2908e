"""The command line: output, files, help, and one-line errors with exit code 2."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import evopolity as ep
from evopolity.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_tournament_prints_ranking_and_writes_parquet(tmp_path, capsys):
    out = tmp_path / "results.parquet"
    code = main(["tournament", "--strategies", "basic", "--turns", "50", "--repetitions", "3",
                 "--noise", "0.01", "--seed", "1", "--out", str(out)])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    # the same tournament in-process: the ranking is by mean payoff over every opponent
    # (self included), highest first, ties by name
    t = ep.tournament(ep.library.collection("basic"), turns=50, repetitions=3, noise=0.01,
                      seed=1, method="simulate")
    mean = t.payoffs.mean(axis=1)
    order = sorted(t.names, key=lambda name: (-mean[name], name))
    assert lines[0] == repr(t)
    assert lines[1].split() == ["rank", "strategy", "mean_payoff", "cooperation", "min_payoff",
                                "max_payoff"]
    rows = lines[2:12]
    assert lines[12] == f"wrote 100 rows to {out}"
    number = r"\s+(-?\d+\.\d{4})"
    for rank, (name, line) in enumerate(zip(order, rows, strict=True), start=1):
        match = re.fullmatch(rf"\s*{rank} +{re.escape(name)}{number * 4}", line)
        assert match, (rank, name, line)
        printed = [float(v) for v in match.groups()]
        expected = [mean[name], t.cooperation.loc[name].mean(), t.payoffs.loc[name].min(),
                    t.payoffs.loc[name].max()]
        assert printed == pytest.approx(expected, abs=5e-5)  # printed to 4 decimals
    frame = pd.read_parquet(out)
    assert list(frame.columns) == ["player", "opponent", "payoff", "payoff_std", "cooperation",
                                   "turns"]
    assert len(frame) == 100
    # the file holds the same tournament: its per-player means are the ranking's
    by_player = frame.groupby("player").payoff.mean()
    assert by_player.sort_values(ascending=False).index[0] == order[0]
    for name in t.names:
        assert by_player[name] == pytest.approx(mean[name], abs=1e-12)


def test_tournament_writes_csv_and_same_seed_same_file(tmp_path):
    paths = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for path in paths:
        assert main(["tournament", "--strategies", "Tit For Tat,GTFT,Random", "--turns", "30",
                     "--seed", "5", "--out", str(path)]) == 0
    assert paths[0].read_text() == paths[1].read_text()


def test_exact_limit_of_means_from_the_command_line(tmp_path):
    out = tmp_path / "exact.csv"
    assert main(["tournament", "--strategies", "Tit For Tat,Win-Stay Lose-Shift", "--turns",
                 "0", "--method", "exact", "--noise", "0.1", "--out", str(out)]) == 0
    frame = pd.read_csv(out).set_index(["player", "opponent"]).payoff
    # TFT vs WSLS (both ways) and TFT vs TFT have uniform stationary outcomes: (R+S+T+P)/4
    for pair in [("Tit For Tat", "Win-Stay Lose-Shift"), ("Win-Stay Lose-Shift", "Tit For Tat"),
                 ("Tit For Tat", "Tit For Tat")]:
        assert frame.loc[pair] == pytest.approx(2.25, abs=1e-12)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--strategies", "Nobody"], "unknown strategy name 'Nobody'"),
        (["--noise", "1.5"], "noise must be a probability in [0, 1]"),
        (["--turns", "x"], "argument --turns: invalid int value: 'x'"),
        (["--repetitions", "0"], "expected a positive integer"),
        (["--game", "pd:3,0,2,1"], "temptation T=2 must exceed reward R=3"),
        (["--game", "poker"], "unknown game 'poker'"),
        (["--out", "results.txt"], "use a .csv or .parquet file name"),
    ],
)
def test_bad_input_is_one_line_on_stderr_with_exit_code_2(argv, message):
    proc = subprocess.run([sys.executable, "-m", "evopolity", "tournament", *argv],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_version_is_the_packages():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    proc = subprocess.run([sys.executable, "-m", "evopolity", "--version"], capture_output=True,
                          text=True, timeout=120)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"evopolity {version}\n", "")


def test_helps_say_what_the_commands_read_and_write(capsys):
    assert main(["run", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: evopolity-out)" in text and "--quiet" in text
    assert main(["plot", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "usage: evopolity plot [-h] DIRECTORY" in text
    assert "as PNG files into DIRECTORY/figures/ and print their paths" in text
    assert "'evopolity run'" in text and "'evopolity sweep'" in text
    assert main(["sweep", "--help"]) == 0
    assert "--quiet" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plot", "{tmp}/absent"], "evopolity plot: error: path must be a run or sweep "
                                    "directory, '{tmp}/absent' is not a directory"),
        (["plot", "{tmp}"], "evopolity plot: error: '{tmp}' holds neither a run"),
        (["run", "{tmp}/absent.toml"], "evopolity run: error: {tmp}/absent.toml: cannot read "
                                       "the spec: No such file or directory"),
        (["run", "--out", "{tmp}/a-file"], "evopolity run: error: --out: '{tmp}/a-file' is a "
                                           "file, not a directory"),
        (["sweep", "{tmp}/absent.toml"], "evopolity sweep: error: the following arguments are "
                                         "required: --out"),
        (["fly"], "evopolity: error: argument COMMAND: invalid choice: 'fly'"),
    ],
)
def test_errors_of_every_command_are_one_line_without_traceback(tmp_path, argv, message):
    (tmp_path / "a-file").write_text("not a directory")
    argv = [a.format(tmp=tmp_path) for a in argv]
    proc = subprocess.run([sys.executable, "-m", "evopolity", *argv], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith(message.format(tmp=tmp_path))
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_a_reader_that_stops_early_gets_no_traceback():
    # `evopolity tournament ... | head -1` once head has exited: every write to the pipe fails.
    # The CLI must stop quietly (exit 141, as Unix tools killed by SIGPIPE do), with no
    # traceback and no "Exception ignored" from the interpreter's last flush
    read_end, write_end = os.pipe()
    os.close(read_end)
    cmd = [sys.executable, "-m", "evopolity", "tournament", "--strategies", "basic",
           "--turns", "20", "--repetitions", "1"]
    try:
        proc = subprocess.run(cmd, stdout=write_end, stderr=subprocess.PIPE, text=True,
                              timeout=120)
    finally:
        os.close(write_end)
    assert proc.stderr == ""
    assert proc.returncode == 141
