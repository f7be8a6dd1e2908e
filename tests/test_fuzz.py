"""Fuzzing the public edges: every bad value of every parameter is refused, by name.

For each public function and each of its parameters, hypothesis draws values that are wrong
for that parameter (the wrong kind, NaN, infinities, out of range, bools where numbers are
expected, containers where scalars are expected) while every other argument stays good. The
contract (docs/reliability.md): a ``ValueError``, ``TypeError`` or ``LookupError`` whose message
names the parameter; never another exception, never silent acceptance. Sizes too large to
hold are refused from an estimate before anything is allocated (checked with ``tracemalloc``,
which sees numpy's allocations). The command line gets the same treatment: exit code 2, one
line on stderr, no traceback, nothing written.
"""

from __future__ import annotations

import contextlib
import io
import math
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evopolity as ep
from evopolity.analysis.ensemble import same_attractors
from evopolity.cli import main

PD = [[3.0, 0.0], [5.0, 1.0]]
PAIR = ["Cooperator", "Defector"]
NAN, INF = math.nan, math.inf

# Wrong values by the kind of a parameter; None is added for required ones (below).
WRONG: dict[str, list[Any]] = {
    "probability": ["0.5", NAN, INF, -INF, -0.1, 1.5, True, [0.5], {}],
    "count": ["3", 3.5, NAN, INF, 0, -2, True, [3], 2**70],
    "steps": ["3", 3.5, NAN, INF, -2, True, [3], 2**70],  # 0 steps is the start alone
    "positive": ["1", NAN, INF, -1.0, 0.0, True, [1.0]],
    "nonnegative": ["1", NAN, INF, -1.0, True, [1.0]],
    "real": ["1", NAN, INF, -INF, True, [1.0], {}],
    "flag": ["no", "yes", 1, 0, 1.0, [True]],
    "seed": ["x", -1, 1.5, True, [1], NAN],
    "choice": ["no-such-choice", 5, 1.5, ["x"], True],
    "label": ["", 5, 1.5, ["x"]],
}


@dataclass(frozen=True)
class Case:
    """One parameter of one public callable, with good values for everything else."""

    label: str
    call: Callable[..., Any]
    good: dict[str, Any]
    param: str
    kind: str
    optional: bool = False  # None is a legal value
    names: tuple[str, ...] = field(default=())  # words any of which may name the parameter

    def wrong_values(self) -> list[Any]:
        return WRONG[self.kind] + ([] if self.optional else [None])

    def words(self) -> tuple[str, ...]:
        return self.names or (self.param,)


def cases(label: str, call: Callable[..., Any], good: dict[str, Any],
          params: dict[str, str], optional: tuple[str, ...] = (),
          names: dict[str, tuple[str, ...]] | None = None) -> list[Case]:
    names = names or {}
    return [Case(label, call, good, p, kind, p in optional, names.get(p, ()))
            for p, kind in params.items()]


FINITE_GOOD = {"payoffs": PD, "N": 10, "x0": [5, 5], "generations": 20, "seed": 1,
               "selection": 0.1}
FINITE_PARAMS = {"N": "count", "generations": "steps", "selection": "nonnegative",
                 "mutation": "probability", "seed": "seed", "record_every": "count",
                 "stop_on_fixation": "flag"}
ANALYTIC_GOOD = {"payoffs": PD, "N": 10, "selection": 0.1}
ANALYTIC_PARAMS = {"N": "count", "rule": "choice", "selection": "nonnegative",
                   "fitness_map": "choice"}
REGIME_PARAMS = {
    "fine": "nonnegative", "detection": "probability", "reward": "nonnegative",
    "tax": "probability", "cost": "nonnegative", "cost_by_contributors": "flag",
    "conformity": "nonnegative", "mutation": "probability", "feedback": "nonnegative",
    "decay": "nonnegative", "initial_strength": "probability", "captured": "flag",
    "switch": "probability", "name": "label", "norm": "choice", "fine_to": "choice",
    "mutation_model": "choice",
}

CASES: list[Case] = [
    *cases("replicator", ep.replicator, {"payoffs": PD, "x0": [0.5, 0.5], "t_max": 5.0,
                                          "n_points": 11},
           {"t_max": "positive", "n_points": "count", "rtol": "positive", "atol": "positive",
            "dt": "positive", "stop_at_rest": "flag", "rest_tol": "nonnegative",
            "max_steps": "count", "integrator": "choice", "mutation": "probability",
            "mutation_model": "choice"}, optional=("mutation_model",)),
    *cases("discrete_replicator", ep.discrete_replicator, {"payoffs": PD, "x0": [0.5, 0.5]},
           {"generations": "steps", "negative": "choice"}),
    *cases("moran", ep.moran, FINITE_GOOD, {**FINITE_PARAMS, "fitness_map": "choice"},
           optional=("seed", "record_every", "stop_on_fixation")),
    *cases("pairwise_comparison", ep.pairwise_comparison, FINITE_GOOD, FINITE_PARAMS,
           optional=("seed", "record_every", "stop_on_fixation")),
    *cases("fixation_probability", ep.fixation_probability, ANALYTIC_GOOD,
           {**ANALYTIC_PARAMS, "log": "flag"}),
    *cases("fixation_matrix", ep.fixation_matrix, ANALYTIC_GOOD,
           {**ANALYTIC_PARAMS, "log": "flag"}),
    *cases("gradient_of_selection", ep.gradient_of_selection, ANALYTIC_GOOD,
           {**ANALYTIC_PARAMS, "mutation": "probability"}),
    *cases("stationary_distribution", ep.stationary_distribution,
           {**ANALYTIC_GOOD, "mutation": 0.01},
           {**ANALYTIC_PARAMS, "mutation": "probability", "states": "flag"},
           optional=("mutation",)),
    *cases("agent_moran", ep.agent_moran, {"strategies": PAIR, "turns": 5, "generations": 10,
                                           "seed": 1},
           {"turns": "count", "noise": "probability", "mutation": "probability",
            "seed": "seed", "generations": "steps", "prob_end": "probability",
            "record_every": "count", "stop_on_fixation": "flag"},
           optional=("seed", "record_every")),
    *cases("tournament", ep.tournament, {"strategies": PAIR, "turns": 5, "seed": 1},
           {"turns": "count", "repetitions": "count", "noise": "probability",
            "prob_end": "probability", "seed": "seed", "method": "choice",
            "threads": "count"},
           optional=("seed", "prob_end", "threads")),
    *cases("evolve", ep.evolve, {"strategies": PAIR, "turns": 5, "t_max": 5.0},
           {"turns": "count", "repetitions": "count", "noise": "probability",
            "method": "choice", "seed": "seed", "t_max": "positive",
            "points_per_unit": "positive"},
           optional=("seed",)),
    *cases("Regime", ep.Regime, {}, REGIME_PARAMS),
    *cases("Shock", ep.Shock, {"time": 5.0, "kind": "temptation", "value": 4.0},
           {"time": "nonnegative", "kind": "choice", "frequency": "probability"}),
    *cases("PrisonersDilemma", ep.PrisonersDilemma, {},
           {"R": "real", "S": "real", "T": "real", "P": "real"}),
    *cases("DonationGame", ep.DonationGame, {}, {"b": "positive", "c": "positive"}),
    *cases("public_goods", ep.public_goods, {},
           {"group_size": "count", "r": "nonnegative", "c": "nonnegative", "sigma": "real",
            "share": "choice"}, optional=("sigma",)),
    *cases("punishment_game", ep.punishment_game, {},
           {"group_size": "count", "peer_fine": "nonnegative", "peer_cost": "nonnegative",
            "pool_fee": "nonnegative", "pool_fine": "nonnegative", "second_order": "flag"}),
    *cases("memory_one", ep.memory_one, {"p": [1, 0, 1, 0]},
           {"initial": "probability", "name": "label"}, optional=("name",)),
    *cases("memory_zero", ep.memory_zero, {"p": 0.5}, {"p": "probability", "name": "label"},
           optional=("name",)),
    *cases("generous_tit_for_tat", ep.generous_tit_for_tat, {}, {"q": "probability"},
           optional=("q",)),
    *cases("zd_extortion", ep.zd_extortion, {"chi": 3.0}, {"chi": "positive"}),
    *cases("zd_generous", ep.zd_generous, {"chi": 3.0}, {"chi": "positive"}),
    *cases("cycler", ep.cycler, {"pattern": "CCD"}, {"pattern": "label", "name": "label"},
           optional=("name",)),
    *cases("rest_points", ep.rest_points, {"payoffs": PD}, {"starts": "count"}),
    *cases("ensemble", ep.ensemble, {"payoffs": PD, "n": 3, "seed": 1, "t_max": 5.0,
                                     "budget": 10.0, "lyapunov": False},
           {"starts": "choice", "n": "count", "seed": "seed", "t_max": "positive",
            "budget": "positive", "lyapunov": "flag", "same": "positive", "workers": "count"},
           optional=("seed",)),
    *cases("same_attractors", same_attractors, {"states": [[1.0, 0.0]], "kinds": ["rest"],
                                                "labels": ["a"]}, {"same": "positive"}),
    *cases("attribute", ep.attribute, {"regime_a": ep.Regime(), "regime_b": ep.Regime(fine=1.0),
                                       "outcome": lambda r: r.fine, "method": "sampled",
                                       "samples": 4, "seed": 1},
           {"method": "choice", "samples": "count", "seed": "seed"}, optional=("seed",)),
    *cases("settle", ep.settle, {"payoffs": PD, "x0": [0.5, 0.5], "t_max": 5.0, "budget": 10.0,
                                 "lyapunov": False},
           {"t_max": "positive", "budget": "positive", "points_per_unit": "positive",
            "lyapunov": "flag", "strength": "probability"}, optional=("strength",)),
    *cases("structured", ep.structured, {"payoffs": PD, "graph": ep.graphs.ring(10),
                                         "generations": 20, "seed": 1, "selection": 0.1},
           {"update": "choice", "generations": "steps", "selection": "nonnegative",
            "mutation": "probability", "seed": "seed", "payoff": "choice",
            "fitness_map": "choice", "record_every": "count", "snapshots": "flag",
            "self_interaction": "flag"}, optional=("seed", "record_every")),
    *cases("graph_fixation", ep.graph_fixation, {"payoffs": PD, "graph": ep.graphs.ring(6),
                                                 "runs": 4, "seed": 1, "selection": 0.1},
           {"update": "choice", "selection": "nonnegative", "runs": "count", "seed": "seed",
            "payoff": "choice", "fitness_map": "choice", "max_generations": "count"},
           optional=("seed", "max_generations")),
    *cases("wright_fisher", ep.wright_fisher, {"payoffs": PD, "N": 10, "x0": [5, 5],
                                               "generations": 5, "seed": 1},
           {"N": "count", "generations": "steps", "selection": "nonnegative",
            "mutation": "probability", "seed": "seed", "record_every": "count",
            "stop_on_fixation": "flag"}, optional=("seed", "record_every", "stop_on_fixation")),
    *cases("lattice", ep.graphs.lattice, {"side": 4},
           {"side": "count", "neighbourhood": "choice", "periodic": "flag"}),
    *cases("ring", ep.graphs.ring, {"n": 6}, {"n": "count", "k": "count"}),
    *cases("erdos_renyi", ep.graphs.erdos_renyi, {"n": 6, "p": 0.9, "seed": 1},
           {"n": "count", "p": "probability", "seed": "seed"}, optional=("seed",)),
    *cases("watts_strogatz", ep.graphs.watts_strogatz, {"n": 8, "k": 2, "p": 0.1, "seed": 1},
           {"n": "count", "k": "count", "p": "probability", "seed": "seed"},
           optional=("seed",)),
    *cases("collection", ep.library.collection, {"collection_name": "basic"},
           {"collection_name": "choice"}, names={"collection_name": ("collection",)}),
]


@given(data=st.data())
@settings(max_examples=400, deadline=None, derandomize=True)
def test_every_wrong_value_is_refused_by_name(data):
    case = data.draw(st.sampled_from(CASES), label="case")
    value = data.draw(st.sampled_from(case.wrong_values()), label="value")
    with pytest.raises((ValueError, TypeError, LookupError)) as caught:
        case.call(**{**case.good, case.param: value})
    message = str(caught.value)
    assert any(word in message for word in case.words()), (
        f"{case.label}({case.param}={value!r}) raised {type(caught.value).__name__}: "
        f"{message!r}, which does not name {case.param!r}"
    )


def test_the_good_values_of_the_table_are_good():
    # Otherwise the test above could pass on the other arguments' fault.
    for call, good in {(c.call, tuple(sorted(c.good.items(), key=str))) for c in CASES
                       if not any(isinstance(v, list) for v in c.good.values())}:
        call(**dict(good))
    for case in CASES:
        case.call(**case.good)


# Sizes beyond memory or reason: refused from an estimate, before allocating or running.
HUGE = [
    pytest.param(lambda: ep.replicator(PD, [0.5, 0.5], n_points=10**9), "n_points",
                 id="replicator-n_points"),
    pytest.param(lambda: ep.discrete_replicator(PD, [0.5, 0.5], generations=10**9),
                 "generations", id="discrete-generations"),
    pytest.param(lambda: ep.evolve(PAIR, turns=5, t_max=1e15), "t_max", id="evolve-t_max"),
    pytest.param(lambda: ep.evolve(PAIR, turns=5, points_per_unit=1e12), "points_per_unit",
                 id="evolve-points_per_unit"),
    pytest.param(lambda: ep.moran(PD, 10, [5, 5], 10**8, record_every=1, seed=1, selection=0.1),
                 "record_every", id="moran-record_every"),
    pytest.param(lambda: ep.gradient_of_selection(PD, N=10**9), "N", id="gradient-N"),
    pytest.param(lambda: ep.public_goods(10**9), "group_size", id="public_goods"),
    pytest.param(lambda: ep.stationary_distribution(
        [[float(i == j) for j in range(8)] for i in range(8)], N=38, mutation=0.1),
        "N", id="full-chain"),
]


@pytest.mark.parametrize(("call", "word"), HUGE)
def test_sizes_are_refused_before_anything_is_allocated(call, word):
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as caught:
            call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert word in str(caught.value)
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MiB allocated before refusing"


# The command line: every mistake is exit 2, one line naming the option, nothing written.
def _cli_cases(out: str) -> list[tuple[list[str], str]]:
    t = ["tournament", "--strategies", "Cooperator,Defector", "--turns", "5"]
    return [
        (t + ["--noise", "1.5"], "noise"),
        (t + ["--noise", "nan"], "noise"),
        (t + ["--prob-end", "-0.1"], "prob"),
        (["tournament", "--strategies", "Nobody", "--turns", "5"], "Nobody"),
        (["tournament", "--strategies", "Cooperator", "--turns", "x"], "turns"),
        (t + ["--repetitions", "0"], "repetitions"),
        (t + ["--game", "pd:1,2"], "game"),
        (t + ["--game", "chess"], "game"),
        (t + ["--seed", "-1"], "seed"),
        (t + ["--method", "guess"], "method"),
        (t + ["--out", out + "/under/a/file.csv"], "out"),
        (["sweep", out + "/missing.toml", "--out", out + "/sweep"], "missing.toml"),
        (["run", out + "/missing.toml", "--out", out + "/run"], "missing.toml"),
        (["ensemble", out + "/missing.toml", "--out", out + "/e"], "missing.toml"),
        (["ensemble", out + "/missing.toml", "--out", out + "/e", "--workers", "0"], "workers"),
        (["continuation", out + "/missing.toml", "--out", out + "/c"], "missing.toml"),
        (["plot", out + "/nothing-here"], "nothing-here"),
    ]


@given(data=st.data())
@settings(max_examples=30, deadline=None, derandomize=True)
def test_every_cli_mistake_is_one_line_and_exit_2(data, tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    (root / "under").write_text("a file where a directory is expected")
    argv, word = data.draw(st.sampled_from(_cli_cases(str(root))))
    before = sorted(str(p) for p in root.rglob("*"))
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    said = stderr.getvalue()
    assert code == 2, (argv, said)
    assert "Traceback" not in said, said
    assert word in said.strip().splitlines()[-1], (argv, said)
    assert sorted(str(p) for p in root.rglob("*")) == before, (argv, "the CLI wrote something")
