"""Reproduce the multilevel-selection condition of Traulsen & Nowak (2006) by fixation estimates.

    python scripts/reproduce_traulsen_nowak2006.py [--out evopolity-out/reproductions] [--quick]

Traulsen & Nowak (2006) "Evolution of cooperation by multilevel selection", PNAS 103:
10952-10955. A population is split into m groups of at most n; an offspring joins its
parent's group, and a group that reaches n splits with probability q (its daughter replaces a
random other group). In the donation game (a cooperator pays c for its partner to get b),
under weak selection and rare splitting, one cooperator among defectors fixes with probability
above the neutral 1/(n m) when

    b / c > 1 + n / (m - 2).

``ep.multilevel_fixation`` simulates this process (docs/polities.md, "The model, step by
step"). docs/polities.md also derives the rare-splitting formula for it, exact in w for the
fitness exp(w pi): rho = rho_n(exp(-w (c + b / (n - 1)))) rho_m(exp(w (b - c))), with
rho_N(r) = (1 - 1/r) / (1 - r^-N) (a Moran process inside the cooperator's group, then one
among the groups), whose first order in w is n m rho = 1 + (w/2) [(b - c)(m - 1) - (n - 1) c
- b]: above 1 exactly when b/c exceeds the paper's threshold.

The script estimates n m rho_C (95% intervals) against b/c for (n, m) = (3, 8), (6, 8) and
(4, 5) (thresholds 1.5, 2 and 7/3) at w = 0.1 and q = 0.01, beside the formula, its first
order and the b/c where the formula crosses 1. Writes ``traulsen_nowak2006.png``,
``traulsen_nowak2006.md`` and ``traulsen_nowak2006.csv``.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
from reproduction_tools import donation, markdown

import evopolity as ep

SELECTION = 0.1
SPLIT = 0.01
PAIRS = ((3, 8), (6, 8), (4, 5))
RATIOS = (1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0)
Z95 = 1.959963984540054


def threshold(n: int, m: int) -> float:
    """The paper's condition: cooperation is favoured when b/c exceeds this.

    Parameters
    ----------
    n, m : int
        Most members of a group, number of groups (m >= 3).

    Returns
    -------
    float
        ``1 + n / (m - 2)``.
    """
    return 1.0 + n / (m - 2)


def moran(r: float, size: int) -> float:
    """Fixation probability of one mutant of constant relative fitness r among ``size``.

    Parameters
    ----------
    r : float
        Relative fitness.
    size : int
        Population size.

    Returns
    -------
    float
        ``(1 - 1/r) / (1 - r^-size)``, ``1/size`` at ``r = 1``.
    """
    return 1.0 / size if r == 1.0 else (1.0 - 1.0 / r) / (1.0 - r ** (-size))


def rare_split(b: float, n: int, m: int, w: float = SELECTION, c: float = 1.0) -> float:
    """n m rho_C under rare splitting (docs/polities.md), exact in w for fitness exp(w pi).

    Parameters
    ----------
    b, c : float
        Benefit and cost.
    n, m : int
        Most members of a group, number of groups.
    w : float
        Selection.

    Returns
    -------
    float
        ``n m rho_n(exp(-w (c + b/(n-1)))) rho_m(exp(w (b - c)))``.
    """
    inside = moran(math.exp(-w * (c + b / (n - 1))), n)
    between = moran(math.exp(w * (b - c)), m)
    return n * m * inside * between


def first_order(b: float, n: int, m: int, w: float = SELECTION, c: float = 1.0) -> float:
    """The first order in w of :func:`rare_split`.

    Parameters
    ----------
    b, c : float
        Benefit and cost.
    n, m : int
        Most members of a group, number of groups.
    w : float
        Selection.

    Returns
    -------
    float
        ``1 + (w/2) [(b - c)(m - 1) - (n - 1) c - b]``.
    """
    return 1.0 + 0.5 * w * ((b - c) * (m - 1) - (n - 1) * c - b)


def formula_crossing(n: int, m: int, w: float = SELECTION) -> float:
    """The b/c (c = 1) where :func:`rare_split` first rises above 1, by bisection.

    Parameters
    ----------
    n, m : int
        Most members of a group, number of groups.
    w : float
        Selection.

    Returns
    -------
    float
        The crossing, or NaN if the formula stays below 1 up to b/c = 20.
    """
    grid = np.linspace(1.0, 20.0, 3801)
    above = np.array([rare_split(b, n, m, w) > 1.0 for b in grid])
    if not above.any():
        return math.nan
    hi = grid[np.argmax(above)]
    lo = hi - (grid[1] - grid[0])
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if rare_split(mid, n, m, w) > 1.0 else (mid, hi)
    return 0.5 * (lo + hi)


def fixation_table(pairs=PAIRS, ratios=RATIOS, runs: int = 30_000, seed: int = 1,
                   w: float = SELECTION, split: float = SPLIT) -> pd.DataFrame:
    """n m rho_C against b/c (c = 1) for each (n, m), with 95% intervals.

    Parameters
    ----------
    pairs : sequence of (int, int)
        The (n, m) studied.
    ratios : sequence of float
        The b/c values.
    runs : int
        Fixation runs per point.
    seed : int
        The seed of every estimate.
    w : float
        Selection.
    split : float
        Splitting probability q.

    Returns
    -------
    DataFrame
        One row per (n, m) and b/c: ``nm_rho`` and its ``se``, the 95% interval ``lo95`` /
        ``hi95``, the paper's ``threshold``, the rare-splitting ``formula``, its
        ``first_order``, ``z`` (estimate minus formula in standard errors), ``favoured`` /
        ``opposed`` (the interval above / below 1) and ``paper`` (b/c > threshold).
    """
    rows = []
    for n, m in pairs:
        nm = n * m
        for r in ratios:
            est = ep.multilevel_fixation(donation(r), n, m, w, runs,
                                         seed=seed, split=split)
            p, se = nm * est["fixation"], nm * est["se"]
            formula = rare_split(r, n, m, w)
            rows.append({"n": n, "m": m, "b_over_c": r, "threshold": threshold(n, m),
                         "nm_rho": p, "se": se, "lo95": p - Z95 * se, "hi95": p + Z95 * se,
                         "formula": formula, "first_order": first_order(r, n, m, w),
                         "z": (p - formula) / se if se > 0 else math.nan,
                         "favoured": p - Z95 * se > 1.0, "opposed": p + Z95 * se < 1.0,
                         "paper": r > threshold(n, m), "unresolved": int(est["unresolved"])})
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame, w: float = SELECTION) -> pd.DataFrame:
    """Per (n, m): the paper's threshold, the formula's crossing and what the estimates say.

    Parameters
    ----------
    frame : DataFrame
        :func:`fixation_table`.
    w : float
        Selection.

    Returns
    -------
    DataFrame
        ``threshold``, ``formula_crossing``, the largest b/c whose interval lies below 1
        (``last_opposed``), the smallest whose interval lies above 1 (``first_favoured``),
        and the largest ``|z|`` against the formula.
    """
    rows = []
    for (n, m), part in frame.groupby(["n", "m"], sort=False):
        opposed = part[part.opposed].b_over_c
        favoured = part[part.favoured].b_over_c
        rows.append({"n": n, "m": m, "threshold": threshold(n, m),
                     "formula_crossing": formula_crossing(n, m, w),
                     "last_opposed": opposed.max() if len(opposed) else math.nan,
                     "first_favoured": favoured.min() if len(favoured) else math.nan,
                     "max_abs_z": part.z.abs().max()})
    return pd.DataFrame(rows)


def figure(frame: pd.DataFrame, path: Path, w: float = SELECTION) -> None:
    """n m rho_C against b/c, a panel per (n, m), with the formula and the threshold.

    Parameters
    ----------
    frame : DataFrame
        :func:`fixation_table`.
    path : Path
        The PNG.
    w : float
        Selection (for the formula's curves).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    pairs = list(dict.fromkeys(zip(frame.n, frame.m, strict=True)))
    fig = Figure(figsize=(4.0 * len(pairs), 3.4), layout="constrained")
    FigureCanvasAgg(fig)
    for p, (n, m) in enumerate(pairs):
        ax = fig.add_subplot(1, len(pairs), p + 1)
        part = frame[(frame.n == n) & (frame.m == m)]
        grid = np.linspace(1.0, part.b_over_c.max() * 1.05, 200)
        ax.plot(grid, [rare_split(b, n, m, w) for b in grid], color="tab:green", lw=1.2,
                label="rare-splitting formula")
        ax.plot(grid, [first_order(b, n, m, w) for b in grid], color="tab:green", lw=0.8,
                ls="--", label="its first order in w")
        ax.errorbar(part.b_over_c, part.nm_rho, yerr=Z95 * part.se, marker="o", ms=3,
                    capsize=2, color="tab:blue", ls="none", label="simulated (95%)")
        ax.axhline(1.0, color="grey", lw=0.8, label="neutral 1/(nm)")
        ax.axvline(threshold(n, m), color="black", ls=":", lw=0.9,
                   label="b/c = 1 + n/(m-2)")
        ax.set_xlabel("b/c")
        ax.set_ylabel("n m rho (cooperator)")
        ax.set_title(f"n = {n}, m = {m}", fontsize=10)
        if p == 0:
            ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)


def main(argv=None) -> dict[str, pd.DataFrame]:
    """Run the reproduction, write the figure and the tables, print them.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    dict of DataFrame
        ``fixation`` (:func:`fixation_table`) and ``summary`` (:func:`summary`).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="evopolity-out/reproductions")
    parser.add_argument("--runs", type=int, default=30_000)
    parser.add_argument("--quick", action="store_true",
                        help="one (n, m), two ratios, few runs (a smoke test)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if args.quick:
        frame = fixation_table(pairs=((3, 8),), ratios=(1.1, 6.0), runs=8000)
    else:
        frame = fixation_table(runs=args.runs)
    sums = summary(frame)
    figure(frame, out / "traulsen_nowak2006.png")
    runs = 8000 if args.quick else args.runs
    text = (f"## n m rho of one cooperator against b/c (w = {SELECTION}, q = {SPLIT}, "
            f"{runs} runs per point)\n\n"
            + markdown(frame.drop(columns=["unresolved"])) + "\n\n"
            "## thresholds\n\n" + markdown(sums) + "\n")
    (out / "traulsen_nowak2006.md").write_text(text)
    frame.to_csv(out / "traulsen_nowak2006.csv", index=False)
    print(text)
    print(f"wrote {out / 'traulsen_nowak2006.png'}, traulsen_nowak2006.md, "
          f"traulsen_nowak2006.csv ({time.perf_counter() - start:.1f} s)")
    return {"fixation": frame, "summary": sums}


if __name__ == "__main__":
    main()
