"""Markov-chain kernels on their own: GTH elimination (:mod:`evopolity.kernels.gth`) and
Tarjan's strongly connected components (:func:`evopolity.kernels.markov.strongly_connected`).

References: the stationary distribution of an irreducible stochastic matrix ``P`` is the left
eigenvector of eigenvalue 1, the eigenvector of ``P^T`` computed by numpy (LAPACK); a birth-death
chain is reversible, so ``pi_{i+1} / pi_i = P[i, i+1] / P[i+1, i]`` (detailed balance, e.g.
Kemeny & Snell, *Finite Markov Chains*); two states are in one strongly connected component
exactly when each reaches the other, which a brute-force transitive closure (Warshall) decides.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from evopolity.kernels.gth import gth_banded, gth_sparse, log_gth_stationary, sparse_add
from evopolity.kernels.markov import strongly_connected


def eigen_stationary(P):
    """numpy's left eigenvector of eigenvalue 1, normalised to sum 1."""
    w, v = np.linalg.eig(P.T)
    p = np.real(v[:, np.argmin(np.abs(w - 1.0))])
    return p / p.sum()


def band_storage(P, band):
    """``P`` stored by diagonals (``B[i, j - i + band] = P[i, j]``), as kernels.gth takes it."""
    n = P.shape[0]
    B = np.zeros((n, 2 * band + 1))
    for i in range(n):
        for j in range(max(0, i - band), min(n, i + band + 1)):
            if j != i:
                B[i, j - i + band] = P[i, j]
    return B


def random_stochastic(n, seed, band=None, zeros=0.0):
    """A random stochastic matrix with positive entries within ``band`` of the diagonal (some
    set to zero with probability ``zeros``, keeping the neighbours so it stays irreducible)."""
    rng = np.random.default_rng(seed)
    P = rng.uniform(0.05, 1.0, (n, n))
    P[rng.random((n, n)) < zeros] = 0.0
    if band is not None:
        i, j = np.indices((n, n))
        P[np.abs(i - j) > band] = 0.0
    P[np.diag_indices(n)] += 0.05  # no empty row (a 1-state chain included)
    for i in range(n - 1):  # a path 0 <-> 1 <-> ... keeps it irreducible
        P[i, i + 1] = max(P[i, i + 1], 0.1)
        P[i + 1, i] = max(P[i + 1, i], 0.1)
    return P / P.sum(axis=1, keepdims=True)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 12), seed=st.integers(0, 2**32 - 1), zeros=st.sampled_from([0.0, 0.5]))
def test_dense_gth_is_the_eigenvector(n, seed, zeros):
    P = random_stochastic(n, seed, zeros=zeros)
    out = np.empty(n)
    assert gth_banded(band_storage(P, max(n - 1, 0)), max(n - 1, 0), out)
    np.testing.assert_allclose(out, eigen_stationary(P), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(out @ P, out, rtol=1e-12, atol=1e-15)  # pi P = pi


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 30), band=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_banded_gth_is_the_eigenvector(n, band, seed):
    band = min(band, n - 1)
    P = random_stochastic(n, seed, band=band)
    out = np.empty(n)
    assert gth_banded(band_storage(P, band), band, out)
    np.testing.assert_allclose(out, eigen_stationary(P), rtol=1e-9, atol=1e-13)


def sparse_storage(P, S):
    """``P`` as kernels.gth.gth_sparse takes it, in arrays for ``S >= n`` states."""
    val = np.zeros((S, S))
    rows = np.zeros((S, S), np.int64)
    cols = np.zeros((S, S), np.int64)
    row_len = np.zeros(S, np.int64)
    col_len = np.zeros(S, np.int64)
    n = P.shape[0]
    for i in range(n):
        for j in range(n):
            if i != j:
                sparse_add(val, rows, row_len, cols, col_len, i, j, P[i, j])
    return val, rows, row_len, cols, col_len


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), seed=st.integers(0, 2**32 - 1),
       zeros=st.sampled_from([0.0, 0.8, 0.95]))
def test_sparse_gth_is_the_eigenvector_and_leaves_its_arrays_clean(n, seed, zeros):
    # sparse chains stay sparse (list updates) or fill in and finish as a dense block; the
    # arrays (larger than the chain, as a chunk's work arrays are) come back empty
    P = random_stochastic(n, seed, zeros=zeros)
    val, rows, row_len, cols, col_len = sparse_storage(P, n + 3)
    out = np.empty(n + 3)
    assert gth_sparse(n, val, rows, row_len, cols, col_len, out)
    np.testing.assert_allclose(out[:n], eigen_stationary(P), rtol=1e-10, atol=1e-13)
    assert not val.any() and not row_len.any() and not col_len.any()


def test_sparse_gth_reports_a_state_that_cannot_be_left():
    P = np.array([[0.5, 0.5, 0.0], [0.3, 0.4, 0.3], [0.0, 0.0, 1.0]])
    assert not gth_sparse(3, *sparse_storage(P, 3), np.empty(3))


def test_gth_keeps_tiny_probabilities_that_a_solve_loses():
    # a birth-death chain with up-moves of 1e-12 relative to the down-moves: detailed balance
    # gives pi_i = r^i / sum_j r^j with r = 1e-12 exactly (to rounding); the last state's
    # 1e-48 survives GTH's subtraction-free elimination to full relative accuracy
    n, r = 5, 1e-12
    P = np.zeros((n, n))
    for i in range(n - 1):
        P[i, i + 1] = 0.5 * r
        P[i + 1, i] = 0.5
    P += np.diag(1.0 - P.sum(axis=1))
    out = np.empty(n)
    assert gth_banded(band_storage(P, 1), 1, out)
    expected = r ** np.arange(n) / np.sum(r ** np.arange(n))
    np.testing.assert_allclose(out, expected, rtol=1e-13)
    assert gth_sparse(n, *sparse_storage(P, n), out)
    np.testing.assert_allclose(out, expected, rtol=1e-13)


def test_gth_reports_a_state_that_cannot_be_left():
    # the last state only returns to itself: GTH eliminates it first and finds nothing leaving
    P = np.array([[0.5, 0.5, 0.0], [0.3, 0.4, 0.3], [0.0, 0.0, 1.0]])
    assert not gth_banded(band_storage(P, 2), 2, np.empty(3))


def test_gth_rescales_long_chains_without_overflow():
    # a birth-death chain whose ratios pi_{i+1}/pi_i = 1e5 would overflow a plain back
    # substitution (1e5^200); normalised, all the mass sits on the last states:
    # pi_{n-1-i} = 1e-5^i (1 - 1e-5) / (1 - 1e-5^n)
    n, ratio = 200, 1e5
    P = np.zeros((n, n))
    for i in range(n - 1):
        P[i, i + 1] = 0.5
        P[i + 1, i] = 0.5 / ratio
    P += np.diag(1.0 - P.sum(axis=1))
    out = np.empty(n)
    assert gth_banded(band_storage(P, 1), 1, out)
    assert np.all(np.isfinite(out))
    q = 1.0 / ratio
    np.testing.assert_allclose(out[-4:][::-1], q ** np.arange(4) * (1 - q), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 8), seed=st.integers(0, 2**32 - 1))
def test_log_gth_is_the_eigenvector(n, seed):
    P = random_stochastic(n, seed)
    with np.errstate(divide="ignore"):
        L = np.log(P)
    logx = np.empty(n)
    assert log_gth_stationary(L.copy(), logx)
    assert logx[0] == 0.0
    pi = np.exp(logx - logx.max())
    np.testing.assert_allclose(pi / pi.sum(), eigen_stationary(P), rtol=1e-10, atol=1e-13)


def test_log_gth_solves_rates_below_the_smallest_double():
    # birth-death chain with log rates far below log(5e-324) = -744: detailed balance gives
    # log pi_{i+1} - log pi_i = log up_i - log down_i exactly
    up = np.array([-1000.0, -2500.0, -800.0])
    down = np.array([-1200.0, -900.0, -3000.0])
    n = 4
    L = np.full((n, n), -np.inf)
    for i in range(n - 1):
        L[i, i + 1] = up[i]
        L[i + 1, i] = down[i]
    logx = np.empty(n)
    assert log_gth_stationary(L, logx)
    np.testing.assert_allclose(logx, np.concatenate([[0.0], np.cumsum(up - down)]), rtol=1e-14)


def test_log_gth_reports_a_state_that_cannot_be_left():
    # state 1 has no rate back to state 0: exp(-inf) = 0
    L = np.array([[-np.inf, 0.0], [-np.inf, -np.inf]])
    assert not log_gth_stationary(L, np.empty(2))


# ---------------------------------------------------------------- Tarjan's components


def closure(adjacent):
    """Reachability (in one or more steps, or zero) by Warshall's algorithm."""
    n = adjacent.shape[0]
    reach = adjacent | np.eye(n, dtype=bool)
    for m in range(n):
        reach |= reach[:, m : m + 1] & reach[m : m + 1, :]
    return reach


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 25), seed=st.integers(0, 2**32 - 1),
       density=st.sampled_from([0.1, 0.3, 0.6]))
def test_tarjan_matches_the_reachability_closure(n, seed, density):
    # a graph with at most four out-edges per state (the outcomes of a round), some of them
    # of probability zero (not edges)
    rng = np.random.default_rng(seed)
    succ = rng.integers(0, n, size=(n, 4))
    prob = np.where(rng.random((n, 4)) < density, rng.uniform(0.1, 1.0, (n, 4)), 0.0)
    adjacent = np.zeros((n, n), dtype=bool)
    for s in range(n):
        for o in range(4):
            if prob[s, o] > 0.0:
                adjacent[s, succ[s, o]] = True
    comp, n_comp = strongly_connected(n, succ, prob)
    reach = closure(adjacent)
    mutual = reach & reach.T
    assert np.array_equal(comp[:, None] == comp[None, :], mutual)
    assert sorted(set(comp.tolist())) == list(range(n_comp))
    # components come out in reverse topological order: one that reaches another comes later
    for u in range(n):
        for v in range(n):
            if reach[u, v] and not mutual[u, v]:
                assert comp[u] > comp[v]


def test_tarjan_on_a_cycle_with_a_tail():
    # 0 -> 1 -> 2 -> 3 -> 1 (a cycle of three) and 4 -> 4 (a self-loop) : three components,
    # the cycle completed before the tail that reaches it
    succ = np.array([[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3], [1, 1, 1, 1], [4, 4, 4, 4]])
    prob = np.full((5, 4), 0.25)
    comp, n_comp = strongly_connected(5, succ, prob)
    assert n_comp == 3
    assert comp[1] == comp[2] == comp[3] == 0
    assert comp[0] == 1 and comp[4] == 2
