"""Checks at the public edges: each raises with the parameter's name and the allowed range.

``TypeError`` for a value of the wrong kind, ``ValueError`` for one out of range (NaN
included), before any kernel runs. Every public function validates through these, so the same
mistake reads the same everywhere.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["integer", "real", "nonnegative", "probability", "seed_sequence"]


def integer(value: Any, name: str, minimum: int = 1) -> int:
    """An integer ``>= minimum`` (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
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
    if isinstance(value, bool | str):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
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
