"""Fitness under an institutional regime, and the law of the institution's strength.

A regime is a flat float array (:func:`kernels.layout.regime_array`) of its terms and the
cooperation matrix ``C``: ``C[i, j]`` is the fraction of ``i``'s moves that cooperate against
``j``, so ``c_i(x) = (C x)_i`` is how often ``i`` cooperates in population ``x`` and
``d_i = 1 - c_i`` how often it defects. One compiled function serves every regime.

Downward causation (the institution acts on agents), with ``s = m`` the institution's
strength when it co-evolves (feedback or decay above 0) and ``s = 1`` otherwise:

1. base payoff ``pi_i = (A x)_i``;
2. fine: ``- s q F d_i`` (a captured institution fines cooperation instead,
   ``- s q F c_i``); reward: ``+ s q B c_i``; with ``SWITCH = theta > 0`` only rewards act
   while the cooperation level is below ``theta`` and only fines above it ("first carrot,
   then stick", Chen et al. 2015). When the sanctions were played inside the matches
   (``tournament(..., regime=r)``) the array carries them (:func:`kernels.layout.regime_sanctions`)
   and they replace these expected terms: ``+ s (S x)_i``, ``S`` the net sanction per turn at
   full strength (fines received - fines paid + rewards), or with a switch ``+ s (S_fine x)_i``
   above ``theta`` and ``+ s (S_reward x)_i`` below;
3. institution cost ``s kappa`` per capita, or (``cost_by_contributors``) shared by
   contributors in proportion to their cooperation, ``s kappa c_i / mean(c)``;
4. tax and redistribution on what steps 1-3 left, ``v_i``: ``(1 - tau) v_i + tau mean(v)``
   (``mean`` weighted by ``x``), which scales every payoff difference by ``1 - tau``;
5. conformity ``+ D x_i``: conformist transmission (Boyd & Richerson 1985), which in the
   replicator adds ``D x_i (x_i - sum_j x_j^2)`` to ``dx_i/dt``.

Upward causation (agents make the institution): ``dm/dt = lambda (support(x) - m) - decay``
with ``support(x) = sum_i x_i c_i`` the cooperation level, and ``m`` kept in [0, 1]. This is
an eco-evolutionary game with environmental feedback (Weitz et al. 2016, PNAS 113: E7518),
the environment being the institution.
"""


import numpy as np

from evopolity.kernels._jit import jit
from evopolity.kernels.codes import (  # noqa: F401 - the model codes, where they used to be
    GROUP,
    GROUP_INSTITUTIONS,
    INSTITUTIONS,
    LINEAR,
)
from evopolity.kernels.group import group_fitness
from evopolity.kernels.layout import (
    CONFORMITY,
    COST_BY_CONTRIBUTORS,
    FUNDED,
    RULE,
    SWITCH,
    TAX,
    regime_coevolves,
    regime_cooperation,
    regime_funding,
    regime_group_game,
    regime_matrix_start,
    regime_revenue_matrix,
    regime_rule,
    regime_sanction_count,
    regime_terms,
)

# a derivative of fitness with respect to the fine smaller than this is a tie (no preference)
VOTE_TOL = 1e-12


# The matrix-vector products of this module (A x, C x, S x) read the matrices row by row and
# sum each row in whatever order vectorises (reassociated, with fused multiply-adds where the CPU
# has them): the last bit can differ between CPUs, never between calls or thread counts. Four
# rows go together (:func:`four_rows`), so that one load of ``y[j]`` serves four sums and four
# independent accumulators keep the adder busy: at k = 30 that is faster than ``A x`` along
# the columns (:func:`kernels.velocity.linear_fitness`), where one row at a time is 1.1x it
# and the textbook running sum 2-3x. The fast and the general path of
# :func:`institution_fitness` sum in the same way; they agree to rounding (1e-15 at k = 30).


@jit(refcount=False, fastmath={"reassoc", "contract"})
def row_dot(r, y, k):
    """``sum_j r[j] y[j]`` over ``j < k`` (a row of a matrix times ``y``)."""
    s = 0.0
    for j in range(k):
        s += r[j] * y[j]
    return s


@jit(refcount=False, fastmath={"reassoc", "contract"})
def four_rows(r0, r1, r2, r3, y, k):
    """``(r0 . y, r1 . y, r2 . y, r3 . y)`` over ``j < k``: four rows in one pass over ``y``."""
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    for j in range(k):
        yj = y[j]
        s0 += r0[j] * yj
        s1 += r1[j] * yj
        s2 += r2[j] * yj
        s3 += r3[j] * yj
    return s0, s1, s2, s3


@jit(refcount=False, fastmath={"reassoc", "contract"})
def eight_rows(a0, a1, a2, a3, c0, c1, c2, c3, y, k):
    """:func:`four_rows` of two matrices at once (rows ``a`` and rows ``c``), one pass."""
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    t0 = 0.0
    t1 = 0.0
    t2 = 0.0
    t3 = 0.0
    for j in range(k):
        yj = y[j]
        s0 += a0[j] * yj
        s1 += a1[j] * yj
        s2 += a2[j] * yj
        s3 += a3[j] * yj
        t0 += c0[j] * yj
        t1 += c1[j] * yj
        t2 += c2[j] * yj
        t3 += c3[j] * yj
    return s0, s1, s2, s3, t0, t1, t2, t3


@jit(refcount=False)
def rows_times(M, y, k, out):
    """``out[i] = (M y)_i`` for ``i < k`` (``M`` k x k): :func:`four_rows` four rows at a
    time, :func:`row_dot` for the last ones."""
    i = 0
    while i + 4 <= k:
        out[i], out[i + 1], out[i + 2], out[i + 3] = four_rows(M[i], M[i + 1], M[i + 2],
                                                               M[i + 3], y, k)
        i += 4
    while i < k:
        out[i] = row_dot(M[i], y, k)
        i += 1


@jit(inline="always")
def _row(params, start, i, k):
    """Row ``i`` of the k x k matrix at ``params[start:]`` (:func:`regime_matrix_start`)."""
    return params[start + i * k : start + (i + 1) * k]


@jit(refcount=False)
def _matrix_times(params, start, y, k, out, add):
    """:func:`rows_times` of the matrix at ``params[start:]`` read row by row without a k x k
    view (:func:`kernels.layout.regime_matrix_start`), the same sums in the same order; with
    ``add`` the products are added to ``out`` instead of written."""
    i = 0
    while i + 4 <= k:
        s0, s1, s2, s3 = four_rows(_row(params, start, i, k), _row(params, start, i + 1, k),
                                   _row(params, start, i + 2, k), _row(params, start, i + 3, k),
                                   y, k)  # fmt: skip
        if add:
            out[i] += s0
            out[i + 1] += s1
            out[i + 2] += s2
            out[i + 3] += s3
        else:
            out[i] = s0
            out[i + 1] = s1
            out[i + 2] = s2
            out[i + 3] = s3
        i += 4
    while i < k:
        b = row_dot(_row(params, start, i, k), y, k)
        if add:
            out[i] += b
        else:
            out[i] = b
        i += 1


@jit(refcount=False)
def strength(y, k, params):
    """The institution's effective strength: what it can afford when the members fund it
    (:func:`funded_strength`), ``m = y[k]`` when it co-evolves, else 1."""
    if params[FUNDED] > 0.0:
        return funded_strength(y, k, params)
    if regime_coevolves(params):
        return y[k]
    return 1.0


@jit(refcount=False)
def fine_scale(y, k, params):
    """``F / F_played``: the fine level in force over the level the fine terms were built with;
    1 unless the members choose the level, which then sits after the frequencies (and after
    ``m`` when the institution co-evolves) as its position ``u`` in [lo, hi]."""
    rule, _, lo, hi, played, _ = regime_rule(params)
    if rule == 0:
        return 1.0
    u = y[k + 1] if regime_coevolves(params) else y[k]
    return (lo + u * (hi - lo)) / played


@jit(refcount=False)
def funded_strength(y, k, params):
    """What a funded institution can afford, ``s = min(1, funds / upkeep)``.

    The first ``k / 2`` strategies contribute the levy, so funds per capita are ``levy p``
    (``p`` their share) plus what the fines bring, ``s R`` with ``R = x^T S_inst x`` at full
    strength (at the fine level in force). ``s = min(1, (levy p + s R) / upkeep)`` gives
    ``s = 1`` when ``R >= upkeep`` and otherwise ``s = min(1, levy p / (upkeep - R))``.
    """
    _, upkeep, levy, _ = regime_funding(params)
    p = 0.0
    for i in range(k // 2):
        p += y[i]
    M = regime_revenue_matrix(params, k)
    R = 0.0
    for i in range(k):
        R += y[i] * row_dot(M[i], y, k)
    R *= fine_scale(y, k, params)
    if R >= upkeep:
        return 1.0
    return min(1.0, max(0.0, levy * p / (upkeep - R)))


@jit(refcount=False)
def institution_adjust(pi, c, x, s, params, out, sf, sr):
    """Apply the regime to base payoffs ``pi`` given cooperation rates ``c``, frequencies
    ``x`` and institution strength ``s`` (all length ``k``; writes ``out``).

    ``sf`` and ``sr`` are the sanctions played inside matches against the population, at
    full strength: ``(S x)_i`` (or ``(S_fine x)_i`` and ``(S_reward x)_i`` with a switch);
    read only when the array carries sanction matrices (:func:`kernels.layout.regime_sanctions`),
    which then replace the expected fine and reward. Infinite and finite populations share
    this: they differ only in how ``pi``, ``c``, ``sf`` and ``sr`` are computed (with or
    without self-interaction).
    """
    (fine, detection, reward, tax, cost, by_contributors, conformity, _, _, captured,
     switch) = regime_terms(params)  # fmt: skip
    played = regime_sanction_count(params)
    k = pi.size
    mean_c = 0.0
    for i in range(k):
        mean_c += x[i] * c[i]
    fine = s * detection * fine
    reward = s * detection * reward
    fines_on = 1.0
    rewards_on = 1.0
    if switch > 0.0:  # first carrot, then stick
        if mean_c < switch:
            fines_on = 0.0
        else:
            rewards_on = 0.0
    fine *= fines_on
    reward *= rewards_on
    cost = s * cost
    mean_pi = 0.0
    for i in range(k):
        if played == 0:
            v = pi[i] - fine * (c[i] if captured else 1.0 - c[i]) + reward * c[i]
        elif played == 1:
            v = pi[i] + s * sf[i]
        else:
            v = pi[i] + s * (fines_on * sf[i] + rewards_on * sr[i])
        if by_contributors:
            if mean_c > 0.0:
                v -= cost * c[i] / mean_c
        else:
            v -= cost
        out[i] = v
        mean_pi += x[i] * v
    for i in range(k):
        out[i] = (1.0 - tax) * out[i] + tax * mean_pi + conformity * x[i]


@jit(refcount=False)
def sanction_rates(params, k, x, sf, sr):
    """``sf = S x`` (``S_fine x``) and, with two matrices, ``sr = S_reward x``: the sanctions
    played inside matches that a regime array carries, against population ``x``."""
    played = regime_sanction_count(params)
    if played > 0:
        _matrix_times(params, regime_matrix_start(k, 1), x, k, sf, False)
    if played > 1:
        _matrix_times(params, regime_matrix_start(k, 2), x, k, sr, False)


@jit(refcount=False)
def cooperation_rates(C, x, c):
    """``c = C x`` (how often each strategy cooperates in population ``x``, ``k =
    C.shape[0]`` entries of ``x`` read); returns the cooperation level ``x . C x``."""
    k = C.shape[0]
    rows_times(C, x, k, c)
    level = 0.0
    for i in range(k):
        level += x[i] * c[i]
    return level


@jit()
def cooperation_levels(X, C):
    """``X[t] . C X[t]`` for every row ``t`` of frequencies ``X`` (T x k): the cooperation
    level that is the institution's support (:func:`macro_rate`), read off a trajectory by
    the pipeline and the analysis. Returns a new array of ``T`` values."""
    out = np.empty(X.shape[0])
    c = np.empty(C.shape[0])
    for t in range(X.shape[0]):
        out[t] = cooperation_rates(C, X[t], c)
    return out


@jit()
def _regime_terms_and_support(y, k, params, out):
    """The regime's terms on the base payoffs already in ``out[:k]``; the cooperation level
    goes to ``out[k]`` when there is room (see :func:`institution_fitness`)."""
    c = np.empty(k)
    support = cooperation_rates(regime_cooperation(params, k), y, c)
    sf = c  # unread without played sanctions: no allocation on the expected path
    sr = c
    if regime_sanction_count(params) > 0:
        sf = np.empty(k)
        sr = np.empty(k)
        sanction_rates(params, k, y, sf, sr)
        scale = fine_scale(y, k, params)
        if scale != 1.0:  # the members chose another fine level: S_fine is linear in it
            for i in range(k):
                sf[i] *= scale
    s = strength(y, k, params)
    funded, _, _, second = regime_funding(params)
    if funded and second > 0.0:  # second-order sanctions: abstainers fined for not paying
        for i in range(k // 2, k):
            out[i] -= s * second
    institution_adjust(out[:k], c, y[:k], s, params, out[:k], sf, sr)
    if out.size > k:
        out[k] = support


@jit(refcount=False)
def institution_fitness(y, A, params, out):
    """Fitness of each of the ``k = A.shape[0]`` strategies under the regime in an infinite
    population: ``pi = A x``, ``c = C x`` (see the module), into ``out[:k]``.

    When ``out`` has room after the ``k`` fitnesses (the integrators' scratch has one slot per
    macro variable) the population's cooperation level ``sum_i x_i c_i`` is left in
    ``out[k]`` for :func:`macro_velocity`, which then need not compute ``C x`` again.

    A regime that :func:`plain_regime` accepts takes :func:`plain_institution_fitness`, one
    pass without scratch arrays; any other :func:`general_institution_fitness`. They agree to
    rounding (tests/test_institutions.py, benchmarks/bench_institutions.py check it).
    """
    if plain_regime(params):
        plain_institution_fitness(y, A, params, out)
    else:
        general_institution_fitness(y, A, params, out)


@jit(refcount=False)
def general_institution_fitness(y, A, params, out):
    """:func:`institution_fitness` for any regime: ``A x`` into ``out[:k]``, then the regime's
    terms from ``C x`` (and the played sanctions, the funded strength, the chosen fine) in
    scratch arrays."""
    k = A.shape[0]
    rows_times(A, y, k, out)
    _regime_terms_and_support(y, k, params, out)


@jit(inline="always")
def plain_regime(params):
    """Whether a regime array's fitness is, strategy by strategy, an affine function of
    ``(A x)_i``, ``(C x)_i`` and ``(S x)_i`` whose coefficients are known before the first
    row: no switch (which waits for the cooperation level), no cost shared by contributors
    (which divides by it), no institution the members fund (its strength reads all of ``x``)
    and no fine level they choose."""
    return not (params[SWITCH] > 0.0 or params[COST_BY_CONTRIBUTORS] > 0.0
                or params[FUNDED] > 0.0 or params[RULE] > 0.0)  # fmt: skip


@jit(inline="always")
def _regime_row(a, e, played, fine, reward, cost, s, captured):
    """Strategy ``i``'s payoff under a plain regime before the tax: ``a = (A x)_i`` and
    ``e = (C x)_i`` (``played == 0``) or the played sanctions ``(S x)_i``; the terms and the
    order of operations of :func:`institution_adjust`."""
    if played == 0:
        v = a - fine * (e if captured else 1.0 - e) + reward * e
    else:
        v = a + s * e
    return v - cost


@jit(refcount=False)
def plain_institution_fitness(y, A, params, out):
    """:func:`institution_fitness` of a regime :func:`plain_regime` accepts, without scratch
    arrays or k x k views. Fines and rewards on expected rates: four rows of ``A x`` and of
    ``C x`` at a time in one pass over ``x`` (:func:`eight_rows`), each row combined as soon
    as it is known (:func:`_regime_row`). Played sanctions: ``out[:k]`` first holds ``S x``
    (plus ``S_reward x``), then the blocks of ``A x`` are combined with it. Then the tax and
    conformity. ``C x`` is skipped when nothing reads it (no fine or reward on expected rates,
    no macro state to support).

    In the replicator (k = 30) this costs 1.2-1.6x the bare game where the general path costs
    3-8x (docs/performance.md): its three scratch arrays, its views of the matrices (a call
    into numba's ``reshape`` each) and its second pass were most of the difference.
    """
    k = A.shape[0]
    fine, detection, reward, tax, cost, _, conformity, _, _, captured, _ = regime_terms(params)
    played = regime_sanction_count(params)
    s = y[k] if regime_coevolves(params) else 1.0
    fine = s * detection * fine
    reward = s * detection * reward
    cost = s * cost
    room = out.size > k
    support = 0.0
    mean_pi = 0.0
    if played == 0 and (room or fine != 0.0 or reward != 0.0):
        cs = regime_matrix_start(k, 0)
        i = 0
        while i + 4 <= k:
            a0, a1, a2, a3, c0, c1, c2, c3 = eight_rows(
                A[i], A[i + 1], A[i + 2], A[i + 3], _row(params, cs, i, k),
                _row(params, cs, i + 1, k), _row(params, cs, i + 2, k),
                _row(params, cs, i + 3, k), y, k)
            support += y[i] * c0
            v = _regime_row(a0, c0, played, fine, reward, cost, s, captured)
            out[i] = v
            mean_pi += y[i] * v
            support += y[i + 1] * c1
            v = _regime_row(a1, c1, played, fine, reward, cost, s, captured)
            out[i + 1] = v
            mean_pi += y[i + 1] * v
            support += y[i + 2] * c2
            v = _regime_row(a2, c2, played, fine, reward, cost, s, captured)
            out[i + 2] = v
            mean_pi += y[i + 2] * v
            support += y[i + 3] * c3
            v = _regime_row(a3, c3, played, fine, reward, cost, s, captured)
            out[i + 3] = v
            mean_pi += y[i + 3] * v
            i += 4
        while i < k:
            c = row_dot(_row(params, cs, i, k), y, k)
            support += y[i] * c
            v = _regime_row(row_dot(A[i], y, k), c, played, fine, reward, cost, s, captured)
            out[i] = v
            mean_pi += y[i] * v
            i += 1
        for i in range(k):
            out[i] = (1.0 - tax) * out[i] + tax * mean_pi + conformity * y[i]
        if room:
            out[k] = support
        return
    if room:
        _matrix_times(params, regime_matrix_start(k, 0), y, k, out, False)
        for i in range(k):  # as cooperation_rates
            support += y[i] * out[i]
    elif played == 0:  # fine and reward 0: C x would only be multiplied by 0
        for i in range(k):
            out[i] = 0.0
    if played > 0:
        _matrix_times(params, regime_matrix_start(k, 1), y, k, out, False)
        if played == 2:  # no switch: fines and rewards both act, S_fine x + S_reward x
            _matrix_times(params, regime_matrix_start(k, 2), y, k, out, True)
    i = 0
    while i + 4 <= k:
        a0, a1, a2, a3 = four_rows(A[i], A[i + 1], A[i + 2], A[i + 3], y, k)
        v = _regime_row(a0, out[i], played, fine, reward, cost, s, captured)
        out[i] = v
        mean_pi += y[i] * v
        v = _regime_row(a1, out[i + 1], played, fine, reward, cost, s, captured)
        out[i + 1] = v
        mean_pi += y[i + 1] * v
        v = _regime_row(a2, out[i + 2], played, fine, reward, cost, s, captured)
        out[i + 2] = v
        mean_pi += y[i + 2] * v
        v = _regime_row(a3, out[i + 3], played, fine, reward, cost, s, captured)
        out[i + 3] = v
        mean_pi += y[i + 3] * v
        i += 4
    while i < k:
        v = _regime_row(row_dot(A[i], y, k), out[i], played, fine, reward, cost, s, captured)
        out[i] = v
        mean_pi += y[i] * v
        i += 1
    for i in range(k):
        out[i] = (1.0 - tax) * out[i] + tax * mean_pi + conformity * y[i]
    if room:
        out[k] = support


@jit()
def group_institution_fitness(y, A, params, out):
    """A regime on a group game: the group game's expected payoffs (its packed array follows
    the regime in ``params``), then the regime's terms with ``c = C x``."""
    k = A.shape[0]
    group_fitness(y, regime_group_game(params, k), out)
    _regime_terms_and_support(y, k, params, out)


@jit()
def macro_rate(support, m, params):
    """``lambda (support - m) - decay``, held at the boundaries of [0, 1]."""
    _, _, _, _, _, _, _, lam, decay, _, _ = regime_terms(params)
    if lam == 0.0 and decay == 0.0:
        return 0.0
    dm = lam * (support - m) - decay
    if (m <= 0.0 and dm < 0.0) or (m >= 1.0 and dm > 0.0):
        return 0.0
    return dm


@jit()
def fine_vote(y, A, params):
    """The members' vote on the fine level at state ``y``: ``(share_high, target)``.

    Fitness is linear in the fine level ``F``: before the tax, ``d v_i / dF = g_i = s
    (S_fine x)_i / F_played`` (the fine part of the sanctions, zero while a switch holds fines
    off), and after it ``D_i = (1 - tau) g_i + tau sum_j x_j g_j``. A member's preferred level
    in ``[lo, hi]`` is therefore ``hi`` when ``D_i > 0``, ``lo`` when ``D_i < 0`` and the
    current level on a tie (``|D_i| <= VOTE_TOL``). ``share_high`` is the share of the
    population preferring ``hi``. The rule (``majority``: the whole population; ``elite``: the
    richest members, by payoff before conformity, down to ``elite_share`` of the population)
    chooses the weighted median of its members' preferred levels: ``hi`` if more than half
    of the weight prefers it, ``lo`` if more than half prefers that, else the current level
    (which is then a median). ``target`` is the chosen level's position ``u`` in [0, 1].
    """
    k = A.shape[0]
    rule, _, _, _, played, elite = regime_rule(params)
    co = 1 if regime_coevolves(params) else 0
    u = y[k + co]
    c = np.empty(k)
    level = cooperation_rates(regime_cooperation(params, k), y, c)
    sf = np.empty(k)
    sr = np.empty(k)
    sanction_rates(params, k, y, sf, sr)
    s = strength(y, k, params)
    on = 1.0
    if params[SWITCH] > 0.0 and level < params[SWITCH]:
        on = 0.0
    tax = params[TAX]
    mean_g = 0.0
    for i in range(k):
        sf[i] = s * on * sf[i] / played
        mean_g += y[i] * sf[i]
    high = 0.0
    for i in range(k):
        d = (1.0 - tax) * sf[i] + tax * mean_g
        sf[i] = 1.0 if d > VOTE_TOL else (-1.0 if d < -VOTE_TOL else 0.0)
        if sf[i] > 0.0:
            high += y[i]
    # the voters' weights
    w = np.empty(k)
    if rule == 1:
        for i in range(k):
            w[i] = y[i]
    else:
        pay = np.empty(k)
        institution_fitness(y, A, params, pay)
        for i in range(k):
            pay[i] = -(pay[i] - params[CONFORMITY] * y[i])
            w[i] = 0.0
        order = np.argsort(pay, kind="mergesort")
        left = elite
        for r in range(k):
            i = order[r]
            if left <= 0.0:
                break
            w[i] = min(y[i], left)
            left -= w[i]
    total = 0.0
    w_hi = 0.0
    w_lo = 0.0
    for i in range(k):
        total += w[i]
        if sf[i] > 0.0:
            w_hi += w[i]
        elif sf[i] < 0.0:
            w_lo += w[i]
    target = u
    if w_hi > 0.5 * total:
        target = 1.0
    elif w_lo > 0.5 * total:
        target = 0.0
    return high, target


@jit(refcount=False)
def macro_velocity(y, A, params, fitness_out, out):
    """The macro state's velocity into ``out[k:]`` for the infinite population, right after
    :func:`institution_fitness` filled ``fitness_out`` (the support ``sum_i x_i (C x)_i`` is
    in ``fitness_out[k]``): ``dm/dt`` when the institution co-evolves, then, when the members
    choose the fine, ``du/dt = rate (target - u)`` (:func:`fine_vote`), held in [0, 1]."""
    k = A.shape[0]
    j = k
    if regime_coevolves(params):
        out[j] = macro_rate(fitness_out[k], y[j], params)
        j += 1
    rule, rate, _, _, _, _ = regime_rule(params)
    if rule > 0:
        _, target = fine_vote(y, A, params)
        du = rate * (target - y[j])
        if (y[j] <= 0.0 and du < 0.0) or (y[j] >= 1.0 and du > 0.0):
            du = 0.0
        out[j] = du


@jit()
def institution_macro(Y, A, params):
    """Per row of states ``Y`` (T x n): the institution's strength ``s`` in force, the share of
    the population preferring the high fine and the position of the chosen level (the last two
    NaN unless the members choose the fine). Returns a T x 3 array."""
    k = A.shape[0]
    out = np.empty((Y.shape[0], 3))
    rule = regime_rule(params)[0]
    for t in range(Y.shape[0]):
        y = Y[t]
        out[t, 0] = strength(y, k, params)
        if rule > 0:
            high, target = fine_vote(y, A, params)
            out[t, 1] = high
            out[t, 2] = target
        else:
            out[t, 1] = np.nan
            out[t, 2] = np.nan
    return out
