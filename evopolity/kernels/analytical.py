"""Closed forms and exact Markov chains of finite populations.

* Fixation probabilities of a single mutant (Nowak et al. 2004; Traulsen et al. 2006),
  summed in log space (:func:`kernels.rules.log_fixation`), so that 1e-30 comes out as
  1e-30, not 0.
* The full mutation-selection chain on the ``C(N + k - 1, k - 1)`` compositions of the
  population, stored as a band matrix (states in lexicographic order; a transition moves one
  individual, so it stays within a band), and solved by the Grassmann--Taksar--Heyman
  elimination restricted to the band (:func:`kernels.gth.gth_banded`: no subtraction, so tiny
  probabilities keep their relative accuracy; fill-in stays inside the band).

The update rules themselves (Moran fitness, Fermi imitation) are :mod:`kernels.rules`.
"""

import math

import numpy as np
from numba.extending import overload

from evopolity.kernels._jit import jit
from evopolity.kernels.codes import FERMI, MORAN  # noqa: F401 - FERMI: the callers' code
from evopolity.kernels.gth import gth_banded
from evopolity.kernels.rules import birth_fitness, imitation, log_gamma, transitions
from evopolity.kernels.rules import log_fixation as log_fixation_sum


@jit()
def pair_payoffs(a, b, c, d, N, j):
    """Payoffs of ``j`` mutants (A) and ``N - j`` residents (B), self-interaction excluded.

    ``a = A[m, m], b = A[m, r], c = A[r, m], d = A[r, r]`` (Nowak et al. 2004).
    """
    pi_a = ((j - 1) * a + (N - j) * b) / (N - 1)
    pi_b = (j * c + (N - j - 1) * d) / (N - 1)
    return pi_a, pi_b


@jit()
def log_fixation(rule, a, b, c, d, N, selection):
    """``log rho`` of a single mutant (``a = A[m, m], b = A[m, r], c = A[r, m],
    d = A[r, r]``) among ``N - 1`` residents."""
    lg = np.empty(N)
    for j in range(1, N):
        pi_a, pi_b = pair_payoffs(a, b, c, d, N, j)
        lg[j] = log_gamma(rule, selection, pi_a, pi_b)
    return log_fixation_sum(lg)


@jit()
def log_fixation_matrix(rule, A, N, selection, out):
    """``out[m, r] = log rho`` of one ``m`` mutant among ``N - 1`` residents ``r``."""
    k = A.shape[0]
    for m in range(k):
        for r in range(k):
            if m == r:
                out[m, r] = -math.log(N)
            else:
                out[m, r] = log_fixation(rule, A[m, m], A[m, r], A[r, m], A[r, r], N, selection)


@jit()
def pair_transitions(rule, a, b, c, d, N, selection, tplus, tminus):
    """``T+(j)`` and ``T-(j)``, j = 0..N, of the pair process without mutation
    (:func:`kernels.rules.transitions`)."""
    tplus[0] = tminus[0] = tplus[N] = tminus[N] = 0.0
    for j in range(1, N):
        pi_a, pi_b = pair_payoffs(a, b, c, d, N, j)
        tplus[j], tminus[j] = transitions(rule, selection, N, j, pi_a, pi_b)


# -- the full chain on compositions ---------------------------------------------------------


# binomials, rank and enumerate_compositions are called from Python (group games, the full
# chain's states) as well as from kernels: from Python they run in numpy and Python integers,
# the same numbers as their jitted twins, which compile only inside the kernels that call
# them (each would cost a cold first call ~0.2-1.2 s; tests/test_kernel_analytical.py)


def binomials(n_max, k_max):
    """Table ``C[n, r]`` for n <= n_max, r <= k_max (as float64, exact below 2**53)."""
    C = np.zeros((n_max + 1, k_max + 1))
    C[:, 0] = 1.0
    for n in range(1, n_max + 1):  # Pascal's rule; C[n - 1, r] is 0 for r > n - 1
        C[n, 1:] = C[n - 1, :-1] + C[n - 1, 1:]
    return C


@overload(binomials)
def _binomials_jit(n_max, k_max):
    def impl(n_max, k_max):
        C = np.zeros((n_max + 1, k_max + 1))
        for n in range(n_max + 1):
            C[n, 0] = 1.0
            for r in range(1, min(n, k_max) + 1):
                C[n, r] = C[n - 1, r - 1] + (C[n - 1, r] if r <= n - 1 else 0.0)
        return C

    return impl


def rank(n, N, Cb):
    """Lexicographic rank of the composition ``n`` of ``N``."""
    k = len(n)
    idx = 0
    rest = int(N)
    for p in range(k - 1):
        parts = k - p - 1
        for v in range(int(n[p])):
            idx += int(Cb[rest - v + parts - 1, parts - 1])
        rest -= int(n[p])
    return idx


@overload(rank)
def _rank_jit(n, N, Cb):
    def impl(n, N, Cb):
        k = n.size
        idx = 0
        rest = N
        for p in range(k - 1):
            parts = k - p - 1
            for v in range(n[p]):
                m = rest - v
                idx += int(Cb[m + parts - 1, parts - 1])
            rest -= n[p]
        return idx

    return impl


def enumerate_compositions(N, k, out):
    """All compositions of ``N`` into ``k`` parts in lexicographic order, rows of ``out``.

    Built part by part in numpy: each partial row with ``rest`` left to share spawns the rows
    ``v = 0..rest`` for the next part, in order, so the rows stay lexicographic; the last part
    takes what is left. Called from Python only.
    """
    rest = np.array([N], np.int64)
    parent = []  # parts[p][row]: the value of part p of each partial row
    for _ in range(k - 1):
        spawn = rest + 1
        rows = np.repeat(np.arange(rest.size), spawn)
        starts = np.cumsum(spawn) - spawn
        v = np.arange(rows.size) - np.repeat(starts, spawn)
        parent = [col[rows] for col in parent] + [v]
        rest = rest[rows] - v
    for q, col in enumerate(parent):
        out[:, q] = col
    out[:, k - 1] = rest


@jit()
def _rates(rule, A, N, selection, mutation, n, f, rates):
    """``rates[b, d]``: probability of one ``d`` being replaced by one ``b`` from state ``n``."""
    k = n.size
    inv = 1.0 / (N - 1)
    for i in range(k):
        s = 0.0
        for j in range(k):
            s += A[i, j] * n[j]
        f[i] = (s - A[i, i]) * inv  # payoff (only meaningful where n[i] > 0)
    if rule != FERMI:
        top = -math.inf
        for i in range(k):
            if n[i] > 0 and f[i] > top:
                top = f[i]
        total = 0.0
        for i in range(k):
            if n[i] > 0:
                f[i] = birth_fitness(rule, selection, f[i], top)
                total += n[i] * f[i]
        for b in range(k):
            born = 0.0
            for p in range(k):
                if n[p] > 0:
                    q = (1.0 - mutation) if p == b else mutation / (k - 1)
                    born += n[p] * f[p] * q
            born /= total
            for d in range(k):
                rates[b, d] = born * n[d] / N if (d != b and n[d] > 0) else 0.0
    else:
        for d in range(k):
            for b in range(k):
                if d == b or n[d] == 0:
                    rates[b, d] = 0.0
                    continue
                x = mutation / (k - 1)
                if n[b] > 0:
                    x += imitation((1.0 - mutation) * n[b] * inv, selection, f[b] - f[d])
                rates[b, d] = x * n[d] / N


@jit()
def chain_bandwidth(states, N):
    """Largest rank distance of a one-individual move (the band's half-width)."""
    S, k = states.shape
    Cb = binomials(N + k - 1, k - 1)
    n = np.empty(k, np.int64)
    band = 1
    for s in range(S):
        for b in range(k):
            for d in range(k):
                if b == d or states[s, d] == 0:
                    continue
                for q in range(k):
                    n[q] = states[s, q]
                n[b] += 1
                n[d] -= 1
                dist = abs(rank(n, N, Cb) - s)
                if dist > band:
                    band = dist
    return band


@jit()
def full_chain_stationary(rule, A, N, selection, mutation, states, band, out):
    """Stationary distribution of the mutation-selection chain over ``states`` (into ``out``).

    Returns 0 on success, or 1 if the chain is reducible (a state that cannot be left).
    """
    S, k = states.shape
    Cb = binomials(N + k - 1, k - 1)
    P = np.zeros((S, 2 * band + 1))  # band storage (kernels.gth)
    n = np.empty(k, np.int64)
    f = np.empty(k)
    rates = np.empty((k, k))
    for s in range(S):
        _rates(rule, A, N, selection, mutation, states[s], f, rates)
        for b in range(k):
            for d in range(k):
                x = rates[b, d]
                if x > 0.0:
                    for q in range(k):
                        n[q] = states[s, q]
                    n[b] += 1
                    n[d] -= 1
                    t = rank(n, N, Cb)
                    P[s, t - s + band] += x
    return 0 if gth_banded(P, band, out) else 1
