"""Fitness under an institutional regime, and the law of the institution's strength.

A regime is a flat float array (:func:`kernels.layout.regime_array`) of its terms and the
cooperation matrix ``C``: ``C[i, j]`` is the fraction of ``i``'s moves that cooperate against
``j``, so ``c_i(x) = (C x)_i`` is how often ``i`` cooperates in population ``x`` and
``d_i = 1 - c_i`` how often it defects. One compiled function serves every regime.

Downward causation (the institution acts on agents), with ``s = m`` the institution's
strength when it co-evolves (feedback or decay above 0) and ``s = 1`` otherwise:

1. base payoff ``pi_i = (A x)_i``;
2. fine: ``- s q F d_i`` (a captured institution fines cooperation instead,
   ``- s q F c_i``); reward: ``+ s q B c_i``; with ``SWITCH = theta > 0`` only rewards act
   while the cooperation level is below ``theta`` and only fines above it ("first carrot,
   then stick", Chen et al. 2015). When the sanctions were played inside the matches
   (``tournament(..., regime=r)``) the array carries them (:func:`kernels.layout.regime_sanctions`)
   and they replace these expected terms: ``+ s (S x)_i``, ``S`` the net sanction per turn at
   full strength (fines received - fines paid + rewards), or with a switch ``+ s (S_fine x)_i``
   above ``theta`` and ``+ s (S_reward x)_i`` below;
3. institution cost ``s kappa`` per capita, or (``cost_by_contributors``) shared by
   contributors in proportion to their cooperation, ``s kappa c_i / mean(c)``;
4. tax and redistribution on what steps 1-3 left, ``v_i``: ``(1 - tau) v_i + tau mean(v)``
   (``mean`` weighted by ``x``), which scales every payoff difference by ``1 - tau``;
5. conformity ``+ D x_i``: conformist transmission (Boyd & Richerson 1985), which in the
   replicator adds ``D x_i (x_i - sum_j x_j^2)`` to ``dx_i/dt``.

Upward causation (agents make the institution): ``dm/dt = lambda (support(x) - m) - decay``
with ``support(x) = sum_i x_i c_i`` the cooperation level, and ``m`` kept in [0, 1]. This is
an eco-evolutionary game with environmental feedback (Weitz et al. 2016, PNAS 113: E7518),
the environment being the institution.
"""


import numpy as np

from evopolity.kernels._jit import jit
from evopolity.kernels.codes import (  # noqa: F401 - the model codes, where they used to be
    GROUP,
    GROUP_INSTITUTIONS,
    INSTITUTIONS,
    LINEAR,
)
from evopolity.kernels.group import group_fitness
from evopolity.kernels.layout import (
    regime_coevolves,
    regime_cooperation,
    regime_group_game,
    regime_sanction_count,
    regime_sanctions,
    regime_terms,
)


@jit()
def strength(y, k, params):
    """The institution's effective strength: ``m = y[k]`` when it co-evolves, else 1."""
    if regime_coevolves(params):
        return y[k]
    return 1.0


@jit()
def institution_adjust(pi, c, x, s, params, out, sf, sr):
    """Apply the regime to base payoffs ``pi`` given cooperation rates ``c``, frequencies
    ``x`` and institution strength ``s`` (all length ``k``; writes ``out``).

    ``sf`` and ``sr`` are the sanctions played inside matches against the population, at
    full strength: ``(S x)_i`` (or ``(S_fine x)_i`` and ``(S_reward x)_i`` with a switch);
    read only when the array carries sanction matrices (:func:`kernels.layout.regime_sanctions`),
    which then replace the expected fine and reward. Infinite and finite populations share
    this: they differ only in how ``pi``, ``c``, ``sf`` and ``sr`` are computed (with or
    without self-interaction).
    """
    (fine, detection, reward, tax, cost, by_contributors, conformity, _, _, captured,
     switch) = regime_terms(params)  # fmt: skip
    played = regime_sanction_count(params)
    k = pi.size
    mean_c = 0.0
    for i in range(k):
        mean_c += x[i] * c[i]
    fine = s * detection * fine
    reward = s * detection * reward
    fines_on = 1.0
    rewards_on = 1.0
    if switch > 0.0:  # first carrot, then stick
        if mean_c < switch:
            fines_on = 0.0
        else:
            rewards_on = 0.0
    fine *= fines_on
    reward *= rewards_on
    cost = s * cost
    mean_pi = 0.0
    for i in range(k):
        if played == 0:
            v = pi[i] - fine * (c[i] if captured else 1.0 - c[i]) + reward * c[i]
        elif played == 1:
            v = pi[i] + s * sf[i]
        else:
            v = pi[i] + s * (fines_on * sf[i] + rewards_on * sr[i])
        if by_contributors:
            if mean_c > 0.0:
                v -= cost * c[i] / mean_c
        else:
            v -= cost
        out[i] = v
        mean_pi += x[i] * v
    for i in range(k):
        out[i] = (1.0 - tax) * out[i] + tax * mean_pi + conformity * x[i]


@jit()
def sanction_rates(params, k, x, sf, sr):
    """``sf = S x`` (``S_fine x``) and, with two matrices, ``sr = S_reward x``: the sanctions
    played inside matches that a regime array carries, against population ``x``."""
    played = regime_sanction_count(params)
    for which in range(played):
        M = regime_sanctions(params, k, which)
        dest = sf if which == 0 else sr
        for i in range(k):
            b = 0.0
            for j in range(k):
                b += M[i, j] * x[j]
            dest[i] = b


@jit()
def cooperation_rates(C, x, c):
    """``c = C x`` (how often each strategy cooperates in population ``x``, ``k =
    C.shape[0]`` entries of ``x`` read); returns the cooperation level ``x . C x``."""
    k = C.shape[0]
    level = 0.0
    for i in range(k):
        b = 0.0
        for j in range(k):
            b += C[i, j] * x[j]
        c[i] = b
        level += x[i] * b
    return level


@jit()
def cooperation_levels(X, C):
    """``X[t] . C X[t]`` for every row ``t`` of frequencies ``X`` (T x k): the cooperation
    level that is the institution's support (:func:`macro_rate`), read off a trajectory by
    the pipeline and the analysis. Returns a new array of ``T`` values."""
    out = np.empty(X.shape[0])
    c = np.empty(C.shape[0])
    for t in range(X.shape[0]):
        out[t] = cooperation_rates(C, X[t], c)
    return out


@jit()
def _regime_terms_and_support(y, k, params, out):
    """The regime's terms on the base payoffs already in ``out[:k]``; the cooperation level
    goes to ``out[k]`` when there is room (see :func:`institution_fitness`)."""
    c = np.empty(k)
    support = cooperation_rates(regime_cooperation(params, k), y, c)
    sf = c  # unread without played sanctions: no allocation on the expected path
    sr = c
    if regime_sanction_count(params) > 0:
        sf = np.empty(k)
        sr = np.empty(k)
        sanction_rates(params, k, y, sf, sr)
    institution_adjust(out[:k], c, y[:k], strength(y, k, params), params, out[:k], sf, sr)
    if out.size > k:
        out[k] = support


@jit()
def institution_fitness(y, A, params, out):
    """Fitness of each of the ``k = A.shape[0]`` strategies under the regime in an infinite
    population: ``pi = A x``, ``c = C x`` (see the module), into ``out[:k]``.

    When ``out`` has room after the ``k`` fitnesses (the integrators' scratch has one slot per
    macro variable) the population's cooperation level ``sum_i x_i c_i`` is left in
    ``out[k]`` for :func:`macro_velocity`, which then need not compute ``C x`` again.
    """
    k = A.shape[0]
    for i in range(k):
        a = 0.0
        for j in range(k):
            a += A[i, j] * y[j]
        out[i] = a
    _regime_terms_and_support(y, k, params, out)


@jit()
def group_institution_fitness(y, A, params, out):
    """A regime on a group game: the group game's expected payoffs (its packed array follows
    the regime in ``params``), then the regime's terms with ``c = C x``."""
    k = A.shape[0]
    group_fitness(y, regime_group_game(params, k), out)
    _regime_terms_and_support(y, k, params, out)


@jit()
def macro_rate(support, m, params):
    """``lambda (support - m) - decay``, held at the boundaries of [0, 1]."""
    _, _, _, _, _, _, _, lam, decay, _, _ = regime_terms(params)
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
