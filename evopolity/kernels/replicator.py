"""Replicator dynamics of infinite populations: the right-hand side and its integrators.

The fitness of the strategies at state ``x`` is one function, :func:`fitness`, of the state,
the interaction matrix and a flat parameter array, selected by an integer ``model``
(``LINEAR``: ``f = A x``; ``INSTITUTIONS``: the regime of :mod:`kernels.fitness`; ``GROUP``: a
group game's expected payoffs, :mod:`kernels.group`), so every
integrator here serves every model unchanged.

The integrated state ``y`` holds the ``k = A.shape[0]`` strategy frequencies and, after them,
any macro state (the institution's strength ``m``): the frequencies follow the replicator, the
macro state its own law, and only the frequencies are projected on the simplex.

Integrators
-----------
* :func:`dopri5`: adaptive Dormand--Prince 5(4) with the 4th-order continuous extension
  (dense output) at requested times, error control as in Hairer, Norsett & Wanner (1993,
  II.4) and scipy's ``RK45``; stops early at a rest point.
* :func:`rk4`: classical fixed-step Runge--Kutta, stepping onto every requested time.
* :func:`discrete`: the discrete-time replicator ``x_i' = x_i f_i / sum_j x_j f_j``.

After every accepted step the state is projected back on the simplex (negative round-off set
to zero, renormalised), so frequencies never go negative and sum to one to 1e-15.
"""

import math

import numpy as np

from evopolity._numba import jit
from evopolity.kernels.fitness import (  # noqa: F401 - model codes re-exported
    GROUP,
    GROUP_INSTITUTIONS,
    INSTITUTIONS,
    LINEAR,
    group_institution_fitness,
    institution_fitness,
    macro_velocity,
)
from evopolity.kernels.group import group_fitness

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

# status codes returned by the integrators
DONE, AT_REST, MAX_STEPS, STEP_TOO_SMALL = 0, 1, 2, 3


@jit()
def fitness(model, x, A, params, out):
    """Fitness of the ``k = A.shape[0]`` strategies at state ``x`` (writes ``out[:k]``).

    ``model == LINEAR``: ``out = A x`` (``params`` unused); ``INSTITUTIONS``: the regime in
    ``params`` (:func:`kernels.fitness.institution_fitness`); ``GROUP``: the expected payoffs
    of a group game packed in ``params`` (:func:`kernels.group.group_fitness`; ``A`` is a
    k x k placeholder that only gives ``k``).
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
    k = A.shape[0]
    for i in range(k):
        s = 0.0
        for j in range(k):
            s += A[i, j] * x[j]
        out[i] = s


@jit()
def rhs(model, x, A, params, Q, mutate, f, out):
    """Replicator(-mutator) velocity at ``x``; ``f`` is scratch for the fitness vector.

    Without mutation ``dx_i/dt = x_i (f_i - phi)``; with a row-stochastic mutation matrix
    ``Q`` ``dx_i/dt = sum_j x_j f_j Q[j, i] - x_i phi``, where ``phi = sum_j x_j f_j``.
    """
    fitness(model, x, A, params, f)
    k = A.shape[0]
    phi = 0.0
    for j in range(k):
        phi += x[j] * f[j]
    if mutate:
        for i in range(k):
            s = 0.0
            for j in range(k):
                s += x[j] * f[j] * Q[j, i]
            out[i] = s - x[i] * phi
    else:
        for i in range(k):
            out[i] = x[i] * (f[i] - phi)
    if x.size > k:  # the macro state (f is free again: it serves as scratch)
        out[k] = macro_velocity(x, A, params, f)


@jit()
def project(x, k):
    """Frequencies ``x[:k]``: clip round-off negatives and renormalise onto the simplex; a
    macro state after them is clipped to [0, 1]."""
    s = 0.0
    for i in range(k):
        if x[i] < 0.0:
            x[i] = 0.0
        s += x[i]
    for i in range(k):
        x[i] /= s
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
def dopri5(model, x0, A, params, Q, mutate, times, rtol, atol, rest_tol, max_steps, out):
    """Integrate from ``times[0]`` and write the state at every ``times[r]`` into ``out[r]``.

    Returns ``(status, steps, t_reached)``: ``DONE``, ``AT_REST`` (rest point reached; later
    rows hold it), ``MAX_STEPS`` or ``STEP_TOO_SMALL`` (rows not reached are NaN).
    """
    k = x0.size
    n_out = times.size
    y = x0.copy()
    project(y, A.shape[0])
    f = np.empty(k)
    k1 = np.empty(k)
    k2 = np.empty(k)
    k3 = np.empty(k)
    k4 = np.empty(k)
    k5 = np.empty(k)
    k6 = np.empty(k)
    k7 = np.empty(k)
    ys = np.empty(k)
    yn = np.empty(k)
    err = np.empty(k)
    coef = np.empty((k, 4))
    t = times[0]
    t_end = times[n_out - 1]
    out[0, :] = y
    r = 1
    rhs(model, y, A, params, Q, mutate, f, k1)
    if rest_tol > 0.0 and at_rest(y, k1, rest_tol):
        for rr in range(r, n_out):
            out[rr, :] = y
        return AT_REST, 0, t
    # initial step (Hairer, Norsett & Wanner 1993, II.4)
    d0 = 0.0
    d1 = 0.0
    for i in range(k):
        sc = atol + rtol * abs(y[i])
        d0 += (y[i] / sc) ** 2
        d1 += (k1[i] / sc) ** 2
    d0 = math.sqrt(d0 / k)
    d1 = math.sqrt(d1 / k)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    for i in range(k):
        ys[i] = y[i] + h0 * k1[i]
    rhs(model, ys, A, params, Q, mutate, f, k2)
    d2 = 0.0
    for i in range(k):
        sc = atol + rtol * abs(y[i])
        d2 += ((k2[i] - k1[i]) / sc) ** 2
    d2 = math.sqrt(d2 / k) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** 0.2
    h = min(100.0 * h0, h1)
    steps = 0
    while r < n_out:
        if steps >= max_steps:
            for rr in range(r, n_out):
                out[rr, :] = np.nan
            return MAX_STEPS, steps, t
        min_h = 10.0 * abs(np.nextafter(t, np.inf) - t)
        if h < min_h:
            for rr in range(r, n_out):
                out[rr, :] = np.nan
            return STEP_TOO_SMALL, steps, t
        last = t + h >= t_end
        if last:
            h = t_end - t
        for i in range(k):
            ys[i] = y[i] + h * A21 * k1[i]
        rhs(model, ys, A, params, Q, mutate, f, k2)
        for i in range(k):
            ys[i] = y[i] + h * (A31 * k1[i] + A32 * k2[i])
        rhs(model, ys, A, params, Q, mutate, f, k3)
        for i in range(k):
            ys[i] = y[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i])
        rhs(model, ys, A, params, Q, mutate, f, k4)
        for i in range(k):
            ys[i] = y[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i])
        rhs(model, ys, A, params, Q, mutate, f, k5)
        for i in range(k):
            ys[i] = y[i] + h * (
                A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]
            )
        rhs(model, ys, A, params, Q, mutate, f, k6)
        for i in range(k):
            yn[i] = y[i] + h * (B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] + B6 * k6[i])
        rhs(model, yn, A, params, Q, mutate, f, k7)
        for i in range(k):
            err[i] = (
                E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]
            )
        en = _rms_error(y, yn, err, h, rtol, atol)
        steps += 1
        if en > 1.0:
            h *= max(0.2, 0.9 * en**-0.2)
            continue
        t_new = t_end if last else t + h
        # dense output for every requested time in (t, t_new]: the step's interpolation
        # polynomial coefficients once, then k * 4 operations per output time
        if r < n_out and times[r] <= t_new:
            for i in range(k):
                for p in range(4):
                    coef[i, p] = h * (
                        P_DENSE[0, p] * k1[i]
                        + P_DENSE[2, p] * k3[i]
                        + P_DENSE[3, p] * k4[i]
                        + P_DENSE[4, p] * k5[i]
                        + P_DENSE[5, p] * k6[i]
                        + P_DENSE[6, p] * k7[i]
                    )
        while r < n_out and times[r] <= t_new:
            s = (times[r] - t) / h
            for i in range(k):
                out[r, i] = y[i] + s * (
                    coef[i, 0] + s * (coef[i, 1] + s * (coef[i, 2] + s * coef[i, 3]))
                )
            project(out[r], A.shape[0])
            r += 1
        t = t_new
        for i in range(k):
            y[i] = yn[i]
        project(y, A.shape[0])
        rhs(model, y, A, params, Q, mutate, f, k1)  # FSAL, recomputed on the projected state
        if rest_tol > 0.0 and r < n_out and at_rest(y, k1, rest_tol):
            for rr in range(r, n_out):
                out[rr, :] = y
            return AT_REST, steps, t
        factor = 10.0 if en == 0.0 else min(10.0, 0.9 * en**-0.2)
        h *= factor
    return DONE, steps, t


@jit()
def rk4(model, x0, A, params, Q, mutate, times, dt, rest_tol, max_steps, out):
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
            rhs(model, y, A, params, Q, mutate, f, k1)
            if rest_tol > 0.0 and at_rest(y, k1, rest_tol):
                for rr in range(r, n_out):
                    out[rr, :] = y
                return AT_REST, steps, t
            for i in range(k):
                ys[i] = y[i] + 0.5 * h * k1[i]
            rhs(model, ys, A, params, Q, mutate, f, k2)
            for i in range(k):
                ys[i] = y[i] + 0.5 * h * k2[i]
            rhs(model, ys, A, params, Q, mutate, f, k3)
            for i in range(k):
                ys[i] = y[i] + h * k3[i]
            rhs(model, ys, A, params, Q, mutate, f, k4)
            for i in range(k):
                y[i] += h * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) / 6.0
            project(y, A.shape[0])
            t = times[r] if h == times[r] - t else t + h
            steps += 1
        out[r, :] = y
    return DONE, steps, t


@jit()
def discrete(model, x0, A, params, steps, out):
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
        fitness(model, x, A, params, f)
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
