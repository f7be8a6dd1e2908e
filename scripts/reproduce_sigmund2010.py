"""Reproduce peer against pool punishment of Sigmund, De Silva, Traulsen & Hauert (2010).

    python scripts/reproduce_sigmund2010.py [--out evopolity-out/reproductions]

Sigmund, De Silva, Traulsen & Hauert (2010) "Social learning promotes institutions for
governing the commons", Nature 466: 861-863. Public goods groups of N = 5 (r = 3, c = 1),
loners get sigma = 1; peer punishers fine each defector beta at a cost gamma; pool punishers
pay G into a pool that fines each defector B per pool punisher; with second-order punishment
pool punishers also fine those who contribute but do not pay into the pool, and peer punishers
fine cooperators when a defector shows who does not punish. Individuals imitate (pairwise
comparison, Fermi rule, imitation strength s) in a population of M = 100; the stationary
distribution in the limit of rare mutations (``ep.stationary_distribution(game, 100, "fermi",
s)``) is computed for voluntary (with loners) and compulsory (without) participation, with
and without second-order punishment, for peer and pool punishers together and each alone.

The paper's results, as we check them: without second-order punishment peer punishers beat
pool punishers; with it the situation is reversed (abstract, Fig. 3); pool punishment with
second-order punishment takes over when participation is voluntary but not when it is
compulsory, where defectors win (Fig. 2).

Parameters: N = 5, r = 3, c = 1, sigma = 1 are the paper's. B = G = beta = gamma = 0.7,
M = 100 and s in {0.5, 10} are the defaults of ``ep.punishment_game`` and could NOT be
checked against the paper here (no access to its figure captions); the qualitative result is
what we compare. Writes ``sigmund2010.png``, ``sigmund2010.md`` and ``sigmund2010.csv``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from reproduction_tools import markdown

import evopolity as ep

POPULATION = 100
IMITATION = (0.5, 10.0)
STRATEGIES = ("cooperator", "defector", "loner", "peer_punisher", "pool_punisher")
SETS = {
    "peer + pool": ("peer_punisher", "pool_punisher"),
    "pool only": ("pool_punisher",),
    "peer only": ("peer_punisher",),
}
# the paper's qualitative claims: (participation, second order, set) -> expected winner
PAPER = {
    ("voluntary", False, "peer + pool"): "peer_punisher",
    ("voluntary", True, "peer + pool"): "pool_punisher",
    ("voluntary", True, "pool only"): "pool_punisher",
    ("compulsory", True, "pool only"): "defector",
}


def configurations():
    """All (participation, second order, punisher set) combinations.

    Returns
    -------
    list of tuple
        ``(participation, second_order, set_name, strategies)``.
    """
    out = []
    for participation in ("voluntary", "compulsory"):
        for second in (False, True):
            for set_name, punishers in SETS.items():
                base = ["cooperator", "defector"] + (["loner"] if participation == "voluntary"
                                                     else [])
                out.append((participation, second, set_name, base + list(punishers)))
    return out


def stationary(imitation=IMITATION, population: int = POPULATION, **game_kwargs) -> pd.DataFrame:
    """Small-mutation stationary distributions for every configuration.

    Parameters
    ----------
    imitation : iterable of float
        Imitation strengths ``s`` (the Fermi rule's ``beta``).
    population : int
        Population size ``M``.
    **game_kwargs
        Passed to ``ep.punishment_game`` (e.g. ``peer_fine``, ``pool_fee``).

    Returns
    -------
    DataFrame
        One row per (s, participation, second order, set): the frequency of each of the five
        strategies (NaN when absent), ``winner`` (the most frequent), ``paper`` (the paper's
        expected winner, or "" where it makes no claim) and ``agrees``.
    """
    rows = []
    for s in imitation:
        for participation, second, set_name, strategies in configurations():
            game = ep.punishment_game(second_order=second, strategies=strategies, **game_kwargs)
            dist = ep.stationary_distribution(game, population, "fermi", s)
            expected = PAPER.get((participation, second, set_name), "")
            winner = str(dist.idxmax())
            rows.append({"s": s, "participation": participation, "second_order": second,
                         "punishers": set_name,
                         **{name: float(dist.get(name, np.nan)) for name in STRATEGIES},
                         "winner": winner, "paper": expected,
                         "agrees": (winner == expected) if expected else ""})
    return pd.DataFrame(rows)


def figure(frame: pd.DataFrame, path: Path):
    """Stacked bars of the stationary distribution, one panel per imitation strength.

    Parameters
    ----------
    frame : DataFrame
        Output of :func:`stationary`.
    path : Path
        Where to save the PNG.

    Returns
    -------
    Figure
    """
    from matplotlib.figure import Figure

    strengths = sorted(frame.s.unique())
    fig = Figure(figsize=(13, 4.6 * len(strengths)))
    axes = np.atleast_1d(fig.subplots(len(strengths), 1))
    colours = {"cooperator": "#4c9be8", "defector": "#d62728", "loner": "#bbbbbb",
               "peer_punisher": "#2ca02c", "pool_punisher": "#9467bd"}
    for ax, s in zip(axes, strengths, strict=True):
        part = frame[frame.s == s].reset_index(drop=True)
        labels = [f"{r.participation}\n{'2nd-order' if r.second_order else 'no 2nd-order'}"
                  f"\n{r.punishers}" for r in part.itertuples()]
        bottom = np.zeros(len(part))
        for name in STRATEGIES:
            v = part[name].fillna(0.0).to_numpy()
            ax.bar(range(len(part)), v, bottom=bottom, color=colours[name],
                   label=name.replace("_", " "), edgecolor="white", lw=0.5)
            bottom += v
        for i, r in part.iterrows():
            if r.paper:
                ax.text(i, 1.02, "paper: " + r.paper.replace("_punisher", "").replace("defector",
                        "D") + (" ✓" if r.agrees else " ✗"), ha="center", fontsize=7)
        ax.set_xticks(range(len(part)), labels, fontsize=7)
        ax.set_ylim(0, 1.1)
        ax.set_ylabel("stationary frequency")
        ax.set_title(f"small-mutation limit, Fermi imitation s = {s:g}, M = {POPULATION}")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=150, facecolor="white")
    return fig


def main(argv=None) -> dict[str, pd.DataFrame]:
    """Run the reproduction, write the figure and the table, print the table.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    dict of DataFrame
        ``stationary``.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="evopolity-out/reproductions")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    frame = stationary()
    figure(frame, out / "sigmund2010.png")
    shown = frame.rename(columns={"peer_punisher": "peer", "pool_punisher": "pool",
                                  "cooperator": "C", "defector": "D", "loner": "L"})
    shown["s"] = shown["s"].map("{:g}".format)
    text = ("## stationary distributions (small-mutation limit)\n\n"
            "Parameters: N = 5, r = 3, c = 1, sigma = 1 (paper); B = G = beta = gamma = 0.7, "
            f"M = {POPULATION}, s as listed (not checked against the paper).\n\n"
            + markdown(shown) + "\n")
    (out / "sigmund2010.md").write_text(text)
    frame.to_csv(out / "sigmund2010.csv", index=False)
    print(text)
    print(f"wrote {out / 'sigmund2010.png'}, sigmund2010.md, sigmund2010.csv "
          f"({time.perf_counter() - start:.1f} s)")
    return {"stationary": frame}


if __name__ == "__main__":
    main()
