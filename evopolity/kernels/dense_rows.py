"""The output rows of the replicator's adaptive integrators: recorded steps, then their rows.

While integrating, :func:`kernels.replicator.integrate` only records the accepted steps that
have output times in them (:func:`record_step`: the step's start, ``1 / h``, state and the
coefficients of its continuous extension) and which step each output row falls in
(``row_step``). After the integration :func:`write` evaluates every row from its step's
polynomial, in the calling thread: a few multiply-adds a value, a small part of the
integration's time, where a parallel region costs milliseconds to start on a busy machine and
seconds to compile (docs/performance.md).

The record is one array ``log`` with a row per recorded step: its start ``t``, ``1 / h``,
``top`` (see :func:`write_rows`), the state ``y`` and the four coefficient vectors of its
continuous extension (``LOG_*`` give the offsets). :func:`record_step` writes into it and never
allocates (the step loop runs without reference counting, ``kernels._jit.jit``); the
integrator doubles it with :func:`grow_log` between calls of the step loop when it is full.
"""

import numpy as np

from evopolity.kernels._jit import jit
from evopolity.kernels.velocity import EXTINCT, project

# the record's first size: most runs with few output rows fit without growing it
INITIAL_STEPS = 16
# where a recorded step's values sit in its row of the record: then the n state variables,
# then the coefficients c0..c3 of its polynomial, n each
LOG_T, LOG_INV_H, LOG_TOP, LOG_Y = range(4)


def new_log(n):
    """An empty record for steps of a state of ``n`` variables."""
    return np.empty((INITIAL_STEPS, LOG_Y + 5 * n))


def grow_log(log):
    """The record ``log`` copied into one twice its size."""
    return np.concatenate([log, np.empty_like(log)])


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
    return log.shape[0]


@jit(inline="always", refcount=False)
def record_step(log, recorded, t, h, y, coef, top):
    """Record step number ``recorded`` (``< capacity(log)``): start ``t``, size ``h``, state
    ``y``, continuous extension ``coef``, and ``top`` (see :func:`write_rows`)."""
    n = y.size
    log[recorded, LOG_T] = t
    log[recorded, LOG_INV_H] = 1.0 / h
    log[recorded, LOG_TOP] = top
    for i in range(n):  # element by element: a slice copy would allocate
        log[recorded, LOG_Y + i] = y[i]
    for p in range(4):
        for i in range(n):
            log[recorded, LOG_Y + (p + 1) * n + i] = coef[p, i]


@jit(fastmath={"reassoc", "contract", "nnan", "ninf", "nsz"})
def write_rows(times, row_step, log, k, out):
    """Write the rows that lie inside a recorded step (``j = row_step[q] >= 0``) from
    that step's polynomial, ``y + s (c0 + s (c1 + s (c2 + s c3)))`` at
    ``s = (times[q] - t_j) / h_j``, kept on the simplex like the state.

    A frequency near zero can overshoot below it: it is clipped at zero as it is written, as is
    one below ``EXTINCT`` (:func:`kernels.velocity.project`).
    ``top >= 0`` says the step's increments sum to zero to round-off (Dormand--Prince,
    whose velocities do, and RODAS4 with the analytic Jacobian, whose columns do), so that the
    polynomial sums to one: then the mass the clipping adds is taken off strategy ``top``,
    the most frequent at the start of the step, with no second pass over the row. Otherwise
    (``-1``, or if that strategy would go negative) the row is renormalised
    (:func:`kernels.velocity.project`). The fast-math flags let the clipping and its sum
    vectorise; they are safe here because a step is recorded only with a finite error, so its
    coefficients are finite.
    """
    n = out.shape[1]
    c0 = LOG_Y + n
    c1 = c0 + n
    c2 = c1 + n
    c3 = c2 + n
    current = -1
    step = log[0]
    t0 = 0.0
    inv_h = 0.0
    top = -1
    for q in range(times.size):
        j = row_step[q]
        if j < 0:
            continue
        if j != current:  # consecutive rows mostly share a step: look it up once
            current = j
            step = log[j]
            t0 = step[LOG_T]
            inv_h = step[LOG_INV_H]
            top = int(step[LOG_TOP])
        s = (times[q] - t0) * inv_h
        below = 0.0
        for i in range(k):  # out[q, i], not a view of the row: a view per row costs 25%
            v = step[LOG_Y + i] + s * (step[c0 + i] + s * (step[c1 + i] + s * (
                step[c2 + i] + s * step[c3 + i])))  # fmt: skip
            w = v if v >= EXTINCT else 0.0
            below += v - w
            out[q, i] = w
        if top >= 0 and out[q, top] + below >= 0.0:
            out[q, top] += below
        else:
            project(out[q], k)
        for i in range(k, n):  # a macro state: clipped to [0, 1]
            v = step[LOG_Y + i] + s * (step[c0 + i] + s * (step[c1 + i] + s * (
                step[c2 + i] + s * step[c3 + i])))  # fmt: skip
            out[q, i] = min(1.0, max(0.0, v))
