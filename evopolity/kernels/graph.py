"""Structured populations: update rules on graphs held as CSR arrays.

Each node holds a strategy ``s[i]``; its payoff sum ``P[i] = sum_{j in I(i)} A[s_i, s_j]``
over its interaction neighbours ``I(i)`` (rows ``ip``/``ii``) is its accumulated payoff, or
``P[i] / |I(i)|`` its averaged one (``mode & AVERAGED``); with ``mode & SELF`` a node also
plays itself (Nowak & May 1992): ``A[s_i, s_i]`` joins the sum and the count. Replacement
(who may take whose place) follows the replacement graph (rows ``rp``/``ri``). When node
``x`` changes strategy, only ``P[x]`` and the payoff sums of its interaction neighbours
change, so an event costs ``O(degree)`` updates; birth--death keeps the fitnesses in a sum
tree (``O(log n)`` to update one and to draw a node proportionally to fitness), so an event
never costs ``O(n)``.

Rules (``rule``), one elementary event each (Ohtsuki et al. 2006; Szabó & Fáth 2007):

* ``BD`` (birth--death): a node ``i`` reproduces with probability proportional to its fitness
  among all nodes; its offspring replaces a uniformly chosen replacement neighbour.
* ``DB`` (death--birth): a uniformly chosen node dies; its replacement neighbours compete for
  the empty site proportionally to fitness.
* ``IMITATION``: a uniformly chosen node keeps its strategy or adopts a replacement
  neighbour's, proportionally to the fitnesses of itself and its neighbours.
* ``FERMI``: a uniformly chosen node ``i`` compares itself with a uniformly chosen replacement
  neighbour ``j`` and adopts its strategy with probability ``1 / (1 + exp(-beta (pi_j -
  pi_i)))``.
* ``BEST`` (synchronous, Nowak & May 1992): every node at once adopts the strategy of the
  highest payoff among itself and its replacement neighbours (its own on a tie; among tied
  neighbours the lowest-numbered one).

Fitness: ``exp(w (pi - ref))`` (``fmap = MORAN_EXP``; ``ref`` an upper bound of the payoffs,
so that nothing overflows; birth probabilities are ratios, which the common factor leaves
unchanged) or ``1 - w + w pi`` (``fmap = MORAN``). Offspring (BD, DB, imitation) mutate with
probability ``mu`` to a uniformly chosen other strategy; under the Fermi rule a focal node
mutates instead of comparing with probability ``mu``; under ``BEST`` every node mutates with
probability ``mu`` after each round.

Randomness: a counter-based splitmix64 stream per run (:mod:`kernels.rng`), a fixation run
keyed by its index, so results never depend on the number of threads.
"""

import math

import numpy as np
from numba import prange

from evopolity.kernels._jit import jit
from evopolity.kernels.analytical import rank
from evopolity.kernels.codes import (
    GRAPH_AVERAGED,
    GRAPH_BD,
    GRAPH_BEST,
    GRAPH_DB,
    GRAPH_FERMI,
    GRAPH_IMITATION,
    GRAPH_SELF,
    MORAN,
)
from evopolity.kernels.fitness import institution_adjust
from evopolity.kernels.layout import (
    group_game_tables,
    regime_cooperation,
    regime_sanction_count,
    regime_sanctions,
    regime_terms,
)
from evopolity.kernels.rng import GOLDEN, stream_key, unit_float
from evopolity.kernels.velocity import INTERNAL

RUNS_PER_CHUNK = 64  # fixation runs that share one set of state arrays
MAX_FAST_K = 32767  # strategies the plain path's int16 copies (plain_scratch) can hold
REJECT = 0.125  # birth--death draws parents by rejection while at least this share succeeds

# the model flags ``fl`` of the general path (all 0: the pairwise game without a regime, whose
# payoff sums are updated incrementally)
GAME = 0  # fl[GAME]: 0 a matrix game between neighbours, 1 a group game on overlapping groups
REGIME = 1  # fl[REGIME]: 1 when a regime acts on every node's payoff
GLOBAL = 2  # fl[GLOBAL]: 1 when the regime's means (tax, shared cost, switch) are global
GROUPED = 3  # fl[GROUPED]: 1 when a regime term reads a mean (tax, shared cost, switch,
# conformity); else each node's regime terms read only its own payoff and cooperation
COEV = 4  # fl[COEV]: 1 when the institution co-evolves: strengths m (gx[11]) follow the law
# dm/dt = lambda (support - m) - decay, stepped exactly once per n events (institution_step)
N_FLAGS = 5


@jit(**INTERNAL)
def _uniform(n, u):
    """An integer uniform in ``0 .. n-1`` from ``u`` in [0, 1)."""
    j = int(u * n)
    return j if j < n else n - 1


@jit(**INTERNAL)
def _other(a, k, u):
    """A strategy other than ``a``, uniformly among the ``k - 1`` others."""
    j = _uniform(k - 1, u)
    return j + 1 if j >= a else j


@jit(**INTERNAL)
def _payoff(i, P, ip, mode):
    if mode & GRAPH_AVERAGED:
        return P[i] / (ip[i + 1] - ip[i] + (1 if mode & GRAPH_SELF else 0))
    return P[i]


@jit(**INTERNAL)
def _fitness(payoff, rule, fmap, w, ref):
    """Fitness of ``payoff`` (GRAPH_BD, GRAPH_DB, imitation) or the payoff itself (Fermi, best)."""
    if rule == GRAPH_FERMI or rule == GRAPH_BEST:
        return payoff
    if fmap == MORAN:
        return 1.0 - w + w * payoff
    return math.exp(w * (payoff - ref))


MEMO = 1024  # entries of the fitness memo (a power of two)


@jit(**INTERNAL)
def _memo_fitness(payoff, fmap, w, ref, memo):
    """``exp(w (payoff - ref))`` (or the linear map) through a direct-mapped memo keyed by the
    payoff: on a lattice a node's payoff takes few values, and a look-up costs less than the
    exponential. The value stored is the one computed, so the result is bit for bit
    :func:`_fitness`'s."""
    if fmap == MORAN:
        return 1.0 - w + w * payoff
    if not abs(payoff) < 1e15:  # too large (or NaN) to hash: compute
        return math.exp(w * (payoff - ref))
    h = int(payoff * 1021.0) & (MEMO - 1)
    if memo[0, h] == payoff:
        return memo[1, h]
    value = math.exp(w * (payoff - ref))
    memo[0, h] = payoff
    memo[1, h] = value
    return value


@jit(**INTERNAL)
def _set(i, value, F, tree, size):
    """``F[i] = value``, and the sum tree (when it has nodes) updated along the path."""
    F[i] = value
    if tree.size > 0:
        p = size + i
        tree[p] = value
        p >>= 1
        while p >= 1:
            tree[p] = tree[2 * p] + tree[2 * p + 1]
            p >>= 1


@jit(**INTERNAL)
def _draw(tree, size, u):
    """A node drawn with probability ``F[i] / sum(F)`` from the sum tree (root at 1)."""
    r = u * tree[1]
    p = 1
    while p < size:
        left = tree[2 * p]
        if r < left or tree[2 * p + 1] <= 0.0:
            p = 2 * p
        else:
            r -= left
            p = 2 * p + 1
    return p - size


@jit(**INTERNAL)
def _fill_tree(F, tree, size):
    """The sum tree over ``F`` from scratch."""
    for p in range(tree.size):
        tree[p] = 0.0
    for i in range(F.size):
        tree[size + i] = F[i]
    for p in range(size - 1, 0, -1):
        tree[p] = tree[2 * p] + tree[2 * p + 1]


@jit()
def tree_size(n):
    """The number of leaves of the sum tree over ``n`` nodes (a power of two >= n)."""
    size = 1
    while size < n:
        size *= 2
    return size


@jit(refcount=False)
def init_state(rule, fmap, mode, A, ip, ii, s, w, ref, P, F, tree, size, counts, gx):
    """Payoff sums ``P``, fitnesses ``F``, the sum tree (when ``tree`` has nodes) and
    ``counts`` of the strategies ``s``, from scratch (``O(edges)``); the general path's
    (:func:`init_general`) when ``gx`` asks for it."""
    if _general(gx):
        init_general(rule, fmap, mode, A, ip, ii, s, w, ref, P, F, tree, size, counts, gx)
    else:
        init_plain(rule, fmap, mode, A, ip, ii, s, w, ref, P, F, tree, size, counts)


@jit(refcount=False)
def init_plain(rule, fmap, mode, A, ip, ii, s, w, ref, P, F, tree, size, counts):
    """:func:`init_state` of the plain path (a matrix game without a regime)."""
    n = s.size
    for q in range(counts.size):
        counts[q] = 0
    for i in range(n):
        counts[s[i]] += 1
        tot = A[s[i], s[i]] if mode & GRAPH_SELF else 0.0
        for e in range(ip[i], ip[i + 1]):
            tot += A[s[i], s[ii[e]]]
        P[i] = tot
        F[i] = _fitness(_payoff(i, P, ip, mode), rule, fmap, w, ref)
    if tree.size > 0:
        _fill_tree(F, tree, size)


# -- the general path: group games on overlapping groups, regimes per node -----------------
#
# ``gx = (G, R, Cb, fl, D, B, Cr, mark, buf, wk, cnt, m, S)``: the group-game array ``G``
# (:func:`kernels.layout.group_game_array`; empty for a matrix game), the regime array ``R``
# (empty for none), the binomial table ``Cb`` that ranks co-player compositions, the flags
# ``fl``, the conformity ``D`` (``D[0]``; ``D[1]``, when there, the initial strength of a
# co-evolving institution), and scratch: base payoffs ``B``, cooperation rates ``Cr``, a stamp
# array ``mark`` (n + 1) and a node list ``buf`` for neighbourhoods, a float work array ``wk``
# (6 x (n + 1)), the composition counts ``cnt`` (k), every node's institution strength
# ``m`` (all 1 unless the institution co-evolves), and ``S`` (2 x n) every node's sanctions
# played inside matches (``S[w, i]``: sanction matrix ``w`` of the regime summed over the
# node's partners like its payoff, :func:`pair_sum`; unused when the regime carries none).
# Here ``P[i]`` holds the node's final payoff (base payoff with the regime's terms at
# strength ``m[i]``), from which ``F`` follows.


def plain_model():
    """``(G, R, Cb, fl, D)`` of a matrix game without a regime (the incremental path)."""
    return (np.zeros(0), np.zeros(0), np.zeros((1, 1)), np.zeros(N_FLAGS, np.int64),
            np.zeros(1))


@jit()
def extension(G, R, Cb, fl, D, n, k):
    """The tuple ``gx`` of the general path: the model arrays and fresh scratch for ``n``
    nodes and ``k`` strategies, every strength ``m`` at ``D[1]`` (1 when ``D`` has no
    second entry)."""
    m0 = D[1] if D.size > 1 else 1.0
    return (G, R, Cb, fl, D, np.zeros(n), np.zeros(n), np.zeros(n + 1, np.int64),
            np.zeros(n, np.int64), np.zeros((6, n + 1)), np.zeros(k, np.int64),
            np.full(n, m0), np.zeros((2, n)))


@jit(**INTERNAL)
def _general(gx):
    fl = gx[3]
    return fl[GAME] != 0 or fl[REGIME] != 0


@jit(**INTERNAL)
def ball(x, radius, ip, ii, mark, buf):
    """The nodes within ``radius`` steps of ``x`` into ``buf`` (``x`` first); returns how
    many. ``mark`` (n + 1 entries) holds the stamps, its last entry the current one."""
    n = ip.size - 1
    stamp = mark[n] + 1
    mark[n] = stamp
    buf[0] = x
    mark[x] = stamp
    count = 1
    start = 0
    for _ in range(radius):
        end = count
        for t in range(start, end):
            y = buf[t]
            for e in range(ip[y], ip[y + 1]):
                z = ii[e]
                if mark[z] != stamp:
                    mark[z] = stamp
                    buf[count] = z
                    count += 1
        start = end
    return count


@jit(**INTERNAL)
def pair_sum(i, mode, A, ip, ii, s):
    """``sum_j A[s_i, s_j]`` over node ``i``'s partners (itself too with ``GRAPH_SELF``),
    divided by their number when ``GRAPH_AVERAGED``: its matrix-game payoff, or with a
    sanction matrix the sanctions it receives (so that sanctions folded into ``A`` give the
    same sum)."""
    a = s[i]
    tot = A[a, a] if mode & GRAPH_SELF else 0.0
    for e in range(ip[i], ip[i + 1]):
        tot += A[a, s[ii[e]]]
    if mode & GRAPH_AVERAGED:
        return tot / (ip[i + 1] - ip[i] + (1 if mode & GRAPH_SELF else 0))
    return tot


@jit(**INTERNAL)
def node_rates(i, mode, ip, ii, s, gx):
    """Node ``i``'s cooperation rate and its played sanctions (when the regime carries
    sanction matrices) into ``Cr`` and ``S`` of ``gx``."""
    R = gx[1]
    k = gx[10].size
    gx[6][i] = cooperation_rate(i, mode, ip, ii, s, regime_cooperation(R, k))
    for w in range(regime_sanction_count(R)):
        gx[12][w, i] = pair_sum(i, mode, regime_sanctions(R, k, w), ip, ii, s)


@jit(**INTERNAL)
def base_payoff(i, mode, A, ip, ii, s, gx):
    """Node ``i``'s payoff before any regime: against each neighbour (matrix game,
    :func:`pair_sum`), or in the groups centred on itself and on each neighbour (group game),
    summed or averaged."""
    G = gx[0]
    a = s[i]
    d = ip[i + 1] - ip[i]
    if gx[3][GAME] == 0:
        return pair_sum(i, mode, A, ip, ii, s)
    m, _, _, pf = group_game_tables(G)
    cnt = gx[10]
    Cb = gx[2]
    tot = 0.0
    for q in range(d + 1):
        c = i if q == d else ii[ip[i] + q]
        for j in range(cnt.size):
            cnt[j] = 0
        cnt[s[c]] += 1
        for e in range(ip[c], ip[c + 1]):
            cnt[s[ii[e]]] += 1
        cnt[a] -= 1  # the co-players of i in the group centred on c
        tot += pf[rank(cnt, m, Cb), a]
    if mode & GRAPH_AVERAGED:
        return tot / (d + 1)
    return tot


@jit(**INTERNAL)
def cooperation_rate(i, mode, ip, ii, s, C):
    """How often node ``i`` cooperates with its partners: the mean of ``C[s_i, s_j]`` over its
    neighbours (and itself with self-interaction)."""
    a = s[i]
    tot = C[a, a] if mode & GRAPH_SELF else 0.0
    for e in range(ip[i], ip[i + 1]):
        tot += C[a, s[ii[e]]]
    return tot / (ip[i + 1] - ip[i] + (1 if mode & GRAPH_SELF else 0))


@jit(**INTERNAL)
def local_payoff(z, ip, ii, s, gx):
    """Node ``z``'s payoff under the regime, its means (tax, shared cost, switch, conformity)
    taken over its neighbourhood ``{z} + I(z)`` (or over ``z`` alone when no term reads a
    mean): :func:`kernels.fitness.institution_adjust` on the group's base payoffs,
    cooperation rates and played sanctions, equal weights, at ``z``'s institution strength
    ``m[z]``."""
    R = gx[1]
    B = gx[5]
    Cr = gx[6]
    wk = gx[9]
    S = gx[12]
    grouped = gx[3][GROUPED] != 0
    m = 1
    same = 1
    wk[0, 0] = B[z]
    wk[1, 0] = Cr[z]
    wk[4, 0] = S[0, z]
    wk[5, 0] = S[1, z]
    if grouped:
        for e in range(ip[z], ip[z + 1]):
            y = ii[e]
            wk[0, m] = B[y]
            wk[1, m] = Cr[y]
            wk[4, m] = S[0, y]
            wk[5, m] = S[1, y]
            if s[y] == s[z]:
                same += 1
            m += 1
    for t in range(m):
        wk[2, t] = 1.0 / m
    institution_adjust(wk[0, :m], wk[1, :m], wk[2, :m], gx[11][z], R, wk[3, :m], wk[4, :m],
                       wk[5, :m])  # fmt: skip
    return wk[3, 0] + gx[4][0] * same / m


@jit(**INTERNAL)
def global_payoffs(s, counts, P, gx):
    """Every node's payoff under the regime with global means (over all ``n`` nodes, equal
    weights) into ``P``, at the one strength ``m[0]`` that global institutions share."""
    n = s.size
    wk = gx[9]
    for t in range(n):
        wk[2, t] = 1.0 / n
    institution_adjust(gx[5], gx[6], wk[2, :n], gx[11][0], gx[1], P, gx[12][0], gx[12][1])
    D = gx[4][0]
    if D != 0.0:
        for i in range(n):
            P[i] += D * counts[s[i]] / n


@jit(**INTERNAL)
def init_general(rule, fmap, mode, A, ip, ii, s, w, ref, P, F, tree, size, counts, gx):
    """:func:`init_state` of the general path (``O(n)`` neighbourhood sums)."""
    n = s.size
    fl = gx[3]
    B = gx[5]
    k = counts.size
    for q in range(k):
        counts[q] = 0
    for i in range(n):
        counts[s[i]] += 1
        B[i] = base_payoff(i, mode, A, ip, ii, s, gx)
        if fl[REGIME]:
            node_rates(i, mode, ip, ii, s, gx)
    general_payoffs(rule, fmap, ip, ii, s, w, ref, P, F, tree, size, counts, gx)


@jit(**INTERNAL)
def general_payoffs(rule, fmap, ip, ii, s, w, ref, P, F, tree, size, counts, gx):
    """Every node's payoff ``P`` (from the base payoffs and cooperation rates in ``gx``),
    fitness ``F`` and the sum tree, from scratch."""
    fl = gx[3]
    n = s.size
    if fl[REGIME] and fl[GLOBAL] and fl[GROUPED]:
        global_payoffs(s, counts, P, gx)
    else:
        for i in range(n):
            P[i] = local_payoff(i, ip, ii, s, gx) if fl[REGIME] else gx[5][i]
    for i in range(n):
        F[i] = _fitness(P[i], rule, fmap, w, ref)
    if tree.size > 0:
        _fill_tree(F, tree, size)


@jit(**INTERNAL)
def strength_step(m, support, lam, decay):
    """The exact solution after one unit of time of ``dm/dt = lambda (support - m) - decay``
    held in [0, 1] (:func:`kernels.fitness.macro_rate`), ``support`` constant:
    ``clip(target + (m - target) e^{-lambda}, 0, 1)``, ``target = support - decay / lambda``
    (``clip(m - decay, 0, 1)`` when ``lambda = 0``). The unclipped solution moves monotonically
    towards ``target``; when it leaves [0, 1] the held law keeps it at the bound it reached,
    so clipping is exact."""
    if lam > 0.0:
        target = support - decay / lam
        v = target + (m - target) * math.exp(-lam)
    else:
        v = m - decay
    return min(1.0, max(0.0, v))


@jit()
def institution_step(ip, ii, gx):
    """One unit of time of the co-evolving institutions (:func:`strength_step`): node ``i``'s
    strength ``m[i]`` follows the mean cooperation rate of its neighbourhood ``{i} + I(i)``
    (local), or all share ``m[0]`` fed by the mean over all nodes (``fl[GLOBAL]``)."""
    Cr = gx[6]
    m = gx[11]
    n = m.size
    lam = regime_terms(gx[1])[7]
    decay = regime_terms(gx[1])[8]
    if gx[3][GLOBAL]:
        tot = 0.0
        for i in range(n):
            tot += Cr[i]
        v = strength_step(m[0], tot / n, lam, decay)
        for i in range(n):
            m[i] = v
        return
    for i in range(n):  # the supports read Cr only, so m can be updated in place
        tot = Cr[i]
        for e in range(ip[i], ip[i + 1]):
            tot += Cr[ii[e]]
        m[i] = strength_step(m[i], tot / (ip[i + 1] - ip[i] + 1), lam, decay)


@jit(**INTERNAL)
def institutions_tick(t, rule, fmap, ip, ii, s, w, ref, P, F, tree, size, counts, gx):
    """After event ``t`` on the general path: at every multiple of ``n`` events (one unit of
    time) a co-evolving institution takes its step and every payoff follows; else nothing."""
    if gx[3][COEV] == 0 or t % s.size != 0:
        return
    institution_step(ip, ii, gx)
    general_payoffs(rule, fmap, ip, ii, s, w, ref, P, F, tree, size, counts, gx)


@jit()
def change_general(x, b, rule, fmap, mode, A, ip, ii, s, w, ref, P, F, tree, size, counts,
                   gx):  # fmt: skip
    """Node ``x`` takes strategy ``b`` on the general path: the base payoffs within one step
    (matrix game) or two (group game: the groups centred on ``x`` and its neighbours) are
    recomputed, then the regime's terms one step further (local means), or everywhere
    (global means)."""
    a = s[x]
    if a == b:
        return
    s[x] = b
    counts[a] -= 1
    counts[b] += 1
    fl = gx[3]
    B = gx[5]
    mark = gx[7]
    buf = gx[8]
    radius = 1 if fl[GAME] == 0 else 2
    nb = ball(x, radius, ip, ii, mark, buf)
    for t in range(nb):
        y = buf[t]
        B[y] = base_payoff(y, mode, A, ip, ii, s, gx)
        if fl[REGIME]:
            node_rates(y, mode, ip, ii, s, gx)
    if fl[REGIME] and fl[GROUPED]:
        if fl[GLOBAL]:
            global_payoffs(s, counts, P, gx)
            for i in range(s.size):
                _set(i, _fitness(P[i], rule, fmap, w, ref), F, tree, size)
            return
        nb = ball(x, radius + 1, ip, ii, mark, buf)
    for t in range(nb):
        y = buf[t]
        P[y] = local_payoff(y, ip, ii, s, gx) if fl[REGIME] else B[y]
        _set(y, _fitness(P[y], rule, fmap, w, ref), F, tree, size)


@jit(**INTERNAL)
def _change(x, b, rule, fmap, mode, A, ip, ii, s, w, ref, P, F, tree, size, counts, gx):
    """Node ``x`` takes strategy ``b``: its payoff sum and its neighbours' are updated
    (:func:`change_general` on the general path)."""
    if _general(gx):
        change_general(x, b, rule, fmap, mode, A, ip, ii, s, w, ref, P, F, tree, size, counts,
                       gx)  # fmt: skip
        return
    a = s[x]
    if a == b:
        return
    s[x] = b
    counts[a] -= 1
    counts[b] += 1
    tot = A[b, b] if mode & GRAPH_SELF else 0.0
    for e in range(ip[x], ip[x + 1]):
        y = ii[e]
        sy = s[y]
        P[y] += A[sy, b] - A[sy, a]
        tot += A[b, sy]
        _set(y, _fitness(_payoff(y, P, ip, mode), rule, fmap, w, ref), F, tree, size)
    P[x] = tot
    _set(x, _fitness(_payoff(x, P, ip, mode), rule, fmap, w, ref), F, tree, size)


@jit(**INTERNAL)
def _offspring(b, k, mu, counter):
    """Strategy ``b`` of a parent, mutated with probability ``mu``; returns it and the
    counter."""
    if mu > 0.0:
        counter += GOLDEN
        if unit_float(counter) < mu:
            counter += GOLDEN
            b = _other(b, k, unit_float(counter))
    return b, counter


@jit(refcount=False)
def event(rule, fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, P, F, tree, size, counts,
          counter, gx):  # fmt: skip
    """One asynchronous event of ``rule`` (BD, DB, IMITATION or FERMI). Returns the counter."""
    n = s.size
    k = counts.size
    if rule == GRAPH_BD:
        counter += GOLDEN
        i = _draw(tree, size, unit_float(counter))
        d = rp[i + 1] - rp[i]
        counter += GOLDEN
        j = ri[rp[i] + _uniform(d, unit_float(counter))]
        b, counter = _offspring(s[i], k, mu, counter)
        _change(j, b, rule, fmap, mode, A, ip, ii, s, w, ref, P, F, tree, size, counts, gx)
    elif rule == GRAPH_DB or rule == GRAPH_IMITATION:
        counter += GOLDEN
        j = _uniform(n, unit_float(counter))
        total = F[j] if rule == GRAPH_IMITATION else 0.0
        for e in range(rp[j], rp[j + 1]):
            total += F[ri[e]]
        counter += GOLDEN
        r = unit_float(counter) * total
        pick = j
        acc = 0.0
        if rule == GRAPH_IMITATION:
            acc = F[j]
        if rule == GRAPH_DB or r >= acc:
            for e in range(rp[j], rp[j + 1]):
                pick = ri[e]
                acc += F[pick]
                if r < acc:
                    break
        b, counter = _offspring(s[pick], k, mu, counter)
        _change(j, b, rule, fmap, mode, A, ip, ii, s, w, ref, P, F, tree, size, counts, gx)
    else:  # GRAPH_FERMI
        counter += GOLDEN
        i = _uniform(n, unit_float(counter))
        mutated = False
        if mu > 0.0:
            counter += GOLDEN
            if unit_float(counter) < mu:
                counter += GOLDEN
                b = _other(s[i], k, unit_float(counter))
                _change(i, b, rule, fmap, mode, A, ip, ii, s, w, ref, P, F, tree, size,
                        counts, gx)  # fmt: skip
                mutated = True
        if not mutated:
            d = rp[i + 1] - rp[i]
            counter += GOLDEN
            j = ri[rp[i] + _uniform(d, unit_float(counter))]
            if s[j] != s[i]:
                p = 1.0 / (1.0 + math.exp(-w * (F[j] - F[i])))
                counter += GOLDEN
                if unit_float(counter) < p:
                    _change(i, s[j], rule, fmap, mode, A, ip, ii, s, w, ref, P, F, tree,
                            size, counts, gx)  # fmt: skip
    return counter


@jit(**INTERNAL)
def _draw_branchless(tree, size, u):
    """:func:`_draw` without a branch per level (the same comparisons and subtractions, so the
    same node): a mispredicted branch on a tree level costs more than the level."""
    r = u * tree[1]
    p = 1
    while p < size:
        left = tree[2 * p]
        right = (r >= left) & (tree[2 * p + 1] > 0.0)
        r = r - left if right else r
        p = 2 * p + (1 if right else 0)
    return p - size


@jit()
def reverse_edges(rp, ri):
    """For every edge ``e`` of the (symmetric, rows sorted) CSR graph ``(rp, ri)`` from ``z`` to
    ``y = ri[e]``: the position of ``z`` in the row of ``y`` (binary search)."""
    n = rp.size - 1
    rev = np.empty(ri.size, np.int64)
    for z in range(n):
        for e in range(rp[z], rp[z + 1]):
            y = ri[e]
            lo = rp[y]
            hi = rp[y + 1]
            while lo < hi:
                mid = (lo + hi) // 2
                if ri[mid] < z:
                    lo = mid + 1
                else:
                    hi = mid
            rev[e] = lo
    return rev


@jit()
def plain_scratch(rule, n, rev):
    """The scratch ``px`` of :func:`advance` for ``n`` nodes and the replacement graph's
    reverse edges ``rev`` (:func:`reverse_edges`): ``(FE, SE, rev, buf, memo, bd)``, where
    ``FE[e]`` and ``SE[e]`` copy the fitness and the strategy of the target of replacement
    edge ``e`` (filled by :func:`fill_scratch`; ``FE`` only for death--birth and imitation),
    so that a node reads its neighbours from one contiguous row; ``buf`` is a node list, ``memo``
    the fitness memo (:func:`_memo_fitness`) and ``bd`` birth--death's sampler state: its bound
    ``M`` and ``1.0`` while it draws from the sum tree."""
    scan = rule == GRAPH_DB or rule == GRAPH_IMITATION
    memo = np.zeros((2, MEMO))
    memo[0, :] = np.nan
    return (np.zeros(rev.size if scan else 0), np.zeros(rev.size, np.int16), rev,
            np.zeros(n + 1, np.int64), memo, np.array([0.0, 1.0 if rule == GRAPH_BD else 0.0]))


@jit(refcount=False)
def fill_scratch(rule, s, F, ri, px):
    """``FE`` and ``SE`` of ``px`` from the strategies ``s`` and fitnesses ``F``, and
    birth--death's sampler reset (the tree, chosen again at the first event)."""
    FE, SE, _, _, _, bd = px
    for e in range(SE.size):
        SE[e] = s[ri[e]]
    for e in range(FE.size):
        FE[e] = F[ri[e]]
    bd[0] = 0.0
    bd[1] = 1.0 if rule == GRAPH_BD else 0.0


@jit(inline="always")
def _change_plain(x, b, rule, fmap, mode, A, ip, ii, rp, s, w, ref, P, F, tree, size, counts,
                  px, use_tree):  # fmt: skip
    """:func:`_change` of the plain path inside :func:`advance`, with the copies in ``px``
    kept. Under the Fermi rule the fitness is the payoff, read from ``P`` when needed, so ``F``
    is not kept. The sum tree of birth--death is updated, when ``use_tree``, level by level
    over the changed leaves, each ancestor once: the same sums as one leaf at a time, every
    node being the sum of its two final children. Returns the largest fitness set (0 under
    the Fermi rule)."""
    FE, SE, rev, buf, memo, _ = px
    a = s[x]
    s[x] = b
    counts[a] -= 1
    counts[b] += 1
    for e in range(rp[x], rp[x + 1]):
        SE[rev[e]] = b
    tot = A[b, b] if mode & GRAPH_SELF else 0.0
    m = 0
    placed = False
    top = 0.0
    for e in range(ip[x], ip[x + 1]):
        y = ii[e]
        sy = s[y]
        P[y] += A[sy, b] - A[sy, a]
        tot += A[b, sy]
        if rule != GRAPH_FERMI:
            f = _memo_fitness(_payoff(y, P, ip, mode), fmap, w, ref, memo)
            F[y] = f
            for q in range(rp[y], rp[y + 1] if FE.size > 0 else rp[y]):
                FE[rev[q]] = f
            top = max(top, f)
            if use_tree:  # the changed leaves in increasing order (rows are sorted)
                if not placed and y > x:
                    buf[m] = size + x
                    m += 1
                    placed = True
                buf[m] = size + y
                m += 1
    P[x] = tot
    if rule != GRAPH_FERMI:
        f = _memo_fitness(_payoff(x, P, ip, mode), fmap, w, ref, memo)
        F[x] = f
        for q in range(rp[x], rp[x + 1] if FE.size > 0 else rp[x]):
            FE[rev[q]] = f
        top = max(top, f)
    if use_tree:
        if not placed:
            buf[m] = size + x
            m += 1
        for t in range(m):
            tree[buf[t]] = F[buf[t] - size]
        while buf[0] > 1:
            m2 = 0
            prev = -1
            for t in range(m):
                p = buf[t] >> 1
                if p != prev:
                    tree[p] = tree[2 * p] + tree[2 * p + 1]
                    buf[m2] = p
                    m2 += 1
                    prev = p
            m = m2
    return top


@jit(refcount=False, **INTERNAL)
def advance_fermi(fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, P, F, tree, size, counts,
                  px, counter, t, stop_at, stop_on_fixation):  # fmt: skip
    """:func:`advance` of the Fermi rule."""
    FE, SE, _, _, _, bd = px
    n = s.size
    k = counts.size
    if stop_on_fixation:
        for q in range(k):
            if counts[q] == n:
                return t, counter
    while t < stop_at:
        t += 1
        counter += GOLDEN
        i = _uniform(n, unit_float(counter))
        a = s[i]
        b = a
        if mu > 0.0:
            counter += GOLDEN
            if unit_float(counter) < mu:
                counter += GOLDEN
                b = _other(a, k, unit_float(counter))
        if b == a:
            lo = rp[i]
            counter += GOLDEN
            e = lo + _uniform(rp[i + 1] - lo, unit_float(counter))
            if SE[e] == a:
                continue
            j = ri[e]
            p = 1.0 / (1.0 + math.exp(-w * (_payoff(j, P, ip, mode)
                                            - _payoff(i, P, ip, mode))))
            counter += GOLDEN
            if unit_float(counter) >= p:
                continue
            b = SE[e]
        _change_plain(i, b, GRAPH_FERMI, fmap, mode, A, ip, ii, rp, s, w, ref, P, F, tree, size,
                      counts, px, False)  # fmt: skip
        if stop_on_fixation and counts[b] == n:
            break
    return t, counter


@jit(refcount=False, **INTERNAL)
def advance_bd(fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, P, F, tree, size, counts,
               px, counter, t, stop_at, stop_on_fixation):  # fmt: skip
    """:func:`advance` of birth--death (its parent drawn by rejection)."""
    FE, SE, _, _, _, bd = px
    n = s.size
    k = counts.size
    if stop_on_fixation:
        for q in range(k):
            if counts[q] == n:
                return t, counter
    # The parent is drawn by rejection: a uniform node, kept with probability F / M for
    # an upper bound M of the fitnesses (exactly proportional to fitness, and no sum tree
    # to keep up to date), unless the fitnesses are so uneven that fewer than REJECT of
    # the tries would succeed; then from the sum tree. At every multiple of n events M
    # is set to the largest fitness and the sampler chosen again (so a run does not
    # depend on where it is cut into calls); in between M only grows with new fitnesses.
    M = bd[0]
    use_tree = bd[1] != 0.0
    check = (t // n) * n
    if check < t:
        check += n
    while t < stop_at:
        if t == check:
            check += n
            total = 0.0
            M = 0.0
            for y in range(n):
                total += F[y]
                M = max(M, F[y])
            want = total < REJECT * n * M
            if want and not use_tree:
                _fill_tree(F, tree, size)
            use_tree = want
        t += 1
        if use_tree:
            counter += GOLDEN
            i = _draw_branchless(tree, size, unit_float(counter))
        else:
            while True:
                counter += GOLDEN
                i = _uniform(n, unit_float(counter))
                counter += GOLDEN
                if unit_float(counter) * M < F[i]:
                    break
        lo = rp[i]
        counter += GOLDEN
        e = lo + _uniform(rp[i + 1] - lo, unit_float(counter))
        b, counter = _offspring(s[i], k, mu, counter)
        if b == SE[e]:
            continue
        top = _change_plain(ri[e], b, GRAPH_BD, fmap, mode, A, ip, ii, rp, s, w, ref, P, F,
                            tree, size, counts, px, use_tree)  # fmt: skip
        M = max(M, top)
        if stop_on_fixation and counts[b] == n:
            break
    bd[0] = M
    bd[1] = 1.0 if use_tree else 0.0
    return t, counter


@jit(refcount=False, **INTERNAL)
def advance_scan(rule, fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, P, F, tree, size, counts,
                 px, counter, t, stop_at, stop_on_fixation):  # fmt: skip
    """:func:`advance` of death--birth and imitation (``rule``)."""
    FE, SE, _, _, _, bd = px
    n = s.size
    k = counts.size
    if stop_on_fixation:
        for q in range(k):
            if counts[q] == n:
                return t, counter
    imitation = rule == GRAPH_IMITATION
    while t < stop_at:
        t += 1
        counter += GOLDEN
        j = _uniform(n, unit_float(counter))
        lo = rp[j]
        hi = rp[j + 1]
        own = F[j] if imitation else 0.0
        total = own
        for e in range(lo, hi):
            total += FE[e]
        counter += GOLDEN
        r = unit_float(counter) * total
        # :func:`event`'s scan picks the first candidate whose running sum exceeds r (the
        # last when rounding leaves none): after as many as have running sums <= r
        a = s[j]
        c = a
        if not imitation or r >= own:
            acc = own
            at = lo
            for e in range(lo, hi - 1):
                acc += FE[e]
                at += 1 if acc <= r else 0
            c = SE[at]
        b, counter = _offspring(c, k, mu, counter)
        if b == a:
            continue
        _change_plain(j, b, rule, fmap, mode, A, ip, ii, rp, s, w, ref, P, F, tree, size,
                      counts, px, False)  # fmt: skip
        if stop_on_fixation and counts[b] == n:
            break
    return t, counter


@jit()
def advance(rule, fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, P, F, tree, size, counts, px,
            counter, t, stop_at, stop_on_fixation):  # fmt: skip
    """Events of ``rule`` (BD, DB, IMITATION or FERMI) on the plain path (a matrix game
    without a regime) from event ``t`` until ``stop_at``, or until one strategy holds every
    node when ``stop_on_fixation``, in one loop without calls or a fixation scan per event;
    ``px`` is the scratch of :func:`plain_scratch`, filled (:func:`fill_scratch`). Returns
    ``(t, counter)``.

    Death--birth, imitation and the Fermi rule make the same draws, choices and changes as
    :func:`event` once per event (bit for bit); death--birth and imitation read the
    neighbours' fitnesses from ``FE`` and choose without a branch per neighbour. Birth--death
    draws its parent by rejection (:data:`REJECT`), so its runs differ from :func:`event`'s
    (the same process: every draw exactly proportional to fitness).
    """
    args = (fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, P, F, tree, size, counts, px,
            counter, t, stop_at, stop_on_fixation)  # fmt: skip
    if rule == GRAPH_FERMI:
        return advance_fermi(*args)
    if rule == GRAPH_BD:
        return advance_bd(*args)
    return advance_scan(rule, *args)


@jit(**INTERNAL)
def best_round(mode, A, ip, ii, rp, ri, s, mu, P, F, counts, new, counter, gx):
    """One synchronous round of imitating the best (Nowak & May 1992), then mutation; the
    state recomputed from scratch. Returns ``(changed, counter)``."""
    n = s.size
    k = counts.size
    for i in range(n):
        best = F[i]
        b = s[i]
        for e in range(rp[i], rp[i + 1]):
            j = ri[e]
            if F[j] > best:
                best = F[j]
                b = s[j]
        new[i] = b
    if mu > 0.0:
        for i in range(n):
            counter += GOLDEN
            if unit_float(counter) < mu:
                counter += GOLDEN
                new[i] = _other(new[i], k, unit_float(counter))
    changed = False
    for i in range(n):
        if new[i] != s[i]:
            changed = True
            s[i] = new[i]
    if changed:
        init_state(GRAPH_BEST, 0, mode, A, ip, ii, s, 0.0, 0.0, P, F, np.empty(0), 1, counts, gx)
    return changed, counter


@jit(**INTERNAL)
def _record(record_at, r, t, counts, out, s, snapshots, m, mout):
    """Rows recorded at ``t`` (every row left when ``t < 0``) get ``counts`` (and the node
    states ``s``, when ``snapshots`` has rows; the mean institution strength ``m``, when
    ``mout`` has entries)."""
    while r < record_at.size and (t < 0 or record_at[r] == t):
        for q in range(counts.size):
            out[r, q] = counts[q]
        if mout.size > 0:
            tot = 0.0
            for i in range(m.size):
                tot += m[i]
            mout[r] = tot / m.size
        if snapshots.shape[0] > 0:
            for i in range(s.size):
                snapshots[r, i] = s[i]
        r += 1
    return r


@jit()
def simulate(rule, fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, record_at,
             stop_on_fixation, counter, out, snapshots, mout, strengths, G, R, Cb, fl,
             D):  # fmt: skip
    """Run ``record_at[-1]`` generations (events, or synchronous rounds under ``GRAPH_BEST``) from
    the strategies ``s`` (changed in place: the final state), recording the counts of each
    strategy at ``record_at`` into ``out`` (len(record_at), k), and every node's strategy into
    ``snapshots`` (len(record_at), n) when it has rows (int8; ``(0, n)``: none kept).

    Returns ``(generations, winner)``: generations run (fewer when the population fixed and
    ``stop_on_fixation``, or, under ``GRAPH_BEST`` without mutation, reached a state that no longer
    changes) and the strategy holding every node (-1 if none).

    ``G, R, Cb, fl, D`` are the general path's model (:func:`extension`; empty arrays and
    zero flags for a matrix game without a regime). The plain path (a matrix game without a
    regime, under BD, DB, IMITATION or FERMI, at most :data:`MAX_FAST_K` strategies) runs
    faster in :func:`simulate_plain`, whose results are the same. With a co-evolving institution
    (``fl[COEV]``) the strengths take one step of their law every ``n`` events (every round
    under ``GRAPH_BEST``, whose fixed points then no longer end the run), their mean is
    recorded into ``mout`` (len(record_at); empty: none kept) and their final values go to
    ``strengths`` (n, when it has entries).
    """
    n = s.size
    k = out.shape[1]
    counter = np.uint64(counter)
    P = np.empty(n)
    F = np.empty(n)
    size = tree_size(n)
    tree = np.zeros(2 * size) if rule == GRAPH_BD else np.zeros(0)
    counts = np.zeros(k, np.int64)
    new = np.empty(n, np.int64)
    gx = extension(G, R, Cb, fl, D, n, k)
    init_state(rule, fmap, mode, A, ip, ii, s, w, ref, P, F, tree, size, counts, gx)
    total = record_at[record_at.size - 1]
    r = _record(record_at, 0, 0, counts, out, s, snapshots, gx[11], mout)
    t = 0
    winner = -1
    while t < total:
        winner = -1
        for q in range(k):
            if counts[q] == n:
                winner = q
        if winner >= 0 and stop_on_fixation:
            break
        if rule == GRAPH_BEST:
            changed, counter = best_round(mode, A, ip, ii, rp, ri, s, mu, P, F, counts, new,
                                          counter, gx)  # fmt: skip
            if fl[COEV]:
                institution_step(ip, ii, gx)
                general_payoffs(GRAPH_BEST, 0, ip, ii, s, 0.0, 0.0, P, F, tree, size, counts,
                                gx)  # fmt: skip
            elif not changed and mu == 0.0:
                t += 1
                r = _record(record_at, r, t, counts, out, s, snapshots, gx[11], mout)
                break
        else:
            counter = event(rule, fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, P, F, tree,
                            size, counts, counter, gx)  # fmt: skip
        t += 1
        if rule != GRAPH_BEST:
            institutions_tick(t, rule, fmap, ip, ii, s, w, ref, P, F, tree, size, counts, gx)
        r = _record(record_at, r, t, counts, out, s, snapshots, gx[11], mout)
    _record(record_at, r, -1, counts, out, s, snapshots, gx[11], mout)
    winner = -1
    for q in range(k):
        if counts[q] == n:
            winner = q
    for i in range(strengths.size):
        strengths[i] = gx[11][i]
    return t, winner


def simulate_plain(rule, fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, record_at,
                   stop_on_fixation, counter, out, snapshots):  # fmt: skip
    """:func:`simulate` of the plain path (a matrix game without a regime; ``rule`` BD, DB,
    IMITATION or FERMI; at most :data:`MAX_FAST_K` strategies), in the fast loop of the rule
    (:func:`advance`). Called from Python, it compiles only that rule's loop. Returns the
    generations run (the winner, if any, holds every node in the last row of ``out``).

    The state is allocated here, in Python: a compiled function that only allocates costs
    seconds of compile (docs/performance.md)."""
    n = s.size
    P = np.empty(n)
    F = np.empty(n)
    size = tree_size(n)
    tree = np.zeros(2 * size) if rule == GRAPH_BD else np.zeros(0)
    counts = np.zeros(out.shape[1], np.int64)
    init_plain(rule, fmap, mode, A, ip, ii, s, w, ref, P, F, tree, size, counts)
    px = plain_scratch(rule, n, reverse_edges(rp, ri))
    fill_scratch(rule, s, F, ri, px)
    state = (P, F, tree, size, counts, px, np.zeros(0))
    if rule == GRAPH_FERMI:
        return simulate_fermi(fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, record_at,
                              stop_on_fixation, counter, out, snapshots, state)  # fmt: skip
    if rule == GRAPH_BD:
        return simulate_bd(fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, record_at,
                           stop_on_fixation, counter, out, snapshots, state)  # fmt: skip
    return simulate_scan(rule, fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, record_at,
                         stop_on_fixation, counter, out, snapshots, state)  # fmt: skip


@jit(refcount=False)
def simulate_fermi(fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, record_at, stop_on_fixation,
                   counter, out, snapshots, state):  # fmt: skip
    """:func:`simulate_plain` under the Fermi rule, from its ``state``."""
    P, F, tree, size, counts, px, none = state
    counter = np.uint64(counter)
    r = _record(record_at, 0, 0, counts, out, s, snapshots, none, none)
    t = 0
    while t < record_at[record_at.size - 1]:
        target = record_at[r]
        t, counter = advance_fermi(fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, P, F, tree,
                                   size, counts, px, counter, t, target,
                                   stop_on_fixation)  # fmt: skip
        r = _record(record_at, r, t, counts, out, s, snapshots, none, none)
        if t < target:  # the population fixed
            break
    _record(record_at, r, -1, counts, out, s, snapshots, none, none)
    return t


@jit(refcount=False)
def simulate_bd(fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, record_at, stop_on_fixation,
                counter, out, snapshots, state):  # fmt: skip
    """:func:`simulate_plain` under birth--death, from its ``state``."""
    P, F, tree, size, counts, px, none = state
    counter = np.uint64(counter)
    r = _record(record_at, 0, 0, counts, out, s, snapshots, none, none)
    t = 0
    while t < record_at[record_at.size - 1]:
        target = record_at[r]
        t, counter = advance_bd(fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, P, F, tree,
                                size, counts, px, counter, t, target,
                                stop_on_fixation)  # fmt: skip
        r = _record(record_at, r, t, counts, out, s, snapshots, none, none)
        if t < target:  # the population fixed
            break
    _record(record_at, r, -1, counts, out, s, snapshots, none, none)
    return t


@jit(refcount=False)
def simulate_scan(rule, fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, record_at,
                  stop_on_fixation, counter, out, snapshots, state):  # fmt: skip
    """:func:`simulate_plain` under death--birth or imitation (``rule``), from its
    ``state``."""
    P, F, tree, size, counts, px, none = state
    counter = np.uint64(counter)
    r = _record(record_at, 0, 0, counts, out, s, snapshots, none, none)
    t = 0
    while t < record_at[record_at.size - 1]:
        target = record_at[r]
        t, counter = advance_scan(rule, fmap, mode, A, ip, ii, rp, ri, s, w, mu, ref, P, F,
                                  tree, size, counts, px, counter, t, target,
                                  stop_on_fixation)  # fmt: skip
        r = _record(record_at, r, t, counts, out, s, snapshots, none, none)
        if t < target:  # the population fixed
            break
    _record(record_at, r, -1, counts, out, s, snapshots, none, none)
    return t


@jit(parallel=True)
def fixation(rule, fmap, mode, A, ip, ii, rp, ri, w, ref, runs, start_node, key,
             max_events, fixed, times, G, R, Cb, fl, D):  # fmt: skip
    """Fixation runs of one mutant (strategy 0 of the 2 x 2 ``A``) among residents (1).

    Run ``r`` draws from the stream ``stream_key(key, r, 0)``: the mutant starts at
    ``start_node`` (a uniformly chosen node when negative) and events run until it holds every
    node (``fixed[r] = 1``), is lost (``0``) or ``max_events`` pass (``-1``); ``times[r]`` is
    the number of events. Runs go in chunks of :data:`RUNS_PER_CHUNK` over the threads, each
    chunk with its own state arrays. ``G, R, Cb, fl, D``: the general path's model
    (:func:`simulate`; a co-evolving institution restarts every run at its initial strength
    and steps every ``n`` events). This is the general path, one :func:`event` at a time;
    the plain path (a matrix game without a regime) runs faster in :func:`fixation_plain`.
    """
    n = ip.size - 1
    size = tree_size(n)
    use_tree = rule == GRAPH_BD
    s0 = np.ones(n, np.int64)
    P0 = np.empty(n)
    F0 = np.empty(n)
    tree0 = np.zeros(2 * size) if use_tree else np.zeros(0)
    counts0 = np.zeros(2, np.int64)
    gx0 = extension(G, R, Cb, fl, D, n, 2)
    init_state(rule, fmap, mode, A, ip, ii, s0, w, ref, P0, F0, tree0, size, counts0, gx0)
    chunks = (runs + RUNS_PER_CHUNK - 1) // RUNS_PER_CHUNK
    for c in prange(chunks):
        s = np.empty(n, np.int64)
        P = np.empty(n)
        F = np.empty(n)
        tree = np.empty(tree0.size)
        counts = np.empty(2, np.int64)
        gx = extension(G, R, Cb, fl, D, n, 2)
        for run in range(c * RUNS_PER_CHUNK, min(runs, (c + 1) * RUNS_PER_CHUNK)):
            s[:] = s0
            P[:] = P0
            F[:] = F0
            tree[:] = tree0
            counts[:] = counts0
            gx[5][:] = gx0[5]
            gx[6][:] = gx0[6]
            gx[11][:] = gx0[11]
            gx[12][:] = gx0[12]
            counter = stream_key(key, run, 0)
            node = start_node
            if node < 0:
                counter += GOLDEN
                node = _uniform(n, unit_float(counter))
            t = 0
            _change(node, 0, rule, fmap, mode, A, ip, ii, s, w, ref, P, F, tree, size, counts,
                    gx)  # fmt: skip
            while counts[0] > 0 and counts[0] < n and t < max_events:
                counter = event(rule, fmap, mode, A, ip, ii, rp, ri, s, w, 0.0, ref, P, F,
                                tree, size, counts, counter, gx)  # fmt: skip
                t += 1
                institutions_tick(t, rule, fmap, ip, ii, s, w, ref, P, F, tree, size, counts,
                                  gx)  # fmt: skip
            fixed[run] = 1 if counts[0] == n else (0 if counts[0] == 0 else -1)
            times[run] = t


def _plain_fixation(rule):
    """:func:`fixation` of the plain path compiled for one update rule: ``rule`` is a constant
    here (a closure's cell), so numba compiles that rule's loop alone, and the cache keeps one
    entry per rule (numba keys a closure by its cells' values)."""

    def runs_of(fmap, mode, A, ip, ii, rp, ri, w, ref, runs, start_node, key, max_events,
                fixed, times, s0, P0, F0, tree0, counts0, rev):  # fmt: skip
        n = s0.size
        size = tree_size(n)
        use_tree = rule == GRAPH_BD
        chunks = (runs + RUNS_PER_CHUNK - 1) // RUNS_PER_CHUNK
        for c in prange(chunks):
            s = np.empty(n, np.int64)
            P = np.empty(n)
            F = np.empty(n)
            tree = np.empty(tree0.size)
            counts = np.empty(2, np.int64)
            px = plain_scratch(rule, n, rev)
            for run in range(c * RUNS_PER_CHUNK, min(runs, (c + 1) * RUNS_PER_CHUNK)):
                s[:] = s0
                P[:] = P0
                F[:] = F0
                tree[:] = tree0
                counts[:] = counts0
                counter = stream_key(key, run, 0)
                node = start_node
                if node < 0:
                    counter += GOLDEN
                    node = _uniform(n, unit_float(counter))
                fill_scratch(rule, s, F, ri, px)
                _change_plain(node, 0, rule, fmap, mode, A, ip, ii, rp, s, w, ref, P, F, tree,
                              size, counts, px, use_tree)  # fmt: skip
                if rule == GRAPH_FERMI:
                    t, counter = advance_fermi(fmap, mode, A, ip, ii, rp, ri, s, w, 0.0, ref, P,
                                               F, tree, size, counts, px, counter, 0,
                                               max_events, True)  # fmt: skip
                elif rule == GRAPH_BD:
                    t, counter = advance_bd(fmap, mode, A, ip, ii, rp, ri, s, w, 0.0, ref, P, F,
                                            tree, size, counts, px, counter, 0, max_events,
                                            True)  # fmt: skip
                else:
                    t, counter = advance_scan(rule, fmap, mode, A, ip, ii, rp, ri, s, w, 0.0,
                                              ref, P, F, tree, size, counts, px, counter, 0,
                                              max_events, True)  # fmt: skip
                fixed[run] = 1 if counts[0] == n else (0 if counts[0] == 0 else -1)
                times[run] = t

    return jit(parallel=True)(runs_of)


_PLAIN_FIXATION = {rule: _plain_fixation(rule)
                   for rule in (GRAPH_BD, GRAPH_DB, GRAPH_IMITATION, GRAPH_FERMI)}


def fixation_plain(rule, fmap, mode, A, ip, ii, rp, ri, w, ref, runs, start_node, key,
                   max_events, fixed, times):  # fmt: skip
    """:func:`fixation` of the plain path (a matrix game without a regime; ``rule`` BD, DB,
    IMITATION or FERMI), each run in the fast loop of its rule (:func:`advance`). The
    residents' state is computed here, in Python; the runs go to the kernel compiled for
    ``rule`` alone (:func:`_plain_fixation`)."""
    n = ip.size - 1
    size = tree_size(n)
    s0 = np.ones(n, np.int64)
    P0 = np.empty(n)
    F0 = np.empty(n)
    tree0 = np.zeros(2 * size) if rule == GRAPH_BD else np.zeros(0)
    counts0 = np.zeros(2, np.int64)
    init_plain(rule, fmap, mode, A, ip, ii, s0, w, ref, P0, F0, tree0, size, counts0)
    _PLAIN_FIXATION[rule](fmap, mode, A, ip, ii, rp, ri, w, ref, runs, start_node, key,
                          max_events, fixed, times, s0, P0, F0, tree0, counts0,
                          reverse_edges(rp, ri))  # fmt: skip
