"""Shocks: scheduled changes in the middle of a run.

The kernels never know about shocks (docs/design.md): :func:`evopolity.evolve` integrates the
replicator in segments between shock times and changes the inputs in between.

========================  ===============================================================
``Shock(t, kind, value)``  effect at time ``t``
========================  ===============================================================
``"temptation"``           the stage game's ``T`` becomes ``value``; interactions replayed
``"noise"``                the noise becomes ``value``; interactions replayed
``"invasion"``             strategy ``value`` (a name among the run's strategies or
                           ``invaders``) is set to ``frequency`` (default 0.01), the others
                           scaled down
``"collapse"``             the institution's strength ``m`` drops to 0 (co-evolving
                           institutions only)
``"regime"``               the regime becomes ``value`` (a ``Regime``); a co-evolving
                           institution keeps its strength
========================  ===============================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evopolity.institutions.regime import Regime
from evopolity.validate import nonnegative, probability, real

__all__ = ["Shock", "SHOCK_KINDS"]

SHOCK_KINDS = ("temptation", "noise", "invasion", "collapse", "regime")


@dataclass(frozen=True)
class Shock:
    """A scheduled change at ``time`` (see the module's table for ``kind`` and ``value``).

    Parameters
    ----------
    time : float
        When it happens (``>= 0``; :func:`evopolity.evolve` wants it inside ``(0, t_max)``).
    kind : {"temptation", "noise", "invasion", "collapse", "regime"}
        What changes.
    value : float, str or Regime
        The new temptation ``T``, the new noise, the invading strategy's name or the new
        regime (unused by ``"collapse"``).
    frequency : float
        The invader's frequency right after an ``"invasion"``, in (0, 1).

    Raises
    ------
    ValueError, TypeError
        For an unknown kind or a value that does not fit it.
    """

    time: float
    kind: str
    value: Any = None
    frequency: float = 0.01

    def __post_init__(self) -> None:
        object.__setattr__(self, "time", nonnegative(self.time, "Shock.time"))
        object.__setattr__(
            self, "frequency",
            probability(self.frequency, "Shock.frequency", zero=False, one=False),
        )  # fmt: skip
        if self.kind not in SHOCK_KINDS:
            raise ValueError(f"Shock.kind must be one of {SHOCK_KINDS}, got {self.kind!r}")
        if self.kind == "temptation":
            object.__setattr__(self, "value", real(self.value, "Shock.value (temptation T)"))
        elif self.kind == "noise":
            object.__setattr__(self, "value", probability(self.value, "Shock.value (noise)"))
        elif self.kind == "invasion":
            if not isinstance(self.value, str):
                raise TypeError(
                    f"Shock.value of an invasion must be the invading strategy's name, got "
                    f"{self.value!r}"
                )
        elif self.kind == "regime" and not isinstance(self.value, Regime):
            raise TypeError(f"Shock.value of a regime shock must be a Regime, got {self.value!r}")
