"""The whole spec is checked before anything runs: every sweep point and every shock, with
the file and the key path in the message; one column type per sweep axis."""

import math

import pytest

import evopolity as ep
from evopolity.experiments.spec import SpecError, load_spec, parse_spec

# a co-evolving regime with a fixed fine (the balanced preset before it was funded and voted):
# its fine, feedback and decay can be swept freely, which is what these checks exercise
CO_EVOLVING = {"preset": "none", "name": "balanced", "fine": 2.0, "detection": 0.6, "tax": 0.2,
               "cost": 0.15, "conformity": 0.1, "mutation": 0.01, "feedback": 1.0,
               "decay": 0.01, "initial_strength": 0.5}
BASE = {
    "strategies": {"names": ["Tit For Tat", "Defector", "Cooperator"]},
    "play": {"turns": 20},
    "dynamics": {"t_max": 20, "points_per_unit": 0.5},
    "regimes": [dict(CO_EVOLVING)],
}


def spec_with(**tables):
    return {**BASE, **tables}


BAD = [
    pytest.param({"sweep": {"play.noise": [0.01, 1.5]}},
                 'sweep."play.noise"[1]: noise must be a probability in [0, 1], got 1.5',
                 id="noise"),
    pytest.param({"sweep": {"regime.fine": [0, 1, -1]}},
                 'sweep."regime.fine"[2]: regime \'balanced\': Regime.fine must be', id="fine"),
    pytest.param({"sweep": {"regime.fine": [0, math.nan]}},
                 'sweep."regime.fine"[1]: must be finite, got nan', id="nan"),
    pytest.param({"sweep": {"regime.detection": [0.5, math.inf]}},
                 'sweep."regime.detection"[1]: must be finite', id="inf"),
    pytest.param({"sweep": {"regime.detection": [0.5, 1.5]}},
                 'sweep."regime.detection"[1]: regime \'balanced\': Regime.detection must be a '
                 "probability", id="detection"),
    pytest.param({"sweep": {"game.T": [5, 2]}},
                 'sweep."game.T"[1]: not a prisoner\'s dilemma: temptation T=2 must exceed '
                 "reward R=3", id="T-below-R"),
    pytest.param({"sweep": {"game.T": [4, 6], "game.R": [3, 5]}},
                 'sweep."game.T"[0], sweep."game.R"[1]: not a prisoner\'s dilemma: temptation '
                 "T=4 must exceed reward R=5", id="T-with-R"),
    pytest.param({"sweep": {"play.turns": [True, 20]}},
                 'sweep."play.turns"[0]: must be a number, got a boolean (true)', id="bool-turns"),
    pytest.param({"sweep": {"regime.fine": [False, 1.0]}},
                 'sweep."regime.fine"[0]: must be a number, got a boolean (false)',
                 id="bool-fine"),
    pytest.param({"sweep": {"regime.captured": [True, 1]}},
                 'sweep."regime.captured"[1]: must be true or false, got 1', id="int-captured"),
    pytest.param({"sweep": {"play.turns": [10, 20.5]}},
                 'sweep."play.turns"[0]: turns must be an integer >= 1, got 10.0', id="turns"),
    pytest.param({"sweep": {"play.turns": [0, 20]}},
                 'sweep."play.turns"[0]: turns must be >= 1, got 0', id="turns-zero"),
    pytest.param({"shocks": [{"time": 5, "kind": "invasion", "value": "Nobody"}]},
                 "shocks[0].value: invading strategy 'Nobody' is not among the strategies",
                 id="invader"),
    pytest.param({"shocks": [{"time": 5, "kind": "temptation", "value": 2}]},
                 "shocks[0].value: temptation T=2: not a prisoner's dilemma", id="shock-T"),
    pytest.param({"shocks": [{"time": 5, "kind": "temptation", "value": 4}],
                  "sweep": {"game.R": [3, 4.5]}},
                 'shocks[0].value: temptation T=4 (at sweep."game.R"[1]): not a prisoner\'s '
                 "dilemma", id="shock-T-with-R"),
    pytest.param({"regimes": [{**CO_EVOLVING, "decay": 0.0}],
                  "shocks": [{"time": 5, "kind": "collapse"}],
                  "sweep": {"regime.feedback": [0.5, 0.0]}},
                 "shocks[0]: a collapse needs every regime to co-evolve (feedback > 0 or "
                 "decay > 0); regime 'balanced' does not at sweep.\"regime.feedback\" = 0, 0",
                 id="collapse"),
    pytest.param({"regimes": [{**CO_EVOLVING, "feedback": 0.5}],
                  "shocks": [{"time": 5, "kind": "regime", "value": "laissez_faire"},
                             {"time": 8, "kind": "collapse"}]},
                 "shocks[1]: a collapse needs the regime in force to co-evolve",
                 id="collapse-after-regime"),
]


@pytest.mark.parametrize(("tables", "message"), BAD)
def test_the_parser_refuses_every_bad_point_and_shock(tables, message):
    with pytest.raises(SpecError) as info:
        parse_spec(spec_with(**tables), "sweep.toml")
    assert str(info.value).startswith("sweep.toml: ")
    assert message in str(info.value)


@pytest.mark.parametrize(("tables", "message"), BAD[:2] + BAD[5:6] + BAD[7:8] + BAD[12:13])
def test_a_bad_sweep_writes_nothing(tmp_path, tables, message):
    spec = spec_with(**tables)
    text = _toml(spec)
    path = tmp_path / "sweep.toml"
    path.write_text(text)
    out = tmp_path / "out"
    with pytest.raises(SpecError) as info:
        ep.experiments.sweep(path, out, progress=False)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)
    assert not out.exists() or list(out.rglob("*")) == []


def test_load_spec_reads_nan_from_toml_and_refuses_it(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("[sweep]\n'regime.fine' = [0, nan]\n")
    with pytest.raises(SpecError, match=r'sweep\."regime\.fine"\[1\]: must be finite'):
        load_spec(path)


def test_each_axis_has_one_type_decided_at_parse_time():
    spec = parse_spec(spec_with(sweep={"regime.fine": [0, 0.5], "play.turns": [10, 20],
                                       "regime.captured": [False, True],
                                       "game.T": {"start": 4, "stop": 6, "num": 3}}))
    assert spec.sweep == {"regime.fine": [0.0, 0.5], "play.turns": [10, 20],
                          "regime.captured": [False, True], "game.T": [4.0, 5.0, 6.0]}
    assert [type(v) for v in spec.sweep["regime.fine"]] == [float, float]
    assert [type(v) for v in spec.sweep["play.turns"]] == [int, int]
    assert [type(v) for v in spec.sweep["regime.captured"]] == [bool, bool]
    assert spec.n_points == 2 * 2 * 2 * 3


def test_good_points_and_shocks_still_parse():
    spec = parse_spec(spec_with(
        regimes=[{**CO_EVOLVING, "feedback": 0.5}],
        strategies={"names": ["Tit For Tat", "Defector"], "invaders": ["Grudger"]},
        shocks=[{"time": 5, "kind": "invasion", "value": "Grudger"},
                {"time": 6, "kind": "temptation", "value": 6},
                {"time": 7, "kind": "collapse"}],
        sweep={"game.T": [5, 7], "game.R": [3, 4], "regime.decay": [0.0, 0.1],
               "play.noise": [0.0, 1.0]},
    ))
    assert spec.n_points == 16
    assert [s.kind for s in spec.shocks] == ["invasion", "temptation", "collapse"]


def test_a_donation_game_sweeps_b_and_c_together():
    ok = parse_spec(spec_with(game={"kind": "donation", "b": 3, "c": 1},
                              sweep={"game.b": [2, 3], "game.c": [0.5, 1.5]}))
    assert ok.n_points == 4
    with pytest.raises(SpecError, match=r'sweep\."game\.b"\[0\], sweep\."game\.c"\[1\]: '
                                        "donation game benefit b=2 must exceed cost c=2.5"):
        parse_spec(spec_with(game={"kind": "donation", "b": 3, "c": 1},
                             sweep={"game.b": [2, 3], "game.c": [0.5, 2.5]}))


def test_a_large_grid_is_checked_without_building_its_points():
    # 5 axes of 15 values: 759,375 points, under the limit, checked axis by axis
    sweep = {"regime.fine": {"start": 0, "stop": 4, "num": 15},
             "regime.tax": {"start": 0, "stop": 1, "num": 15},
             "regime.reward": {"start": 0, "stop": 1, "num": 15},
             "play.noise": {"start": 0, "stop": 0.1, "num": 15},
             "game.T": {"start": 4, "stop": 8, "num": 15}}
    spec = parse_spec(spec_with(sweep=sweep))
    assert "_points" not in spec.__dict__  # no list of points is built
    assert spec.n_points == 15**5 == spec.n_tasks  # one regime, one seed
    assert spec.sweep["game.T"][-1] == 8.0
    # a point is computed from its index: the last axis varies fastest
    last = spec.sweep_point(spec.n_points - 1)
    assert last == {"regime.fine": 4.0, "regime.tax": 1.0, "regime.reward": 1.0,
                    "play.noise": 0.1, "game.T": 8.0}
    second = spec.sweep_point(1)
    assert second == {"regime.fine": 0.0, "regime.tax": 0.0, "regime.reward": 0.0,
                      "play.noise": 0.0, "game.T": spec.sweep["game.T"][1]}
    with pytest.raises(IndexError, match="outside the sweep's 759375 points"):
        spec.sweep_point(spec.n_points)


def test_sweep_points_by_index_are_the_product_in_order():
    spec = parse_spec(spec_with(sweep={"regime.fine": [0, 1, 2], "play.turns": [10, 20],
                                       "regime.captured": [False, True]}))
    product = [{"regime.fine": f, "play.turns": t, "regime.captured": c}
               for f in (0.0, 1.0, 2.0) for t in (10, 20) for c in (False, True)]
    assert spec.sweep_points() == product
    assert [spec.sweep_point(i) for i in range(12)] == product


# -- sizes are counted before anything is built ------------------------------------------------

TOO_LARGE = [
    pytest.param("[experiment]\nseeds = 1000000000\n",
                 "experiment.seeds: 1,000,000,000 seeds are more than the 1,000,000 tasks a "
                 "spec may describe; one part file per task would take about 8,000 GB on disk",
                 id="seeds"),
    pytest.param("[sweep]\n'regime.fine' = {start = 0, stop = 1, num = 100000000}\n",
                 'sweep."regime.fine".num: 100,000,000 points are more than the 1,000,000 '
                 "tasks a spec may describe; one part file per task would take about 800 GB",
                 id="grid"),
    pytest.param("[experiment]\nseeds = 1000\n[sweep]\n"
                 "'regime.fine' = {start = 0, stop = 1, num = 100000}\n"
                 "'regime.tax' = {start = 0, stop = 1, num = 100000}\n",
                 # without [[regimes]], the five presets
                 "sweep, experiment.seeds: 50,000,000,000,000 tasks (10,000,000,000 points x 5 "
                 "regimes x 1,000 seeds) are more than the limit of 1,000,000; one part file "
                 "per task would take about 400,000,000 GB on disk; split the sweep",
                 id="grid2"),
    pytest.param("[experiment]\nseeds = 1001\n[sweep]\n'regime.fine' = {start = 0, "
                 "stop = 1, num = 500}\n[[regimes]]\npreset = 'balanced'\n[[regimes]]\n"
                 "preset = 'captured'\n",
                 "sweep, experiment.seeds: 1,001,000 tasks (500 points x 2 regimes x 1,001 "
                 "seeds) are more than the limit of 1,000,000; one part file per task would "
                 "take about 8 GB on disk", id="product"),
]


@pytest.mark.parametrize(("text", "message"), TOO_LARGE)
def test_a_spec_of_too_many_tasks_is_refused_before_they_are_built(tmp_path, text, message):
    import tracemalloc

    path = tmp_path / "big.toml"
    path.write_text(text)
    tracemalloc.start()
    try:
        with pytest.raises(SpecError) as info:
            load_spec(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(info.value).startswith(f"{path}: {message}")
    assert peak < 50e6  # nothing the size of the sweep was built (a seed list alone: 8 GB)


def test_a_spec_at_the_limit_parses():
    from evopolity.experiments.spec import MAX_TASKS

    spec = parse_spec(spec_with(experiment={"seeds": 1000},
                                sweep={"regime.fine": {"start": 0, "stop": 1, "num": 1000}}))
    assert spec.n_tasks == MAX_TASKS == 1_000_000


# -- one type per axis; key paths quoted as TOML writes them -----------------------------------


def test_a_real_parameter_swept_over_integers_is_a_float_column(tmp_path):
    spec = parse_spec(spec_with(sweep={"regime.fine": [0, 1, 2], "game.T": [5, 6],
                                       "play.noise": [0, 1], "play.turns": [10, 20]}))
    assert {k: [type(v) for v in vs] for k, vs in spec.sweep.items()} == {
        "regime.fine": [float] * 3, "game.T": [float] * 2, "play.noise": [float] * 2,
        "play.turns": [int] * 2}
    # the parts store a float column: 0 and 2 read back as 0.0 and 2.0
    frame = ep.experiments.sweep(parse_spec(spec_with(sweep={"regime.fine": [0, 2]})),
                                 tmp_path / "out", progress=False)
    assert str(frame["regime.fine"].dtype) == "float64"
    assert list(frame["regime.fine"]) == [0.0, 2.0]


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ({"sweep": {"regime.colour": [1, 2]}}, 'sweep."regime.colour": cannot sweep'),
        ({"sweep": {"regime.fine": "lots"}}, 'sweep."regime.fine": must be a non-empty list'),
        ({"sweep": {"regime.fine": {"start": 0, "stop": 1}}},
         'sweep."regime.fine".num: required, missing'),
        ({"shocks": [{"kind": "noise", "value": 0.1}]}, "shocks[0].time: required, missing"),
        ({"shocks": [{"time": 3, "value": 0.1}]}, "shocks[0].kind: required, missing"),
        ({"strategies": {"memory_one": [{"p": [1, 0, 1, 0]}]}},
         "strategies.memory_one[0].name: required, missing"),
        ({"sweep": {"regime.fine": {"start": 0, "stop": 1, "num": 2, "step": 1}}},
         'sweep."regime.fine".step: unknown key in [sweep."regime.fine"]; allowed: num, start, '
         "stop"),
        ({"play": {"turns": 20, "my key": 1}}, 'play."my key": unknown key in [play]'),
        ({"play": {"turns": 20, "method": "fast"}},
         "play.method: must be one of exact, simulate, got 'fast'"),
    ],
)
def test_every_key_path_is_written_as_toml_writes_it(tables, message):
    with pytest.raises(SpecError) as info:
        parse_spec(spec_with(**tables), "s.toml")
    assert str(info.value).startswith(f"s.toml: {message}")


def _toml(spec: dict) -> str:
    """A TOML text of the small specs above (tables, arrays of tables, inline lists)."""

    def value(v):
        if isinstance(v, bool):
            return str(v).lower()
        if isinstance(v, float) and math.isnan(v):
            return "nan"
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f'"{k}" = {value(x)}' for k, x in v.items()) + "}"
        return repr(v)

    lines = []
    for name, table in spec.items():
        if isinstance(table, list):
            for entry in table:
                lines.append(f"[[{name}]]")
                lines += [f'"{k}" = {value(x)}' for k, x in entry.items()]
        else:
            lines.append(f"[{name}]")
            lines += [f'"{k}" = {value(x)}' for k, x in table.items()]
    return "\n".join(lines) + "\n"


def test_game_axes_are_checked_pair_by_pair_on_real_points_only():
    # R = 5.5 alone would break T > R at the base T = 5, but T is swept and never 5
    ok = parse_spec(spec_with(sweep={"game.T": [6, 7], "game.R": [5.5], "game.P": [1, 2]}))
    assert ok.n_points == 4
    # R and P clash at one pair of values, whatever T is
    with pytest.raises(SpecError) as info:
        parse_spec(spec_with(sweep={"game.T": [6, 7], "game.R": [3, 4], "game.P": [1, 3.5]}),
                   "s.toml")
    assert str(info.value) == (
        's.toml: sweep."game.T"[0], sweep."game.R"[0], sweep."game.P"[1]: not a prisoner\'s '
        "dilemma: reward R=3 must exceed punishment P=3.5 (otherwise mutual cooperation is no "
        "better than mutual defection)")
