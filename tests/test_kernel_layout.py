"""The packed arrays of :mod:`evopolity.kernels.layout`: every builder read back by its reader,
and the codes of :mod:`evopolity.kernels.codes` defined once.

A round trip builds an array from known inputs and reads them back with the jitted readers
the kernels use; the inputs are the reference.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evopolity as ep
from evopolity.institutions.regime import regime_parameters
from evopolity.kernels import codes, layout
from evopolity.play.group_games import public_goods, punishment_game

FIELDS = ("fine", "detection", "reward", "tax", "cost", "cost_by_contributors", "conformity",
          "feedback", "decay", "captured", "switch")

unit = st.floats(0.0, 1.0, allow_nan=False)
positive = st.floats(0.0, 100.0, allow_nan=False)


@settings(max_examples=50, deadline=None)
@given(k=st.integers(1, 6), seed=st.integers(0, 2**32 - 1), fine=positive, detection=unit,
       reward=positive, tax=unit, cost=positive, by=st.booleans(), conformity=positive,
       feedback=positive, decay=positive, captured=st.booleans(), switch=unit)
def test_regime_round_trip(k, seed, fine, detection, reward, tax, cost, by, conformity,
                           feedback, decay, captured, switch):
    C = np.random.default_rng(seed).uniform(0.0, 1.0, (k, k))
    values = (fine, detection, reward, tax, cost, by, conformity, feedback, decay, captured,
              switch)
    params = layout.regime_array(C, **dict(zip(FIELDS, values, strict=True)))
    assert params.shape == (layout.N_REGIME + k * k,)
    assert layout.regime_terms(params) == values
    np.testing.assert_array_equal(layout.regime_cooperation(params, k), C)
    assert layout.regime_coevolves(params) == (feedback > 0.0 or decay > 0.0)


def test_a_regime_object_packs_through_the_builder():
    regime = ep.Regime(fine=2.0, detection=0.5, reward=0.25, tax=0.1, cost=0.3,
                       cost_by_contributors=True, conformity=0.2, feedback=1.5, decay=0.05,
                       captured=True, switch=0.4)
    C = np.array([[1.0, 0.0], [0.5, 0.25]])
    params = regime_parameters(regime, C)
    assert layout.regime_terms(params) == (2.0, 0.5, 0.25, 0.1, 0.3, True, 0.2, 1.5, 0.05,
                                           True, 0.4)
    np.testing.assert_array_equal(layout.regime_cooperation(params, 2), C)


@settings(max_examples=40, deadline=None)
@given(k=st.integers(1, 4), m=st.integers(0, 5), seed=st.integers(0, 2**32 - 1))
def test_group_game_round_trip(k, m, seed):
    # any K x k tables: the layout does not care what they mean
    rng = np.random.default_rng(seed)
    K = int(rng.integers(1, 9))
    comps = rng.integers(0, m + 1, (K, k))
    coef = rng.uniform(1.0, 10.0, K)
    pf = rng.normal(size=(K, k))
    params = layout.group_game_array(m, coef, comps, pf)
    assert params.shape == (layout.GROUP_HEADER + K + 2 * K * k,)
    m_read, coef_read, comps_read, pf_read = layout.group_game_tables(params)
    assert m_read == m
    np.testing.assert_array_equal(coef_read, coef)
    np.testing.assert_array_equal(comps_read, comps)
    np.testing.assert_array_equal(pf_read, pf)


@pytest.mark.parametrize("game", [public_goods(5, 3.0, 1.0, sigma=1.0), punishment_game()],
                         ids=["public_goods", "punishment"])
def test_group_regime_round_trip(game):
    # a regime on a group game: the regime's fields and C, then the group game's own array
    k = game.k
    C = np.random.default_rng(0).uniform(0.0, 1.0, (k, k))
    regime = layout.regime_array(C, fine=1.0, detection=0.5, feedback=0.2)
    group = game.kernel_params()
    params = layout.group_regime_array(regime, group)
    np.testing.assert_array_equal(layout.regime_group_game(params, k), group)
    np.testing.assert_array_equal(layout.regime_cooperation(params, k), C)
    assert layout.regime_terms(params)[:2] == (1.0, 0.5)
    m, coef, comps, pf = layout.group_game_tables(layout.regime_group_game(params, k))
    others, table = game.kernel_tables()
    assert m == game.group_size - 1
    np.testing.assert_array_equal(comps, others)
    np.testing.assert_array_equal(pf, table)
    # the multinomial coefficients of the co-player compositions: (n-1)! / prod_j o_j!
    from math import factorial, prod

    expected = [factorial(m) / prod(factorial(int(v)) for v in row) for row in others]
    np.testing.assert_allclose(coef, expected, rtol=1e-13)  # the game sums log-gammas


def test_integrated_state():
    x = np.array([0.2, 0.8])
    np.testing.assert_array_equal(layout.integrated_state(x), x)
    np.testing.assert_array_equal(layout.integrated_state(x, 0.3), [0.2, 0.8, 0.3])
    assert layout.integrated_state(x) is not x


def test_regime_array_refuses_a_non_square_matrix():
    with pytest.raises(ValueError, match="square"):
        layout.regime_array(np.zeros((2, 3)))


def test_codes_are_defined_once():
    # no module of the package but kernels/codes.py assigns a code's name (the others import
    # it), and no module but kernels/layout.py a field of a packed array
    import ast
    from pathlib import Path

    root = Path(ep.__file__).parent
    owners = {name: "kernels/codes.py" for name in codes.__all__}
    owners.update({name: "kernels/layout.py" for name in layout.__all__ if name.isupper()})
    for path in root.rglob("*.py"):
        where = path.relative_to(root).as_posix()
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name) and leaf.id in owners:
                        assert where == owners[leaf.id], f"{leaf.id} assigned in {where}"


def test_codes_of_one_kind_are_distinct():
    for kind in (("MORAN", "FERMI"), ("LINEAR", "INSTITUTIONS", "GROUP", "GROUP_INSTITUTIONS"),
                 ("EXPLICIT", "AUTO", "IMPLICIT"),
                 ("DONE", "AT_REST", "MAX_STEPS", "STEP_TOO_SMALL"),
                 ("PAYOFF_I", "PAYOFF_J", "COOP_I", "COOP_J", "STD_I", "STD_J", "TURNS")):
        values = [getattr(codes, name) for name in kind]
        assert len(set(values)) == len(values)
    assert max(codes.PAYOFF_I, codes.PAYOFF_J, codes.COOP_I, codes.COOP_J) < codes.N_EXACT_OUT
    assert codes.TURNS < codes.N_MATCH_OUT
    fields = [getattr(layout, name) for name in layout.__all__
              if name.isupper() and name not in ("N_REGIME", "GROUP_HEADER")]
    assert sorted(fields) == list(range(layout.N_REGIME))


@pytest.mark.parametrize("n", [0, 1, 2])
def test_played_sanction_matrices_follow_the_cooperation_matrix(n):
    k = 3
    rng = np.random.default_rng(n)
    C = rng.uniform(0.0, 1.0, (k, k))
    mats = [rng.normal(size=(k, k)) for _ in range(n)]
    params = layout.regime_array(C, fine=1.0, detection=0.5, switch=0.3, sanctions=mats)
    assert params.shape == (layout.N_REGIME + (1 + n) * k * k,)
    assert layout.regime_sanction_count(params) == n
    np.testing.assert_array_equal(layout.regime_cooperation(params, k), C)
    for w, M in enumerate(mats):
        np.testing.assert_array_equal(layout.regime_sanctions(params, k, w), M)
    # a group game after it is found past the sanction matrices
    group = np.arange(5.0)
    both = layout.group_regime_array(params, group)
    np.testing.assert_array_equal(layout.regime_group_game(both, k), group)
    with pytest.raises(ValueError, match="sanctions"):
        layout.regime_array(C, sanctions=[np.zeros((k, k))] * 3)
