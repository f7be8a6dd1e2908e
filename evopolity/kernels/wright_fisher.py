"""The Wright--Fisher process: non-overlapping generations, multinomial sampling.

Each generation the ``N`` offspring choose their parents' types independently: type ``i``
with probability ``p_i = n_i f_i / sum_j n_j f_j`` (fitness ``f_i = exp(w pi_i)``, ``pi_i``
the mean payoff against the other ``N - 1``, as in :mod:`kernels.finite`), then mutate with
probability ``mu`` to a uniformly chosen other type: ``p'_i = (1 - mu) p_i + mu (1 - p_i) /
(k - 1)``; the new counts are ``Multinomial(N, p')``.

Binomial draws (and so multinomial ones, as conditional binomials) are exact: Knuth's
splitting by the order statistics of uniforms (TAOCP vol. 2, 3.4.1), a Beta variate as a ratio
of Gamma variates (Marsaglia & Tsang 2000), normals by Box--Muller, all from the
counter-based generator of :mod:`kernels.rng`, so that results never depend on thread count.
"""

import math

import numpy as np
from numba import prange

from evopolity.kernels._jit import jit
from evopolity.kernels.rng import GOLDEN, stream_key, unit_float
from evopolity.kernels.velocity import INTERNAL  # compiled-only: no wrapper for Python

BERNOULLI_BELOW = 64  # binomials of fewer trials are counted trial by trial


@jit(**INTERNAL)
def gamma(a, counter):
    """A Gamma(a, 1) variate for ``a >= 1`` (Marsaglia & Tsang 2000), its normals by
    Box--Muller; returns ``(x, counter)``. The normal is drawn here, not by a function of its
    own: each nested kernel compiles again inside each of its callers."""
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        counter += GOLDEN
        u1 = 1.0 - unit_float(counter)  # in (0, 1]
        counter += GOLDEN
        u2 = unit_float(counter)
        x = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        counter += GOLDEN
        u = 1.0 - unit_float(counter)
        if math.log(u) < 0.5 * x * x + d - d * v + d * math.log(v):
            return d * v, counter


@jit(**INTERNAL)
def binomial(n, p, counter):
    """A Binomial(n, p) variate, exactly; returns ``(k, counter)``.

    While ``n`` is large, the ``a``-th smallest of ``n`` uniforms, ``X ~ Beta(a, n + 1 - a)``
    with ``a = 1 + n // 2``, splits the trials: if ``X >= p`` the successes are those among
    the ``a - 1`` uniforms below ``X`` (uniform on [0, X)), else the ``a`` up to ``X`` and
    those among the ``n - a`` above it (uniform on (X, 1)) (Knuth, TAOCP 3.4.1).
    """
    if p <= 0.0 or n <= 0:
        return 0, counter
    if p >= 1.0:
        return n, counter
    k = 0
    while n > BERNOULLI_BELOW:
        a = 1 + n // 2
        b = n + 1 - a
        g1, counter = gamma(float(a), counter)
        g2, counter = gamma(float(b), counter)
        x = g1 / (g1 + g2)
        if x >= p:
            n = a - 1
            p = p / x
        else:
            k += a
            n = b - 1
            p = (p - x) / (1.0 - x)
    for _ in range(n):
        counter += GOLDEN
        if unit_float(counter) < p:
            k += 1
    return k, counter


@jit(**INTERNAL)
def generation(A, N, n, w, mu, pi, p, counter):
    """Replace the counts ``n`` by those of the next generation; returns the counter."""
    k = n.size
    top = -np.inf
    for i in range(k):
        s = 0.0
        for j in range(k):
            s += A[i, j] * n[j]
        pi[i] = (s - A[i, i]) / (N - 1)
        if n[i] > 0 and pi[i] > top:
            top = pi[i]
    total = 0.0
    for i in range(k):
        p[i] = n[i] * math.exp(w * (pi[i] - top)) if n[i] > 0 else 0.0
        total += p[i]
    for i in range(k):
        p[i] /= total
    if mu > 0.0 and k > 1:
        for i in range(k):
            p[i] = (1.0 - mu) * p[i] + mu * (1.0 - p[i]) / (k - 1)
    left = N
    mass = 1.0
    for i in range(k - 1):
        if left == 0:
            n[i] = 0
            continue
        q = p[i] / mass if mass > 0.0 else 0.0
        c, counter = binomial(left, min(1.0, max(0.0, q)), counter)
        n[i] = c
        left -= c
        mass -= p[i]
    n[k - 1] = left
    return counter


@jit()
def simulate(A, N, counts, w, mu, record_at, stop_on_fixation, counter, out):
    """Run ``record_at[-1]`` generations from ``counts`` (changed in place), recording the
    counts at ``record_at`` (increasing, from 0) into ``out``. Returns ``(generations,
    winner)``.

    One loop records and advances (rows are written element by element: an array assigned
    to a slice compiles numba's shape check with its error message, seconds of string code
    on a cold start); once the population stops, the rows left get its final counts.
    """
    k = counts.size
    counter = np.uint64(counter)
    pi = np.empty(k)
    p = np.empty(k)
    r = 0
    t = 0
    stopped = False
    while r < record_at.size:
        if stopped or record_at[r] == t:
            for i in range(k):
                out[r, i] = counts[i]
            r += 1
            continue
        if stop_on_fixation:
            for i in range(k):
                if counts[i] == N:
                    stopped = True
            if stopped:
                continue
        counter = generation(A, N, counts, w, mu, pi, p, counter)
        t += 1
    winner = -1
    for i in range(k):
        if counts[i] == N:
            winner = i
    return t, winner


@jit(parallel=True)
def fixation(A, N, start, w, runs, key, max_generations, fixed, times):
    """Runs of ``start`` mutants (type 0 of the 2 x 2 ``A``) among ``N - start`` residents, each
    keyed by its index: ``fixed[r]`` 1 (fixed), 0 (lost) or -1 (``max_generations``
    reached), ``times[r]`` the generations run."""
    for run in prange(runs):
        n = np.empty(2, np.int64)
        pi = np.empty(2)
        p = np.empty(2)
        n[0] = start
        n[1] = N - start
        counter = stream_key(key, run, 0)
        t = 0
        while n[0] > 0 and n[0] < N and t < max_generations:
            counter = generation(A, N, n, w, 0.0, pi, p, counter)
            t += 1
        fixed[run] = 1 if n[0] == N else (0 if n[0] == 0 else -1)
        times[run] = t
