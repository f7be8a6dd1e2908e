"""One step of the Dormand--Prince 5(4) method, its error, its dense output, its stiffness test.

The explicit scheme of :func:`kernels.replicator.integrate`: the 5th-order solution with the
embedded 4th-order error estimate of Dormand & Prince (1980), "first same as last" (the last
stage is the velocity at the new state), and a 4th-order continuous extension (Shampine
1986, "Some practical Runge-Kutta formulas", Math. Comp. 46; the one of scipy's ``RK45``). The
error control is that of Hairer, Norsett & Wanner (1993), II.4, the stiffness test that of
their code DOPRI5 (Hairer & Wanner 1996, IV.2).

The seven stage velocities live in one tuple ``K = (k1, ..., k7)``; ``k1`` is the velocity at
the step's start, ``k7`` at its end.
"""

import math

import numpy as np

from evopolity.kernels._jit import jit
from evopolity.kernels.stepping import rms_error
from evopolity.kernels.velocity import INTERNAL, rhs

# the tableau (Dormand & Prince 1980). Its nodes c_i are left out: the replicator does not
# depend on time
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

# the controller's constants for this method (kernels.stepping): the error estimate is of
# order 4, so err ~ h^5 (exponent 1/5); DOPRI5's FAC2 lets a step grow at most 10x
EXPONENT = 0.2
MAX_FACTOR = 10.0
# the stiffness test of DOPRI5: h |lambda| estimated from the last two stages beyond this
# value sits at the edge of the method's stability region (about 3.3 along the negative
# real axis)
STIFF_H_LAMBDA = 3.25


@jit(refcount=False, **INTERNAL)
def step(problem, y, h, K, ys, yn, err, f, rtol, atol):
    """A step of size ``h`` from ``y`` (velocity ``K[0]``) to ``yn``; fills ``K[1:]``, the
    last stage position in ``ys`` and the error estimate's velocity in ``err``.

    Returns
    -------
    float
        The RMS error (:func:`kernels.stepping.rms_error`): accept the step if it is <= 1.
    """
    k1, k2, k3, k4, k5, k6, k7 = K
    n = y.size
    for i in range(n):
        ys[i] = y[i] + h * A21 * k1[i]
    rhs(problem, ys, f, k2)
    for i in range(n):
        ys[i] = y[i] + h * (A31 * k1[i] + A32 * k2[i])
    rhs(problem, ys, f, k3)
    for i in range(n):
        ys[i] = y[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i])
    rhs(problem, ys, f, k4)
    for i in range(n):
        ys[i] = y[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i])
    rhs(problem, ys, f, k5)
    for i in range(n):
        ys[i] = y[i] + h * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i])
    rhs(problem, ys, f, k6)
    for i in range(n):
        yn[i] = y[i] + h * (B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] + B6 * k6[i])
    rhs(problem, yn, f, k7)
    for i in range(n):
        err[i] = E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]
    return rms_error(y, yn, err, h, rtol, atol)


@jit(inline="always", refcount=False)
def looks_stiff(K, ys, yn, h):
    """DOPRI5's test after an accepted step: ``h |lambda|``, with ``|lambda|`` estimated as
    ``|k7 - k6| / |yn - ys|`` (the last two stages are at nearby points), beyond
    ``STIFF_H_LAMBDA``."""
    k6 = K[5]
    k7 = K[6]
    num = 0.0
    den = 0.0
    for i in range(yn.size):
        dk = k7[i] - k6[i]  # products, not ** 2: numba compiles a power for seconds
        dy = yn[i] - ys[i]
        num += dk * dk
        den += dy * dy
    return den > 0.0 and h * math.sqrt(num / den) > STIFF_H_LAMBDA


@jit(inline="always", refcount=False)
def dense(K, h, coef):
    """The step's continuous extension, ``y(t + s h) = y + s (c0 + s (c1 + s (c2 + s c3)))``:
    ``coef[p] = h sum_stage P_DENSE[stage, p] K[stage]``."""
    k1, _, k3, k4, k5, k6, k7 = K
    n = k1.size
    for p in range(4):  # p outside: the loop over components vectorises
        b1 = h * P_DENSE[0, p]
        b3 = h * P_DENSE[2, p]
        b4 = h * P_DENSE[3, p]
        b5 = h * P_DENSE[4, p]
        b6 = h * P_DENSE[5, p]
        b7 = h * P_DENSE[6, p]
        for i in range(n):
            coef[p, i] = (
                b1 * k1[i] + b3 * k3[i] + b4 * k4[i] + b5 * k5[i] + b6 * k6[i] + b7 * k7[i]
            )
