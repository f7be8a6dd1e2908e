"""Checks at the public edges: each raises with the parameter's name and the allowed range.

``TypeError`` for a value of the wrong kind, ``ValueError`` for one out of range (NaN
included), before any kernel runs. Every public function validates through these, so the same
mistake reads the same everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "integer",
    "real",
    "nonnegative",
    "probability",
    "seed_sequence",
    "as_payoff_matrix",
    "cooperation_matrix",
    "simplex_point",
    "mutation_matrix",
    "boolean",
    "check_size",
    "check_magnitude",
    "MAX_OUTPUT_BYTES",
    "MAX_ROWS",
]

#: The largest output array a public function allocates (estimated from its arguments first).
MAX_OUTPUT_BYTES = 2 * 1024**3
#: The most rows (time points, recorded generations) one result may hold.
MAX_ROWS = 100_000_000


def integer(value: Any, name: str, minimum: int = 1, maximum: int = 2**62) -> int:
    """An integer in ``[minimum, maximum]`` (bools refused); the default ``maximum`` keeps
    counts and sums of counts inside the kernels' int64."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if value > maximum:
        raise ValueError(
            f"{name} must be at most {maximum} (the kernels count in 64-bit integers), "
            f"got {value}"
        )
    return int(value)


def real(value: Any, name: str) -> float:
    """A finite real number (bools, strings and NaN/inf refused)."""
    if isinstance(value, bool | str):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


def nonnegative(value: Any, name: str, *, allow_zero: bool = True) -> float:
    """A finite real ``>= 0`` (or ``> 0`` when ``allow_zero`` is False)."""
    v = real(value, name)
    if v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}, got {value!r}")
    return v


def probability(value: Any, name: str, *, zero: bool = True, one: bool = True) -> float:
    """A probability in ``[0, 1]``; ``zero=False`` / ``one=False`` open that end."""
    interval = f"{'[' if zero else '('}0, 1{']' if one else ')'}"
    if isinstance(value, bool | str):
        raise TypeError(f"{name} must be a probability in {interval}, got {value!r}")
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a probability in {interval}, got {value!r}") from None
    low_ok = p >= 0.0 if zero else p > 0.0
    high_ok = p <= 1.0 if one else p < 1.0
    if not (low_ok and high_ok):  # NaN fails both
        raise ValueError(f"{name} must be a probability in {interval}, got {value!r}")
    return p


def seed_sequence(seed: Any) -> np.random.SeedSequence:
    """A ``SeedSequence`` from ``None`` (fresh entropy), an int >= 0 or a ``SeedSequence``."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(
            f"seed must be None, a non-negative integer or a SeedSequence, got {seed!r}"
        )
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return np.random.SeedSequence(int(seed))


def as_payoff_matrix(payoffs: Any, name: str = "payoffs") -> tuple[np.ndarray, tuple[str, ...]]:
    """Validate interactions and return ``(A, names)``: a C-contiguous float64 k x k array.

    Accepts a square array (strategies named ``"0" .. "k-1"``), a DataFrame with the same
    labels as index and columns (columns are reordered to the index), or an object with a
    ``.payoffs`` DataFrame attribute. Raises ``ValueError`` naming ``name`` for a non-square
    or empty matrix, NaN or infinite entries, or mismatched or duplicated labels.
    """
    if not isinstance(payoffs, pd.DataFrame | np.ndarray) and hasattr(payoffs, "payoffs"):
        payoffs = payoffs.payoffs
        name = f"{name}.payoffs"
    if isinstance(payoffs, pd.DataFrame):
        index = [str(s) for s in payoffs.index]
        columns = [str(s) for s in payoffs.columns]
        if len(set(index)) != len(index):
            raise ValueError(f"{name} has duplicated strategy names in its index")
        if set(index) != set(columns) or len(columns) != len(index):
            raise ValueError(
                f"{name} must have the same strategy names as index and columns, got "
                f"{index} and {columns}"
            )
        frame = payoffs
        if columns != index:  # reorder the columns to the index (rarely needed: copy then)
            frame = payoffs.copy()
            frame.index = index
            frame.columns = columns
            frame = frame.loc[index, index]
        try:
            A = frame.to_numpy(dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must hold real numbers") from None
        names = tuple(index)
    else:
        if isinstance(payoffs, str | bytes) or payoffs is None:
            raise TypeError(
                f"{name} must be a square array, a DataFrame or an object with .payoffs, got "
                f"{type(payoffs).__name__}"
            )
        try:
            A = np.array(payoffs, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must be a square array of real numbers, a DataFrame or an object "
                f"with .payoffs, got {type(payoffs).__name__}"
            ) from None
        names = tuple(map(str, range(A.shape[0]))) if A.ndim == 2 else ()
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square k x k matrix, got shape {A.shape}")
    if not np.isfinite(A).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return np.ascontiguousarray(A), names


def cooperation_matrix(cooperation: Any, names: tuple[str, ...], name: str) -> np.ndarray:
    """A k x k matrix of probabilities from an array, a DataFrame (aligned to ``names``) or an
    object with a ``.cooperation`` DataFrame (a ``Tournament``)."""
    if hasattr(cooperation, "cooperation") and not isinstance(cooperation, np.ndarray):
        cooperation = cooperation.cooperation
    if isinstance(cooperation, pd.DataFrame):
        index = [str(s) for s in cooperation.index]
        if index != list(names) or [str(s) for s in cooperation.columns] != list(names):
            missing = [n for n in names if n not in index or n not in cooperation.columns]
            if missing:
                raise ValueError(f"{name} has no rows/columns for {missing}")
            cooperation = cooperation.loc[list(names), list(names)]
        cooperation = cooperation.to_numpy()
    try:
        C = np.array(cooperation, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a k x k array of probabilities") from None
    k = len(names)
    if C.shape != (k, k):
        raise ValueError(f"{name} must have shape ({k}, {k}), got {C.shape}")
    if not np.all((C >= 0.0) & (C <= 1.0)):
        raise ValueError(f"{name} must hold probabilities in [0, 1] (no NaN)")
    return C


def simplex_point(
    x: Any, names: Sequence[str], name: str = "x0", tol: float = 1e-9
) -> np.ndarray:
    """Validate a state on the simplex: k non-negative frequencies summing to 1 (to ``tol``).

    ``x`` may be an array, or a Series / mapping indexed by strategy name (missing names 0).
    Returns a float64 array renormalised to sum exactly 1.
    """
    k = len(names)
    if isinstance(x, np.ndarray) and x.dtype.kind in "biuf":  # the common case first
        v = x.astype(np.float64)
    elif isinstance(x, pd.Series | Mapping):
        series = pd.Series(x, dtype=np.float64)
        unknown = set(map(str, series.index)) - set(names)
        if unknown:
            raise ValueError(f"{name} names unknown strategies {sorted(unknown)}")
        series.index = [str(s) for s in series.index]
        v = series.reindex(list(names), fill_value=0.0).to_numpy(dtype=np.float64)
    else:
        try:
            v = np.array(x, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be an array of {k} frequencies") from None
    if v.shape != (k,):
        raise ValueError(f"{name} must have shape ({k},), got {v.shape}")
    if not np.isfinite(v).all() or (v < 0).any():
        raise ValueError(f"{name} must hold non-negative finite frequencies")
    total = v.sum()
    if abs(total - 1.0) > tol:
        raise ValueError(f"{name} must sum to 1 (got {total!r})")
    return v / total


def mutation_matrix(mutation: Any, k: int, name: str = "mutation") -> tuple[np.ndarray, bool]:
    """A row-stochastic k x k matrix from a uniform rate in [0, 1] or a matrix; and whether
    it differs from the identity. ``Q[i, j]``: probability that an offspring of ``i`` is ``j``.
    """
    if np.isscalar(mutation) and not isinstance(mutation, str | bytes):
        mu = probability(mutation, f"{name} rate")
        if mu > 0.0 and k < 2:
            raise ValueError(f"{name} needs at least 2 strategies")
        if mu == 0.0:
            return np.eye(k), False
        Q = np.full((k, k), mu / max(k - 1, 1))
        np.fill_diagonal(Q, 1.0 - mu)
        return Q, True
    try:
        Q = np.array(mutation, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a rate in [0, 1] or a k x k matrix") from None
    if Q.shape != (k, k):
        raise ValueError(f"{name} matrix must have shape ({k}, {k}), got {Q.shape}")
    if not np.isfinite(Q).all() or (Q < 0).any() or (Q > 1).any():
        raise ValueError(f"{name} matrix entries must be probabilities in [0, 1]")
    if not np.allclose(Q.sum(axis=1), 1.0, rtol=0, atol=1e-12):
        raise ValueError(f"{name} matrix rows must sum to 1")
    return np.ascontiguousarray(Q), not np.array_equal(Q, np.eye(k))


def boolean(value: Any, name: str) -> bool:
    """A real bool (``True``/``False`` or a numpy bool); strings such as ``'no'`` are refused."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_size(
    count: float,
    limit: float,
    what: str,
    name: str,
    *,
    unit: str = "rows",
    bytes_per_item: float | None = None,
    budget: float = MAX_OUTPUT_BYTES,
    fix: str | None = None,
) -> None:
    """Refuse work or memory beyond a budget, estimated from the arguments before allocating.

    ``count`` items of ``what`` (computed with Python floats or ints, never by allocating)
    must not exceed ``limit``; with ``bytes_per_item``, ``count * bytes_per_item`` must also
    not exceed ``budget`` bytes. The message names ``name`` (the parameter(s) that set the
    size), the estimate and the limit, and ends with ``fix`` (default: "lower NAME").
    """
    of = f" {unit} of " if unit else " "
    units = f" {unit}" if unit else ""
    fix = fix or f"lower {name}"
    if not count <= limit:  # NaN refused too
        raise ValueError(
            f"{name} asks for {_amount(count)}{of}{what}, more than the limit of "
            f"{_amount(limit)}; {fix}"
        )
    if bytes_per_item is not None:
        size = float(count) * float(bytes_per_item)
        if not size <= budget:
            raise ValueError(
                f"{name} asks for {what} of about {_bytes(size)} ({_amount(count)}{units}), "
                f"more than the budget of {_bytes(budget)}; {fix}"
            )


def check_magnitude(largest: float, limit: float, name: str, why: str) -> None:
    """Refuse values whose magnitude ``largest`` exceeds ``limit`` (overflow in a kernel).

    ``why`` says which arithmetic would overflow and what to do instead; the message names
    ``name``.
    """
    if not largest <= limit:
        raise ValueError(
            f"{name} as large as {largest:g} in magnitude exceed {limit:g}: {why}"
        )


def _amount(n: float) -> str:
    n = float(n)
    return f"{int(n):,}" if n < 1e15 else f"{n:.3g}"


def _bytes(n: float) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.3g} {unit}" if n < 1e15 * size else f"{n:.3g} bytes"
    return f"{n:.0f} bytes"
