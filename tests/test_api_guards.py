"""Guards at the public edges: sizes estimated before allocating, payoffs too large for the
arithmetic refused (or rescaled where the model allows it exactly), and bad inputs refused with
an error that names the parameter."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evopolity as ep
from evopolity.kernels import analytical as _ak
from evopolity.play.strategies import automaton
from evopolity.validate import MAX_OUTPUT_BYTES, boolean, check_size

PD = [[3.0, 0.0], [5.0, 1.0]]
PAIR = ["Tit For Tat", "Defector"]


def refused(error, call, *names):
    """``call()`` raises ``error`` whose message names every one of ``names``."""
    with pytest.raises(error) as info:
        call()
    for name in names:
        assert name in str(info.value), (name, str(info.value))
    return str(info.value)


# -- the shared size check ---------------------------------------------------------------------
def test_check_size_states_estimate_and_limit():
    msg = refused(ValueError, lambda: check_size(3_000, 1_000, "rows", "n"), "n", "3,000",
                  "1,000")
    assert "lower n" in msg
    msg = refused(ValueError, lambda: check_size(10, 100, "output", "n",
                                                  bytes_per_item=MAX_OUTPUT_BYTES), "n", "GiB")
    check_size(100, 100, "rows", "n", bytes_per_item=8)  # at the limit: accepted
    refused(ValueError, lambda: check_size(math.nan, 100, "rows", "n"), "n")


# -- sizes refused before they are allocated ---------------------------------------------------
@pytest.mark.parametrize(
    "call, names",
    [
        (lambda: ep.replicator(PD, n_points=10**9), ["n_points", "1,000,000,000", "100,000,000"]),
        (lambda: ep.discrete_replicator(PD, generations=10**9), ["generations",
                                                                   "1,000,000,001"]),
        (lambda: ep.evolve(PAIR, t_max=1e15), ["t_max * points_per_unit", "2e+15"]),
        (lambda: ep.evolve(PAIR, points_per_unit=1e12), ["t_max * points_per_unit"]),
        (lambda: ep.moran(PD, 4, [2, 2], 10**8, selection=0.1, record_every=1),
         ["generations / record_every", "100,000,002"]),
        (lambda: ep.pairwise_comparison(PD, 4, [2, 2], 10**8, record_every=1),
         ["record_every"]),
        (lambda: ep.agent_moran(PAIR, generations=10**8, record_every=1), ["record_every"]),
        (lambda: ep.gradient_of_selection(PD, N=10**9, rule="fermi"), ["N", "1,000,000,001"]),
        (lambda: ep.fixation_probability(PD, N=10**12, rule="fermi"), ["N"]),
        (lambda: ep.public_goods(10**9), ["group_size", "1,000,000,001"]),
        (lambda: ep.punishment_game(group_size=200), ["group_size", "70,058,751"]),
    ],
)
def test_sizes_are_refused_before_allocation(call, names):
    start = time.perf_counter()
    refused(ValueError, call, *names)
    assert time.perf_counter() - start < 5.0  # refused from the estimate, not after the work


def test_full_chain_is_sized_from_its_closed_form_before_enumeration():
    A = [[1.0 + i + j for j in range(8)] for i in range(8)]
    # k = 8, N = 38: 45,379,620 states of half-bandwidth C(44, 6) = 7,059,052; refused
    # without enumerating (the enumeration alone would take 3 GB)
    msg = refused(ValueError, lambda: ep.stationary_distribution(A, N=38, selection=0.01,
                                                                 mutation=0.01),
                  "N = 38", "45379620 states", "7059052", "GB")
    assert "mutation=None" in msg


@pytest.mark.parametrize("k, N", [(2, 7), (3, 5), (3, 12), (4, 6), (5, 4)])
def test_full_chain_bandwidth_closed_form_matches_the_enumeration(k, N):
    S = math.comb(N + k - 1, k - 1)
    comps = np.empty((S, k), np.int64)
    _ak.enumerate_compositions(N, k, comps)
    assert int(_ak.chain_bandwidth(comps, N)) == math.comb(N + k - 2, k - 2)


def test_full_chain_below_the_budget_still_solves():
    # k = 2 full chain against the birth-death closed form (detailed balance)
    A = np.array([[2.0, 1.0], [1.5, 1.0]])
    p = ep.stationary_distribution(A, N=6, rule="fermi", selection=0.5, mutation=0.1,
                                   states=True)
    assert p["probability"].sum() == pytest.approx(1.0)


def test_turns_and_repetitions_are_bounded():
    for turns in (2**53 + 1, 2**63, 2**70):
        refused(ValueError, lambda t=turns: ep.tournament(PAIR, turns=t), "turns", "2**53")
    refused(ValueError, lambda: ep.tournament(PAIR, turns=5, repetitions=2**60), "repetitions")
    refused(ValueError, lambda: ep.agent_moran(PAIR, turns=2**70), "turns")
    refused(ValueError, lambda: ep.evolve(PAIR, turns=2**63), "turns")
    refused(ValueError, lambda: ep.moran(PD, 4, [2, 2], 10**30, selection=0.1), "generations")


# -- large finite payoffs ----------------------------------------------------------------------
def test_replicator_refuses_payoffs_its_integrators_would_overflow():
    msg = refused(ValueError, lambda: ep.replicator([[0, 0], [0, 3.9e146]], x0=[0.5, 0.5]),
                  "payoffs", "3.9e+146", "t_max * c")
    assert "overflow" in msg
    regime = ep.Regime(fine=1e308, detection=1.0)
    refused(ValueError, lambda: ep.evolve(PAIR, regime, t_max=5.0), "fine", "overflow")
    # below the limit the dynamic runs: hawks and doves scaled by 1e90 settle at V / C as
    # the unscaled game does (it is the same dynamic, 1e90 times faster)
    tr = ep.replicator(np.array([[-0.5, 2.0], [0.0, 1.0]]) * 1e90, x0=[0.1, 0.9], t_max=1e-88)
    assert float(tr.final().iloc[0]) == pytest.approx(2 / 3, abs=1e-6)


def test_discrete_replicator_rescales_large_payoffs_exactly():
    small = ep.discrete_replicator([[1.0, 0.5], [0.25, 1.0]], x0=[0.6, 0.4], generations=20)
    big = ep.discrete_replicator(np.array([[1.0, 0.5], [0.25, 1.0]]) * 2.0**1020,
                                 x0=[0.6, 0.4], generations=20)
    assert np.isfinite(big.frequencies).all()
    np.testing.assert_array_equal(big.frequencies, small.frequencies)


@pytest.mark.parametrize("method", ["simulate", "exact"])
def test_tournament_with_huge_payoffs_is_the_scaled_tournament(method):
    players = ["Tit For Tat", "Defector", "Random: 0.5"]
    small = ep.tournament(players, game=ep.MatrixGame(1.0, -1.0, 0.5, 0.0), method=method,
                          noise=0.1, repetitions=3, seed=3, turns=50)
    e = 1020
    big = ep.tournament(players, game=ep.MatrixGame(2.0**e, -(2.0**e), 2.0**(e - 1), 0.0),
                        method=method, noise=0.1, repetitions=3, seed=3, turns=50)
    # per-turn payoffs are linear in the stage payoffs: a power of two scales them exactly
    np.testing.assert_array_equal(big.payoffs.to_numpy(), small.payoffs.to_numpy() * 2.0**e)
    np.testing.assert_array_equal(big.payoff_std.to_numpy(),
                                  small.payoff_std.to_numpy() * 2.0**e)
    huge = ep.tournament(players, game=ep.MatrixGame(1e308, -1e308, 0, 0), method=method,
                         seed=1, turns=50)
    assert np.isfinite(huge.payoffs.to_numpy()).all()


def test_finite_processes_refuse_overflowing_payoffs():
    refused(ValueError, lambda: ep.pairwise_comparison([[1e306, 0], [0, 0]], 40, [20, 20], 10),
            "payoffs", "overflow")
    refused(ValueError, lambda: ep.agent_moran(PAIR, game=ep.MatrixGame(1e306, 0, 0, 0)),
            "payoffs", "overflow")
    refused(ValueError, lambda: ep.stationary_distribution([[1e308, -1e308], [0, 0]], N=4,
                                                           rule="fermi", selection=1e-300),
            "payoffs", "overflow")


# -- shocks ------------------------------------------------------------------------------------
def test_two_shocks_at_one_time_act_in_the_order_given():
    shocks = [ep.Shock(5.0, "noise", 0.1), ep.Shock(5.0, "temptation", 4.0)]
    players = ["Tit For Tat", "Defector", "Cooperator", "Grudger"]
    tr = ep.evolve(players, shocks=shocks, t_max=10.0)
    assert [e.kind for e in tr.events] == ["noise", "temptation"]
    assert tr.events[1].detail == {"T_before": 5.0, "T_after": 4.0}
    assert list(tr.times).count(5.0) == 2  # before both, after both
    # after time 5 the run is a fresh run with both changes, from the state at time 5
    at = int(np.flatnonzero(tr.times == 5.0)[0])
    fresh = ep.evolve(players, game=ep.PrisonersDilemma(T=4.0), noise=0.1, t_max=5.0,
                      x0=tr.frequencies[at])
    np.testing.assert_allclose(tr.frequencies[at + 1:], fresh.frequencies, atol=1e-8)
    np.testing.assert_allclose(tr.times[at + 1:] - 5.0, fresh.times, atol=1e-12)


def test_shocks_none_means_no_shocks():
    a = ep.evolve(PAIR, shocks=None, t_max=10.0)
    b = ep.evolve(PAIR, t_max=10.0)
    np.testing.assert_array_equal(a.frequencies, b.frequencies)
    assert a.events == ()


def test_bad_shocks_name_the_parameter_before_running():
    refused(TypeError, lambda: ep.evolve(PAIR, shocks=[5], t_max=10.0), "shocks[0]")
    refused(TypeError, lambda: ep.evolve(PAIR, shocks=5, t_max=10.0), "shocks")
    refused(ValueError, lambda: ep.evolve(PAIR, shocks=[ep.Shock(5.0, "invasion", "Nobody")],
                                          t_max=10.0), "shocks[0]", "Nobody")
    refused(ValueError, lambda: ep.evolve(PAIR, shocks=[ep.Shock(5.0, "collapse")],
                                          t_max=10.0), "shocks[0]", "collapse")
    refused(TypeError, lambda: ep.compare_regimes(PAIR, shocks=[5], t_max=10.0), "shocks[0]")
    refused(TypeError, lambda: ep.compare_regimes(PAIR, regimes=3, t_max=10.0), "regimes")
    refused(ValueError, lambda: ep.Shock(1.0, "noise", 0.1, frequency=2.0), "Shock.frequency")


# -- clear errors ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "error, call, names",
    [
        (ValueError, lambda: ep.fsm([(1, "C", 9, "C"), (1, "D", 1, "D")], name="x"),
         ["transitions[0]", "9"]),
        (TypeError, lambda: ep.fsm(None, name="x"), ["transitions"]),
        (ValueError, lambda: ep.fsm([(1, "C", 1, "C"), (1, "D", 1, "D")], initial_state=2,
                                    name="x"), ["initial_state"]),
        (ValueError, lambda: ep.lookup({5: "C"}, name="x"), ["table key 5"]),
        (TypeError, lambda: ep.lookup([("", "C")], name="x"), ["table"]),
        (TypeError, lambda: ep.zd_extortion("3"), ["chi"]),
        (ValueError, lambda: ep.zd_extortion(float("inf")), ["chi"]),
        (ValueError, lambda: ep.zd_generous(float("nan")), ["chi"]),
        (ValueError, lambda: ep.zd_extortion(2.0, phi=-1.0), ["phi"]),
        (TypeError, lambda: ep.zero_determinant(0.1, 0.5, 1.0, game="pd"), ["game"]),
        (ValueError, lambda: ep.zero_determinant(0.1, 0.5, -1.0), ["baseline"]),
        (ValueError, lambda: ep.generous_tit_for_tat(2), ["q"]),
        (TypeError, lambda: ep.generous_tit_for_tat("x"), ["q"]),
        (ValueError, lambda: ep.memory_one((1, 0, 1, 0), name=""), ["name"]),
        (ValueError, lambda: ep.cycler("CD", name="  "), ["name"]),
        (ValueError, lambda: ep.memory_zero(0.5, name=""), ["name"]),
        (TypeError, lambda: ep.memory_one((1, 0, 1, 0), source=5), ["source"]),
        (TypeError, lambda: ep.library.collection(["basic"]), ["collection_name"]),
        (TypeError, lambda: ep.Regime(description=5), ["Regime.description"]),
        (TypeError, lambda: ep.moran(PD, 4, [2, 2], 10, selection=0.1,
                                     stop_on_fixation="no"), ["stop_on_fixation"]),
        (TypeError, lambda: ep.pairwise_comparison(PD, 4, [2, 2], 10, stop_on_fixation="no"),
         ["stop_on_fixation"]),
        (TypeError, lambda: ep.agent_moran(PAIR, stop_on_fixation="no"), ["stop_on_fixation"]),
        (TypeError, lambda: ep.punishment_game(second_order="no"), ["second_order"]),
        (TypeError, lambda: ep.punishment_game(strategies=None), ["strategies"]),
        (TypeError, lambda: ep.punishment_game(strategies="x"), ["strategies"]),
        (ValueError, lambda: ep.punishment_game(strategies=["x"]), ["strategies"]),
        (TypeError, lambda: ep.replicator(PD, stop_at_rest="no"), ["stop_at_rest"]),
        (ValueError, lambda: ep.replicator(PD, integrator=["rk4"]), ["integrator"]),
        (ValueError, lambda: ep.replicator(PD, dt=math.nan), ["dt"]),
    ],
)
def test_bad_inputs_name_the_parameter(error, call, names):
    refused(error, call, *names)


@pytest.mark.parametrize(
    "call, names",
    [
        (lambda: ep.fixation_probability(PD, N=4, selection=0.1, log="no"), ["log"]),
        (lambda: ep.fixation_matrix(PD, N=4, selection=0.1, log=1), ["log"]),
        (lambda: ep.stationary_distribution(PD, N=4, selection=0.1, states="yes"), ["states"]),
        (lambda: ep.evolve(PAIR, seed="x", t_max=5.0), ["seed"]),
        (lambda: ep.evolve(PAIR, repetitions=True, t_max=5.0), ["repetitions"]),
        (lambda: ep.evolve(PAIR, repetitions=[1], t_max=5.0), ["repetitions"]),
        (lambda: ep.replicator(PD, max_steps=10**30), ["max_steps"]),
    ],
)
def test_silently_accepted_or_raw_errors_now_name_the_parameter(call, names):
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    for name in names:
        assert name in str(info.value)


def test_unknown_collection_names_the_parameter():
    refused(ValueError, lambda: ep.tournament("nonsense"), "strategies", "nonsense")
    refused(ValueError, lambda: ep.evolve(PAIR, invaders="nonsense", t_max=5.0), "invaders")


def test_boolean_accepts_only_bools():
    assert boolean(np.bool_(True), "flag") is True
    for bad in ("no", 0, 1, None, 1.0):
        refused(TypeError, lambda b=bad: boolean(b, "flag"), "flag")


# -- minimisation: n log n, and the same partition as Moore's refinement -----------------------
def test_long_cycler_minimises_to_its_period():
    assert ep.cycler("C" * 4000 + "D").n_states == 4001
    assert ep.cycler("CD" * 2000).n_states == 2
    assert ep.cycler("CCD" * 1333 + "CC").n_states == 4001
    assert ep.cycler("C" * 4001).n_states == 1


def _moore_reference(p: np.ndarray, nxt: np.ndarray) -> list[int]:
    """The former quadratic refinement: split classes by successor classes to a fixpoint."""
    _, block = np.unique(p, return_inverse=True)
    while True:
        signature = [(block[s], *block[nxt[s].ravel()]) for s in range(p.size)]
        relabel: dict[tuple, int] = {}
        new_block = np.array([relabel.setdefault(sig, len(relabel)) for sig in signature])
        if len(relabel) == len(set(block.tolist())):
            break
        block = new_block
    return block.tolist()


def _canonical(labels) -> list[int]:
    seen: dict[int, int] = {}
    return [seen.setdefault(int(b), len(seen)) for b in labels]


@st.composite
def automata(draw):
    n = draw(st.integers(1, 12))
    p = np.array(draw(st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=n, max_size=n)))
    nxt = np.array(draw(st.lists(st.integers(0, n - 1), min_size=4 * n, max_size=4 * n)),
                   dtype=np.int64).reshape(n, 2, 2)
    return p, nxt


@settings(max_examples=300, deadline=None)
@given(automata())
def test_hopcroft_partition_equals_moore_refinement(machine):
    p, nxt = machine
    ours = automaton._coarsest_partition(p, nxt.reshape(p.size, 4))
    assert _canonical(ours) == _canonical(_moore_reference(p, nxt))


@settings(max_examples=100, deadline=None)
@given(automata())
def test_minimised_strategy_plays_like_the_original(machine):
    p, nxt = machine
    p = np.where(p == 0.5, 0.0, p)  # deterministic, to compare moves
    s = ep.Strategy(p, nxt, 0, name="x")
    rng = np.random.default_rng(0)
    for _ in range(3):
        theirs = rng.integers(0, 2, 30)
        state, mine = 0, []
        for t in theirs:  # play the unminimised automaton by hand
            move = 0 if p[state] == 1.0 else 1
            mine.append("CD"[move])
            state = int(nxt[state, move, t])
        assert s.moves("".join("CD"[t] for t in theirs)) == "".join(mine)
