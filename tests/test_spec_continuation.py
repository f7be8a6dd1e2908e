"""Continuation and ensembles from a spec and the command line.

The example spec docs/examples/continuation-bistable.toml is the hand-worked bistable model of
tests/test_continuation.py played as a spec: always-cooperate and always-defect in the matrix
game [[R, 0], [0, 1]] without noise (each pair's payoff is the stage payoff), mutation 0.05.
Continued along R, its branches must follow the roots of that file's cubic and differ exactly
between its folds; its ensemble must send every start above the unstable root to the high
root and every start below it to the low one.
"""

import shutil
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_continuation import folds, rest_points

import evopolity as ep
from evopolity.cli import main
from evopolity.experiments.runner import run_continuation
from evopolity.experiments.spec import SpecError, parse_spec

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "continuation-bistable.toml"
BASE = {"strategies": {"names": ["Cooperator", "Defector"]},
        "game": {"kind": "matrix", "R": 2.0, "S": 0.0, "T": 0.0, "P": 1.0},
        "play": {"noise": 0.0, "turns": 10}}


def spec_with(**sections):
    return parse_spec({**BASE, **sections}, "my.toml")


@pytest.mark.parametrize("sections, message", [
    ({"continuation": {"parameter": "regime.finee", "values": [0, 1]}},
     "my.toml: continuation.parameter: cannot continue along 'regime.finee'"),
    ({"continuation": {"parameter": "regime.fine", "start": 1.0, "stop": 0.0, "steps": 3}},
     "continuation.stop: must be > continuation.start = 1"),
    ({"continuation": {"parameter": "regime.fine", "start": 0.0, "stop": 1.0}},
     "continuation.steps: required, missing"),
    ({"continuation": {"parameter": "regime.fine", "values": [0.0, 2.0, 1.0]}},
     "continuation.values: the values must be finite and strictly increasing"),
    ({"continuation": {"parameter": "regime.fine", "values": [0, 1], "start": 0}},
     "continuation.values: give values or start, stop and steps, not both"),
    ({"continuation": {"parameter": "regime.detection", "values": [0.5, 1.5]}},
     "continuation.values[1]: regime.detection = 1.5:"),
    ({"continuation": {"parameter": "game.b", "values": [1, 2]}},
     "continuation.values[0]: game.b = 1: a matrix game has no payoff 'b'"),
    ({"continuation": {"parameter": "game.R", "values": [1, 2], "x0": [0.5, 0.6]}},
     "continuation.x0: must sum to 1"),
    ({"continuation": {"parameter": "game.R", "values": [1, 2], "x0": [1.0]}},
     "continuation.x0: must have shape (2,)"),
    ({"continuation": {"parameter": "game.R", "values": [1, 2], "t_max": 10, "budget": 5}},
     "continuation.budget: must be at least continuation.t_max = 10"),
    ({"continuation": {"parameter": "game.R", "values": [1, 2], "step": 3}},
     "continuation.step: unknown key in [continuation]"),
    ({"continuation": {"parameter": "game.R", "values": [1, 2]},
      "sweep": {"regime.fine": [0, 1]}},
     "continuation: a [continuation] runs the replicator on the spec's play; a spec with "
     "[sweep] takes none"),
    ({"ensemble": {"starts": "sobol"}},
     "ensemble.starts: must be one of uniform, dirichlet, given, got 'sobol'"),
    ({"ensemble": {"starts": "uniform", "alpha": 2.0}},
     "ensemble.alpha: applies to starts = \"dirichlet\""),
    ({"ensemble": {"starts": "dirichlet", "alpha": [1.0, 2.0, 3.0]}},
     "ensemble.alpha: must be a positive number or a list of 2"),
    ({"ensemble": {"starts": "dirichlet", "alpha": -1}},
     "ensemble.alpha: must be a positive number"),
    ({"ensemble": {"count": 0}}, "ensemble.count: must be >= 1, got 0"),
    ({"ensemble": {"starts": "given"}}, "ensemble.given: required with starts = \"given\""),
    ({"ensemble": {"starts": "given", "given": [[0.5, 0.5], [0.2, -0.2]]}},
     "ensemble.given[1]: must hold non-negative finite frequencies"),
    ({"ensemble": {"starts": "given", "given": [[1, 0]], "count": 3}},
     "ensemble.count: given starts are counted by ensemble.given"),
    ({"ensemble": {"given": [[1, 0]]}}, "ensemble.given: applies to starts = \"given\""),
    ({"ensemble": {"lyapunov": "yes"}}, "ensemble.lyapunov: must be true or false"),
])
def test_bad_sections_are_refused_naming_the_field(sections, message):
    with pytest.raises(SpecError) as info:
        spec_with(**sections)
    assert message in str(info.value)


def test_the_sections_as_read():
    with pytest.raises(SpecError, match="continuation.start: regime.fine = 0: Regime.fine "
                       "must be above 0"):  # the balanced preset votes a positive fine
        spec_with(continuation={"parameter": "regime.fine", "start": 0.0, "stop": 0.3,
                                "steps": 4})
    spec = spec_with(regimes=[{"name": "r"}],
                     continuation={"parameter": "regime.fine", "start": 0.0, "stop": 0.3,
                                   "steps": 4},
                     ensemble={"starts": "dirichlet", "alpha": 5, "count": 3, "seed": 2})
    assert spec.continuation.values == (0.0, 0.1, 0.2, 0.3)  # the decimals written
    assert [b for b, _, _ in spec.continuation.path] == ["up"] * 4 + ["down"] * 4
    assert spec.continuation.path[4][2] == 0.3
    drawn = spec.ensemble.points(2)
    expected = np.random.default_rng(2).dirichlet([5.0, 5.0], size=3)
    assert np.array_equal(drawn, expected)


def test_cli_continuation_follows_the_cubic_and_resumes(tmp_path, capsys):
    out = tmp_path / "c"
    assert main(["continuation", str(EXAMPLE), "--out", str(out), "--quiet",
                 "--no-figures"]) == 0
    printed = capsys.readouterr().out
    frame = ep.load(out)
    values = sorted(frame.value.unique())
    written = tomllib.loads(EXAMPLE.read_text())["continuation"]
    assert values == ep.experiments.spec.grid(written["start"], written["stop"], written["steps"])
    lo, hi = folds()
    assert (frame.kind == "rest").all()
    up = frame[frame.branch == "up"].set_index("value")["x_Cooperator"]
    down = frame[frame.branch == "down"].set_index("value")["x_Cooperator"]
    for v in values:
        roots = rest_points(v)
        # up: the low root while it exists; down: the high root while it exists
        assert up[v] == pytest.approx(roots[0] if v < hi else roots[-1], abs=1e-5)
        assert down[v] == pytest.approx(roots[-1] if v > lo else roots[0], abs=1e-5)
    inside = [v for v in values if lo < v < hi]
    assert f"branches differ on: [{inside[0]:g}, {inside[-1]:g}]" in printed
    # killed after its 9th run: the parts of the later runs gone; resuming goes on from the
    # state the 9th handed on and ends with exactly the rows of the uninterrupted run
    whole = run_continuation(EXAMPLE, out, figures=False, progress=False)
    assert whole.differs.tolist() == [lo < v < hi for v in whole.value]
    for part in sorted((out / "parts").iterdir())[9:]:
        part.unlink()
    (out / "manifest.txt").unlink()
    again = run_continuation(EXAMPLE, out, figures=False, progress=False)
    pd.testing.assert_frame_equal(again, whole)


def test_cli_ensemble_finds_the_basins_of_the_unstable_root(tmp_path, capsys):
    spec = tmp_path / "e.toml"
    spec.write_text(EXAMPLE.read_text().replace("count = 24", "count = 10"))
    out = tmp_path / "e"
    assert main(["ensemble", str(spec), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    frame = ep.load(out)
    low, unstable, high = rest_points(2.0)
    assert len(frame) == 10 and (frame.kind == "rest").all()
    above = frame.x0_Cooperator > unstable
    assert 0 < above.sum() < 10  # both basins are sampled
    assert frame.loc[above, "final_Cooperator"].to_numpy() == pytest.approx(high, abs=1e-5)
    assert frame.loc[~above, "final_Cooperator"].to_numpy() == pytest.approx(low, abs=1e-5)
    assert f"rest: Cooperator {high:.2f}" in printed
    assert f"{above.mean():.3f}" in printed
    # the plot of the directory: both branches' figure for a continuation, basins here
    assert main(["plot", str(out)]) == 0
    assert (out / "figures" / "basins.png").stat().st_size > 0
    # another spec (or the same spec's continuation) is refused in this directory
    code = main(["continuation", str(EXAMPLE), "--out", str(out), "--quiet"])
    assert code == 2 and "holds a sweep of another spec" in capsys.readouterr().err


def test_a_spec_without_the_section_is_refused(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    shutil.copy(ROOT / "docs" / "examples" / "sweep-fine-tax.toml", spec)
    assert main(["ensemble", str(spec), "--out", str(tmp_path / "o")]) == 2
    assert "ensemble: required, missing (an [ensemble] table" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_the_tables_shown_in_docs_experiments_md_read():
    text = (ROOT / "docs" / "experiments.md").read_text()
    block = next(b.split("```", 1)[0] for b in text.split("```toml\n")[1:]
                 if "[continuation]" in b)
    spec = spec_with(regimes=[{"name": "r"}], **tomllib.loads(block))
    assert spec.continuation.values[0] == 0.25 and len(spec.continuation.values) == 12
    assert spec.ensemble.starts == "dirichlet" and spec.ensemble.alpha == (0.5,)
    assert spec.ensemble.count == 24 and spec.ensemble.seed == 1
