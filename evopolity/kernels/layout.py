"""The packed parameter arrays of the fitness models: one builder and one reader each.

A dynamics kernel takes its fitness model's parameters as one flat float64 array (so that one
compiled integrator serves every model, :mod:`evopolity.kernels.codes`). Where each field sits
is decided here and nowhere else: the builders (numpy, called by the Python layer) write the
array, the readers (jitted, called inside kernels) take it apart again. Code elsewhere uses
the readers, never an offset of its own.

=========================  ========================================================================
model                      array
=========================  ========================================================================
``INSTITUTIONS``           :func:`regime_array`: the regime's ``N_REGIME`` fields (indices below),
                           then the cooperation matrix ``C`` (``k * k``, row-major), then
                           ``SANCTIONS`` (0, 1 or 2) k x k matrices of the sanctions played
                           inside matches (:func:`regime_sanctions`)
``GROUP``                  :func:`group_game_array`: ``[k, m, K]``, the ``K`` multinomial
                           coefficients, the ``K x k`` co-player compositions and the ``K x k``
                           payoffs ``pf`` (row-major)
``GROUP_INSTITUTIONS``     :func:`group_regime_array`: a regime array, then a group-game array
``LINEAR``                 empty
=========================  ========================================================================

Readers: :func:`regime_terms`, :func:`regime_coevolves`, :func:`regime_cooperation`,
:func:`regime_sanction_count` and :func:`regime_sanctions` (a regime array; their matrices'
rows without a view, :func:`regime_matrix_start`),
:func:`group_game_tables` (a group-game array), :func:`regime_group_game` (the group-game array
inside a ``GROUP_INSTITUTIONS`` one). They return views, never copies.

The integrated state of the replicator is packed too: the ``k`` frequencies, then the macro
state (the institution's strength ``m``) when the institution co-evolves
(:func:`integrated_state`; read by :func:`kernels.fitness.strength`).
"""

import numpy as np

from evopolity.kernels._jit import jit

__all__ = [
    "FINE", "DETECTION", "REWARD", "TAX", "COST", "COST_BY_CONTRIBUTORS", "CONFORMITY",
    "FEEDBACK", "DECAY", "CAPTURED", "SWITCH", "SANCTIONS", "FUNDED", "UPKEEP", "LEVY",
    "SECOND_ORDER", "RULE", "RULE_RATE", "FINE_LO", "FINE_HI", "FINE_PLAYED", "ELITE_SHARE",
    "N_REGIME", "GROUP_HEADER",
    "regime_array", "regime_terms", "regime_coevolves", "regime_cooperation", "regime_matrix_start",
    "regime_sanction_count", "regime_sanctions", "regime_funding", "regime_revenue_matrix",
    "regime_rule", "macro_count",
    "group_game_array", "group_game_tables",
    "group_regime_array", "regime_group_game",
    "integrated_state",
]  # fmt: skip

# fields of a regime array (booleans stored as 1.0 / 0.0); the cooperation matrix follows,
# then SANCTIONS k x k matrices of sanctions played inside matches:
#   0: none, the fine and reward act on expected rates (- s q F d_i + s q B c_i);
#   1: S, the net sanction per turn at full strength (fines received - paid + rewards), which
#      replaces the fine and reward terms: + s (S x)_i;
#   2: S_fine (fines received - paid) and S_reward (rewards), apart for the switch, which
#      lets only one of them act at a time.
FINE, DETECTION, REWARD, TAX, COST, COST_BY_CONTRIBUTORS = 0, 1, 2, 3, 4, 5
CONFORMITY, FEEDBACK, DECAY, CAPTURED, SWITCH, SANCTIONS = 6, 7, 8, 9, 10, 11
# an institution the members fund (funding="contributions"; the strategies are crossed with
# {contributes, abstains}, contributors first): FUNDED 1.0, its running cost at full strength
# UPKEEP, the levy LEVY, the expected second-order fine on abstainers SECOND_ORDER; a funded
# array carries one more k x k matrix after the sanction matrices, S_inst (what the fines bring
# the institution per turn at full strength)
FUNDED, UPKEEP, LEVY, SECOND_ORDER = 12, 13, 14, 15
# a fine level the members choose (rule_by): RULE 0 fixed, 1 majority, 2 elite; RULE_RATE the
# rate at which the level moves toward the chosen one; FINE_LO, FINE_HI its bounds; FINE_PLAYED
# the level the fine matrix was built with (S_fine is linear in the fine); ELITE_SHARE the share
# of the population, richest first, whose preference an elite rule follows
RULE, RULE_RATE, FINE_LO, FINE_HI, FINE_PLAYED, ELITE_SHARE = 16, 17, 18, 19, 20, 21
N_REGIME = 22

#: codes of the rule that sets the fine level (Regime.rule_by)
RULES = ("fixed", "majority", "elite")

# a group-game array starts with k, m (co-players per group) and K (co-player compositions)
GROUP_HEADER = 3


# -- regimes (model INSTITUTIONS) -----------------------------------------------------------


def regime_array(
    cooperation,
    *,
    fine=0.0,
    detection=0.0,
    reward=0.0,
    tax=0.0,
    cost=0.0,
    cost_by_contributors=False,
    conformity=0.0,
    feedback=0.0,
    decay=0.0,
    captured=False,
    switch=0.0,
    sanctions=(),
    funding=None,
    rule=None,
):
    """The flat array of a regime on ``k`` strategies with cooperation matrix ``cooperation``.

    Parameters
    ----------
    cooperation : array_like
        The k x k cooperation matrix ``C``.
    fine, detection, reward, tax, cost, cost_by_contributors, conformity, feedback, decay, \
captured, switch
        The regime's terms (:mod:`kernels.fitness`; validated by the caller).
    sanctions : sequence of array_like
        No matrix (the fine and reward act on expected rates), one (``S``: the net sanction
        per turn played inside matches at full strength) or two (``S_fine``, ``S_reward``,
        apart for the switch); each k x k.
    funding : tuple, optional
        ``(upkeep, levy, second_order, S_inst)`` of an institution the members fund (the k
        strategies are the crossed ones, contributors first; ``S_inst`` k x k).
    rule : tuple, optional
        ``(code, rate, lo, hi, fine_played, elite_share)`` of a fine level the members
        choose (``code`` an index of :data:`RULES`).

    Returns
    -------
    numpy.ndarray
        ``N_REGIME + (1 + len(sanctions)) k * k`` float64 values (``k * k`` more when
        funded), read back by :func:`regime_terms`, :func:`regime_cooperation`,
        :func:`regime_sanctions`, :func:`regime_funding`, :func:`regime_revenue_matrix` and
        :func:`regime_rule`.

    Raises
    ------
    ValueError
        For a matrix that is not square, or more than two sanction matrices.
    """
    C = np.ascontiguousarray(cooperation, dtype=np.float64)
    if C.ndim != 2 or C.shape[0] != C.shape[1]:
        raise ValueError(f"cooperation must be a square matrix, got shape {C.shape}")
    mats = [np.ascontiguousarray(m, dtype=np.float64) for m in sanctions]
    if len(mats) > 2 or any(m.shape != C.shape for m in mats):
        raise ValueError(
            f"sanctions must be at most two matrices of shape {C.shape}, got "
            f"{[m.shape for m in mats]}"
        )
    head = np.zeros(N_REGIME)
    head[FINE] = fine
    head[DETECTION] = detection
    head[REWARD] = reward
    head[TAX] = tax
    head[COST] = cost
    head[COST_BY_CONTRIBUTORS] = 1.0 if cost_by_contributors else 0.0
    head[CONFORMITY] = conformity
    head[FEEDBACK] = feedback
    head[DECAY] = decay
    head[CAPTURED] = 1.0 if captured else 0.0
    head[SWITCH] = switch
    head[SANCTIONS] = float(len(mats))
    if funding is not None:
        upkeep, levy, second, inst = funding
        inst = np.ascontiguousarray(inst, dtype=np.float64)
        if inst.shape != C.shape:
            raise ValueError(f"funding's S_inst must be {C.shape}, got {inst.shape}")
        head[FUNDED] = 1.0
        head[UPKEEP] = upkeep
        head[LEVY] = levy
        head[SECOND_ORDER] = second
        mats.append(inst)
    if rule is not None:
        head[RULE], head[RULE_RATE], head[FINE_LO], head[FINE_HI] = rule[:4]
        head[FINE_PLAYED], head[ELITE_SHARE] = rule[4:]
    return np.concatenate([head, C.ravel(), *(m.ravel() for m in mats)])


@jit(inline="always")
def regime_terms(params):
    """The fields of a regime array, in the order of :func:`regime_array`'s keywords.

    Returns
    -------
    tuple
        ``(fine, detection, reward, tax, cost, cost_by_contributors, conformity, feedback,
        decay, captured, switch)``, the two flags as booleans.
    """
    return (
        params[FINE], params[DETECTION], params[REWARD], params[TAX], params[COST],
        params[COST_BY_CONTRIBUTORS] > 0.0, params[CONFORMITY], params[FEEDBACK],
        params[DECAY], params[CAPTURED] > 0.0, params[SWITCH],
    )  # fmt: skip


@jit(inline="always")
def regime_coevolves(params):
    """Whether a regime array's institution co-evolves (its strength ``m`` has a law: feedback
    or decay above 0)."""
    return params[FEEDBACK] > 0.0 or params[DECAY] > 0.0


@jit(inline="always")
def regime_funding(params):
    """``(funded, upkeep, levy, second_order)`` of a regime array (``funded`` a bool)."""
    return params[FUNDED] > 0.0, params[UPKEEP], params[LEVY], params[SECOND_ORDER]


@jit(inline="always")
def regime_revenue_matrix(params, k):
    """``S_inst`` of a funded regime array (a view; only when :func:`regime_funding` says
    funded)."""
    start = N_REGIME + (1 + regime_sanction_count(params)) * k * k
    return params[start : start + k * k].reshape((k, k))


@jit(inline="always")
def regime_rule(params):
    """``(code, rate, lo, hi, fine_played, elite_share)`` of a regime array's fine rule
    (``code`` 0: fixed, 1: majority, 2: elite)."""
    return (int(params[RULE]), params[RULE_RATE], params[FINE_LO], params[FINE_HI],
            params[FINE_PLAYED], params[ELITE_SHARE])


@jit(inline="always")
def macro_count(params):
    """How many macro variables follow the frequencies in the integrated state of a regime
    array: the institution's strength ``m`` when it co-evolves, then the fine level (as its
    position ``u`` in [lo, hi]) when the members choose it."""
    return (1 if regime_coevolves(params) else 0) + (1 if params[RULE] > 0.0 else 0)


@jit(inline="always")
def regime_matrix_start(k, which):
    """Where matrix ``which`` of a regime array on ``k`` strategies starts: 0 the cooperation
    matrix ``C``, ``1 + w`` sanction matrix ``w`` (:func:`regime_sanctions`).

    Row ``i`` of it is ``params[start + i * k : start + (i + 1) * k]``. A loop that runs often
    reads rows so: each k x k view of :func:`regime_cooperation` or :func:`regime_sanctions`
    is a call into numba's ``reshape`` (about 40 ns, as much as the arithmetic of a regime's
    fitness at k = 3).
    """
    return N_REGIME + which * k * k


@jit(inline="always")
def regime_cooperation(params, k):
    """The k x k cooperation matrix of a regime array (a view)."""
    start = regime_matrix_start(k, 0)
    return params[start : start + k * k].reshape((k, k))


@jit(inline="always")
def regime_sanction_count(params):
    """How many k x k sanction matrices follow a regime array's cooperation matrix (0, 1 or
    2; see the fields above)."""
    return int(params[SANCTIONS])


@jit(inline="always")
def regime_sanctions(params, k, which):
    """Sanction matrix ``which`` (0: ``S`` or ``S_fine``; 1: ``S_reward``) of a regime array
    on ``k`` strategies (a view; only those :func:`regime_sanction_count` says are there)."""
    start = regime_matrix_start(k, 1 + which)
    return params[start : start + k * k].reshape((k, k))


# -- group games (model GROUP) --------------------------------------------------------------


def group_game_array(m, coef, comps, pf):
    """The flat array of a group game: ``m`` co-players per group, the ``K`` co-player
    compositions ``comps`` (K x k), their multinomial coefficients ``coef`` (K) and the focal
    payoffs ``pf`` (K x k; ``pf[o, i]``: a focal ``i`` among the co-players ``o``).

    Returns
    -------
    numpy.ndarray
        ``GROUP_HEADER + K + 2 K k`` float64 values, read back by :func:`group_game_tables`.
    """
    comps = np.asarray(comps)
    pf = np.asarray(pf, dtype=np.float64)
    coef = np.asarray(coef, dtype=np.float64)
    K, k = comps.shape
    if pf.shape != (K, k) or coef.shape != (K,):
        raise ValueError(
            f"comps {comps.shape}, pf {pf.shape} and coef {coef.shape} must be (K, k), (K, k), "
            "(K,)"
        )
    return np.concatenate(
        ([float(k), float(m), float(K)], coef, comps.astype(np.float64).ravel(), pf.ravel())
    )


@jit(inline="always")
def group_game_tables(params):
    """``(m, coef, comps, pf)`` of a group-game array (views; ``comps`` as float64)."""
    k = int(params[0])
    m = int(params[1])
    K = int(params[2])
    start = GROUP_HEADER
    coef = params[start : start + K]
    start += K
    comps = params[start : start + K * k].reshape((K, k))
    start += K * k
    pf = params[start : start + K * k].reshape((K, k))
    return m, coef, comps, pf


# -- a regime on a group game (model GROUP_INSTITUTIONS) ------------------------------------


def group_regime_array(regime_params, group_params):
    """A regime array (:func:`regime_array`) followed by a group-game array
    (:func:`group_game_array`)."""
    return np.concatenate([regime_params, group_params])


@jit(inline="always")
def regime_group_game(params, k):
    """The group-game array inside a ``GROUP_INSTITUTIONS`` array of ``k`` strategies (a
    view; the regime's part is read by :func:`regime_terms` and :func:`regime_cooperation`)."""
    funded = 1 if params[FUNDED] > 0.0 else 0
    return params[N_REGIME + (1 + regime_sanction_count(params) + funded) * k * k :]


# -- the replicator's integrated state ------------------------------------------------------


def integrated_state(frequencies, strength=None, fine_position=None):
    """The replicator's state: the frequencies, then the institution's strength ``m`` when it
    co-evolves (``strength`` not None), then the position ``u`` in [0, 1] of the fine level
    in its bounds when the members choose it (``fine_position`` not None)."""
    x = np.asarray(frequencies, dtype=np.float64)
    extra = [float(v) for v in (strength, fine_position) if v is not None]
    return np.append(x, extra) if extra else x.copy()
