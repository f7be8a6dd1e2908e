"""The output rows of the replicator's adaptive integrators: recorded steps, then their rows.

While integrating, :func:`kernels.replicator.integrate` only records the accepted steps that
have output times in them (:func:`record_step`: the step's start, ``1 / h``, state and the
coefficients of its continuous extension) and which step each output row falls in
(``row_step``). After the integration :func:`write` evaluates every row from its step's
polynomial, on all of numba's threads when the output is large (rows are independent, so
their values do not depend on the number of threads).

The record is one tuple ``log = (step_t, step_inv_h, step_top, step_y, step_coef)`` of
arrays whose first axis is the step. :func:`record_step` writes into it and never allocates
(the step loop runs without reference counting, ``kernels._jit.jit``); the integrator doubles
it with :func:`grow_log` between steps when it is full.
"""

import numpy as np
from numba import prange

from evopolity.kernels._jit import jit
from evopolity.kernels.velocity import project

# the record's first size: most runs with few output rows fit without growing it
INITIAL_STEPS = 16
# outputs of at least this many values are written on all of numba's threads; smaller ones
# (a sweep's runs, in worker processes that share the cores) in the calling thread, where a
# parallel region's launch and its threads' spinning would cost more than they save
PARALLEL_VALUES = 1 << 16
ROW_BLOCKS = 32


@jit()
def _grow(a, size):
    """``a`` (C order) copied into a new array whose first axis has ``size`` entries."""
    b = np.empty((size,) + a.shape[1:], a.dtype)
    # element by element through flat views: the slice assignment b[:n] = a compiles 6x
    # slower (its shape checks), for every one of the record's four array types
    flat_a = a.reshape(a.size)
    flat_b = b.reshape(b.size)
    for i in range(flat_a.size):
        flat_b[i] = flat_a[i]
    return b


@jit(inline="always")
def new_log(n):
    """An empty record for steps of a state of ``n`` variables."""
    return (
        np.empty(INITIAL_STEPS), np.empty(INITIAL_STEPS), np.empty(INITIAL_STEPS, np.int64),
        np.empty((INITIAL_STEPS, n)), np.empty((INITIAL_STEPS, 4, n)),
    )  # fmt: skip


@jit(inline="always")
def rows_until(times, r, t_new):
    """The first row from ``r`` on whose time lies beyond ``t_new`` (the rows ``r..`` up to
    it fall in the step that ends at ``t_new``)."""
    end = r
    while end < times.size and times[end] <= t_new:
        end += 1
    return end


@jit(inline="always")
def top_strategy(y, k):
    """The most frequent of the ``k`` strategies (the first of equals)."""
    top = 0
    for i in range(k):
        if y[i] > y[top]:
            top = i
    return top


@jit(inline="always")
def capacity(log):
    """How many steps the record ``log`` can hold."""
    return log[0].size


@jit()
def grow_log(log):
    """The record ``log`` copied into one twice its size."""
    step_t, step_inv_h, step_top, step_y, step_coef = log
    size = 2 * step_t.size
    return (_grow(step_t, size), _grow(step_inv_h, size), _grow(step_top, size),
            _grow(step_y, size), _grow(step_coef, size))  # fmt: skip


@jit(inline="always")
def record_step(log, recorded, t, h, y, coef, top):
    """Record step number ``recorded`` (``< capacity(log)``): start ``t``, size ``h``, state
    ``y``, continuous extension ``coef``, and ``top`` (see :func:`write_rows`)."""
    step_t, step_inv_h, step_top, step_y, step_coef = log
    step_t[recorded] = t
    step_inv_h[recorded] = 1.0 / h
    step_top[recorded] = top
    for i in range(y.size):  # element by element: a slice copy would allocate
        step_y[recorded, i] = y[i]
        for p in range(4):
            step_coef[recorded, p, i] = coef[p, i]


@jit(fastmath={"reassoc", "contract", "nnan", "ninf", "nsz"})
def write_rows(lo, hi, times, row_step, step_t, step_inv_h, step_y, step_coef, step_top, k, out):
    """Write rows ``lo..hi-1`` that lie inside a recorded step (``j = row_step[q] >= 0``) from
    that step's polynomial, ``y + s (c0 + s (c1 + s (c2 + s c3)))`` at
    ``s = (times[q] - t_j) / h_j``, kept on the simplex like the state.

    A frequency near zero can overshoot below it: it is clipped at zero as it is written.
    ``step_top[j] >= 0`` says the step's increments sum to zero to round-off (Dormand--Prince,
    whose velocities do, and RODAS4 with the analytic Jacobian, whose columns do), so that the
    polynomial sums to one: then the mass the clipping adds is taken off strategy
    ``step_top[j]``, the most frequent at the start of the step, with no second pass over the
    row. Otherwise (``-1``, or if that strategy would go negative) the row is renormalised
    (:func:`kernels.velocity.project`). The fast-math flags let the clipping and its sum
    vectorise; they are safe here because a step is recorded only with a finite error, so its
    coefficients are finite.
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


@jit(parallel=True)
def write_rows_parallel(times, row_step, step_t, step_inv_h, step_y, step_coef, step_top, k,
                        out):  # fmt: skip
    """:func:`write_rows` over ``ROW_BLOCKS`` blocks of rows in parallel (rows are
    independent: their values do not depend on the number of threads)."""
    n_out = times.size
    for block in prange(ROW_BLOCKS):
        lo = block * n_out // ROW_BLOCKS
        hi = (block + 1) * n_out // ROW_BLOCKS
        write_rows(lo, hi, times, row_step, step_t, step_inv_h, step_y, step_coef, step_top, k,
                   out)  # fmt: skip


@jit(inline="always")
def write(times, row_step, log, k, out):
    """Every row that lies in a recorded step, from the record ``log``; on threads when
    ``out`` holds at least ``PARALLEL_VALUES`` values."""
    step_t, step_inv_h, step_top, step_y, step_coef = log
    if out.size >= PARALLEL_VALUES:
        write_rows_parallel(times, row_step, step_t, step_inv_h, step_y, step_coef, step_top,
                            k, out)  # fmt: skip
    else:
        write_rows(0, times.size, times, row_step, step_t, step_inv_h, step_y, step_coef,
                   step_top, k, out)  # fmt: skip
