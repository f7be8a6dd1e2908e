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
"""

import math

from numba import prange

from evopolity.kernels._jit import jit
from evopolity.kernels.codes import (
    COOP_I,
    COOP_J,
    PAYOFF_I,
    PAYOFF_J,
    STD_I,
    STD_J,
    TURNS,
)
from evopolity.kernels.rng import GOLDEN, stream_key, unit_float


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

