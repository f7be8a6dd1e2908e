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

Above :data:`MAX_FIELDS` differing fields the ``2^d`` hybrids are too many, and the Shapley
values are estimated by sampling orders (Castro, Gómez & Tejada 2009): each sampled order
switches the fields one after another and credits each with its marginal effect; the
estimate is the mean over the orders, with its standard error. Each order is drawn with its
reverse (antithetic pairs: a field early in one is late in the other, which cancels much of
the variance), so the standard error is over the pairs' means. Every order's marginal
effects add up to the whole difference, so the estimates do too, exactly.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evopolity.institutions.regime import Regime
from evopolity.validate import integer, seed_sequence

__all__ = ["Attribution", "attribute", "MAX_FIELDS", "ATTRIBUTION_METHODS"]

#: The most differing fields an exact attribution takes (2^d outcomes are evaluated); above
#: it, ``method="auto"`` samples orders.
MAX_FIELDS = 8
#: How :func:`attribute` computes the Shapley values.
ATTRIBUTION_METHODS = ("auto", "exact", "sampled")

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
        fraction of the total difference; NaN when the total is 0), ``se`` and
        ``share_se`` (their standard errors: 0 when exact) and ``alone`` (the effect of
        switching it alone, from ``regime_a``).
    interactions : DataFrame
        One row per pair of fields: ``first``, ``second``, ``interaction`` (the Shapley
        interaction index); empty when sampled (not estimated).
    outcomes : Series
        ``v(S)`` for every subset ``S`` of the fields switched that was evaluated (a tuple of
        names): all of them when exact.
    total : float
        ``outcome(regime_b) - outcome(regime_a)``, the sum of the Shapley values.
    method : {"exact", "sampled"}
        How the values were computed.
    samples : int
        The orders sampled (0 when exact).
    """

    fields: pd.DataFrame
    interactions: pd.DataFrame
    outcomes: pd.Series
    total: float
    method: str = "exact"
    samples: int = 0


def attribute(
    regime_a: Regime,
    regime_b: Regime,
    outcome: Callable[[Regime], float],
    *,
    fields: Any = None,
    method: str = "auto",
    samples: int = 1000,
    seed: Any = None,
) -> Attribution:
    """Attribute the difference in ``outcome`` between two regimes to their mechanisms.

    Parameters
    ----------
    regime_a, regime_b : Regime
        The two regimes (``regime_a`` is the baseline).
    outcome : callable
        A function of a ``Regime`` returning a number (e.g. the cooperation at the attractor
        of a run under it); called ``2^d`` times when exact.
    fields : sequence of str, optional
        The fields to attribute to (default: every field in which the regimes differ, but
        ``name`` and ``description``); fields in which they agree are dropped.
    method : {"auto", "exact", "sampled"}
        ``"exact"``: every one of the ``2^d`` hybrids (at most ``MAX_FIELDS`` fields);
        ``"sampled"``: ``samples`` random orders (see the module); ``"auto"``: exact up to
        ``MAX_FIELDS`` differing fields, sampled above.
    samples : int
        The orders sampled (rounded up to an even number: each is drawn with its reverse);
        each evaluates at most ``d`` new hybrids (outcomes are cached), so ``outcome`` is
        called at most ``samples * d + d + 1`` times. The standard errors fall as
        ``1 / sqrt(samples)``.
    seed : None, int or SeedSequence
        Seeds the sampled orders.

    Returns
    -------
    Attribution
        The Shapley value, share and standard errors of each field, the pairwise
        interactions (exact only), the hybrids' outcomes and the total difference.

    Raises
    ------
    TypeError
        For regimes that are not ``Regime`` objects, an ``outcome`` that is not callable or
        returns no real number.
    ValueError
        For more than ``MAX_FIELDS`` (8) differing fields with ``method="exact"``, an
        unknown field or method, or fewer than 2 samples.

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
    if method not in ATTRIBUTION_METHODS:
        raise ValueError(f"method must be one of {', '.join(ATTRIBUTION_METHODS)}, "
                         f"got {method!r}")
    d = len(diff)
    if method == "exact" and d > MAX_FIELDS:
        raise ValueError(
            f"the regimes differ in {d} fields ({', '.join(diff)}); an exact attribution takes "
            f"at most {MAX_FIELDS} (2^d runs): pass fields= to choose some, or "
            "method=\"sampled\""
        )
    values: dict[frozenset[str], float] = {}

    def v(S: Any) -> float:
        key = frozenset(S)
        if key not in values:
            hybrid = dataclasses.replace(regime_a, **{f: getattr(regime_b, f) for f in key})
            out = outcome(hybrid)
            try:
                values[key] = float(out)
            except (TypeError, ValueError):
                raise TypeError(f"outcome must return a real number, got {out!r}") from None
        return values[key]

    empty = frozenset()
    if method == "sampled" or (method == "auto" and d > MAX_FIELDS):
        samples = integer(samples, "samples", 2)
        phi, se = _sampled(diff, v, samples, seed)
        method, n_orders = "sampled", 2 * ((samples + 1) // 2)
    else:
        for size in range(d + 1):
            for S in itertools.combinations(diff, size):
                v(S)
        phi, se = _exact(diff, values), np.zeros(d)
        method, n_orders = "exact", 0
    total = v(diff) - v(empty)
    rows = []
    for i, f in enumerate(diff):
        share = phi[i] / total if total != 0 else math.nan
        share_se = se[i] / abs(total) if total != 0 else math.nan
        rows.append([f, getattr(regime_a, f), getattr(regime_b, f), phi[i], share, se[i],
                     share_se, v([f]) - v(empty)])
    table = pd.DataFrame(rows, columns=["field", "from", "to", "shapley", "share", "se",
                                        "share_se", "alone"])
    table = table.set_index("field")
    pairs = []
    if method == "exact":
        for f, g in itertools.combinations(diff, 2):
            others = [h for h in diff if h not in (f, g)]
            idx = 0.0
            for size in range(d - 1):
                w = math.factorial(size) * math.factorial(d - size - 2) / math.factorial(d - 1)
                for S in itertools.combinations(others, size):
                    s = frozenset(S)
                    idx += w * (values[s | {f, g}] - values[s | {f}] - values[s | {g}]
                                + values[s])
            pairs.append([f, g, idx])
    interactions = pd.DataFrame(pairs, columns=["first", "second", "interaction"])
    interactions = interactions.astype({"first": object, "second": object,
                                        "interaction": float})
    outcomes = pd.Series({tuple(f for f in diff if f in S): x for S, x in values.items()},
                         name="outcome", dtype=float)
    return Attribution(table, interactions, outcomes, float(total), method, n_orders)


def _exact(diff: Sequence[str], values: dict[frozenset[str], float]) -> np.ndarray:
    """The Shapley values from every subset's outcome (the module's formula)."""
    d = len(diff)
    phi = np.zeros(d)
    for i, f in enumerate(diff):
        others = [g for g in diff if g != f]
        for size in range(d):
            w = math.factorial(size) * math.factorial(d - size - 1) / math.factorial(d)
            for S in itertools.combinations(others, size):
                s = frozenset(S)
                phi[i] += w * (values[s | {f}] - values[s])
    return phi


def _sampled(diff: Sequence[str], v: Callable[[Any], float], samples: int,
             seed: Any) -> tuple[np.ndarray, np.ndarray]:
    """The Shapley values estimated over random orders drawn in antithetic pairs, and their
    standard errors (over the pairs' means)."""
    d = len(diff)
    rng = np.random.default_rng(seed_sequence(seed))
    n_pairs = (samples + 1) // 2
    means = np.zeros((n_pairs, d))
    for p in range(n_pairs):
        order = rng.permutation(d)
        for walk in (order, order[::-1]):
            switched: list[str] = []
            before = v(switched)
            for i in walk:
                switched.append(diff[i])
                after = v(switched)
                means[p, i] += 0.5 * (after - before)
                before = after
    phi = means.mean(axis=0)
    se = means.std(axis=0, ddof=1) / math.sqrt(n_pairs) if n_pairs > 1 else \
        np.full(d, math.nan)
    return phi, se
