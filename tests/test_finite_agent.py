"""The agent-based Moran process against axelrod.MoranProcess and its definition.

Sources: axelrod's ``MoranProcess`` (Knight et al. 2016, J. Open Research Software 4(1)
e35; documentation "Moran Process"): in each generation every agent plays every other, fitness
is the sum of per-turn match scores, birth proportional to fitness, uniform death (possibly the
parent), mutation to another type of the initial population.
"""

import math
from collections import Counter

import numba
import numpy as np
import pytest

from evopolity.dynamics.finite import agent_moran
from evopolity.play.games import Game
from evopolity.play.strategies.automaton import memory_one, memory_zero

TFT = memory_one((1, 0, 1, 0), "C", name="Tit For Tat")
ALLD = memory_zero(0.0, name="Defector")
ALLC = memory_zero(1.0, name="Cooperator")


def test_first_generation_follows_fitness_proportional_birth_and_uniform_death():
    # Population ALLD, ALLC, ALLC, no noise, PD (3, 0, 5, 1): fitness = sum of per-turn scores,
    # ALLD 5 + 5 = 10, each ALLC 0 + 3 = 3, total 16. P(ALLD born) = 10/16; death uniform.
    # P(ALLD count rises) = 10/16 * 2/3 = 5/12; P(falls) = 6/16 * 1/3 = 1/8.
    runs = 6000
    up = down = 0
    for seed in range(runs):
        tr = agent_moran([ALLD, ALLC, ALLC], turns=7, seed=seed, generations=1)
        change = tr.frequencies[1, 0] - tr.frequencies[0, 0]
        up += change > 0
        down += change < 0
    for count, p in [(up, 5 / 12), (down, 1 / 8)]:
        assert abs(count / runs - p) <= 4 * math.sqrt(p * (1 - p) / runs)


def test_fixation_frequencies_agree_with_axelrod():
    import axelrod as axl  # a test dependency (pyproject [test]); slow to import

    ours_runs, their_runs = 20_000, 1_500
    turns, noise = 10, 0.05
    ours, our_gens = Counter(), 0
    for seed in range(ours_runs):
        tr = agent_moran([TFT, TFT, ALLD, ALLC], turns=turns, noise=noise, seed=seed)
        ours[tr.info["winner"]] += 1
        our_gens += tr.info["generations"]
    theirs, their_gens, their_sq = Counter(), 0, 0
    for seed in range(their_runs):
        players = [axl.TitForTat(), axl.TitForTat(), axl.Defector(), axl.Cooperator()]
        mp = axl.MoranProcess(players, turns=turns, noise=noise, seed=seed)
        mp.play()
        theirs[mp.winning_strategy_name] += 1
        their_gens += len(mp) - 1
        their_sq += (len(mp) - 1) ** 2
    for name in ["Tit For Tat", "Defector", "Cooperator"]:
        p1, p2 = ours[name] / ours_runs, theirs[name] / their_runs
        p = (ours[name] + theirs[name]) / (ours_runs + their_runs)
        se = math.sqrt(p * (1 - p) * (1 / ours_runs + 1 / their_runs))
        assert abs(p1 - p2) <= 4 * se, (name, p1, p2)
    # mean time to fixation
    m2 = their_gens / their_runs
    sd = math.sqrt(their_sq / their_runs - m2 * m2)
    assert abs(our_gens / ours_runs - m2) <= 4 * sd / math.sqrt(their_runs)


def test_same_seed_same_result_whatever_the_thread_count():
    # 30 agents x 500 turns: 217,500 turns a generation, played on threads
    players = [TFT] * 10 + [ALLD] * 10 + [memory_one((0.9, 0.1, 0.8, 0.2), name="M1")] * 10
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = agent_moran(players, turns=500, noise=0.01, seed=5, generations=6)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = agent_moran(players, turns=500, noise=0.01, seed=5, generations=6)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(a.frequencies, b.frequencies)
    c = agent_moran(players, turns=500, noise=0.01, seed=6, generations=6)
    assert a.params["seed"] == 5 and c.params["seed"] == 6


def test_mutation_keeps_all_types_possible_and_records_generations():
    tr = agent_moran(
        [TFT, ALLD, ALLC] * 3, turns=20, noise=0.01, mutation=0.1, seed=2,
        generations=2000, stop_on_fixation=False, record_every=10,
    )  # fmt: skip
    assert tr.info["generations"] == 2000 and len(tr) == 201
    np.testing.assert_allclose(tr.frequencies.sum(axis=1), 1.0)
    assert (tr.frequencies > 0).any(axis=0).all()


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
