"""Replicator dynamics against results from theory.

Sources: Maynard Smith (1982) *Evolution and the Theory of Games* (Hawk-Dove ESS at V/C);
Hofbauer & Sigmund (1998) *Evolutionary Games and Population Dynamics*, 7.7 (rock-paper-
scissors: x1 x2 x3 is a constant of motion for the zero-sum game, increases to the barycentre
when win > loss and decreases towards the heteroclinic cycle when win < loss); Nowak (2006)
*Evolutionary Dynamics*, ch. 3 (mutation-selection balance of the replicator-mutator).
"""

import json
import os
import subprocess
import sys

import numba
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evopolity.dynamics.replicator import discrete_replicator, replicator
from evopolity.kernels.codes import FITNESS_WEIGHTED, INDEPENDENT, LINEAR, NO_MUTATION
from evopolity.kernels.velocity import rhs
from evopolity.validate import as_payoff_matrix


def hawk_dove(V, C):
    return np.array([[(V - C) / 2, V], [0.0, V / 2]])


@pytest.mark.parametrize("integrator", ["dopri5", "rk4"])
@pytest.mark.parametrize("V, C", [(2.0, 3.0), (1.0, 4.0)])
@pytest.mark.parametrize("x_hawk", [0.02, 0.98])
def test_hawk_dove_converges_to_v_over_c_from_both_sides(V, C, x_hawk, integrator):
    # Maynard Smith (1982): for C > V the mixed ESS has hawks at frequency V / C.
    tr = replicator(hawk_dove(V, C), x0=[x_hawk, 1 - x_hawk], t_max=400, integrator=integrator)
    assert tr.final()["0"] == pytest.approx(V / C, abs=1e-6)
    hawks = tr.frequencies[:, 0]
    # monotone approach from the side it started on
    assert np.all(np.diff(hawks) * np.sign(V / C - x_hawk) >= -1e-7)


def rps(win, loss):
    return np.array([[0.0, -loss, win], [win, 0.0, -loss], [-loss, win, 0.0]])


def test_zero_sum_rps_conserves_the_product_of_frequencies():
    # Hofbauer & Sigmund (1998) 7.7: d/dt log(x1 x2 x3) = (win - loss)(1 - 3 x.x)/... = 0.
    tr = replicator(rps(1.0, 1.0), x0=[0.5, 0.3, 0.2], t_max=1000, n_points=10001)
    p = tr.frequencies.prod(axis=1)
    assert np.max(np.abs(p - 0.03)) < 1e-6
    # and it keeps cycling: the first strategy goes up and down many times
    assert tr.frequencies[:, 0].max() > 0.5 and tr.frequencies[:, 0].min() < 0.2


def test_rps_with_win_above_loss_spirals_in_to_the_barycentre():
    tr = replicator(rps(2.0, 1.0), x0=[0.8, 0.1, 0.1], t_max=300)
    p = tr.frequencies.prod(axis=1)
    assert np.all(np.diff(p) >= -1e-12)  # x1 x2 x3 is a Lyapunov function
    np.testing.assert_allclose(tr.final().to_numpy(), [1 / 3] * 3, atol=1e-6)


def test_rps_with_win_below_loss_spirals_out():
    tr = replicator(rps(1.0, 2.0), x0=[0.4, 0.3, 0.3], t_max=100)
    p = tr.frequencies.prod(axis=1)
    assert np.all(np.diff(p) <= 1e-12)
    assert p[-1] < p[0] / 100
    assert tr.frequencies.min() >= 0.0


@pytest.mark.parametrize("mu", [0.01, 0.1, 0.3])
def test_replicator_mutator_rest_point_is_the_mutation_selection_balance(mu):
    # Constant fitness f = (1 + s, 1), uniform mutation mu: x' = (1+s)(1-mu)x + mu(1-x) - x phi,
    # phi = 1 + s x, whose rest point in [0, 1] solves s x^2 - (s(1 - mu) - 2 mu) x - mu = 0
    # (Nowak 2006, ch. 3, mutation-selection balance).
    s = 0.5
    A = np.array([[1 + s, 1 + s], [1.0, 1.0]])
    b = s * (1 - mu) - 2 * mu
    expected = (b + np.sqrt(b * b + 4 * s * mu)) / (2 * s)
    tr = replicator(A, x0=[0.01, 0.99], t_max=500, mutation=mu, mutation_model="fitness_weighted")
    assert tr.final()["0"] == pytest.approx(expected, abs=1e-7)
    # the same with the mutation matrix written out
    Q = np.array([[1 - mu, mu], [mu, 1 - mu]])
    tr = replicator(A, x0=[0.99, 0.01], t_max=500, mutation=Q, mutation_model="fitness_weighted")
    assert tr.final()["0"] == pytest.approx(expected, abs=1e-7)


@pytest.mark.parametrize("mu", [0.01, 0.1, 0.3])
def test_independent_mutation_rest_point_is_its_mutation_selection_balance(mu):
    # Constant fitness f = (1 + s, 1), mutation independent of fitness (the default): with
    # phi = 1 + s x, x' = x (1 + s - phi) + mu (1 - x) - mu x = s x (1 - x) + mu (1 - 2x),
    # whose rest point in [0, 1] solves s x^2 - (s - 2 mu) x - mu = 0 (Crow & Kimura 1970).
    # Adding 10 to every payoff changes nothing; under the fitness-weighted model it would.
    s = 0.5
    A = np.array([[1 + s, 1 + s], [1.0, 1.0]])
    b = s - 2 * mu
    expected = (b + np.sqrt(b * b + 4 * s * mu)) / (2 * s)
    for shift in (0.0, 10.0, -10.0):
        tr = replicator(A + shift, x0=[0.01, 0.99], t_max=500, mutation=mu)
        assert tr.params["mutation_model"] == "independent"
        assert tr.final()["0"] == pytest.approx(expected, abs=1e-7)
    shifted = replicator(A + 10.0, x0=[0.01, 0.99], t_max=500, mutation=mu,
                         mutation_model="fitness_weighted")
    assert abs(shifted.final()["0"] - expected) > 1e-4


def test_neutral_mutation_drives_to_uniform():
    # With equal fitness and uniform mutation, x_i' = mu (1/(k-1)) (1 - k x_i)...: rest at 1/k.
    tr = replicator(np.ones((4, 4)), x0=[0.7, 0.1, 0.1, 0.1], t_max=2000, mutation=0.05)
    np.testing.assert_allclose(tr.final().to_numpy(), 0.25, atol=1e-7)


def test_dense_output_times_and_names_from_a_dataframe():
    names = ["Hawk", "Dove"]
    df = pd.DataFrame(hawk_dove(2, 3), index=names, columns=names)
    times = [0.0, 0.5, 2.0, 7.25]
    tr = replicator(df.loc[:, ["Dove", "Hawk"]], x0={"Hawk": 0.1, "Dove": 0.9}, times=times)
    assert tr.strategies == ("Hawk", "Dove")
    np.testing.assert_array_equal(tr.times, times)
    # dense output agrees with the RK4 solution at the same times
    rk = replicator(df, x0=[0.1, 0.9], times=times, integrator="rk4", dt=1e-3)
    np.testing.assert_allclose(tr.frequencies, rk.frequencies, atol=1e-7)


def test_object_with_payoffs_attribute_is_accepted():
    class Result:
        payoffs = pd.DataFrame([[3.0, 0.0], [5.0, 1.0]], index=["C", "D"], columns=["C", "D"])

    A, names = as_payoff_matrix(Result())
    assert names == ("C", "D") and A[1, 0] == 5.0


@pytest.mark.parametrize(
    "payoffs, match",
    [
        (np.ones((2, 3)), "square"),
        (np.array([[1.0, np.nan], [0, 1]]), "finite"),
        (pd.DataFrame(np.eye(2), index=["a", "b"], columns=["a", "c"]), "same strategy names"),
    ],
)
def test_invalid_payoffs_are_refused_naming_the_parameter(payoffs, match):
    with pytest.raises(ValueError, match=match) as info:
        replicator(payoffs)
    assert "payoffs" in str(info.value)


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"x0": [0.5, 0.6]}, "x0 must sum to 1"),
        ({"x0": [1.2, -0.2]}, "x0 must hold non-negative"),
        ({"mutation": 1.5}, r"mutation rate must be a probability in \[0, 1\]"),
        ({"t_max": -1.0}, "t_max"),
        ({"times": [0.0, 2.0, 1.0]}, "strictly increasing"),
        # hawk-dove has (V - C) / 2 < 0: the replicator-mutator's inflow would turn negative
        ({"mutation": 0.1, "mutation_model": "fitness_weighted"},
         "payoffs must not be negative with mutation_model='fitness_weighted'"),
        ({"mutation": 0.1, "mutation_model": "at birth"}, "mutation_model must be one of"),
    ],
)
def test_invalid_arguments_are_refused(kw, match):
    with pytest.raises(ValueError, match=match):
        replicator(hawk_dove(2, 3), **kw)


def test_discrete_replicator_refuses_negative_payoffs_or_shifts_them():
    # Axelrod's prisoner's dilemma has S = 0: allowed (fitnesses stay >= 0)
    pd_game = [[3.0, 0.0], [5.0, 1.0]]
    tr = discrete_replicator(pd_game, [0.5, 0.5], 50)
    assert tr.params["shift"] == 0.0 and tr.final()["1"] > 0.99  # defection takes over
    # one step by hand: f = A x = (1.5, 3), mean 2.25: x' = (0.5 * 1.5, 0.5 * 3) / 2.25
    one = discrete_replicator(pd_game, [0.5, 0.5], 1).frequencies[1]
    np.testing.assert_allclose(one, [0.75 / 2.25, 1.5 / 2.25], atol=1e-15)
    donation = [[1.0, -1.0], [2.0, 0.0]]  # a negative sucker's payoff: refused
    with pytest.raises(ValueError, match="must not be negative"):
        discrete_replicator(donation, [0.5, 0.5], 10)
    shifted = discrete_replicator(donation, [0.5, 0.5], 10, negative="shift")
    assert shifted.params["shift"] == 1.0
    plus_one = [[2.0, 0.0], [3.0, 1.0]]  # the donation game with 1 added to every entry
    np.testing.assert_allclose(shifted.frequencies,
                               discrete_replicator(plus_one, [0.5, 0.5], 10).frequencies)
    with pytest.raises(ValueError, match="negative must be 'raise' or 'shift'"):
        discrete_replicator(pd_game, [0.5, 0.5], 10, negative="clip")


def test_discrete_replicator_stops_when_mean_fitness_reaches_zero():
    # two strategies that earn nothing against each other and themselves
    tr = discrete_replicator([[0.0, 0.0], [0.0, 0.0]], [0.5, 0.5], 5)
    assert tr.info["generations"] == 0 and np.isnan(tr.frequencies[1:]).all()


def test_discrete_replicator_one_step_is_the_ecological_map():
    # Axelrod (1984) ch. 2: x_i' = x_i f_i / sum_j x_j f_j with f = A x.
    A = np.array([[3.0, 1.0, 2.0], [4.0, 1.5, 1.0], [2.0, 2.0, 2.0]])
    x = np.array([0.2, 0.5, 0.3])
    f = A @ x
    tr = discrete_replicator(A, x, 1)
    np.testing.assert_allclose(tr.frequencies[1], x * f / (x @ f), rtol=1e-14)
    assert tr.times.tolist() == [0.0, 1.0]


games = st.integers(2, 5).flatmap(
    lambda k: st.tuples(
        arrays(np.float64, (k, k), elements=st.floats(-10, 10)),
        arrays(np.float64, (k,), elements=st.floats(0.0, 1.0)),
        st.permutations(range(k)),
    )
)


@settings(max_examples=40, deadline=None)
@given(games)
def test_random_games_never_leave_the_simplex(case):
    A, w, _ = case
    x0 = (w + 1e-3) / (w + 1e-3).sum()
    tr = replicator(A, x0=x0, t_max=50, n_points=101)
    x = tr.frequencies[np.isfinite(tr.frequencies[:, 0])]
    assert x.min() >= 0.0
    np.testing.assert_allclose(x.sum(axis=1), 1.0, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(games)
def test_relabelling_strategies_permutes_the_trajectory(case):
    A, w, perm = case
    perm = np.array(perm)
    x0 = (w + 1e-3) / (w + 1e-3).sum()
    a = replicator(A, x0=x0, t_max=5, n_points=11, rtol=1e-10, atol=1e-12)
    b = replicator(A[np.ix_(perm, perm)], x0=x0[perm], t_max=5, n_points=11, rtol=1e-10,
                   atol=1e-12)
    np.testing.assert_allclose(b.frequencies, a.frequencies[:, perm], atol=1e-7)


def test_rows_do_not_depend_on_how_many_are_asked_for_or_on_threads():
    # Rows between steps come from the steps' polynomials, and the steps do not depend on the
    # output times (only on the end time): a large output and a small one agree bit for bit
    # at the times they share, and so do runs on one thread and on all of them.
    import numba

    rng = np.random.default_rng(3)
    A = rng.uniform(-1, 1, (8, 8))
    x0 = rng.dirichlet(np.ones(8))
    many = np.linspace(0.0, 300.0, 10001)
    few = many[::1000]
    for integrator in ("auto", "dopri5", "rodas4"):
        big = replicator(A, x0, times=many, integrator=integrator, stop_at_rest=False)
        small = replicator(A, x0, times=few, integrator=integrator, stop_at_rest=False)
        assert big.info["steps"] == small.info["steps"]
        np.testing.assert_array_equal(big.frequencies[::1000], small.frequencies)
        threads = numba.get_num_threads()
        try:
            numba.set_num_threads(1)
            one = replicator(A, x0, times=many, integrator=integrator, stop_at_rest=False)
        finally:
            numba.set_num_threads(threads)
        np.testing.assert_array_equal(big.frequencies, one.frequencies)


def test_frequencies_below_extinct_are_flushed_to_zero():
    # A = [[1, 1], [0, 0]] from (1/2, 1/2) is the logistic equation: the second frequency is
    # e^-t / (1 + e^-t), which passes EXTINCT at t ~ 691 and, unflushed, would decay through
    # the subnormal numbers (~60x slower arithmetic) to zero at t ~ 745.
    from evopolity.kernels.velocity import EXTINCT

    A = np.array([[1.0, 1.0], [0.0, 0.0]])
    t = np.arange(0.0, 801.0, 5.0)
    exact = np.exp(-t) / (1.0 + np.exp(-t))
    x = replicator(A, [0.5, 0.5], times=t, integrator="rk4", dt=0.05,
                   stop_at_rest=False).frequencies  # fmt: skip
    alive = exact > 1e3 * EXTINCT
    np.testing.assert_allclose(x[alive, 1], exact[alive], rtol=1e-3)
    assert (x[exact < 1e-3 * EXTINCT, 1] == 0.0).all()
    # the adaptive schemes resolve a frequency only down to atol (below it, it is noise the
    # error control ignores), but neither their states nor their rows hold a subnormal one
    for integrator in ("auto", "dopri5", "rodas4"):
        x = replicator(A, [0.5, 0.5], times=t, integrator=integrator, rtol=1e-10, atol=1e-300,
                       stop_at_rest=False).frequencies  # fmt: skip
        assert ((x == 0.0) | (x >= EXTINCT)).all()


@numba.njit
def _linear_rhs(A, At, params, Q, mutate, x, f, out):
    # LINEAR is a global here, a constant to numba, as in the integrators' compiled entries:
    # the right-hand side compiled for that model alone
    rhs((LINEAR, A, At, params, Q, mutate), x, f, out)


@numba.njit
def _dispatched_rhs(model, A, At, params, Q, mutate, x, f, out):
    # the model an argument: known only at run time, dispatched on
    rhs((model, A, At, params, Q, mutate), x, f, out)


@pytest.mark.parametrize("mutate", [NO_MUTATION, FITNESS_WEIGHTED, INDEPENDENT])
def test_the_right_hand_side_compiled_for_a_model_equals_the_run_time_dispatch(mutate):
    rng = np.random.default_rng(8)
    A = rng.uniform(-1, 1, (5, 5))
    x = rng.dirichlet(np.ones(5))
    Q = 0.9 * np.eye(5) + 0.02
    problem = (A, np.ascontiguousarray(A.T), np.zeros(0), Q, mutate)
    special, generic = np.empty(5), np.empty(5)
    _linear_rhs(*problem, x, np.empty(5), special)
    _dispatched_rhs(LINEAR, *problem, x, np.empty(5), generic)
    np.testing.assert_array_equal(special, generic)
    f = A @ x
    expected = {NO_MUTATION: x * (f - x @ f), FITNESS_WEIGHTED: (x * f) @ Q - x * (x @ f),
                INDEPENDENT: x * (f - x @ f) + x @ Q - x}[mutate]  # fmt: skip
    np.testing.assert_allclose(generic, expected, rtol=1e-12, atol=1e-15)


def test_the_integrators_compiled_per_model_load_from_numba_cache_in_a_new_process(tmp_path):
    # One compiled entry per fitness model is a closure over the model's code: numba keys its
    # cache by the closure's values, so a new process loads it instead of compiling again.
    # Both processes get a cache directory of their own (numba looks in NUMBA_CACHE_DIR
    # first), so the check holds wherever the suite runs, caching switched off or not.
    A = [[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]]
    child = (
        "import json, evopolity as ep\n"
        "from evopolity.kernels import replicator as r\n"
        f"ep.replicator({A}, t_max=1.0)\n"
        "s = r._EXPLICIT_LOOPS[r.LINEAR].stats\n"
        "print(json.dumps([sum(s.cache_hits.values()), sum(s.cache_misses.values())]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "EVOPOLITY_NO_CACHE"}
    env["NUMBA_CACHE_DIR"] = str(tmp_path)
    counts = []
    for _ in range(2):  # the first compiles and writes the cache, the second reads it
        done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                              check=True, env=env)  # fmt: skip
        counts.append(tuple(json.loads(done.stdout.strip().splitlines()[-1])))
    assert counts[0] == (0, 1)
    hits, misses = counts[1]
    assert (hits, misses) == (1, 0)
