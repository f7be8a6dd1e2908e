"""Dense LU factorisation with partial pivoting, stored column by column.

The matrix ``W`` is held as its transpose ``Wt`` (``Wt[c, r] = W[r, c]``, C order), so that
both the elimination and the triangular solves run along contiguous rows of ``Wt`` (axpy
loops numba vectorises) instead of along strided columns or through dot-product reductions,
whose additions wait on one another. At k = 50 that makes a solve about 3x faster than the
textbook row-oriented loops.

Used by the Rosenbrock integrator (:mod:`kernels.replicator`: factor once, solve six stages).
"""

from evopolity.kernels._jit import jit


@jit()
def lu_factor_transposed(Wt, piv):
    """Factor ``W = P^T L U`` in place, where ``Wt`` holds ``W`` transposed.

    Afterwards ``Wt[c, r]`` holds ``L[r, c]`` for ``r > c`` (unit diagonal implied),
    ``U[r, c]`` for ``r < c`` and ``1 / U[c, c]`` on the diagonal (the solves multiply by it
    rather than wait on a division); ``piv[c]`` is the row swapped with row ``c`` at step
    ``c``.
    Returns False (and leaves ``Wt`` partly eliminated) when a pivot column is exactly zero.
    """
    n = Wt.shape[0]
    for c in range(n):
        p = c
        big = abs(Wt[c, c])
        for r in range(c + 1, n):
            if abs(Wt[c, r]) > big:
                big = abs(Wt[c, r])
                p = r
        if big == 0.0:
            return False
        piv[c] = p
        if p != c:  # swap rows p and c of W: columns of Wt
            for j in range(n):
                Wt[j, c], Wt[j, p] = Wt[j, p], Wt[j, c]
        inv = 1.0 / Wt[c, c]
        Wt[c, c] = inv
        m = n - c - 1
        lc = Wt[c, c + 1 :]
        for q in range(m):
            lc[q] *= inv
        j = c + 1
        while j + 4 <= n:  # four rows of W a pass share the loads of the multipliers
            w0 = Wt[j, c]
            w1 = Wt[j + 1, c]
            w2 = Wt[j + 2, c]
            w3 = Wt[j + 3, c]
            a0 = Wt[j, c + 1 :]
            a1 = Wt[j + 1, c + 1 :]
            a2 = Wt[j + 2, c + 1 :]
            a3 = Wt[j + 3, c + 1 :]
            for q in range(m):
                multiplier = lc[q]
                a0[q] -= multiplier * w0
                a1[q] -= multiplier * w1
                a2[q] -= multiplier * w2
                a3[q] -= multiplier * w3
            j += 4
        while j < n:
            w0 = Wt[j, c]
            a0 = Wt[j, c + 1 :]
            for q in range(m):
                a0[q] -= lc[q] * w0
            j += 1
    return True


@jit()
def lu_solve_transposed(Wt, piv, b):
    """Solve ``W x = b`` in place (``b`` becomes ``x``) from :func:`lu_factor_transposed`."""
    n = Wt.shape[0]
    for c in range(n):
        p = piv[c]
        if p != c:
            b[c], b[p] = b[p], b[c]
    for c in range(n):  # L y = P b, column by column
        bc = b[c]
        row = Wt[c]
        for r in range(c + 1, n):
            b[r] -= row[r] * bc
    for c in range(n - 1, -1, -1):  # U x = y, column by column from the last
        b[c] *= Wt[c, c]
        bc = b[c]
        row = Wt[c]
        for r in range(c):
            b[r] -= row[r] * bc
