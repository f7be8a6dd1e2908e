"""Reproduce the isothermal theorem and the star amplifier of Lieberman, Hauert & Nowak (2005).

    python scripts/reproduce_lieberman2005.py [--out evopolity-out/reproductions] [--quick]

Lieberman, Hauert & Nowak (2005) "Evolutionary dynamics on graphs", Nature 433: 312-316. A
mutant of constant fitness r among residents of fitness 1, under birth-death updating (a node
reproduces proportionally to fitness, its offspring replaces a uniform neighbour):

* the isothermal theorem: on every regular graph (indeed every graph whose temperatures are
  equal) one mutant fixes with the Moran probability rho_M = (1 - 1/r) / (1 - 1/r^N);
* the star amplifies selection: rho ≈ (1 - 1/r^2) / (1 - 1/r^(2N)) for large N, as if the
  fitness were r^2.

Constant fitness is the game ``[[ln r, ln r], [0, 0]]`` with averaged payoffs and fitness
exp(pi) (selection 1). The script estimates rho (``ep.graph_fixation``) on the cycle, the
torus, a random 4-regular graph and the star, all of N = 25 nodes (the star with a hub and 24
leaves), for r in 1.1 .. 2, with standard errors, against the Moran value and the star's
large-N approximation (the finite star lies between them and approaches it slowly). Writes
``lieberman2005.png``, ``lieberman2005.md`` and ``lieberman2005.csv``.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

import evopolity as ep

N = 25
FITNESS = (1.1, 1.25, 1.5, 1.75, 2.0)


def moran(r: float, n: int = N) -> float:
    """The Moran fixation probability of one mutant of fitness r among n.

    Parameters
    ----------
    r : float
        Relative fitness (not 1).
    n : int
        Population size.

    Returns
    -------
    float
    """
    return (1 - 1 / r) / (1 - r ** -n)


def star_large_n(r: float, n: int = N) -> float:
    """The star's large-N fixation probability, the Moran value at fitness r^2.

    Parameters
    ----------
    r : float
        Relative fitness.
    n : int
        Nodes.

    Returns
    -------
    float
    """
    return moran(r * r, n)


def graphs_studied() -> dict[str, ep.graphs.Graph]:
    """The four graphs of N = 25 nodes.

    Returns
    -------
    dict
        ``name -> graph``.
    """
    return {"cycle": ep.graphs.ring(N, 2), "torus 5x5": ep.graphs.lattice(5),
            "random 4-regular": ep.graphs.random_regular(N, 4, seed=1),
            "star": ep.graphs.star(N)}


def fixation_table(fitness=FITNESS, runs: int = 6000, seed: int = 1) -> pd.DataFrame:
    """rho on each graph against r, with the Moran value and the star approximation.

    Parameters
    ----------
    fitness : sequence of float
        The mutant's fitness r.
    runs : int
        Fixation runs per point.
    seed : int
        The seed of every estimate.

    Returns
    -------
    DataFrame
        ``graph``, ``r``, ``rho``, ``se``, ``moran``, ``star_large_n`` and ``z`` = (rho -
        moran) / se.
    """
    rows = []
    for name, g in graphs_studied().items():
        for r in fitness:
            lr = math.log(r)
            est = ep.graph_fixation([[lr, lr], [0.0, 0.0]], g, "bd", selection=1.0, runs=runs,
                                    seed=seed, payoff="averaged")
            m = moran(r)
            rows.append({"graph": name, "r": r, "rho": est.probability, "se": est.stderr,
                         "moran": m, "star_large_n": star_large_n(r),
                         "z": (est.probability - m) / max(est.stderr, 1e-12)})
    return pd.DataFrame(rows)


def figure(frame: pd.DataFrame, path: Path) -> None:
    """rho against r on each graph, with the Moran curve and the star's approximation.

    Parameters
    ----------
    frame : DataFrame
        :func:`fixation_table`.
    path : Path
        The PNG.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.0, 3.6), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    rs = np.linspace(min(frame.r), max(frame.r), 100)
    ax.plot(rs, [moran(r) for r in rs], color="black", lw=1, label="Moran (isothermal)")
    ax.plot(rs, [star_large_n(r) for r in rs], color="black", ls="--", lw=1,
            label="star, large N")
    markers = {"cycle": "o", "torus 5x5": "s", "random 4-regular": "^", "star": "D"}
    for name, part in frame.groupby("graph", sort=False):
        ax.errorbar(part.r, part.rho, yerr=2 * part.se, ls="none", marker=markers[name],
                    ms=4, capsize=2, label=name)
    ax.set_xlabel("mutant fitness r")
    ax.set_ylabel("fixation probability")
    ax.set_title(f"birth-death, N = {N}", fontsize=10)
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)


def main(argv=None) -> dict[str, pd.DataFrame]:
    """Run the reproduction, write the figure and the table, print the table.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    dict of DataFrame
        ``fixation``.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="evopolity-out/reproductions")
    parser.add_argument("--runs", type=int, default=6000)
    parser.add_argument("--quick", action="store_true", help="few runs (a smoke test)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    frame = fixation_table((1.5,), runs=1500) if args.quick else fixation_table(runs=args.runs)
    figure(frame, out / "lieberman2005.png")
    text = (f"## fixation of one mutant of fitness r, birth-death, N = {N}\n\n"
            + frame.to_string(index=False, float_format="{:.4f}".format) + "\n")
    (out / "lieberman2005.md").write_text(text)
    frame.to_csv(out / "lieberman2005.csv", index=False)
    print(text)
    print(f"wrote {out / 'lieberman2005.png'}, lieberman2005.md, lieberman2005.csv "
          f"({time.perf_counter() - start:.1f} s)")
    return {"fixation": frame}


if __name__ == "__main__":
    main()
