"""Step-size control of the replicator's adaptive integrators (Dormand--Prince, RODAS4).

Both schemes estimate the local error of a step with an embedded solution, measure it in the
weighted RMS norm :func:`rms_error` (``1`` is "exactly at the tolerance") and scale the step by
:func:`step_factor`, the controller of Hairer's codes DOPRI5 and RODAS (Hairer, Norsett &
Wanner 1993, II.4; Hairer & Wanner 1996, IV.8): ``h_new = h * min(FAC2, max(FAC1, SAFE *
err^(-1/q)))`` with ``q`` the order of the error estimate plus one. The first step comes from
:func:`initial_step` (Hairer, Norsett & Wanner 1993, II.4, "Starting step size"; scipy's
``select_initial_step`` is the same algorithm).
"""

import math

from evopolity.kernels._jit import jit
from evopolity.kernels.velocity import INTERNAL, rhs

# the controller (SAFE and FAC1 of DOPRI5 and RODAS, which agree): aim at a step a little
# shorter than the error estimate allows, and shrink at most 5x per try
SAFETY = 0.9
MIN_FACTOR = 0.2

# the starting step (Hairer, Norsett & Wanner 1993, II.4): a first guess of 1% of the state's
# scale over the velocity's, a floor of 1e-6 when either is negligible (below 1e-5), and a
# second guess such that the step's second-order term is 1% of the tolerance, at most
# 100 times the first
INITIAL_FRACTION = 0.01
INITIAL_NEGLIGIBLE = 1e-5
INITIAL_FLOOR = 1e-6
INITIAL_FLAT = 1e-15  # velocity and its change this small: no curvature to scale the step by
INITIAL_FLAT_SHRINK = 1e-3
INITIAL_GROWTH = 100.0
INITIAL_EXPONENT = 0.2  # 1 / (p + 1) for the 4th-order error estimate of Dormand--Prince


@jit(inline="always")
def step_factor(err, exponent, max_factor):
    """Factor of the next step after a step with error ``err`` (RMS, 1 = at tolerance).

    ``SAFETY * err^(-exponent)`` kept within ``[MIN_FACTOR, max_factor]``; ``max_factor`` for
    an exact step (``err = 0``), ``MIN_FACTOR`` for a blown-up one (``err`` infinite or NaN).
    """
    if err == 0.0:
        return max_factor
    if not err < math.inf:
        return MIN_FACTOR
    return min(max_factor, max(MIN_FACTOR, SAFETY * err**-exponent))


@jit(inline="always")
def rms_error(y0, y1, err, h, rtol, atol):
    """``sqrt(mean((h err_i / (atol + rtol max(|y0_i|, |y1_i|)))^2))``: the local error
    ``h err`` of the step from ``y0`` to ``y1`` against the tolerance."""
    s = 0.0
    for i in range(y0.size):
        sc = atol + rtol * max(abs(y0[i]), abs(y1[i]))
        e = h * err[i] / sc
        s += e * e
    return math.sqrt(s / y0.size)


@jit(refcount=False, **INTERNAL)
def initial_step(problem, y, dy, dy1, ys, f, rtol, atol):
    """The first step from ``y`` where the velocity is ``dy`` (``dy1``, ``ys``, ``f``
    scratch), as in Hairer, Norsett & Wanner (1993), II.4."""
    n = y.size
    d0 = 0.0
    d1 = 0.0
    for i in range(n):
        sc = atol + rtol * abs(y[i])
        u = y[i] / sc  # products, not ** 2: the same numbers, and numba compiles a power slowly
        v = dy[i] / sc
        d0 += u * u
        d1 += v * v
    d0 = math.sqrt(d0 / n)
    d1 = math.sqrt(d1 / n)
    if d0 < INITIAL_NEGLIGIBLE or d1 < INITIAL_NEGLIGIBLE:
        h0 = INITIAL_FLOOR
    else:
        h0 = INITIAL_FRACTION * d0 / d1
    for i in range(n):  # an explicit Euler step, to see how fast the velocity changes
        ys[i] = y[i] + h0 * dy[i]
    rhs(problem, ys, f, dy1)
    d2 = 0.0
    for i in range(n):
        sc = atol + rtol * abs(y[i])
        u = (dy1[i] - dy[i]) / sc
        d2 += u * u
    d2 = math.sqrt(d2 / n) / h0
    if d1 <= INITIAL_FLAT and d2 <= INITIAL_FLAT:
        h1 = max(INITIAL_FLOOR, h0 * INITIAL_FLAT_SHRINK)
    else:
        h1 = (INITIAL_FRACTION / max(d1, d2)) ** INITIAL_EXPONENT
    return min(INITIAL_GROWTH * h0, h1)
