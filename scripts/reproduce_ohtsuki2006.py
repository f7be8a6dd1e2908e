"""Reproduce the b/c > k rule of Ohtsuki, Hauert, Lieberman & Nowak (2006) by fixation estimates.

    python scripts/reproduce_ohtsuki2006.py [--out evopolity-out/reproductions] [--quick]

Ohtsuki, Hauert, Lieberman & Nowak (2006) "A simple rule for the evolution of cooperation on
graphs and social networks", Nature 441: 502-505. In the donation game (a cooperator pays c
for its partner to get b) on a graph where every node has k neighbours, under death-birth
updating and weak selection, one cooperator among defectors fixes with probability above the
neutral 1/N when b/c > k; under birth-death updating never. On a finite graph of N nodes the
threshold is (N - 2)/(N/k - 2) (Chen 2013, Ann. Appl. Probab. 23: 637; the cycle's exact
value, Ohtsuki & Nowak 2006).

The script estimates N rho_C (``ep.graph_fixation``, accumulated payoffs, fitness exp(w pi)
with w = 0.1) against b/c on the cycle of N = 20 (k = 2, finite threshold 2.25) and the 5 x 5
torus (k = 4, threshold 23/4.25 = 5.4), for death-birth and birth-death, each with its
standard error. Writes ``ohtsuki2006.png``, ``ohtsuki2006.md`` and ``ohtsuki2006.csv``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from reproduction_tools import donation, markdown

import evopolity as ep

SELECTION = 0.1
RATIOS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0)


def graphs_studied() -> dict[str, tuple[ep.graphs.Graph, int]]:
    """The graphs and their degree.

    Returns
    -------
    dict
        ``name -> (graph, k)``.
    """
    return {"cycle N=20": (ep.graphs.ring(20, 2), 2),
            "torus 5x5": (ep.graphs.lattice(5, "von_neumann"), 4)}


def fixation_table(ratios=RATIOS, runs: int = 4000, seed: int = 1) -> pd.DataFrame:
    """N rho_C against b/c for death-birth and birth-death on each graph.

    Parameters
    ----------
    ratios : sequence of float
        The b/c values (c = 1).
    runs : int
        Fixation runs per point.
    seed : int
        The seed of every estimate.

    Returns
    -------
    DataFrame
        One row per graph, rule and b/c: ``N_rho``, ``se`` (of N rho), the finite threshold
        and whether the estimate is clear of 1/N by 3 standard errors (``favoured``: above,
        ``opposed``: below).
    """
    rows = []
    for name, (g, k) in graphs_studied().items():
        n = g.n
        threshold = (n - 2) / (n / k - 2)
        for rule in ("db", "bd"):
            for r in ratios:
                est = ep.graph_fixation(donation(r), g, rule,
                                        selection=SELECTION, runs=runs, seed=seed)
                lo, hi = est.interval(3.0)
                rows.append({"graph": name, "k": k, "rule": rule, "b_over_c": r,
                             "threshold": threshold, "N_rho": n * est.probability,
                             "se": n * est.stderr, "favoured": lo > 1 / n,
                             "opposed": hi < 1 / n})
    return pd.DataFrame(rows)


def figure(frame: pd.DataFrame, path: Path) -> None:
    """N rho_C against b/c, a panel per graph.

    Parameters
    ----------
    frame : DataFrame
        :func:`fixation_table`.
    path : Path
        The PNG.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = list(dict.fromkeys(frame.graph))
    fig = Figure(figsize=(4.2 * len(names), 3.4), layout="constrained")
    FigureCanvasAgg(fig)
    for p, name in enumerate(names):
        ax = fig.add_subplot(1, len(names), p + 1)
        part = frame[frame.graph == name]
        for rule, colour in (("db", "tab:blue"), ("bd", "tab:red")):
            q = part[part.rule == rule]
            ax.errorbar(q.b_over_c, q.N_rho, yerr=2 * q.se, marker="o", ms=3, capsize=2,
                        color=colour, label={"db": "death-birth", "bd": "birth-death"}[rule])
        ax.axhline(1.0, color="grey", lw=0.8, label="neutral (1/N)")
        ax.axvline(part.k.iloc[0], color="black", ls=":", lw=0.8, label="b/c = k")
        ax.axvline(part.threshold.iloc[0], color="black", ls="--", lw=0.8,
                   label="finite threshold")
        ax.set_xscale("log")
        ax.set_xlabel("b/c")
        ax.set_ylabel("N rho (cooperator)")
        ax.set_title(name, fontsize=10)
        if p == 0:
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
    parser.add_argument("--runs", type=int, default=4000)
    parser.add_argument("--quick", action="store_true", help="few runs and ratios (a smoke test)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if args.quick:
        frame = fixation_table((1.0, 12.0), runs=600)
    else:
        frame = fixation_table(runs=args.runs)
    figure(frame, out / "ohtsuki2006.png")
    shown = frame.drop(columns=["k"])
    text = ("## N rho of one cooperator against b/c (w = 0.1, accumulated payoffs)\n\n"
            + markdown(shown) + "\n")
    (out / "ohtsuki2006.md").write_text(text)
    frame.to_csv(out / "ohtsuki2006.csv", index=False)
    print(text)
    print(f"wrote {out / 'ohtsuki2006.png'}, ohtsuki2006.md, ohtsuki2006.csv "
          f"({time.perf_counter() - start:.1f} s)")
    return {"fixation": frame}


if __name__ == "__main__":
    main()
