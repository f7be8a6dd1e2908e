"""Continuation finds the hysteresis loop a hand-worked bistable model predicts.

The coordination game A(v) = [[v, 0], [0, 1]] under the replicator with independent mutation
mu (two strategies: dx/dt = x (1 - x) ((v + 1) x - 1) + mu (1 - 2 x)) has rest points at the
roots in [0, 1] of the cubic

    g(x) = -(v + 1) x^3 + (v + 2) x^2 - (1 + 2 mu) x + mu.

For mu = 0.05 it has three (two stable, one unstable between) for v between the folds
v- ~ 0.484 and v+ ~ 4.568, where two of them merge, and one outside. A sweep up from the
second strategy's corner keeps the low root until v+, a sweep down from the first's keeps
the high root until v-: the branches differ exactly on (v-, v+). The folds are computed
below from the cubic, independently of the dynamics.
"""

import functools

import numpy as np
import pytest

import evopolity as ep

MU = 0.05


def rest_points(v):
    r = np.roots([-(v + 1), v + 2, -(1 + 2 * MU), MU])
    r = r[np.abs(r.imag) < 1e-12].real
    return np.sort(r[(r >= 0) & (r <= 1)])


@functools.cache
def folds():
    vs = np.arange(0.0, 6.0, 1e-3)
    counts = np.array([rest_points(v).size for v in vs])
    change = np.flatnonzero(np.diff(counts) != 0)
    return vs[change[0] + 1], vs[change[1]]


def game(v):
    return [[v, 0.0], [0.0, 1.0]]


def test_folds_of_the_cubic():
    lo, hi = folds()
    assert lo == pytest.approx(0.484, abs=2e-3)
    assert hi == pytest.approx(4.568, abs=2e-3)


def test_continuation_finds_the_hysteresis_loop_between_the_folds():
    lo, hi = folds()
    values = np.round(np.arange(0.1, 6.01, 0.1), 10)
    frame = ep.continuation(None, game, values, x0=[0.01, 0.99], mutation=MU, t_max=200)
    assert (frame.kind == "rest").all()
    up = frame[frame.branch == "up"].set_index("value")["0"]
    down = frame[frame.branch == "down"].set_index("value")["0"]
    for v in values:
        roots = rest_points(v)
        # up: the low root while it exists; down: the high root while it exists
        assert up[v] == pytest.approx(roots[0] if v < hi else roots[-1], abs=1e-5)
        assert down[v] == pytest.approx(roots[-1] if v > lo else roots[0], abs=1e-5)
    inside = (values > lo) & (values < hi)
    assert frame[frame.branch == "up"].differs.tolist() == inside.tolist()
    ranges = ep.hysteresis(frame)
    assert len(ranges) == 1
    assert ranges.low.item() == pytest.approx(values[inside][0])
    assert ranges.high.item() == pytest.approx(values[inside][-1])


def test_continuation_over_a_regime_field_carries_the_institution():
    # a co-evolving fine in the prisoner's dilemma: the frame carries the strength
    regime = ep.Regime(fine=0.0, detection=1.0, feedback=1.0, decay=0.2, initial_strength=0.5,
                       mutation=0.01)
    frame = ep.continuation([[3, 0], [5, 1]], "fine", [0.0, 2.0, 4.0], x0=[0.5, 0.5],
                            regime=regime, cooperation=[[1, 1], [0, 0]], t_max=50,
                            budget=500)
    assert list(frame.columns) == ["branch", "step", "value", "0", "1",
                                   "institution_strength", "kind", "differs"]
    assert frame.branch.tolist() == ["up"] * 3 + ["down"] * 3
    assert frame.value.tolist() == [0.0, 2.0, 4.0, 4.0, 2.0, 0.0]
    assert frame.institution_strength.between(0, 1).all()


def test_continuation_refusals():
    with pytest.raises(ValueError, match="values"):
        ep.continuation([[1, 0], [0, 1]], "mutation", [0.1, 0.05])
    with pytest.raises(ValueError, match="regime field"):
        ep.continuation([[1, 0], [0, 1]], "fine", [0.0, 1.0])
    with pytest.raises(ValueError, match="field of Regime"):
        ep.continuation([[1, 0], [0, 1]], "finee", [0.0, 1.0], regime=ep.Regime())
    with pytest.raises(TypeError, match="parameter"):
        ep.continuation([[1, 0], [0, 1]], 3, [0.0, 1.0])
    with pytest.raises(ValueError, match="frame"):
        ep.hysteresis(None)
