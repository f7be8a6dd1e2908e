"""The replicator's stiff integrators (``integrator="rodas4"`` and ``integrator="auto"``)
against theory and against scipy.

Sources: scipy.integrate.solve_ivp (``Radau`` or ``DOP853`` at rtol 1e-12, an independent
implementation) for reference trajectories; Hairer & Wanner (1996) *Solving Ordinary
Differential Equations II*, IV.7 (RODAS4 has order 4, its embedded error estimate order 3, so
the step-size controller takes ``h ~ rtol^(1/4)``); Hofbauer & Sigmund (1998) *Evolutionary
Games and Population Dynamics*, ch. 7 (7.7, rock-paper-scissors: ``x1 x2 x3`` is a constant of
motion of the zero-sum game; the barycentre attracts when win > loss; the replicator is
unchanged by adding a constant to a column of payoffs; the faces of the simplex are
invariant; strictly dominated strategies die out); Page & Nowak (2002) for the
replicator-mutator; the institution's fitness and law as derived in tests/test_institutions.py.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import evopolity as ep
from evopolity.institutions.regime import Regime


def rps(win, loss):
    return np.array([[0.0, -loss, win], [win, 0.0, -loss], [-loss, win, 0.0]])


# a 3x3 game (normal entries, seed 3) whose trajectory from (0.2, 0.3, 0.5) goes to the first
# pure strategy, so that integrator="auto" switches to RODAS4 on the way (checked below)
RANDOM_GAME = np.random.default_rng(3).normal(size=(3, 3))


def dominance_game(k=10, seed=7):
    """Strategy 0 earns at least 1 more than any other against every opponent: strictly
    dominant, so every interior trajectory goes to the vertex e_0 (Hofbauer & Sigmund ch. 7),
    where strategy i dies out at the rate A[0, 0] - A[i, 0] >= 1."""
    B = np.random.default_rng(seed).uniform(0.0, 1.0, size=(k, k))
    B[0, :] = B.max(axis=0) + 1.0
    return B


def reference(A, x0, times, Q=None, method="DOP853"):
    """The replicator(-mutator) ``dx_i/dt = sum_j x_j f_j Q_ji - x_i x.f``, ``f = A x``,
    by scipy's ``DOP853`` (or ``Radau``, with the analytic Jacobian of the mutation-free case,
    for a stiff problem) at rtol 1e-12."""
    A = np.asarray(A, dtype=float)

    def f(t, x):
        fx = A @ x
        phi = x @ fx
        if Q is None:
            return x * (fx - phi)
        return (x * fx) @ Q - x * phi

    def jac(t, x):  # d/dx_j of x_i ((Ax)_i - x.Ax)
        fx = A @ x
        g = fx + A.T @ x
        return np.diag(fx - x @ fx) + x[:, None] * (A - g[None, :])

    extra = {"jac": jac} if method == "Radau" and Q is None else {}
    sol = solve_ivp(f, (times[0], times[-1]), np.asarray(x0, dtype=float), method=method,
                    t_eval=times, rtol=1e-12, atol=1e-15, **extra)
    assert sol.success
    return sol.y.T


# ---------------------------------------------------------------- accuracy and convergence


@pytest.mark.parametrize("integrator", ["rodas4", "auto"])
@pytest.mark.parametrize(
    "A, x0", [(rps(2.0, 1.0), [0.8, 0.1, 0.1]), (RANDOM_GAME, [0.2, 0.3, 0.5])],
    ids=["rps", "random"],
)
def test_error_decreases_with_the_tolerance(integrator, A, x0):
    # reference: scipy DOP853 at rtol 1e-12; each factor 100 in rtol must buy at least a
    # factor 10 in the global error, and rtol 1e-9 must give 1e-7
    times = np.linspace(0.0, 40.0, 81)
    ref = reference(A, x0, times)
    errors = []
    for rtol in (1e-5, 1e-7, 1e-9):
        tr = ep.replicator(A, x0=x0, times=times, integrator=integrator, rtol=rtol,
                           atol=rtol * 1e-2, stop_at_rest=False)
        assert tr.info["status"] == "done"
        if integrator == "rodas4":
            assert tr.info["implicit_steps"] == tr.info["steps"]
        elif A is RANDOM_GAME:  # this game turns stiff as it settles: auto must have switched
            assert 0 < tr.info["implicit_steps"] < tr.info["steps"]
        errors.append(np.abs(tr.frequencies - ref).max())
    assert errors[1] < errors[0] / 10
    assert errors[2] < errors[1] / 10
    assert errors[2] < 1e-7


def test_rodas4_has_order_four():
    # Hairer & Wanner (1996) IV.7: RODAS4 has order 4 and a 3rd-order embedded solution, so
    # (a) the controller picks h ~ rtol^(1/4): steps grow like rtol^(-1/4), and
    # (b) the global error at the end point falls like steps^(-4).
    # End-point errors (the last step lands on t = 20) against scipy DOP853 at rtol 1e-12.
    A, x0 = rps(2.0, 1.0), [0.8, 0.1, 0.1]
    times = np.array([0.0, 20.0])
    ref = reference(A, x0, times)[-1]
    rtols = np.array([1e-7, 1e-8, 1e-9, 1e-10])
    steps, errors = [], []
    for rtol in rtols:
        tr = ep.replicator(A, x0=x0, times=times, integrator="rodas4", rtol=rtol, atol=rtol * 1e-2,
                           stop_at_rest=False)
        steps.append(tr.info["steps"])
        errors.append(np.abs(tr.frequencies[-1] - ref).max())
    tol_exponent = np.polyfit(np.log(1 / rtols), np.log(steps), 1)[0]
    order = -np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert tol_exponent == pytest.approx(0.25, abs=0.03)
    assert order == pytest.approx(4.0, abs=0.4)


@pytest.mark.parametrize("integrator", ["rodas4", "auto"])
@pytest.mark.parametrize("rtol", [1e-6, 1e-9])
@pytest.mark.parametrize(
    "A, x0", [(rps(2.0, 1.0), [0.8, 0.1, 0.1]), (RANDOM_GAME, [0.2, 0.3, 0.5])],
    ids=["rps", "random"],
)
def test_dense_output_is_accurate_between_steps(integrator, rtol, A, x0):
    # 2001 output times over [0, 50]: the integrator does not step onto output times (only
    # onto the last), so every other row comes from the continuous extension; reference:
    # scipy at rtol 1e-12
    times = np.linspace(0.0, 50.0, 2001)
    tr = ep.replicator(A, x0=x0, times=times, integrator=integrator, rtol=rtol, atol=rtol * 1e-2,
                       stop_at_rest=False)
    np.testing.assert_allclose(tr.frequencies, reference(A, x0, times), rtol=0,
                               atol=100 * rtol)


# ---------------------------------------------------------------- stiffness detection


def test_auto_switches_to_rodas4_on_a_stiff_tail_and_takes_fewer_steps():
    # the dominant strategy takes over; the others die out at rates A[0,0] - A[i,0] in
    # [1, 1.63], eigenvalues Dormand-Prince must keep inside its stability interval (about
    # [-3.3, 0]) for the rest of t <= 1000, while RODAS4 (L-stable) need not
    A = dominance_game()
    times = np.linspace(0.0, 1000.0, 1001)
    explicit = ep.replicator(A, times=times, integrator="dopri5", stop_at_rest=False)
    auto = ep.replicator(A, times=times, integrator="auto", stop_at_rest=False)
    assert explicit.info["implicit_steps"] == 0
    assert auto.info["implicit_steps"] > 0
    assert auto.info["steps"] < explicit.info["steps"] / 2
    vertex = np.eye(A.shape[0])[0]
    for tr in (explicit, auto):
        assert tr.info["status"] == "done" and tr.info["t_reached"] == 1000.0
        np.testing.assert_allclose(tr.final().to_numpy(), vertex, rtol=0, atol=1e-8)
    # and the switching run is accurate all along (scipy Radau, for this stiff problem)
    ref = reference(A, np.full(10, 0.1), times, method="Radau")
    np.testing.assert_allclose(auto.frequencies, ref, rtol=0, atol=1e-7)


def test_auto_stays_explicit_on_the_non_stiff_zero_sum_cycle():
    # Hofbauer & Sigmund (1998) 7.7: in zero-sum rock-paper-scissors x1 x2 x3 is a constant of
    # motion; the orbit is a closed cycle with eigenvalues +-i/sqrt(3) at the centre: no
    # stiffness, so auto must never switch
    x0 = np.array([0.5, 0.3, 0.2])
    tr = ep.replicator(rps(1.0, 1.0), x0=x0, t_max=100, n_points=2001, integrator="auto")
    assert tr.info["implicit_steps"] == 0
    assert tr.info["status"] == "done"
    p = tr.frequencies.prod(axis=1)
    np.testing.assert_allclose(p, x0.prod(), rtol=1e-6)
    assert tr.frequencies[:, 0].max() > 0.5 and tr.frequencies[:, 0].min() < 0.2  # it cycles


def test_rodas4_conserves_the_product_on_the_zero_sum_cycle():
    # same constant of motion, now through RODAS4 and its continuous extension
    x0 = np.array([0.5, 0.3, 0.2])
    tr = ep.replicator(rps(1.0, 1.0), x0=x0, t_max=100, n_points=2001, integrator="rodas4")
    assert tr.info["implicit_steps"] == tr.info["steps"] > 0
    np.testing.assert_allclose(tr.frequencies.prod(axis=1), x0.prod(), rtol=1e-6)


# ---------------------------------------------------------------- invariances and the simplex


@pytest.mark.parametrize("integrator", ["rodas4", "auto"])
@pytest.mark.parametrize(
    "A, x0",
    [
        (rps(2.0, 1.0), [0.8, 0.1, 0.1]),
        (np.array([[2.0, 2.0, 2.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]), [0.01, 0.5, 0.49]),
        (dominance_game(5, seed=1), None),
    ],
    ids=["rps", "dominance3", "dominance5"],
)
def test_negative_mean_payoff_gives_the_same_trajectory(integrator, A, x0):
    # Hofbauer & Sigmund (1998) ch. 7: adding c to every payoff adds c to every f_i and to
    # x.Ax, so x_i (f_i - x.Ax) is unchanged. With A - 5 the mean payoff is negative all the
    # time, where a mean payoff x.f (rather than x.f / sum x) would make the implicit stage
    # matrix singular at h = -1 / (gamma phi) < 1 and unstable off the simplex
    shifted = A - 5.0
    times = np.linspace(0.0, 500.0, 1001)
    base = ep.replicator(A, x0=x0, times=times, integrator=integrator, stop_at_rest=False)
    tr = ep.replicator(shifted, x0=x0, times=times, integrator=integrator,
                       stop_at_rest=False)
    assert tr.info["status"] == "done" and tr.info["t_reached"] == 500.0
    x = tr.frequencies
    assert np.einsum("ti,ij,tj->t", x, shifted, x).max() < 0.0
    np.testing.assert_allclose(x, base.frequencies, rtol=0, atol=1e-7)
    # and both are the trajectory (scipy DOP853 on the unshifted game), to the tolerance
    ref = reference(A, base.frequencies[0], times)
    np.testing.assert_allclose(x, ref, rtol=0, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(
    k=st.integers(min_value=2, max_value=6),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    scale=st.sampled_from([0.1, 1.0, 10.0, 50.0]),
    integrator=st.sampled_from(["rodas4", "auto"]),
)
def test_frequencies_stay_on_the_simplex(k, seed, scale, integrator):
    # the simplex is invariant under the replicator (Hofbauer & Sigmund ch. 7): no negative
    # frequency, rows summing to one; some strategies are absent from the start (the faces
    # of the simplex are invariant too: see test_an_absent_strategy_stays_absent)
    rng = np.random.default_rng(seed)
    A = scale * rng.normal(size=(k, k))
    x0 = rng.dirichlet(np.ones(k))
    x0[rng.random(k) < 0.3] = 0.0
    if x0.sum() == 0.0:
        x0[0] = 1.0
    x0 /= x0.sum()
    tr = ep.replicator(A, x0=x0, t_max=50, n_points=501, integrator=integrator)
    x = tr.frequencies
    assert np.all(np.isfinite(x))
    assert x.min() >= 0.0
    np.testing.assert_allclose(x.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("integrator", ["rodas4", "auto"])
def test_an_absent_strategy_stays_absent(integrator):
    # Hofbauer & Sigmund (1998) ch. 7: x_i = 0 is invariant (dx_i/dt = x_i (...)), so a
    # strategy absent at t = 0 is absent for ever and the others follow the sub-game on their
    # face. Here strategy 0 would invade anything (it earns 10 against the others), and
    # strategies 1 and 2 play a coordination game [[1, 0], [0, 2]] that from (1/2, 1/2) goes
    # to strategy 2. Reference: scipy DOP853 on the 2x2 sub-game. (Dormand-Prince keeps
    # x_0 = 0 exactly: every stage of x_0 is 0.)
    A = np.array([[0.0, 10.0, 10.0], [0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    times = np.linspace(0.0, 50.0, 501)
    tr = ep.replicator(A, x0=[0.0, 0.5, 0.5], times=times, integrator=integrator,
                       stop_at_rest=False)
    x = tr.frequencies
    assert np.all(x[:, 0] == 0.0)
    ref = reference(A[1:, 1:], [0.5, 0.5], times)
    np.testing.assert_allclose(x[:, 1:], ref, rtol=0, atol=1e-6)


# ---------------------------------------------------------------- finite-difference Jacobian


@pytest.mark.parametrize("mu", [0.01, 0.05, 0.2])
def test_replicator_mutator_dominance_game_follows_its_logistic_closed_form(mu):
    """A = [[1, 1], [0, 0]]: f = (1, 0) whatever the state, so with x the frequency of the
    first strategy phi = x, and with uniform mutation Q = [[1 - mu, mu], [mu, 1 - mu]]
    (Page & Nowak 2002)

        dx/dt = x f_1 (1 - mu) + (1 - x) f_2 mu - x phi = x (r - x),   r = 1 - mu,

    the logistic equation: x(t) = r x0 e^(rt) / (r + x0 (e^(rt) - 1)), rest point x* = 1 - mu.
    With mutation RODAS4 uses its finite-difference Jacobian.
    """
    x0 = 0.1
    r = 1.0 - mu
    times = np.linspace(0.0, 40.0, 401)
    e = np.exp(r * times)
    exact = r * x0 * e / (r + x0 * (e - 1.0))
    runs = {m: ep.replicator([[1.0, 1.0], [0.0, 0.0]], x0=[x0, 1 - x0], times=times,
                             mutation=mu, integrator=m, stop_at_rest=False,
                             mutation_model="fitness_weighted")
            for m in ("rodas4", "auto", "dopri5")}
    for m, tr in runs.items():
        np.testing.assert_allclose(tr.frequencies[:, 0], exact, rtol=0, atol=1e-7, err_msg=m)
        assert tr.final().iloc[0] == pytest.approx(1.0 - mu, abs=1e-7)
    assert runs["rodas4"].info["implicit_steps"] == runs["rodas4"].info["steps"]
    # the rest point as the default run finds it (it stops there)
    rest = ep.replicator([[1.0, 1.0], [0.0, 0.0]], x0=[x0, 1 - x0], t_max=1000, mutation=mu,
                         integrator="rodas4", mutation_model="fitness_weighted")
    assert rest.info["status"] == "rest point"
    assert rest.final().iloc[0] == pytest.approx(1.0 - mu, abs=1e-8)
    assert abs(rest.final().iloc[0] - runs["dopri5"].final().iloc[0]) < 1e-7


@pytest.mark.parametrize("integrator", ["rodas4", "auto"])
def test_replicator_mutator_rps_matches_scipy(integrator):
    # 3 strategies with a uniform mutation rate: reference scipy DOP853 on
    # dx_i/dt = sum_j x_j f_j Q_ji - x_i x.f (Page & Nowak 2002). The payoffs are kept
    # positive: with a negative fitness the mutation term x_j f_j Q_ji can push x_i below 0
    # and the equation itself leaves the simplex
    A, mu, x0 = rps(1.0, 2.0) + 3.0, 0.02, [0.6, 0.3, 0.1]
    Q = np.full((3, 3), mu / 2)
    np.fill_diagonal(Q, 1 - mu)
    times = np.linspace(0.0, 60.0, 601)
    tr = ep.replicator(A, x0=x0, times=times, mutation=mu, integrator=integrator,
                       stop_at_rest=False, mutation_model="fitness_weighted")
    ref = reference(A, x0, times, Q=Q)
    assert ref.min() > 0.0
    np.testing.assert_allclose(tr.frequencies, ref, rtol=0, atol=1e-7)


# a one-shot prisoner's dilemma between ALLC and ALLD (as in tests/test_institutions.py)
R_, S_, T_, P_ = 3.0, 0.0, 5.0, 1.0
PD = np.array([[R_, S_], [T_, P_]])
PD_COOPERATION = np.array([[1.0, 1.0], [0.0, 0.0]])


def institution_reference(regime, x0, times):
    """Hand-derived law of a co-evolving fining institution on PD (tests/test_institutions.py):
    ALLD pays m q F (it always defects), so f = A x - (0, m q F); the institution's support is
    sum_i x_i (C x)_i = x_C and dm/dt = lambda (x_C - m) - decay; uniform mutation mu between
    the two strategies, independent of fitness (the regime's default mutation model):
    mu (x_other - x_i). Integrated by scipy Radau at rtol 1e-12."""
    q, F, lam, decay, mu = (regime.detection, regime.fine, regime.feedback, regime.decay,
                            regime.mutation)

    def f(t, y):
        x, m = y[:2], y[2]
        fit = PD @ x - np.array([0.0, m * q * F])
        phi = x @ fit
        dx = x * (fit - phi) + mu * (x[::-1] - x)
        return np.append(dx, lam * (x[0] - m) - decay)

    y0 = np.append(x0, regime.initial_strength)
    sol = solve_ivp(f, (times[0], times[-1]), y0, method="Radau", t_eval=times, rtol=1e-12,
                    atol=1e-14)
    assert sol.success
    return sol.y.T


@pytest.mark.parametrize("integrator", ["rodas4", "auto"])
def test_coevolving_institution_matches_dopri5_and_the_hand_derived_law(integrator):
    # a fine q F m = 3 m on defectors that grows with cooperation: from 80% cooperators the
    # institution strengthens (0.6 -> about 0.94) and cooperation wins (up to mutation);
    # the macro state stays inside (0, 1), so the law is smooth (no clipping at a boundary)
    regime = Regime(fine=6.0, detection=0.5, feedback=1.0, decay=0.05, initial_strength=0.6,
                    mutation=0.01)
    x0 = [0.8, 0.2]
    times = np.linspace(0.0, 100.0, 201)
    runs = {m: ep.replicator(PD, x0=x0, times=times, regime=regime, cooperation=PD_COOPERATION,
                             integrator=m, stop_at_rest=False)
            for m in ("dopri5", integrator)}
    tr, explicit = runs[integrator], runs["dopri5"]
    assert list(tr.macro.columns) == ["institution_strength"]
    assert tr.info["implicit_steps"] > 0
    strength = tr.macro["institution_strength"]
    assert 0.0 < strength.min() and strength.max() < 1.0
    np.testing.assert_allclose(tr.frequencies, explicit.frequencies, rtol=0, atol=1e-6)
    np.testing.assert_allclose(tr.macro, explicit.macro, rtol=0, atol=1e-6)
    ref = institution_reference(regime, x0, times)
    np.testing.assert_allclose(tr.frequencies, ref[:, :2], rtol=0, atol=1e-6)
    np.testing.assert_allclose(strength, ref[:, 2], rtol=0, atol=1e-6)
    assert tr.frequencies[-1, 0] > 0.95 and strength.iloc[-1] > 0.9


# ---------------------------------------------------------------- validation


def test_unknown_integrator_is_refused_with_the_allowed_names():
    with pytest.raises(ValueError, match="integrator must be one of 'auto', 'dopri5', 'rodas4', "
                                         "'rk4', got 'radau'"):
        ep.replicator(rps(1.0, 1.0), integrator="radau")
