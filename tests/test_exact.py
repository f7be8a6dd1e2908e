"""Exact payoffs (Markov chain of two automata) against closed forms and simulation."""

import numpy as np
import pytest

import evopolity as ep

R, S, T, P = 3.0, 0.0, 5.0, 1.0


def exact(a, b, **kw):
    t = ep.tournament([a, b], method="exact", **kw)
    return t.payoffs.loc[a.name, b.name], t.payoffs.loc[b.name, a.name], t


@pytest.mark.parametrize("noise", [1e-6, 0.01, 0.1, 0.3, 0.5, 0.9])
def test_tft_vs_wsls_limit_of_means_is_2_25_for_any_noise(noise):
    # The chain over (TFT state, WSLS state) has stationary distribution uniform over the
    # four outcomes for any 0 < e < 1, so each gets (R + S + T + P) / 4 = 2.25.
    tft, wsls = ep.library.get("Tit For Tat"), ep.library.get("Win-Stay Lose-Shift")
    a, b, _ = exact(tft, wsls, turns=None, noise=noise)
    assert a == pytest.approx(2.25, abs=1e-12)
    assert b == pytest.approx(2.25, abs=1e-12)


@pytest.mark.parametrize("e", [0.0, 0.02, 0.25])
def test_cooperator_vs_defector_with_noise_closed_form(e):
    # ALLC cooperates with probability 1 - e, ALLD with e, independently every round.
    allc, alld = ep.library.get("Cooperator"), ep.library.get("Defector")
    a, b, t = exact(allc, alld, turns=None, noise=e)
    qc, qd = 1 - e, e
    expect_c = qc * qd * R + qc * (1 - qd) * S + (1 - qc) * qd * T + (1 - qc) * (1 - qd) * P
    expect_d = qd * qc * R + qd * (1 - qc) * S + (1 - qd) * qc * T + (1 - qd) * (1 - qc) * P
    assert a == pytest.approx(expect_c, abs=1e-12)
    assert b == pytest.approx(expect_d, abs=1e-12)
    assert t.cooperation.loc["Cooperator", "Defector"] == pytest.approx(qc, abs=1e-12)


@pytest.mark.parametrize("turns", [1, 2, 10, 200])
def test_tft_vs_alld_finite_turns(turns):
    # TFT is exploited once (S) and then both defect (P): ((T - 1) P + S) / T per turn.
    tft, alld = ep.library.get("Tit For Tat"), ep.library.get("Defector")
    a, b, _ = exact(tft, alld, turns=turns)
    assert a == pytest.approx(((turns - 1) * P + S) / turns, abs=1e-12)
    assert b == pytest.approx(((turns - 1) * P + T) / turns, abs=1e-12)


@pytest.mark.parametrize("p", [0.5, 0.1, 0.01, 0.001])
def test_tft_vs_alld_geometric_length(p):
    # E[total] = S + sum_{t>=1} (1-p)^t P = (1-p)/p; E[L] = 1/p; per turn: (1 - p) P + p S.
    tft, alld = ep.library.get("Tit For Tat"), ep.library.get("Defector")
    a, b, t = exact(tft, alld, turns=None, prob_end=p)
    assert a == pytest.approx((1 - p) * P + p * S, rel=1e-10)
    assert b == pytest.approx((1 - p) * P + p * T, rel=1e-10)
    assert t.turns_played.iat[0, 1] == pytest.approx(1 / p)


def test_geometric_length_capped_by_turns():
    # length min(L, 3): rounds 0, 1, 2 reached with prob 1, d, d^2 (d = 1 - p)
    p, d = 0.2, 0.8
    tft, alld = ep.library.get("Tit For Tat"), ep.library.get("Defector")
    a, _, _ = exact(tft, alld, turns=3, prob_end=p)
    assert a == pytest.approx((S + d * P + d * d * P) / (1 + d + d * d), abs=1e-12)


def test_limit_of_means_with_two_closed_classes():
    # X copies the opponent's first move forever; against Random(0.3) without noise the
    # chain ends in "X always C" (prob 0.3) or "X always D" (0.7): two closed classes.
    x = ep.lookup({("", "", "C"): "C", ("", "", "D"): "D"}, "C", name="First-move copier")
    rnd = ep.memory_zero(0.3)
    a, b, t = exact(x, rnd, turns=None)
    expect_x = 0.3 * (0.3 * R + 0.7 * S) + 0.7 * (0.3 * T + 0.7 * P)
    expect_r = 0.3 * (0.3 * R + 0.7 * T) + 0.7 * (0.3 * S + 0.7 * P)
    assert a == pytest.approx(expect_x, abs=1e-12)
    assert b == pytest.approx(expect_r, abs=1e-12)
    # X's first move is always C, but it has no weight in the limit
    assert t.cooperation.loc[x.name, rnd.name] == pytest.approx(0.3, abs=1e-12)


def test_limit_of_means_of_a_periodic_pair():
    # Cycler CCD vs Alternator: period 6 without noise; average the six rounds by hand.
    ccd, alt = ep.library.get("Cycler CCD"), ep.library.get("Alternator")
    a, _, _ = exact(ccd, alt, turns=None)
    moves_a, moves_b = "CCDCCD", "CDCDCD"
    pay = {("C", "C"): R, ("C", "D"): S, ("D", "C"): T, ("D", "D"): P}
    assert a == pytest.approx(np.mean([pay[x, y] for x, y in zip(moves_a, moves_b, strict=True)]))


def test_simulation_converges_to_exact_within_clt_bound():
    """20 memory-one strategies with noise: simulated means within 5 standard errors."""
    rng = np.random.default_rng(3)
    strategies = [ep.memory_one(rng.random(4), rng.random(), name=f"m{k}") for k in range(20)]
    reps = 400
    sim = ep.tournament(strategies, turns=60, repetitions=reps, noise=0.05, seed=4)
    ex = ep.tournament(strategies, turns=60, noise=0.05, method="exact")
    se = sim.payoff_std.to_numpy() / np.sqrt(reps)
    diff = np.abs(sim.payoffs.to_numpy() - ex.payoffs.to_numpy())
    # self-play averages the two copies: its spread is at most their mean std, the bound used
    assert (diff < 5 * se + 1e-9).all()
    assert np.abs(sim.cooperation.to_numpy() - ex.cooperation.to_numpy()).max() < 0.02


def test_simulated_geometric_lengths_agree_with_exact():
    tft, alld = ep.library.get("Tit For Tat"), ep.library.get("Defector")
    sim = ep.tournament([tft, alld], turns=None, prob_end=0.1, repetitions=20_000, seed=2)
    # mean length 1/p = 10: per-turn payoff of TFT (1 - p) P + p S = 0.9
    assert sim.payoffs.iat[0, 1] == pytest.approx(0.9, abs=0.01)
    assert sim.turns_played.iat[0, 1] / 20_000 == pytest.approx(10.0, rel=0.03)


def test_exact_refuses_axelrod_players_that_are_not_automata(axl):
    with pytest.raises(ValueError, match="method='exact' needs automata.*Gradual"):
        ep.tournament(["Tit For Tat", axl.Gradual()], method="exact")


def test_geometric_length_on_a_large_chain_agrees_with_simulation():
    # FSM pairs with noise have hundreds of product states: the series path of the solver
    a, b = ep.library.get("Evolved FSM 16"), ep.library.get("TF1")
    ex = ep.tournament([a, b], turns=None, prob_end=0.5, noise=0.05, method="exact")
    reps = 40_000
    sim = ep.tournament([a, b], turns=None, prob_end=0.5, noise=0.05, repetitions=reps, seed=8)
    # pooled per-turn payoff: ratio estimator; 6 per-repetition standard errors is generous
    se = sim.payoff_std.iat[0, 1] / np.sqrt(reps)
    assert abs(sim.payoffs.iat[0, 1] - ex.payoffs.iat[0, 1]) < 6 * se


def test_exact_cooperation_rates_are_probabilities_even_after_rounding():
    # a sum of products of probabilities can land an ulp above 1 (Cooperator vs ZD-Extort-2
    # over 50 turns did); the kernel must still return probabilities
    names = ep.library.names()[:16] + ["ZD-Extort-2: 0.1111111111111111, 0.5"]
    t = ep.tournament(names, turns=50, method="exact")
    c = t.cooperation.to_numpy()
    assert ((c >= 0.0) & (c <= 1.0)).all()
    assert t.cooperation.loc["Cooperator", "ZD-Extort-2: 0.1111111111111111, 0.5"] == 1.0


# ------------------------------------------------ the fast paths against the general solvers


def _solve(strategies, turns, prob_end, noise, sanctioned, fast, threads=None):
    """Every pair (i <= j) through ``kernels.markov.solve_pairs``, with or without the
    memory-one path, or through ``exact_pairs`` on ``threads`` threads."""
    from evopolity.kernels import _jit, codes, markov, sanctions
    from evopolity.play.strategies.automaton import PackedStrategies

    packed = PackedStrategies(strategies)
    pair_i, pair_j = (a.astype(np.int64) for a in np.triu_indices(len(strategies)))
    if sanctioned:
        fines, rewards = sanctions.sanction_tables(codes.NORM_UNJUSTIFIED, False, 0.7, 0.2)
        own, other = sanctions.destination_shares(codes.FINE_TO_VICTIM)
        inst = (fines, rewards, 0.8, own, other)
    else:
        inst = (np.zeros((0, 2)), np.zeros((0, 2)), 0.0, 0.0, 0.0)
    out = np.zeros((pair_i.size, codes.N_MATCH_OUT))
    args = (packed.p_coop, packed.next_state, packed.offsets, packed.sizes, pair_i, pair_j,
            ep.PrisonersDilemma().matrix, turns, prob_end, noise, *inst, out)
    if threads is not None:  # the parallel kernel a tournament calls
        with _jit.numba_threads(threads):
            markov.exact_pairs(*args)
    else:  # all pairs in one chunk, with or without the memory-one path
        setup = markov.pair_setup(packed.p_coop, packed.next_state, packed.offsets,
                                  packed.sizes, pair_i, pair_j, noise, fast)
        markov.solve_pairs(*args, *setup, 0, pair_i.size)
    return out[:, : codes.N_SANCTIONED_EXACT_OUT]


@pytest.mark.parametrize("sanctioned", [False, True])
def test_memory_one_fast_path_gives_the_general_solvers_numbers(sanctioned):
    # random memory-one strategies (some minimised: TFT, WSLS, ALLD have fewer states), noise
    # in (0, 0.5) and every length: limit of means, geometric (tiny, middling, 0.5), fixed,
    # capped. The fast path lumps the product chain by the last outcome and solves 4 or 5
    # states by hand; the general one searches the reachable states and solves sparsely.
    rng = np.random.default_rng(21)
    strategies = [ep.memory_one(rng.random(4), rng.random(), name=f"m{k}") for k in range(7)]
    # Tit For 2 Tats is no memory-one: its pairs fall between closed-form ones in a chunk
    strategies += [ep.library.get(n) for n in ("Tit For Tat", "Win-Stay Lose-Shift",
                                                "Defector", "Tit For 2 Tats")]  # fmt: skip
    for noise in (1e-7, 0.013, 0.31, 0.4999):
        for turns, prob_end in ((-1, 0.0), (-1, 1e-12), (-1, 1e-3), (-1, 0.5), (17, 0.0),
                                (17, 0.2)):  # fmt: skip
            fast = _solve(strategies, turns, prob_end, noise, sanctioned, True)
            general = _solve(strategies, turns, prob_end, noise, sanctioned, False)
            np.testing.assert_allclose(fast, general, rtol=1e-11, atol=1e-13,
                                       err_msg=f"noise {noise}, turns {turns}, p {prob_end}")


def _stationary_reference(a, b, noise):
    """The limit of means of a pair by numpy, independently of the kernels: the full product
    chain over all (s_a, s_b), its stationary distribution from a dense least-squares solve
    of pi (P - I) = 0, sum pi = 1 (one closed class: noise > 0 and ``a``, ``b`` strongly
    connected under every input)."""
    na, nb = a.n_states, b.n_states
    qa = a.p_coop * (1 - 2 * noise) + noise
    qb = b.p_coop * (1 - 2 * noise) + noise
    M = np.zeros((na * nb, na * nb))
    reward = np.zeros(na * nb)
    pay = np.array([[R, S], [T, P]])
    for sa in range(na):
        for sb in range(nb):
            for x in range(2):
                for y in range(2):
                    p = (qa[sa] if x == 0 else 1 - qa[sa]) * (qb[sb] if y == 0 else 1 - qb[sb])
                    t = a.next_state[sa, x, y] * nb + b.next_state[sb, y, x]
                    M[sa * nb + sb, t] += p
                    reward[sa * nb + sb] += p * pay[x, y]
    n = na * nb
    A = np.vstack([(M - np.eye(n)).T, np.ones(n)])
    rhs = np.zeros(n + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(A, rhs, rcond=None)[0]
    return pi @ reward



def _strongly_connected_fsm(m, rng, name):
    """A random deterministic machine of ``m`` states whose transitions on every input form a
    cycle through all states (so the product chain with noise has one closed class)."""
    nxt = rng.integers(0, m, (m, 2, 2))
    nxt[:, 0, 0] = (np.arange(m) + 1) % m  # a cycle on mutual cooperation
    moves = rng.integers(0, 2, m).astype(float)
    return ep.Strategy(moves, nxt, 0, name=name)


def test_sparse_solver_agrees_with_numpy_on_random_fsm_pairs():
    rng = np.random.default_rng(8)
    machines = [_strongly_connected_fsm(m, rng, f"f{m}{k}") for m in (3, 5, 7) for k in range(2)]
    for noise in (0.02, 0.3):
        got = _solve(machines, -1, 0.0, noise, False, True)
        pair_i, pair_j = np.triu_indices(len(machines))
        for q, (i, j) in enumerate(zip(pair_i, pair_j, strict=True)):
            expect = _stationary_reference(machines[i], machines[j], noise)
            assert got[q, 0] == pytest.approx(expect, rel=1e-9), (i, j, noise)


def test_exact_pairs_are_the_same_serial_and_for_any_thread_count():
    # exact_pairs splits the pairs into chunks solved on threads; exact_pairs_auto solves
    # small work in one serial call of solve_pairs: every pair the same, bit for bit
    rng = np.random.default_rng(4)
    strategies = [ep.memory_one(rng.random(4), name=f"m{k}") for k in range(6)]
    strategies += [ep.library.get(n) for n in ("Evolved FSM 16", "Predator", "Cycler CCD")]
    strategies += [_strongly_connected_fsm(6, rng, "f6")]
    for sanctioned in (False, True):
        for turns, prob_end in ((-1, 0.0), (-1, 0.01), (25, 0.0)):
            serial = _solve(strategies, turns, prob_end, 0.05, sanctioned, True)
            one = _solve(strategies, turns, prob_end, 0.05, sanctioned, True, threads=1)
            two = _solve(strategies, turns, prob_end, 0.05, sanctioned, True, threads=2)
            assert np.array_equal(one, two)
            assert np.array_equal(one, serial)


def test_exact_tournaments_go_parallel_only_above_the_work_threshold(monkeypatch):
    from evopolity.kernels import markov

    # a spy on the parallel kernel (the jitted solve_pairs it calls stays the module's own)
    calls = []
    kernel = markov.exact_pairs
    monkeypatch.setattr(markov, "exact_pairs", lambda *a: calls.append(len(a)) or kernel(*a))
    names = ["Tit For Tat", "Evolved FSM 16", "Defector"]
    small = ep.tournament(names, turns=None, noise=0.05, method="exact")
    assert calls == []
    monkeypatch.setattr(markov, "PARALLEL_NS", 0.0)
    large = ep.tournament(names, turns=None, noise=0.05, method="exact")
    assert calls == [16]
    assert small.payoffs.equals(large.payoffs)
