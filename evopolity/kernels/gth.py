"""Stationary distributions of Markov chains by GTH elimination (Grassmann, Taksar & Heyman 1985).

GTH is Gaussian elimination on the chain's transition matrix arranged so that it never
subtracts: a state's diagonal is replaced by the sum of its outgoing probabilities. It is
therefore accurate for nearly decomposable chains (small noise, rare mutations), where
solving ``pi (P - I) = 0`` loses the small probabilities to cancellation.

There are two implementations, because their arithmetic differs:

* :func:`gth_banded`, in linear space, on a matrix stored by diagonals. Every linear-space
  caller uses it: the full mutation-selection chain of a finite population (a genuine band,
  :mod:`kernels.analytical`) and the closed classes of two automata (dense, stored with the
  band as wide as the matrix, :mod:`kernels.markov`).
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
