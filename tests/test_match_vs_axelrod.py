"""Our match engine against axelrod's own ``Match`` (an independent implementation)."""

import numpy as np
import pytest

import evopolity as ep

GAMES = [ep.PrisonersDilemma(), ep.Snowdrift(), ep.StagHunt()]


def deterministic_library():
    return [s for s in ep.library.all_strategies() if not s.stochastic]


def axelrod_player(axl, strategy):
    entry = next(e for e in ep.library.entries() if e.name == strategy.name)
    return getattr(axl, entry.axelrod_class)()


def axelrod_per_turn(axl, a, b, game, turns, noise=0.0, seed=None):
    match = axl.Match([a.clone(), b.clone()], turns=turns, game=axl.Game(*game.rstp),
                      noise=noise, seed=seed, deterministic_cache=axl.DeterministicCache())
    match.play()
    scores = np.array(match.scores(), dtype=float)
    coop = np.array(match.cooperation(), dtype=float) / turns
    return scores.mean(axis=0), coop


@pytest.fixture(scope="module")
def deterministic_moves(axl):
    """axelrod's moves in every pair of deterministic library strategies, 200 turns, played
    once for all games: axelrod's classifier says none of these players makes use of the game
    (checked here), so their moves are the same in every game and only the scores differ."""
    strategies = deterministic_library()
    assert len(strategies) >= 40  # basic, classics, cyclers, FSMs, deterministic lookups
    players = [axelrod_player(axl, s) for s in strategies]
    for s, p in zip(strategies, players, strict=True):
        assert "game" not in axl.Classifiers["makes_use_of"](p), s.name
    moves = {}
    for i in range(len(players)):
        for j in range(i, len(players)):
            match = axl.Match([players[i].clone(), players[j].clone()], turns=200,
                              deterministic_cache=axl.DeterministicCache())
            moves[i, j] = match.play()
    return strategies, moves


@pytest.mark.parametrize("game", GAMES, ids=lambda g: type(g).__name__)
def test_every_deterministic_pair_matches_axelrod_exactly(axl, deterministic_moves, game):
    from axelrod.interaction_utils import compute_cooperations, compute_final_score_per_turn

    strategies, moves = deterministic_moves
    ours = ep.tournament(strategies, game=game, turns=200, repetitions=3, seed=0)
    their_game = axl.Game(*game.rstp)
    for (i, j), played in moves.items():
        pi, pj = compute_final_score_per_turn(played, their_game)
        ci, cj = (c / 200 for c in compute_cooperations(played))
        if i == j:  # our diagonal is the mean of the two copies
            pi = pj = 0.5 * (pi + pj)
            ci = cj = 0.5 * (ci + cj)
        si, sj = strategies[i].name, strategies[j].name
        assert ours.payoffs.iat[i, j] == pi, (si, sj)
        assert ours.payoffs.iat[j, i] == pj, (sj, si)
        assert ours.cooperation.iat[i, j] == ci, (si, sj)
        assert ours.cooperation.iat[j, i] == cj, (sj, si)
    # deterministic pairs are played once: no spread over repetitions
    assert (ours.payoff_std.to_numpy() == 0).all()


def test_from_axelrod_converts_every_library_automaton(axl):
    for strategy in ep.library.all_strategies():
        converted = ep.from_axelrod(axelrod_player(axl, strategy))
        assert converted.same_behaviour(strategy), strategy.name


def test_from_axelrod_converts_generic_automata(axl):
    m1 = ep.from_axelrod(axl.MemoryOnePlayer((0.9, 0.1, 0.8, 0.2), initial=axl.Action.D))
    assert m1.same_behaviour(ep.memory_one((0.9, 0.1, 0.8, 0.2), "D"))
    cyc = ep.from_axelrod(axl.Cycler("CDDC"))
    assert cyc.moves("CCCCCC") == "CDDCCD" and cyc.name == "Cycler: CDDC"
    rnd = ep.from_axelrod(axl.Random(0.3))
    assert rnd.same_behaviour(ep.memory_zero(0.3)) and rnd.name == "Random: 0.3"


def test_from_axelrod_refuses_strategies_that_are_not_automata(axl):
    with pytest.raises(ValueError, match=r"'Gradual' \(Gradual\) is not a finite automaton"):
        ep.from_axelrod(axl.Gradual())
    with pytest.raises(TypeError, match="needs an axelrod Player"):
        ep.from_axelrod("Tit For Tat")


def test_to_axelrod_plays_the_same_moves_in_axelrods_engine(axl):
    # our automaton run by axelrod's Match against axelrod's original player
    for name in ["Evolved FSM 16", "EvolvedLookerUp2_2_2", "Tit For 2 Tats", "Alternator"]:
        ours = ep.to_axelrod(ep.library.get(name))
        original = axelrod_player(axl, ep.library.get(name))
        for opponent in (axl.Random(0.5), axl.Prober(), axl.Gradual()):
            m1 = axl.Match([ours, opponent.clone()], turns=100, seed=5)
            m2 = axl.Match([original, opponent.clone()], turns=100, seed=5)
            assert m1.play() == m2.play(), (name, str(opponent))


@pytest.mark.parametrize(
    ("a", "b"),
    [("Tit For Tat", "Win-Stay Lose-Shift"), ("Grudger", "Evolved FSM 4"),
     ("GTFT: 0.33", "ZD-Extort-2: 0.1111111111111111, 0.5")],
)
def test_noisy_matches_agree_with_axelrod_in_distribution(axl, a, b):
    """Mean per-turn payoffs with noise 0.05 over 300 repetitions: within 4 standard errors."""
    game = ep.PrisonersDilemma()
    sa, sb = ep.library.get(a), ep.library.get(b)
    reps = 300
    ours = ep.tournament([sa, sb], turns=50, repetitions=reps, noise=0.05, seed=11)
    per_rep = np.array([
        axelrod_per_turn(axl, axelrod_player(axl, sa), axelrod_player(axl, sb), game, 50,
                         noise=0.05, seed=r)[0]
        for r in range(reps)
    ])
    theirs = per_rep.mean(axis=0)
    se = np.sqrt(per_rep.var(axis=0, ddof=1) / reps + ours.payoff_std.loc[a, b] ** 2 / reps)
    assert abs(ours.payoffs.loc[a, b] - theirs[0]) < 4 * se[0] + 1e-12
    assert abs(ours.payoffs.loc[b, a] - theirs[1]) < 4 * se[1] + 1e-12
