"""An ensemble's starts run on several processes give the frame they give in one.

The starts are drawn from the seed before any run, and every run is deterministic, so the
number of worker processes cannot change a row (docs/performance.md: results are the same
for any number of workers or threads). Checked on the coordination game of
tests/test_ensemble.py, whose two basins both get starts.
"""

import pandas as pd

import evopolity as ep

GAME = [[2.0, 0.0], [0.0, 1.0]]


def test_ensemble_on_two_workers_equals_one():
    one = ep.ensemble(GAME, n=6, seed=5, lyapunov=False, t_max=50)
    two = ep.ensemble(GAME, n=6, seed=5, lyapunov=False, t_max=50, workers=2)
    pd.testing.assert_frame_equal(one, two)
    assert one.attractor.nunique() == 2  # both basins reached
