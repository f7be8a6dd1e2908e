"""Sanctions inside a match: what an institution does to each move of a round.

A regime played inside matches (``tournament(..., regime=r)``) reaches the kernels as two
tables and three numbers, built here from the regime's fields:

* ``fines[context, move]``: the fine on a *detected* ``move`` (C = 0, D = 1) made in
  ``context``, the previous round's joint move ``2 own + other`` or ``FIRST_ROUND``
  (:mod:`kernels.codes`). The norm decides which entries hold ``F``: ``"any"`` every
  defection; ``"unjustified"`` a defection unless the opponent defected the round before (a
  first-round defection is unjustified); a ``captured`` institution fines every cooperation.
* ``rewards[context, move]``: ``B`` on a detected cooperation, in every context.
* ``detection``: each move is seen with this probability, independently.
* ``own_share``, ``other_share``: the part of a player's own fine, and of its opponent's, that
  the player receives back (the destination: burned ``(0, 0)``, to the victim ``(0, 1)``,
  shared in the group of two ``(1/2, 1/2)``, to the institution ``(0, 0)``, where it is
  collected instead).

A round's payoff to ``i`` is then ``payoff[a, b] - f_i + own_share f_i + other_share f_j +
r_i`` with ``f_i = fines[ctx_i, a]`` and ``r_i = rewards[ctx_i, a]`` when ``i``'s move is
detected, 0 when it is not. Everything is linear in the fines, so expectations and per-turn
means follow by the same formula.
"""

import numpy as np

from evopolity.kernels.codes import (
    FINE_BURNED,
    FINE_TO_GROUP,
    FINE_TO_INSTITUTION,
    FINE_TO_VICTIM,
    FIRST_ROUND,
    N_CONTEXTS,
    NORM_ANY,
    NORM_UNJUSTIFIED,
)

__all__ = ["sanction_tables", "destination_shares"]


def sanction_tables(norm, captured, fine, reward):
    """The fine and reward tables of a regime: ``(fines, rewards)``, each ``N_CONTEXTS x 2``.

    Parameters
    ----------
    norm : int
        A norm code (``NORM_ANY``, ``NORM_UNJUSTIFIED``).
    captured : bool
        A captured institution fines detected cooperation, in every context, whatever the norm.
    fine, reward : float
        ``F`` and ``B`` (at the institution's full strength).

    Returns
    -------
    tuple of numpy.ndarray
        ``fines[context, move]`` and ``rewards[context, move]`` (float64).
    """
    fines = np.zeros((N_CONTEXTS, 2))
    if captured:
        fines[:, 0] = fine
    elif norm == NORM_ANY:
        fines[:, 1] = fine
    elif norm == NORM_UNJUSTIFIED:
        for ctx in range(N_CONTEXTS):
            # the opponent's previous move is the low bit of the context; the first round
            # has no previous move, so a defection there is unjustified
            if ctx == FIRST_ROUND or ctx % 2 == 0:
                fines[ctx, 1] = fine
    else:
        raise ValueError(f"unknown norm code {norm}")
    rewards = np.zeros((N_CONTEXTS, 2))
    rewards[:, 0] = reward
    return fines, rewards


def destination_shares(fine_to):
    """``(own_share, other_share)`` of a destination code: the part of a player's own fine and
    of its opponent's fine that the player receives.

    Parameters
    ----------
    fine_to : int
        A destination code (``FINE_BURNED`` ... ``FINE_TO_INSTITUTION``).

    Returns
    -------
    tuple of float
    """
    if fine_to in (FINE_BURNED, FINE_TO_INSTITUTION):
        return 0.0, 0.0
    if fine_to == FINE_TO_VICTIM:
        return 0.0, 1.0
    if fine_to == FINE_TO_GROUP:
        return 0.5, 0.5
    raise ValueError(f"unknown destination code {fine_to}")
