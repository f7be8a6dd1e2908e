"""Finite, well-mixed populations: Moran and pairwise-comparison (Fermi) processes.

The state is the vector of counts ``n`` (k,) of a population of ``N`` and the payoff sums
``S_i = sum_j n_j A[i, j]``. One event replaces one individual, so both are updated in O(k)
(docs/performance.md). Payoffs exclude self-interaction: ``pi_i = (S_i - A[i, i]) / (N - 1)``.

Randomness: one counter-based splitmix64 stream per run, keyed by the run's key.
"""

import numpy as np
from numba import prange

from evopolity.kernels._jit import jit
from evopolity.kernels.codes import (  # noqa: F401 - FERMI: the callers' code
    FERMI,
    INSTITUTIONS,
    MORAN,
    MORAN_EXP,
    N_MATCH_OUT,
    PAYOFF_I,
    PAYOFF_J,
)
from evopolity.kernels.fitness import institution_adjust, macro_rate
from evopolity.kernels.layout import (
    regime_coevolves,
    regime_cooperation,
    regime_sanction_count,
    regime_sanctions,
)
from evopolity.kernels.match import play_pair
from evopolity.kernels.rng import GOLDEN, stream_key, unit_float
from evopolity.kernels.rules import birth_fitness, imitation
from evopolity.kernels.velocity import INTERNAL  # compiled-only: no wrapper for Python


@jit(inline="always")
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


@jit(inline="always")
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


@jit(inline="always")
def _record(record_at, r, event, counts, out, macro_out, m):
    """Rows ``r, r + 1, ...`` recorded at ``event`` (every row left when ``event < 0``) get
    ``counts`` (and ``m`` when there is a ``macro_out``). Returns the next row."""
    while r < record_at.size and (event < 0 or record_at[r] == event):
        for i in range(counts.size):
            out[r, i] = counts[i]
        if macro_out.size > 0:
            macro_out[r] = m
        r += 1
    return r


@jit(inline="always")
def _fixed(counts, N):
    """The type that holds all ``N`` individuals, or -1."""
    for i in range(counts.size):
        if counts[i] == N:
            return i
    return -1


@jit(**INTERNAL)
def _other(i, k, u):
    """A type other than ``i``, uniformly among the k - 1 others."""
    j = int(u * (k - 1))
    if j >= k - 1:
        j = k - 2
    return j + 1 if j >= i else j


# the smallest normal double: an exponential fitness below it is flushed to 0, since arithmetic
# on subnormal numbers is ~60x slower (docs/performance.md); its share of a total that holds
# exp(0) = 1 for the fittest type present is below 1e-308, so no birth probability changes
TINY = 2.2250738585072014e-308


@jit(inline="always")
def _birth(rule, selection, payoff, top):
    """:func:`kernels.rules.birth_fitness`, an exponential one below ``TINY`` flushed to 0."""
    f = birth_fitness(rule, selection, payoff, top)
    if rule == MORAN_EXP and f < TINY:
        return 0.0
    return f


@jit(inline="always")
def _fitness(rule, model, A, C, params, N, n, S, SC, SS, selection, m, pi, c, x, f, sf, sr):
    """Fitness (Moran: :func:`kernels.rules.birth_fitness`, the exponential relative to the
    largest payoff present) or payoff (Fermi) of every type at counts ``n`` into ``f``.

    Payoffs exclude self-interaction, ``pi_i = (S_i - A_ii) / (N - 1)``; under a regime
    (``model == INSTITUTIONS``) the cooperation rates ``c_i = (SC_i - C_ii) / (N - 1)``, the
    sanctions played inside matches (``SS[w, i]`` the sums of sanction matrix ``w``, read the
    same way) and the institution's strength ``m`` enter through
    :func:`kernels.fitness.institution_adjust`. Returns the population's cooperation level
    ``sum_i x_i c_i`` (0 without a regime).
    """
    k = n.size
    inv = 1.0 / (N - 1)
    for i in range(k):
        pi[i] = (S[i] - A[i, i]) * inv
    support = 0.0
    if model == INSTITUTIONS:
        for i in range(k):
            x[i] = n[i] / N
            c[i] = (SC[i] - C[i, i]) * inv
            support += x[i] * c[i]
        for w in range(regime_sanction_count(params)):
            M = regime_sanctions(params, k, w)
            dest = sf if w == 0 else sr
            for i in range(k):
                dest[i] = (SS[w, i] - M[i, i]) * inv
        institution_adjust(pi, c, x, m, params, f, sf, sr)
        for i in range(k):
            pi[i] = f[i]
    if rule == FERMI:
        for i in range(k):
            f[i] = pi[i]
        return support
    top = -np.inf
    for i in range(k):
        if n[i] > 0 and pi[i] > top:
            top = pi[i]
    for i in range(k):
        f[i] = _birth(rule, selection, pi[i], top)
    return support


@jit()
def simulate(rule, A, N, counts0, selection, mutation, record_at, stop_on_fixation, counter, out,
             model, params, m0, macro_out):  # fmt: skip
    """Run one population for ``record_at[-1]`` events, recording counts at ``record_at``.

    ``rule``: ``MORAN_EXP`` or ``MORAN`` (birth proportional to fitness ``exp(w pi)`` or ``1 - w + w
    pi``, uniform death, the offspring mutating with probability ``mutation`` to a uniformly chosen
    other type) with ``selection = w``; or ``FERMI`` (a random focal individual, with probability
    ``mutation`` switching to a uniformly chosen other type, otherwise copying a random other
    individual with probability ``1 / (1 + exp(-beta (pi_model - pi_focal)))``) with ``selection =
    beta`` (:mod:`kernels.rules`).

    ``model == INSTITUTIONS``: payoffs under the regime array ``params``
    (:mod:`kernels.layout`, :mod:`kernels.fitness`); a co-evolving institution's strength
    ``m`` (from ``m0``) follows ``dm/dt = lambda (support - m) - decay`` in generations of
    ``N`` events (an Euler step of ``1 / N`` per event) and is recorded in ``macro_out``.

    ``out`` is (len(record_at), k) float64 counts. Returns ``(events, winner, ok)``: the
    number of events run (the fixation time when the population fixed and
    ``stop_on_fixation``), the type that fixed (-1 if none), and ``False`` if a linear Moran
    fitness became negative (the run stops there; the caller reports it; an exponential one
    never does).

    This is the general loop :func:`_events`, which a regime needs. Without a regime the
    callers run :func:`simulate_bare`, which draws the same
    numbers and gives the same results bit for bit; this one, called with ``model =
    LINEAR``, is the reference the fast loop is tested and benchmarked against.
    """
    regime = model == INSTITUTIONS
    k = counts0.size
    n = counts0.copy()
    C = regime_cooperation(params, k) if regime else np.zeros((k, k))
    S = np.zeros(k)
    SC = np.zeros(k)
    SS = np.zeros((2, k))  # sums of the sanction matrices played inside matches, if any
    played = regime_sanction_count(params) if regime else 0
    for i in range(k):
        for j in range(k):
            S[i] += A[i, j] * n[j]
            if regime:
                SC[i] += C[i, j] * n[j]
    for w in range(played):
        M = regime_sanctions(params, k, w)
        for i in range(k):
            for j in range(k):
                SS[w, i] += M[i, j] * n[j]
    scratch = (np.empty(k), np.empty(k), np.empty(k), np.empty(k), np.empty(k), np.empty(k))
    # a Python int counter would be typed int64, and int64 + uint64 GOLDEN is a float in numba
    return _events(rule, A, C, N, n, S, SC, SS, scratch, selection, mutation, record_at,
                   stop_on_fixation, np.uint64(counter), out, model, params, m0,
                   macro_out)  # fmt: skip


def simulate_bare(rule, A, N, counts0, selection, mutation, record_at, stop_on_fixation,
                  counter, out, m0, macro_out):  # fmt: skip
    """:func:`simulate` without a regime: its loops :func:`_moran_events` and
    :func:`_fermi_events`, the same numbers.

    Plain Python: the set-up (the payoff sums of the initial counts, ``A`` transposed) is
    numpy's, and only the event loop compiles (a kernel compiles everything it can reach:
    the general loop with its institutions would be most of :func:`simulate`'s cold compile,
    and a jitted set-up ~1 s more). The sums run over ``j`` in the order of :func:`simulate`'s
    loop, so they are the same doubles.
    """
    k = counts0.size
    n = np.array(counts0, dtype=np.int64)
    A = np.asarray(A, dtype=np.float64)
    S = np.zeros(k)
    for j in range(k):
        S += A[:, j] * n[j]
    # A's columns as rows: an event adds column ``born`` and subtracts column ``dead``
    AT = np.ascontiguousarray(A.T)
    diag = np.ascontiguousarray(np.diagonal(A))
    rest = (float(selection), float(mutation), record_at, bool(stop_on_fixation),
            np.uint64(counter), out, float(m0), macro_out)
    if rule == FERMI:
        return _fermi_events(AT, diag, int(N), n, S, *rest)
    return _moran_events(int(rule), AT, diag, int(N), n, S, np.empty(k), np.empty(k), *rest)


@jit(refcount=False)
def _events(rule, A, C, N, n, S, SC, SS, scratch, selection, mutation, record_at,
            stop_on_fixation, counter, out, model, params, m0, macro_out):  # fmt: skip
    """The event loop of :func:`simulate` on its counts ``n``, payoff sums ``S`` (and ``SC``
    of the cooperation matrix ``C`` and ``SS`` of the sanction matrices under a regime) and
    ``scratch`` arrays.

    Compiled without reference counting (``kernels._jit.jit``): it allocates nothing, and the
    counting of the arrays its helpers bind would cost more than an event's arithmetic.
    """
    f, pi, c, x, sf, sr = scratch
    k = n.size
    regime = model == INSTITUTIONS
    played = regime_sanction_count(params) if regime else 0
    m = m0
    coevolves = regime and regime_coevolves(params)
    s = m if coevolves else 1.0
    n_rec = record_at.size
    total_events = record_at[n_rec - 1]
    r = _record(record_at, 0, 0, n, out, macro_out, m)
    winner = _fixed(n, N)
    event = 0
    while event < total_events:
        if winner >= 0 and stop_on_fixation:
            break
        support = _fitness(rule, model, A, C, params, N, n, S, SC, SS, selection, s, pi, c, x,
                           f, sf, sr)
        if rule != FERMI:
            total = 0.0
            for i in range(k):
                if n[i] > 0:
                    if f[i] < 0.0:
                        return event, winner, False
                    total += n[i] * f[i]
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
                model_ind = _pick_count(n, float(N - 1), dead, unit_float(counter))
                if model_ind != dead:
                    p = imitation(1.0, selection, f[model_ind] - f[dead])
                    counter += GOLDEN
                    if unit_float(counter) < p:
                        born = model_ind
        event += 1
        if coevolves:
            m = min(1.0, max(0.0, m + macro_rate(support, m, params) / N))
            s = m
        if born != dead:
            n[born] += 1
            n[dead] -= 1
            for i in range(k):
                S[i] += A[i, born] - A[i, dead]
            if regime:
                for i in range(k):
                    SC[i] += C[i, born] - C[i, dead]
                for w in range(played):
                    M = regime_sanctions(params, k, w)
                    for i in range(k):
                        SS[w, i] += M[i, born] - M[i, dead]
            if n[born] == N:
                winner = born
            elif winner >= 0:
                winner = -1
        r = _record(record_at, r, event, n, out, macro_out, m)
    _record(record_at, r, -1, n, out, macro_out, m)  # stopped early: the state stays
    return event, winner, True


@jit(refcount=False)
def _moran_events(rule, AT, diag, N, n, S, f, cum, selection, mutation, record_at,
                  stop_on_fixation, counter, out, m0, macro_out):  # fmt: skip
    """The Moran event loop of :func:`simulate` without a regime: the draws and arithmetic of
    :func:`_events`, minus the work an event without a regime does not need.

    ``AT`` is the payoff matrix transposed (``AT[j, i] = A[i, j]``, so that a change of
    counts updates the payoff sums ``S`` reading two contiguous rows) and ``diag`` its
    diagonal. The fitnesses ``f`` and their running sums ``cum`` (over the types present, the
    sums :func:`_pick_weighted` forms) are kept until the counts change: an event in which the
    offspring replaces its own type changes nothing and costs no exponential. Events run in
    stretches up to the next recorded one, so the recording is checked once per row. Moran
    and Fermi (:func:`_fermi_events`) have a loop each, so that a first call compiles only the
    rule it runs.
    """
    k = n.size
    inv = 1.0 / (N - 1)
    fN = float(N)
    n_rec = record_at.size
    r = _record(record_at, 0, 0, n, out, macro_out, m0)
    winner = _fixed(n, N)
    event = 0
    stale = True  # the fitnesses need computing for the current counts
    total = 0.0
    stopped = False
    while r < n_rec and not stopped:
        target = record_at[r]
        while event < target:
            if winner >= 0 and stop_on_fixation:
                stopped = True
                break
            if stale:
                top = -np.inf
                for i in range(k):
                    f[i] = (S[i] - diag[i]) * inv
                    if n[i] > 0 and f[i] > top:
                        top = f[i]
                total = 0.0
                for i in range(k):
                    f[i] = _birth(rule, selection, f[i], top)
                    if n[i] > 0:
                        if f[i] < 0.0:
                            return event, winner, False
                        total += n[i] * f[i]
                    cum[i] = total
                stale = False
            counter += GOLDEN
            x = unit_float(counter) * total
            born = -1
            for i in range(k):  # _pick_weighted over the running sums
                if n[i] > 0:
                    born = i
                    if x < cum[i]:
                        break
            if mutation > 0.0:
                counter += GOLDEN
                if unit_float(counter) < mutation:
                    counter += GOLDEN
                    born = _other(born, k, unit_float(counter))
            counter += GOLDEN
            dead = _pick_count(n, fN, -1, unit_float(counter))
            event += 1
            if born != dead:
                n[born] += 1
                n[dead] -= 1
                for i in range(k):
                    S[i] += AT[born, i] - AT[dead, i]
                stale = True
                if n[born] == N:
                    winner = born
                elif winner >= 0:
                    winner = -1
        if not stopped:
            r = _record(record_at, r, event, n, out, macro_out, m0)
    _record(record_at, r, -1, n, out, macro_out, m0)  # stopped early: the state stays
    return event, winner, True


@jit(refcount=False)
def _fermi_events(AT, diag, N, n, S, selection, mutation, record_at, stop_on_fixation, counter,
                  out, m0, macro_out):  # fmt: skip
    """The Fermi event loop of :func:`simulate` without a regime (as :func:`_moran_events`):
    an event reads only the payoffs of the focal individual and the model,
    ``pi_i = (S_i - A_ii) / (N - 1)``, instead of all k."""
    k = n.size
    inv = 1.0 / (N - 1)
    fN = float(N)
    n_rec = record_at.size
    r = _record(record_at, 0, 0, n, out, macro_out, m0)
    winner = _fixed(n, N)
    event = 0
    stopped = False
    while r < n_rec and not stopped:
        target = record_at[r]
        while event < target:
            if winner >= 0 and stop_on_fixation:
                stopped = True
                break
            counter += GOLDEN
            dead = _pick_count(n, fN, -1, unit_float(counter))
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
                model_ind = _pick_count(n, fN - 1.0, dead, unit_float(counter))
                if model_ind != dead:
                    gain = ((S[model_ind] - diag[model_ind]) * inv
                            - (S[dead] - diag[dead]) * inv)  # fmt: skip
                    p = imitation(1.0, selection, gain)
                    counter += GOLDEN
                    if unit_float(counter) < p:
                        born = model_ind
            event += 1
            if born != dead:
                n[born] += 1
                n[dead] -= 1
                for i in range(k):
                    S[i] += AT[born, i] - AT[dead, i]
                if n[born] == N:
                    winner = born
                elif winner >= 0:
                    winner = -1
        if not stopped:
            r = _record(record_at, r, event, n, out, macro_out, m0)
    _record(record_at, r, -1, n, out, macro_out, m0)  # stopped early: the state stays
    return event, winner, True


# -- agent-based Moran process: every generation the agents play their matches -------------


@jit(refcount=False)
def _score_pair(q, play, gkey, scores):
    """Generation ``gkey``'s match of pair ``q`` (per-turn scores into ``scores[q]``).

    ``play`` is the generation's tuple ``(p_coop, next_state, offsets, deterministic, agents,
    pair_a, pair_b, payoff, turns, prob_end, noise, fixed, cache)`` (:func:`agent_moran`).
    Deterministic pairs of a fixed-length, noise-free match are read from ``cache``.
    """
    (p_coop, next_state, offsets, deterministic, agents, pair_a, pair_b, payoff, turns,
     prob_end, noise, fixed, cache) = play  # fmt: skip
    a = pair_a[q]
    b = pair_b[q]
    ta = agents[a]
    tb = agents[b]
    if fixed and deterministic[ta] and deterministic[tb]:
        scores[q, PAYOFF_I] = cache[ta, tb]
        scores[q, PAYOFF_J] = cache[tb, ta]
    else:
        play_pair(
            p_coop, next_state, offsets[ta], offsets[tb], payoff, turns, prob_end,
            noise, 1, stream_key(gkey, a, b), scores[q],
        )  # fmt: skip


@jit(refcount=False)
def _score_pairs(play, gkey, scores):
    """Play generation ``gkey``'s match of every pair of agents, one after the other."""
    for q in range(scores.shape[0]):
        _score_pair(q, play, gkey, scores)


@jit(parallel=True)
def _score_pairs_parallel(play, gkey, scores):
    """:func:`_score_pairs` on threads (:func:`agent_moran` says from when)."""
    for q in prange(scores.shape[0]):
        _score_pair(q, play, gkey, scores)


@jit()
def agent_moran(
    p_coop,
    next_state,
    offsets,
    deterministic,
    agents0,
    n_types,
    payoff,
    turns,
    prob_end,
    noise,
    mutation,
    stop_on_fixation,
    key,
    record_at,
    parallel_turns,
    out,
):
    """Birth--death Moran process of agents whose fitness is really played each generation.

    Semantics of ``axelrod.MoranProcess`` (mode "bd"): every generation every pair of agents
    plays a match (``turns`` turns or ending with ``prob_end`` per turn, with ``noise``); an
    agent's fitness is the sum of its per-turn scores; one agent is chosen to reproduce with
    probability proportional to fitness, its offspring mutates with probability ``mutation``
    to a uniformly chosen other type, and replaces an agent chosen uniformly (possibly the
    parent). Pairs of deterministic types play once when neither noise nor ``prob_end`` can
    change a match (axelrod's deterministic cache does the same).

    Match ``(a, b)`` of generation ``g`` uses the stream ``stream_key(stream_key(key, g, 1),
    a, b)``; births and deaths use ``stream_key(key, g, 0)``: results do not depend on the
    number of threads. A generation plays its pairs on threads when the turns it really plays
    reach ``parallel_turns`` (pairs read from the cache do not count; a match ending with
    ``prob_end`` counts its mean length ``1 / prob_end``, at most ``turns``): waking the
    threads costs milliseconds on a busy machine (docs/performance.md). ``parallel_turns``
    None: never on threads (the caller knows no generation reaches the threshold), and the
    parallel loop is not even compiled.
    ``out`` (len(record_at), n_types) receives type counts. Returns
    ``(generations, winner)`` (winner -1 if the population has not fixed).
    """
    N = agents0.size
    agents = agents0.copy()
    counts = np.zeros(n_types, np.int64)
    for a in range(N):
        counts[agents[a]] += 1
    n_pairs = N * (N - 1) // 2
    pair_a = np.empty(n_pairs, np.int64)
    pair_b = np.empty(n_pairs, np.int64)
    p = 0
    for a in range(N):
        for b in range(a + 1, N):
            pair_a[p] = a
            pair_b[p] = b
            p += 1
    scores = np.zeros((n_pairs, N_MATCH_OUT))
    # deterministic pairs without noise: one match per ordered pair of types, played once
    fixed = noise == 0.0 and prob_end == 0.0
    cache = np.full((n_types, n_types), np.nan)
    buf = np.zeros(N_MATCH_OUT)
    if fixed:
        for ta in range(n_types):
            for tb in range(n_types):
                if deterministic[ta] and deterministic[tb]:
                    play_pair(
                        p_coop, next_state, offsets[ta], offsets[tb], payoff, turns, prob_end,
                        noise, 1, np.uint64(0), buf,
                    )  # fmt: skip
                    cache[ta, tb] = buf[PAYOFF_I]
    # agents is updated in place: the tuple holds the array, not a copy
    play = (p_coop, next_state, offsets, deterministic, agents, pair_a, pair_b, payoff, turns,
            prob_end, noise, fixed, cache)  # fmt: skip
    # turns a played match lasts on average, and the agents of deterministic types, whose
    # pairs among themselves are read from the cache when ``fixed``
    match_turns = float(turns)
    if prob_end > 0.0 and (turns <= 0 or 1.0 / prob_end < turns):
        match_turns = 1.0 / prob_end
    n_det = 0
    for a in range(N):
        if deterministic[agents[a]]:
            n_det += 1
    fit = np.zeros(N)
    n_rec = record_at.size
    total_gens = record_at[n_rec - 1]
    no_macro = np.empty(0)
    r = _record(record_at, 0, 0, counts, out, no_macro, 0.0)
    winner = _fixed(counts, N)
    g = 0
    while g < total_gens:
        if winner >= 0 and stop_on_fixation:
            break
        gkey = stream_key(key, g, 1)
        played = n_pairs - (n_det * (n_det - 1) // 2 if fixed else 0)
        if parallel_turns is None:  # a None type: numba drops the branches below unseen
            _score_pairs(play, gkey, scores)
        elif played * match_turns >= parallel_turns:
            _score_pairs_parallel(play, gkey, scores)
        else:
            _score_pairs(play, gkey, scores)
        for a in range(N):
            fit[a] = 0.0
        for q in range(n_pairs):
            fit[pair_a[q]] += scores[q, PAYOFF_I]
            fit[pair_b[q]] += scores[q, PAYOFF_J]
        counter = stream_key(key, g, 0)
        total = 0.0
        for a in range(N):
            total += fit[a]
        counter += GOLDEN
        x = unit_float(counter) * total
        parent = N - 1
        acc = 0.0
        for a in range(N):
            acc += fit[a]
            if acc >= x:
                parent = a
                break
        child = agents[parent]
        if mutation > 0.0 and n_types > 1:
            counter += GOLDEN
            if unit_float(counter) < mutation:
                counter += GOLDEN
                child = _other(child, n_types, unit_float(counter))
        counter += GOLDEN
        dead = int(unit_float(counter) * N)
        if dead >= N:
            dead = N - 1
        old = agents[dead]
        if old != child:
            agents[dead] = child
            n_det += (1 if deterministic[child] else 0) - (1 if deterministic[old] else 0)
            counts[old] -= 1
            counts[child] += 1
            if counts[child] == N:
                winner = child
            elif winner >= 0:
                winner = -1
        g += 1
        r = _record(record_at, r, g, counts, out, no_macro, 0.0)
    _record(record_at, r, -1, counts, out, no_macro, 0.0)
    return g, winner
