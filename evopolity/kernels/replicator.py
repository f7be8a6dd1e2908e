"""Replicator dynamics of infinite populations: the right-hand side and its integrators.

The fitness of the strategies at state ``x`` is one function, :func:`fitness`, of the state,
the interaction matrix and a flat parameter array, selected by an integer ``model``
(``LINEAR``: ``f = A x``; ``INSTITUTIONS``: the regime of :mod:`kernels.fitness`; ``GROUP``: a
group game's expected payoffs, :mod:`kernels.group`), so every
integrator here serves every model unchanged. ``At`` is ``A`` transposed (C order): the
``LINEAR`` model reads it row by row (:func:`linear_fitness`), a loop numba vectorises, where
the textbook ``sum_j A[i, j] x[j]`` waits on each addition in turn (2x slower at k = 50).

The integrated state ``y`` holds the ``k = A.shape[0]`` strategy frequencies and, after them,
any macro state (the institution's strength ``m``): the frequencies follow the replicator, the
macro state its own law, and only the frequencies are projected on the simplex.

The mean fitness in the right-hand side is ``phi = sum_j x_j f_j / sum_j x_j``. On the simplex
that is the usual ``x . f``; off it (inside a step) it makes ``d(sum x)/dt = 0`` exactly, where
``x . f`` would give ``phi (1 - sum x)``, a direction that is unstable whenever ``phi < 0``
and would make the implicit stages' matrix singular at ``h = -1 / (gamma phi)``.

Integrators
-----------
* :func:`integrate` with ``scheme``

  - ``EXPLICIT``: adaptive Dormand--Prince 5(4) with its 4th-order continuous extension
    (dense output) at requested times, error control as in Hairer, Norsett & Wanner (1993,
    II.4) and scipy's ``RK45``;
  - ``IMPLICIT``: the L-stable, stiffly accurate Rosenbrock method RODAS4 with its 3rd-order
    continuous extension (Hairer & Wanner 1996, IV.7; the coefficients of their ``RODAS``),
    with an exact Jacobian (analytic for ``LINEAR`` without mutation, forward differences
    otherwise);
  - ``AUTO``: Dormand--Prince while the problem is not stiff, RODAS4 once it is. Stiffness is
    detected as in Hairer's ``DOPRI5``: the step estimate ``h |lambda|`` of
    ``|f(y1) - f(y6)| / |y1 - y6|`` sits at the stability boundary (> 3.25) for
    ``STIFF_AFTER`` accepted steps. Replicator trajectories typically become stiff as they
    settle: a strategy dying out at rate ``f_i - phi`` is an eigenvalue the explicit method
    must resolve for ever, while the implicit one takes steps that grow with the remaining
    change. It returns to Dormand--Prince once ``h ||J||_inf < 3`` for ``NONSTIFF_AFTER``
    steps (the explicit method would then be stable at the implicit one's step).

  Every scheme stops early at a rest point when asked.
* :func:`rk4`: classical fixed-step Runge--Kutta, stepping onto every requested time.
* :func:`discrete`: the discrete-time replicator ``x_i' = x_i f_i / sum_j x_j f_j``.

After every accepted step the state is projected back on the simplex (negative round-off set
to zero, renormalised), so frequencies never go negative and sum to one to 1e-15.
"""

import math

import numpy as np
from numba import prange

from evopolity.kernels._jit import jit
from evopolity.kernels.codes import (
    AT_REST,
    AUTO,
    DONE,
    GROUP,
    GROUP_INSTITUTIONS,
    IMPLICIT,
    INSTITUTIONS,
    LINEAR,
    MAX_STEPS,
    STEP_TOO_SMALL,
)
from evopolity.kernels.fitness import (
    group_institution_fitness,
    institution_fitness,
    macro_velocity,
)
from evopolity.kernels.group import group_fitness
from evopolity.kernels.linalg import lu_factor_transposed, lu_solve_transposed

# Dormand-Prince 5(4) tableau (Dormand & Prince 1980)
C2, C3, C4, C5 = 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0
A21 = 1.0 / 5.0
A31, A32 = 3.0 / 40.0, 9.0 / 40.0
A41, A42, A43 = 44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0
A51, A52, A53, A54 = 19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0
A61, A62, A63, A64, A65 = (
    9017.0 / 3168.0,
    -355.0 / 33.0,
    46732.0 / 5247.0,
    49.0 / 176.0,
    -5103.0 / 18656.0,
)
B1, B3, B4, B5, B6 = 35.0 / 384.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0
E1, E3, E4, E5, E6, E7 = (
    -71.0 / 57600.0,
    71.0 / 16695.0,
    -71.0 / 1920.0,
    17253.0 / 339200.0,
    -22.0 / 525.0,
    1.0 / 40.0,
)
# dense output: y(t0 + s h) = y0 + h * sum_stage K[stage] * sum_p P[stage, p] s^(p+1)
P_DENSE = np.array(
    [
        [1.0, -8048581381.0 / 2820520608.0, 8663915743.0 / 2820520608.0,
         -12715105075.0 / 11282082432.0],
        [0.0, 0.0, 0.0, 0.0],
        [0.0, 131558114200.0 / 32700410799.0, -68118460800.0 / 10900136933.0,
         87487479700.0 / 32700410799.0],
        [0.0, -1754552775.0 / 470086768.0, 14199869525.0 / 1410260304.0,
         -10690763975.0 / 1880347072.0],
        [0.0, 127303824393.0 / 49829197408.0, -318862633887.0 / 49829197408.0,
         701980252875.0 / 199316789632.0],
        [0.0, -282668133.0 / 205662961.0, 2019193451.0 / 616988883.0,
         -1453857185.0 / 822651844.0],
        [0.0, 40617522.0 / 29380423.0, -110615467.0 / 29380423.0, 69997945.0 / 29380423.0],
    ]
)  # fmt: skip


# RODAS4 (Hairer & Wanner 1996, IV.7, Table 7.2; the coefficients of their RODAS code) in the
# form (I / (gamma h) - J) u_i = f(y + sum_j a_ij u_j) + sum_j (c_ij / h) u_j; stage 6 is
# evaluated at y1 - u6, y1 = y + sum_j a_5j u_j + u5 + u6 (stiffly accurate), and u6 is the
# error estimate
R_GAMMA = 0.25
R_A21 = 1.544
R_A31, R_A32 = 0.9466785280815826, 0.2557011698983284
R_A41, R_A42, R_A43 = 3.314825187068521, 2.896124015972201, 0.9986419139977817
R_A51, R_A52, R_A53, R_A54 = (
    1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950,
)  # fmt: skip
R_C21 = -5.6688
R_C31, R_C32 = -2.430093356833875, -0.2063599157091915
R_C41, R_C42, R_C43 = -0.1073529058151375, -9.594562251023355, -20.47028614809616
R_C51, R_C52, R_C53, R_C54 = (
    7.496443313967647, -10.24680431464352, -33.99990352819905, 11.70890893206160,
)  # fmt: skip
R_C61, R_C62, R_C63, R_C64, R_C65 = (
    8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136,
    -6.058818238834054,
)  # fmt: skip
# continuous extension: y(s) = (1 - s) y0 + s (y1 + (1 - s) (d1 + s d2)), d = sum_i H[., i] u_i
R_H = np.array(
    [
        [10.12623508344586, -7.487995877610167, -34.80091861555747, -7.992771707568823,
         1.025137723295662],
        [-0.6762803392801253, 6.087714651680015, 16.43084320892478, 24.76722511418386,
         -6.594389125716872],
    ]
)  # fmt: skip

# AUTO switches to the implicit method after this many stability-limited explicit steps
# (Hairer's DOPRI5 reports stiffness after 15; the switch is cheap, so it comes sooner) and
# back after this many implicit steps at which the explicit method would be stable
STIFF_AFTER, NONSTIFF_AFTER = 5, 5
STIFF_H_LAMBDA = 3.25


@jit(fastmath={"contract"})
def linear_fitness(At, x, out):
    """``out[:k] = A x`` from ``At = A.T`` (C order), ``k = At.shape[0]``: along the rows of
    ``At``, four at a time (a quarter of the loads and stores of ``out``), with fused
    multiply-adds where the CPU has them."""
    k = At.shape[0]
    for i in range(k):
        out[i] = 0.0
    j = 0
    while j + 4 <= k:
        x0 = x[j]
        x1 = x[j + 1]
        x2 = x[j + 2]
        x3 = x[j + 3]
        r0 = At[j]
        r1 = At[j + 1]
        r2 = At[j + 2]
        r3 = At[j + 3]
        for i in range(k):
            out[i] = (((out[i] + r0[i] * x0) + r1[i] * x1) + r2[i] * x2) + r3[i] * x3
        j += 4
    while j < k:
        xj = x[j]
        r0 = At[j]
        for i in range(k):
            out[i] += r0[i] * xj
        j += 1


@jit(inline="always")
def fitness(model, x, A, At, params, out):
    """Fitness of the ``k = A.shape[0]`` strategies at state ``x`` (writes ``out[:k]``).

    ``model == LINEAR``: ``out = A x``, read from ``At = A.T`` (C order; ``params`` unused);
    ``INSTITUTIONS``: the regime in ``params`` (:func:`kernels.fitness.institution_fitness`);
    ``GROUP``: the expected payoffs of a group game packed in ``params``
    (:func:`kernels.group.group_fitness`; ``A`` is a k x k placeholder that only gives ``k``).
    """
    if model == INSTITUTIONS:
        institution_fitness(x, A, params, out)
        return
    if model == GROUP:
        group_fitness(x, params, out)
        return
    if model == GROUP_INSTITUTIONS:
        group_institution_fitness(x, A, params, out)
        return
    linear_fitness(At, x, out)


@jit(inline="always")
def rhs(model, x, A, At, params, Q, mutate, f, out):
    """Replicator(-mutator) velocity at ``x``; ``f`` is scratch for the fitness vector.

    Without mutation ``dx_i/dt = x_i (f_i - phi)``; with a row-stochastic mutation matrix
    ``Q`` ``dx_i/dt = sum_j x_j f_j Q[j, i] - x_i phi``, where
    ``phi = sum_j x_j f_j / sum_j x_j`` (see the module on the denominator).
    """
    fitness(model, x, A, At, params, f)
    k = A.shape[0]
    total = 0.0
    size = 0.0
    for j in range(k):
        total += x[j] * f[j]
        size += x[j]
    # a blown-up trial stage can cancel to size 0: NaN, which the error control rejects
    phi = total / size if size != 0.0 else math.nan
    if mutate:
        for i in range(k):
            out[i] = -x[i] * phi
        for j in range(k):
            w = x[j] * f[j]
            for i in range(k):
                out[i] += w * Q[j, i]
    else:
        for i in range(k):
            out[i] = x[i] * (f[i] - phi)
    if x.size > k:  # the macro state (f is free again: it serves as scratch)
        out[k] = macro_velocity(x, A, params, f)


@jit(fastmath={"reassoc"})
def project(x, k):
    """Frequencies ``x[:k]``: clip round-off negatives and renormalise onto the simplex; a
    macro state after them is clipped to [0, 1]. (The sum may be reassociated, so that it
    vectorises: the result can differ in the last bit between CPUs.)"""
    s = 0.0
    for i in range(k):
        v = max(x[i], 0.0)
        x[i] = v
        s += v
    inv = 1.0 / s
    for i in range(k):
        x[i] *= inv
    for i in range(k, x.size):
        x[i] = min(1.0, max(0.0, x[i]))


@jit()
def at_rest(x, dx, rest_tol):
    """Whether ``x`` is (numerically) a rest point that no present strategy is leaving.

    Every velocity is below ``rest_tol`` and no strategy present grows at a per-capita rate
    above ``1e-6`` (so a rare invader that is about to grow is not mistaken for a rest point).
    """
    for i in range(x.size):
        if abs(dx[i]) > rest_tol:
            return False
        if x[i] > 0.0 and dx[i] > 1e-6 * x[i]:
            return False
    return True


@jit()
def _rms_error(y0, y1, err, h, rtol, atol):
    s = 0.0
    for i in range(y0.size):
        sc = atol + rtol * max(abs(y0[i]), abs(y1[i]))
        e = h * err[i] / sc
        s += e * e
    return math.sqrt(s / y0.size)


@jit()
def jacobian_transposed(model, y, fy, A, At, params, Q, mutate, f, g, Jt):
    """``Jt[j, i] = d rhs_i / d y_j`` at ``y``, where ``fy = rhs(y)``; ``f``, ``g`` scratch.

    Analytic for ``LINEAR`` without mutation or macro state: with ``f = A x``,
    ``S = sum x``, ``phi = x . f / S`` and ``g = f + A^T x``,
    ``d rhs_i / d x_j = [i = j] (f_i - phi) + x_i (A_ij - g_j / S + phi / S)``.
    Otherwise forward differences, one right-hand side per column, with the increments of
    Hairer's codes, ``sqrt(1e-16 max(1e-5, |y_j|))``.
    """
    n = y.size
    k = A.shape[0]
    if model == LINEAR and not mutate and n == k:
        fitness(model, y, A, At, params, f)
        for i in range(k):
            g[i] = f[i]
        size = 0.0
        total = 0.0
        for i in range(k):  # g += A^T x, along the rows of A
            xi = y[i]
            size += xi
            total += xi * f[i]
            for j in range(k):
                g[j] += A[i, j] * xi
        if size == 0.0:  # not at an accepted state: let the step fail on NaN
            size = math.nan
        phi = total / size
        for j in range(k):
            c = (g[j] - phi) / size
            for i in range(k):
                Jt[j, i] = y[i] * (At[j, i] - c)
        for i in range(k):
            Jt[i, i] += f[i] - phi
        return
    ys = y.copy()
    for j in range(n):
        d = math.sqrt(1e-16 * max(1e-5, abs(y[j])))
        ys[j] = y[j] + d
        rhs(model, ys, A, At, params, Q, mutate, f, g)
        ys[j] = y[j]
        for i in range(n):
            Jt[j, i] = (g[i] - fy[i]) / d


@jit(fastmath={"reassoc", "contract", "nnan", "ninf", "nsz"})
def _dense_rows(lo, hi, times, row_step, step_t, step_inv_h, step_y, step_coef, step_top, k, out):
    """Write rows ``lo..hi-1`` that lie inside a recorded step (``j = row_step[q] >= 0``) from
    that step's polynomial, ``y + s (c0 + s (c1 + s (c2 + s c3)))`` at
    ``s = (times[q] - t_j) / h_j``, kept on the simplex like the state.

    A frequency near zero can overshoot below it: it is clipped at zero as it is written.
    ``step_top[j] >= 0`` says the step's increments sum to zero to round-off (Dormand--Prince,
    whose velocities do, and RODAS4 with the analytic Jacobian, whose columns do), so that the
    polynomial sums to one: then the mass the clipping adds is taken off strategy
    ``step_top[j]``, the most frequent at the start of the step, with no second pass over the
    row. Otherwise (``-1``, or if that strategy would go negative) the row is renormalised
    (:func:`project`). The fast-math flags let the clipping and its sum vectorise; they are
    safe here because a step is recorded only with a finite error, so its coefficients are
    finite.
    """
    n = out.shape[1]
    current = -1
    y = step_y[0]
    coef = step_coef[0]
    t0 = 0.0
    inv_h = 0.0
    top = -1
    for q in range(lo, hi):
        j = row_step[q]
        if j < 0:
            continue
        if j != current:  # consecutive rows mostly share a step: look it up once
            current = j
            y = step_y[j]
            coef = step_coef[j]
            t0 = step_t[j]
            inv_h = step_inv_h[j]
            top = step_top[j]
        s = (times[q] - t0) * inv_h
        below = 0.0
        for i in range(k):  # out[q, i], not a view of the row: a view per row costs 25%
            v = y[i] + s * (coef[0, i] + s * (coef[1, i] + s * (coef[2, i] + s * coef[3, i])))
            w = max(v, 0.0)
            below += v - w
            out[q, i] = w
        if top >= 0 and out[q, top] + below >= 0.0:
            out[q, top] += below
        else:
            project(out[q], k)
        for i in range(k, n):  # a macro state: clipped to [0, 1]
            v = y[i] + s * (coef[0, i] + s * (coef[1, i] + s * (coef[2, i] + s * coef[3, i])))
            out[q, i] = min(1.0, max(0.0, v))


# outputs of at least this many values are written on all of numba's threads; smaller ones
# (a sweep's runs, in worker processes that share the cores) in the calling thread, where a
# parallel region's launch and its threads' spinning would cost more than they save
PARALLEL_VALUES = 1 << 16
ROW_BLOCKS = 32


@jit(parallel=True)
def _dense_rows_parallel(times, row_step, step_t, step_inv_h, step_y, step_coef, step_top, k, out):
    """:func:`_dense_rows` over ``ROW_BLOCKS`` blocks of rows in parallel (rows are
    independent: their values do not depend on the number of threads)."""
    n_out = times.size
    for block in prange(ROW_BLOCKS):
        lo = block * n_out // ROW_BLOCKS
        hi = (block + 1) * n_out // ROW_BLOCKS
        _dense_rows(lo, hi, times, row_step, step_t, step_inv_h, step_y, step_coef, step_top, k,
                    out)  # fmt: skip


@jit()
def _grow(a, size):
    """``a`` copied into a new array whose first axis has ``size`` entries."""
    b = np.empty((size,) + a.shape[1:], a.dtype)
    b[: a.shape[0]] = a
    return b


@jit()
def integrate(
    model, x0, A, At, params, Q, mutate, times, scheme, rtol, atol, rest_tol, max_steps, out
):
    """Integrate from ``times[0]`` and write the state at every ``times[r]`` into ``out[r]``.

    ``scheme`` is ``EXPLICIT``, ``IMPLICIT`` or ``AUTO`` (see the module). Returns
    ``(status, steps, implicit_steps, t_reached)``: ``DONE``, ``AT_REST`` (rest point
    reached; later rows hold it), ``MAX_STEPS`` or ``STEP_TOO_SMALL`` (rows not reached are
    NaN); ``steps`` counts every attempted step, ``implicit_steps`` those by RODAS4.
    """
    n = x0.size
    k = A.shape[0]
    n_out = times.size
    y = x0.copy()
    project(y, k)
    f = np.empty(n)
    g = np.empty(n)
    k1 = np.empty(n)
    k2 = np.empty(n)
    k3 = np.empty(n)
    k4 = np.empty(n)
    k5 = np.empty(n)
    k6 = np.empty(n)
    k7 = np.empty(n)
    ys = np.empty(n)
    yn = np.empty(n)
    err = np.empty(n)
    coef = np.empty((4, n))
    # the steps that have output rows in them, written after the integration (in parallel)
    row_step = np.full(n_out, -1, np.int64)
    capacity = 16
    step_t = np.empty(capacity)
    step_inv_h = np.empty(capacity)
    step_top = np.empty(capacity, np.int64)
    step_y = np.empty((capacity, n))
    step_coef = np.empty((capacity, 4, n))
    recorded = 0
    status = DONE
    Jt = np.empty((n, n))
    Wt = np.empty((n, n))
    piv = np.empty(n, np.int64)
    t = times[0]
    t_end = times[n_out - 1]
    out[0, :] = y
    r = 1
    rhs(model, y, A, At, params, Q, mutate, f, k1)
    if rest_tol > 0.0 and at_rest(y, k1, rest_tol):
        for rr in range(r, n_out):
            out[rr, :] = y
        return AT_REST, 0, 0, t
    # initial step (Hairer, Norsett & Wanner 1993, II.4)
    d0 = 0.0
    d1 = 0.0
    for i in range(n):
        sc = atol + rtol * abs(y[i])
        d0 += (y[i] / sc) ** 2
        d1 += (k1[i] / sc) ** 2
    d0 = math.sqrt(d0 / n)
    d1 = math.sqrt(d1 / n)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    for i in range(n):
        ys[i] = y[i] + h0 * k1[i]
    rhs(model, ys, A, At, params, Q, mutate, f, k2)
    d2 = 0.0
    for i in range(n):
        sc = atol + rtol * abs(y[i])
        d2 += ((k2[i] - k1[i]) / sc) ** 2
    d2 = math.sqrt(d2 / n) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** 0.2
    h = min(100.0 * h0, h1)
    implicit = scheme == IMPLICIT
    analytic_jacobian = model == LINEAR and not mutate and n == k  # see jacobian_transposed
    have_jacobian = False
    stiff_count = 0
    nonstiff_count = 0
    steps = 0
    implicit_steps = 0
    while r < n_out:
        if steps >= max_steps:
            status = MAX_STEPS
            break
        min_h = 10.0 * abs(np.nextafter(t, np.inf) - t)
        if h < min_h:
            status = STEP_TOO_SMALL
            break
        last = t + h >= t_end
        if last:
            h = t_end - t
        # the step ends exactly at t_end when it is the last (t + h may round below it)
        t_new = t_end if last else t + h
        steps += 1
        switch = False
        if not implicit:
            for i in range(n):
                ys[i] = y[i] + h * A21 * k1[i]
            rhs(model, ys, A, At, params, Q, mutate, f, k2)
            for i in range(n):
                ys[i] = y[i] + h * (A31 * k1[i] + A32 * k2[i])
            rhs(model, ys, A, At, params, Q, mutate, f, k3)
            for i in range(n):
                ys[i] = y[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i])
            rhs(model, ys, A, At, params, Q, mutate, f, k4)
            for i in range(n):
                ys[i] = y[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i])
            rhs(model, ys, A, At, params, Q, mutate, f, k5)
            for i in range(n):
                ys[i] = y[i] + h * (
                    A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]
                )
            rhs(model, ys, A, At, params, Q, mutate, f, k6)
            for i in range(n):
                yn[i] = y[i] + h * (
                    B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] + B6 * k6[i]
                )
            rhs(model, yn, A, At, params, Q, mutate, f, k7)
            for i in range(n):
                err[i] = (
                    E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]
                )
            en = _rms_error(y, yn, err, h, rtol, atol)
            if not en <= 1.0:  # NaN (an overflow in a stage) is a rejection too
                h *= max(0.2, 0.9 * en**-0.2) if en < math.inf else 0.2
                continue
            if scheme == AUTO:  # h |lambda| from the last two stages (Hairer's DOPRI5)
                num = 0.0
                den = 0.0
                for i in range(n):
                    num += (k7[i] - k6[i]) ** 2
                    den += (yn[i] - ys[i]) ** 2
                if den > 0.0 and h * math.sqrt(num / den) > STIFF_H_LAMBDA:
                    nonstiff_count = 0
                    stiff_count += 1
                    switch = stiff_count >= STIFF_AFTER
                else:
                    nonstiff_count += 1
                    if nonstiff_count >= 6:
                        stiff_count = 0
            if r < n_out and times[r] <= t_new:
                for p in range(4):  # p outside: the loop over components vectorises
                    b1 = h * P_DENSE[0, p]
                    b3 = h * P_DENSE[2, p]
                    b4 = h * P_DENSE[3, p]
                    b5 = h * P_DENSE[4, p]
                    b6 = h * P_DENSE[5, p]
                    b7 = h * P_DENSE[6, p]
                    for i in range(n):
                        coef[p, i] = (
                            b1 * k1[i] + b3 * k3[i] + b4 * k4[i] + b5 * k5[i] + b6 * k6[i]
                            + b7 * k7[i]
                        )  # fmt: skip
            factor = 10.0 if en == 0.0 else min(10.0, 0.9 * en**-0.2)
        else:
            implicit_steps += 1
            if not have_jacobian:  # at y, whatever the step tried there
                jacobian_transposed(model, y, k1, A, At, params, Q, mutate, f, g, Jt)
                if not mutate:
                    # an absent strategy stays absent (x_i = 0 is invariant), but a pivoted
                    # solve mixes its row with others and leaves ~1e-20 in u_i, from which it
                    # would grow. Its row of J is zero off the diagonal already; zeroing its
                    # column too decouples it exactly (u_i = 0 in every stage, so the column
                    # multiplies nothing: the method is unchanged)
                    for i in range(k):
                        if y[i] == 0.0:
                            for j in range(n):
                                if j != i:
                                    Jt[i, j] = 0.0
                have_jacobian = True
            diag = 1.0 / (R_GAMMA * h)
            for j in range(n):
                for i in range(n):
                    Wt[j, i] = -Jt[j, i]
                Wt[j, j] += diag
            if not lu_factor_transposed(Wt, piv):
                h *= 0.5
                continue
            inv_h = 1.0 / h
            for i in range(n):  # the stage increments u1..u6 live in k2..k7
                k2[i] = k1[i]
            lu_solve_transposed(Wt, piv, k2)
            for i in range(n):
                ys[i] = y[i] + R_A21 * k2[i]
            rhs(model, ys, A, At, params, Q, mutate, f, k3)
            for i in range(n):
                k3[i] += inv_h * R_C21 * k2[i]
            lu_solve_transposed(Wt, piv, k3)
            for i in range(n):
                ys[i] = y[i] + R_A31 * k2[i] + R_A32 * k3[i]
            rhs(model, ys, A, At, params, Q, mutate, f, k4)
            for i in range(n):
                k4[i] += inv_h * (R_C31 * k2[i] + R_C32 * k3[i])
            lu_solve_transposed(Wt, piv, k4)
            for i in range(n):
                ys[i] = y[i] + R_A41 * k2[i] + R_A42 * k3[i] + R_A43 * k4[i]
            rhs(model, ys, A, At, params, Q, mutate, f, k5)
            for i in range(n):
                k5[i] += inv_h * (R_C41 * k2[i] + R_C42 * k3[i] + R_C43 * k4[i])
            lu_solve_transposed(Wt, piv, k5)
            for i in range(n):
                ys[i] = y[i] + R_A51 * k2[i] + R_A52 * k3[i] + R_A53 * k4[i] + R_A54 * k5[i]
            rhs(model, ys, A, At, params, Q, mutate, f, k6)
            for i in range(n):
                k6[i] += inv_h * (
                    R_C51 * k2[i] + R_C52 * k3[i] + R_C53 * k4[i] + R_C54 * k5[i]
                )
            lu_solve_transposed(Wt, piv, k6)
            for i in range(n):
                ys[i] += k6[i]
            rhs(model, ys, A, At, params, Q, mutate, f, k7)
            for i in range(n):
                k7[i] += inv_h * (
                    R_C61 * k2[i] + R_C62 * k3[i] + R_C63 * k4[i] + R_C64 * k5[i]
                    + R_C65 * k6[i]
                )  # fmt: skip
            lu_solve_transposed(Wt, piv, k7)
            for i in range(n):
                yn[i] = ys[i] + k7[i]
            en = _rms_error(y, yn, k7, 1.0, rtol, atol)
            if not en <= 1.0:
                h *= max(0.2, 0.9 * en**-0.25) if en < math.inf else 0.2
                continue
            if r < n_out and times[r] <= t_new:
                for i in range(n):
                    a = (
                        R_H[0, 0] * k2[i] + R_H[0, 1] * k3[i] + R_H[0, 2] * k4[i]
                        + R_H[0, 3] * k5[i] + R_H[0, 4] * k6[i]
                    )  # fmt: skip
                    b = (
                        R_H[1, 0] * k2[i] + R_H[1, 1] * k3[i] + R_H[1, 2] * k4[i]
                        + R_H[1, 3] * k5[i] + R_H[1, 4] * k6[i]
                    )  # fmt: skip
                    coef[0, i] = yn[i] - y[i] + a
                    coef[1, i] = b - a
                    coef[2, i] = -b
                    coef[3, i] = 0.0
            factor = 6.0 if en == 0.0 else min(6.0, max(0.2, 0.9 * en**-0.25))
            if scheme == AUTO:  # would the explicit method be stable at the next step?
                norm = 0.0  # ||J||_inf, from below by the diagonal, in full only if needed
                for i in range(n):
                    norm = max(norm, abs(Jt[i, i]))
                if h * factor * norm < 3.0:
                    for i in range(n):
                        g[i] = 0.0
                    for j in range(n):
                        for i in range(n):
                            g[i] += abs(Jt[j, i])
                    for i in range(n):
                        norm = max(norm, g[i])
                if h * factor * norm < 3.0:
                    nonstiff_count += 1
                    switch = nonstiff_count >= NONSTIFF_AFTER
                else:
                    nonstiff_count = 0
            have_jacobian = False
        end = r
        while end < n_out and times[end] <= t_new:
            end += 1
        if end > r:  # record the step for its rows
            if recorded == capacity:
                capacity *= 2
                step_t = _grow(step_t, capacity)
                step_inv_h = _grow(step_inv_h, capacity)
                step_top = _grow(step_top, capacity)
                step_y = _grow(step_y, capacity)
                step_coef = _grow(step_coef, capacity)
            step_t[recorded] = t
            step_inv_h[recorded] = 1.0 / h
            step_y[recorded] = y
            step_coef[recorded] = coef
            top = -1  # the increments do not sum to zero: renormalise clipped rows
            if not implicit or analytic_jacobian:
                top = 0
                for i in range(k):
                    if y[i] > y[top]:
                        top = i
            step_top[recorded] = top
            for q in range(r, end):
                row_step[q] = recorded
            recorded += 1
            r = end
        t = t_new
        for i in range(n):
            y[i] = yn[i]
        project(y, k)
        rhs(model, y, A, At, params, Q, mutate, f, k1)  # FSAL, recomputed on the projected state
        if rest_tol > 0.0 and r < n_out and at_rest(y, k1, rest_tol):
            for rr in range(r, n_out):
                out[rr, :] = y
            status = AT_REST
            break
        h *= factor
        if switch:
            implicit = not implicit
            stiff_count = 0
            nonstiff_count = 0
    if status == MAX_STEPS or status == STEP_TOO_SMALL:
        for rr in range(r, n_out):
            out[rr, :] = np.nan
    if recorded > 0:  # the rows between steps, from the recorded steps' polynomials
        args = (times, row_step, step_t, step_inv_h, step_y, step_coef, step_top, k, out)
        if out.size >= PARALLEL_VALUES:
            _dense_rows_parallel(*args)
        else:
            _dense_rows(0, n_out, *args)
    return status, steps, implicit_steps, t


@jit()
def rk4(model, x0, A, At, params, Q, mutate, times, dt, rest_tol, max_steps, out):
    """Classical Runge--Kutta with step ``dt``, shortened to land on every requested time."""
    k = x0.size
    n_out = times.size
    y = x0.copy()
    project(y, A.shape[0])
    f = np.empty(k)
    k1 = np.empty(k)
    k2 = np.empty(k)
    k3 = np.empty(k)
    k4 = np.empty(k)
    ys = np.empty(k)
    out[0, :] = y
    t = times[0]
    steps = 0
    for r in range(1, n_out):
        while t < times[r]:
            if steps >= max_steps:
                for rr in range(r, n_out):
                    out[rr, :] = np.nan
                return MAX_STEPS, steps, t
            h = min(dt, times[r] - t)
            rhs(model, y, A, At, params, Q, mutate, f, k1)
            if rest_tol > 0.0 and at_rest(y, k1, rest_tol):
                for rr in range(r, n_out):
                    out[rr, :] = y
                return AT_REST, steps, t
            for i in range(k):
                ys[i] = y[i] + 0.5 * h * k1[i]
            rhs(model, ys, A, At, params, Q, mutate, f, k2)
            for i in range(k):
                ys[i] = y[i] + 0.5 * h * k2[i]
            rhs(model, ys, A, At, params, Q, mutate, f, k3)
            for i in range(k):
                ys[i] = y[i] + h * k3[i]
            rhs(model, ys, A, At, params, Q, mutate, f, k4)
            for i in range(k):
                y[i] += h * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) / 6.0
            project(y, A.shape[0])
            t = times[r] if h == times[r] - t else t + h
            steps += 1
        out[r, :] = y
    return DONE, steps, t


@jit()
def discrete(model, x0, A, At, params, steps, out):
    """``x_i' = x_i f_i / sum_j x_j f_j`` for ``steps`` generations; ``out`` has steps+1 rows.

    Fitnesses must be positive (checked by the caller for ``LINEAR``). Returns the number of
    generations computed (fewer than ``steps`` if mean fitness stopped being positive; the
    remaining rows are NaN).
    """
    k = x0.size
    x = x0.copy()
    project(x, A.shape[0])
    f = np.empty(k)
    out[0, :] = x
    for g in range(1, steps + 1):
        fitness(model, x, A, At, params, f)
        phi = 0.0
        for i in range(k):
            phi += x[i] * f[i]
        if not phi > 0.0:
            for rr in range(g, steps + 1):
                out[rr, :] = np.nan
            return g - 1
        for i in range(k):
            x[i] = x[i] * f[i] / phi
        project(x, A.shape[0])
        out[g, :] = x
    return steps
