"""Which mechanism did it: the difference in an outcome between two regimes, attributed to the
fields in which they differ.

With ``d`` differing fields, every one of the ``2^d`` hybrid regimes (``regime_a`` with a
subset ``S`` of the fields switched to ``regime_b``'s values) is evaluated: ``v(S)``. Each
field's Shapley value (Shapley 1953) is its marginal effect averaged over the orders in which
the fields can be switched,

.. math::

    \\phi_i = \\sum_{S \\subseteq D \\setminus \\{i\\}} \\frac{|S|!\\,(d - |S| - 1)!}{d!}
    \\big(v(S \\cup \\{i\\}) - v(S)\\big),

and the values add up to the whole difference, ``sum_i phi_i = v(D) - v({})``. The pairwise
Shapley interaction index (Grabisch 1997)

.. math::

    I_{ij} = \\sum_{S \\subseteq D \\setminus \\{i, j\\}} \\frac{|S|!\\,(d - |S| - 2)!}{(d - 1)!}
    \\big(v(S \\cup \\{i, j\\}) - v(S \\cup \\{i\\}) - v(S \\cup \\{j\\}) + v(S)\\big)

is 0 when the two fields act additively.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from evopolity.institutions.regime import Regime

__all__ = ["Attribution", "attribute", "MAX_FIELDS"]

#: The most differing fields one attribution takes (2^d outcomes are evaluated).
MAX_FIELDS = 8

# fields that name or describe a regime, not mechanisms
_LABELS = ("name", "description")


@dataclass(frozen=True)
class Attribution:
    """The difference in an outcome between two regimes, attributed to their fields.

    Parameters
    ----------
    fields : DataFrame
        One row per differing field (index ``field``): ``from`` and ``to`` (its values in
        ``regime_a`` and ``regime_b``), ``shapley`` (its Shapley value), ``share`` (its
        fraction of the total difference; NaN when the total is 0) and ``alone`` (the effect
        of switching it alone, from ``regime_a``).
    interactions : DataFrame
        One row per pair of fields: ``first``, ``second``, ``interaction`` (the Shapley
        interaction index).
    outcomes : Series
        ``v(S)`` for every subset ``S`` of the fields switched (a tuple of names).
    total : float
        ``outcome(regime_b) - outcome(regime_a)``, the sum of the Shapley values.
    """

    fields: pd.DataFrame
    interactions: pd.DataFrame
    outcomes: pd.Series
    total: float


def attribute(
    regime_a: Regime,
    regime_b: Regime,
    outcome: Callable[[Regime], float],
    *,
    fields: Any = None,
) -> Attribution:
    """Attribute the difference in ``outcome`` between two regimes to their mechanisms.

    Parameters
    ----------
    regime_a, regime_b : Regime
        The two regimes (``regime_a`` is the baseline).
    outcome : callable
        A function of a ``Regime`` returning a number (e.g. the cooperation at the attractor
        of a run under it); called ``2^d`` times.
    fields : sequence of str, optional
        The fields to attribute to (default: every field in which the regimes differ, but
        ``name`` and ``description``); fields in which they agree are dropped.

    Returns
    -------
    Attribution
        The Shapley value and share of each field, the pairwise interactions, every hybrid's
        outcome and the total difference.

    Raises
    ------
    TypeError
        For regimes that are not ``Regime`` objects, an ``outcome`` that is not callable or
        returns no real number.
    ValueError
        For more than ``MAX_FIELDS`` (8) differing fields, or an unknown field.

    Examples
    --------
    >>> a, b = Regime(), Regime(fine=2.0, tax=0.5)
    >>> at = attribute(a, b, lambda r: 2 * r.fine + 4 * r.tax)
    >>> at.fields["shapley"].to_dict()
    {'fine': 4.0, 'tax': 2.0}
    """
    for name, r in (("regime_a", regime_a), ("regime_b", regime_b)):
        if not isinstance(r, Regime):
            raise TypeError(f"{name} must be a Regime, got {type(r).__name__}")
    if not callable(outcome):
        raise TypeError(f"outcome must be a callable of a Regime, got {outcome!r}")
    known = [f.name for f in dataclasses.fields(Regime) if f.name not in _LABELS]
    if fields is None:
        chosen = known
    else:
        chosen = [str(f) for f in fields]
        unknown = [f for f in chosen if f not in known]
        if unknown:
            raise ValueError(f"fields must be fields of Regime ({', '.join(known)}), "
                             f"got {unknown}")
    diff = [f for f in chosen if getattr(regime_a, f) != getattr(regime_b, f)]
    d = len(diff)
    if d > MAX_FIELDS:
        raise ValueError(
            f"the regimes differ in {d} fields ({', '.join(diff)}); an attribution takes at "
            f"most {MAX_FIELDS} (2^d runs): pass fields= to choose some"
        )
    values: dict[frozenset[str], float] = {}
    for size in range(d + 1):
        for S in itertools.combinations(diff, size):
            hybrid = dataclasses.replace(regime_a, **{f: getattr(regime_b, f) for f in S})
            v = outcome(hybrid)
            try:
                values[frozenset(S)] = float(v)
            except (TypeError, ValueError):
                raise TypeError(f"outcome must return a real number, got {v!r}") from None
    empty = frozenset()
    total = values[frozenset(diff)] - values[empty]
    rows = []
    for f in diff:
        others = [g for g in diff if g != f]
        phi = 0.0
        for size in range(d):
            w = math.factorial(size) * math.factorial(d - size - 1) / math.factorial(d)
            for S in itertools.combinations(others, size):
                s = frozenset(S)
                phi += w * (values[s | {f}] - values[s])
        rows.append([f, getattr(regime_a, f), getattr(regime_b, f), phi,
                     phi / total if total != 0 else math.nan,
                     values[frozenset([f])] - values[empty]])
    table = pd.DataFrame(rows, columns=["field", "from", "to", "shapley", "share", "alone"])
    table = table.set_index("field")
    pairs = []
    for f, g in itertools.combinations(diff, 2):
        others = [h for h in diff if h not in (f, g)]
        idx = 0.0
        for size in range(d - 1):
            w = math.factorial(size) * math.factorial(d - size - 2) / math.factorial(d - 1)
            for S in itertools.combinations(others, size):
                s = frozenset(S)
                idx += w * (values[s | {f, g}] - values[s | {f}] - values[s | {g}] + values[s])
        pairs.append([f, g, idx])
    interactions = pd.DataFrame(pairs, columns=["first", "second", "interaction"])
    outcomes = pd.Series({tuple(f for f in diff if f in S): v for S, v in values.items()},
                         name="outcome", dtype=float)
    return Attribution(table, interactions, outcomes, float(total))
