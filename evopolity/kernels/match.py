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


@jit(parallel=True)
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
    every repetition would repeat it move for move.
    """
    for k in prange(pair_i.size):
        i = pair_i[k]
        j = pair_j[k]
        reps = repetitions
        if noise == 0.0 and prob_end == 0.0 and deterministic[i] and deterministic[j]:
            reps = 1
        play_pair(
            p_coop,
            next_state,
            offsets[i],
            offsets[j],
            payoff,
            turns,
            prob_end,
            noise,
            reps,
            stream_key(seed, i, j),
            out[k],
        )
        if reps < repetitions:
            out[k, TURNS] *= repetitions



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


@jit(parallel=True)
def play_pairs_sanctioned(
    p_coop, next_state, offsets, deterministic, pair_i, pair_j, payoff, turns, prob_end, noise,
    repetitions, seed, fines, rewards, detection, own_share, other_share, out,
):
    """:func:`play_pairs` under an institution acting on every round
    (:func:`play_pair_sanctioned`). A deterministic pair is played once only when detection
    is certain too (0 or 1)."""
    certain = detection <= 0.0 or detection >= 1.0
    for k in prange(pair_i.size):
        i = pair_i[k]
        j = pair_j[k]
        reps = repetitions
        if (noise == 0.0 and prob_end == 0.0 and certain and deterministic[i]
                and deterministic[j]):
            reps = 1
        play_pair_sanctioned(
            p_coop, next_state, offsets[i], offsets[j], payoff, turns, prob_end, noise, reps,
            stream_key(seed, i, j), fines, rewards, detection, own_share, other_share, out[k],
        )
        if reps < repetitions:
            out[k, TURNS] *= repetitions
