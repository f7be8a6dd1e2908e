"""The column-stored LU of :mod:`evopolity.kernels.linalg` against numpy.linalg.solve (LAPACK
``gesv``, an independent implementation), and against the definition of a singular matrix.

``lu_factor_transposed`` takes ``W`` transposed (``W.T.copy()``) and factors it in place;
``lu_solve_transposed`` overwrites its right-hand side with the solution of ``W x = b``.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evopolity.kernels.linalg import lu_factor_transposed, lu_solve_transposed


def lu_solve(W, b):
    """Factor a copy of ``W`` and solve ``W x = b`` with the kernels; (ok, x)."""
    Wt = np.array(W, dtype=np.float64).T.copy()  # a copy even when W.T is contiguous (1 x 1)
    piv = np.empty(Wt.shape[0], np.int64)
    ok = lu_factor_transposed(Wt, piv)
    x = np.array(b, dtype=np.float64)
    if ok:
        lu_solve_transposed(Wt, piv, x)
    return ok, x


@pytest.mark.parametrize("n", [1, 2, 3, 7, 50])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lu_solve_matches_numpy_on_random_matrices(n, seed):
    # reference: numpy.linalg.solve (LAPACK dgesv, LU with partial pivoting)
    rng = np.random.default_rng(1000 * n + seed)
    W = rng.normal(size=(n, n))
    b = rng.normal(size=n)
    ok, x = lu_solve(W, b)
    assert ok
    expected = np.linalg.solve(W, b)
    cond = np.linalg.cond(W)
    np.testing.assert_allclose(x, expected, rtol=0, atol=1e-13 * cond * np.abs(expected).max())
    # backward stability of partial pivoting (Golub & Van Loan 3.4.6): ||W x - b|| ~ eps ||W|| ||x||
    residual = np.linalg.norm(W @ x - b, np.inf)
    assert residual <= 1e-13 * n * np.linalg.norm(W, np.inf) * np.linalg.norm(x, np.inf)


def test_lu_solve_pivots_past_a_zero_diagonal():
    # [[0, 1], [1, 0]] has no LU without a row swap; its inverse is itself, so x = (b2, b1)
    ok, x = lu_solve([[0.0, 1.0], [1.0, 0.0]], [3.0, -2.0])
    assert ok
    np.testing.assert_array_equal(x, [-2.0, 3.0])
    # a zero leading entry in a larger matrix, and a tiny one that must not be chosen as pivot
    W = np.array([[0.0, 2.0, 1.0], [1.0, 1.0, 0.0], [3.0, 0.0, 1.0]])
    b = np.array([1.0, 2.0, 3.0])
    ok, x = lu_solve(W, b)
    assert ok
    np.testing.assert_allclose(x, np.linalg.solve(W, b), rtol=1e-14, atol=1e-14)
    W = np.array([[1e-20, 1.0], [1.0, 1.0]])  # without pivoting x1 would come out as 0
    ok, x = lu_solve(W, [1.0, 2.0])
    assert ok
    np.testing.assert_allclose(x, np.linalg.solve(W, [1.0, 2.0]), rtol=1e-15)
    assert x[0] == pytest.approx(1.0, rel=1e-15)


def test_lu_solve_permutation_matrix_is_exact():
    # a permutation matrix P: P x = b is solved exactly by x = P^T b (no rounding at all)
    rng = np.random.default_rng(5)
    n = 7
    perm = rng.permutation(n)
    P = np.eye(n)[perm]
    b = rng.normal(size=n)
    ok, x = lu_solve(P, b)
    assert ok
    np.testing.assert_array_equal(x, P.T @ b)


@pytest.mark.parametrize("n, column", [(1, 0), (2, 1), (3, 0), (7, 4), (50, 49)])
def test_lu_factor_reports_a_singular_matrix(n, column):
    # a zero column makes W singular: elimination meets a pivot column that is exactly zero
    rng = np.random.default_rng(n)
    W = rng.normal(size=(n, n))
    W[:, column] = 0.0
    assert np.linalg.matrix_rank(W) < n
    ok, _ = lu_solve(W, np.ones(n))
    assert ok is False


def test_lu_factor_reports_exact_rank_deficiency_after_elimination():
    # rows 2 = 2 * row 1 in exact binary arithmetic: after the first elimination step the
    # second pivot column is exactly zero
    W = np.array([[1.0, 2.0], [2.0, 4.0]])
    ok, _ = lu_solve(W, [1.0, 1.0])
    assert ok is False


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=12).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, (n, n), elements=st.floats(-1.0, 1.0)),
            arrays(np.float64, n, elements=st.floats(-1e3, 1e3)),
        )
    )
)
def test_lu_solve_agrees_with_numpy_on_diagonally_dominant_matrices(Wb):
    # M + (n + 1) I with |M_ij| <= 1 is strictly row diagonally dominant, so nonsingular
    # (Levy-Desplanques) with ||W|| <= 2n + 1 and ||W^-1|| <= 1 in the inf-norm;
    # numpy.linalg.solve is the reference
    M, b = Wb
    n = M.shape[0]
    W = M + (n + 1) * np.eye(n)
    ok, x = lu_solve(W, b)
    assert ok
    expected = np.linalg.solve(W, b)
    scale = max(np.abs(expected).max(), 1e-300)
    assert np.abs(x - expected).max() <= 1e-10 * scale
