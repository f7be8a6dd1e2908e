"""One step of each of the replicator's schemes, and the step-size controller, on their own.

The test problem is the replicator of ``A = [[1, 1], [0, 0]]``: ``f = (1, 0)``, so
``x' = x (1 - x)`` for the first frequency, the logistic equation, whose solution is
``x(t) = 1 / (1 + (1 / x0 - 1) e^{-t})``. A method of order ``p`` makes a local error
``O(h^{p+1})`` in one step, so halving ``h`` divides it by ``2^{p+1}`` (Hairer, Norsett &
Wanner 1993, II.3): Dormand--Prince has order 5 (error estimate of order 4, dense output of
order 4), RODAS4 order 4 (error estimate of order 3, dense output of order 3; Hairer &
Wanner 1996, IV.7). The controller is ``min(fac_max, max(0.2, 0.9 err^(-1/q)))`` (their
codes DOPRI5 and RODAS).
"""

import math
from types import SimpleNamespace

import numba
import numpy as np
import pytest

from evopolity.kernels import dopri5 as _dopri5
from evopolity.kernels import rodas4 as _rodas4
from evopolity.kernels import velocity
from evopolity.kernels._jit import numba_threads
from evopolity.kernels.stepping import MIN_FACTOR, SAFETY, step_factor


def callable_from_python(kernel):
    """A compiled copy of a kernel called from compiled code only (``velocity.INTERNAL``: it
    has no wrapper for Python), with one; not cached, so that it never stands in the
    kernel's own cache entry."""
    options = {key: value for key, value in kernel.targetoptions.items()
               if key not in velocity.INTERNAL and key != "nopython"}  # fmt: skip
    options["cache"] = False
    return numba.njit(**options)(kernel.py_func)


rhs = callable_from_python(velocity.rhs)
dopri5 = SimpleNamespace(**{name: callable_from_python(getattr(_dopri5, name))
                            for name in ("step", "dense", "looks_stiff")})  # fmt: skip
rodas4 = SimpleNamespace(**{name: callable_from_python(getattr(_rodas4, name))
                            for name in ("jacobian", "factor", "step", "dense",
                                         "explicit_would_be_stable")})  # fmt: skip

A = np.array([[1.0, 1.0], [0.0, 0.0]])
PROBLEM = (0, A, np.ascontiguousarray(A.T), np.zeros(0), np.eye(2), False)
X0 = 0.2


def logistic(t, x0=X0):
    return 1.0 / (1.0 + (1.0 / x0 - 1.0) * math.exp(-t))


def start(x0=X0):
    y = np.array([x0, 1.0 - x0])
    K = tuple(np.zeros(2) for _ in range(7))
    f = np.empty(2)
    rhs(PROBLEM, y, f, K[0])
    return y, K, f


def polynomial(y, coef, s):
    """The dense output of a step at s in [0, 1] (kernels.dense_rows.write_rows)."""
    return y + s * (coef[0] + s * (coef[1] + s * (coef[2] + s * coef[3])))


def dopri5_step(h):
    y, K, f = start()
    ys, yn, err = np.empty(2), np.empty(2), np.empty(2)
    en = dopri5.step(PROBLEM, y, h, K, ys, yn, err, f, 1.0, 1.0)
    coef = np.empty((4, 2))
    dopri5.dense(K, h, coef)
    return yn, h * np.abs(err).max(), polynomial(y, coef, 0.5), en


def rodas4_step(h):
    y, K, f = start()
    g, Jt, Wt = np.empty(2), np.empty((2, 2)), np.empty((2, 2))
    piv = np.empty(2, np.int64)
    rodas4.jacobian(PROBLEM, y, K[0], f, g, Jt)
    assert rodas4.factor(Jt, h, Wt, piv)
    ys, yn = np.empty(2), np.empty(2)
    en = rodas4.step(PROBLEM, y, h, K, ys, yn, Wt, piv, f, 1.0, 1.0)
    coef = np.empty((4, 2))
    rodas4.dense(K, y, yn, coef)
    return yn, np.abs(K[6]).max(), polynomial(y, coef, 0.5), en


def orders(step, hs):
    """log2 of the ratios of successive errors (step, error estimate, dense output at h/2)."""
    rows = []
    for h in hs:
        yn, estimate, mid, _ = step(h)
        rows.append((abs(yn[0] - logistic(h)), estimate, abs(mid[0] - logistic(h / 2))))
    rows = np.array(rows)
    return np.log2(rows[:-1] / rows[1:])


def test_dopri5_orders():
    # steps small enough to be in the asymptotic range, large enough to stay above round-off
    slopes = orders(dopri5_step, [0.1, 0.05, 0.025])
    np.testing.assert_allclose(slopes[:, 0], 6.0, atol=0.35)  # order 5: local error h^6
    np.testing.assert_allclose(slopes[:, 1], 5.0, atol=0.35)  # estimate of order 4
    np.testing.assert_allclose(slopes[:, 2], 5.0, atol=0.35)  # dense output of order 4


def test_rodas4_orders():
    slopes = orders(rodas4_step, [0.05, 0.025, 0.0125])
    np.testing.assert_allclose(slopes[:, 0], 5.0, atol=0.35)  # order 4: local error h^5
    np.testing.assert_allclose(slopes[:, 1], 4.0, atol=0.35)  # estimate of order 3
    np.testing.assert_allclose(slopes[:, 2], 4.0, atol=0.35)  # dense output of order 3


@pytest.mark.parametrize("step", [dopri5_step, rodas4_step])
def test_a_step_keeps_the_frequencies_summing_to_one(step):
    # the velocities (and the columns of RODAS4's analytic Jacobian) sum to zero, so the
    # step and its dense output stay on the line x1 + x2 = 1
    yn, _, mid, en = step(0.3)
    assert 0.0 < en < 1.0  # rtol = atol = 1: a step this small passes
    assert yn.sum() == pytest.approx(1.0, abs=1e-15)
    assert mid.sum() == pytest.approx(1.0, abs=1e-15)
    assert yn[0] == pytest.approx(logistic(0.3), abs=1e-5)


def test_the_stiffness_test_estimates_h_lambda():
    # near the vertex e_0 of A = [[0, 0], [-lam, -lam]] the minority decays at rate lam:
    # dx2/dt = x2 (-lam - phi), phi = -lam x2. DOPRI5 flags h lam beyond 3.25
    lam = 10.0
    B = np.array([[0.0, 0.0], [-lam, -lam]])
    problem = (0, B, np.ascontiguousarray(B.T), np.zeros(0), np.eye(2), False)
    for h_lambda, stiff in ((1.0, False), (2.5, False), (4.0, True), (6.0, True)):
        y = np.array([1.0 - 1e-6, 1e-6])
        K = tuple(np.zeros(2) for _ in range(7))
        f = np.empty(2)
        rhs(problem, y, f, K[0])
        ys, yn, err = np.empty(2), np.empty(2), np.empty(2)
        h = h_lambda / lam
        dopri5.step(problem, y, h, K, ys, yn, err, f, 1.0, 1.0)
        assert dopri5.looks_stiff(K, ys, yn, h) == stiff, h_lambda


def test_explicit_stability_uses_the_infinity_norm():
    # J = [[-2, 1], [0.5, -1]]: ||J||_inf = 3 (row sums of |J|), held transposed
    Jt = np.ascontiguousarray(np.array([[-2.0, 1.0], [0.5, -1.0]]).T)
    g = np.empty(2)
    assert rodas4.explicit_would_be_stable(Jt, 0.99, g)  # 0.99 * 3 < 3
    assert not rodas4.explicit_would_be_stable(Jt, 1.01, g)
    # the diagonal alone (2) would pass at h = 1.2; the full norm does not
    assert not rodas4.explicit_would_be_stable(Jt, 1.2, g)


def test_step_factor():
    # 0.9 err^(-1/5) within [0.2, 10]; 0.9 err^(-1/4) within [0.2, 6]
    assert step_factor(1.0, 0.2, 10.0) == pytest.approx(SAFETY)
    assert step_factor(32.0, 0.2, 10.0) == pytest.approx(0.45)  # 32^(-1/5) = 1/2
    assert step_factor(16.0, 0.25, 6.0) == pytest.approx(0.45)  # 16^(-1/4) = 1/2
    assert step_factor(1e-10, 0.2, 10.0) == 10.0  # 0.9 * 100 capped
    assert step_factor(1e-10, 0.25, 6.0) == 6.0
    assert step_factor(0.0, 0.25, 6.0) == 6.0  # an exact step
    assert step_factor(1e6, 0.2, 10.0) == MIN_FACTOR  # 0.9 / 15.8 < 0.2
    assert step_factor(math.inf, 0.2, 10.0) == MIN_FACTOR
    assert step_factor(math.nan, 0.2, 10.0) == MIN_FACTOR  # a blown-up step
    errs = np.logspace(-8, 8, 50)
    factors = [step_factor(e, 0.2, 10.0) for e in errs]
    assert all(a >= b for a, b in zip(factors, factors[1:], strict=False))


def test_numba_threads_sets_and_restores():
    before = numba.get_num_threads()
    with numba_threads(1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with pytest.raises(RuntimeError), numba_threads(1):
        raise RuntimeError("restored even so")
    assert numba.get_num_threads() == before
    with numba_threads(None):  # None: left alone
        assert numba.get_num_threads() == before
    with numba_threads(10**6):  # at most the threads numba started
        assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS
    assert numba.get_num_threads() == before
