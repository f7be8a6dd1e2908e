"""Finite, well-mixed populations: Moran and pairwise-comparison (Fermi) processes.

The state is the vector of counts ``n`` (k,) of a population of ``N`` and the payoff sums
``S_i = sum_j n_j A[i, j]``. One event replaces one individual, so both are updated in O(k)
(PERFORMANCE.md). Payoffs exclude self-interaction: ``pi_i = (S_i - A[i, i]) / (N - 1)``.

Randomness: one counter-based splitmix64 stream per run, keyed by the run's key.
"""

import math

import numpy as np

from evopolity._numba import jit
from evopolity.kernels.rng import GOLDEN, unit_float

MORAN = 0
FERMI = 1


@jit()
def _pick_weighted(w, n, total, u):
    """Index ``i`` drawn with probability ``n[i] w[i] / total`` (``u`` uniform in [0, 1))."""
    r = u * total
    acc = 0.0
    last = -1
    for i in range(w.size):
        if n[i] > 0:
            acc += n[i] * w[i]
            last = i
            if r < acc:
                return i
    return last


@jit()
def _pick_count(n, total, exclude, u):
    """Index drawn with probability ``n[i] / total`` (one fewer of ``exclude`` if >= 0)."""
    r = u * total
    acc = 0.0
    last = -1
    for i in range(n.size):
        c = n[i] - (1 if i == exclude else 0)
        if c > 0:
            acc += c
            last = i
            if r < acc:
                return i
    return last


@jit()
def _other(i, k, u):
    """A type other than ``i``, uniformly among the k - 1 others."""
    j = int(u * (k - 1))
    if j >= k - 1:
        j = k - 2
    return j + 1 if j >= i else j


@jit()
def simulate(rule, A, N, counts0, intensity, mutation, record_at, stop_on_fixation, counter, out):
    """Run one population for ``record_at[-1]`` events, recording counts at ``record_at``.

    ``rule``: ``MORAN`` (birth proportional to fitness ``1 - w + w pi``, uniform death, the
    offspring mutating with probability ``mutation`` to a uniformly chosen other type) with
    ``intensity = w``; or ``FERMI`` (a random focal individual, with probability ``mutation``
    switching to a uniformly chosen other type, otherwise copying a random other individual
    with probability ``1 / (1 + exp(-beta (pi_model - pi_focal)))``) with
    ``intensity = beta``.

    ``out`` is (len(record_at), k) float64 counts. Returns ``(events, winner)``: the number of
    events run (the fixation time when the population fixed and ``stop_on_fixation``), and
    the type that fixed (-1 if none). Rows after fixation repeat the fixed state.
    """
    k = counts0.size
    n = counts0.copy()
    S = np.zeros(k)
    for i in range(k):
        for j in range(k):
            S[i] += A[i, j] * n[j]
    f = np.empty(k)
    n_rec = record_at.size
    total_events = record_at[n_rec - 1]
    inv = 1.0 / (N - 1)
    r = 0
    while r < n_rec and record_at[r] == 0:
        for i in range(k):
            out[r, i] = n[i]
        r += 1
    winner = -1
    for i in range(k):
        if n[i] == N:
            winner = i
    event = 0
    while event < total_events:
        if winner >= 0 and stop_on_fixation:
            break
        if rule == MORAN:
            total = 0.0
            for i in range(k):
                if n[i] > 0:
                    f[i] = 1.0 - intensity + intensity * (S[i] - A[i, i]) * inv
                    total += n[i] * f[i]
                else:
                    f[i] = 0.0
            counter += GOLDEN
            born = _pick_weighted(f, n, total, unit_float(counter))
            if mutation > 0.0:
                counter += GOLDEN
                if unit_float(counter) < mutation:
                    counter += GOLDEN
                    born = _other(born, k, unit_float(counter))
            counter += GOLDEN
            dead = _pick_count(n, float(N), -1, unit_float(counter))
        else:
            counter += GOLDEN
            dead = _pick_count(n, float(N), -1, unit_float(counter))
            born = dead
            mutated = False
            if mutation > 0.0:
                counter += GOLDEN
                if unit_float(counter) < mutation:
                    counter += GOLDEN
                    born = _other(dead, k, unit_float(counter))
                    mutated = True
            if not mutated:
                counter += GOLDEN
                model = _pick_count(n, float(N - 1), dead, unit_float(counter))
                if model != dead:
                    pi_m = (S[model] - A[model, model]) * inv
                    pi_f = (S[dead] - A[dead, dead]) * inv
                    p = 1.0 / (1.0 + math.exp(-intensity * (pi_m - pi_f)))
                    counter += GOLDEN
                    if unit_float(counter) < p:
                        born = model
        event += 1
        if born != dead:
            n[born] += 1
            n[dead] -= 1
            for i in range(k):
                S[i] += A[i, born] - A[i, dead]
            if n[born] == N:
                winner = born
            elif winner >= 0:
                winner = -1
        while r < n_rec and record_at[r] == event:
            for i in range(k):
                out[r, i] = n[i]
            r += 1
    while r < n_rec:
        for i in range(k):
            out[r, i] = n[i]
        r += 1
    return event, winner
