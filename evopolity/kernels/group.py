"""Group games: expected payoffs of n-player games from their composition tables.

A game of ``k`` strategies played in groups of ``n`` is a table: for every composition of the
group (how many of each strategy it holds) the payoff of each strategy present. A focal
individual of strategy ``i`` meets ``m = n - 1`` co-players; for every composition ``o`` of the
co-players, ``pf[o, i]`` is the focal's payoff in the group ``o + e_i``. Expected payoffs are
sums over ``o`` weighted by the probability of meeting ``o``:

* infinite population at state ``x`` (multinomial sampling):
  ``f_i(x) = sum_o m! / prod_j o_j! * prod_j x_j^{o_j} * pf[o, i]``;
* finite population of ``M`` individuals with counts ``c`` (hypergeometric sampling without
  replacement from the ``M - 1`` others, the focal excluded):
  ``f_i(c) = sum_o prod_j C(c_j - [j = i], o_j) / C(M - 1, m) * pf[o, i]``.

The co-player compositions are the rows of ``comps`` (``K = C(m + k - 1, k - 1)`` rows, in the
lexicographic order of :func:`kernels.analytical.enumerate_compositions`), ``coef`` their
multinomial coefficients. For the replicator the three arrays travel packed in one flat float
array (:func:`kernels.layout.group_game_array`, read by :func:`group_fitness`).

Fixation probabilities and transition probabilities follow the update rules of
:mod:`kernels.rules`, with the hypergeometric payoffs of :func:`pair_payoffs`.
"""

import math

import numpy as np

from evopolity.kernels._jit import jit
from evopolity.kernels.analytical import binomials, rank
from evopolity.kernels.layout import group_game_tables
from evopolity.kernels.rules import log_fixation, log_gamma, transitions


@jit()
def log_binom(a, b):
    """``log C(a, b)`` for integers ``0 <= b <= a`` (``-inf`` outside)."""
    if b < 0 or b > a:
        return -np.inf
    return math.lgamma(a + 1.0) - math.lgamma(b + 1.0) - math.lgamma(a - b + 1.0)


@jit()
def hypergeometric_payoffs(counts, comps, pf, out):
    """``out[i] = f_i(counts)`` in a finite population (``M = sum(counts)``), the focal ``i``
    excluded from its co-players; NaN for a strategy with no individual."""
    K, k = comps.shape
    M = 0
    for j in range(k):
        M += counts[j]
    m = 0
    for j in range(k):
        m += comps[0, j]
    total = log_binom(M - 1, m)
    for i in range(k):
        if counts[i] == 0:
            out[i] = np.nan
            continue
        s = 0.0
        for o in range(K):
            lw = -total
            for j in range(k):
                lw += log_binom(counts[j] - (1 if j == i else 0), comps[o, j])
            if lw > -np.inf:
                s += math.exp(lw) * pf[o, i]
        out[i] = s


@jit()
def group_fitness(x, params, out):
    """``out[i] = f_i(x)``, the expected payoff of ``i`` with ``m`` co-players drawn from ``x``,
    from the packed array ``params`` (the replicator's model ``GROUP``).

    One pass over the co-player compositions: the weight ``coef[o] prod_j x_j^{o_j}`` is shared
    by all ``k`` focal strategies (powers from a table, ``0^0 = 1``). One function, not a
    wrapper around a table kernel: each nested kernel costs its compile again in its caller.
    """
    m, coef, comps, pf = group_game_tables(params)
    K, k = comps.shape
    pw = np.empty((k, m + 1))
    for j in range(k):
        pw[j, 0] = 1.0
        for e in range(1, m + 1):
            pw[j, e] = pw[j, e - 1] * x[j]
    for i in range(k):
        out[i] = 0.0
    for o in range(K):
        w = coef[o]
        for j in range(k):
            w *= pw[j, int(comps[o, j])]
        if w != 0.0:
            for i in range(k):
                out[i] += w * pf[o, i]


@jit()
def pair_table(comps, pf, a, b, pa, pb):
    """Payoffs in groups of ``a`` and ``b`` only: ``pa[l]`` of an ``a`` with ``l`` co-player
    ``a``s (and ``m - l`` ``b``s), ``pb[l]`` of a ``b`` with ``l`` co-player ``a``s."""
    K, k = comps.shape
    m = pa.size - 1
    Cb = binomials(m + k - 1, k - 1)
    o = np.zeros(k, np.int64)
    for q in range(m + 1):
        o[:] = 0
        o[a] = q
        o[b] = m - q
        idx = rank(o, m, Cb)
        pa[q] = pf[idx, a]
        pb[q] = pf[idx, b]


@jit()
def log_factorials(n):
    """``out[v] = log v!`` for v = 0..n."""
    out = np.empty(n + 1)
    out[0] = 0.0
    for v in range(1, n + 1):
        out[v] = out[v - 1] + math.log(v)
    return out


@jit()
def _lb(lf, a, b):
    """``log C(a, b)`` from the table of log factorials (``-inf`` outside ``0 <= b <= a``)."""
    if b < 0 or b > a:
        return -np.inf
    return lf[a] - lf[b] - lf[a - b]


@jit()
def pair_payoffs(pa, pb, N, j, lf, out):
    """Payoffs of the ``j`` mutants (``out[0]``) and ``N - j`` residents (``out[1]``) of a
    population of ``N``: hypergeometric sums over the ``m`` co-players drawn from the ``N - 1``
    others, ``P(l mutants) = C(j', l) C(N - 1 - j', m - l) / C(N - 1, m)`` with ``j' = j - 1``
    for a mutant focal and ``j' = j`` for a resident (``lf``: log factorials up to ``N``)."""
    m = pa.size - 1
    total = _lb(lf, N - 1, m)
    sa = 0.0
    sb = 0.0
    for q in range(m + 1):
        la = _lb(lf, j - 1, q) + _lb(lf, N - j, m - q) - total
        if la > -np.inf:
            sa += math.exp(la) * pa[q]
        lb = _lb(lf, j, q) + _lb(lf, N - 1 - j, m - q) - total
        if lb > -np.inf:
            sb += math.exp(lb) * pb[q]
    out[0] = sa
    out[1] = sb


@jit()
def pair_log_fixation(rule, pa, pb, N, selection):
    """``log rho`` of one mutant among ``N - 1`` residents, payoffs from the pair tables
    (:func:`kernels.rules.log_fixation`)."""
    lg = np.empty(N)
    pay = np.empty(2)
    lf = log_factorials(N)
    for j in range(1, N):
        pair_payoffs(pa, pb, N, j, lf, pay)
        lg[j] = log_gamma(rule, selection, pay[0], pay[1])
    return log_fixation(lg)


@jit()
def log_fixation_matrix(rule, comps, pf, N, selection, out):
    """``out[a, b] = log rho`` of one ``a`` mutant among ``N - 1`` ``b`` residents
    (``-log N`` on the diagonal)."""
    K, k = comps.shape
    m = 0
    for j in range(k):
        m += comps[0, j]
    pa = np.empty(m + 1)
    pb = np.empty(m + 1)
    for a in range(k):
        for b in range(k):
            if a == b:
                out[a, b] = -math.log(N)
                continue
            pair_table(comps, pf, a, b, pa, pb)
            out[a, b] = pair_log_fixation(rule, pa, pb, N, selection)


@jit()
def pair_transitions(rule, pa, pb, N, selection, tplus, tminus):
    """``T+(j)``, ``T-(j)`` (j = 0..N) of a mutant among residents without mutation, as
    :func:`kernels.analytical.pair_transitions` with group-game payoffs."""
    pay = np.empty(2)
    lf = log_factorials(N)
    tplus[0] = tminus[0] = tplus[N] = tminus[N] = 0.0
    for j in range(1, N):
        pair_payoffs(pa, pb, N, j, lf, pay)
        tplus[j], tminus[j] = transitions(rule, selection, N, j, pay[0], pay[1])
