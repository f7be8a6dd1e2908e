"""The largest Lyapunov exponent of the replicator, by two nearby trajectories.

Benettin, Galgani, Giorgilli & Strelcyn (1980, Meccanica 15: 9): integrate a reference
trajectory ``y`` and a companion ``z = y + d0 u`` (``|u| = 1``); every ``renorm`` time units
add ``ln(|z - y| / d0)`` to a sum and pull ``z`` back to distance ``d0`` along ``z - y``. The
sum over the time spanned is the largest exponent (the growth rate of a generic small
perturbation). Both trajectories take the same fixed classical Runge--Kutta steps over the
right-hand side of :mod:`kernels.velocity` (any fitness model, mutation, a macro state), so
the step's error is common to both and cancels to first order.
"""

import math

from evopolity.kernels._jit import jit
from evopolity.kernels.codes import GROUP, GROUP_INSTITUTIONS, INSTITUTIONS, LINEAR
from evopolity.kernels.velocity import project, rhs


@jit()
def _rk4_step(problem, y, dt, f, k1, k2, k3, k4, ys):
    """One classical Runge--Kutta step of ``y`` (in place), projected on the simplex."""
    n = y.size
    rhs(problem, y, f, k1)
    for i in range(n):
        ys[i] = y[i] + 0.5 * dt * k1[i]
    rhs(problem, ys, f, k2)
    for i in range(n):
        ys[i] = y[i] + 0.5 * dt * k2[i]
    rhs(problem, ys, f, k3)
    for i in range(n):
        ys[i] = y[i] + dt * k3[i]
    rhs(problem, ys, f, k4)
    for i in range(n):
        y[i] += dt * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) / 6.0
    project(y, problem[1].shape[0])


@jit(inline="always")
def _largest_exponent(model, y0, A, At, params, Q, mutate, u, d0, dt, transient, span, renorm,
                      y_end):  # fmt: skip
    """Benettin's estimate of the largest exponent from ``y0``.

    ``u``: the unit direction of the first perturbation (tangent to the simplex); ``d0``:
    the separation kept; ``dt``: the step; ``transient``: time integrated before measuring;
    ``span``: the time measured over; ``renorm``: the time between renormalisations.
    ``y_end`` receives the reference state at the end. Returns the exponent (per unit time),
    or NaN when the two trajectories collapse onto each other exactly (a separation of 0:
    the perturbation was absorbed, e.g. on a face) or the state stops being finite.
    """
    problem = (model, A, At, params, Q, mutate)
    n = y0.size
    y = y0.copy()
    z = y0.copy()
    f = y0.copy()
    k1 = y0.copy()
    k2 = y0.copy()
    k3 = y0.copy()
    k4 = y0.copy()
    ys = y0.copy()
    steps = int(math.ceil(transient / dt)) if transient > 0.0 else 0
    for _ in range(steps):
        _rk4_step(problem, y, dt, f, k1, k2, k3, k4, ys)
    for i in range(n):
        z[i] = y[i] + d0 * u[i]
    project(z, A.shape[0])
    per = max(1, int(round(renorm / dt)))
    rounds = max(1, int(math.ceil(span / (per * dt))))
    total = 0.0
    for _ in range(rounds):
        for _ in range(per):
            _rk4_step(problem, y, dt, f, k1, k2, k3, k4, ys)
            _rk4_step(problem, z, dt, f, k1, k2, k3, k4, ys)
        d = 0.0
        for i in range(n):
            d += (z[i] - y[i]) ** 2
        d = math.sqrt(d)
        if not (d > 0.0) or not math.isfinite(d):
            for i in range(n):
                y_end[i] = y[i]
            return math.nan
        total += math.log(d / d0)
        for i in range(n):
            z[i] = y[i] + (z[i] - y[i]) * (d0 / d)
    for i in range(n):
        y_end[i] = y[i]
    return total / (rounds * per * dt)


def _estimator(model):
    """:func:`_largest_exponent` compiled for one fitness model (a constant here, as in
    :func:`kernels.replicator._explicit_loop`)."""

    def estimate(y0, A, At, params, Q, mutate, u, d0, dt, transient, span, renorm, y_end):
        return _largest_exponent(model, y0, A, At, params, Q, mutate, u, d0, dt, transient,
                                 span, renorm, y_end)  # fmt: skip

    return jit()(estimate)


_ESTIMATORS = {model: _estimator(model) for model in (LINEAR, INSTITUTIONS, GROUP,
                                                      GROUP_INSTITUTIONS)}  # fmt: skip


def largest_exponent(model, y0, A, At, params, Q, mutate, u, d0, dt, transient, span, renorm,
                     y_end):  # fmt: skip
    """Benettin's estimate of the largest exponent from ``y0`` (:func:`_largest_exponent`),
    by the estimator compiled for ``model``."""
    return _ESTIMATORS[model](y0, A, At, params, Q, mutate, u, d0, dt, transient, span, renorm,
                              y_end)  # fmt: skip
