"""The replicator's right-hand side: fitness, velocity, Jacobian, and the simplex.

The fitness of the strategies at state ``x`` is one function, :func:`fitness`, of the state,
the interaction matrix and a flat parameter array, selected by an integer ``model``
(:mod:`kernels.codes`; ``LINEAR``: ``f = A x``; ``INSTITUTIONS``: the regime of
:mod:`kernels.fitness`; ``GROUP``: a group game's expected payoffs, :mod:`kernels.group`), so
every integrator serves every model unchanged. ``At`` is ``A`` transposed (C order): the
``LINEAR`` model reads it row by row (:func:`linear_fitness`), a loop numba vectorises, where
the textbook ``sum_j A[i, j] x[j]`` waits on each addition in turn (2x slower at k = 50).

The integrators carry the problem as one tuple, ``problem = (model, A, At, params, Q,
mutate)`` (:func:`rhs`). They make ``model`` a compile-time constant (one compiled entry per
model, :mod:`kernels.replicator`), which numba types as a literal: :func:`model_fitness` and
:func:`model_macro` then compile that model's code alone, rather than every model at every
stage (docs/performance.md, on compile time). With a model known only at run time they
dispatch on it.

The integrated state ``y`` holds the ``k = A.shape[0]`` strategy frequencies and, after them,
any macro state (the institution's strength ``m``; :func:`kernels.layout.integrated_state`):
the frequencies follow the replicator, the macro state its own law, and only the frequencies
are projected on the simplex.

The mean fitness in the right-hand side is ``phi = sum_j x_j f_j / sum_j x_j``. On the simplex
that is the usual ``x . f``; off it (inside a step) it makes ``d(sum x)/dt = 0`` exactly, where
``x . f`` would give ``phi (1 - sum x)``, a direction that is unstable whenever ``phi < 0``
and would make the implicit stages' matrix singular at ``h = -1 / (gamma phi)``.
"""

import math

import numpy as np
from numba import types
from numba.extending import overload

from evopolity.kernels._jit import jit
from evopolity.kernels.codes import (
    FITNESS_WEIGHTED,
    GROUP,
    GROUP_INSTITUTIONS,
    INDEPENDENT,
    INSTITUTIONS,
    LINEAR,
)
from evopolity.kernels.fitness import (
    eight_rows,
    group_institution_fitness,
    institution_fitness,
    macro_rate,
    macro_velocity,
    plain_regime,
    row_dot,
)
from evopolity.kernels.group import group_fitness
from evopolity.kernels.layout import (
    regime_coevolves,
    regime_matrix_start,
    regime_sanction_count,
    regime_terms,
)

# a present strategy growing at a per-capita rate above this is an invader on its way, not
# part of a rest point (:func:`at_rest`)
REST_GROWTH = 1e-6
# forward-difference increments of the Jacobian, sqrt(UROUND max(JAC_FLOOR, |y_j|)): the
# choice of Hairer's codes (RODAS, RADAU5: DELT = SQRT(UROUND * MAX(1.D-5, ABS(YSAFE))))
UROUND = 1e-16
JAC_FLOOR = 1e-5
# options of the kernels called from compiled code only: numba then generates neither the
# wrapper that makes a function callable from Python nor the one that makes it a first-class
# function (~15% of the replicator's cold compile). Tests call them through compiled copies
# (tests/test_kernel_steps.py).
INTERNAL = {"no_cpython_wrapper": True, "no_cfunc_wrapper": True}
# a frequency below this is extinct: set to 0 on projection, before it decays into subnormal
# numbers, whose arithmetic is ~60x slower (one right-hand side at k = 50 took 18 us instead
# of 0.3 us; docs/performance.md). Far below anything a population holds, and far enough
# above the smallest normal double (2.2e-308) that a frequency times a rate stays normal.
EXTINCT = 1e-300


@jit(refcount=False, fastmath={"contract"}, **INTERNAL)
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


# a regime that kernels.fitness.plain_regime accepts, with its matrices folded in Python
# (:func:`fold_regime`): the integrators' refinement of INSTITUTIONS, chosen by
# kernels.replicator (never by the Python layer, never at run time)
FOLDED_INSTITUTIONS = 101


def fold_regime(model, A, At, params):
    """The integrators' ``(model, At)`` for ``model``: a regime that
    :func:`kernels.fitness.plain_regime` accepts becomes :data:`FOLDED_INSTITUTIONS` with its
    matrices folded into one array (C order) for :func:`folded_fitness`; anything else is
    returned unchanged.

    Before the tax every fitness is ``v_i = (A x)_i + s alpha (E x)_i - s beta``: ``E = C``
    with ``alpha = q (F + B)`` and ``beta = q F + kappa`` (``alpha = q (B - F)`` and ``beta =
    kappa`` for a captured institution), or the played sanctions ``E = S`` (plus
    ``S_reward``) with ``alpha = 1`` and ``beta = kappa``. A fixed institution (``s = 1``)
    folds ``A + alpha E`` into one matrix, held transposed: one matrix-vector product along
    its rows, as the bare game (:func:`linear_fitness`). A co-evolving one stacks the rows of
    ``A``, ``E`` and, for its support ``x . C x`` when ``E`` is not ``C``, ``C``.
    """
    if model != INSTITUTIONS or not plain_regime.py_func(params):
        return model, At
    k = A.shape[0]
    fine, detection, reward, _, _, _, _, _, _, captured, _ = regime_terms.py_func(params)
    played = regime_sanction_count.py_func(params)

    def matrix(which):  # as layout.regime_cooperation and regime_sanctions, without compiling
        start = regime_matrix_start.py_func(k, which)
        return params[start : start + k * k].reshape((k, k))

    if played:
        alpha, E = 1.0, sum(matrix(1 + w) for w in range(played))
    else:
        alpha = detection * ((reward - fine) if captured else (fine + reward))
        E = matrix(0)
    if not regime_coevolves.py_func(params):
        return FOLDED_INSTITUTIONS, np.ascontiguousarray((A + alpha * E).T)
    stack = [A, E] + ([matrix(0)] if played else [])
    return FOLDED_INSTITUTIONS, np.ascontiguousarray(np.concatenate(stack))


@jit(refcount=False, **INTERNAL)
def folded_fitness(y, B, params, out):
    """The fitness of a plain regime from its folded matrices ``B`` (:func:`fold_regime`) into
    ``out[:k]``, and the cooperation level ``x . C x`` into
    ``out[k]`` when the institution co-evolves: :func:`kernels.fitness.institution_fitness`
    to rounding (the terms are summed in another order).

    A fixed regime costs one matrix-vector product, :func:`linear_fitness`, as the bare game.
    A co-evolving one sums four rows of ``A`` and of ``E`` at a time in one pass over ``x``
    (:func:`kernels.fitness.eight_rows`; at k = 30 faster than two products along the
    columns), each row's share of the mean and the support at once, and ``x . C x`` apart
    when ``E`` is not ``C``. Then the tax and conformity,
    ``(1 - tau) v_i + tau x . v + D x_i`` (one pass without a tax).
    """
    fine, detection, reward, tax, cost, _, conformity, _, _, captured, _ = regime_terms(params)
    played = regime_sanction_count(params)
    if not regime_coevolves(params):
        k = B.shape[0]
        linear_fitness(B, y, out)
        beta = cost if (captured or played) else detection * fine + cost
    else:
        k = B.shape[1]
        s = y[k]
        if played:
            alpha = s
            beta = s * cost
        else:
            alpha = s * detection * ((reward - fine) if captured else (fine + reward))
            beta = s * (cost if captured else detection * fine + cost)
        # each row's fitness before the tax, its share of the mean and of the support at once
        mean_pi = 0.0
        support = 0.0
        i = 0
        while i + 4 <= k:
            a0, a1, a2, a3, e0, e1, e2, e3 = eight_rows(B[i], B[i + 1], B[i + 2], B[i + 3],
                                                        B[k + i], B[k + i + 1], B[k + i + 2],
                                                        B[k + i + 3], y, k)  # fmt: skip
            v = (a0 + alpha * e0) - beta
            out[i] = v
            mean_pi += y[i] * v
            support += y[i] * e0
            v = (a1 + alpha * e1) - beta
            out[i + 1] = v
            mean_pi += y[i + 1] * v
            support += y[i + 1] * e1
            v = (a2 + alpha * e2) - beta
            out[i + 2] = v
            mean_pi += y[i + 2] * v
            support += y[i + 2] * e2
            v = (a3 + alpha * e3) - beta
            out[i + 3] = v
            mean_pi += y[i + 3] * v
            support += y[i + 3] * e3
            i += 4
        while i < k:
            e = row_dot(B[k + i], y, k)
            v = (row_dot(B[i], y, k) + alpha * e) - beta
            out[i] = v
            mean_pi += y[i] * v
            support += y[i] * e
            i += 1
        if played:  # the support from C x, not S x
            support = 0.0
            for i in range(k):
                support += y[i] * row_dot(B[2 * k + i], y, k)
        if out.size > k:
            out[k] = support
        for i in range(k):
            out[i] = (1.0 - tax) * out[i] + tax * mean_pi + conformity * y[i]
        return
    if tax == 0.0:  # (1 - 0) v + 0 + D x, the same numbers in one pass
        for i in range(k):
            out[i] = (out[i] - beta) + conformity * y[i]
        return
    mean_pi = 0.0
    for i in range(k):
        v = out[i] - beta
        out[i] = v
        mean_pi += y[i] * v
    for i in range(k):
        out[i] = (1.0 - tax) * out[i] + tax * mean_pi + conformity * y[i]


def _literal_model(model):
    """The model code when numba knows it at compile time (a literal), else ``None``."""
    return model.literal_value if isinstance(model, types.IntegerLiteral) else None


def model_fitness(model, x, A, At, params, out):
    """:func:`fitness` inside compiled code: a ``model`` that numba knows at compile time
    (a literal, see the module) compiles that model's fitness alone."""
    raise NotImplementedError("model_fitness is called from compiled code only; use fitness")


@overload(model_fitness, prefer_literal=True, inline="always")
def _model_fitness(model, x, A, At, params, out):
    code = _literal_model(model)
    if code == LINEAR:
        return lambda model, x, A, At, params, out: linear_fitness(At, x, out)
    if code == FOLDED_INSTITUTIONS:
        return lambda model, x, A, At, params, out: folded_fitness(x, At, params, out)
    if code == INSTITUTIONS:
        return lambda model, x, A, At, params, out: institution_fitness(x, A, params,
                                                                               out)  # fmt: skip
    if code == GROUP:
        return lambda model, x, A, At, params, out: group_fitness(x, params, out)
    if code == GROUP_INSTITUTIONS:
        return lambda model, x, A, At, params, out: group_institution_fitness(
            x, A, params, out)  # fmt: skip

    # a model known at run time only (never FOLDED_INSTITUTIONS, which the integrators alone
    # choose, as a literal)
    def dispatch(model, x, A, At, params, out):
        if model == INSTITUTIONS:
            institution_fitness(x, A, params, out)
        elif model == GROUP:
            group_fitness(x, params, out)
        elif model == GROUP_INSTITUTIONS:
            group_institution_fitness(x, A, params, out)
        else:
            linear_fitness(At, x, out)

    return dispatch


def model_macro(model, x, A, params, f, out):
    """The macro state's velocity into ``out[k:]`` when ``x`` has one
    (:func:`kernels.fitness.macro_velocity`; ``f`` holds the fitness just computed). Only a
    regime has a macro state: for a literal ``LINEAR`` or ``GROUP`` model this compiles to
    nothing."""
    raise NotImplementedError("model_macro is called from compiled code only")


@overload(model_macro, prefer_literal=True, inline="always")
def _model_macro(model, x, A, params, f, out):
    code = _literal_model(model)
    if code in (LINEAR, GROUP):
        return lambda model, x, A, params, f, out: None
    if code == FOLDED_INSTITUTIONS:  # a plain regime: the strength m alone, when it co-evolves

        def strength_law(model, x, A, params, f, out):
            k = A.shape[0]
            if x.size > k:
                out[k] = macro_rate(f[k], x[k], params)

        return strength_law

    def macro(model, x, A, params, f, out):
        if x.size > A.shape[0]:
            macro_velocity(x, A, params, f, out)

    return macro


@jit()
def fitness(model, x, A, At, params, out):
    """Fitness of the ``k = A.shape[0]`` strategies at state ``x`` (writes ``out[:k]``).

    ``model == LINEAR``: ``out = A x``, read from ``At = A.T`` (C order; ``params`` unused);
    ``INSTITUTIONS``: the regime in ``params`` (:func:`kernels.fitness.institution_fitness`);
    ``GROUP``: the expected payoffs of a group game packed in ``params``
    (:func:`kernels.group.group_fitness`; ``A`` is a k x k placeholder that only gives ``k``);
    ``GROUP_INSTITUTIONS``: a regime on a group game. For callers from Python: it compiles
    every model (the integrators compile one, :mod:`kernels.replicator`).
    """
    model_fitness(model, x, A, At, params, out)


@jit(refcount=False, **INTERNAL)
def rhs(problem, x, f, out):
    """Replicator(-mutator) velocity at ``x`` into ``out``; ``f`` is scratch for the fitness.

    ``problem = (model, A, At, params, Q, mutate)``, ``mutate`` a code of
    :mod:`kernels.codes`. ``NO_MUTATION``: ``dx_i/dt = x_i (f_i - phi)``; with a row-stochastic
    mutation matrix ``Q``, ``FITNESS_WEIGHTED`` (mutation at birth, Page & Nowak 2002):
    ``dx_i/dt = sum_j x_j f_j Q[j, i] - x_i phi``; ``INDEPENDENT`` (mutation independent of
    selection, Crow & Kimura 1970): ``dx_i/dt = x_i (f_i - phi) + sum_j x_j Q[j, i] - x_i``,
    which a constant added to every fitness leaves unchanged. Here
    ``phi = sum_j x_j f_j / sum_j x_j`` (see the module on the denominator).
    """
    model, A, At, params, Q, mutate = problem
    model_fitness(model, x, A, At, params, f)
    k = A.shape[0]
    total = 0.0
    size = 0.0
    for j in range(k):
        total += x[j] * f[j]
        size += x[j]
    # a blown-up trial stage can cancel to size 0: NaN, which the error control rejects
    phi = total / size if size != 0.0 else math.nan
    if mutate == FITNESS_WEIGHTED:
        for i in range(k):
            out[i] = -x[i] * phi
        for j in range(k):
            w = x[j] * f[j]
            for i in range(k):
                out[i] += w * Q[j, i]
    elif mutate == INDEPENDENT:
        for i in range(k):
            out[i] = x[i] * (f[i] - phi) - x[i]
        for j in range(k):
            w = x[j]
            for i in range(k):
                out[i] += w * Q[j, i]
    else:
        for i in range(k):
            out[i] = x[i] * (f[i] - phi)
    model_macro(model, x, A, params, f, out)  # f is free again: it serves as scratch


@jit(**INTERNAL)
def analytic_jacobian(problem, n):
    """Whether :func:`jacobian_transposed` is analytic for this problem with ``n`` state
    variables (``LINEAR``, no mutation, no macro state): then its columns, like the
    velocity, sum to zero."""
    model, A, _, _, _, mutate = problem
    return model == LINEAR and not mutate and n == A.shape[0]


@jit(**INTERNAL)
def jacobian_transposed(problem, y, fy, f, g, Jt):
    """``Jt[j, i] = d rhs_i / d y_j`` at ``y``, where ``fy = rhs(y)``; ``f``, ``g`` scratch.

    Analytic for ``LINEAR`` without mutation or macro state: with ``f = A x``,
    ``S = sum x``, ``phi = x . f / S`` and ``g = f + A^T x``,
    ``d rhs_i / d x_j = [i = j] (f_i - phi) + x_i (A_ij - g_j / S + phi / S)``.
    Otherwise forward differences, one right-hand side per column, with the increments of
    Hairer's codes (``UROUND``, ``JAC_FLOOR``).
    """
    model, A, At, params, _, _ = problem
    n = y.size
    k = A.shape[0]
    if analytic_jacobian(problem, n):
        model_fitness(model, y, A, At, params, f)
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
        d = math.sqrt(UROUND * max(JAC_FLOOR, abs(y[j])))
        ys[j] = y[j] + d
        rhs(problem, ys, f, g)
        ys[j] = y[j]
        for i in range(n):
            Jt[j, i] = (g[i] - fy[i]) / d


@jit(fastmath={"reassoc"}, **INTERNAL)
def project(x, k):
    """Frequencies ``x[:k]``: clip round-off negatives, set those below ``EXTINCT`` to zero and
    renormalise onto the simplex; a macro state after them is clipped to [0, 1]. (The sum may
    be reassociated, so that it vectorises: the result can differ in the last bit between
    CPUs.)"""
    s = 0.0
    for i in range(k):
        v = max(x[i], 0.0)
        if v < EXTINCT:
            v = 0.0
        x[i] = v
        s += v
    inv = 1.0 / s
    for i in range(k):
        x[i] *= inv
    for i in range(k, x.size):
        x[i] = min(1.0, max(0.0, x[i]))


@jit(**INTERNAL)
def at_rest(x, dx, rest_tol):
    """Whether ``x`` is (numerically) a rest point that no present strategy is leaving.

    Every velocity is below ``rest_tol`` and no strategy present grows at a per-capita rate
    above ``REST_GROWTH`` (so a rare invader that is about to grow is not mistaken for a rest
    point).
    """
    for i in range(x.size):
        if abs(dx[i]) > rest_tol:
            return False
        if x[i] > 0.0 and dx[i] > REST_GROWTH * x[i]:
            return False
    return True
