"""Reproduce the spatial Prisoner's Dilemma of Nowak & May (1992): the lattice's regimes in b.

    python scripts/reproduce_nowak_may1992.py [--out evopolity-out/reproductions] [--quick]

Nowak & May (1992) "Evolutionary games and spatial chaos", Nature 359: 826-829. Players on a
square lattice (Moore neighbourhood, periodic, each also playing itself) cooperate or defect;
a cooperator earns 1 from each cooperating partner, a defector b from each, everything else
0; every generation each site adopts the strategy of the highest payoff among itself and its
eight neighbours (``ep.structured(..., "best", self_interaction=True)``). Payoffs are whole
multiples of 1 and b, so only ratios of neighbour counts matter: the boundaries are
b = 9/5 and b = 2 (among others). From 10% defectors placed at random:

* b < 1.8: cooperators hold most of the lattice, the defectors in still or blinking lines;
* 1.8 < b < 2: spatial chaos, the cooperator fraction fluctuating around 12 ln 2 - 8 ≈ 0.318
  (the paper's asymptotic value);
* b > 2: defectors take almost everything, the pattern freezes.

Writes ``nowak_may1992.png`` (the cooperator fraction against b, mean over the last
generations), ``nowak_may1992_lattice.png`` (the lattice over time at b = 1.9,
``ep.experiments.figures_graphs.lattice_snapshots``), ``nowak_may1992.md`` and
``nowak_may1992.csv``.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

import evopolity as ep
from evopolity.experiments.figures_graphs import lattice_snapshots

CHAOS = 12 * math.log(2) - 8
B_VALUES = (1.05, 1.15, 1.25, 1.35, 1.45, 1.55, 1.65, 1.75, 1.85, 1.95, 2.05, 2.2, 2.4)


def game(b: float) -> np.ndarray:
    """Nowak & May's Prisoner's Dilemma: R = 1, T = b, S = P = 0 (0 cooperates).

    Parameters
    ----------
    b : float
        The temptation.

    Returns
    -------
    ndarray
        ``[[1, 0], [b, 0]]``.
    """
    return np.array([[1.0, 0.0], [b, 0.0]])


def run(b: float, side: int, generations: int, seed: int, snapshots: bool = False):
    """One run from 10% defectors placed at random.

    Parameters
    ----------
    b : float
        The temptation.
    side : int
        The lattice's side.
    generations : int
        Synchronous rounds.
    seed : int
        Placement seed.
    snapshots : bool
        Keep the lattice at every generation.

    Returns
    -------
    Trajectory
    """
    n = side * side
    d = n // 10
    return ep.structured(game(b), ep.graphs.lattice(side, "moore"), "best", generations,
                         x0=[n - d, d], seed=seed, self_interaction=True, snapshots=snapshots,
                         stop_on_fixation=False, record_every=1)


def regimes(b_values=B_VALUES, side: int = 80, generations: int = 200, tail: int = 50,
            seed: int = 1) -> pd.DataFrame:
    """The cooperator fraction over the last ``tail`` generations against b.

    Parameters
    ----------
    b_values : sequence of float
        The temptations.
    side : int
        The lattice's side.
    generations : int
        Rounds per run.
    tail : int
        Generations averaged at the end.
    seed : int
        Placement seed (the same placement for every b).

    Returns
    -------
    DataFrame
        ``b``, ``cooperators`` (mean), ``low``, ``high`` (range over the tail), ``frozen``
        (the state stopped changing), and the paper's ``regime``.
    """
    rows = []
    for b in b_values:
        tr = run(b, side, generations, seed)
        x = tr.frequencies[-tail:, 0]
        regime = ("cooperators dominate" if b < 1.8 else
                  "chaos, ~0.318" if b < 2.0 else "defectors, frozen")
        rows.append({"b": b, "cooperators": float(x.mean()), "low": float(x.min()),
                     "high": float(x.max()),
                     "frozen": tr.info["generations"] < generations, "regime": regime})
    return pd.DataFrame(rows)


def figure(frame: pd.DataFrame, path: Path) -> None:
    """The cooperator fraction against b, the regimes' boundaries and 12 ln 2 - 8.

    Parameters
    ----------
    frame : DataFrame
        :func:`regimes`.
    path : Path
        The PNG.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.0, 3.4), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.fill_between(frame.b, frame.low, frame.high, color="tab:blue", alpha=0.25, lw=0)
    ax.plot(frame.b, frame.cooperators, "o-", ms=3, color="tab:blue",
            label="cooperators (last generations)")
    ax.axhline(CHAOS, color="black", ls="--", lw=0.8, label="12 ln 2 - 8")
    for edge in (1.8, 2.0):
        ax.axvline(edge, color="grey", ls=":", lw=0.8)
    ax.set_xlabel("b")
    ax.set_ylabel("fraction of cooperators")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)


def main(argv=None) -> dict[str, pd.DataFrame]:
    """Run the reproduction, write the figures and the table, print the table.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    dict of DataFrame
        ``regimes``.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="evopolity-out/reproductions")
    parser.add_argument("--side", type=int, default=80)
    parser.add_argument("--quick", action="store_true", help="a small lattice (a smoke test)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    side, generations = (40, 120) if args.quick else (args.side, 200)
    b_values = (1.5, 1.9, 2.2) if args.quick else B_VALUES
    frame = regimes(b_values, side, generations, tail=min(50, generations // 3))
    figure(frame, out / "nowak_may1992.png")
    chaos = run(1.9, side, 60, seed=1, snapshots=True)
    lattice_snapshots(chaos, [0, 5, 20, 60], title="b = 1.9 (spatial chaos)",
                      colors=["tab:blue", "tab:red"], path=out / "nowak_may1992_lattice.png")
    text = (f"## cooperators against b ({side} x {side} Moore torus, self-interaction, "
            f"{generations} generations from 10% defectors)\n\n"
            + frame.to_string(index=False) + "\n")
    (out / "nowak_may1992.md").write_text(text)
    frame.to_csv(out / "nowak_may1992.csv", index=False)
    print(text)
    print(f"wrote {out / 'nowak_may1992.png'}, nowak_may1992_lattice.png, nowak_may1992.md, "
          f"nowak_may1992.csv ({time.perf_counter() - start:.1f} s)")
    return {"regimes": frame}


if __name__ == "__main__":
    main()
