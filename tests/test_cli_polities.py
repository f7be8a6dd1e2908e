"""``evopolity polities``: a [polities] spec through the command line, its report against the
frames it wrote, a bad table refused in one line before anything is written, and a polities
sweep that resumes after a part is lost with the very same rows."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evopolity.cli import main
from evopolity.experiments import sweep
from evopolity.experiments.spec import load_spec

SPEC = """
[experiment]
name = "small polities"
seeds = [1]

[strategies]
names = ["Tit For Tat", "Defector", "Cooperator"]

[play]
turns = 20

[[regimes]]
preset = "laissez_faire"

[[regimes]]
preset = "communitarian"

[polities]
n = 6
m = 8
generations = 3000
imitation = 0.01
collapse = { threshold = 1.5, duration = 300 }

[polities.environment]
kind = "periodic"
period = 1000
games = [{ kind = "matrix", R = 5, S = 2, T = 1, P = 0 }]
"""


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_polities_spec_runs_and_its_report_says_what_the_frames_hold(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["polities", str(write(tmp_path, SPEC)), "--out", str(out), "--quiet"]) == 0
    for name in ("frame", "regimes", "events", "survival"):
        assert (out / f"{name}.parquet").is_file()
    assert (out / "figures" / "survival.png").is_file()
    assert (out / "figures" / "regime-shares.png").is_file()
    survival = pd.read_parquet(out / "survival.parquet")
    regimes = pd.read_parquet(out / "regimes.parquet")
    frame = pd.read_parquet(out / "frame.parquet")
    report = (out / "report.md").read_text()
    last = regimes[regimes.generation == regimes.generation.max()].set_index("regime")
    end = frame[frame.generation == frame.generation.max()]
    for name in ("laissez-faire", "communitarian"):
        km = survival[survival.regime == name]
        below = km[km.survival <= 0.5]
        median = f"{below.time.iloc[0]:g}" if len(below) else "-"
        # the at-risk count at time 0 is every spell of the regime
        spells = int(km.at_risk.iloc[0])
        ended = int(km.ended.sum())
        share = float(last.loc[name, "share"])
        assert share == pytest.approx((end.regime == name).mean())
        assert f"| 1 | {name} | {median} | {spells} | {ended} | {share:.3f} |" in report
    printed = capsys.readouterr().out
    assert "laissez-faire" in printed and "survival.parquet" in printed
    # `evopolity plot` redraws a polities directory's own figures
    for png in (out / "figures").glob("*.png"):
        png.unlink()
    assert main(["plot", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    assert sorted(Path(p).name for p in printed) == ["regime-shares.png", "survival.png"]
    assert (out / "figures" / "survival.png").is_file()


@pytest.mark.parametrize("change, path", [
    ("n = 6", "polities.nn"),
    ("imitation = 0.01", "polities.imitation"),
    ('kind = "periodic"', "polities.environment.kind"),
])
def test_a_bad_polities_table_exits_2_naming_file_and_key_and_writes_nothing(
        tmp_path, capsys, change, path):
    bad = {"n = 6": "nn = 6", "imitation = 0.01": "imitation = 1.5",
           'kind = "periodic"': 'kind = "sometimes"'}[change]
    spec = write(tmp_path, SPEC.replace(change, bad))
    out = tmp_path / "out"
    assert main(["polities", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith("evopolity polities: error: ")
    assert f"{spec}: {path}" in err
    assert not out.exists()


def test_a_spec_without_polities_is_refused(tmp_path, capsys):
    spec = write(tmp_path, SPEC.split("[polities]")[0])
    assert main(["polities", str(spec), "--out", str(tmp_path / "out")]) == 2
    assert "polities: required" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_polities_sweep_resumes_with_the_same_rows(tmp_path):
    text = SPEC.replace("seeds = [1]", "seeds = 2").replace("generations = 3000",
                                                            "generations = 1500")
    text = text.replace("[polities]", '[sweep]\n"polities.migration" = [0.0, 0.2]\n\n[polities]')
    spec = load_spec(write(tmp_path, text))
    assert spec.n_tasks == 4  # 2 points x 2 seeds: the regimes share each run
    out = tmp_path / "sweep"
    first = sweep(spec, out, progress=False)
    assert len(first) == 4
    assert sorted(first["polities.migration"].unique()) == [0.0, 0.2]
    assert {"median_lifetime[communitarian]", "final_share[laissez-faire]",
            "splits"} <= set(first.columns)
    # every task's shares sum to 1
    shares = first[["final_share[laissez-faire]", "final_share[communitarian]"]].sum(axis=1)
    assert np.allclose(shares, 1.0)
    (out / "parts" / "part-000002.parquet").unlink()
    again = sweep(spec, out, progress=False)
    pd.testing.assert_frame_equal(first, again)


EXAMPLE = Path(__file__).parent.parent / "docs" / "examples" / "polities-temptation-walk.toml"


def test_the_example_of_a_temptation_walk_under_fermi_runs(tmp_path):
    # the documented example, shortened: the walk changes the game (its steps are
    # environment events), members imitate (no births: no split, every polity keeps its n)
    text = EXAMPLE.read_text().replace("generations = 20000", "generations = 4000")
    out = tmp_path / "out"
    assert main(["polities", str(write(tmp_path, text)), "--out", str(out), "--quiet",
                 "--no-figures"]) == 0
    events = pd.read_parquet(out / "events.parquet")
    frame = pd.read_parquet(out / "frame.parquet")
    assert (events.event == "environment").sum() > 0
    assert not events.event.isin(["split", "extinction"]).any()
    assert (frame["size"] == 8).all()
    spec = load_spec(EXAMPLE)
    assert spec.polities.update == "fermi" and spec.polities.split == 0.0
    assert (spec.polities.environment, spec.polities.entry) == ("temptation_walk", (1, 2))


@pytest.mark.parametrize("change, path", [
    ("high = 8.0", "polities.environment.high"),
    ("step = 0.5", "polities.environment.step"),
    ("entry = [1, 2]", "polities.environment.entry"),
    ('update = "fermi"', "polities.update"),
    ("imitation = 0.01", "polities: split: under update='fermi'"),
])
def test_a_bad_walk_or_update_is_refused_naming_the_key(tmp_path, capsys, change, path):
    bad = {"high = 8.0": "high = 2.0", "step = 0.5": "step = 0", "entry = [1, 2]": "entry = [1]",
           'update = "fermi"': 'update = "bd"', "imitation = 0.01": "split = 0.1"}[change]
    spec = write(tmp_path, EXAMPLE.read_text().replace(change, bad))
    assert main(["polities", str(spec), "--out", str(tmp_path / "out")]) == 2
    assert f"{spec}: {path}" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_walk_of_the_temptation_is_sweepable_and_each_value_checked(tmp_path):
    from evopolity.experiments.spec import SpecError, polities_at
    from evopolity.experiments.tasks import _environment

    axes = '[sweep]\n"polities.environment.step" = [0.5, 2.5]\n"polities.environment.low" = ' \
           '[3.0, 4.0]\n"polities.environment.high" = [8.0, 9.0]\n\n[polities]'
    spec = load_spec(write(tmp_path, EXAMPLE.read_text().replace("[polities]", axes)))
    assert spec.n_tasks == 8
    walks = set()
    for i in range(spec.n_points):
        point = spec.sweep_point(i)
        walk = _environment(polities_at(spec.polities, point), None, 0.0, 50, spec, 1)
        assert (walk.step, walk.low, walk.high) == (point["polities.environment.step"],
                                                    point["polities.environment.low"],
                                                    point["polities.environment.high"])
        walks.add((walk.step, walk.low, walk.high))
    assert len(walks) == 8
    # a step of zero, a high below low, or a walk's axis on another world: refused by key
    for axis, values, where in [("step", "[0.5, 0.0]", '"polities.environment.step"[1]'),
                                ("high", "[9.0, 2.0]", '"polities.environment.high"[1]'),
                                ("low", "[3.0, 8.0]", '"polities.environment.low"[1]')]:
        text = EXAMPLE.read_text().replace(
            "[polities]", f'[sweep]\n"polities.environment.{axis}" = {values}\n\n[polities]')
        with pytest.raises(SpecError, match=re.escape(where)):
            load_spec(write(tmp_path, text))
    periodic = SPEC.replace("[polities]", '[sweep]\n"polities.environment.step" = [1.0]\n\n'
                                        '[polities]')
    with pytest.raises(SpecError, match="applies to a temptation_walk one"):
        load_spec(write(tmp_path, periodic))
