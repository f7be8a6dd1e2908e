"""One step of the Rosenbrock method RODAS4: its Jacobian, its matrix, its stages, its dense output.

The implicit scheme of :func:`kernels.replicator.integrate`: the L-stable, stiffly accurate
RODAS4 with its 3rd-order continuous extension (Hairer & Wanner 1996, IV.7; the coefficients
of their code ``RODAS``), in the form ``(I / (gamma h) - J) u_i = f(y + sum_j a_ij u_j) +
sum_j (c_ij / h) u_j``. Stage 6 is evaluated at ``y1 - u6``, ``y1 = y + sum_j a_5j u_j + u5 +
u6`` (stiffly accurate), and ``u6`` is the error estimate.

The stage increments ``u1..u6`` live in ``K[1:]`` (``K = (k1, ..., k7)`` as for
:mod:`kernels.dopri5`, ``k1`` the velocity at the step's start). The matrix
``W = I / (gamma h) - J`` is factored once per step (:mod:`kernels.linalg`), the Jacobian
computed once per accepted state.
"""

import numpy as np

from evopolity.kernels._jit import jit
from evopolity.kernels.linalg import lu_factor_transposed, lu_solve_transposed
from evopolity.kernels.stepping import rms_error
from evopolity.kernels.velocity import INTERNAL, jacobian_transposed, rhs

# the tableau (Hairer & Wanner 1996, IV.7, Table 7.2, as in RODAS)
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

# the controller's constants for this method (kernels.stepping): the error estimate is of
# order 3, so err ~ h^4 (exponent 1/4); RODAS's FAC2 lets a step grow at most 6x
EXPONENT = 0.25
MAX_FACTOR = 6.0
# Dormand--Prince is stable for h |lambda| up to about 3.3 along the negative real axis (its
# stiffness test, kernels.dopri5, fires at 3.25): the explicit method is deemed stable at
# h ||J||_inf below this, a margin under that edge
EXPLICIT_STABLE = 3.0


@jit(refcount=False, **INTERNAL)
def jacobian(problem, y, dy, f, g, Jt):
    """``Jt`` = the Jacobian at ``y`` (velocity ``dy``), transposed
    (:func:`kernels.velocity.jacobian_transposed`), with the columns of absent strategies
    decoupled when there is no mutation.

    An absent strategy stays absent (``x_i = 0`` is invariant), but a pivoted solve mixes its
    row with others and leaves ~1e-20 in ``u_i``, from which it would grow. Its row of ``J`` is
    zero off the diagonal already; zeroing its column too decouples it exactly (``u_i = 0`` in
    every stage, so the column multiplies nothing: the method is unchanged).
    """
    jacobian_transposed(problem, y, dy, f, g, Jt)
    mutate = problem[5]
    if mutate:
        return
    k = problem[1].shape[0]
    n = y.size
    for i in range(k):
        if y[i] == 0.0:
            for j in range(n):
                if j != i:
                    Jt[i, j] = 0.0


@jit(refcount=False, **INTERNAL)
def factor(Jt, h, Wt, piv):
    """Factor ``W = I / (gamma h) - J`` (held transposed in ``Wt``, pivots in ``piv``);
    False if a pivot is exactly zero."""
    n = Jt.shape[0]
    diag = 1.0 / (R_GAMMA * h)
    for j in range(n):
        for i in range(n):
            Wt[j, i] = -Jt[j, i]
        Wt[j, j] += diag
    return lu_factor_transposed(Wt, piv)


@jit(refcount=False, **INTERNAL)
def step(problem, y, h, K, ys, yn, Wt, piv, f, rtol, atol):
    """A step of size ``h`` from ``y`` (velocity ``K[0]``) to ``yn`` with the factored
    ``W`` of :func:`factor`; the stage increments go to ``K[1:]``, ``u6`` (``K[6]``) being
    the error estimate.

    Returns
    -------
    float
        The RMS error (:func:`kernels.stepping.rms_error`): accept the step if it is <= 1.
    """
    k1, k2, k3, k4, k5, k6, k7 = K
    n = y.size
    inv_h = 1.0 / h
    for i in range(n):
        k2[i] = k1[i]
    lu_solve_transposed(Wt, piv, k2)
    for i in range(n):
        ys[i] = y[i] + R_A21 * k2[i]
    rhs(problem, ys, f, k3)
    for i in range(n):
        k3[i] += inv_h * R_C21 * k2[i]
    lu_solve_transposed(Wt, piv, k3)
    for i in range(n):
        ys[i] = y[i] + R_A31 * k2[i] + R_A32 * k3[i]
    rhs(problem, ys, f, k4)
    for i in range(n):
        k4[i] += inv_h * (R_C31 * k2[i] + R_C32 * k3[i])
    lu_solve_transposed(Wt, piv, k4)
    for i in range(n):
        ys[i] = y[i] + R_A41 * k2[i] + R_A42 * k3[i] + R_A43 * k4[i]
    rhs(problem, ys, f, k5)
    for i in range(n):
        k5[i] += inv_h * (R_C41 * k2[i] + R_C42 * k3[i] + R_C43 * k4[i])
    lu_solve_transposed(Wt, piv, k5)
    for i in range(n):
        ys[i] = y[i] + R_A51 * k2[i] + R_A52 * k3[i] + R_A53 * k4[i] + R_A54 * k5[i]
    rhs(problem, ys, f, k6)
    for i in range(n):
        k6[i] += inv_h * (R_C51 * k2[i] + R_C52 * k3[i] + R_C53 * k4[i] + R_C54 * k5[i])
    lu_solve_transposed(Wt, piv, k6)
    for i in range(n):
        ys[i] += k6[i]
    rhs(problem, ys, f, k7)
    for i in range(n):
        k7[i] += inv_h * (
            R_C61 * k2[i] + R_C62 * k3[i] + R_C63 * k4[i] + R_C64 * k5[i] + R_C65 * k6[i]
        )
    lu_solve_transposed(Wt, piv, k7)
    for i in range(n):
        yn[i] = ys[i] + k7[i]
    return rms_error(y, yn, k7, 1.0, rtol, atol)


@jit(refcount=False, **INTERNAL)
def dense(K, y, yn, coef):
    """The step's continuous extension in the form of :func:`kernels.dopri5.dense`:
    ``y(s) = (1 - s) y + s (yn + (1 - s) (d1 + s d2))`` with ``d = R_H u``, expanded in
    powers of ``s`` (``coef[3] = 0``: the extension is cubic)."""
    _, k2, k3, k4, k5, k6, _ = K
    for i in range(y.size):
        a = (
            R_H[0, 0] * k2[i] + R_H[0, 1] * k3[i] + R_H[0, 2] * k4[i] + R_H[0, 3] * k5[i]
            + R_H[0, 4] * k6[i]
        )  # fmt: skip
        b = (
            R_H[1, 0] * k2[i] + R_H[1, 1] * k3[i] + R_H[1, 2] * k4[i] + R_H[1, 3] * k5[i]
            + R_H[1, 4] * k6[i]
        )  # fmt: skip
        coef[0, i] = yn[i] - y[i] + a
        coef[1, i] = b - a
        coef[2, i] = -b
        coef[3, i] = 0.0


@jit(refcount=False, **INTERNAL)
def explicit_would_be_stable(Jt, h, g):
    """Whether Dormand--Prince would be stable at step ``h``: ``h ||J||_inf <
    EXPLICIT_STABLE``, the norm bounded from below by the diagonal first and computed in full
    (row sums into ``g``) only if that bound passes."""
    n = Jt.shape[0]
    norm = 0.0
    for i in range(n):
        norm = max(norm, abs(Jt[i, i]))
    if h * norm < EXPLICIT_STABLE:
        for i in range(n):
            g[i] = 0.0
        for j in range(n):
            for i in range(n):
                g[i] += abs(Jt[j, i])
        for i in range(n):
            norm = max(norm, g[i])
    return h * norm < EXPLICIT_STABLE
