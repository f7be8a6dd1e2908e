"""Run the benchmark scripts and regenerate docs/benchmarks.md from the figures they record.

    python benchmarks/run_all.py                     # every benchmarks/bench_*.py, then the page
    python benchmarks/run_all.py --only sanctions    # that script again (repeatable); the
                                                     # others keep their figures and dates
    python benchmarks/run_all.py --quick             # smaller sizes, a smoke test: written to a
                                                     # temporary directory, not to the page
    python benchmarks/run_all.py --render            # the page again from the stored figures
    python benchmarks/run_all.py --list              # the scripts it would run

Each script runs in a fresh Python process, one after the other (two at once would share the
cores), with ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` removed from that process's
environment only: set, they slow a current numpy, and the numpy/scipy peers would be measured
below their best (docs/performance.md). A script hands its figures over with
``timing.record(...)`` and ``timing.save_results(...)``, as JSON in the directory that
``EVOPOLITY_BENCH_JSON`` names.

The figures of the last run stay in ``benchmarks/results/latest.json`` (committed). The page
prints each ratio beside the same figure's previous value, marked where it got worse by more
than the two runs' spreads; the new figures then become the previous ones for the next run. A
script that fails, runs past ``--timeout`` or records nothing is reported on the page with the
end of its output, and its last good figures stay beside the report, with their date.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "latest.json"
PAGE = ROOT / "docs" / "benchmarks.md"
# unset in each benchmark's process only (never in tests or CI), see the module docstring
UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
PEERS = ("numba", "numpy", "scipy", "pandas", "axelrod", "nashpy", "egttools")
# a figure without a recorded spread is marked worse when it lost more than this fraction
TOLERANCE = 0.10
TAIL_LINES = 30
FORMAT = 1


# -- running ---------------------------------------------------------------------------------


def scripts_in(directory: Path) -> list[Path]:
    """The benchmark scripts of ``directory``: ``bench_*.py``, by name."""
    return sorted(directory.glob("bench_*.py"))


def select(scripts: list[Path], only: list[str]) -> list[Path]:
    """The scripts named in ``only`` (``sanctions``, ``bench_sanctions`` or
    ``bench_sanctions.py``), all of them when ``only`` is empty."""
    if not only:
        return scripts
    by_name = {s.stem: s for s in scripts}
    chosen = []
    for name in only:
        stem = Path(name).stem
        stem = stem if stem.startswith("bench_") else f"bench_{stem}"
        if stem not in by_name:
            raise SystemExit(f"no benchmark {name!r}; there are: "
                             + ", ".join(sorted(by_name)))  # fmt: skip
        chosen.append(by_name[stem])
    return chosen


def supports_quick(script: Path) -> bool:
    """Whether the script takes ``--quick`` (it says so in its argument parser)."""
    return '"--quick"' in script.read_text()


def benchmark_env(json_dir: str) -> dict[str, str]:
    """The environment of one benchmark process: ours minus :data:`UNSET`, the checkout and
    the benchmarks directory on the path, the directory for the figures."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    path = [str(ROOT), str(HERE)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    env["PYTHONPATH"] = os.pathsep.join(path)
    env["EVOPOLITY_BENCH_JSON"] = json_dir
    env["PYTHONUNBUFFERED"] = "1"
    return env


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def run_script(script: Path, quick: bool, timeout: float) -> dict:
    """Run one script in a fresh process, its output passed through as it comes.

    Returns
    -------
    dict
        The script's entry: ``script``, ``command``, ``date``, ``load_before`` and
        ``load_after`` (the 1, 5 and 15-minute load averages), ``wall_s``, ``status``
        (``"ok"`` or what went wrong), ``results`` (the figures it recorded), and on failure
        ``output_tail`` (its last lines).
    """
    args = ["--quick"] if quick and supports_quick(script) else []
    command = " ".join(["python", f"benchmarks/{script.name}", *args])
    entry = dict(script=script.stem, command=command, date=now(), quick=bool(args),
                 load_before=list(os.getloadavg()))  # fmt: skip
    print(f"\n=== {command}  ({entry['date']}, load {entry['load_before'][0]:.2f})", flush=True)
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="evopolity-bench-") as json_dir:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(script), *args], cwd=ROOT,
                                env=benchmark_env(json_dir), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)  # fmt: skip

        def pump() -> None:
            for line in proc.stdout:
                sys.stdout.write(line)
                lines.append(line.rstrip("\n"))

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            code = proc.wait(timeout=timeout)
            status = "ok" if code == 0 else f"failed (exit code {code})"
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            status = f"timed out after {timeout:.0f} s"
        reader.join(timeout=10)
        entry["wall_s"] = round(time.perf_counter() - start, 1)
        entry["load_after"] = list(os.getloadavg())
        results, loads = [], []
        for path in sorted(Path(json_dir).glob("*.json")):
            try:
                data = json.loads(path.read_text())
            except ValueError as exc:
                status = f"unreadable figures ({path.name}: {exc})"
                continue
            results.extend(data.get("results", []))
            if data.get("load_average"):
                loads.append(data["load_average"])
    if status == "ok" and not results:
        status = "no figures recorded (the script does not call timing.save_results)"
    entry["status"] = status
    entry["results"] = results
    if loads:
        entry["load_recorded"] = loads[-1]
    if status != "ok":
        entry["output_tail"] = "\n".join(lines[-TAIL_LINES:])
    print(f"=== {script.stem}: {status}, {entry['wall_s']} s", flush=True)
    return entry


def merge(old: dict | None, new_entries: list[dict], machine: dict, command: str) -> dict:
    """The stored state after a run: each script that ran gets its new entry, with the
    figures it replaces as ``previous`` (its last good ones when it failed, or when either
    run was a ``--quick`` one of another size); the others keep theirs."""
    scripts = dict((old or {}).get("scripts", {}))
    for entry in new_entries:
        before = scripts.get(entry["script"]) or {}
        previous = None
        for candidate in (before, before.get("previous") or {}):
            if candidate.get("results") and (candidate.get("quick", False)
                                             == entry.get("quick", False)):
                previous = {key: candidate.get(key) for key in
                            ("date", "load_before", "load_after", "results", "quick")}
                break
        scripts[entry["script"]] = dict(entry, previous=previous)
    return dict(format=FORMAT, date=now(), command=command, machine=machine,
                scripts=dict(sorted(scripts.items())))  # fmt: skip


def machine_info() -> dict:
    """What the figures were measured on: cores, CPU, OS, Python, the versions of numba, the
    numeric stack and the peers, numba's thread count when set, the checkout's commit."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in PEERS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return dict(cores=os.cpu_count(), cpu=cpu, os=f"{platform.system()} {platform.release()}",
                python=platform.python_version(), versions=versions, commit=commit,
                numba_threads=os.environ.get("NUMBA_NUM_THREADS"))  # fmt: skip


# -- the page --------------------------------------------------------------------------------


def fmt_ratio(value: float | None) -> str:
    """A ratio to three significant figures, thousands grouped: 0.382, 1.28, 12.4, 2,783."""
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def fmt_load(load: list[float] | None) -> str:
    return "?" if not load else f"{load[0]:.2f}"


def bounds(figure: dict) -> tuple[float, float]:
    """A figure's ratio spread (10th, 90th percentile), its ratio when it has none."""
    r = figure["ratio"]
    low, high = figure.get("low"), figure.get("high")
    return (r if low is None else low), (r if high is None else high)


def got_worse(new: dict, old: dict) -> bool:
    """Whether ``new`` is worse than ``old`` by more than their spreads: its whole spread on
    the worse side of the old one's (by :data:`TOLERANCE` when neither has a spread)."""
    if new.get("ratio") is None or old.get("ratio") is None:
        return False
    higher = new.get("better", "higher") != "lower"
    n_low, n_high = bounds(new)
    o_low, o_high = bounds(old)
    if (n_low, n_high) == (new["ratio"],) * 2 and (o_low, o_high) == (old["ratio"],) * 2:
        if higher:
            return new["ratio"] < (1.0 - TOLERANCE) * old["ratio"]
        return new["ratio"] > (1.0 + TOLERANCE) * old["ratio"]
    return n_high < o_low if higher else n_low > o_high


def cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(results: list[dict], previous: dict[tuple[str, str], dict] | None) -> list[str]:
    """One markdown table of figures, the previous ratio beside each when known."""
    head = ["work", "ours", "reference", "ratio", "spread"]
    if previous is not None:
        head.append("previous")
    head += ["goal", "met"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for fig in results:
        row = [fig["work"], fig.get("ours", ""), fig.get("reference", ""),
               fmt_ratio(fig.get("ratio")), fig.get("spread", "")]  # fmt: skip
        if previous is not None:
            old = previous.get((fig["section"], fig["work"]))
            if old is None or old.get("ratio") is None:
                row.append("new" if old is None else "")
            else:
                mark = " ▼ worse" if got_worse(fig, old) else ""
                row.append(fmt_ratio(old["ratio"]) + mark)
        met = fig.get("met")
        row += [fig.get("goal", ""), "" if met is None else ("yes" if met else "**no**")]
        out.append("| " + " | ".join(cell(c) for c in row) + " |")
    return out


def sections(results: list[dict]) -> dict[str, list[dict]]:
    """Figures grouped by section, in the order they were recorded."""
    out: dict[str, list[dict]] = {}
    for fig in results:
        out.setdefault(fig["section"], []).append(fig)
    return out


def summary(state: dict) -> list[str]:
    """Goals met, regressions and failures over every script."""
    met = missed = 0
    worse, failed, missing = [], [], []
    for name, entry in state["scripts"].items():
        if entry.get("status") != "ok":
            failed.append(f"`{name}` ({entry.get('status')}, {entry.get('date')})")
            continue
        prev = {(f["section"], f["work"]): f
                for f in ((entry.get("previous") or {}).get("results") or [])}  # fmt: skip
        for fig in entry["results"]:
            if fig.get("met") is True:
                met += 1
            elif fig.get("met") is False:
                missed += 1
                missing.append(f"{fig['section']}: {fig['work']}")
            old = prev.get((fig["section"], fig["work"]))
            if old is not None and got_worse(fig, old):
                worse.append(f"{fig['section']}: {fig['work']} ({fmt_ratio(old['ratio'])} → "
                             f"{fmt_ratio(fig['ratio'])})")  # fmt: skip
    lines = [f"- Goals met: **{met} of {met + missed}**."]
    if missing:
        lines.append("- Not met: " + "; ".join(missing) + ".")
    lines.append("- Worse than the previous run by more than the spread: "
                 + ("; ".join(worse) if worse else "none") + ".")  # fmt: skip
    lines.append("- Scripts that failed: " + ("; ".join(failed) if failed else "none") + ".")
    return lines


def render(state: dict) -> str:
    """docs/benchmarks.md from the stored state (:func:`merge`)."""
    m = state.get("machine", {})
    versions = m.get("versions", {})
    stack = ", ".join(f"{k} {v}" for k, v in versions.items() if v and k in
                      ("numba", "numpy", "scipy", "pandas"))  # fmt: skip
    peers = ", ".join(f"{k} {v if v else 'not installed'}" for k, v in versions.items()
                      if k not in ("numba", "numpy", "scipy", "pandas"))  # fmt: skip
    threads = m.get("numba_threads") or f"{m.get('cores')} (one per core)"
    lines = [
        "# Benchmarks",
        "",
        "<!-- Generated by benchmarks/run_all.py from benchmarks/results/latest.json: do not",
        "edit by hand, run it again. -->",
        "",
        "Generated by `python benchmarks/run_all.py` (every `benchmarks/bench_*.py`, one after",
        "the other, each in a fresh process with `OPENBLAS_CORETYPE` and `OPENBLAS_L2_SIZE`",
        "unset for that process only; `--only NAME` runs one script again and keeps the others'",
        "figures with their dates). Last command: "
        f"`{state.get('command', 'python benchmarks/run_all.py')}` on {state.get('date')}.",
        "",
        f"Machine: {m.get('cores')} cores ({m.get('cpu')}), {m.get('os')}, Python "
        f"{m.get('python')}, {stack}, numba threads {threads}; peers: {peers}; "
        f"evopolity at `{m.get('commit')}`.",
        "",
        "How to read the tables. Each ratio compares our time with a peer's or a ceiling's "
        "(a tight numba loop written only to find it) measured in the same process, as the "
        "median over interleaved rounds; *spread* is its 10th..90th percentile over the "
        "rounds. *previous* is the same figure in the run before (dated under each table), "
        "marked ▼ where the new figure is worse by more than both spreads (by "
        f"{TOLERANCE:.0%} where a figure has none). The load average (1 minute) is read "
        "before and after each script: above the number of cores, other processes shared "
        "them and absolute times are inflated; ratios less so. Quote ratios, not times.",
        "",
        "## Summary",
        "",
        *summary(state),
    ]
    for name, entry in state["scripts"].items():
        lines += ["", f"## `{name}`", ""]
        load = (f"load {fmt_load(entry.get('load_before'))} → "
                f"{fmt_load(entry.get('load_after'))} on {m.get('cores')} cores")  # fmt: skip
        lines.append(f"`{entry.get('command')}` — {entry.get('date')}, {load}, "
                     f"{entry.get('wall_s')} s{' (quick)' if entry.get('quick') else ''}.")
        prev_entry = entry.get("previous") or {}
        if entry.get("status") != "ok":
            lines += ["", f"**{entry.get('status')}.** The end of its output:", "", "```",
                      entry.get("output_tail", "").rstrip(), "```"]  # fmt: skip
            if prev_entry.get("results"):
                lines += ["", f"Its last figures, from {prev_entry.get('date')}:"]
                for section, figs in sections(prev_entry["results"]).items():
                    lines += ["", f"### {section}", "", *table(figs, None)]
            continue
        prev = None
        if prev_entry.get("results") is not None:
            prev = {(f["section"], f["work"]): f for f in prev_entry["results"]}
        for section, figs in sections(entry["results"]).items():
            lines += ["", f"### {section}", "", *table(figs, prev)]
        if prev is not None:
            lines += ["", f"Previous run: {prev_entry.get('date')}, load "
                          f"{fmt_load(prev_entry.get('load_before'))} → "
                          f"{fmt_load(prev_entry.get('load_after'))}."]  # fmt: skip
    return "\n".join(lines) + "\n"


# -- command line ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run this script only (repeatable): sanctions or bench_sanctions")
    parser.add_argument("--quick", action="store_true",
                        help="pass --quick to the scripts that take it; write to a temporary "
                             "directory unless --out is given")  # fmt: skip
    parser.add_argument("--render", action="store_true",
                        help="write the page from the stored figures, run nothing")
    parser.add_argument("--list", action="store_true", help="list the scripts and stop")
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="seconds one script may run (default 3600)")
    parser.add_argument("--out", type=Path, default=None,
                        help="write latest.json and benchmarks.md into this directory instead")
    parser.add_argument("--scripts", type=Path, default=HERE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    chosen = select(scripts_in(args.scripts), args.only)
    if args.list:
        print("\n".join(s.stem for s in chosen))
        return 0
    out = args.out
    if out is None and args.quick:
        out = Path(tempfile.mkdtemp(prefix="evopolity-bench-quick-"))
    results_path = RESULTS if out is None else out / "latest.json"
    page_path = PAGE if out is None else out / "benchmarks.md"
    stored = RESULTS if out is None or not (out / "latest.json").exists() else results_path
    old = json.loads(stored.read_text()) if stored.exists() else None
    if args.render:
        if old is None:
            raise SystemExit(f"no stored figures in {stored}")
        page_path.write_text(render(old))
        print(f"wrote {page_path}")
        return 0
    command = " ".join(["python", "benchmarks/run_all.py", *(argv if argv is not None
                                                             else sys.argv[1:])])
    entries = [run_script(s, args.quick, args.timeout) for s in chosen]
    state = merge(old, entries, machine_info(), command)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    page_path.parent.mkdir(parents=True, exist_ok=True)
    page_path.write_text(render(state))
    results_path.write_text(json.dumps(state, indent=1, ensure_ascii=False) + "\n")
    print(f"\nwrote {page_path} and {results_path}")
    for line in summary(state):
        print(line)
    return 0 if all(e["status"] == "ok" for e in entries) else 1


if __name__ == "__main__":
    sys.exit(main())
