"""Figures of games on graphs: the lattice as an image over time (matplotlib, headless).

As in :mod:`evopolity.experiments.figures`, every function returns a
:class:`matplotlib.figure.Figure` and, given ``path``, saves it (PNG at 150 dpi unless the
suffix says otherwise); matplotlib is imported only when a figure is drawn.

=====================================  ==========================================================
function                               figure
=====================================  ==========================================================
:func:`lattice_snapshots`              a square lattice's node states at chosen recorded
                                       generations, one panel each, a colour per strategy, from a
                                       ``structured(..., snapshots=True)`` run
=====================================  ==========================================================
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evopolity.experiments.figures import _colors, _figure, _finish

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from evopolity.dynamics.trajectory import Trajectory

__all__ = ["lattice_snapshots"]


def lattice_snapshots(
    trajectory: Trajectory,
    panels: int | Sequence[float] = 4,
    *,
    side: int | None = None,
    colors: Sequence[Any] | None = None,
    title: str | None = None,
    path: str | Path | None = None,
) -> Figure:
    """The lattice as an image at several recorded generations (node ``r * side + c`` at row
    ``r``, column ``c``, as :func:`evopolity.graphs.lattice` numbers them).

    Parameters
    ----------
    trajectory : Trajectory
        A run of :func:`evopolity.structured` with ``snapshots=True`` on a square lattice.
    panels : int or sequence of float
        How many panels, spread evenly over the recorded generations (first and last
        included), or the generations to show (each the nearest recorded one).
    side : int, optional
        The lattice's side (default: the square root of the number of nodes).
    colors : sequence, optional
        One matplotlib colour per strategy (default: the package's palette).
    title : str, optional
        A title over the panels.
    path : str or Path, optional
        Where to save the figure.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per chosen generation, with a legend of the strategies.

    Raises
    ------
    ValueError
        For a run without snapshots, a number of nodes that is no square (without ``side``),
        or ``panels`` below 1.
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    snaps = trajectory.info.get("snapshots") if hasattr(trajectory, "info") else None
    if snaps is None:
        raise ValueError("trajectory must come from structured(..., snapshots=True)")
    snaps = np.asarray(snaps)
    n = snaps.shape[1]
    if side is None:
        side = math.isqrt(n)
    if side * side != n:
        raise ValueError(f"side must make a square of the {n} nodes, got {side}")
    times = np.asarray(trajectory.times, dtype=np.float64)
    if isinstance(panels, (int, np.integer)):
        if panels < 1:
            raise ValueError(f"panels must be at least 1, got {panels}")
        rows = np.unique(np.linspace(0, len(times) - 1, min(int(panels), len(times))).round()
                         .astype(int))  # fmt: skip
    else:
        rows = np.array([int(np.abs(times - float(t)).argmin()) for t in panels])
    names = list(trajectory.strategies)
    k = len(names)
    palette = list(colors) if colors is not None else _colors(k)
    if len(palette) < k:
        raise ValueError(f"colors must give one colour per strategy ({k}), got {len(palette)}")
    cmap = ListedColormap(palette[:k])
    cols = min(len(rows), 4)
    lines = math.ceil(len(rows) / cols)
    fig = _figure((2.6 * cols, 2.6 * lines + 0.5))
    for p, row in enumerate(rows):
        ax = fig.add_subplot(lines, cols, p + 1)
        ax.imshow(snaps[row].reshape(side, side), cmap=cmap, vmin=-0.5, vmax=k - 0.5,
                  interpolation="nearest")  # fmt: skip
        ax.set_title(f"generation {times[row]:g}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.legend(handles=[Patch(color=palette[q], label=names[q]) for q in range(k)],
               loc="outside lower center", ncol=min(k, 4), fontsize=8)  # fmt: skip
    if title:
        fig.suptitle(title)
    return _finish(fig, path)
