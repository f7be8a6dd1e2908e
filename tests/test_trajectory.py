"""The Trajectory container: shapes, pandas views, immutability, macro state and events."""

import numpy as np
import pandas as pd
import pytest

from evopolity.dynamics.trajectory import Event, Trajectory


def make(**kw):
    t = np.array([0.0, 1.0, 2.0])
    x = np.array([[0.5, 0.5], [0.6, 0.4], [0.7, 0.3]])
    return Trajectory(t, x, ["Hawk", "Dove"], {"dynamic": "test"}, **kw)


def test_frame_is_tidy_long_time_major():
    f = make().frame()
    assert list(f.columns) == ["time", "strategy", "frequency"]
    assert len(f) == 6
    assert f["time"].tolist() == [0, 0, 1, 1, 2, 2]
    assert f["strategy"].astype(str).tolist() == ["Hawk", "Dove"] * 3
    assert f["frequency"].tolist() == [0.5, 0.5, 0.6, 0.4, 0.7, 0.3]


def test_wide_is_indexed_by_time_with_strategy_columns():
    w = make().wide()
    assert w.index.name == "time" and w.columns.name == "strategy"
    assert w.loc[1.0, "Dove"] == 0.4


def test_final_is_last_row_as_series():
    s = make().final()
    pd.testing.assert_series_equal(
        s, pd.Series([0.7, 0.3], index=pd.Index(["Hawk", "Dove"], name="strategy"), name=2.0)
    )


def test_trajectory_is_immutable():
    tr = make()
    with pytest.raises(AttributeError):
        tr.times = np.zeros(3)
    with pytest.raises(ValueError):
        tr.frequencies[0, 0] = 1.0


def test_macro_state_and_events_are_kept():
    tr = make(
        macro=np.array([[1.0], [0.9], [0.8]]),
        macro_names=["m"],
        events=[Event(1.0, "shock", {"noise": 0.1})],
    )
    assert tr.macro.loc[2.0, "m"] == 0.8 and tr.macro.index.name == "time"
    assert tr.events[0].kind == "shock"
    assert make().macro is None


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"times": [0, 1]}, "frequencies must have shape"),
        ({"strategies": ["a"]}, "strategies must name"),
        ({"strategies": ["a", "a"]}, "unique"),
        ({"times": [0, 2, 1]}, "non-decreasing"),
    ],
)
def test_invalid_trajectories_are_refused(kw, match):
    args = {
        "times": [0, 1, 2],
        "frequencies": np.full((3, 2), 0.5),
        "strategies": ["a", "b"],
    }
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        Trajectory(args["times"], args["frequencies"], args["strategies"])


def test_macro_needs_names():
    with pytest.raises(ValueError, match="macro_names"):
        make(macro=np.zeros((3, 1)))
