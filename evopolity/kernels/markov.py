"""Exact expected payoffs of two automata: their product is a Markov chain.

A product state is ``(s_i, s_j)``. With noise ``e``, player ``i`` cooperates with probability
``q_i = p_i(s_i)(1 - 2e) + e`` and the four outcomes ``(a, b)`` lead to
``(next_i[s_i, a, b], next_j[s_j, b, a])``. Only the product states reachable from the initial
one are built. With ``r(s)`` the expected stage payoff in state ``s`` and ``pi_0`` the initial
distribution, the per-turn payoffs are

* ``turns = T``: ``(1/T) sum_{t<T} pi_0 P^t r``;
* continuation ``delta = 1 - prob_end`` (geometric length): ``prob_end * pi_0 (I - delta P)^-1 r``,
  the expected total payoff over the expected length ``1 / prob_end``, computed as the
  stationary distribution of the restart chain ``delta P + prob_end 1 pi_0`` (GTH), which
  stays accurate for any ``prob_end > 0`` and tends to the limit of means as it goes to 0;
* limit of means: the Cesaro limit ``lim (1/T) sum_{t<T} pi_0 P^t r``, which is the stationary
  distribution of each closed communicating class weighted by the probability of being absorbed
  into it (any number of classes; periodic classes included).

Stationary distributions use the GTH algorithm (:mod:`kernels.gth`), which has no
subtractions and is accurate for nearly decomposable chains (small noise). A state has at most
four successors, so the chains are solved sparsely (:func:`kernels.gth.gth_sparse`): only
nonzeros and their fill-in are visited.

**Memory-one pairs.** When neither automaton's next state depends on its current state (a
memory-one strategy: state 0 for the first round, then one state per outcome), the product
state after round 0 is a function of the last outcome ``o = 2a + b`` alone. The chain is then
built directly over five states, the start and the four outcomes, without the search for
reachable states (:func:`memory_one_chain`), and with noise (every outcome possible) its limit
of means is the stationary distribution of the 4 x 4 outcome chain, eliminated by hand
(:func:`memory_one_limit`). Under sanctions, without noise, or with another length, the five
states go to the general solvers.

**Work arrays.** :func:`exact_pairs` splits the pairs into a fixed number of chunks (the
results do not depend on the number of threads), and each chunk allocates its work arrays once
and hands them to every pair's solve (:func:`solve_chain`), growing the sparse matrix only
when a pair's chain is larger than any before it: a pair allocates nothing.

A pair's row has the first ``N_EXACT_OUT`` columns of a simulated match's
(:mod:`kernels.codes`): payoffs and cooperation rates of both players.

**Sanctions inside the match** (:mod:`kernels.sanctions`): a norm judges a move by the previous
round's moves, so the expected sanction of round ``t + 1`` is a linear function of the joint
distribution over (the moves of round ``t``, the state of round ``t + 1``), and that is a
function of the state of round ``t``: with ``g(o, s')`` the expected sanction in state ``s'``
after joint move ``o``,

    ``h(s) = sum_o P(s, o) g(o, succ(s, o))``

is the expected sanction of the round *after* one in state ``s``. The chain stays the product
of the automata (no previous moves in its states): the sanction columns of ``values`` hold
``h``, and the solvers read them one round late, ``g0 = g(FIRST_ROUND, s_0)`` standing in for
round 0. Over ``T`` rounds with weights ``delta^t`` the total is ``g0 + delta sum_{t<T-1}
delta^t pi_0 P^t h``; with a geometric length, ``prob_end g0 + delta mu h`` per turn; in the
limit of means the first round vanishes and ``h`` averages as any state value. The payoffs net
of sanctions follow, sanctions being linear in the fines.
"""

import numpy as np
from numba import prange

from evopolity.kernels._jit import jit
from evopolity.kernels.codes import (  # noqa: F401 - LIMIT_OF_MEANS: the callers' code
    COOP_I,
    COOP_J,
    FINE_I,
    FINE_J,
    FIRST_ROUND,
    LIMIT_OF_MEANS,
    N_EXACT_OUT,
    N_SANCTIONED_EXACT_OUT,
    PAYOFF_I,
    PAYOFF_J,
    REWARD_I,
    REWARD_J,
)
from evopolity.kernels.gth import gth_sparse, sparse_add

# rows of the integer work array ``iw`` (each ``cap`` long, ``cap`` >= the product of the two
# automata's sizes): the search's index of product states, the states found, Tarjan's
# arrays, and the limit of means' bookkeeping
I_INDEX, I_STATE_I, I_STATE_J, I_COMP, I_ORDER, I_LOW, I_ON_STACK, I_STACK = range(8)
I_CALL_STATE, I_CALL_EDGE, I_POSITION, I_TRANSIENT, I_LOCAL, I_NODE = range(8, 14)
N_IW = 14
# rows of the float work array ``fw``: the distributions of the series, a stationary
# distribution, the absorption masses of the closed classes
F_DIST, F_NEW, F_MU, F_MASS = range(4)
N_FW = 4
# ``small``: round 0's next-round values (sanctions) from 0, the series' sums from 4
N_SMALL = 12
N_CHUNKS = 64  # chunks of pairs in exact_pairs: enough for any thread count to share evenly
# estimated one-thread time (ns) from which exact_pairs_auto solves on threads: waking a
# parallel region costs ~8 ms on a busy machine (docs/performance.md), and a parallel kernel
# never called is never compiled (exact_pairs alone is a third of the solver's cold compile)
PARALLEL_NS = 20e6
# one-thread costs measured on the library's strategies and on random memory-one ones: a
# memory-one pair in the limit of means (the 4-state closed form), and a product state of the
# general solvers (a chain of n_i n_j states at most; a fixed length adds its rounds)
FAST_PAIR_NS = 75.0
STATE_NS = 250.0
STATE_ROUND_NS = 10.0
MEMORY_ONE_STATES = 5  # the start and one state per outcome


@jit()
def work_arrays(cap, n_col):
    """The per-chunk work arrays of :func:`solve_chain` for chains of at most ``cap`` states,
    views of two allocations: ``(iw, fw, succ, prob, values, defect, small)``;
    ``iw[I_INDEX]`` starts at -1 (the search leaves it so)."""
    ints = np.empty((N_IW + 4) * cap, np.int64)
    floats = np.zeros((N_FW + 4 + 2 + n_col) * cap + N_SMALL, np.float64)
    iw = ints[: N_IW * cap].reshape((N_IW, cap))
    iw[I_INDEX, :] = -1
    succ = ints[N_IW * cap :].reshape((cap, 4))
    succ[:, :] = 0
    fw = floats[: N_FW * cap].reshape((N_FW, cap))
    at = N_FW * cap
    prob = floats[at : at + 4 * cap].reshape((cap, 4))
    at += 4 * cap
    defect = floats[at : at + 2 * cap].reshape((cap, 2))
    at += 2 * cap
    values = floats[at : at + n_col * cap].reshape((cap, n_col))
    at += n_col * cap
    small = floats[at : at + N_SMALL]
    return iw, fw, succ, prob, values, defect, small


@jit()
def sparse_arrays(S):
    """A sparse matrix of :func:`kernels.gth.gth_sparse` for up to ``S`` states, empty, in
    two allocations: ``(val, rows, cols, lens)`` with ``lens[0]`` the row lengths and
    ``lens[1]`` the column lengths."""
    ints = np.empty(2 * S * S + 2 * S, np.int64)
    lens = ints[2 * S * S :].reshape((2, S))
    lens[:, :] = 0
    return (np.zeros((S, S), np.float64), ints[: S * S].reshape((S, S)),
            ints[S * S : 2 * S * S].reshape((S, S)), lens)  # fmt: skip


@jit(refcount=False)
def build_chain(
    p_coop, next_state, off_i, off_j, n_i, n_j, payoff, noise, index, state_i, state_j, succ,
    prob, values, defect,
):
    """Reachable product chain of two automata into the work arrays; returns its size ``n``.

    ``succ[s, o]`` and ``prob[s, o]`` are the successor and probability of outcome ``o = 2a +
    b``; ``values[s]`` = expected (payoff_i, payoff_j, coop_i, coop_j) of a round in state
    ``s`` (the other columns 0); ``defect[s]`` the two defection probabilities; states
    ``0..n-1`` with ``0`` the initial state. ``index`` (at least ``n_i n_j`` long) must hold
    -1 everywhere, and does again on return.
    """
    n_col = values.shape[1]
    index[0] = 0
    state_i[0] = 0
    state_j[0] = 0
    n = 1
    head = 0
    flip = 1.0 - 2.0 * noise
    while head < n:
        si = state_i[head]
        sj = state_j[head]
        # both the cooperation and the defection probability are computed from p, never as
        # 1 - q: with small noise 1 - q would cancel and lose digits in the rare outcomes
        qi = p_coop[off_i + si] * flip + noise
        qj = p_coop[off_j + sj] * flip + noise
        di = (1.0 - p_coop[off_i + si]) * flip + noise
        dj = (1.0 - p_coop[off_j + sj]) * flip + noise
        for c in range(n_col):
            values[head, c] = 0.0
        values[head, COOP_I] = qi
        values[head, COOP_J] = qj
        defect[head, 0] = di
        defect[head, 1] = dj
        for a in range(2):
            pa = qi if a == 0 else di
            for b in range(2):
                pb = qj if b == 0 else dj
                o = 2 * a + b
                p = pa * pb
                # packed next-state entries are rows; back to local state numbers
                ti = next_state[off_i + si, a, b] - off_i
                tj = next_state[off_j + sj, b, a] - off_j
                flat = ti * n_j + tj
                if p > 0.0 and index[flat] < 0:
                    index[flat] = n
                    state_i[n] = ti
                    state_j[n] = tj
                    n += 1
                succ[head, o] = index[flat] if p > 0.0 else head
                prob[head, o] = p
                values[head, PAYOFF_I] += p * payoff[a, b]
                values[head, PAYOFF_J] += p * payoff[b, a]
        head += 1
    for s in range(n):
        index[state_i[s] * n_j + state_j[s]] = -1
    return n


@jit()
def product_chain(p_coop, next_state, off_i, off_j, n_i, n_j, payoff, noise, n_col):
    """:func:`build_chain` into arrays of its own: ``(n, succ, prob, values, defect)``."""
    cap = n_i * n_j
    iw, fw, succ, prob, values, defect, small = work_arrays(cap, n_col)
    n = build_chain(p_coop, next_state, off_i, off_j, n_i, n_j, payoff, noise, iw[I_INDEX],
                    iw[I_STATE_I], iw[I_STATE_J], succ, prob, values, defect)  # fmt: skip
    return n, succ[:n], prob[:n], values[:n], defect[:n]


@jit(inline="always")
def memory_one_shaped(next_state, off, size):
    """Whether an automaton's next state depends only on the round's outcome, never on its
    current state (a memory-one strategy, minimised or not)."""
    for s in range(1, size):
        for a in range(2):
            for b in range(2):
                if next_state[off + s, a, b] != next_state[off, a, b]:
                    return False
    return True


@jit(refcount=False)
def memory_one_chain(p_coop, next_state, off_i, off_j, payoff, noise, succ, prob, values,
                     defect):  # fmt: skip
    """The chain of two memory-one-shaped automata over five states (the start, then one
    state per last outcome ``o``: state ``1 + o``), as :func:`build_chain` fills it.

    It is the product chain with its states lumped by the last outcome (two outcomes that
    lead to the same pair of states give two copies of it), so every solver gives the same
    values on it. Returns 5.
    """
    n_col = values.shape[1]
    flip = 1.0 - 2.0 * noise
    for s in range(MEMORY_ONE_STATES):
        si = 0
        sj = 0
        if s > 0:
            a = (s - 1) // 2
            b = (s - 1) % 2
            si = next_state[off_i, a, b] - off_i
            sj = next_state[off_j, b, a] - off_j
        qi = p_coop[off_i + si] * flip + noise
        qj = p_coop[off_j + sj] * flip + noise
        di = (1.0 - p_coop[off_i + si]) * flip + noise
        dj = (1.0 - p_coop[off_j + sj]) * flip + noise
        for c in range(n_col):
            values[s, c] = 0.0
        values[s, COOP_I] = qi
        values[s, COOP_J] = qj
        defect[s, 0] = di
        defect[s, 1] = dj
        pay_i = 0.0
        pay_j = 0.0
        for o in range(4):
            p = (qi if o < 2 else di) * (qj if o % 2 == 0 else dj)
            succ[s, o] = 1 + o
            prob[s, o] = p
            pay_i += p * payoff[o // 2, o % 2]
            pay_j += p * payoff[o % 2, o // 2]
        values[s, PAYOFF_I] = pay_i
        values[s, PAYOFF_J] = pay_j
    return MEMORY_ONE_STATES


@jit(refcount=False)
def memory_one_limit(after, i, j, payoff, out, row):
    """The limit of means of two memory-one-shaped automata ``i``, ``j`` without sanctions:
    the 4 x 4 outcome chain (states 1..4 of :func:`memory_one_chain`; with every transition
    positive it is one aperiodic closed class) eliminated by hand (GTH, the states 3, 2 then
    1) into ``out[row, :N_EXACT_OUT]`` (the row by its number: a view of it would cost two
    atomic reference counts a pair). ``after`` holds each automaton's cooperation and
    defection probabilities after each outcome (:func:`pair_setup`). In the stationary regime
    the outcome distribution ``w`` gives the round's payoffs and cooperation directly. Returns
    False, leaving ``out`` alone, if a transition is zero (the general solvers take it)."""
    # i after outcome o = (a, b); j sees it as (b, a)
    i0, i1, i2, i3 = after[i, 0], after[i, 1], after[i, 2], after[i, 3]
    e0, e1, e2, e3 = after[i, 4], after[i, 5], after[i, 6], after[i, 7]
    j0, j1, j2, j3 = after[j, 0], after[j, 2], after[j, 1], after[j, 3]
    f0, f1, f2, f3 = after[j, 4], after[j, 6], after[j, 5], after[j, 7]
    q01, q02, q03 = i0 * f0, e0 * j0, e0 * f0
    q10, q12, q13 = i1 * j1, e1 * j1, e1 * f1
    q20, q21, q23 = i2 * j2, i2 * f2, e2 * f2
    q30, q31, q32 = i3 * j3, i3 * f3, e3 * j3
    if not (q01 > 0.0 and q02 > 0.0 and q03 > 0.0 and q10 > 0.0 and q12 > 0.0 and q13 > 0.0
            and q20 > 0.0 and q21 > 0.0 and q23 > 0.0 and q30 > 0.0 and q31 > 0.0
            and q32 > 0.0):  # fmt: skip
        return False
    s3 = q30 + q31 + q32
    g0, g1, g2 = q03 / s3, q13 / s3, q23 / s3
    q01 += g0 * q31
    q02 += g0 * q32
    q10 += g1 * q30
    q12 += g1 * q32
    q20 += g2 * q30
    q21 += g2 * q31
    s2 = q20 + q21
    h0, h1 = q02 / s2, q12 / s2
    q01 += h0 * q21
    q10 += h1 * q20
    x1 = q01 / q10
    x2 = h0 + x1 * h1
    x3 = g0 + x1 * g1 + x2 * g2
    total = 1.0 + x1 + x2 + x3
    w0, w1, w2, w3 = 1.0 / total, x1 / total, x2 / total, x3 / total
    cc, cd, dc, dd = payoff[0, 0], payoff[0, 1], payoff[1, 0], payoff[1, 1]
    out[row, PAYOFF_I] = w0 * cc + w1 * cd + w2 * dc + w3 * dd
    out[row, PAYOFF_J] = w0 * cc + w1 * dc + w2 * cd + w3 * dd
    out[row, COOP_I] = min(1.0, w0 + w1)  # sums of probabilities may overshoot 1 by an ulp
    out[row, COOP_J] = min(1.0, w0 + w2)
    return True


@jit(inline="always")
def round_sanctions(ctx, qi, di, qj, dj, fines, rewards, detection):
    """Expected ``(fine_i, fine_j, reward_i, reward_j)`` of a round in context ``ctx`` (``2 a +
    b`` of the previous round, from ``i``'s side, or ``FIRST_ROUND``) where ``i`` cooperates
    with probability ``qi`` (defects ``di``) and ``j`` with ``qj`` (``dj``)."""
    cj = ctx if ctx == FIRST_ROUND else 2 * (ctx % 2) + ctx // 2  # the round from j's side
    return (
        detection * (qi * fines[ctx, 0] + di * fines[ctx, 1]),
        detection * (qj * fines[cj, 0] + dj * fines[cj, 1]),
        detection * (qi * rewards[ctx, 0] + di * rewards[ctx, 1]),
        detection * (qj * rewards[cj, 0] + dj * rewards[cj, 1]),
    )


@jit(refcount=False)
def next_round_sanctions(n, succ, prob, values, p_defect, fines, rewards, detection, first):
    """Fill the sanction columns of ``values`` with ``h(s)``, the expected sanctions of the
    round after one in state ``s`` (see the module), and ``first`` with those of round 0.

    ``p_defect[s]`` = (``i``'s, ``j``'s) defection probability in state ``s``, computed
    alongside the cooperation (not as ``1 - q``, which loses digits with small noise).
    """
    for s in range(n):
        for c in range(4):
            values[s, FINE_I + c] = 0.0
        for o in range(4):
            p = prob[s, o]
            if p == 0.0:
                continue
            t = succ[s, o]
            f_i, f_j, r_i, r_j = round_sanctions(
                o, values[t, COOP_I], p_defect[t, 0], values[t, COOP_J], p_defect[t, 1], fines,
                rewards, detection,
            )
            values[s, FINE_I] += p * f_i
            values[s, FINE_J] += p * f_j
            values[s, REWARD_I] += p * r_i
            values[s, REWARD_J] += p * r_j
    f_i, f_j, r_i, r_j = round_sanctions(
        FIRST_ROUND, values[0, COOP_I], p_defect[0, 0], values[0, COOP_J], p_defect[0, 1],
        fines, rewards, detection,
    )
    first[0] = f_i
    first[1] = f_j
    first[2] = r_i
    first[3] = r_j


@jit(refcount=False)
def finite_horizon_into(n, succ, prob, values, turns, delta, out, first, dist, new, acc):
    """Per-turn values over at most ``turns`` rounds, each round reached with prob. ``delta^t``.

    ``sum_{t<T} delta^t pi_0 P^t values / sum_{t<T} delta^t``: with ``delta = 1`` the mean over
    exactly ``T`` rounds; otherwise a geometric length capped at ``T`` (axelrod's ``Match``
    with both ``turns`` and ``prob_end``), whose expected total and expected length are these
    two sums. Columns from ``N_EXACT_OUT`` on hold next-round values (sanctions, see the
    module): round ``t + 1``'s from the state of round ``t``, and ``first`` for round 0.
    ``dist`` and ``new`` (``n`` long) and ``acc`` (a row long) are work arrays.
    """
    for s in range(n):
        dist[s] = 0.0
    dist[0] = 1.0
    n_col = values.shape[1]
    for c in range(n_col):
        acc[c] = 0.0
    for c in range(N_EXACT_OUT, n_col):
        acc[c] = first[c - N_EXACT_OUT]
    weight = 1.0
    total_weight = 0.0
    for t in range(turns):
        total_weight += weight
        later = weight * delta if t + 1 < turns else 0.0  # the weight of round t + 1
        for s in range(n):
            for c in range(N_EXACT_OUT):
                acc[c] += weight * dist[s] * values[s, c]
            for c in range(N_EXACT_OUT, n_col):
                acc[c] += later * dist[s] * values[s, c]
        weight *= delta
        for s in range(n):
            new[s] = 0.0
        for s in range(n):
            if dist[s] != 0.0:
                for o in range(4):
                    new[succ[s, o]] += dist[s] * prob[s, o]
        dist, new = new, dist
    for c in range(n_col):
        out[c] = acc[c] / total_weight


@jit()
def finite_horizon(n, succ, prob, values, turns, delta, out, first):
    """:func:`finite_horizon_into` with work arrays of its own."""
    finite_horizon_into(n, succ, prob, values, turns, delta, out, first, np.empty(n),
                        np.empty(n), np.empty(values.shape[1]))  # fmt: skip


@jit(inline="always")
def series_is_cheaper(n, prob_end):
    """Whether :func:`discounted_into` sums the series rather than solve the restart chain.

    The series truncated where ``delta^t < 1e-16`` costs ``4 n`` per round; GTH on the sparse
    restart chain costs at least the ``n`` states' ``4 x 4`` (predecessors x successors)
    updates and grows with the fill-in, which measured about ``n^2 / 2`` updates on product
    chains of finite-state machines with noise.
    """
    # log1p: log(delta) would be 0 once delta rounds to 1 (prob_end < 1.1e-16)
    steps = np.log(1e-16) / np.log1p(-prob_end) + 1.0 if prob_end < 1.0 else 1.0
    return steps * 4.0 * n < 16.0 * n + 0.5 * n * n, int(steps)


@jit(refcount=False)
def discounted_into(n, succ, prob, values, prob_end, out, first, fw, small, val, rows, cols,
                    lens):  # fmt: skip
    """Per-turn values of a match with continuation probability ``delta = 1 - prob_end``
    (next-round columns from ``N_EXACT_OUT`` on, with round 0's in ``first``).

    ``prob_end * pi_0 (I - delta P)^-1 values``. The row ``mu = prob_end * pi_0 (I - delta
    P)^-1`` is a probability distribution (the discounted occupation of the states), and it
    is the stationary distribution of the *restart chain* ``delta P + prob_end 1 pi_0``: play
    on with probability ``delta``, start afresh with probability ``prob_end``. That chain is
    irreducible (every state was reached from the start, and returns to it), so GTH solves it
    without subtractions: ``I - delta P``, whose condition number grows as ``1/prob_end``
    (and which is singular once ``1 - prob_end`` rounds to 1), is never formed. As
    ``prob_end -> 0`` the restart chain's stationary distribution tends to the Cesaro limit,
    so the result meets the limit of means continuously, whatever ``prob_end > 0``.

    For short expected matches on large chains the series ``sum delta^t pi_0 P^t`` truncated
    where ``delta^t`` falls below 1e-16 is cheaper (:func:`series_is_cheaper`), and is summed
    instead. ``fw``, ``small`` and the sparse matrix ``val, rows, cols, lens`` (at least ``n``
    states) are work arrays.
    """
    delta = 1.0 - prob_end
    cheaper, steps = series_is_cheaper(n, prob_end)
    if cheaper:
        # the series truncated where delta^t < 1e-16 is finite_horizon with weights delta^t
        finite_horizon_into(n, succ, prob, values, steps, delta, out, first, fw[F_DIST],
                            fw[F_NEW], small[4:12])  # fmt: skip
        return
    row_len = lens[0]
    col_len = lens[1]
    for s in range(n):
        for o in range(4):
            t = succ[s, o]
            if prob[s, o] > 0.0 and t != s:
                sparse_add(val, rows, row_len, cols, col_len, s, t, delta * prob[s, o])
        if s != 0:
            sparse_add(val, rows, row_len, cols, col_len, s, 0, prob_end)  # the restart
    mu = fw[F_MU]
    if not gth_sparse(n, val, rows, row_len, cols, col_len, mu):
        for s in range(n):  # cannot happen: every state returns to 0 at prob_end
            mu[s] = np.nan
    for c in range(values.shape[1]):
        acc = 0.0
        for s in range(n):
            acc += mu[s] * values[s, c]
        out[c] = acc
    # next-round columns: prob_end (g0 + delta sum_t delta^t pi_t h) = prob_end g0 + delta mu h
    for c in range(N_EXACT_OUT, values.shape[1]):
        out[c] = prob_end * first[c - N_EXACT_OUT] + delta * out[c]


@jit()
def discounted(n, succ, prob, values, prob_end, out, first):
    """:func:`discounted_into` with work arrays of its own."""
    iw, fw, _, _, _, _, small = work_arrays(n, values.shape[1])
    val, rows, cols, lens = sparse_arrays(n)
    discounted_into(n, succ, prob, values, prob_end, out, first, fw, small, val, rows, cols,
                    lens)  # fmt: skip


@jit(inline="always")
def _open(w, depth, counter, top, index, low, on_stack, stack, call_state, call_edge):
    """Tarjan's visit of ``w``: number it, push it on the component stack and on the call
    stack at ``depth``. Returns the new ``(depth, counter, top)``."""
    index[w] = counter
    low[w] = counter
    stack[top] = w
    on_stack[w] = 1
    call_state[depth] = w
    call_edge[depth] = 0
    return depth + 1, counter + 1, top + 1


@jit(refcount=False)
def strongly_connected_into(n, succ, prob, comp, index, low, on_stack, stack, call_state,
                            call_edge):  # fmt: skip
    """Tarjan's strongly connected components (iterative), over the edges ``s -> succ[s, o]``
    with ``prob[s, o] > 0``, into ``comp`` (a component id per state, numbered in the order
    the components are completed: a component before any that reaches it). Returns their
    number. The other arrays (``n`` long) are work arrays."""
    for s in range(n):
        index[s] = -1
        on_stack[s] = 0
        comp[s] = -1
    top = 0
    counter = 0
    n_comp = 0
    for root in range(n):
        if index[root] >= 0:
            continue
        depth, counter, top = _open(
            root, 0, counter, top, index, low, on_stack, stack, call_state, call_edge
        )
        while depth > 0:
            v = call_state[depth - 1]
            e = call_edge[depth - 1]
            if e < succ.shape[1]:
                call_edge[depth - 1] = e + 1
                if prob[v, e] <= 0.0:
                    continue
                w = succ[v, e]
                if index[w] < 0:
                    depth, counter, top = _open(
                        w, depth, counter, top, index, low, on_stack, stack, call_state,
                        call_edge,
                    )  # fmt: skip
                elif on_stack[w]:
                    low[v] = min(low[v], index[w])
            else:
                if low[v] == index[v]:  # v roots a component: pop it
                    while True:
                        top -= 1
                        w = stack[top]
                        on_stack[w] = 0
                        comp[w] = n_comp
                        if w == v:
                            break
                    n_comp += 1
                depth -= 1
                if depth > 0:
                    u = call_state[depth - 1]
                    low[u] = min(low[u], low[v])
    return n_comp


@jit()
def strongly_connected(n, succ, prob):
    """:func:`strongly_connected_into` with arrays of its own: ``(comp, n_comp)``."""
    w = np.empty((7, max(n, 1)), np.int64)
    n_comp = strongly_connected_into(n, succ, prob, w[0], w[1], w[2], w[3], w[4], w[5], w[6])
    return w[0, :n].copy(), n_comp


@jit(refcount=False)
def limit_of_means_into(n, succ, prob, values, out, iw, fw, val, rows, cols, lens):
    """Cesaro-limit per-turn values: absorption into closed classes x their stationary means
    (next-round columns average as any other: the first round does not count in the limit).

    The probabilities of absorption from the start come from GTH too: collapse each closed
    class into one node that returns to the start, and the stationary distribution of that
    irreducible chain puts on each class node the expected number of absorptions into it per
    return to the start, i.e. its absorption probability up to a common factor (a renewal
    argument; no ``I - Q`` is solved). With one closed class (any noise) it is 1.
    """
    comp = iw[I_COMP]
    n_comp = strongly_connected_into(
        n, succ, prob, comp, iw[I_ORDER], iw[I_LOW], iw[I_ON_STACK], iw[I_STACK],
        iw[I_CALL_STATE], iw[I_CALL_EDGE],
    )  # fmt: skip
    node = iw[I_NODE]  # per component: its closed class's number, or -1 if transient
    for k in range(n_comp):
        node[k] = 0
    for s in range(n):
        for o in range(4):
            if prob[s, o] > 0.0 and comp[succ[s, o]] != comp[s]:
                node[comp[s]] = -1
    n_closed = 0
    for k in range(n_comp):
        if node[k] == 0:
            node[k] = n_closed
            n_closed += 1
    mass = fw[F_MASS]
    mu = fw[F_MU]
    row_len = lens[0]
    col_len = lens[1]
    position = iw[I_POSITION]
    if n_closed == 1:
        mass[0] = 1.0
    else:
        # several closed classes: the start is transient, the first transient state found
        n_t = 0
        for s in range(n):
            position[s] = -1
            if node[comp[s]] < 0:
                position[s] = n_t
                n_t += 1
        for s in range(n):
            a = position[s]
            if a < 0:
                continue
            for o in range(4):
                t = succ[s, o]
                b = position[t] if position[t] >= 0 else n_t + node[comp[t]]
                if prob[s, o] > 0.0 and b != a:
                    sparse_add(val, rows, row_len, cols, col_len, a, b, prob[s, o])
        for k in range(n_closed):
            sparse_add(val, rows, row_len, cols, col_len, n_t + k, 0, 1.0)
        gth_sparse(n_t + n_closed, val, rows, row_len, cols, col_len, mu)
        total = 0.0
        for k in range(n_closed):
            total += mu[n_t + k]
        for k in range(n_closed):
            mass[k] = mu[n_t + k] / total
    n_col = values.shape[1]
    for c in range(n_col):
        out[c] = 0.0
    members = iw[I_TRANSIENT]
    local = position
    for k in range(n_comp):
        closed = node[k]
        if closed < 0 or mass[closed] <= 0.0:
            continue
        m = np.int64(0)  # int64 from the start: a literal 0 would compile gth_sparse twice
        for s in range(n):
            if comp[s] == k:
                local[s] = m
                members[m] = s
                m += 1
        # a closed class is irreducible: GTH cannot fail on it
        for a in range(m):
            s = members[a]
            for o in range(4):
                b = local[succ[s, o]]
                if prob[s, o] > 0.0 and b != a:
                    sparse_add(val, rows, row_len, cols, col_len, a, b, prob[s, o])
        gth_sparse(m, val, rows, row_len, cols, col_len, mu)
        for a in range(m):
            for c in range(n_col):
                out[c] += mass[closed] * mu[a] * values[members[a], c]


@jit(refcount=False)
def solve_chain(
    n, succ, prob, values, defect, turns, prob_end, fines, rewards, detection, own_share,
    other_share, out, iw, fw, small, val, rows, cols, lens,
):
    """Exact per-turn values of the chain built in the work arrays (by :func:`build_chain`
    or :func:`memory_one_chain`) into ``out``: see :func:`exact_pairs`.
    The sparse matrix ``val, rows, cols, lens`` must hold ``n`` states."""
    sanctioned = fines.shape[0] > 0
    first = small[0:4]
    if sanctioned:
        next_round_sanctions(n, succ, prob, values, defect, fines, rewards, detection, first)
    if turns > 0:
        finite_horizon_into(n, succ, prob, values, turns, 1.0 - prob_end, out, first,
                            fw[F_DIST], fw[F_NEW], small[4:12])  # fmt: skip
    elif prob_end > 0.0:
        discounted_into(n, succ, prob, values, prob_end, out, first, fw, small, val, rows, cols,
                        lens)  # fmt: skip
    else:
        limit_of_means_into(n, succ, prob, values, out, iw, fw, val, rows, cols, lens)
    if sanctioned:
        keep = own_share - 1.0
        f_i = out[FINE_I]
        f_j = out[FINE_J]
        out[PAYOFF_I] += keep * f_i + other_share * f_j + out[REWARD_I]
        out[PAYOFF_J] += keep * f_j + other_share * f_i + out[REWARD_J]
    # cooperation rates are probabilities: sums of products can overshoot 1 by an ulp or two
    for c in (COOP_I, COOP_J):
        out[c] = min(1.0, max(0.0, out[c]))


@jit()
def pair_setup(p_coop, next_state, offsets, sizes, pair_i, pair_j, noise, fast):
    """What :func:`solve_pairs` needs beside the pairs: ``(shaped, after, cap)``, whether
    each automaton is memory-one shaped (:func:`memory_one_shaped`; all False unless
    ``fast``), for those its probabilities of cooperating (columns 0-3) and defecting (4-7)
    after each outcome ``2 own + other``, noise included, computed once rather than for each
    of its pairs, and the largest product of two paired automata's sizes (at least 5), the
    work arrays' length."""
    shaped = np.zeros(sizes.size, np.bool_)
    after = np.zeros((sizes.size, 8))
    flip = 1.0 - 2.0 * noise
    if fast:
        for s in range(sizes.size):
            shaped[s] = memory_one_shaped(next_state, offsets[s], sizes[s])
            if shaped[s]:
                for o in range(4):
                    # the defection from p too: 1 - q would lose the rare outcomes' digits
                    p = p_coop[next_state[offsets[s], o // 2, o % 2]]
                    after[s, o] = p * flip + noise
                    after[s, 4 + o] = (1.0 - p) * flip + noise
    cap = MEMORY_ONE_STATES
    for q in range(pair_i.size):
        cap = max(cap, sizes[pair_i[q]] * sizes[pair_j[q]])
    return shaped, after, cap


@jit()
def closed_form_limits(shaped, after, pair_i, pair_j, payoff, out, lo, hi):
    """The pairs ``lo..hi-1`` of :func:`solve_pairs` in the limit of means without sanctions
    by :func:`memory_one_limit`, in order, up to the first it does not solve (a pair not both
    memory-one shaped, or with a zero transition); returns that pair's index (``hi``: all
    solved). :func:`exact_pairs_auto` calls it alone when that is all the call needs, so
    such a call never compiles the general solvers."""
    for q in range(lo, hi):
        i = pair_i[q]
        j = pair_j[q]
        if not (shaped[i] and shaped[j] and memory_one_limit(after, i, j, payoff, out, q)):
            return q
    return hi


@jit()
def solve_pairs(
    p_coop, next_state, offsets, sizes, pair_i, pair_j, payoff, turns, prob_end, noise, fines,
    rewards, detection, own_share, other_share, out, shaped, after, cap, lo, hi,
):
    """The pairs ``lo..hi-1`` of :func:`exact_pairs` (one chunk), with work arrays of their
    own, allocated once. Pairs of two automata marked ``shaped`` (:func:`pair_setup`) take
    the memory-one path; with none marked, every pair goes through the search for reachable
    states and the general solvers (the reference the fast path is tested against)."""
    n_col = N_SANCTIONED_EXACT_OUT if fines.shape[0] > 0 else N_EXACT_OUT
    plain_limit = turns < 0 and prob_end == 0.0 and fines.shape[0] == 0
    # the closed form first, up to the first pair it does not solve: a chunk of memory-one
    # pairs in the limit of means then allocates nothing (the work arrays cost more than
    # its pairs' arithmetic)
    start = closed_form_limits(shaped, after, pair_i, pair_j, payoff, out, lo, hi) \
        if plain_limit else lo
    if start == hi:
        return
    iw, fw, succ, prob, values, defect, small = work_arrays(cap, n_col)
    held = 0  # the sparse matrix, allocated at the first pair that needs it
    val = prob[:0].reshape((0, 0))
    rows = succ[:0].reshape((0, 0))
    cols = rows
    lens = rows
    for q in range(start, hi):
        i = pair_i[q]
        j = pair_j[q]
        memory_one = shaped[i] and shaped[j]
        if memory_one and plain_limit and memory_one_limit(after, i, j, payoff, out, q):
            continue
        if memory_one:
            n = memory_one_chain(p_coop, next_state, offsets[i], offsets[j], payoff, noise,
                                 succ, prob, values, defect)  # fmt: skip
        else:
            n = build_chain(
                p_coop, next_state, offsets[i], offsets[j], sizes[i], sizes[j], payoff,
                noise, iw[I_INDEX], iw[I_STATE_I], iw[I_STATE_J], succ, prob, values, defect,
            )  # fmt: skip
        if n > held:  # a larger chain than any before in this chunk: grow (or first use)
            held = max(n, 2 * held)
            val, rows, cols, lens = sparse_arrays(held)
        solve_chain(
            n, succ, prob, values, defect, turns, prob_end, fines, rewards, detection,
            own_share, other_share, out[q], iw, fw, small, val, rows, cols, lens,
        )


@jit(parallel=True)
def exact_pairs(
    p_coop, next_state, offsets, sizes, pair_i, pair_j, payoff, turns, prob_end, noise, fines,
    rewards, detection, own_share, other_share, out,
):
    """Exact per-turn (payoff_i, payoff_j, coop_i, coop_j) of every pair ``(pair_i[k],
    pair_j[k])`` into ``out[k]`` (its first ``N_EXACT_OUT`` columns); under an institution
    (``fines`` with rows, :mod:`kernels.sanctions`) the payoffs are net of sanctions and the
    per-turn (fine_i, fine_j, reward_i, reward_j) follow (``N_SANCTIONED_EXACT_OUT``).

    ``turns > 0``: that many rounds, or with ``prob_end > 0`` a geometric length capped at
    ``turns``. ``turns = LIMIT_OF_MEANS`` (-1): the limit of means, or with ``prob_end > 0`` an
    uncapped geometric length. The same numbers for any number of threads: the chunks depend
    on the number of pairs alone, and each pair is solved on its own from work arrays it
    writes before reading. The parallel loop only calls :func:`solve_pairs`: a parallel loop
    whose body holds the whole solver takes numba several times longer to compile.
    """
    shaped, after, cap = pair_setup(p_coop, next_state, offsets, sizes, pair_i, pair_j, noise,
                                    True)  # fmt: skip
    n_pairs = pair_i.size
    n_chunks = min(n_pairs, N_CHUNKS)
    for chunk in prange(n_chunks):
        solve_pairs(p_coop, next_state, offsets, sizes, pair_i, pair_j, payoff, turns,
                    prob_end, noise, fines, rewards, detection, own_share, other_share, out,
                    shaped, after, cap, chunk * n_pairs // n_chunks,
                    (chunk + 1) * n_pairs // n_chunks)  # fmt: skip


@jit()
def exact_pair(
    p_coop, next_state, off_i, off_j, n_i, n_j, payoff, turns, prob_end, noise, fines, rewards,
    detection, own_share, other_share, out,
):
    """One pair of :func:`exact_pairs` (automata at rows ``off_i``, ``off_j``, of ``n_i``,
    ``n_j`` states) into ``out``, through the general solvers, with work arrays of its own."""
    n_col = N_SANCTIONED_EXACT_OUT if fines.shape[0] > 0 else N_EXACT_OUT
    iw, fw, succ, prob, values, defect, small = work_arrays(max(n_i * n_j, 1), n_col)
    n = build_chain(p_coop, next_state, off_i, off_j, n_i, n_j, payoff, noise, iw[I_INDEX],
                    iw[I_STATE_I], iw[I_STATE_J], succ, prob, values, defect)  # fmt: skip
    val, rows, cols, lens = sparse_arrays(n)
    solve_chain(n, succ, prob, values, defect, turns, prob_end, fines, rewards, detection,
                own_share, other_share, out, iw, fw, small, val, rows, cols, lens)


def exact_pairs_auto(
    p_coop, next_state, offsets, sizes, pair_i, pair_j, payoff, turns, prob_end, noise, fines,
    rewards, detection, own_share, other_share, out,
):
    """:func:`exact_pairs` (same arguments, the same numbers), on threads only when the work
    is worth waking them: below ``PARALLEL_NS`` of estimated one-thread work the pairs go
    through :func:`solve_pairs` in one call, so that small tournaments never compile, nor
    wait for, the parallel kernel. Each pair is solved on its own from work arrays it writes
    before reading, so neither the chunks nor the threads change a number (tested).

    A plain Python function: it estimates the work from the sizes of the paired automata and
    whether both are memory-one shaped (:func:`pair_setup`), ``FAST_PAIR_NS`` a memory-one
    pair in the limit of means and ``STATE_NS`` (plus ``STATE_ROUND_NS`` a round of a fixed
    length) a product state of the others.
    """
    shaped, after, cap = pair_setup(p_coop, next_state, offsets, sizes, pair_i, pair_j, noise,
                                    True)  # fmt: skip
    fast = shaped[pair_i] & shaped[pair_j]
    states = np.where(fast, MEMORY_ONE_STATES, sizes[pair_i] * sizes[pair_j])
    if turns < 0 and prob_end == 0.0 and fines.shape[0] == 0:
        states = states[~fast]  # the closed form
    work = (FAST_PAIR_NS * np.count_nonzero(fast)
            + (STATE_NS + STATE_ROUND_NS * max(turns, 0)) * float(states.sum()))  # fmt: skip
    if work >= PARALLEL_NS:
        exact_pairs(p_coop, next_state, offsets, sizes, pair_i, pair_j, payoff, turns,
                    prob_end, noise, fines, rewards, detection, own_share, other_share,
                    out)  # fmt: skip
        return
    start = 0
    if turns < 0 and prob_end == 0.0 and fines.shape[0] == 0 and fast.all():
        # memory-one pairs in the limit of means: the closed form, unless a pair has a zero
        # transition; from it on the general solvers (compiled only then)
        start = closed_form_limits(shaped, after, pair_i, pair_j, payoff, out, 0, pair_i.size)
        if start == pair_i.size:
            return
    solve_pairs(p_coop, next_state, offsets, sizes, pair_i, pair_j, payoff, turns,
                prob_end, noise, fines, rewards, detection, own_share, other_share, out,
                shaped, after, cap, start, pair_i.size)  # fmt: skip
