"""Simulated matches between stochastic Moore automata.

Strategies arrive packed: ``p_coop`` and ``next_state`` of all strategies concatenated, with
``offsets[k]`` the first row of strategy ``k`` (its initial state) and next-state entries that
are rows of the packed arrays (``PackedStrategies``). A pair ``(i, j)`` plays ``repetitions``
matches; each repetition draws from its own counter-based stream keyed by
``(seed, i, j, repetition)``, so results are the same whatever the number of threads and the
order of the pairs.

Noise flips each intended move with probability ``e``; it is folded into one draw per move:
an automaton that intends to cooperate with probability ``p`` cooperates with probability
``q = p (1 - 2e) + e`` (docs/performance.md). Automata move on the moves actually played, as in
axelrod's ``Match``. Every move takes a draw, even when ``q`` is 0 or 1 (``u < 1`` always,
``u < 0`` never): a branch-free loop is twice as fast as skipping those draws.

Under a regime played inside the match (:func:`play_pair_sanctioned`) each round's moves are
judged by the tables of :mod:`kernels.sanctions`. Whether a move is detected is drawn from a
second stream of the repetition, keyed by ``(seed, i, j, repetition, 1)`` (the moves use
position 0): the moves drawn are the same with and without a regime, for any detection. One
64-bit draw gives both players' detections (a move is seen when its 32-bit half of the draw is
below ``ceil(q 2^32)``: ``P(seen) = ceil(q 2^32) / 2^32``, within ``2.4e-10`` of ``q``); a
detection of 0 or 1 draws nothing. A round counts the detected moves by (context, move); the
fines and rewards of a repetition are these counts times the tables.
"""

import math

import numpy as np
from numba import prange

from evopolity.kernels._jit import jit
from evopolity.kernels.codes import (
    COOP_I,
    COOP_J,
    FINE_I,
    FINE_J,
    FIRST_ROUND,
    PAYOFF_I,
    PAYOFF_J,
    REWARD_I,
    REWARD_J,
    STD_I,
    STD_J,
    TURNS,
)
from evopolity.kernels.rng import GOLDEN, mix64, stream_key, unit_float

LOW32 = np.uint64(0xFFFFFFFF)
SHIFT32 = np.uint64(32)


@jit()
def match_length(counter, prob_end):
    """Geometric match length L >= 1 with P(L = n) = (1 - p)^(n - 1) p, and the new counter."""
    counter += GOLDEN
    u = unit_float(counter)
    length = int(math.floor(math.log1p(-u) / math.log1p(-prob_end))) + 1
    return length, counter


@jit()
def play_pair(
    p_coop, next_state, off_i, off_j, payoff, turns, prob_end, noise, repetitions, key, out
):
    """Play ``repetitions`` matches of the automata starting at rows ``off_i`` and ``off_j``.

    Each match lasts ``turns`` rounds; with ``prob_end > 0`` a geometric number of rounds,
    capped at ``turns`` when ``turns > 0`` (axelrod's ``Match`` semantics).

    Writes into ``out`` (the ``N_MATCH_OUT`` columns of :mod:`kernels.codes`): pooled
    per-turn payoffs and cooperation rates of both players (totals over all turns of all
    repetitions divided by the number of turns),
    the sample standard deviations over repetitions of each player's per-turn payoff, and the
    total number of turns played.
    """
    flip = 1.0 - 2.0 * noise
    total_i = 0.0
    total_j = 0.0
    coop_i = 0
    coop_j = 0
    n_turns = 0
    mean_i = 0.0  # Welford running mean / M2 of per-repetition per-turn payoffs
    mean_j = 0.0
    m2_i = 0.0
    m2_j = 0.0
    for rep in range(repetitions):
        counter = stream_key(key, rep, 0)
        length = turns
        if prob_end > 0.0:
            length, counter = match_length(counter, prob_end)
            if 0 < turns < length:
                length = turns
        si = off_i
        sj = off_j
        rep_i = 0.0
        rep_j = 0.0
        for _ in range(length):
            qi = p_coop[si] * flip + noise
            qj = p_coop[sj] * flip + noise
            counter += GOLDEN
            mi = 0 if unit_float(counter) < qi else 1
            counter += GOLDEN
            mj = 0 if unit_float(counter) < qj else 1
            rep_i += payoff[mi, mj]
            rep_j += payoff[mj, mi]
            coop_i += 1 - mi
            coop_j += 1 - mj
            si = next_state[si, mi, mj]
            sj = next_state[sj, mj, mi]
        total_i += rep_i
        total_j += rep_j
        n_turns += length
        # per-turn payoff of this repetition, folded into the running mean and M2
        x_i = rep_i / length
        x_j = rep_j / length
        d_i = x_i - mean_i
        d_j = x_j - mean_j
        mean_i += d_i / (rep + 1)
        mean_j += d_j / (rep + 1)
        m2_i += d_i * (x_i - mean_i)
        m2_j += d_j * (x_j - mean_j)
    out[PAYOFF_I] = total_i / n_turns
    out[PAYOFF_J] = total_j / n_turns
    out[COOP_I] = coop_i / n_turns
    out[COOP_J] = coop_j / n_turns
    out[STD_I] = math.sqrt(m2_i / (repetitions - 1)) if repetitions > 1 else 0.0
    out[STD_J] = math.sqrt(m2_j / (repetitions - 1)) if repetitions > 1 else 0.0
    out[TURNS] = n_turns


#: The work, in turns actually played (:func:`played_turns`), from which pairs are worth
#: playing on threads (:func:`play_pairs_parallel`). On a shared machine starting a parallel
#: region can stall for milliseconds (docs/performance.md); below this a call plays on the
#: calling thread (a few ms at most). Results do not depend on the choice.
PARALLEL_TURNS = 1 << 20

SHIFT11 = np.uint64(11)
TWO53 = 9007199254740992.0  # 2**53


@jit()
def move_thresholds(p_coop, noise):
    """Per state, the 53-bit threshold of a cooperation under ``noise``: ``ceil(q 2^53)`` with
    ``q = p (1 - 2e) + e``.

    A draw cooperates when ``unit_float(c) < q``, i.e. ``(mix64(c) >> 11) 2^-53 < q``; both
    sides times ``2^53`` are exact, and an integer is below a real ``x`` exactly when it is
    below ``ceil(x)``: comparing ``mix64(c) >> 11`` with the threshold takes the same moves
    as :func:`play_pair` draws, without converting each draw to a double.
    """
    flip = 1.0 - 2.0 * noise
    out = np.empty(p_coop.size, np.uint64)
    for s in range(p_coop.size):
        t = math.ceil((p_coop[s] * flip + noise) * TWO53)
        out[s] = np.uint64(t) if t > 0.0 else np.uint64(0)
    return out


@jit(inline="always")
def _rep_start(key, rep, turns, prob_end):
    """The counter and the length of repetition ``rep`` (as :func:`play_pair` draws them)."""
    counter = stream_key(key, rep, 0)
    length = turns
    if prob_end > 0.0:
        length, counter = match_length(counter, prob_end)
        if 0 < turns < length:
            length = turns
    return counter, length


@jit()
def _play_one(thr, nxt, pay, si, sj, counter, n, rep_i, rep_j):
    """``n`` rounds of one match from states ``si``, ``sj``, its payoffs added in turn order
    to ``rep_i`` and ``rep_j``; returns them and each player's defections.

    ``nxt[4 s + 2 own + other]`` is the next row of state ``s``; ``pay[2 own + other]`` the
    stage payoff (the flattened ``next_state`` and payoff matrix).
    """
    d_i = 0
    d_j = 0
    for _ in range(n):
        counter += GOLDEN
        mi = 0 if (mix64(counter) >> SHIFT11) < thr[si] else 1
        counter += GOLDEN
        mj = 0 if (mix64(counter) >> SHIFT11) < thr[sj] else 1
        c_i = 2 * mi + mj
        c_j = 2 * mj + mi
        rep_i += pay[c_i]
        rep_j += pay[c_j]
        d_i += mi
        d_j += mj
        si = nxt[4 * si + c_i]
        sj = nxt[4 * sj + c_j]
    return rep_i, rep_j, d_i, d_j


@jit()
def _play_two(thr, nxt, pay, ai, aj, bi, bj, ca, cb, n):
    """The first ``n`` rounds of two matches at once: ``a`` from states ``ai``, ``aj`` with
    counter ``ca``, ``b`` likewise (two repetitions of a pair, or two pairs). Their dependency
    chains (state, threshold, draw, move, next state) interleave in one loop, which keeps the
    core busy while one of them waits; each match's sums are taken in its own turn order.
    Returns both matches' payoff sums and defections, counters and states.
    """
    ra_i = 0.0
    ra_j = 0.0
    rb_i = 0.0
    rb_j = 0.0
    da_i = 0
    da_j = 0
    db_i = 0
    db_j = 0
    for _ in range(n):
        ca += GOLDEN
        mai = 0 if (mix64(ca) >> SHIFT11) < thr[ai] else 1
        ca += GOLDEN
        maj = 0 if (mix64(ca) >> SHIFT11) < thr[aj] else 1
        cb += GOLDEN
        mbi = 0 if (mix64(cb) >> SHIFT11) < thr[bi] else 1
        cb += GOLDEN
        mbj = 0 if (mix64(cb) >> SHIFT11) < thr[bj] else 1
        xa_i = 2 * mai + maj
        xa_j = 2 * maj + mai
        xb_i = 2 * mbi + mbj
        xb_j = 2 * mbj + mbi
        ra_i += pay[xa_i]
        ra_j += pay[xa_j]
        rb_i += pay[xb_i]
        rb_j += pay[xb_j]
        da_i += mai
        da_j += maj
        db_i += mbi
        db_j += mbj
        ai = nxt[4 * ai + xa_i]
        aj = nxt[4 * aj + xa_j]
        bi = nxt[4 * bi + xb_i]
        bj = nxt[4 * bj + xb_j]
    return ra_i, ra_j, rb_i, rb_j, da_i, da_j, db_i, db_j, ca, cb, ai, aj, bi, bj


@jit()
def _play_both(thr, nxt, pay, ai, aj, bi, bj, ca, la, cb, lb):
    """Two whole matches, ``a`` of ``la`` rounds and ``b`` of ``lb`` (0: no ``b``), from
    their start states and counters: together while both last, then the longer one alone,
    its sums carried on. Returns ``(payoff_i, payoff_j, defections_i, defections_j)`` of
    ``a`` and of ``b``."""
    n = min(la, lb)
    ra_i, ra_j, rb_i, rb_j, da_i, da_j, db_i, db_j, ca, cb, ai, aj, bi, bj = _play_two(
        thr, nxt, pay, ai, aj, bi, bj, ca, cb, n
    )
    a_longer = la >= lb
    if a_longer:
        si, sj, c, x_i, x_j = ai, aj, ca, ra_i, ra_j
    else:
        si, sj, c, x_i, x_j = bi, bj, cb, rb_i, rb_j
    x_i, x_j, e_i, e_j = _play_one(thr, nxt, pay, si, sj, c, abs(la - lb), x_i, x_j)
    if a_longer:
        return x_i, x_j, da_i + e_i, da_j + e_j, rb_i, rb_j, db_i, db_j
    return ra_i, ra_j, da_i, da_j, x_i, x_j, db_i + e_i, db_j + e_j


@jit()
def _play_cycle(thr, nxt, pay, si, sj, turns):
    """A match of two deterministic automata without noise and of ``turns`` rounds, in whole
    numbers (every stage payoff an integer, ``|payoff| turns <= 2^53``: then every partial sum
    is exact, in any order, and equals :func:`_play_one`'s). The pair's states run into a
    cycle: Brent's search finds its start ``mu`` and length ``lam``, and the match is the
    prefix, whole cycles and a part of one. Returns ``(payoff_i, payoff_j, defections_i,
    defections_j)``, or ``defections_i = -1`` when no cycle shows within ``turns`` steps
    (then playing the match is as cheap).

    With noise 0 a deterministic state's threshold is 0 (defect) or ``2^53`` (cooperate),
    so the move is read off it and no draw is needed.
    """
    # Brent: the cycle's length, then its start
    power = 1
    lam = 1
    ti, tj = si, sj
    mi = 0 if thr[ti] > 0 else 1
    mj = 0 if thr[tj] > 0 else 1
    hi_, hj = nxt[4 * ti + 2 * mi + mj], nxt[4 * tj + 2 * mj + mi]
    steps = 1
    while ti != hi_ or tj != hj:
        if steps >= turns:
            return 0.0, 0.0, -1, -1
        if power == lam:
            ti, tj = hi_, hj
            power *= 2
            lam = 0
        mi = 0 if thr[hi_] > 0 else 1
        mj = 0 if thr[hj] > 0 else 1
        hi_, hj = nxt[4 * hi_ + 2 * mi + mj], nxt[4 * hj + 2 * mj + mi]
        lam += 1
        steps += 1
    # the start of the cycle: ``mu`` rounds in, where the states meet those ``lam`` rounds
    # ahead; the prefix's sums on the way (at most ``turns`` rounds)
    ai, aj = si, sj
    for _ in range(lam):
        mi = 0 if thr[ai] > 0 else 1
        mj = 0 if thr[aj] > 0 else 1
        ai, aj = nxt[4 * ai + 2 * mi + mj], nxt[4 * aj + 2 * mj + mi]
    ci, cj = si, sj
    pay_i = 0.0
    pay_j = 0.0
    d_i = 0
    d_j = 0
    played = 0
    while (ci != ai or cj != aj) and played < turns:
        mi = 0 if thr[ci] > 0 else 1
        mj = 0 if thr[cj] > 0 else 1
        pay_i += pay[2 * mi + mj]
        pay_j += pay[2 * mj + mi]
        d_i += mi
        d_j += mj
        ci, cj = nxt[4 * ci + 2 * mi + mj], nxt[4 * cj + 2 * mj + mi]
        mi = 0 if thr[ai] > 0 else 1
        mj = 0 if thr[aj] > 0 else 1
        ai, aj = nxt[4 * ai + 2 * mi + mj], nxt[4 * aj + 2 * mj + mi]
        played += 1
    # the rounds left: whole cycles and the first ``part`` rounds of one
    left = turns - played
    whole = left // lam
    part = left - whole * lam
    cyc_i = 0.0
    cyc_j = 0.0
    cyc_di = 0
    cyc_dj = 0
    for n in range(lam):
        if n == part:
            pay_i += cyc_i
            pay_j += cyc_j
            d_i += cyc_di
            d_j += cyc_dj
        mi = 0 if thr[ci] > 0 else 1
        mj = 0 if thr[cj] > 0 else 1
        cyc_i += pay[2 * mi + mj]
        cyc_j += pay[2 * mj + mi]
        cyc_di += mi
        cyc_dj += mj
        ci, cj = nxt[4 * ci + 2 * mi + mj], nxt[4 * cj + 2 * mj + mi]
    return (pay_i + whole * cyc_i, pay_j + whole * cyc_j, d_i + whole * cyc_di,
            d_j + whole * cyc_dj)


@jit(inline="always")
def _fold(rep, rep_i, rep_j, length, stats):
    """Fold repetition ``rep``'s payoff sums over ``length`` turns into ``stats = (total_i,
    total_j, mean_i, mean_j, m2_i, m2_j)``: pooled totals and Welford's running mean and M2
    of the per-turn payoffs, in the order :func:`play_pair` takes them."""
    total_i, total_j, mean_i, mean_j, m2_i, m2_j = stats
    x_i = rep_i / length
    x_j = rep_j / length
    dx_i = x_i - mean_i
    dx_j = x_j - mean_j
    mean_i += dx_i / (rep + 1)
    mean_j += dx_j / (rep + 1)
    m2_i += dx_i * (x_i - mean_i)
    m2_j += dx_j * (x_j - mean_j)
    return total_i + rep_i, total_j + rep_j, mean_i, mean_j, m2_i, m2_j


@jit(inline="always")
def _write_row(out, k, stats, n_turns, d_i, d_j, repetitions, counted):
    """Row ``k`` of :func:`play_pair`'s output from a pair's folded ``stats``, turns and
    defections; the turns count ``counted`` repetitions for the ``repetitions`` played."""
    total_i, total_j, _, _, m2_i, m2_j = stats
    out[k, PAYOFF_I] = total_i / n_turns
    out[k, PAYOFF_J] = total_j / n_turns
    out[k, COOP_I] = (n_turns - d_i) / n_turns
    out[k, COOP_J] = (n_turns - d_j) / n_turns
    out[k, STD_I] = math.sqrt(m2_i / (repetitions - 1)) if repetitions > 1 else 0.0
    out[k, STD_J] = math.sqrt(m2_j / (repetitions - 1)) if repetitions > 1 else 0.0
    out[k, TURNS] = n_turns * (counted // repetitions)


@jit()
def play_pair_fast(thr, nxt, pay, off_i, off_j, turns, prob_end, repetitions, key, out, k,
                   counted):
    """:func:`play_pair` on prepared tables, two repetitions at a time; writes ``out[k]``
    (its turns counted as ``counted`` repetitions: a pair played once for all).

    ``thr`` holds :func:`move_thresholds`, ``nxt`` the flattened packed ``next_state`` and
    ``pay`` the flattened payoff matrix. The draws, the moves and every sum (each taken in
    the order :func:`play_pair` takes it) are the same: so are the results, bit for bit.
    """
    stats = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    n_turns = 0
    d_i = 0
    d_j = 0
    for rep in range(0, repetitions, 2):
        ca, la = _rep_start(key, rep, turns, prob_end)
        two = rep + 1 < repetitions
        cb = ca
        lb = 0  # a last repetition of its own
        if two:
            cb, lb = _rep_start(key, rep + 1, turns, prob_end)
        ra_i, ra_j, ea_i, ea_j, rb_i, rb_j, eb_i, eb_j = _play_both(
            thr, nxt, pay, off_i, off_j, off_i, off_j, ca, la, cb, lb
        )
        d_i += ea_i + eb_i
        d_j += ea_j + eb_j
        stats = _fold(rep, ra_i, ra_j, la, stats)
        n_turns += la
        if two:
            stats = _fold(rep + 1, rb_i, rb_j, lb, stats)
            n_turns += lb
    _write_row(out, k, stats, n_turns, d_i, d_j, repetitions, counted)


@jit(inline="always")
def _reps_played(i, j, deterministic, noise, prob_end, certain, repetitions):
    """Repetitions pair ``(i, j)`` plays: one when both automata are deterministic and neither
    noise, a geometric length nor an uncertain detection can change a match (every repetition
    would repeat it move for move); its turns are then counted ``repetitions`` times."""
    if noise == 0.0 and prob_end == 0.0 and certain and deterministic[i] and deterministic[j]:
        return 1
    return repetitions


def played_turns(n_pairs: int, n_fixed: int, turns: int, prob_end: float, noise: float,
                 repetitions: int, certain: bool = True) -> float:
    """The turns a call of :func:`play_pairs` plays (expected, with geometric lengths): the
    work :data:`PARALLEL_TURNS` is counted in.

    ``n_fixed`` of the ``n_pairs`` pairs are of two deterministic automata: they play once
    when nothing random can change a match (noise 0, a fixed length, a ``certain``
    detection). Plain Python: it runs before the kernel is chosen.
    """
    length = float(turns)
    if prob_end > 0.0:
        length = 1.0 / prob_end if turns <= 0 else min(float(turns), 1.0 / prob_end)
    once = n_fixed if noise == 0.0 and prob_end == 0.0 and certain else 0
    return (once + (n_pairs - once) * repetitions) * length


@jit(inline="always")
def pair_tables(p_coop, next_state, payoff, turns, prob_end, noise):
    """The tables :func:`play_pair_fast` reads: ``(move_thresholds, next_state flattened,
    payoff flattened, cyclic)``; ``next_state`` is C-contiguous (``PackedStrategies``).
    ``cyclic``: fixed matches of deterministic pairs may be summed by :func:`_play_cycle`
    (no noise, ``turns`` rounds, integer payoffs with ``|payoff| turns <= 2^53``)."""
    pay = np.empty(4)
    cyclic = noise == 0.0 and prob_end == 0.0 and turns > 0
    for a in range(2):
        for b in range(2):
            x = payoff[a, b]
            pay[2 * a + b] = x
            cyclic = cyclic and x == math.floor(x) and abs(x) * turns <= TWO53
    return move_thresholds(p_coop, noise), next_state.reshape(next_state.size), pay, cyclic


@jit()
def _work_items(deterministic, pair_i, pair_j, prob_end, noise, repetitions):
    """The pairs grouped into work items: ``first[q]`` alone (``second[q] = -1``), or with
    ``second[q]`` when both play a single repetition (then the two are played together, as
    two repetitions of one pair are). Returns ``(first, second, n_items)``."""
    first = np.empty(pair_i.size, np.int64)
    second = np.empty(pair_i.size, np.int64)
    n = 0
    pending = -1
    for k in range(pair_i.size):
        if _reps_played(pair_i[k], pair_j[k], deterministic, noise, prob_end, True,
                        repetitions) > 1:
            first[n] = k
            second[n] = -1
            n += 1
        elif pending < 0:
            pending = k
        else:
            first[n] = pending
            second[n] = k
            n += 1
            pending = -1
    if pending >= 0:
        first[n] = pending
        second[n] = -1
        n += 1
    return first, second, n


@jit()
def _play_item(q, first, second, tables, offsets, deterministic, pair_i, pair_j, turns,
               prob_end, noise, repetitions, seed, out):
    """Work item ``q`` of :func:`_work_items` into the rows of its pairs."""
    thr, nxt, pay, cyclic = tables
    k = first[q]
    i = pair_i[k]
    j = pair_j[k]
    reps = _reps_played(i, j, deterministic, noise, prob_end, True, repetitions)
    if second[q] < 0:
        play_pair_fast(thr, nxt, pay, offsets[i], offsets[j], turns, prob_end, reps,
                       stream_key(seed, i, j), out, k, repetitions)
        return
    h = second[q]
    u = pair_i[h]
    v = pair_j[h]
    zero = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    if cyclic and deterministic[i] and deterministic[j] and deterministic[u] and \
            deterministic[v]:
        # two fixed matches in whole numbers: their cycles, not their rounds
        ra_i, ra_j, ea_i, ea_j = _play_cycle(thr, nxt, pay, offsets[i], offsets[j], turns)
        rb_i, rb_j, eb_i, eb_j = _play_cycle(thr, nxt, pay, offsets[u], offsets[v], turns)
        if ea_i >= 0 and eb_i >= 0:
            _write_row(out, k, _fold(0, ra_i, ra_j, turns, zero), turns, ea_i, ea_j, 1,
                       repetitions)
            _write_row(out, h, _fold(0, rb_i, rb_j, turns, zero), turns, eb_i, eb_j, 1,
                       repetitions)
            return
    # two pairs of one repetition each: repetition 0 of each pair's own stream
    ca, la = _rep_start(stream_key(seed, i, j), 0, turns, prob_end)
    cb, lb = _rep_start(stream_key(seed, u, v), 0, turns, prob_end)
    ra_i, ra_j, ea_i, ea_j, rb_i, rb_j, eb_i, eb_j = _play_both(
        thr, nxt, pay, offsets[i], offsets[j], offsets[u], offsets[v], ca, la, cb, lb
    )
    _write_row(out, k, _fold(0, ra_i, ra_j, la, zero), la, ea_i, ea_j, 1, repetitions)
    _write_row(out, h, _fold(0, rb_i, rb_j, lb, zero), lb, eb_i, eb_j, 1, repetitions)


@jit()
def play_pairs(
    p_coop,
    next_state,
    offsets,
    deterministic,
    pair_i,
    pair_j,
    payoff,
    turns,
    prob_end,
    noise,
    repetitions,
    seed,
    out,
):
    """Play every pair ``(pair_i[k], pair_j[k])``; results in ``out[k, :N_MATCH_OUT]``.

    A pair of deterministic automata without noise and with a fixed length is played once:
    every repetition would repeat it move for move. Pairs are played by
    :func:`play_pair_fast`, one after the other, and pairs of a single repetition two at a
    time; :func:`play_pairs_parallel` plays them on threads (worth it from
    :data:`PARALLEL_TURNS` turns, :func:`played_turns`). Each pair draws from its own
    stream: the results are the same either way.
    """
    tables = pair_tables(p_coop, next_state, payoff, turns, prob_end, noise)
    first, second, n = _work_items(deterministic, pair_i, pair_j, prob_end, noise, repetitions)
    for q in range(n):
        _play_item(q, first, second, tables, offsets, deterministic, pair_i, pair_j, turns,
                   prob_end, noise, repetitions, seed, out)


@jit(parallel=True)
def play_pairs_parallel(
    p_coop, next_state, offsets, deterministic, pair_i, pair_j, payoff, turns, prob_end, noise,
    repetitions, seed, out,
):
    """:func:`play_pairs` with the work shared among numba's threads."""
    tables = pair_tables(p_coop, next_state, payoff, turns, prob_end, noise)
    first, second, n = _work_items(deterministic, pair_i, pair_j, prob_end, noise, repetitions)
    for q in prange(n):
        # prange counts in uint64: as int64, the item is the serial loop's specialisation
        _play_item(np.int64(q), first, second, tables, offsets, deterministic, pair_i, pair_j,
                   turns, prob_end, noise, repetitions, seed, out)


@jit()
def pair_matrices(rows, pair_i, pair_j, columns_i, columns_j, dest):
    """Write pair rows into k x k matrices: for pair ``q = (i, j)`` and target ``t``,
    ``dest[t, i, j] = rows[q, columns_i[t]]`` and ``dest[t, j, i] = rows[q, columns_j[t]]``.
    A self-play pair (``i == j``) gets the mean of its two copies, halves first (the sum of
    two values near the largest double would overflow)."""
    for q in range(pair_i.size):
        i = pair_i[q]
        j = pair_j[q]
        for t in range(columns_i.size):
            a = rows[q, columns_i[t]]
            b = rows[q, columns_j[t]]
            if i == j:
                dest[t, i, i] = 0.5 * a + 0.5 * b
            else:
                dest[t, i, j] = a
                dest[t, j, i] = b


@jit()
def play_pair_sanctioned(
    p_coop, next_state, off_i, off_j, payoff, turns, prob_end, noise, repetitions, key, fines,
    rewards, detection, own_share, other_share, out,
):
    """:func:`play_pair` under an institution that acts on every round.

    ``fines[context, move]`` and ``rewards[context, move]`` (:mod:`kernels.sanctions`) act on
    each move seen (probability ``detection``); ``own_share`` and ``other_share`` are the
    parts of a player's own fine and of its opponent's that come back to the player. Payoffs
    (and their spread) are net of sanctions; ``out[FINE_I]`` ... ``out[REWARD_J]`` hold the
    per-turn fines paid and rewards received, pooled as payoffs are. The moves drawn are
    those of :func:`play_pair` with the same key.

    A round only counts the detected moves by (context, move); a repetition's fines and
    rewards are these counts times the tables (a few operations per round, not a table look-up
    and a sum each).
    """
    flip = 1.0 - 2.0 * noise
    draw_seen = 0.0 < detection < 1.0
    always = 1 if detection >= 1.0 else 0
    # seen when a 32-bit half of a draw is below ceil(q 2^32): probability ceil(q 2^32) / 2^32
    threshold = np.uint64(math.ceil(detection * 4294967296.0)) if draw_seen else np.uint64(0)
    keep = own_share - 1.0  # a player's net change from its own fine, per unit fined
    n_cells = fines.shape[0] * 2
    fine_cell = fines.ravel()  # indexed by 2 context + move
    reward_cell = rewards.ravel()
    seen_i = np.zeros(n_cells, np.int64)
    seen_j = np.zeros(n_cells, np.int64)
    total_i = 0.0
    total_j = 0.0
    fine_i = 0.0
    fine_j = 0.0
    reward_i = 0.0
    reward_j = 0.0
    coop_i = 0
    coop_j = 0
    n_turns = 0
    mean_i = 0.0
    mean_j = 0.0
    m2_i = 0.0
    m2_j = 0.0
    for rep in range(repetitions):
        counter = stream_key(key, rep, 0)
        seen_counter = stream_key(key, rep, 1)
        length = turns
        if prob_end > 0.0:
            length, counter = match_length(counter, prob_end)
            if 0 < turns < length:
                length = turns
        si = off_i
        sj = off_j
        ci = 2 * FIRST_ROUND
        cj = 2 * FIRST_ROUND
        seen_i[:] = 0
        seen_j[:] = 0
        rep_i = 0.0
        rep_j = 0.0
        for _ in range(length):
            qi = p_coop[si] * flip + noise
            qj = p_coop[sj] * flip + noise
            counter += GOLDEN
            mi = 0 if unit_float(counter) < qi else 1
            counter += GOLDEN
            mj = 0 if unit_float(counter) < qj else 1
            rep_i += payoff[mi, mj]
            rep_j += payoff[mj, mi]
            coop_i += 1 - mi
            coop_j += 1 - mj
            if draw_seen:
                seen_counter += GOLDEN
                z = mix64(seen_counter)
                seen_i[ci + mi] += 1 if (z >> SHIFT32) < threshold else 0
                seen_j[cj + mj] += 1 if (z & LOW32) < threshold else 0
            else:
                seen_i[ci + mi] += always
                seen_j[cj + mj] += always
            si = next_state[si, mi, mj]
            sj = next_state[sj, mj, mi]
            ci = 4 * mi + 2 * mj  # 2 x the next round's context, 2 own + other
            cj = 4 * mj + 2 * mi
        f_i = 0.0
        f_j = 0.0
        r_i = 0.0
        r_j = 0.0
        for e in range(n_cells):
            f_i += seen_i[e] * fine_cell[e]
            f_j += seen_j[e] * fine_cell[e]
            r_i += seen_i[e] * reward_cell[e]
            r_j += seen_j[e] * reward_cell[e]
        rep_i += keep * f_i + other_share * f_j + r_i
        rep_j += keep * f_j + other_share * f_i + r_j
        fine_i += f_i
        fine_j += f_j
        reward_i += r_i
        reward_j += r_j
        total_i += rep_i
        total_j += rep_j
        n_turns += length
        x_i = rep_i / length
        x_j = rep_j / length
        d_i = x_i - mean_i
        d_j = x_j - mean_j
        mean_i += d_i / (rep + 1)
        mean_j += d_j / (rep + 1)
        m2_i += d_i * (x_i - mean_i)
        m2_j += d_j * (x_j - mean_j)
    out[PAYOFF_I] = total_i / n_turns
    out[PAYOFF_J] = total_j / n_turns
    out[COOP_I] = coop_i / n_turns
    out[COOP_J] = coop_j / n_turns
    out[FINE_I] = fine_i / n_turns
    out[FINE_J] = fine_j / n_turns
    out[REWARD_I] = reward_i / n_turns
    out[REWARD_J] = reward_j / n_turns
    out[STD_I] = math.sqrt(m2_i / (repetitions - 1)) if repetitions > 1 else 0.0
    out[STD_J] = math.sqrt(m2_j / (repetitions - 1)) if repetitions > 1 else 0.0
    out[TURNS] = n_turns


@jit()
def _sanctioned_row(k, args, offsets, deterministic, pair_i, pair_j, repetitions, seed,
                    certain, out):
    """Pair ``k`` of :func:`play_pairs_sanctioned` into ``out[k]``; ``args`` the settings
    ``(p_coop, next_state, payoff, turns, prob_end, noise, fines, rewards, detection,
    own_share, other_share)``."""
    (p_coop, next_state, payoff, turns, prob_end, noise, fines, rewards, detection, own_share,
     other_share) = args  # fmt: skip
    i = pair_i[k]
    j = pair_j[k]
    reps = _reps_played(i, j, deterministic, noise, prob_end, certain, repetitions)
    play_pair_sanctioned(
        p_coop, next_state, offsets[i], offsets[j], payoff, turns, prob_end, noise, reps,
        stream_key(seed, i, j), fines, rewards, detection, own_share, other_share, out[k],
    )
    if reps < repetitions:
        out[k, TURNS] *= repetitions


@jit()
def play_pairs_sanctioned(
    p_coop, next_state, offsets, deterministic, pair_i, pair_j, payoff, turns, prob_end, noise,
    repetitions, seed, fines, rewards, detection, own_share, other_share, out,
):
    """:func:`play_pairs` under an institution acting on every round
    (:func:`play_pair_sanctioned`), one pair after the other. A deterministic pair is played
    once only when detection is certain too (0 or 1)."""
    certain = detection <= 0.0 or detection >= 1.0
    args = (p_coop, next_state, payoff, turns, prob_end, noise, fines, rewards, detection,
            own_share, other_share)  # fmt: skip
    for k in range(pair_i.size):
        _sanctioned_row(k, args, offsets, deterministic, pair_i, pair_j, repetitions, seed,
                        certain, out)


@jit(parallel=True)
def play_pairs_sanctioned_parallel(
    p_coop, next_state, offsets, deterministic, pair_i, pair_j, payoff, turns, prob_end, noise,
    repetitions, seed, fines, rewards, detection, own_share, other_share, out,
):
    """:func:`play_pairs_sanctioned` with the pairs shared among numba's threads."""
    certain = detection <= 0.0 or detection >= 1.0
    args = (p_coop, next_state, payoff, turns, prob_end, noise, fines, rewards, detection,
            own_share, other_share)  # fmt: skip
    for k in prange(pair_i.size):
        _sanctioned_row(np.int64(k), args, offsets, deterministic, pair_i, pair_j,
                        repetitions, seed, certain, out)
