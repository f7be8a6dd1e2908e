"""Polities: a metapopulation of finite populations, each under its own regime.

The model of Traulsen & Nowak (2006), "Evolution of cooperation by multilevel selection",
PNAS 103: 10952, with migration (as in their extension), institutional imitation between
polities and collapse added. ``m`` polities (slots ``0 .. m-1``) each hold at most ``n``
members, counted per strategy (``counts[p]``, length ``k``). One elementary step is one event:

1. **Institutional imitation** (probability ``imitation``): a uniformly chosen polity ``p``
   looks at a uniformly chosen other polity ``q``; if their regimes differ, ``p`` adopts
   ``q``'s with the Fermi probability ``1 / (1 + exp(-beta (P_q - P_p)))``, ``P`` a polity's
   mean payoff (after its regime) and ``beta = imitation_selection``. Its institution starts at
   the new regime's initial strength.
2. Otherwise a **birth** (probability ``1 - imitation``): a parent is drawn from the whole
   metapopulation with probability proportional to its fitness ``exp(w pi)``, ``pi`` its
   payoff against the other members of its polity under its polity's regime and the current
   game; the offspring takes the parent's strategy, or with probability ``mu`` (the parent's
   regime's mutation) a uniformly chosen other one. With probability ``migration`` it joins a
   uniformly chosen other polity, else its parent's. Into a destination ``d``:

   * with fewer than ``n`` members, ``d`` grows by one;
   * with ``n`` members, with probability ``split`` the ``n + 1`` (offspring included) are
     divided at random (without replacement) into ``ceil((n + 1) / 2)`` who stay in ``d`` (the
     polity keeps its identity) and ``floor((n + 1) / 2)`` who found a new polity with ``d``'s
     regime and institution strength; the new polity takes the slot of a uniformly chosen
     polity other than ``d``, which dies (so ``m`` is constant);
   * otherwise the offspring replaces a uniformly chosen one of ``d``'s ``n`` members
     (possibly its parent: the Moran process of :mod:`kernels.finite` when ``m = 1``).

Under ``fermi`` (cfg) step 2 is a **pairwise comparison** instead (:func:`_fermi`): a focal
member drawn uniformly from the metapopulation copies a uniformly chosen other member of its
polity with the Fermi probability, or mutates; nobody is born, so sizes never change. With a
group game (cfg's ``comps`` not empty) the payoff sums are the hypergeometric expectations of
:func:`_group_sums` instead of linear in the counts.

Before each step, the environment may change the game (a change point of the schedule), and
every polity whose mean payoff has stayed below ``threshold`` for ``duration`` steps
**collapses**: it dies and its slot is refounded as a copy (members, regime, institution) of a
uniformly chosen other polity.

A co-evolving institution's strength follows ``dm/dt = lambda (support - m) - decay`` (support:
the polity's cooperation level) with time advancing ``1 / M`` per step (``M`` the members of
the whole metapopulation). Between the events that touch a polity its composition is constant,
so the law is integrated exactly there (``m* + (m - m*) exp(-lambda dt)``, ``m* = support -
decay / lambda``, held in [0, 1]) when the polity is next touched; a polity's fitness uses the
strength of its last event.

Fitness sampling: a sum tree over the polities' total fitness ``sum_i n_i exp(w (pi_i -
ref))`` (``ref`` a payoff the run rescales to whenever the exponentials would leave a safe
range) picks the parent's polity in ``O(log m)``; a step costs ``O(k + log m)``.

Randomness: one counter-based stream (:mod:`kernels.rng`) per run, keyed by the run's
position; :func:`fixation_runs` keys run ``r`` by ``r``, so results do not depend on threads.
"""

import math

import numpy as np
from numba import prange

from evopolity.kernels._jit import jit
from evopolity.kernels.codes import INSTITUTIONS
from evopolity.kernels.finite import _other, _pick_count, _pick_weighted
from evopolity.kernels.fitness import VOTE_TOL, institution_adjust
from evopolity.kernels.group import _lb
from evopolity.kernels.layout import (
    CONFORMITY,
    DECAY,
    ELITE_SHARE,
    FEEDBACK,
    FINE_HI,
    FINE_LO,
    FINE_PLAYED,
    FUNDED,
    LEVY,
    N_REGIME,
    RULE,
    RULE_RATE,
    SANCTIONS,
    SECOND_ORDER,
    SWITCH,
    TAX,
    UPKEEP,
)
from evopolity.kernels.rng import GOLDEN, stream_key, unit_float
from evopolity.kernels.rules import imitation as fermi_probability

# kinds of events (column KIND of the event log)
SPLIT, EXTINCTION, COLLAPSE, REFOUNDING, ADOPTION, ENVIRONMENT = 0, 1, 2, 3, 4, 5
EVENT_KINDS = ("split", "extinction", "collapse", "refounding", "adoption", "environment")
# columns of the event log: step, kind, polity id, other id (or game), regime index
EV_STEP, EV_KIND, EV_POLITY, EV_OTHER, EV_REGIME = 0, 1, 2, 3, 4
N_EVENT_COLS = 5
# slots of the integer state
I_STEP, I_GAME, I_NEXT_ID, I_MEMBERS, I_RECORD, I_CHANGE, I_EVENTS = 0, 1, 2, 3, 4, 5, 6
N_ISTATE = 7
# slots of the float state: time (in generations of M steps) and the fitness reference payoff
F_TIME, F_REF = 0, 1
N_FSTATE = 2
# what advance() returns
REACHED, EVENTS_FULL, ABSORBED = 0, 1, 2
# the largest w (pi - ref) kept before rescaling to a new ref: exp(200) ~ 7e86
RESCALE_AT = 200.0
# a total fitness below this is rescaled too (every exponential underflowing)
TINY_TOTAL = 1e-200


def inner(**options):
    """:func:`kernels._jit.jit` for a function only other kernels call: compiled without
    the CPython and C wrappers that would let Python call it. A wrapper unboxes every
    argument, and for the state and configuration tuples (~40 arrays) it cost ~0.4 s of
    compilation per function, most of the module's cold compile."""
    return jit(no_cpython_wrapper=True, no_cfunc_wrapper=True, **options)


# -- sum and min trees over the polities ---------------------------------------------------


@inner(refcount=False)
def _sum_set(tree, P, p, value):
    i = P + p
    tree[i] = value
    i //= 2
    while i >= 1:
        tree[i] = tree[2 * i] + tree[2 * i + 1]
        i //= 2


@inner(refcount=False)
def _min_set(tree, P, p, value):
    i = P + p
    tree[i] = value
    i //= 2
    while i >= 1:
        tree[i] = min(tree[2 * i], tree[2 * i + 1])
        i //= 2


@inner(refcount=False)
def _sum_pick(tree, P, u):
    """The leaf drawn with probability proportional to its value (``u`` in [0, 1))."""
    r = u * tree[1]
    i = 1
    while i < P:
        left = tree[2 * i]
        if r < left or tree[2 * i + 1] <= 0.0:
            i = 2 * i
        else:
            r -= left
            i = 2 * i + 1
    return i - P


@inner(refcount=False)
def _min_leaf(tree, P):
    i = 1
    while i < P:
        i = 2 * i if tree[2 * i] <= tree[2 * i + 1] else 2 * i + 1
    return i - P


# -- one polity ------------------------------------------------------------------------------


@inner(refcount=False)
def _payoff_sums(A, C, counts, p, S, SC):
    """``S[p, i] = sum_j A[i, j] n_j`` and ``SC[p, i] = sum_j C[i, j] n_j``."""
    k = counts.shape[1]
    for i in range(k):
        a = 0.0
        b = 0.0
        for j in range(k):
            a += A[i, j] * counts[p, j]
            b += C[i, j] * counts[p, j]
        S[p, i] = a
        SC[p, i] = b


@inner(refcount=False)
def _group_sums(comps, pf, lf, counts, p, S):
    """``S[p, i] = (N - 1) f_i`` for a group game: ``f_i`` the expected payoff of an ``i``
    whose ``g`` co-players are drawn without replacement from the ``N - 1`` other members,
    ``f_i = sum_o prod_j C(n_j - [j = i], o_j) / C(N - 1, g) pf[o, i]`` (kernels/group.py;
    0 for a strategy absent from the polity). Scaled by ``N - 1`` so that the refresh reads
    payoffs the same way for a group game (whose matrices are 0) as for a matrix game."""
    K, k = comps.shape
    N = 0
    g = 0
    for j in range(k):
        N += counts[p, j]
        g += comps[0, j]
    total = _lb(lf, N - 1, g)
    for i in range(k):
        s = 0.0
        if counts[p, i] > 0:
            for o in range(K):
                lw = -total
                for j in range(k):
                    lw += _lb(lf, counts[p, j] - (1 if j == i else 0), comps[o, j])
                if lw > -np.inf:
                    s += math.exp(lw) * pf[o, i]
        S[p, i] = s * (N - 1.0)


@inner(refcount=False)
def _sums(cfg, game, counts, p, S, SC):
    """The payoff and cooperation sums of polity ``p`` in game ``game``, from scratch."""
    games, C, comps = cfg[0], cfg[1], cfg[18]
    _payoff_sums(games[game], C, counts, p, S, SC)
    if comps.shape[0] > 0:
        _group_sums(comps, cfg[19][game], cfg[20], counts, p, S)


@inner(refcount=False)
def _support(C, counts, size, SC, p):
    """The cooperation level of polity ``p``: ``sum_i x_i (SC_i - C_ii) / (N - 1)``."""
    N = size[p]
    if N < 2:
        return 0.0
    s = 0.0
    for i in range(counts.shape[1]):
        s += counts[p, i] * (SC[p, i] - C[i, i])
    return s / (N * (N - 1.0))


@jit(refcount=False)
def strength_after(m, support, lam, decay, dt):
    """The institution's strength ``dt`` after ``m`` at constant ``support`` (exact)."""
    if dt <= 0.0:
        return m
    if lam > 0.0:
        target = support - decay / lam
        m = target + (m - target) * math.exp(-lam * dt)
    else:
        m = m - decay * dt
    return min(1.0, max(0.0, m))


@jit(refcount=False)
def level_after(u, target, rate, dt):
    """The chosen fine level's position ``dt`` after ``u`` while the vote holds ``target``:
    ``du/dt = rate (target - u)`` integrated exactly (a tie holds ``target = u``)."""
    if dt <= 0.0:
        return u
    return target + (u - target) * math.exp(-rate * dt)


@jit(refcount=False, inline="always")
def _catch_up(p, st, cfg, t):
    """Bring polity ``p``'s institution up to time ``t``."""
    counts, size, S, SC, pay, fit, mean_pay, reg, strength, last_t, ids, below = st[:12]
    C, rparams, roff, rcoev = cfg[1], cfg[2], cfg[3], cfg[6]
    r = reg[p]
    if rcoev[r]:
        lam = rparams[roff[r] + FEEDBACK]
        decay = rparams[roff[r] + DECAY]
        strength[p] = strength_after(strength[p], _support(C, counts, size, SC, p), lam, decay,
                                     t - last_t[p])
    if cfg[4][r] == INSTITUTIONS and rparams[roff[r] + RULE] > 0.0:
        st[19][p] = level_after(st[19][p], st[20][p], rparams[roff[r] + RULE_RATE],
                                t - last_t[p])
    last_t[p] = t


@inner(refcount=False)
def _sanction_sums(params, w, counts, p, inv, out):
    """``out[i] = sum_j S[i, j] (n_j - [i = j]) / (N - 1)``, ``S`` the k x k matrix ``w``
    after the cooperation matrix of regime array ``params`` (``1 + w``: sanction matrix
    ``w``; after the sanction matrices, a funded regime's ``S_inst``): what ``i`` meets
    among the other members of polity ``p``, read row by row without a view."""
    k = counts.shape[1]
    start = N_REGIME + w * k * k
    for i in range(k):
        s = 0.0
        for j in range(k):
            s += params[start + i * k + j] * counts[p, j]
        out[i] = (s - params[start + i * k + i]) * inv


@inner(refcount=False)
def _member_payoffs(p, st, cfg, params, coevolves):
    """Payoffs ``pi`` (base payoffs in, after the regime out) of polity ``p`` under a regime
    with sanctions played inside matches, an institution the members fund or a fine level
    they choose: :func:`kernels.fitness.general_institution_fitness` with every rate read
    against the other members of the polity (``(M (n - e_i))_i / (N - 1)``, as the base
    payoffs), and the frequencies ``x = n / N`` where the well-mixed fitness reads ``x``.

    * sanctions: ``S_fine`` and ``S_reward`` rates, the fine part scaled by the chosen level
      over the level played (``(lo + u (hi - lo)) / F_played``);
    * funded: contributors (the first ``k / 2`` strategies) pay the levy, the strength is
      ``s = min(1, levy p / (upkeep - R))`` (1 once ``R >= upkeep``; ``p`` the contributors'
      share, ``R = sum_i x_i (S_inst rates)_i`` at the level in force), abstainers pay the
      second-order fine ``s F2``; ``s`` is left in the polity's strength (what the records
      read);
    * chosen: the vote of :func:`kernels.fitness.fine_vote` on these rates sets the target
      ``st[20][p]`` the level moves toward until the polity's next event.
    """
    counts, size, SC, strength = st[0], st[1], st[3], st[8]
    u, tgt, work = st[19], st[20], st[21]
    pi = st[14]
    C = cfg[1]
    k = counts.shape[1]
    N = size[p]
    inv = 1.0 / (N - 1.0) if N > 1 else 0.0
    x, c, sf, sr, out, g, wts = work[0], work[1], work[2], work[3], work[4], work[5], work[6]
    level = 0.0
    for i in range(k):
        x[i] = counts[p, i] / N
        c[i] = (SC[p, i] - C[i, i]) * inv
        level += x[i] * c[i]
        sf[i] = 0.0
        sr[i] = 0.0
    played = int(params[SANCTIONS])
    if played > 0:
        _sanction_sums(params, 1, counts, p, inv, sf)
    if played > 1:
        _sanction_sums(params, 2, counts, p, inv, sr)
    rule = int(params[RULE])
    scale = 1.0
    if rule > 0:
        scale = (params[FINE_LO] + u[p] * (params[FINE_HI] - params[FINE_LO])) / params[FINE_PLAYED]
    s = strength[p] if coevolves else 1.0
    if params[FUNDED] > 0.0:
        half = k // 2
        share = 0.0
        for i in range(half):
            share += x[i]
        _sanction_sums(params, 1 + played, counts, p, inv, g)
        R = 0.0
        for i in range(k):
            R += x[i] * g[i]
        R *= scale
        upkeep = params[UPKEEP]
        s = 1.0 if R >= upkeep else min(1.0, max(0.0, params[LEVY] * share / (upkeep - R)))
        strength[p] = s
        for i in range(half):
            pi[i] -= params[LEVY]
        for i in range(half, k):
            pi[i] -= s * params[SECOND_ORDER]
    for i in range(k):
        g[i] = sf[i]  # the fine part at the level played, for the vote
        sf[i] *= scale
    institution_adjust(pi, c, x, s, params, out, sf, sr)
    for i in range(k):
        pi[i] = out[i]
    if rule == 0:
        return
    # the vote (kernels.fitness.fine_vote): fitness is linear in the fine level
    on = 0.0 if params[SWITCH] > 0.0 and level < params[SWITCH] else 1.0
    tax = params[TAX]
    mean_g = 0.0
    for i in range(k):
        g[i] = s * on * g[i] / params[FINE_PLAYED]
        mean_g += x[i] * g[i]
    for i in range(k):
        d = (1.0 - tax) * g[i] + tax * mean_g
        g[i] = 1.0 if d > VOTE_TOL else (-1.0 if d < -VOTE_TOL else 0.0)
    if rule == 1:
        for i in range(k):
            wts[i] = x[i]
    else:
        # the richest first (payoff before conformity; ties: the lower index first, as a
        # stable sort), down to elite_share of the members
        for i in range(k):
            wts[i] = 0.0
            out[i] = pi[i] - params[CONFORMITY] * x[i]
        left = params[ELITE_SHARE]
        while left > 0.0:
            best = -1
            for i in range(k):
                if wts[i] == 0.0 and x[i] > 0.0 and (best < 0 or out[i] > out[best]):
                    best = i
            if best < 0:
                break
            wts[best] = min(x[best], left)
            left -= wts[best]
    total = 0.0
    w_hi = 0.0
    w_lo = 0.0
    for i in range(k):
        total += wts[i]
        if g[i] > 0.0:
            w_hi += wts[i]
        elif g[i] < 0.0:
            w_lo += wts[i]
    t = u[p]
    if w_hi > 0.5 * total:
        t = 1.0
    elif w_lo > 0.5 * total:
        t = 0.0
    tgt[p] = t


@jit(refcount=False, inline="always")
def _refresh_inline(p, st, cfg, game, ref, step):
    """Payoffs, fitness, mean payoff, tree leaves (and collapse deadline) of polity ``p``.

    Returns the largest payoff of a strategy present in ``p``.
    """
    counts, size, S, SC, pay, fit, mean_pay, reg, strength, last_t, ids, below = st[:12]
    tree, dtree, pi, c, x, out = st[12:18]
    games, C, rparams, roff, rmodel = cfg[0], cfg[1], cfg[2], cfg[3], cfg[4]
    rcoev = cfg[6]
    w = cfg[9]
    collapse_on, threshold, duration = cfg[14], cfg[15], cfg[16]
    fermi = cfg[17]
    k = counts.shape[1]
    P = tree.size // 2
    N = size[p]
    inv = 1.0 / (N - 1.0) if N > 1 else 0.0
    for i in range(k):
        pi[i] = (S[p, i] - games[game, i, i]) * inv
    r = reg[p]
    if rmodel[r] == INSTITUTIONS and (rparams[roff[r] + SANCTIONS] > 0.0
                                      or rparams[roff[r] + FUNDED] > 0.0
                                      or rparams[roff[r] + RULE] > 0.0):
        # played sanctions, a funded institution or a chosen fine: out of line (O(k^2))
        _member_payoffs(p, st, cfg, rparams[roff[r]:roff[r + 1]], rcoev[r])
    elif rmodel[r] == INSTITUTIONS:
        params = rparams[roff[r]:roff[r + 1]]
        for i in range(k):
            x[i] = counts[p, i] / N
            c[i] = (SC[p, i] - C[i, i]) * inv
        s = strength[p] if rcoev[r] else 1.0
        # the played-sanction inputs are never read: the regime arrays of polities carry no
        # sanction matrices (dynamics/polities.py refuses a tournament played under a regime)
        institution_adjust(pi, c, x, s, params, out, c, c)
        for i in range(k):
            pi[i] = out[i]
    mean = 0.0
    top = -np.inf
    total = 0.0
    for i in range(k):
        pay[p, i] = pi[i]
        e = w * (pi[i] - ref)
        f = math.exp(e if e < 700.0 else 700.0)
        fit[p, i] = f
        if counts[p, i] > 0:
            mean += counts[p, i] * pi[i]
            total += counts[p, i] * f
            if pi[i] > top:
                top = pi[i]
    mean_pay[p] = mean / N
    # the pairwise comparison picks its focal member uniformly: the tree holds sizes
    _sum_set(tree, P, p, float(N) if fermi else total)
    if collapse_on:
        if mean_pay[p] < threshold:
            if below[p] < 0:
                below[p] = step
            _min_set(dtree, P, p, float(below[p] + duration))
        else:
            below[p] = -1
            _min_set(dtree, P, p, np.inf)
    return top


@inner(refcount=False)
def _refresh(p, st, cfg, game, ref, step):
    """:func:`_refresh_inline` out of line, for the rare callers."""
    return _refresh_inline(p, st, cfg, game, ref, step)


@inner(refcount=False)
def _rescale(st, cfg, fs, istate):
    """Recompute every polity with ``ref`` the largest payoff present (rare: at the start,
    when the game changes, or when exponentials would leave the safe range)."""
    counts = st[0]
    m = counts.shape[0]
    game = istate[I_GAME]
    step = istate[I_STEP]
    top = -np.inf
    for p in range(m):
        t = _refresh(p, st, cfg, game, fs[F_REF], step)
        if t > top:
            top = t
    fs[F_REF] = top
    for p in range(m):
        _refresh(p, st, cfg, game, top, step)


@jit(refcount=False, inline="always")
def _touch_inline(p, st, cfg, fs, istate):
    """:func:`_refresh` polity ``p``, rescaling everything when its fitness leaves the range."""
    w = cfg[9]
    top = _refresh_inline(p, st, cfg, istate[I_GAME], fs[F_REF], istate[I_STEP])
    tree = st[12]
    if w * (top - fs[F_REF]) > RESCALE_AT or tree[1] < TINY_TOTAL:
        _rescale(st, cfg, fs, istate)


@inner(refcount=False)
def _touch(p, st, cfg, fs, istate):
    """:func:`_touch_inline` out of line, for the rare callers (calling :func:`_refresh`:
    a third inlined copy of the refresh would cost compile time, not speed)."""
    w = cfg[9]
    top = _refresh(p, st, cfg, istate[I_GAME], fs[F_REF], istate[I_STEP])
    tree = st[12]
    if w * (top - fs[F_REF]) > RESCALE_AT or tree[1] < TINY_TOTAL:
        _rescale(st, cfg, fs, istate)


@inner(refcount=False)
def _log(ev, istate, kind, polity, other, regime):
    e = istate[I_EVENTS]
    ev[e, EV_STEP] = istate[I_STEP]
    ev[e, EV_KIND] = kind
    ev[e, EV_POLITY] = polity
    ev[e, EV_OTHER] = other
    ev[e, EV_REGIME] = regime
    istate[I_EVENTS] = e + 1


@inner(refcount=False)
def _record(st, cfg, fs, istate, rec):
    """Row ``istate[I_RECORD]`` of the records (institutions extrapolated, state untouched)."""
    counts, size, S, SC, pay, fit, mean_pay, reg, strength, last_t, ids, below = st[:12]
    C, rparams, roff, rcoev = cfg[1], cfg[2], cfg[3], cfg[6]
    rec_counts, rec_ids, rec_reg, rec_strength, rec_mean, rec_fine = rec
    u, tgt = st[19], st[20]
    row = istate[I_RECORD]
    t = fs[F_TIME]
    for p in range(counts.shape[0]):
        for i in range(counts.shape[1]):
            rec_counts[row, p, i] = counts[p, i]
        rec_ids[row, p] = ids[p]
        rec_reg[row, p] = reg[p]
        rec_mean[row, p] = mean_pay[p]
        r = reg[p]
        if rcoev[r]:
            rec_strength[row, p] = strength_after(
                strength[p], _support(C, counts, size, SC, p), rparams[roff[r] + FEEDBACK],
                rparams[roff[r] + DECAY], t - last_t[p],
            )  # fmt: skip
        else:
            rec_strength[row, p] = strength[p]
        if cfg[4][r] == INSTITUTIONS and rparams[roff[r] + RULE] > 0.0:
            lo, hi = rparams[roff[r] + FINE_LO], rparams[roff[r] + FINE_HI]
            rec_fine[row, p] = lo + (hi - lo) * level_after(
                u[p], tgt[p], rparams[roff[r] + RULE_RATE], t - last_t[p])
        else:
            rec_fine[row, p] = np.nan
    istate[I_RECORD] = row + 1


# -- the events ------------------------------------------------------------------------------


@inner(refcount=False)
def _copy_polity(src, dst, st):
    counts, size, S, SC = st[0], st[1], st[2], st[3]
    reg, strength, last_t = st[7], st[8], st[9]
    for i in range(counts.shape[1]):
        counts[dst, i] = counts[src, i]
        S[dst, i] = S[src, i]
        SC[dst, i] = SC[src, i]
    size[dst] = size[src]
    reg[dst] = reg[src]
    strength[dst] = strength[src]
    last_t[dst] = last_t[src]
    st[19][dst] = st[19][src]
    st[20][dst] = st[20][src]


@inner(refcount=False)
def _collapse(p, counter, st, cfg, fs, istate, ev, log):
    """Polity ``p`` dies and is refounded as a copy of a uniformly chosen other polity."""
    counts, size, reg, ids, below, tot = st[0], st[1], st[7], st[10], st[11], st[18]
    m = counts.shape[0]
    counter += GOLDEN
    j = int(unit_float(counter) * (m - 1))
    if j >= m - 1:
        j = m - 2
    q = j + 1 if j >= p else j
    new = istate[I_NEXT_ID]
    istate[I_NEXT_ID] = new + 1
    if log:
        _log(ev, istate, COLLAPSE, ids[p], new, reg[p])
        _log(ev, istate, REFOUNDING, new, ids[q], reg[q])
    _catch_up(q, st, cfg, fs[F_TIME])
    for i in range(counts.shape[1]):
        tot[i] += counts[q, i] - counts[p, i]
    istate[I_MEMBERS] += size[q] - size[p]
    _copy_polity(q, p, st)
    ids[p] = new
    below[p] = -1
    _touch(p, st, cfg, fs, istate)
    return counter


@inner(refcount=False)
def _imitate(counter, st, cfg, fs, istate, ev, log):
    """Institutional imitation: a polity may adopt the regime of a random other one."""
    counts, mean_pay, reg, strength, last_t, ids = st[0], st[6], st[7], st[8], st[9], st[10]
    rm0 = cfg[7]
    beta = cfg[13]
    m = counts.shape[0]
    counter += GOLDEN
    p = int(unit_float(counter) * m)
    if p >= m:
        p = m - 1
    counter += GOLDEN
    j = int(unit_float(counter) * (m - 1))
    if j >= m - 1:
        j = m - 2
    q = j + 1 if j >= p else j
    if reg[q] != reg[p]:
        prob = 1.0 / (1.0 + math.exp(-beta * (mean_pay[q] - mean_pay[p])))
        counter += GOLDEN
        if unit_float(counter) < prob:
            _catch_up(p, st, cfg, fs[F_TIME])
            reg[p] = reg[q]
            strength[p] = rm0[reg[q]]
            st[19][p] = cfg[21][reg[q]]
            st[20][p] = cfg[21][reg[q]]
            last_t[p] = fs[F_TIME]
            if log:
                _log(ev, istate, ADOPTION, ids[p], ids[q], reg[p])
            _touch(p, st, cfg, fs, istate)
    return counter


@jit(refcount=False, inline="always")
def _birth(counter, st, cfg, fs, istate, ev, log):
    """A birth, its migration, and growth, replacement or splitting of its destination."""
    counts, size, S, SC, pay, fit, mean_pay, reg, strength, last_t, ids, below = st[:12]
    tree, tot = st[12], st[18]
    games, C = cfg[0], cfg[1]
    rmu = cfg[5]
    n, migration, split = cfg[8], cfg[10], cfg[11]
    m, k = counts.shape
    P = tree.size // 2
    A = games[istate[I_GAME]]
    counter += GOLDEN
    p = _sum_pick(tree, P, unit_float(counter))
    counter += GOLDEN
    born = _pick_weighted(fit[p], counts[p], tree[P + p], unit_float(counter))
    mu = rmu[reg[p]]
    if mu > 0.0 and k > 1:
        counter += GOLDEN
        if unit_float(counter) < mu:
            counter += GOLDEN
            born = _other(born, k, unit_float(counter))
    d = p
    if migration > 0.0 and m > 1:
        counter += GOLDEN
        if unit_float(counter) < migration:
            counter += GOLDEN
            j = int(unit_float(counter) * (m - 1))
            if j >= m - 1:
                j = m - 2
            d = j + 1 if j >= p else j
    _catch_up(d, st, cfg, fs[F_TIME])
    if size[d] < n:
        counts[d, born] += 1
        size[d] += 1
        tot[born] += 1
        istate[I_MEMBERS] += 1
        for i in range(k):
            S[d, i] += A[i, born]
            SC[d, i] += C[i, born]
    else:
        splits = False
        if split > 0.0 and m > 1:
            counter += GOLDEN
            splits = unit_float(counter) < split
        if not splits:
            counter += GOLDEN
            dead = _pick_count(counts[d], float(n), -1, unit_float(counter))
            if dead != born:
                counts[d, born] += 1
                counts[d, dead] -= 1
                tot[born] += 1
                tot[dead] -= 1
                for i in range(k):
                    S[d, i] += A[i, born] - A[i, dead]
                    SC[d, i] += C[i, born] - C[i, dead]
        else:
            counter = _split(d, born, counter, st, cfg, fs, istate, ev, log)
    if cfg[18].shape[0] > 0:
        # a group game: payoffs are not linear in the counts (rare path, out of line)
        _group_sums(cfg[18], cfg[19][istate[I_GAME]], cfg[20], counts, d, S)
    # one inlined refresh of the destination for every case (a split refreshed its daughter)
    _touch_inline(d, st, cfg, fs, istate)
    return counter


@jit(refcount=False, inline="always")
def _fermi(counter, st, cfg, fs, istate):
    """Pairwise comparison inside a polity (the rule of :func:`kernels.finite.simulate`'s
    ``FERMI``): a focal member drawn uniformly from the metapopulation, with its regime's
    mutation switching to a uniformly chosen other strategy, otherwise copying a uniformly
    chosen other member of its polity with probability ``1 / (1 + exp(-beta (pi_model -
    pi_focal)))`` (``beta = selection``). Sizes never change. Out of line: it is compiled once
    beside the birth, and only runs under ``fermi``."""
    counts, size, S, SC, pay, reg, tree, tot = (
        st[0], st[1], st[2], st[3], st[4], st[7], st[12], st[18])
    games, C, rmu, beta = cfg[0], cfg[1], cfg[5], cfg[9]
    k = counts.shape[1]
    P = tree.size // 2
    counter += GOLDEN
    p = _sum_pick(tree, P, unit_float(counter))
    N = size[p]
    counter += GOLDEN
    dead = _pick_count(counts[p], float(N), -1, unit_float(counter))
    born = dead
    mutated = False
    mu = rmu[reg[p]]
    if mu > 0.0 and k > 1:
        counter += GOLDEN
        if unit_float(counter) < mu:
            counter += GOLDEN
            born = _other(dead, k, unit_float(counter))
            mutated = True
    if not mutated:
        counter += GOLDEN
        model = _pick_count(counts[p], float(N - 1), dead, unit_float(counter))
        if model != dead:
            prob = fermi_probability(1.0, beta, pay[p, model] - pay[p, dead])
            counter += GOLDEN
            if unit_float(counter) < prob:
                born = model
    if born != dead:
        _catch_up(p, st, cfg, fs[F_TIME])
        counts[p, born] += 1
        counts[p, dead] -= 1
        tot[born] += 1
        tot[dead] -= 1
        A = games[istate[I_GAME]]
        for i in range(k):
            S[p, i] += A[i, born] - A[i, dead]
            SC[p, i] += C[i, born] - C[i, dead]
        if cfg[18].shape[0] > 0:
            _group_sums(cfg[18], cfg[19][istate[I_GAME]], cfg[20], counts, p, S)
        _touch(p, st, cfg, fs, istate)
    return counter


@inner(refcount=False)
def _split(d, born, counter, st, cfg, fs, istate, ev, log):
    """Full polity ``d`` and its newborn ``born`` split; the victim ``v`` (a uniformly chosen
    other polity) dies and the daughter takes its slot. Refreshes the daughter, not ``d``."""
    counts, size, S, SC, reg, strength, last_t, ids, below = (
        st[0], st[1], st[2], st[3], st[7], st[8], st[9], st[10], st[11])
    tot = st[18]
    n = cfg[8]
    m, k = counts.shape
    counter += GOLDEN
    j = int(unit_float(counter) * (m - 1))
    if j >= m - 1:
        j = m - 2
    v = j + 1 if j >= d else j
    new = istate[I_NEXT_ID]
    istate[I_NEXT_ID] = new + 1
    if log:
        _log(ev, istate, SPLIT, ids[d], new, reg[d])
        _log(ev, istate, EXTINCTION, ids[v], new, reg[v])
    for i in range(k):
        tot[i] -= counts[v, i]
        counts[v, i] = 0
    istate[I_MEMBERS] += 1 - size[v]
    tot[born] += 1
    counts[d, born] += 1
    remaining = n + 1
    half = (n + 1) // 2
    for _ in range(half):
        counter += GOLDEN
        i = _pick_count(counts[d], float(remaining), -1, unit_float(counter))
        counts[d, i] -= 1
        counts[v, i] += 1
        remaining -= 1
    size[v] = half
    size[d] = n + 1 - half
    reg[v] = reg[d]
    strength[v] = strength[d]
    st[19][v] = st[19][d]
    st[20][v] = st[20][d]
    last_t[v] = fs[F_TIME]
    ids[v] = new
    below[v] = -1
    _sums(cfg, istate[I_GAME], counts, d, S, SC)
    _sums(cfg, istate[I_GAME], counts, v, S, SC)
    _touch(v, st, cfg, fs, istate)
    return counter


@inner(refcount=False)
def _change_game(g, st, cfg, fs, istate):
    """The environment switches every polity to game ``g``."""
    counts, S, SC = st[0], st[2], st[3]
    istate[I_GAME] = g
    for p in range(counts.shape[0]):
        _sums(cfg, g, counts, p, S, SC)
    _rescale(st, cfg, fs, istate)


@inner(refcount=False)
def _advance(st, cfg, fs, istate, ctr, until, record_at, rec, change_at, change_game, ev,
            log, absorbing):  # fmt: skip
    """Run steps until step ``until`` (the state is left at the start of that step).

    ``st`` is the state tuple ``(counts, size, S, SC, pay, fit, mean_pay, reg, strength,
    last_t, ids, below, tree, dtree, pi, c, x, out, tot, u, target, work)`` (``u`` the
    chosen fine level's position, ``target`` the vote's, ``work`` scratch) and ``cfg`` the
    configuration ``(games, C, rparams, roff, rmodel, rmu, rcoev, rm0, n, w, migration,
    split, imitation, beta, collapse_on, threshold, duration, fermi, comps, gpf, lf, ru0)``
    (dynamics/polities.py builds it; ``comps``, ``gpf`` (one table per game) and ``lf`` (log
    factorials up to ``n``) hold a group game, empty for a matrix game, whose ``games`` are
    then zeros).
    ``fs``, ``istate`` and ``ctr`` (the stream's counter) hold the scalars, so a call resumes
    where the last stopped. At the start of each step: game changes due (``change_at``,
    ``change_game``), collapses due, the record due (``record_at``, into ``rec``), then the
    step's event (an institutional imitation, else a birth or, under ``fermi``, a pairwise
    comparison). With ``log``, events go to ``ev``; the call returns ``EVENTS_FULL`` (before
    a step's first change) when fewer than 4 rows are left. With ``absorbing``, it returns
    ``ABSORBED`` once strategy 0 is lost or holds every member. Otherwise ``REACHED``.

    Compiled without reference counting (``kernels._jit.jit``), as everything it calls: it
    allocates nothing, and counting the ~40 arrays of the state and configuration tuples at
    every call cost more than a step's arithmetic. The update rule and the group game are
    runtime branches to out-of-line code (:func:`_fermi`, :func:`_group_sums`), so the
    loop is compiled once for every kind of run.
    """
    dtree, tot = st[13], st[18]
    imitation, collapse_on, fermi = cfg[12], cfg[14], cfg[17]
    P = dtree.size // 2
    counter = ctr[0]
    status = REACHED
    while istate[I_STEP] < until:
        step = istate[I_STEP]
        if absorbing and (tot[0] == 0 or tot[0] == istate[I_MEMBERS]):
            status = ABSORBED
            break
        if log and istate[I_EVENTS] + 4 > ev.shape[0]:
            status = EVENTS_FULL
            break
        while istate[I_CHANGE] < change_at.size and change_at[istate[I_CHANGE]] <= step:
            g = change_game[istate[I_CHANGE]]
            istate[I_CHANGE] += 1
            if g != istate[I_GAME]:
                if log:
                    _log(ev, istate, ENVIRONMENT, -1, g, -1)
                _change_game(g, st, cfg, fs, istate)
            if log and istate[I_EVENTS] + 4 > ev.shape[0]:
                break
        if log and istate[I_EVENTS] + 4 > ev.shape[0]:
            status = EVENTS_FULL
            break
        full = False
        while collapse_on and dtree[1] <= step:
            if log and istate[I_EVENTS] + 4 > ev.shape[0]:
                full = True
                break
            counter = _collapse(_min_leaf(dtree, P), counter, st, cfg, fs, istate, ev, log)
        if full:
            status = EVENTS_FULL
            break
        if istate[I_RECORD] < record_at.size and record_at[istate[I_RECORD]] == step:
            _record(st, cfg, fs, istate, rec)
        imitates = False
        if imitation > 0.0:
            counter += GOLDEN
            imitates = unit_float(counter) < imitation
        if imitates:
            counter = _imitate(counter, st, cfg, fs, istate, ev, log)
        elif fermi:
            counter = _fermi(counter, st, cfg, fs, istate)
        else:
            # one call site: _birth and the refresh inside it are inlined here
            counter = _birth(counter, st, cfg, fs, istate, ev, log)
        fs[F_TIME] += 1.0 / istate[I_MEMBERS]
        istate[I_STEP] = step + 1
    if (status == REACHED and istate[I_RECORD] < record_at.size
            and record_at[istate[I_RECORD]] == istate[I_STEP]):
        _record(st, cfg, fs, istate, rec)
    ctr[0] = counter
    return status


@jit()
def bounded_walk(moves, low, high):
    """The levels of a walk from 0 after each of ``moves`` (+1 or -1), a move that would
    leave ``[low, high]`` not being taken (:class:`dynamics.environments.TemptationWalk`)."""
    out = np.empty(moves.size, np.int64)
    j = 0
    for i in range(moves.size):
        nj = j + moves[i]
        if low <= nj <= high:
            j = nj
        out[i] = j
    return out


# -- setting up a state, running, and the fixation probability --------------------------------


@inner()
def new_state(counts0, reg0, strength0, u0, k, P):
    """The state tuple of :func:`_advance` for initial ``counts0`` (m x k), regimes and
    strengths, and ``u0`` (per regime) the chosen fine level's initial position (payoff sums
    and fitness still to be filled by :func:`start`)."""
    m = counts0.shape[0]
    counts = counts0.copy()
    size = np.zeros(m, np.int64)
    tot = np.zeros(k, np.int64)
    for p in range(m):
        for i in range(k):
            size[p] += counts[p, i]
            tot[i] += counts[p, i]
    ids = np.arange(m).astype(np.int64)
    below = np.full(m, -1, np.int64)
    u = np.zeros(m)
    for p in range(m):
        u[p] = u0[reg0[p]]
    tree = np.zeros(2 * P)
    dtree = np.full(2 * P, np.inf)
    return (counts, size, np.zeros((m, k)), np.zeros((m, k)), np.zeros((m, k)),
            np.zeros((m, k)), np.zeros(m), reg0.copy(), strength0.copy(), np.zeros(m), ids,
            below, tree, dtree, np.empty(k), np.empty(k), np.empty(k), np.empty(k),
            tot, u, u.copy(), np.zeros((7, k)))  # fmt: skip


@inner()
def start(st, cfg, fs, istate):
    """Fill the payoff sums, fitness and trees of a new state (game ``istate[I_GAME]``)."""
    counts, size = st[0], st[1]
    S, SC = st[2], st[3]
    members = 0
    for p in range(counts.shape[0]):
        _sums(cfg, istate[I_GAME], counts, p, S, SC)
        members += size[p]
    istate[I_MEMBERS] = members
    istate[I_NEXT_ID] = counts.shape[0]
    fs[F_REF] = 0.0
    _rescale(st, cfg, fs, istate)


@jit()
def run(cfg, counts0, reg0, strength0, key, until, record_at, change_at, change_game, log,
        absorbing):  # fmt: skip
    """A whole run of :func:`ep.polities`: a new state from ``counts0`` (m x k), ``reg0``
    and ``strength0``, its stream keyed ``key``, then :func:`_advance` to ``until``,
    recording at ``record_at`` and logging events (with ``log``) into a log that grows 4x
    whenever it fills.

    The one entry point Python calls, so that the state tuple never crosses into Python:
    each function Python calls gets a wrapper that (un)boxes its arguments, ~0.4 s of
    compilation for the ~40 arrays of the state and configuration.

    Returns
    -------
    rec : tuple
        ``(counts (R, m, k), ids, regime, strength, mean_payoff, fine_level (R, m))`` at
        ``record_at`` (``fine_level`` NaN under a regime whose fine is not chosen).
    log : ndarray
        The event log (events x ``N_EVENT_COLS``).
    status : int
        What the last :func:`_advance` returned.
    """
    m, k = counts0.shape
    P = 1  # the trees' leaves: a power of two >= m
    while P < m:
        P *= 2
    st = new_state(counts0, reg0, strength0, cfg[21], k, P)
    fs = np.zeros(N_FSTATE)
    istate = np.zeros(N_ISTATE, np.int64)
    ctr = np.zeros(1, np.uint64)
    ctr[0] = key
    start(st, cfg, fs, istate)
    R = record_at.size
    rec = (np.zeros((R, m, k), np.int64), np.zeros((R, m), np.int64),
           np.zeros((R, m), np.int64), np.zeros((R, m)), np.zeros((R, m)), np.zeros((R, m)))
    ev = np.zeros((4096 if log else 0, N_EVENT_COLS), np.int64)
    while True:
        status = _advance(st, cfg, fs, istate, ctr, until, record_at, rec, change_at,
                          change_game, ev, log, absorbing)
        if status != EVENTS_FULL:
            break
        bigger = np.zeros((4 * ev.shape[0], N_EVENT_COLS), np.int64)
        # element by element: a slice assignment compiles numba's broadcasting and its
        # error messages (string formatting), seconds of compilation
        for e in range(ev.shape[0]):
            for j in range(N_EVENT_COLS):
                bigger[e, j] = ev[e, j]
        ev = bigger
    return rec, ev[: istate[I_EVENTS]].copy(), status


@inner()
def _fixation_run(cfg, n, m, key, r, max_steps):
    """Run ``r`` of :func:`fixation_runs`: its outcome (1, 0 or -1) and its steps."""
    k = cfg[0].shape[1]
    P = 1
    while P < m:
        P *= 2
    counts0 = np.zeros((m, k), np.int64)
    for p in range(m):
        counts0[p, 1] = n
    counts0[0, 1] = n - 1
    counts0[0, 0] = 1
    st = new_state(counts0, np.zeros(m, np.int64), np.ones(m), cfg[21], k, P)
    fs = np.zeros(N_FSTATE)
    istate = np.zeros(N_ISTATE, np.int64)
    ctr = np.zeros(1, np.uint64)
    ctr[0] = stream_key(key, r, 0)
    start(st, cfg, fs, istate)
    ev = np.zeros((0, N_EVENT_COLS), np.int64)
    rec = (np.zeros((0, m, k), np.int64), np.zeros((0, m), np.int64),
           np.zeros((0, m), np.int64), np.zeros((0, m)), np.zeros((0, m)), np.zeros((0, m)))
    # runtime values, not literals: a literal False would type _advance() a second time
    no = cfg[14]
    _advance(st, cfg, fs, istate, ctr, max_steps, np.zeros(0, np.int64), rec,
             np.zeros(0, np.int64), np.zeros(0, np.int64), ev, no, not no)
    tot = st[18]
    if tot[0] == istate[I_MEMBERS]:
        return 1, istate[I_STEP]
    if tot[0] == 0:
        return 0, istate[I_STEP]
    return -1, istate[I_STEP]


@jit(parallel=True)
def fixation_runs(cfg, n, m, key, max_steps, runs, outcome, steps):
    """``runs`` runs of the metapopulation from one mutant (strategy 0) in polity 0 among
    residents (strategy 1), every polity full (``n`` members), under configuration ``cfg``
    (no regime, no collapse: dynamics/polities.py builds it).

    Run ``r`` draws from ``stream_key(key, r, 0)``, so the result does not depend on the
    number of threads. ``outcome[r]``: 1 if strategy 0 took every member, 0 if it was lost,
    -1 if neither within ``max_steps``; ``steps[r]``: the steps run.
    :func:`fixation_runs_serial` is the same on one thread, for little work (a parallel
    region costs milliseconds to start on a busy machine).
    """
    for r in prange(runs):
        outcome[r], steps[r] = _fixation_run(cfg, n, m, key, r, max_steps)


@jit()
def fixation_runs_serial(cfg, n, m, key, max_steps, runs, outcome, steps):
    """:func:`fixation_runs` on the calling thread (the same results)."""
    for r in range(runs):
        outcome[r], steps[r] = _fixation_run(cfg, n, m, key, r, max_steps)
