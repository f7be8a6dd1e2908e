"""A [structure] spec: parsed whole (bad keys and sweep values named), run on the graph with the
very frequencies of ``ep.structured`` called directly, and swept."""

import numpy as np
import pandas as pd
import pytest

import evopolity as ep
from evopolity.experiments import run, sweep
from evopolity.experiments.spec import SpecError, parse_spec
from evopolity.experiments.tasks import graph_cooperation

RAW = {
    "experiment": {"seeds": [3]},
    "strategies": {"names": ["Tit For Tat", "Defector"]},
    "play": {"turns": 20},
    "structure": {"graph": "lattice", "side": 8, "update": "db", "generations": 2000,
                  "selection": 0.2},
}


def test_a_structure_run_is_ep_structured_with_the_same_seed(tmp_path):
    summary = run(parse_spec(RAW), tmp_path, figures=False, progress=False)
    traj = pd.read_parquet(tmp_path / "trajectories.parquet")
    played = ep.tournament(["Tit For Tat", "Defector"], turns=20, noise=0.01, method="exact")
    graph = ep.graphs.lattice(8)
    direct = ep.structured(played.payoffs, graph, "db", generations=2000, selection=0.2,
                           seed=3)
    end = traj[traj.time == traj.time.max()].set_index("strategy").frequency
    for name, value in direct.final().items():
        assert end[name] == value
        assert summary.loc[0, f"x[{name}]"] == value
    states = direct.info["states"]
    assert summary.loc[0, "assortment"] == ep.graphs.assortment(graph, states)
    C = played.cooperation.to_numpy()
    assert summary.loc[0, "cooperation"] == pytest.approx(graph_cooperation(graph, states, C))
    assert "| none | 3 |" in (tmp_path / "report.md").read_text()


def test_graph_cooperation_by_hand():
    # a ring of 4: cooperator, defector, cooperator, defector; C = always-cooperate vs not
    g = ep.graphs.ring(4, 2)
    C = np.array([[1.0, 1.0], [0.0, 0.0]])
    assert graph_cooperation(g, [0, 1, 0, 1], C) == 0.5
    # a tit-for-tat-like matrix: cooperates only with cooperators
    C = np.array([[1.0, 0.0], [0.0, 0.0]])
    assert graph_cooperation(g, [0, 0, 0, 1], C) == pytest.approx((1 + 0.5 + 0.5 + 0) / 4)


@pytest.mark.parametrize("change, message", [
    ({"structure": {"graph": "ring"}}, "structure.n: required"),
    ({"structure": {"graph": "lattice", "side": 8, "degree": 3}}, "structure.degree: unknown"),
    ({"structure": {"side": 8, "update": "random"}}, "structure.update: must be one of"),
    ({"structure": {"side": 8}, "regimes": [{"preset": "balanced"}]}, "regimes[0]"),
    ({"sweep": {"structure.selection": [0.1, -1]}}, 'sweep."structure.selection"[1]'),
    ({"sweep": {"structure.p": [0.1]}}, "a lattice graph has no parameter 'p'"),
    ({"structure": {"side": 8, "institution_scope": "national"}},
     "structure.institution_scope: must be one of global, local"),
])
def test_a_bad_structure_is_refused_with_its_key_path(change, message):
    raw = {**RAW, **change}
    with pytest.raises(SpecError, match="^f.toml: ") as info:
        parse_spec(raw, "f.toml")
    assert message in str(info.value)


def test_the_institution_scope_reaches_the_run(tmp_path):
    # a tax reads the mean payoff: over all nodes or each neighbourhood, two different runs,
    # each the one ep.structured gives with that scope
    taxed = {"preset": "none", "name": "taxed", "tax": 0.5, "fine": 1.0, "detection": 0.5}
    played = ep.tournament(["Tit For Tat", "Defector"], turns=20, noise=0.01, method="exact")
    ends = {}
    for scope in ("global", "local"):
        raw = {**RAW, "structure": {**RAW["structure"], "generations": 300,
                                    "institution_scope": scope}, "regimes": [taxed]}
        summary = run(parse_spec(raw), tmp_path / scope, figures=False, progress=False)
        direct = ep.structured(played.payoffs, ep.graphs.lattice(8), "db", generations=300,
                               selection=0.2, seed=3, cooperation=played.cooperation,
                               regime=ep.Regime(name="taxed", tax=0.5, fine=1.0,
                                                detection=0.5),
                               institution_scope=scope)  # fmt: skip
        ends[scope] = direct.info["states"]
        for name, value in direct.final().items():
            assert summary.loc[0, f"x[{name}]"] == value
    assert not np.array_equal(ends["global"], ends["local"])


def test_a_structure_sweep_has_one_row_per_point_regime_and_seed(tmp_path):
    raw = {**RAW, "experiment": {"seeds": 2},
           "structure": {**RAW["structure"], "generations": 500},
           "regimes": [{"preset": "none", "name": "bare"},
                       {"preset": "none", "name": "fined", "fine": 2.0, "detection": 0.5}],
           "sweep": {"structure.selection": [0.0, 0.2]}}
    rows = sweep(parse_spec(raw), tmp_path, progress=False)
    assert len(rows) == 2 * 2 * 2
    assert set(rows.regime) == {"bare", "fined"}
    assert np.allclose(rows["x[Tit For Tat]"] + rows["x[Defector]"], 1.0)
