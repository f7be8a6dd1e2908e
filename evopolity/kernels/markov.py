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
subtractions and is accurate for nearly decomposable chains (small noise).

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
from evopolity.kernels.gth import gth_banded
from evopolity.kernels.linalg import lu_factor_transposed, lu_solve_transposed


@jit()
def product_chain(p_coop, next_state, off_i, off_j, n_i, n_j, payoff, noise, n_col):
    """Reachable product chain of two automata.

    Returns ``(n, succ, prob, values, defect)``: ``succ[s, o]`` and ``prob[s, o]`` the
    successor and probability of outcome ``o = 2a + b``; ``values[s]`` = expected (payoff_i,
    payoff_j, coop_i, coop_j) of a round in state ``s`` (``n_col`` columns, the others left
    0); ``defect[s]`` the two defection probabilities; states ``0..n-1`` with ``0`` the
    initial state.
    """
    cap = n_i * n_j
    index = np.full(cap, -1, np.int64)
    state_i = np.empty(cap, np.int64)
    state_j = np.empty(cap, np.int64)
    succ = np.empty((cap, 4), np.int64)
    prob = np.empty((cap, 4), np.float64)
    values = np.zeros((cap, n_col), np.float64)
    defect = np.empty((cap, 2), np.float64)
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
    return n, succ[:n], prob[:n], values[:n], defect[:n]


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


@jit()
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


@jit()
def finite_horizon(n, succ, prob, values, turns, delta, out, first):
    """Per-turn values over at most ``turns`` rounds, each round reached with prob. ``delta^t``.

    ``sum_{t<T} delta^t pi_0 P^t values / sum_{t<T} delta^t``: with ``delta = 1`` the mean over
    exactly ``T`` rounds; otherwise a geometric length capped at ``T`` (axelrod's ``Match``
    with both ``turns`` and ``prob_end``), whose expected total and expected length are these
    two sums. Columns from ``N_EXACT_OUT`` on hold next-round values (sanctions, see the
    module): round ``t + 1``'s from the state of round ``t``, and ``first`` for round 0.
    """
    dist = np.zeros(n)
    new = np.zeros(n)
    dist[0] = 1.0
    n_col = values.shape[1]
    acc = np.zeros(n_col)
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
        new[:] = 0.0
        for s in range(n):
            if dist[s] != 0.0:
                for o in range(4):
                    new[succ[s, o]] += dist[s] * prob[s, o]
        dist, new = new, dist
    for c in range(n_col):
        out[c] = acc[c] / total_weight


@jit()
def solve_left(M, rhs):
    """Solve ``x M = rhs`` (``M`` square, left untouched) by LU with partial pivoting.

    ``x M = rhs`` is ``M^T x = rhs``, and :mod:`kernels.linalg` stores a matrix transposed:
    the copy of ``M`` is ``M^T`` in its storage. The systems here are ``I - Q`` with ``Q``
    substochastic, for which elimination is stable; pivoting is kept regardless.
    """
    n = rhs.size
    Wt = M.copy()
    piv = np.empty(n, np.int64)
    x = rhs.copy()
    if not lu_factor_transposed(Wt, piv):  # singular: no solution to give
        x[:] = np.nan
        return x
    lu_solve_transposed(Wt, piv, x)
    return x


@jit()
def discounted(n, succ, prob, values, prob_end, out, first):
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
    where ``delta^t`` falls below 1e-16 is cheaper, and is summed instead.
    """
    delta = 1.0 - prob_end
    # log1p: log(delta) would be 0 once delta rounds to 1 (prob_end < 1.1e-16)
    steps = np.log(1e-16) / np.log1p(-prob_end) + 1.0 if prob_end < 1.0 else 1.0
    if steps * 4.0 * n < n * n * n / 3.0:
        # the series truncated where delta^t < 1e-16 is finite_horizon with weights delta^t
        finite_horizon(n, succ, prob, values, int(steps), delta, out, first)
        return
    # the restart chain, dense, stored by diagonals with the band as wide as the matrix
    band = n - 1
    B = np.zeros((n, 2 * band + 1))
    for s in range(n):
        for o in range(4):
            B[s, succ[s, o] - s + band] += delta * prob[s, o]
        if s != 0:
            B[s, band - s] += prob_end  # the restart (pi_0 is the state 0)
    mu = np.empty(n)
    if not gth_banded(B, band, mu):  # cannot happen: every state returns to 0 at prob_end
        mu[:] = np.nan
    for c in range(values.shape[1]):
        acc = 0.0
        for s in range(n):
            acc += mu[s] * values[s, c]
        out[c] = acc
    # next-round columns: prob_end (g0 + delta sum_t delta^t pi_t h) = prob_end g0 + delta mu h
    for c in range(N_EXACT_OUT, values.shape[1]):
        out[c] = prob_end * first[c - N_EXACT_OUT] + delta * out[c]


@jit()
def _open(w, depth, counter, top, index, low, on_stack, stack, call_state, call_edge):
    """Tarjan's visit of ``w``: number it, push it on the component stack and on the call
    stack at ``depth``. Returns the new ``(depth, counter, top)``."""
    index[w] = counter
    low[w] = counter
    stack[top] = w
    on_stack[w] = True
    call_state[depth] = w
    call_edge[depth] = 0
    return depth + 1, counter + 1, top + 1


@jit()
def strongly_connected(n, succ, prob):
    """Tarjan's strongly connected components (iterative), over the edges ``s -> succ[s, o]``
    with ``prob[s, o] > 0``. Returns ``(comp, n_comp)``: a component id per state, numbered
    in the order the components are completed (a component before any that reaches it)."""
    index = np.full(n, -1, np.int64)
    low = np.zeros(n, np.int64)
    on_stack = np.zeros(n, np.bool_)
    stack = np.empty(n, np.int64)
    comp = np.full(n, -1, np.int64)
    call_state = np.empty(n, np.int64)
    call_edge = np.empty(n, np.int64)
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
                        on_stack[w] = False
                        comp[w] = n_comp
                        if w == v:
                            break
                    n_comp += 1
                depth -= 1
                if depth > 0:
                    u = call_state[depth - 1]
                    low[u] = min(low[u], low[v])
    return comp, n_comp


@jit()
def limit_of_means(n, succ, prob, values, out):
    """Cesaro-limit per-turn values: absorption into closed classes x their stationary means
    (next-round columns average as any other: the first round does not count in the limit)."""
    comp, n_comp = strongly_connected(n, succ, prob)
    closed = np.ones(n_comp, np.bool_)
    for s in range(n):
        for o in range(4):
            if prob[s, o] > 0.0 and comp[succ[s, o]] != comp[s]:
                closed[comp[s]] = False
    # expected visits to transient states from the start: z (I - Q) = e_0
    transient = np.empty(n, np.int64)
    position = np.full(n, -1, np.int64)
    n_t = 0
    for s in range(n):
        if not closed[comp[s]]:
            position[s] = n_t
            transient[n_t] = s
            n_t += 1
    mass = np.zeros(n_comp)
    if n_t == 0 or position[0] < 0:
        mass[comp[0]] = 1.0
    else:
        M = np.eye(n_t)
        for a in range(n_t):
            s = transient[a]
            for o in range(4):
                t = succ[s, o]
                if position[t] >= 0:
                    M[a, position[t]] -= prob[s, o]
        rhs = np.zeros(n_t)
        rhs[0] = 1.0  # state 0 is the first transient state found
        visits = solve_left(M, rhs)
        for a in range(n_t):
            s = transient[a]
            for o in range(4):
                t = succ[s, o]
                if position[t] < 0:
                    mass[comp[t]] += visits[a] * prob[s, o]
    n_col = values.shape[1]
    for c in range(n_col):
        out[c] = 0.0
    members = np.empty(n, np.int64)
    local = np.full(n, -1, np.int64)
    for k in range(n_comp):
        if not closed[k] or mass[k] <= 0.0:
            continue
        m = 0
        for s in range(n):
            if comp[s] == k:
                local[s] = m
                members[m] = s
                m += 1
        # a closed class is irreducible: GTH cannot fail on it. Dense, it is a band matrix
        # whose band spans it (kernels.gth); its diagonal is never read
        band = max(m - 1, 0)
        B = np.zeros((m, 2 * band + 1))
        for a in range(m):
            s = members[a]
            for o in range(4):
                t = local[succ[s, o]]
                if prob[s, o] > 0.0 and t != a:
                    B[a, t - a + band] += prob[s, o]
        pi = np.empty(m)
        gth_banded(B, band, pi)
        for a in range(m):
            for c in range(n_col):
                out[c] += mass[k] * pi[a] * values[members[a], c]


@jit()
def exact_pair(
    p_coop, next_state, off_i, off_j, n_i, n_j, payoff, turns, prob_end, noise, fines, rewards,
    detection, own_share, other_share, out,
):
    """Exact per-turn (payoff_i, payoff_j, coop_i, coop_j) of one pair into ``out``; under an
    institution (``fines`` with rows, :mod:`kernels.sanctions`) the payoffs are net of
    sanctions and the per-turn (fine_i, fine_j, reward_i, reward_j) follow.

    ``turns > 0``: that many rounds, or with ``prob_end > 0`` a geometric length capped at
    ``turns``. ``turns = LIMIT_OF_MEANS`` (-1): the limit of means, or with ``prob_end > 0`` an
    uncapped geometric length.
    """
    sanctioned = fines.shape[0] > 0
    n_col = N_SANCTIONED_EXACT_OUT if sanctioned else N_EXACT_OUT
    n, succ, prob, values, defect = product_chain(
        p_coop, next_state, off_i, off_j, n_i, n_j, payoff, noise, n_col
    )
    first = np.zeros(n_col - N_EXACT_OUT)
    if sanctioned:
        next_round_sanctions(n, succ, prob, values, defect, fines, rewards, detection, first)
    if turns > 0:
        finite_horizon(n, succ, prob, values, turns, 1.0 - prob_end, out, first)
    elif prob_end > 0.0:
        discounted(n, succ, prob, values, prob_end, out, first)
    else:
        limit_of_means(n, succ, prob, values, out)
    if sanctioned:
        keep = own_share - 1.0
        f_i = out[FINE_I]
        f_j = out[FINE_J]
        out[PAYOFF_I] += keep * f_i + other_share * f_j + out[REWARD_I]
        out[PAYOFF_J] += keep * f_j + other_share * f_i + out[REWARD_J]
    # cooperation rates are probabilities: sums of products can overshoot 1 by an ulp or two
    for c in (COOP_I, COOP_J):
        out[c] = min(1.0, max(0.0, out[c]))


@jit(parallel=True)
def exact_pairs(
    p_coop, next_state, offsets, sizes, pair_i, pair_j, payoff, turns, prob_end, noise, fines,
    rewards, detection, own_share, other_share, out,
):
    """``exact_pair`` for every pair ``(pair_i[k], pair_j[k])`` into ``out[k]`` (its first
    ``N_EXACT_OUT`` columns, or ``N_SANCTIONED_EXACT_OUT`` under an institution; ``fines``
    with no rows: none)."""
    for k in prange(pair_i.size):
        i = pair_i[k]
        j = pair_j[k]
        exact_pair(
            p_coop, next_state, offsets[i], offsets[j], sizes[i], sizes[j], payoff, turns,
            prob_end, noise, fines, rewards, detection, own_share, other_share, out[k],
        )
