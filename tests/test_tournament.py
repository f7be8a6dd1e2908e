"""Tournaments: frames, reproducibility, validation, properties, and the axelrod slow path."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evopolity as ep

probability = st.floats(0.0, 1.0, allow_nan=False)
memory_one_vectors = st.tuples(probability, probability, probability, probability, probability)


def test_frames_have_named_axes_and_tidy_columns():
    t = ep.tournament("basic", turns=20, repetitions=2, noise=0.01, seed=1)
    names = [s.name for s in ep.library.basic_strategies()]
    assert list(t.payoffs.index) == names and list(t.payoffs.columns) == names
    assert t.payoffs.index.name == "player" and t.payoffs.columns.name == "opponent"
    frame = t.to_frame()
    assert list(frame.columns) == ["player", "opponent", "payoff", "payoff_std", "cooperation",
                                   "turns"]
    assert len(frame) == 100
    row = frame[(frame.player == "Defector") & (frame.opponent == "Cooperator")].iloc[0]
    assert row.payoff == t.payoffs.loc["Defector", "Cooperator"]
    ranking = t.ranking()
    assert list(ranking["rank"]) == list(range(1, 11))
    assert ranking.mean_payoff.is_monotonic_decreasing
    assert ranking.set_index("strategy").mean_payoff.loc["Tit For Tat"] == pytest.approx(
        t.payoffs.loc["Tit For Tat"].mean())


def test_same_seed_same_result_whatever_the_thread_count(two_thread_pool):
    # a pool of two threads in a child interpreter, whatever the cores here (see conftest)
    runs = two_thread_pool("""
        from evopolity.kernels import match
        strategies = ep.library.all_strategies()
        for threads in (1, 2):
            if threads == 2:
                match.PARALLEL_TURNS = 0  # this small call on threads too
            t = ep.tournament(strategies, turns=50, repetitions=3, noise=0.05, seed=42,
                              threads=threads)
            results[f"threads_{threads}"] = t.payoffs.to_numpy()
        other = ep.tournament(strategies, turns=50, repetitions=3, noise=0.05, seed=43)
        results["seed_43"] = other.payoffs.to_numpy()
    """)
    np.testing.assert_array_equal(runs["threads_1"], runs["threads_2"])
    # noisy pairs draw from the seed: another seed changes them
    assert not np.array_equal(runs["seed_43"], runs["threads_1"])



@pytest.mark.parametrize(
    ("turns", "prob_end", "noise", "repetitions"),
    [(60, 0.0, 0.05, 5), (40, 0.0, 0.0, 4), (25, 0.1, 0.02, 7), (-1, 0.2, 0.0, 6),
     (203, 0.0, 0.0, 3)],
)
def test_fast_pairs_are_the_general_kernel_bit_for_bit(turns, prob_end, noise, repetitions):
    # play_pairs (thresholds, flat tables, two repetitions per iteration; geometric lengths
    # that differ between the two; fixed deterministic matches summed by their cycles when
    # the payoffs are integers, 203 turns) against play_pair, the general kernel, pair by
    # pair
    from evopolity.kernels import codes, match
    from evopolity.kernels.rng import stream_key
    from evopolity.play.strategies.automaton import PackedStrategies

    rng = np.random.default_rng(5)
    strategies = [ep.memory_one(rng.random(4), rng.random(), name=f"m{k}") for k in range(3)]
    strategies += [ep.library.get(n) for n in ("Evolved FSM 4", "Tit For Tat", "Alternator",
                                                "Cycler CCCDCD", "Grudger")]
    packed = PackedStrategies(strategies)
    pair_i, pair_j = (a.astype(np.int64) for a in np.triu_indices(len(strategies)))
    game, seed = ep.Snowdrift().matrix, np.uint64(2**63 + 11)
    if turns == 203:
        game = np.array([[3.0, -7.0], [2.0**40, 1.0]])  # integers: the cycle path
    args = (packed.p_coop, packed.next_state, packed.offsets, packed.deterministic, pair_i,
            pair_j, game, turns, prob_end, noise, repetitions, seed)
    fast = np.zeros((pair_i.size, codes.N_MATCH_OUT))
    match.play_pairs(*args, fast)
    threaded = np.zeros_like(fast)
    match.play_pairs_parallel(*args, threaded)
    general = np.zeros_like(fast)
    for k, (i, j) in enumerate(zip(pair_i, pair_j, strict=True)):
        once = noise == 0.0 and prob_end == 0.0 and not (strategies[i].stochastic
                                                          or strategies[j].stochastic)
        match.play_pair(packed.p_coop, packed.next_state, packed.offsets[i], packed.offsets[j],
                        game, turns, prob_end, noise, 1 if once else repetitions,
                        np.uint64(stream_key(seed, i, j)), general[k])
        general[k, codes.TURNS] *= repetitions if once else 1
    np.testing.assert_array_equal(fast, general)
    np.testing.assert_array_equal(threaded, general)


def test_move_thresholds_decide_as_the_draws_do():
    # u = m 2^-53 cooperates when u < q; the kernel compares m with ceil(q 2^53) instead
    from evopolity.kernels.match import move_thresholds

    m = np.array([0, 1, 2**20 + 3, 2**52, 2**53 - 1], dtype=np.float64)
    at = m * 2.0**-53
    q = np.concatenate([at, np.nextafter(at, 1.0), np.nextafter(at, -1.0), [0.0, 1.0, 5e-324]])
    q = np.clip(q, 0.0, 1.0)
    for noise in (0.0, 0.25):
        # p chosen so that p (1 - 2e) + e lands near q; the threshold is read off the same q
        p = (q - noise) / (1 - 2 * noise)
        ok = (p >= 0) & (p <= 1)
        p = p[ok]
        thresholds = move_thresholds(p, noise).astype(np.float64)  # integers below 2^54
        q_used = p * (1 - 2 * noise) + noise
        for draw in m:
            np.testing.assert_array_equal(draw < thresholds, draw * 2.0**-53 < q_used)


def test_played_turns_counts_pairs_played_once_once():
    from evopolity.kernels.match import played_turns

    # 3 pairs, 1 of two deterministic automata: played once without noise, else every time
    assert played_turns(3, 1, 10, 0.0, 0.0, 5) == (1 + 2 * 5) * 10
    assert played_turns(3, 1, 10, 0.0, 0.1, 5) == 3 * 5 * 10
    assert played_turns(3, 1, 10, 0.0, 0.0, 5, certain=False) == 3 * 5 * 10
    # geometric lengths: mean 1/prob_end, capped by turns
    assert played_turns(2, 0, 10, 0.5, 0.0, 3) == 2 * 3 * 2.0
    assert played_turns(2, 0, -1, 0.01, 0.0, 3) == pytest.approx(2 * 3 * 100.0)
    assert played_turns(2, 0, 10, 0.01, 0.0, 3) == 2 * 3 * 10


def test_the_strategy_list_cache_follows_the_list(axl):
    # a list changed in place, an axelrod player in a list, a frame's axis renamed
    strategies = ["Tit For Tat", "Defector"]
    first = ep.tournament(strategies, turns=10, seed=0)
    strategies[1] = "Cooperator"
    second = ep.tournament(strategies, turns=10, seed=0)
    assert list(second.payoffs.index) == ["Tit For Tat", "Cooperator"]
    assert second.payoffs.loc["Tit For Tat", "Cooperator"] == 3.0
    players = [axl.TitForTat(), axl.Cycler("CCD")]
    a = ep.tournament(players, turns=12, seed=0)
    players[1] = axl.Cycler("DDC")
    b = ep.tournament(players, turns=12, seed=0)
    assert list(b.payoffs.index) == ["Tit For Tat", "Cycler: DDC"]
    assert a.payoffs.iat[1, 0] != b.payoffs.iat[1, 0]
    first.payoffs.index.name = "renamed"
    again = ep.tournament(["Tit For Tat", "Defector"], turns=10, seed=0)
    assert again.payoffs.index.name == "player" and again.cooperation.index.name == "player"
    assert first.cooperation.index.name == "player"

def test_pair_streams_do_not_depend_on_the_other_strategies():
    # a pair's random stream is keyed by its positions, not by what else is in the tournament
    a, b = ep.library.get("GTFT: 0.33"), ep.library.get("Random: 0.5")
    t1 = ep.tournament([a, b], turns=30, repetitions=5, noise=0.1, seed=9)
    t2 = ep.tournament([a, b, ep.library.get("Defector")], turns=30, repetitions=5, noise=0.1,
                       seed=9)
    assert t1.payoffs.loc[a.name, b.name] == t2.payoffs.loc[a.name, b.name]


def test_deterministic_pairs_without_noise_are_played_once_but_count_every_repetition():
    t = ep.tournament(["Tit For Tat", "Alternator"], turns=10, repetitions=7, seed=0)
    assert (t.payoff_std.to_numpy() == 0).all()
    assert (t.turns_played.to_numpy() == 70).all()


@settings(max_examples=25, deadline=None)
@given(memory_one_vectors, memory_one_vectors, st.floats(0.0, 0.5), st.sampled_from([None, 7]))
def test_exact_payoffs_swap_with_the_players(va, vb, noise, turns):
    a = ep.memory_one(va[:4], va[4], name="a")
    b = ep.memory_one(vb[:4], vb[4], name="b")
    if turns is None and noise == 0.0:
        noise = 0.01
    ab = ep.tournament([a, b], turns=turns, noise=noise, method="exact")
    ba = ep.tournament([b, a], turns=turns, noise=noise, method="exact")
    np.testing.assert_allclose(ab.payoffs.loc[["a", "b"], ["a", "b"]],
                               ba.payoffs.loc[["a", "b"], ["a", "b"]], atol=1e-10)
    for t in (ab, ba):
        c = t.cooperation.to_numpy()
        assert ((c >= -1e-12) & (c <= 1 + 1e-12)).all()


def expected_memory_one_match(a, b, turns, noise, rstp=(3.0, 0.0, 5.0, 1.0)):
    """Expected per-turn payoff and cooperation of ``a`` against ``b`` over ``turns`` turns.

    The pair's last moves form a Markov chain on the outcomes CC, CD, DC, DD (from a's side;
    b sees CD as DC); a move chosen with cooperation probability p cooperates with
    probability p (1 - 2 noise) + noise; ``a`` and ``b`` are (p_CC, p_CD, p_DC, p_DD, first).
    """
    R, S, T, P = rstp

    def coop(p):
        return p * (1 - 2 * noise) + noise

    def outcome(qa, qb):
        return np.array([qa * qb, qa * (1 - qb), (1 - qa) * qb, (1 - qa) * (1 - qb)])

    step = np.array([outcome(coop(a[s]), coop(b[[0, 2, 1, 3][s]])) for s in range(4)])
    law = outcome(coop(a[4]), coop(b[4]))
    total = np.zeros(4)
    for _ in range(turns):
        total += law
        law = law @ step
    mean = total / turns
    return mean @ [R, S, T, P], mean @ [1, 1, 0, 0]


def test_expected_memory_one_match_by_hand():
    # the helper against cases worked by hand: TFT vs ALLD over 10 turns earns (S + 9 P)/10
    # and cooperates 1 time in 10; ALLC vs ALLD with noise e: every turn ALLC cooperates with
    # probability 1 - e and ALLD with probability e, so ALLC earns R, S, T, P with
    # probabilities (1 - e) e, (1 - e)^2, e^2, e (1 - e)
    tft, alld, allc = (1, 0, 1, 0, 1), (0, 0, 0, 0, 0), (1, 1, 1, 1, 1)
    assert expected_memory_one_match(tft, alld, 10, 0.0) == pytest.approx((0.9, 0.1))
    e = 0.2
    payoff, coop = expected_memory_one_match(allc, alld, 10, e)
    assert coop == pytest.approx(1 - e)
    assert payoff == pytest.approx((1 - e) * e * 3 + (1 - e) ** 2 * 0 + e * e * 5
                                   + e * (1 - e) * 1)  # R, S, T, P = 3, 0, 5, 1


@settings(max_examples=25, deadline=None)
@given(memory_one_vectors, memory_one_vectors, st.floats(0.0, 0.5),
       st.integers(0, 2**32 - 1))
def test_simulated_payoffs_and_cooperation_are_unbiased(va, vb, noise, seed):
    # every entry (a vs b, b vs a, and each self-play) is a mean over independent repetitions
    # of a per-turn payoff in [0, 5] (cooperation in [0, 1]): by Hoeffding's inequality it lies
    # within 5 sqrt(ln(2/d) / 2n) (sqrt(ln(2/d) / 2n)) of its expectation but with probability
    # d = 1e-9, whatever the law (tiny noise, near-deterministic vectors): over 25 examples x 8
    # entries a correct engine fails with probability below 2e-7
    reps, delta = 10_000, 1e-9
    a = ep.memory_one(va[:4], va[4], name="a")
    b = ep.memory_one(vb[:4], vb[4], name="b")
    t = ep.tournament([a, b], turns=25, repetitions=reps, noise=noise, seed=seed)
    p, c = t.payoffs.to_numpy(), t.cooperation.to_numpy()
    assert ((p >= 0.0) & (p <= 5.0)).all() and ((c >= 0.0) & (c <= 1.0)).all()
    width = np.sqrt(np.log(2 / delta) / (2 * reps))
    players = {0: va, 1: vb}
    for i, j in [(0, 1), (1, 0), (0, 0), (1, 1)]:
        payoff, coop = expected_memory_one_match(players[i], players[j], 25, noise)
        assert abs(p[i, j] - payoff) <= 5 * width, (i, j, p[i, j], payoff)
        assert abs(c[i, j] - coop) <= width, (i, j, c[i, j], coop)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"turns": 0}, ValueError, "turns must be >= 1"),
        ({"turns": 2.5}, TypeError, "turns must be an integer >= 1"),
        ({"repetitions": 0}, ValueError, "repetitions must be >= 1"),
        ({"noise": 1.5}, ValueError, r"noise must be a probability in \[0, 1\]"),
        ({"noise": float("nan")}, ValueError, "noise must be a probability"),
        ({"prob_end": 0.0}, ValueError, r"prob_end must be a probability in \(0, 1\]"),
        ({"method": "fast"}, ValueError, "method must be one of"),
        ({"seed": -1}, ValueError, "seed must be a non-negative integer"),
        ({"seed": "x"}, TypeError, "seed must be None, a non-negative integer"),
        ({"turns": None}, ValueError, "limit of means.*method='exact'"),
        ({"game": "pd"}, TypeError, "game must be an evopolity Game"),
        ({"threads": 0}, ValueError, "threads must be >= 1"),
    ],
)
def test_bad_settings_are_refused_naming_the_parameter(kwargs, error, message):
    with pytest.raises(error, match=message):
        ep.tournament(["Tit For Tat", "Defector"], **kwargs)


def test_bad_strategy_lists_are_refused():
    with pytest.raises(ValueError, match="unknown strategy name 'Nobody'"):
        ep.tournament(["Tit For Tat", "Nobody"])
    with pytest.raises(ValueError, match="distinct names; repeated: \\['Tit For Tat'\\]"):
        ep.tournament(["Tit For Tat", "TitForTat"])
    with pytest.raises(TypeError, match=r"strategies\[1\] must be a Strategy"):
        ep.tournament(["Tit For Tat", 3])
    with pytest.raises(ValueError, match="strategies is empty"):
        ep.tournament([])


def test_axelrod_automata_are_converted_and_clash_with_their_library_twin(axl):
    t = ep.tournament([axl.TitForTat(), axl.Gradual()], turns=20, seed=3)
    assert isinstance(t.strategies[0], ep.Strategy)  # converted: played by our kernels
    assert not isinstance(t.strategies[1], ep.Strategy)  # not an automaton: axelrod's engine
    with pytest.raises(ValueError, match=r"repeated: \['Tit For Tat'\]"):
        ep.tournament(["Tit For Tat", axl.TitForTat()])


def test_axelrod_slow_path_against_a_direct_axelrod_match(axl):
    gradual = axl.Gradual()
    t = ep.tournament(["Tit For Tat", gradual, "Defector"], turns=60, seed=3)
    direct = axl.Match([axl.TitForTat(), axl.Gradual()], turns=60)
    direct.play()
    assert t.payoffs.loc["Tit For Tat", "Gradual"] == pytest.approx(
        direct.final_score_per_turn()[0])
    assert t.payoffs.loc["Gradual", "Tit For Tat"] == pytest.approx(
        direct.final_score_per_turn()[1])
    direct = axl.Match([axl.Gradual(), axl.Defector()], turns=60)
    direct.play()
    assert t.payoffs.loc["Gradual", "Defector"] == pytest.approx(direct.final_score_per_turn()[0])


def test_slow_path_cache_is_keyed_by_parameters_not_class_name(axl):
    # axelrod's own cache would return the first Adaptive TFT's moves for the second
    slow = axl.AdaptiveTitForTat(rate=0.5)
    fast = axl.AdaptiveTitForTat(rate=0.95)
    opponent = ep.library.get("Cycler CCD")
    t1 = ep.tournament([slow, opponent], turns=100, seed=1)
    t2 = ep.tournament([fast, opponent], turns=100, seed=1)
    for player, t in ((slow, t1), (fast, t2)):
        m = axl.Match([player.clone(), axl.CyclerCCD()], turns=100,
                      deterministic_cache=axl.DeterministicCache())
        m.play()
        assert t.payoffs.iat[0, 1] == pytest.approx(m.final_score_per_turn()[0])


def test_a_regime_is_recorded_in_the_settings_and_the_repr():
    regime = ep.Regime(name="judge", fine=1.0, detection=1.0, norm="unjustified")
    t = ep.tournament(["Tit For Tat", "Defector"], turns=3, method="exact", regime=regime)
    assert t.settings["regime"] is regime
    assert "regime='judge'" in repr(t)
    # the long frame keeps its columns; sanctions are a frame of their own
    assert list(t.to_frame().columns) == ["player", "opponent", "payoff", "payoff_std",
                                          "cooperation", "turns"]
    # Defector: fined for its first-round defection and for the second (TFT cooperated in
    # round 1), not for the third: 2 fines of 1 over 3 turns
    assert t.sanctions.loc[("Defector", "Tit For Tat"), "fines_paid"] == pytest.approx(2 / 3)
