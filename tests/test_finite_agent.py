"""The agent-based Moran process against axelrod.MoranProcess and its definition.

Sources: axelrod's ``MoranProcess`` (Knight et al. 2016, J. Open Research Software 4(1)
e35; documentation "Moran Process"): in each generation every agent plays every other, fitness
is the sum of per-turn match scores, birth proportional to fitness, uniform death (possibly the
parent), mutation to another type of the initial population.
"""

import itertools
import math
from collections import Counter

import numpy as np
import pytest
from scipy.stats import chi2

from evopolity.dynamics.finite import agent_moran
from evopolity.play.games import Game
from evopolity.play.strategies.automaton import memory_one, memory_zero

TFT = memory_one((1, 0, 1, 0), "C", name="Tit For Tat")
ALLD = memory_zero(0.0, name="Defector")
ALLC = memory_zero(1.0, name="Cooperator")


# Statistical checks below compare a count with its exact law at Z standard errors: with the
# normal approximation a correct implementation fails one such comparison with probability
# 6.8e-6, and a whole test (at most 14 comparisons and one chi-square test at 1e-6) with
# probability below 1e-4. (Seeds are fixed, so a run is reproducible; the probability is
# that of a correct change of the random streams making a test fail.)
Z = 4.5


@pytest.mark.parametrize("mutation", [0.1, 0.4])
def test_each_generation_follows_fitness_proportional_birth_mutation_and_uniform_death(
    mutation,
):
    # ALLD and ALLC agents, N = 3, no noise, PD (3, 0, 5, 1); with d ALLD agents, fitness =
    # sum of per-turn scores: d = 1: ALLD 5 + 5 = 10, each ALLC 0 + 3 = 3, so ALLD is the
    # parent with probability b_1 = 10/16; d = 2: each ALLD 5 + 1, each ALLC 0 + 0, b_2 = 1;
    # b_0 = 0, b_3 = 1. The offspring switches to the other type with probability mu:
    # P(offspring ALLD) = b_d (1 - mu) + (1 - b_d) mu. Death is uniform (parent included):
    # P(d -> d + 1) = P(offspring ALLD) (3 - d)/3, P(d -> d - 1) = P(offspring ALLC) d/3.
    # With mutation the chain never stops: one long run samples every row of it.
    tr = agent_moran([ALLD, ALLC, ALLC], turns=7, mutation=mutation, seed=3,
                     generations=20_000, stop_on_fixation=False, record_every=1)
    d = np.rint(tr.frequencies[:, 0] * 3).astype(int)
    step = np.diff(d)
    assert set(step) <= {-1, 0, 1}  # one birth and one death a generation
    for state, b in enumerate([0.0, 10 / 16, 1.0, 1.0]):
        born_alld = b * (1 - mutation) + (1 - b) * mutation
        at = step[d[:-1] == state]
        for move, p in [(1, born_alld * (3 - state) / 3), (-1, (1 - born_alld) * state / 3)]:
            seen = np.count_nonzero(at == move)
            if p == 0.0:
                assert seen == 0, (state, move)
            else:
                assert abs(seen / at.size - p) <= Z * math.sqrt(p * (1 - p) / at.size), (
                    state, move, seen / at.size, p)  # fmt: skip


# -- the exact chain of a small agent-based Moran process -----------------------------------

PD_SCORES = [(3, 3), (0, 5), (5, 0), (1, 1)]  # outcomes CC, CD, DC, DD, from the first side
MOVES = [(1, 1), (1, 0), (0, 1), (0, 0)]  # 1 = cooperate


def match_score_law(a, b, turns, noise):
    """Joint law ``J[sa, sb]`` of two memory-one players' total scores over ``turns`` turns.

    ``a`` and ``b`` are ``(p_CC, p_CD, p_DC, p_DD, p_first)``, each from its own side (b sees
    outcome CD as DC); a chosen move flips with probability ``noise``, and the next move
    answers the moves actually played.
    """
    top = 5 * turns

    def coop(p):
        return p * (1 - 2 * noise) + noise

    def step(qa, qb):
        return [(qa if ma else 1 - qa) * (qb if mb else 1 - qb) for ma, mb in MOVES]

    law = np.zeros((4, top + 1, top + 1))  # by the last outcome and the two running totals
    for o, p in enumerate(step(coop(a[4]), coop(b[4]))):
        law[(o, *PD_SCORES[o])] = p
    for _ in range(turns - 1):
        new = np.zeros_like(law)
        for last in range(4):
            probs = step(coop(a[last]), coop(b[[0, 2, 1, 3][last]]))
            for o, p in enumerate(probs):
                x, y = PD_SCORES[o]
                new[o, x:, y:] += p * law[last, : top + 1 - x, : top + 1 - y]
        law = new
    return law.sum(axis=0)


def exact_agent_moran(types, start, turns, noise):
    """The agent-based Moran process as a Markov chain on type counts, solved exactly.

    A generation: every pair of agents plays (``match_score_law``); agent ``a`` is the parent
    with probability ``E[f_a / F]`` (``f_a`` its total score, ``F`` everyone's: per-turn scores
    have the same ratios), computed from the exact law of ``(f_a, F)`` (a convolution over the
    matches); a uniform agent dies. Returns the transition matrix over the count vectors
    ``states``, the fixation probability of each type from ``start``, and the mean and
    variance of the number of generations until fixation (absorbing-chain formulas, Kemeny &
    Snell 1960).
    """
    from scipy.signal import fftconvolve

    k, N = len(types), sum(start)
    law = {(i, j): match_score_law(types[i], types[j], turns, noise)
           for i in range(k) for j in range(k)}
    top = 5 * turns
    # a match seen by one of its players: (own score, total of both); or by neither: total
    own_total = {}
    for key, J in law.items():
        K = np.zeros((top + 1, 2 * top + 1))
        for sa in range(top + 1):
            K[sa, sa : sa + top + 1] = J[sa]
        own_total[key] = K
    states = [n for n in itertools.product(range(N + 1), repeat=k) if sum(n) == N]
    index = {n: q for q, n in enumerate(states)}
    M = np.zeros((len(states), len(states)))
    for n in states:
        if max(n) == N:
            M[index[n], index[n]] = 1.0
            continue
        agents = [i for i in range(k) for _ in range(n[i])]
        for i in (i for i in range(k) if n[i]):
            a = agents.index(i)
            others = [b for b in range(N) if b != a]
            G = np.ones((1, 1))  # law of (f_a, F)
            for b in others:
                G = fftconvolve(G, own_total[i, agents[b]])
            for b, c in itertools.combinations(others, 2):
                G = fftconvolve(G, own_total[agents[b], agents[c]].sum(axis=0)[None, :])
            G = np.clip(G, 0.0, None)  # FFT round-off
            f = np.arange(G.shape[0])[:, None]
            F = np.arange(G.shape[1])[None, :]
            share = np.divide(f, F, out=np.zeros(G.shape), where=F > 0)  # F > 0: P >= 1/turn
            birth = n[i] * (G * share).sum() / G.sum()
            for j in (j for j in range(k) if n[j]):
                after = list(n)
                after[i] += 1
                after[j] -= 1
                M[index[n], index[tuple(after)]] += birth * n[j] / N
    transient = [q for q, n in enumerate(states) if max(n) < N]
    absorbing = [q for q, n in enumerate(states) if max(n) == N]
    fundamental = np.linalg.inv(np.eye(len(transient)) - M[np.ix_(transient, transient)])
    fixation_from = fundamental @ M[np.ix_(transient, absorbing)]
    mean = fundamental.sum(axis=1)
    var = (2 * fundamental - np.eye(len(transient))) @ mean - mean**2
    s0 = transient.index(index[tuple(start)])
    fixation = np.zeros(k)
    for col, q in enumerate(absorbing):
        fixation[states[q].index(N)] = fixation_from[s0, col]
    return M, states, fixation, mean[s0], var[s0]


def test_fixation_and_transitions_agree_with_the_exact_chain_and_axelrod(axl):
    # TFT, TFT, ALLD, ALLC, 10 turns, noise 0.05. Ours and axelrod's MoranProcess each against
    # the exact chain of the definition (above): ours by fixation frequencies and mean time to
    # fixation over many runs (they are cheap); axelrod by the same over fewer runs and, above
    # all, by every generation it played: each one is a draw from the exact row of its state
    names, turns, noise = ["Tit For Tat", "Defector", "Cooperator"], 10, 0.05
    types = [(1, 0, 1, 0, 1), (0, 0, 0, 0, 0), (1, 1, 1, 1, 1)]
    M, states, fixation, mean_gens, var_gens = exact_agent_moran(types, (2, 1, 1), turns, noise)
    assert fixation.sum() == pytest.approx(1.0, abs=1e-12)

    def agrees(wins, gens, runs):
        for name, p in zip(names, fixation, strict=True):
            assert abs(wins[name] / runs - p) <= Z * math.sqrt(p * (1 - p) / runs), (
                name, wins[name] / runs, p)  # fmt: skip
        assert abs(gens / runs - mean_gens) <= Z * math.sqrt(var_gens / runs), gens / runs

    ours_runs = 10_000
    wins, gens = Counter(), 0
    for seed in range(ours_runs):
        tr = agent_moran([TFT, TFT, ALLD, ALLC], turns=turns, noise=noise, seed=seed)
        wins[tr.info["winner"]] += 1
        gens += tr.info["generations"]
    agrees(wins, gens, ours_runs)

    their_runs = 300
    wins, gens = Counter(), 0
    moves = np.zeros((len(states), len(states)))  # generations played, by state before/after
    for seed in range(their_runs):
        players = [axl.TitForTat(), axl.TitForTat(), axl.Defector(), axl.Cooperator()]
        mp = axl.MoranProcess(players, turns=turns, noise=noise, seed=seed)
        mp.play()
        wins[mp.winning_strategy_name] += 1
        gens += len(mp) - 1
        visited = [states.index(tuple(pop[n] for n in names)) for pop in mp.populations]
        for before, after in itertools.pairwise(visited):
            moves[before, after] += 1
    agrees(wins, gens, their_runs)
    # Pearson's chi-square over the rows visited, cells expecting fewer than 5 pooled within
    # their row; asymptotically chi-square with sum(cells - 1) degrees of freedom
    stat, dof = 0.0, 0
    for q in np.flatnonzero(moves.sum(axis=1)):
        observed, expected = moves[q], moves[q].sum() * M[q]
        assert observed[expected == 0].sum() == 0, states[q]  # no impossible move
        small = (expected < 5) & (expected > 0)
        cells = [(observed[c], expected[c]) for c in np.flatnonzero(expected >= 5)]
        if expected[small].sum() > 0:
            cells.append((observed[small].sum(), expected[small].sum()))
        stat += sum((o - e) ** 2 / e for o, e in cells)
        dof += len(cells) - 1
    assert dof >= 20 and moves.sum() > 2000  # most of the chain was exercised
    assert chi2.sf(stat, dof) > 1e-6, (stat, dof)


def test_same_seed_same_result_whatever_the_thread_count(two_thread_pool):
    # 30 agents x 500 turns, every pair played on threads (the threshold lowered: at its
    # value the test would play a million turns a generation); a pool of two threads in a
    # child interpreter, whatever the cores here
    runs = two_thread_pool("""
        from evopolity.dynamics import finite
        from evopolity.dynamics.finite import agent_moran
        from evopolity.play.strategies.automaton import memory_one, memory_zero
        finite.PARALLEL_TURNS = 1
        players = ([memory_one((1, 0, 1, 0), "C", name="Tit For Tat")] * 10
                   + [memory_zero(0.0, name="Defector")] * 10
                   + [memory_one((0.9, 0.1, 0.8, 0.2), name="M1")] * 10)
        for threads, seed in ((1, 5), (2, 5), (2, 6)):
            numba.set_num_threads(threads)
            tr = agent_moran(players, turns=500, noise=0.01, seed=seed, generations=6)
            results[f"threads_{threads}_seed_{seed}"] = tr.frequencies
        finite.PARALLEL_TURNS = 10**18  # the serial loop
        tr = agent_moran(players, turns=500, noise=0.01, seed=5, generations=6)
        results["serial_seed_5"] = tr.frequencies
    """)
    np.testing.assert_array_equal(runs["threads_1_seed_5"], runs["threads_2_seed_5"])
    np.testing.assert_array_equal(runs["serial_seed_5"], runs["threads_2_seed_5"])
    # births and deaths draw from the seed: another seed takes another path
    assert not np.array_equal(runs["threads_2_seed_6"], runs["threads_2_seed_5"])


def test_mutation_keeps_all_types_possible_and_records_generations():
    tr = agent_moran(
        [TFT, ALLD, ALLC] * 3, turns=20, noise=0.01, mutation=0.1, seed=2,
        generations=2000, stop_on_fixation=False, record_every=10,
    )  # fmt: skip
    assert tr.info["generations"] == 2000 and len(tr) == 201
    np.testing.assert_allclose(tr.frequencies.sum(axis=1), 1.0)
    counts = np.rint(tr.frequencies * 9)
    np.testing.assert_array_equal(counts / 9, tr.frequencies)  # whole agents
    # without mutation a lost type stays lost and a fixed population stays fixed; here every
    # type is lost at some record and present again at a later one, and the run goes on
    # through a population held by one type
    for j in range(3):
        lost = np.flatnonzero(counts[:, j] == 0)
        assert lost.size and (counts[lost[0]:, j] > 0).any(), tr.strategies[j]
    assert (counts == 9).any()


def test_game_changes_the_winner():
    # 3 ALLC + 3 ALLD. Prisoner's dilemma (3, 0, 5, 1): fitness C = 2*3 + 3*0 = 6 < D = 3*5 + 2*1
    # = 17. Harmony game (R=5, S=2, T=1, P=0): C = 2*5 + 3*2 = 16 > D = 3*1 + 0 = 3.
    def wins(game):
        return Counter(
            agent_moran([ALLC] * 3 + [ALLD] * 3, turns=5, seed=s, game=game).info["winner"]
            for s in range(300)
        )

    pd_wins, harmony_wins = wins(None), wins(Game(R=5.0, S=2.0, T=1.0, P=0.0))
    assert pd_wins["Defector"] > 2 * pd_wins["Cooperator"]
    assert harmony_wins["Cooperator"] > 2 * harmony_wins["Defector"]


@pytest.mark.parametrize(
    "kw, err, match",
    [
        ({"strategies": [TFT]}, ValueError, "at least 2 agents"),
        ({"strategies": [TFT, 3]}, TypeError, r"strategies\[1\] must be a Strategy"),
        ({"strategies": [TFT, ALLD.renamed("Tit For Tat")]}, ValueError, "two different"),
        ({"noise": 1.5}, ValueError, r"noise must be a probability in \[0, 1\]"),
        ({"turns": 0}, ValueError, "turns must be >= 1"),
        ({"prob_end": 1.0}, ValueError, r"prob_end must be a probability in \[0, 1\)"),
    ],
)
def test_invalid_arguments_are_refused(kw, err, match):
    args = {"strategies": [TFT, ALLD]}
    args.update(kw)
    with pytest.raises(err, match=match):
        agent_moran(**args)
