"""Fitness under an institutional regime, and the law of the institution's strength.

A regime is a flat float array (indices below) followed by the cooperation matrix ``C``
(``k * k`` entries, row-major): ``C[i, j]`` is the fraction of ``i``'s moves that cooperate
against ``j``, so ``c_i(x) = (C x)_i`` is how often ``i`` cooperates in population ``x`` and
``d_i = 1 - c_i`` how often it defects. One compiled function serves every regime.

Downward causation (the institution acts on agents), with ``s = m`` the institution's
strength when it co-evolves (``FEEDBACK > 0``) and ``s = 1`` otherwise:

1. base payoff ``pi_i = (A x)_i``;
2. fine: ``- s q F d_i`` (``FINE_ON = -1``: a captured institution fines cooperation,
   ``- s q F c_i``); reward: ``+ s q B c_i``; with ``SWITCH = theta > 0`` only rewards act
   while the cooperation level is below ``theta`` and only fines above it ("first carrot,
   then stick", Chen et al. 2015);
3. tax and redistribution: ``(1 - tau) pi_i + tau * mean(pi)``, which scales every payoff
   difference by ``1 - tau``;
4. institution cost ``s kappa`` per capita, or (``COST_BY_CONTRIBUTORS = 1``) shared by
   contributors in proportion to their cooperation, ``s kappa c_i / mean(c)``;
5. conformity ``+ D x_i``: conformist transmission (Boyd & Richerson 1985), which in the
   replicator adds ``D x_i (x_i - sum_j x_j^2)`` to ``dx_i/dt``.

Upward causation (agents make the institution): ``dm/dt = lambda (support(x) - m) - decay``
with ``support(x) = sum_i x_i c_i`` the cooperation level, and ``m`` kept in [0, 1]. This is
an eco-evolutionary game with environmental feedback (Weitz et al. 2016, PNAS 113: E7518),
the environment being the institution.
"""

import numpy as np

from evopolity.kernels._jit import jit
from evopolity.kernels.group import group_fitness

# fitness models of the dynamics kernels (replicator, finite populations)
LINEAR = 0  # f = A x
INSTITUTIONS = 1  # a regime on a matrix game: the terms below
GROUP = 2  # a group game's expected payoffs (kernels.group), packed in params
GROUP_INSTITUTIONS = 3  # a regime on a group game: regime, C, then the group game's params

# fields of the regime array
FINE, DETECTION, REWARD, TAX, COST, COST_BY_CONTRIBUTORS = 0, 1, 2, 3, 4, 5
CONFORMITY, FEEDBACK, DECAY, FINE_ON, SWITCH = 6, 7, 8, 9, 10
N_REGIME = 11  # the cooperation matrix follows


@jit()
def strength(y, k, params):
    """The institution's effective strength: ``m`` when it co-evolves, else 1."""
    if params[FEEDBACK] > 0.0 or params[DECAY] > 0.0:
        return y[k]
    return 1.0


@jit()
def institution_adjust(pi, c, x, s, params, out):
    """Apply the regime to base payoffs ``pi`` given cooperation rates ``c``, frequencies
    ``x`` and institution strength ``s`` (all length ``k``; writes ``out``).

    Infinite and finite populations share this: they differ only in how ``pi`` and ``c`` are
    computed (with or without self-interaction).
    """
    k = pi.size
    mean_c = 0.0
    for i in range(k):
        mean_c += x[i] * c[i]
    fine = s * params[DETECTION] * params[FINE]
    reward = s * params[DETECTION] * params[REWARD]
    if params[SWITCH] > 0.0:
        if mean_c < params[SWITCH]:
            fine = 0.0
        else:
            reward = 0.0
    cost = s * params[COST]
    captured = params[FINE_ON] < 0.0
    by_contributors = params[COST_BY_CONTRIBUTORS] > 0.0
    mean_pi = 0.0
    for i in range(k):
        v = pi[i] - fine * (c[i] if captured else 1.0 - c[i]) + reward * c[i]
        if by_contributors:
            if mean_c > 0.0:
                v -= cost * c[i] / mean_c
        else:
            v -= cost
        out[i] = v
        mean_pi += x[i] * v
    tau = params[TAX]
    conformity = params[CONFORMITY]
    for i in range(k):
        out[i] = (1.0 - tau) * out[i] + tau * mean_pi + conformity * x[i]


@jit()
def institution_fitness(y, A, params, out):
    """Fitness of each of the ``k = A.shape[0]`` strategies under the regime in an infinite
    population: ``pi = A x``, ``c = C x`` (see the module), into ``out[:k]``.

    When ``out`` has room after the ``k`` fitnesses (the integrators' scratch has one slot per
    macro variable) the population's cooperation level ``sum_i x_i c_i`` is left in
    ``out[k]`` for :func:`macro_velocity`, which then need not compute ``C x`` again.
    """
    k = A.shape[0]
    c = np.empty(k)
    support = 0.0
    for i in range(k):  # A x and C x in one pass over the rows
        a = 0.0
        b = 0.0
        base = N_REGIME + i * k
        for j in range(k):
            a += A[i, j] * y[j]
            b += params[base + j] * y[j]
        out[i] = a
        c[i] = b
        support += y[i] * b
    institution_adjust(out[:k], c, y[:k], strength(y, k, params), params, out[:k])
    if out.size > k:
        out[k] = support


@jit()
def group_institution_fitness(y, A, params, out):
    """A regime on a group game: the group game's expected payoffs (its packed array follows
    the regime and ``C`` in ``params``), then the regime's terms with ``c = C x``."""
    k = A.shape[0]
    group_fitness(y, params[N_REGIME + k * k :], out)
    c = np.empty(k)
    support = 0.0
    for i in range(k):
        b = 0.0
        base = N_REGIME + i * k
        for j in range(k):
            b += params[base + j] * y[j]
        c[i] = b
        support += y[i] * b
    institution_adjust(out[:k], c, y[:k], strength(y, k, params), params, out[:k])
    if out.size > k:
        out[k] = support


@jit()
def macro_rate(support, m, params):
    """``lambda (support - m) - decay``, held at the boundaries of [0, 1]."""
    lam = params[FEEDBACK]
    decay = params[DECAY]
    if lam == 0.0 and decay == 0.0:
        return 0.0
    dm = lam * (support - m) - decay
    if (m <= 0.0 and dm < 0.0) or (m >= 1.0 and dm > 0.0):
        return 0.0
    return dm


@jit()
def macro_velocity(y, A, params, fitness_out):
    """``dm/dt`` for the infinite population, right after :func:`institution_fitness` filled
    ``fitness_out``: the support ``sum_i x_i (C x)_i`` is in ``fitness_out[k]``."""
    k = A.shape[0]
    return macro_rate(fitness_out[k], y[k], params)
