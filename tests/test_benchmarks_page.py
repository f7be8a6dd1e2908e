"""The benchmark page generator (benchmarks/run_all.py) on synthetic figures and fake scripts.

Cheap: no numba, no benchmark; the fake scripts only import benchmarks/timing.py.
"""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_all = load("run_all")


def fig(work, ratio, low=None, high=None, better="higher", section="Tournaments", **kw):
    return dict(section=section, work=work, ratio=ratio, low=low, high=high, better=better,
                ours=kw.get("ours", ""), reference=kw.get("reference", ""),
                spread="" if low is None else f"{low}..{high}", goal=kw.get("goal", ""),
                met=kw.get("met"))  # fmt: skip


def entry(name, results, status="ok", date="2026-12-01 10:00 UTC", **kw):
    return dict(script=name, command=f"python benchmarks/{name}.py", date=date, quick=False,
                load_before=[0.5, 0.4, 0.3], load_after=[1.5, 0.6, 0.4], wall_s=12.0,
                status=status, results=results, **kw)  # fmt: skip


def test_worse_means_the_whole_spread_on_the_worse_side():
    old = fig("a", 10.0, 9.0, 11.0)
    assert not run_all.got_worse(fig("a", 9.5, 8.5, 10.5), old)  # spreads overlap
    assert run_all.got_worse(fig("a", 8.0, 7.5, 8.9), old)
    assert not run_all.got_worse(fig("a", 12.0, 11.5, 13.0), old)  # better
    # a cost ratio: lower is better
    cost = fig("c", 1.3, 1.2, 1.4, better="lower")
    assert run_all.got_worse(fig("c", 1.6, 1.5, 1.7, better="lower"), cost)
    assert not run_all.got_worse(fig("c", 1.1, 1.0, 1.2, better="lower"), cost)
    # no spreads: a 10% tolerance
    assert not run_all.got_worse(fig("n", 95.0), fig("n", 100.0))
    assert run_all.got_worse(fig("n", 85.0), fig("n", 100.0))
    assert not run_all.got_worse(fig("n", None), fig("n", 100.0))


def test_merge_keeps_the_last_good_figures_as_previous():
    first = run_all.merge(None, [entry("bench_a", [fig("x", 2.0)])], {}, "cmd")
    assert first["scripts"]["bench_a"]["previous"] is None
    failed = run_all.merge(first, [entry("bench_a", [], status="failed (exit code 1)",
                                         date="2026-12-02 10:00 UTC")], {}, "cmd")
    prev = failed["scripts"]["bench_a"]["previous"]
    assert prev["date"] == "2026-12-01 10:00 UTC" and prev["results"][0]["ratio"] == 2.0
    # after a failure the next good run still compares with the last good figures
    again = run_all.merge(failed, [entry("bench_a", [fig("x", 3.0)])], {}, "cmd")
    assert again["scripts"]["bench_a"]["previous"]["results"][0]["ratio"] == 2.0
    # a quick run is not compared with a full one, and scripts not run keep their entries
    other = run_all.merge(again, [dict(entry("bench_b", [fig("y", 1.0)]), quick=True)], {}, "c")
    assert other["scripts"]["bench_a"] == again["scripts"]["bench_a"]
    assert other["scripts"]["bench_b"]["previous"] is None


def test_page_has_dates_loads_spreads_previous_figures_and_failures():
    old = run_all.merge(None, [
        entry("bench_t", [fig("basic", 300.0, 280.0, 320.0), fig("big", 50.0, 45.0, 55.0)]),
        entry("bench_z", [fig("z", 1.0, section="Zeta")]),
    ], {}, "python benchmarks/run_all.py")  # fmt: skip
    state = run_all.merge(old, [
        entry("bench_t", [fig("basic", 250.0, 240.0, 260.0, goal=">= 2,000x", met=False),
                          fig("big", 52.0, 47.0, 57.0), fig("fresh", 4.0, met=True)],
              date="2026-12-02 11:00 UTC"),
        entry("bench_z", [], status="failed (exit code 1)", date="2026-12-02 11:05 UTC",
              output_tail="Traceback (most recent call last):\nZeroDivisionError: boom"),
    ], dict(cores=2, cpu="Some CPU", os="Linux", python="3.11.9",
            versions=dict(numba="0.68.1", axelrod=None), commit="abc1234"),
        "python benchmarks/run_all.py --only t --only z")  # fmt: skip
    page = run_all.render(state)
    assert "`python benchmarks/run_all.py --only t --only z`" in page
    assert "2 cores (Some CPU)" in page and "numba 0.68.1" in page
    assert "axelrod not installed" in page and "`abc1234`" in page
    assert "2026-12-02 11:00 UTC, load 0.50 → 1.50 on 2 cores" in page
    rows = {line.split(" | ")[0][2:]: line for line in page.splitlines()
            if line.startswith("| ") and not line.startswith("| work")}  # fmt: skip
    assert "| 250 | 240.0..260.0 | 300 ▼ worse | >= 2,000x | **no** |" in rows["basic"]
    assert "| 52 | 47.0..57.0 | 50 |" in rows["big"]  # overlapping spreads: not marked
    assert "| new |" in rows["fresh"] and rows["fresh"].endswith("| yes |")
    assert "Previous run: 2026-12-01 10:00 UTC, load 0.50 → 1.50." in page
    # the failing script is reported, with its output and its last figures
    assert "**failed (exit code 1).**" in page and "ZeroDivisionError: boom" in page
    assert "Its last figures, from 2026-12-01 10:00 UTC:" in page and "| z |" in page
    assert "- Goals met: **1 of 2**." in page
    assert "Tournaments: basic (300 → 250)" in page
    assert "`bench_z` (failed (exit code 1), 2026-12-02 11:05 UTC)" in page


OK_SCRIPT = '''
import argparse, os
from timing import record, save_results
parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
print("openblas", os.environ.get("OPENBLAS_CORETYPE"))
record("Fake", "work", 2.0 if args.quick else 3.0, low=1.5, high=3.5,
       ours="quick" if args.quick else "full", goal=">= 1", met=True)
save_results("bench_ok")
'''
FAIL_SCRIPT = 'print("about to fail")\nraise RuntimeError("this benchmark broke")\n'
SILENT_SCRIPT = 'print("forgot to save")\n'


def test_run_all_runs_scripts_apart_and_reports_failures(tmp_path, monkeypatch, capsys):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "bench_ok.py").write_text(OK_SCRIPT)
    (scripts / "bench_fail.py").write_text(FAIL_SCRIPT)
    (scripts / "bench_silent.py").write_text(SILENT_SCRIPT)
    out = tmp_path / "out"
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")  # unset for the benchmarks only
    code = run_all.main(["--scripts", str(scripts), "--out", str(out)])
    assert code == 1
    printed = capsys.readouterr().out
    assert "openblas None" in printed and "about to fail" in printed
    state = json.loads((out / "latest.json").read_text())
    ok, fail, silent = (state["scripts"][n] for n in ("bench_ok", "bench_fail", "bench_silent"))
    assert ok["status"] == "ok" and ok["results"][0]["ours"] == "full"
    assert fail["status"] == "failed (exit code 1)"
    assert "RuntimeError: this benchmark broke" in fail["output_tail"]
    assert silent["status"].startswith("no figures recorded")
    page = (out / "benchmarks.md").read_text()
    assert "this benchmark broke" in page and "no figures recorded" in page
    # --only reruns one script; it shows its previous figure, the others stay as they were
    assert run_all.main(["--scripts", str(scripts), "--out", str(out), "--only", "ok"]) == 0
    again = json.loads((out / "latest.json").read_text())
    assert again["scripts"]["bench_ok"]["previous"]["results"][0]["ratio"] == 3.0
    assert again["scripts"]["bench_fail"] == fail
    assert "| 3 | 1.5..3.5 | 3 | >= 1 | yes |" in (out / "benchmarks.md").read_text()
    assert "--only ok" in again["command"]
    # --quick passes --quick to the scripts that take it
    assert run_all.main(["--scripts", str(scripts), "--out", str(out), "--only", "ok",
                         "--quick"]) == 0  # fmt: skip
    quick = json.loads((out / "latest.json").read_text())["scripts"]["bench_ok"]
    assert quick["quick"] and quick["results"][0]["ours"] == "quick"
    assert quick["previous"] is None  # not compared with the full run
    with pytest.raises(SystemExit, match="no benchmark 'nope'"):
        run_all.main(["--scripts", str(scripts), "--out", str(out), "--only", "nope"])


def test_the_benchmark_scripts_all_record_their_figures():
    # every script hands its figures to the page (a script that forgot would be reported as
    # a failure at the next full run, after minutes of benchmarking)
    for script in run_all.scripts_in(BENCH):
        text = script.read_text()
        assert "save_results(" in text and "record(" in text, script.name


def test_timing_record_keeps_the_spread_and_direction(monkeypatch, tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        timing = load("timing")
    finally:
        sys.path.remove(str(BENCH))
    timing.record("S", "w", 1.25, low=1.2, high=1.4, better="lower")
    assert timing.RESULTS[-1]["spread"] == "1.2..1.4"
    with pytest.raises(ValueError, match="better"):
        timing.record("S", "w", 1.0, better="up")
    monkeypatch.setenv("EVOPOLITY_BENCH_JSON", str(tmp_path))
    timing.save_results("bench_s")
    saved = json.loads((tmp_path / "bench_s.json").read_text())
    assert saved["results"][0]["better"] == "lower" and len(saved["load_average"]) == 3
