"""Stationary distributions of Markov chains by GTH elimination (Grassmann, Taksar & Heyman 1985).

GTH is Gaussian elimination on the chain's transition matrix arranged so that it never
subtracts: a state's diagonal is replaced by the sum of its outgoing probabilities. It is
therefore accurate for nearly decomposable chains (small noise, rare mutations), where
solving ``pi (P - I) = 0`` loses the small probabilities to cancellation.

There are three implementations, because their arithmetic or their storage differs:

* :func:`gth_banded`, in linear space, on a matrix stored by diagonals: the full
  mutation-selection chain of a finite population (a genuine band, :mod:`kernels.analytical`).
* :func:`gth_sparse`, in linear space, on a matrix whose nonzeros are listed row by row and
  column by column: the product chains of two automata (:mod:`kernels.markov`), where a state
  has at most four successors. It visits only nonzeros, fill-in included, so a chain whose
  elimination stays sparse costs far less than the ``S^3 / 3`` of a dense one.
* :func:`log_gth_stationary`, with every sum taken in log space, for chains whose rates lie
  below the smallest double: the small-mutation limit, whose rates are fixation
  probabilities (1e-400 under strong selection is common). Linear-space GTH would see those
  rates as 0 and the chain as reducible.

Band storage: ``P[i, j]`` of an ``S x S`` matrix with ``|i - j| <= band`` is held at
``B[i, j - i + band]`` of an ``S x (2 band + 1)`` array; the diagonal is never read.
"""

import math

from evopolity.kernels._jit import jit

# back substitution rescales the weights once their sum passes this, so that the ratios to
# state 0 of a long chain stay representable (their sum could overflow long before any
# single weight does)
RESCALE_ABOVE = 1e200
LOG2 = math.log(2.0)


@jit()
def gth_banded(B, band, out):
    """Stationary distribution of the chain whose off-diagonal probabilities (or rates) are
    stored by diagonals in ``B`` (``S x (2 band + 1)``; overwritten), into ``out`` (``S``).

    Returns
    -------
    bool
        False, leaving ``out`` undefined, if a state cannot be left towards a lower-numbered
        one during the elimination (the chain is reducible).
    """
    S = B.shape[0]
    for kk in range(S - 1, 0, -1):  # eliminate the last state, then the one before, ...
        lo = max(0, kk - band)
        scale = 0.0  # everything kk sends to the states left: its "diagonal", by addition
        for j in range(lo, kk):
            scale += B[kk, j - kk + band]
        if not scale > 0.0:
            return False
        for i in range(lo, kk):
            B[i, kk - i + band] /= scale
        for i in range(lo, kk):
            g = B[i, kk - i + band]
            if g != 0.0:
                for j in range(lo, kk):
                    B[i, j - i + band] += g * B[kk, j - kk + band]
    out[0] = 1.0
    total = 1.0
    for kk in range(1, S):
        lo = max(0, kk - band)
        s = 0.0
        for i in range(lo, kk):
            s += out[i] * B[i, kk - i + band]
        out[kk] = s
        total += s
        if total > RESCALE_ABOVE:
            for i in range(kk + 1):
                out[i] /= total
            total = 1.0
    for kk in range(S):
        out[kk] /= total
    return True


@jit(inline="always")
def sparse_add(val, rows, row_len, cols, col_len, i, j, x):
    """Add ``x >= 0`` to entry ``(i, j)`` of the sparse matrix of :func:`gth_sparse`, listing
    it in row ``i`` and column ``j`` the first time it becomes nonzero.

    Entries only grow (GTH adds products of nonnegative numbers), so an entry is listed
    exactly when it is nonzero; an ``x`` that underflowed to 0 is not listed.
    """
    if x == 0.0:
        return
    if val[i, j] == 0.0:
        rows[i, row_len[i]] = j
        row_len[i] += 1
        cols[j, col_len[j]] = i
        col_len[j] += 1
    val[i, j] += x


@jit(refcount=False)
def gth_sparse(S, val, rows, row_len, cols, col_len, out):
    """Stationary distribution of the ``S``-state chain whose off-diagonal probabilities (or
    rates) are the nonzeros of ``val[:S, :S]``, into ``out[:S]``: :func:`gth_banded`'s
    elimination visiting only nonzeros while the matrix stays sparse.

    ``rows[i, :row_len[i]]`` lists the columns of row ``i``'s nonzeros and ``cols[j,
    :col_len[j]]`` the rows of column ``j``'s (filled by :func:`sparse_add`, each at most
    once; the diagonal is never read). The elimination of state ``k`` adds, for each ``i <
    k`` that reaches it and each ``j < k`` it reaches, ``P[i, k] P[k, j] / sum_{j<k} P[k, j]``
    to ``P[i, j]``: a cost of (predecessors x successors) per state, fill-in included. Once
    the row to eliminate reaches more than 1/8 of the states left, the fill has made the
    rest dense and the remaining states are eliminated by dense rows (contiguous loops numba
    vectorises, several times faster per entry than following lists). Everything written is
    cleared on the way out (``val`` back to zeros, the lists emptied), so the same arrays
    serve the next chain without being cleared in full.

    Returns
    -------
    bool
        False, leaving ``out`` undefined, if a state cannot be left towards a lower-numbered
        one during the elimination (the chain is reducible).
    """
    ok = True
    dense = 0  # states below this are eliminated as a dense block
    kk = S - 1
    while kk > 0:  # eliminate the last state, then the one before, ...
        scale = 0.0  # everything kk sends to the states left: its "diagonal", by addition
        live = 0
        for q in range(row_len[kk]):
            j = rows[kk, q]
            if j < kk:
                scale += val[kk, j]
                live += 1
        if 8 * live > kk:
            dense = kk + 1
            break
        if not scale > 0.0:
            ok = False
            break
        for q in range(col_len[kk]):
            i = cols[kk, q]
            if i < kk:
                val[i, kk] /= scale
        for q in range(col_len[kk]):
            i = cols[kk, q]
            if i >= kk:
                continue
            g = val[i, kk]
            if g == 0.0:
                continue
            # the lists read here (row kk, column kk) never grow: updates land below kk
            for r in range(row_len[kk]):
                j = rows[kk, r]
                if j < kk and j != i:
                    sparse_add(val, rows, row_len, cols, col_len, i, j, g * val[kk, j])
        kk -= 1
    if ok:
        for k in range(dense - 1, 0, -1):  # the dense block, as gth_banded
            scale = 0.0
            for j in range(k):
                scale += val[k, j]
            if not scale > 0.0:
                ok = False
                break
            for i in range(k):
                g = val[i, k]
                if g != 0.0:
                    g /= scale
                    val[i, k] = g
                    for j in range(k):  # the diagonal is updated too, and never read
                        val[i, j] += g * val[k, j]
    if ok:
        out[0] = 1.0
        total = 1.0
        for kk in range(1, S):
            s = 0.0
            if kk < dense:
                for i in range(kk):
                    s += out[i] * val[i, kk]
            else:
                for q in range(col_len[kk]):
                    i = cols[kk, q]
                    if i < kk:
                        s += out[i] * val[i, kk]
            out[kk] = s
            total += s
            if total > RESCALE_ABOVE:
                for i in range(kk + 1):
                    out[i] /= total
                total = 1.0
        for kk in range(S):
            out[kk] /= total
    for i in range(S):
        for q in range(row_len[i]):
            val[i, rows[i, q]] = 0.0
        row_len[i] = 0
        col_len[i] = 0
    for i in range(dense):
        for j in range(dense):
            val[i, j] = 0.0
    return ok


@jit(inline="always")
def logaddexp(a, b):
    """``log(exp(a) + exp(b))`` without overflow, as numpy's ``logaddexp``."""
    if a == b:  # equal infinities too, without an inf - inf
        return a + LOG2
    d = a - b
    if d > 0.0:
        return a + math.log1p(math.exp(-d))
    if d <= 0.0:
        return b + math.log1p(math.exp(d))
    return d  # NaN


@jit()
def log_gth_stationary(L, out):
    """Log stationary weights of the chain with off-diagonal rates ``exp(L[i, j])`` (``L``
    square, overwritten; diagonal ignored) into ``out``, relative to state 0 (``out[0] = 0``;
    not normalised).

    Returns
    -------
    bool
        False, leaving ``out`` undefined, if a state cannot be left (all its rates to the
        states before it are ``exp(-inf) = 0``): the chain is reducible.
    """
    n = L.shape[0]
    for kk in range(n - 1, 0, -1):
        scale = L[kk, 0]
        for j in range(1, kk):
            scale = logaddexp(scale, L[kk, j])
        if not math.isfinite(scale):
            return False
        for i in range(kk):
            L[i, kk] -= scale
        for i in range(kk):
            g = L[i, kk]
            for j in range(kk):
                L[i, j] = logaddexp(L[i, j], g + L[kk, j])
    out[0] = 0.0
    for kk in range(1, n):
        s = out[0] + L[0, kk]
        for i in range(1, kk):
            s = logaddexp(s, out[i] + L[i, kk])
        out[kk] = s
    return True
