"""Cold compile: the first call of every entry point in a fresh process, nothing cached.

    python benchmarks/bench_compile.py [--only WORD ...] [--skip-all]

Each entry point runs in its own fresh Python process with ``EVOPOLITY_NO_CACHE=1`` (the
kernels compile in memory and nothing is read from or written to numba's cache), after
``import evopolity``; printed are the wall-clock time of its first call and the CPU time the
process spent on it (user + system, read with ``resource``: on a machine shared with other
work the wall clock stretches, the CPU time much less). Then every entry point runs in ONE
fresh process, one after the other, as a user meets them on a first ``evopolity run`` (each
kernel compiles once there, shared kernels once for all).

The goals (issue 14): ``replicator`` (integrator ``'auto'``) <= 10 s cold; every entry point
in one process <= 20 s. Goals are read against the CPU time, the wall clock beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from timing import record, save_results

# each entry point: a first call as a user writes it, small sizes (compile time is the point)
SETUP = r"""
import numpy as np
import evopolity as ep
A3 = np.array([[0.0, -1.0, 1.2], [1.1, 0.0, -1.0], [-1.0, 1.3, 0.0]])
C3 = np.array([[1.0, 0.2, 0.6], [0.9, 0.0, 0.4], [1.0, 0.5, 0.3]])
PD = np.array([[3.0, 0.0], [5.0, 1.0]])
REGIME = ep.Regime(fine=1.0, detection=0.5, cost=0.1, feedback=0.5, decay=0.01,
                   initial_strength=0.5)
"""

ENTRIES = {
    # the replicator family (issue 14's goals)
    "replicator auto": "ep.replicator(A3, t_max=10.0)",
    "replicator dopri5": "ep.replicator(A3, t_max=10.0, integrator='dopri5')",
    "replicator rodas4": "ep.replicator(A3, t_max=10.0, integrator='rodas4')",
    "replicator rk4": "ep.replicator(A3, t_max=10.0, integrator='rk4', dt=0.01)",
    "discrete replicator": "ep.discrete_replicator(A3 + 2.0, generations=10)",
    "regime replicator": "ep.replicator(A3, t_max=10.0, regime=REGIME, cooperation=C3)",
    "group-game replicator": "ep.replicator(ep.public_goods(5, 3.0, 1.0), t_max=10.0)",
    # measured here, owned elsewhere
    "tournament simulate": "ep.tournament(['Tit For Tat', 'Defector', 'GTFT: 0.33'], turns=20,"
                           " repetitions=2, noise=0.01, seed=1)",
    "tournament exact": "ep.tournament(['Tit For Tat', 'Defector', 'GTFT: 0.33'], turns=None,"
                        " noise=0.01, method='exact')",
    "moran": "ep.moran(A3 + 2.0, 30, [10, 10, 10], 1000, selection=0.5, mutation=0.01, seed=1)",
    "fermi": "ep.pairwise_comparison(A3, 30, [10, 10, 10], 1000, selection=1.0, mutation=0.01,"
             " seed=1)",
    "agent moran": "ep.agent_moran(['Tit For Tat', 'Defector', 'Cooperator'], turns=10, seed=1,"
                   " generations=5, stop_on_fixation=False)",
    "graphs (structured)": "ep.structured(PD, ep.graphs.ring(20), 'bd', 100, 0.1, 1e-3,"
                           " x0=[10, 10], seed=1)",
    "polities": "ep.polities(PD, [None], n=10, m=4, generations=10, selection=0.1, seed=1)",
    "wright_fisher": "ep.wright_fisher(A3 + 2.0, 30, [10, 10, 10], 10, seed=1)",
}
REPLICATOR = [name for name in ENTRIES if "replicator" in name]
GOAL_REPLICATOR = 10.0
GOAL_ALL = 20.0

# the child: import, then time each statement's first call (wall and this process's CPU)
CHILD = r"""
import json, resource, sys, time
import numpy as np

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

import evopolity as ep
exec(SETUP)
out = {}
for name, statement in json.loads(sys.argv[1]):
    wall, used = time.perf_counter(), cpu()
    exec(statement)
    out[name] = (time.perf_counter() - wall, cpu() - used)
print(json.dumps(out))
"""


def cold(entries: list[tuple[str, str]]) -> dict[str, tuple[float, float]]:
    """Run ``entries`` in one fresh process with nothing cached; their (wall, CPU) seconds."""
    env = dict(os.environ, EVOPOLITY_NO_CACHE="1")
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    env["PYTHONPATH"] = os.path.abspath(src) + os.pathsep + env.get("PYTHONPATH", "")
    child = CHILD.replace("exec(SETUP)", SETUP)
    done = subprocess.run([sys.executable, "-c", child, json.dumps(entries)], env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return {name: tuple(v) for name, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", default=[],
                        help="time only the entry points whose names contain one of these")
    parser.add_argument("--skip-all", action="store_true",
                        help="skip the run of every entry point in one process")
    args = parser.parse_args()
    names = [n for n in ENTRIES if not args.only or any(w in n for w in args.only)]
    print(f"cold first calls (EVOPOLITY_NO_CACHE=1), one fresh process each; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  {'entry point':<24} {'CPU':>8} {'wall':>8}")
    for name in names:
        wall, used = cold([(name, ENTRIES[name])])[name]
        goal = f"<= {GOAL_REPLICATOR:g} s" if name == "replicator auto" else ""
        met = used <= GOAL_REPLICATOR if goal else None
        print(f"  {name:<24} {used:7.1f}s {wall:7.1f}s" + (f"   goal {goal}" if goal else ""))
        record("Cold compile", name, None, ours=f"{used:.1f} s CPU ({wall:.1f} s wall)",
               goal=goal, met=met)
    if args.skip_all:
        save_results("bench_compile")
        return
    times = cold([(name, ENTRIES[name]) for name in ENTRIES])
    total_cpu = sum(v[1] for v in times.values())
    total_wall = sum(v[0] for v in times.values())
    family = sum(times[name][1] for name in REPLICATOR)
    print("every entry point in one fresh process, in this order (each its own first call):")
    for name, (wall, used) in times.items():
        print(f"  {name:<24} {used:7.1f}s {wall:7.1f}s")
    print(f"  {'all':<24} {total_cpu:7.1f}s {total_wall:7.1f}s   goal <= {GOAL_ALL:g} s; "
          f"of it the replicator family {family:.1f} s")
    record("Cold compile", "every entry point, one process", None,
           ours=f"{total_cpu:.1f} s CPU ({total_wall:.1f} s wall)", goal=f"<= {GOAL_ALL:g} s",
           met=total_cpu <= GOAL_ALL)
    record("Cold compile", "the replicator family in that process", None,
           ours=f"{family:.1f} s CPU")
    save_results("bench_compile")


if __name__ == "__main__":
    main()
