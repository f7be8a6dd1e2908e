"""The command line: output, files, and one-line errors with exit code 2."""

import subprocess
import sys

import pandas as pd
import pytest

from evopolity.cli import main


def test_tournament_prints_ranking_and_writes_parquet(tmp_path, capsys):
    out = tmp_path / "results.parquet"
    code = main(["tournament", "--strategies", "basic", "--turns", "50", "--repetitions", "3",
                 "--noise", "0.01", "--seed", "1", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Win-Stay Lose-Shift" in printed and "rank" in printed
    frame = pd.read_parquet(out)
    assert list(frame.columns) == ["player", "opponent", "payoff", "payoff_std", "cooperation",
                                   "turns"]
    assert len(frame) == 100


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
