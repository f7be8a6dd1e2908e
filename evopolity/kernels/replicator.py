"""Replicator dynamics of infinite populations: the integrators.

The right-hand side (fitness models, velocity, Jacobian, projection on the simplex) is
:mod:`kernels.velocity`; its names are importable from here too.

Integrators
-----------
* :func:`integrate` with ``scheme`` (:mod:`kernels.codes`)

  - ``EXPLICIT``: adaptive Dormand--Prince 5(4) with a 4th-order continuous extension (dense
    output) at requested times (:mod:`kernels.dopri5`), error control as in Hairer, Norsett
    & Wanner (1993, II.4) and scipy's ``RK45`` (:mod:`kernels.stepping`);
  - ``IMPLICIT``: the L-stable, stiffly accurate Rosenbrock method RODAS4 with its 3rd-order
    continuous extension (Hairer & Wanner 1996, IV.7; the coefficients of their ``RODAS``;
    :mod:`kernels.rodas4`), with an exact Jacobian (analytic for ``LINEAR`` without
    mutation, forward differences otherwise);
  - ``AUTO``: Dormand--Prince while the problem is not stiff, RODAS4 once it is. Stiffness is
    detected as in Hairer's ``DOPRI5``: the step estimate ``h |lambda|`` of
    ``|f(y1) - f(y6)| / |y1 - y6|`` sits at the stability boundary (> 3.25) for
    ``STIFF_AFTER`` accepted steps in a row, a run that ``STIFF_RESET_AFTER`` steps inside
    the boundary in a row forget. Replicator trajectories typically become stiff as they
    settle: a strategy dying out at rate ``f_i - phi`` is an eigenvalue the explicit method
    must resolve for ever, while the implicit one takes steps that grow with the remaining
    change. It returns to Dormand--Prince once it is not worth its cost for
    ``NONSTIFF_AFTER`` steps in a row: a RODAS4 step costs about ``c(n) = 1 + n /
    IMPLICIT_COST_N`` Dormand--Prince steps (its n x n factorisation and solves grow faster
    than the right-hand sides both evaluate), so it returns when its step is shorter than
    ``c(n)`` times the explicit one's last (stability-limited) step or than ``3 c(n) /
    ||J||_inf`` (the explicit method is stable at ``3 / ||J||_inf``). After such a return it
    switches again only once the explicit steps are ``c(n)`` times shorter than RODAS4's
    last one (the stiffness grew): without that memory, a problem at the edge would go back
    and forth at every switch's cost.

  Every scheme stops early at a rest point when asked. Rows are written after the
  integration, from the recorded steps' continuous extensions (:mod:`kernels.dense_rows`).
* :func:`rk4`: classical fixed-step Runge--Kutta, stepping onto every requested time.
* :func:`discrete`: the discrete-time replicator ``x_i' = x_i f_i / sum_j x_j f_j``.

After every accepted step the state is projected back on the simplex (negative round-off set
to zero, renormalised), so frequencies never go negative and sum to one to 1e-15.
"""

import numpy as np

from evopolity.kernels import dense_rows, dopri5, rodas4
from evopolity.kernels._jit import jit
from evopolity.kernels.codes import (  # noqa: F401 - the codes, where callers used to find them
    AT_REST,
    AUTO,
    DONE,
    EXPLICIT,
    GROUP,
    GROUP_INSTITUTIONS,
    IMPLICIT,
    INSTITUTIONS,
    LINEAR,
    MAX_STEPS,
    STEP_TOO_SMALL,
)
from evopolity.kernels.stepping import initial_step, step_factor
from evopolity.kernels.velocity import (  # noqa: F401 - the right-hand side, importable here
    FOLDED_INSTITUTIONS,
    INTERNAL,
    analytic_jacobian,
    at_rest,
    fitness,
    fold_regime,
    jacobian_transposed,
    linear_fitness,
    model_fitness,
    project,
    rhs,
)

# AUTO switches to the implicit method after this many stability-limited explicit steps in a
# row (Hairer's DOPRI5 reports stiffness after 15; the switch is cheap, so it comes sooner)
# and back after this many implicit steps in a row at which the explicit method would be
# stable
STIFF_AFTER, NONSTIFF_AFTER = 5, 5
# a RODAS4 step costs about 1 + n / IMPLICIT_COST_N Dormand--Prince steps for a state of n
# variables (measured on random matrix games: 1.2 at n = 3, 5-7 at n = 50)
IMPLICIT_COST_N = 10.0
# a run of stability-limited explicit steps is forgotten after this many explicit steps in a
# row inside the boundary: DOPRI5's rule (NONSTI = 6 resets IASTI), a count of its own, not
# NONSTIFF_AFTER
STIFF_RESET_AFTER = 6
# a step shorter than this many units in the last place of t cannot move t: give up (DOPRI5
# stops when 0.1 |h| <= |t| UROUND)
MIN_STEP_ULPS = 10.0
# RODAS4's matrix I / (gamma h) - J exactly singular (a zero pivot): retry with this fraction
# of the step, which moves the matrix's diagonal
SINGULAR_SHRINK = 0.5


# a step loop stopped because the step record is full (before a step: grow the record and call
# again), or to hand over to the other method; never returned by integrate
_LOG_FULL = -1
_SWITCH = -2

# where the step loops stand between two calls: ``clock = (t, h, implicit_h, explicit_h)``,
# the time, the next step size, RODAS4's last step before it went back to Dormand--Prince
# (infinite before) and Dormand--Prince's last (stability-limited) step before it switched to
# RODAS4, and ``counts`` at these positions
(_ROW, _RECORDED, _STEPS, _IMPLICIT_STEPS, _HAVE_JACOBIAN, _STIFF_STEPS, _CALM_STEPS,
 _STABLE_STEPS, _N_COUNTS) = range(9)  # fmt: skip
# the integrator's vectors, rows of one array: velocity scratch, Jacobian scratch, stage
# position, new state, error estimate, then the seven stages K
_F, _G, _YS, _YN, _ERR, _K = range(6)
_N_VECTORS = _K + 7


@jit(inline="always")
def _set_row(out, r, y):
    """Row ``r`` of ``out`` holds ``y`` (element by element: a row copy would allocate, and
    its shape checks take seconds to compile)."""
    for i in range(y.size):
        out[r, i] = y[i]


@jit(inline="always")
def _fill_from(out, r, y):
    """Rows ``r..`` of ``out`` hold ``y``."""
    for rr in range(r, out.shape[0]):
        _set_row(out, rr, y)


@jit(inline="always")
def _stages(vectors):
    """The seven stage vectors ``K`` (rows of ``vectors``): the stage velocities
    (Dormand--Prince) or increments (RODAS4, in ``K[1:]``); ``K[0]`` is the velocity at ``y``
    ("first same as last": the last stage of an accepted step)."""
    return (vectors[_K], vectors[_K + 1], vectors[_K + 2], vectors[_K + 3], vectors[_K + 4],
            vectors[_K + 5], vectors[_K + 6])  # fmt: skip


@jit(inline="always", refcount=False)
def _start(problem, times, rtol, atol, rest_tol, y, vectors, out, clock):
    """The start of the integration, in whichever step loop the scheme begins with: project
    ``y``, write row 0, the velocity into ``K[0]``, the first step into ``clock[1]``.
    Returns whether ``y`` is a rest point already (then every row holds it)."""
    k = problem[1].shape[0]
    f = vectors[_F]
    k1 = vectors[_K]
    project(y, k)
    clock[0] = times[0]
    _set_row(out, 0, y)
    rhs(problem, y, f, k1)
    if rest_tol > 0.0 and at_rest(y, k1, rest_tol):
        _fill_from(out, 1, y)
        return True
    clock[1] = initial_step(problem, y, k1, vectors[_K + 1], vectors[_YS], f, rtol, atol)
    return False


def _explicit_loop(model):
    """The Dormand--Prince step loop compiled for one fitness model: ``model`` is a constant
    here (a closure's cell), so numba compiles that model's right-hand side alone
    (:mod:`kernels.velocity`), and the cache keeps one entry per model (numba keys a closure
    by its cells' values).

    The two methods are two loops, each compiled when a run first needs it: a run that never
    turns stiff compiles no RODAS4 (half the cold compile of ``'auto'``), and a switch, a few
    per run, costs a return to Python (:func:`integrate`). The loop is the closure itself:
    a loop inlined into a closure (``inline="always"``) cost ~1 s of CPU more to compile,
    numba copying its whole IR.
    """

    @jit(refcount=False)
    def loop(A, At, params, Q, mutate, times, scheme, rtol, atol, rest_tol, max_steps, y,
             vectors, coef, log, row_step, out, clock, counts):  # fmt: skip
        """Dormand--Prince steps from ``clock`` and ``counts`` on, until the last row, a rest
        point, a failure, a full step record (``_LOG_FULL``) or, with ``scheme == AUTO``, the
        switch to RODAS4 (``_SWITCH``, at an accepted state: call :func:`_implicit_loop`'s).
        Returns the status; ``clock`` and ``counts`` say where it stopped.

        Compiled without reference counting (``kernels._jit.jit``): at k = 3 the counting of
        the arrays its inlined helpers bind cost 4x the arithmetic. It allocates nothing; the
        work arrays, ``log`` and the output are its caller's.
        """
        problem = (model, A, At, params, Q, mutate)
        f = vectors[_F]
        ys = vectors[_YS]
        yn = vectors[_YN]
        err = vectors[_ERR]
        K = _stages(vectors)
        k1 = K[0]
        n = y.size
        k = problem[1].shape[0]
        n_out = times.size
        t_end = times[n_out - 1]
        if counts[_ROW] == 0:  # not started: row 0 is the start's
            counts[_ROW] = 1
            if _start(problem, times, rtol, atol, rest_tol, y, vectors, out, clock):
                return AT_REST
        implicit_cost = 1.0 + n / IMPLICIT_COST_N
        t = clock[0]
        h = clock[1]
        implicit_h = clock[2]
        explicit_h = clock[3]
        r = counts[_ROW]
        recorded = counts[_RECORDED]
        steps = counts[_STEPS]
        stiff_steps = counts[_STIFF_STEPS]
        calm_steps = counts[_CALM_STEPS]
        status = DONE
        while r < n_out:
            if recorded == dense_rows.capacity(log):  # this step may need a record
                status = _LOG_FULL
                break
            if steps >= max_steps:
                status = MAX_STEPS
                break
            if h < MIN_STEP_ULPS * abs(np.nextafter(t, np.inf) - t):
                status = STEP_TOO_SMALL
                break
            last = t + h >= t_end
            if last:
                h = t_end - t
            # the step ends exactly at t_end when it is the last (t + h may round below it)
            t_new = t_end if last else t + h
            steps += 1
            en = dopri5.step(problem, y, h, K, ys, yn, err, f, rtol, atol)
            factor = step_factor(en, dopri5.EXPONENT, dopri5.MAX_FACTOR)
            if not en <= 1.0:  # NaN (an overflow in a stage) is a rejection too
                h *= factor
                continue
            switch = False
            if scheme == AUTO:
                if dopri5.looks_stiff(K, ys, yn, h):
                    calm_steps = 0
                    stiff_steps += 1
                    # and unless RODAS4 went back for its cost at steps not this much longer
                    switch = stiff_steps >= STIFF_AFTER and h * implicit_cost < implicit_h
                    explicit_h = h
                else:
                    calm_steps += 1
                    if calm_steps >= STIFF_RESET_AFTER:
                        stiff_steps = 0
            if times[r] <= t_new:  # record the step for its rows
                dopri5.dense(K, h, coef)
                end = dense_rows.rows_until(times, r, t_new)
                # the increments sum to zero: the mass clipped off a row can go to the top one
                dense_rows.record_step(log, recorded, t, h, y, coef, dense_rows.top_strategy(y, k))
                for q in range(r, end):
                    row_step[q] = recorded
                recorded += 1
                r = end
            t = t_new
            for i in range(n):
                y[i] = yn[i]
            project(y, k)
            rhs(problem, y, f, k1)  # first same as last, recomputed on the projected state
            if rest_tol > 0.0 and r < n_out and at_rest(y, k1, rest_tol):
                _fill_from(out, r, y)
                status = AT_REST
                break
            h *= factor
            if switch:
                stiff_steps = 0
                calm_steps = 0
                if r < n_out:
                    status = _SWITCH
                    break
        clock[0] = t
        clock[1] = h
        clock[3] = explicit_h
        counts[_ROW] = r
        counts[_RECORDED] = recorded
        counts[_STEPS] = steps
        counts[_STIFF_STEPS] = stiff_steps
        counts[_CALM_STEPS] = calm_steps
        return status

    return loop


def _implicit_loop(model):
    """The RODAS4 step loop compiled for one fitness model (as :func:`_explicit_loop`)."""

    @jit(refcount=False)
    def loop(A, At, params, Q, mutate, times, scheme, rtol, atol, rest_tol, max_steps, y,
             vectors, coef, Jt, Wt, piv, log, row_step, out, clock, counts):  # fmt: skip
        """RODAS4 steps from ``clock`` and ``counts`` on, as :func:`_explicit_loop`'s; with
        ``scheme == AUTO`` it hands back to Dormand--Prince (``_SWITCH``) once that costs
        less (see the module)."""
        problem = (model, A, At, params, Q, mutate)
        f = vectors[_F]
        g = vectors[_G]
        ys = vectors[_YS]
        yn = vectors[_YN]
        K = _stages(vectors)
        k1 = K[0]
        n = y.size
        k = problem[1].shape[0]
        n_out = times.size
        t_end = times[n_out - 1]
        # the increments of a step sum to zero to round-off (see dense_rows.write_rows) unless
        # RODAS4 differentiates numerically
        top = -1
        exact_sum = analytic_jacobian(problem, n)
        if counts[_ROW] == 0:  # not started: row 0 is the start's
            counts[_ROW] = 1
            if _start(problem, times, rtol, atol, rest_tol, y, vectors, out, clock):
                return AT_REST
        implicit_cost = 1.0 + n / IMPLICIT_COST_N
        t = clock[0]
        h = clock[1]
        implicit_h = clock[2]
        explicit_h = clock[3]
        r = counts[_ROW]
        recorded = counts[_RECORDED]
        steps = counts[_STEPS]
        implicit_steps = counts[_IMPLICIT_STEPS]
        have_jacobian = counts[_HAVE_JACOBIAN] != 0
        stable_steps = counts[_STABLE_STEPS]
        status = DONE
        while r < n_out:
            if recorded == dense_rows.capacity(log):  # this step may need a record
                status = _LOG_FULL
                break
            if steps >= max_steps:
                status = MAX_STEPS
                break
            if h < MIN_STEP_ULPS * abs(np.nextafter(t, np.inf) - t):
                status = STEP_TOO_SMALL
                break
            last = t + h >= t_end
            if last:
                h = t_end - t
            t_new = t_end if last else t + h
            steps += 1
            implicit_steps += 1
            if not have_jacobian:  # at y, whatever the step tried there
                rodas4.jacobian(problem, y, k1, f, g, Jt)
                have_jacobian = True
            if not rodas4.factor(Jt, h, Wt, piv):
                h *= SINGULAR_SHRINK
                continue
            en = rodas4.step(problem, y, h, K, ys, yn, Wt, piv, f, rtol, atol)
            factor = step_factor(en, rodas4.EXPONENT, rodas4.MAX_FACTOR)
            if not en <= 1.0:
                h *= factor
                continue
            switch = False
            if scheme == AUTO:  # would the explicit method, stable at its steps, cost less?
                h_next = h * factor
                if (h_next < implicit_cost * explicit_h
                        or rodas4.explicit_would_be_stable(Jt, h_next / implicit_cost, g)):
                    stable_steps += 1
                    switch = stable_steps >= NONSTIFF_AFTER
                    if switch:
                        implicit_h = h
                else:
                    stable_steps = 0
            have_jacobian = False
            if times[r] <= t_new:  # record the step for its rows
                rodas4.dense(K, y, yn, coef)
                end = dense_rows.rows_until(times, r, t_new)
                if exact_sum:
                    top = dense_rows.top_strategy(y, k)
                dense_rows.record_step(log, recorded, t, h, y, coef, top)
                for q in range(r, end):
                    row_step[q] = recorded
                recorded += 1
                r = end
            t = t_new
            for i in range(n):
                y[i] = yn[i]
            project(y, k)
            rhs(problem, y, f, k1)  # the next step's velocity, at the projected state
            if rest_tol > 0.0 and r < n_out and at_rest(y, k1, rest_tol):
                _fill_from(out, r, y)
                status = AT_REST
                break
            h *= factor
            if switch:
                stable_steps = 0
                if r < n_out:
                    status = _SWITCH
                    break
        clock[0] = t
        clock[1] = h
        clock[2] = implicit_h
        counts[_ROW] = r
        counts[_RECORDED] = recorded
        counts[_STEPS] = steps
        counts[_IMPLICIT_STEPS] = implicit_steps
        counts[_HAVE_JACOBIAN] = have_jacobian
        counts[_STABLE_STEPS] = stable_steps
        return status

    return loop


MODELS = (LINEAR, INSTITUTIONS, GROUP, GROUP_INSTITUTIONS, FOLDED_INSTITUTIONS)
_EXPLICIT_LOOPS = {model: _explicit_loop(model) for model in MODELS}
_IMPLICIT_LOOPS = {model: _implicit_loop(model) for model in MODELS}


def integrate(
    model, x0, A, At, params, Q, mutate, times, scheme, rtol, atol, rest_tol, max_steps, out
):
    """Integrate from ``times[0]`` and write the state at every ``times[r]`` into ``out[r]``.

    ``scheme`` is ``EXPLICIT``, ``IMPLICIT`` or ``AUTO`` (see the module). Returns
    ``(status, steps, implicit_steps, t_reached)``: ``DONE``, ``AT_REST`` (rest point
    reached; later rows hold it), ``MAX_STEPS`` or ``STEP_TOO_SMALL`` (rows not reached are
    NaN); ``steps`` counts every attempted step, ``implicit_steps`` those by RODAS4.

    This allocates, in Python (compiled, this driver made numba generate the whole step
    loop's code a second time: it links every callee into its caller), calls the step loop
    of the method in force compiled for ``model`` (:func:`_explicit_loop`,
    :func:`_implicit_loop`), growing the step record when it fills and changing loops when
    ``AUTO`` switches, then writes the rows from the recorded steps
    (:func:`kernels.dense_rows.write_rows`).
    """
    model, At = fold_regime(model, A, At, params)
    n = x0.size
    y = np.array(x0, dtype=np.float64)
    vectors = np.empty((_N_VECTORS, n))
    coef = np.empty((4, n))
    Jt = Wt = piv = None  # RODAS4's matrices, once it steps
    # the steps that have output rows in them, written after the integration
    row_step = np.full(times.size, -1, np.int64)
    log = dense_rows.new_log(n)
    clock = np.array([0.0, 0.0, np.inf, 0.0])
    counts = np.zeros(_N_COUNTS, np.int64)
    implicit = scheme == IMPLICIT
    while True:
        if implicit:
            if Jt is None:
                Jt, Wt, piv = np.empty((n, n)), np.empty((n, n)), np.empty(n, np.int64)
            status = _IMPLICIT_LOOPS[model](A, At, params, Q, mutate, times, scheme, rtol, atol,
                                      rest_tol, max_steps, y, vectors, coef, Jt, Wt, piv, log,
                                      row_step, out, clock, counts)  # fmt: skip
        else:
            status = _EXPLICIT_LOOPS[model](A, At, params, Q, mutate, times, scheme, rtol, atol,
                                      rest_tol, max_steps, y, vectors, coef, log, row_step, out,
                                      clock, counts)  # fmt: skip
        if status == _SWITCH:
            implicit = not implicit
        elif status == _LOG_FULL:
            log = dense_rows.grow_log(log)
        else:
            break
    if status == MAX_STEPS or status == STEP_TOO_SMALL:
        out[counts[_ROW]:] = np.nan  # the rows not reached
    if counts[_RECORDED] > 0:  # the rows between steps, from the recorded steps' polynomials
        dense_rows.write_rows(times, row_step, log, A.shape[0], out)
    return int(status), int(counts[_STEPS]), int(counts[_IMPLICIT_STEPS]), float(clock[0])


@jit(inline="always", refcount=False)
def _rk4_steps(problem, y, times, dt, rest_tol, max_steps, work, out):
    """The steps of :func:`rk4` from ``y`` (projected first; allocating nothing: the rows of
    ``work`` hold the stages; without reference counting, as :func:`_explicit_loop`)."""
    f = work[0]
    k1 = work[1]
    k2 = work[2]
    k3 = work[3]
    k4 = work[4]
    ys = work[5]
    k = y.size
    project(y, problem[1].shape[0])
    n_out = times.size
    _set_row(out, 0, y)
    t = times[0]
    steps = 0
    for r in range(1, n_out):
        while t < times[r]:
            if steps >= max_steps:
                for rr in range(r, n_out):
                    for i in range(k):
                        out[rr, i] = np.nan
                return MAX_STEPS, steps, t
            h = min(dt, times[r] - t)
            rhs(problem, y, f, k1)
            if rest_tol > 0.0 and at_rest(y, k1, rest_tol):
                _fill_from(out, r, y)
                return AT_REST, steps, t
            for i in range(k):
                ys[i] = y[i] + 0.5 * h * k1[i]
            rhs(problem, ys, f, k2)
            for i in range(k):
                ys[i] = y[i] + 0.5 * h * k2[i]
            rhs(problem, ys, f, k3)
            for i in range(k):
                ys[i] = y[i] + h * k3[i]
            rhs(problem, ys, f, k4)
            for i in range(k):
                y[i] += h * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) / 6.0
            project(y, problem[1].shape[0])
            t = times[r] if h == times[r] - t else t + h
            steps += 1
        _set_row(out, r, y)
    return DONE, steps, t


def _rk4_integrator(model):
    """:func:`_rk4_steps` compiled for one fitness model (as :func:`_explicit_loop`)."""

    def steps(A, At, params, Q, mutate, y, times, dt, rest_tol, max_steps, work, out):
        return _rk4_steps((model, A, At, params, Q, mutate), y, times, dt, rest_tol, max_steps,
                          work, out)  # fmt: skip

    return jit(refcount=False)(steps)


_RK4 = {model: _rk4_integrator(model) for model in MODELS}


def rk4(model, x0, A, At, params, Q, mutate, times, dt, rest_tol, max_steps, out):
    """Classical Runge--Kutta with step ``dt``, shortened to land on every requested time.

    Returns ``(status, steps, t_reached)`` (``DONE``, ``AT_REST`` or ``MAX_STEPS``, as
    :func:`integrate`).
    """
    model, At = fold_regime(model, A, At, params)
    y = np.array(x0, dtype=np.float64)
    work = np.empty((6, y.size))
    return _RK4[model](A, At, params, Q, mutate, y, times, dt, rest_tol, max_steps, work, out)


@jit(inline="always", refcount=False)
def _generations(model, x, A, At, params, steps, f, out):
    """The generations of :func:`discrete` from ``x`` (projected first; ``f`` scratch;
    without reference counting, as :func:`_explicit_loop`)."""
    k = x.size
    project(x, A.shape[0])
    _set_row(out, 0, x)
    for g in range(1, steps + 1):
        model_fitness(model, x, A, At, params, f)
        phi = 0.0
        for i in range(k):
            phi += x[i] * f[i]
        if not phi > 0.0:
            for rr in range(g, steps + 1):
                for i in range(k):
                    out[rr, i] = np.nan
            return g - 1
        for i in range(k):
            x[i] = x[i] * f[i] / phi
        project(x, A.shape[0])
        _set_row(out, g, x)
    return steps


def _discrete_map(model):
    """:func:`_generations` compiled for one fitness model (as :func:`_explicit_loop`)."""

    def generations(x, A, At, params, steps, f, out):
        return _generations(model, x, A, At, params, steps, f, out)

    return jit(refcount=False)(generations)


_DISCRETE = {model: _discrete_map(model) for model in MODELS}


def discrete(model, x0, A, At, params, steps, out):
    """``x_i' = x_i f_i / sum_j x_j f_j`` for ``steps`` generations; ``out`` has steps+1 rows.

    Fitnesses must be positive (checked by the caller for ``LINEAR``). Returns the number of
    generations computed (fewer than ``steps`` if mean fitness stopped being positive; the
    remaining rows are NaN).
    """
    x = np.array(x0, dtype=np.float64)
    return _DISCRETE[model](x, A, At, params, steps, np.empty(x.size), out)
