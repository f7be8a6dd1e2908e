"""Reproduce the one-third law of Nowak, Sasaki, Taylor & Fudenberg (2004).

    python scripts/reproduce_nowak2004.py [--out evopolity-out/reproductions] [--runs 20000]

Nowak, Sasaki, Taylor & Fudenberg (2004) "Emergence of cooperation and evolutionary stability
in finite populations", Nature 428: 646-650. Their example is Tit For Tat (A) against Always
Defect (B) in a Prisoner's Dilemma repeated for ``m`` rounds, with payoffs (Axelrod's values
R, S, T, P = 3, 0, 5, 1)

    a = R m,  b = S + P (m - 1),  c = T + P (m - 1),  d = P m.

In a Moran process of ``N`` (fitness ``1 - w + w pi``, no self-interaction) a single TFT
mutant fixes with probability ``rho_TFT``. Selection favours TFT replacing ALLD
(``rho_TFT > 1/N``) under weak selection if and only if (the paper's condition)

    a (N - 2) + b (2 N - 1) > c (N + 1) + d (2 N - 4),

which for large ``N`` is the one-third law ``x* < 1/3``, with ``x* = (d - b)/(a - b - c + d)``
the unstable interior rest point of the replicator. For ``m = 10``: ``x* = 1/17`` and the
condition holds for ``N > 43/14``, i.e. every ``N >= 4``.

The script computes ``rho_TFT`` exactly (``ep.fixation_probability``) for ``N`` from 2 to 100
and several selection intensities, compares ``N rho_TFT`` with the weak-selection expansion
``1 + w (alpha N - beta)/6`` (``alpha = a + 2b - c - 2d``, ``beta = 2a + b + c - 4d``), checks
one exact value against ``ep.moran`` simulations (Nowak et al.'s linear fitness
``1 - w + w pi`` throughout: ``fitness_map="linear"``), and tabulates ``x*`` against ``m``.
It writes ``nowak2004.png``, ``nowak2004.md`` and ``nowak2004.csv`` to ``--out``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from reproduction_tools import markdown

import evopolity as ep

R, S, T, P = 3.0, 0.0, 5.0, 1.0
ROUNDS = 10
WEAK = (0.001, 0.01, 0.05)


def tft_alld_matrix(m: int = ROUNDS, R: float = R, S: float = S, T: float = T,
                    P: float = P) -> pd.DataFrame:
    """The paper's payoff matrix of TFT and ALLD over ``m`` rounds.

    Parameters
    ----------
    m : int
        Number of rounds.
    R, S, T, P : float
        One-shot Prisoner's Dilemma payoffs.

    Returns
    -------
    DataFrame
        Rows and columns ``["TFT", "ALLD"]``: ``[[R m, S + P(m-1)], [T + P(m-1), P m]]``.
    """
    A = [[R * m, S + P * (m - 1)], [T + P * (m - 1), P * m]]
    names = ["TFT", "ALLD"]
    return pd.DataFrame(A, index=names, columns=names)


def closed_forms(A: pd.DataFrame) -> dict[str, float]:
    """The paper's closed forms for a 2x2 game ``[[a, b], [c, d]]``.

    Parameters
    ----------
    A : DataFrame
        The payoff matrix.

    Returns
    -------
    dict
        ``x_star`` (``(d - b)/(a - b - c + d)``), ``alpha`` (``a + 2b - c - 2d``), ``beta``
        (``2a + b + c - 4d``) and ``N_threshold`` (``beta/alpha``: ``rho_A > 1/N`` under weak
        selection for ``N`` above it).
    """
    (a, b), (c, d) = np.asarray(A, dtype=float)
    alpha = a + 2 * b - c - 2 * d
    beta = 2 * a + b + c - 4 * d
    return {"x_star": (d - b) / (a - b - c + d), "alpha": alpha, "beta": beta,
            "N_threshold": beta / alpha if alpha > 0 else np.inf}


def paper_condition(A: pd.DataFrame, N: int) -> bool:
    """The paper's weak-selection condition for ``rho_A > 1/N``.

    Parameters
    ----------
    A : DataFrame
        The payoff matrix ``[[a, b], [c, d]]``.
    N : int
        Population size.

    Returns
    -------
    bool
        ``a (N - 2) + b (2N - 1) > c (N + 1) + d (2N - 4)``.
    """
    (a, b), (c, d) = np.asarray(A, dtype=float)
    return bool(a * (N - 2) + b * (2 * N - 1) > c * (N + 1) + d * (2 * N - 4))


def fixation_table(A: pd.DataFrame, sizes, selections=WEAK) -> pd.DataFrame:
    """``N rho_TFT`` (exact) against the weak-selection expansion, for each ``N`` and ``w``.

    Parameters
    ----------
    A : DataFrame
        The TFT/ALLD payoff matrix.
    sizes : iterable of int
        Population sizes.
    selections : iterable of float
        Selection intensities ``w``.

    Returns
    -------
    DataFrame
        One row per (N, w): ``rho_TFT``, ``N_rho`` (``N rho_TFT``), ``N_rho_weak``
        (``1 + w (alpha N - beta)/6``), ``favoured`` (``rho_TFT > 1/N``) and ``paper``
        (the paper's condition).
    """
    cf = closed_forms(A)
    rows = []
    for w in selections:
        for N in sizes:
            rho = ep.fixation_probability(A, int(N), "moran", w, "TFT", "ALLD",
                                          fitness_map="linear")
            rows.append({
                "N": int(N), "w": w, "rho_TFT": rho, "1/N": 1.0 / N, "N_rho": N * rho,
                "N_rho_weak": 1.0 + w * (cf["alpha"] * N - cf["beta"]) / 6.0,
                "favoured": bool(rho > 1.0 / N), "paper": paper_condition(A, int(N)),
            })
    return pd.DataFrame(rows)


def rounds_table(rounds=range(3, 11)) -> pd.DataFrame:
    """``x*`` and the large-``N`` verdict of the one-third law for ``m`` rounds.

    Parameters
    ----------
    rounds : iterable of int
        Numbers of rounds ``m``, at least 3 (for ``m <= 2`` ALLD weakly dominates TFT,
        ``c >= a``, and there is no interior rest point).

    Returns
    -------
    DataFrame
        ``m``, ``x_star``, ``N_threshold`` and ``one_third`` (``x* < 1/3``).
    """
    rows = []
    for m in rounds:
        cf = closed_forms(tft_alld_matrix(m))
        rows.append({"m": m, "x_star": cf["x_star"],
                     "N_threshold": cf["N_threshold"],
                     "one_third": bool(cf["x_star"] < 1 / 3)})
    return pd.DataFrame(rows)


def simulate(A: pd.DataFrame, N: int, w: float, runs: int, seed: int = 1) -> dict[str, float]:
    """Fraction of ``ep.moran`` runs in which one TFT mutant takes over ``N - 1`` ALLD.

    Parameters
    ----------
    A : DataFrame
        The TFT/ALLD payoff matrix.
    N : int
        Population size.
    w : float
        Selection intensity.
    runs : int
        Number of independent runs (seeds ``seed .. seed + runs - 1``).
    seed : int
        First seed.

    Returns
    -------
    dict
        ``exact``, ``simulated``, ``se`` (binomial standard error of the exact value) and
        ``runs``.
    """
    exact = ep.fixation_probability(A, N, "moran", w, "TFT", "ALLD",
                                    fitness_map="linear")
    wins = 0
    for s in range(seed, seed + runs):
        tr = ep.moran(A, N, [1, N - 1], 1_000_000, selection=w, seed=s, record_every=1_000_000,
                      fitness_map="linear")
        wins += tr.info["winner"] == "TFT"
    return {"N": N, "w": w, "runs": runs, "exact": exact, "simulated": wins / runs,
            "se": float(np.sqrt(exact * (1 - exact) / runs))}


def figure(A: pd.DataFrame, path: Path, sizes=range(2, 101)):
    """Draw ``N rho_TFT`` against ``N`` for several ``w``, and ``x*`` against ``m``.

    Parameters
    ----------
    A : DataFrame
        The TFT/ALLD payoff matrix.
    path : Path
        Where to save the PNG.
    sizes : iterable of int
        Population sizes on the x axis.

    Returns
    -------
    Figure
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2))
    ax, bx = fig.subplots(1, 2)
    cf = closed_forms(A)
    sizes = np.asarray(list(sizes))
    for w in (0.001, 0.005, 0.01, 0.02):
        ours = [N * ep.fixation_probability(A, int(N), "moran", w, "TFT", "ALLD",
                                            fitness_map="linear") for N in sizes]
        line, = ax.plot(sizes, ours, lw=2, label=f"exact, w = {w:g}")
        ax.plot(sizes, 1 + w * (cf["alpha"] * sizes - cf["beta"]) / 6, ls=":",
                color=line.get_color(), lw=1.5)
    ax.axhline(1.0, color="k", lw=1, label=r"neutral: $\rho = 1/N$")
    ax.axvline(cf["N_threshold"], color="grey", ls="--", lw=1,
               label=f"paper: N > {cf['N_threshold']:.2f}")
    ax.plot([], [], ls=":", color="grey", label="weak-selection expansion")
    ax.set_xlabel("population size N")
    ax.set_ylabel(r"$N\,\rho_{TFT}$ (one TFT in ALLD)")
    ax.set_title(f"TFT vs ALLD, m = {ROUNDS} rounds (x* = {cf['x_star']:.4f})")
    ax.legend(fontsize=8)
    rt = rounds_table(range(3, 16))
    bx.plot(rt["m"], rt["x_star"], "o-", label="x* (unstable rest point)")
    bx.axhline(1 / 3, color="r", ls="--", label="1/3")
    bx.set_xlabel("rounds m")
    bx.set_ylabel("x* = (d - b)/(a - b - c + d)")
    bx.set_title("one-third law: TFT favoured for large N iff x* < 1/3")
    bx.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=150, facecolor="white")
    return fig


def main(argv=None) -> dict[str, pd.DataFrame]:
    """Run the reproduction, write the figure and the tables, print the tables.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    dict of DataFrame
        ``fixation``, ``rounds`` and ``simulation``.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="evopolity-out/reproductions")
    parser.add_argument("--runs", type=int, default=20_000, help="Moran runs for the check")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    A = tft_alld_matrix()
    cf = closed_forms(A)
    fix = fixation_table(A, [2, 3, 4, 5, 10, 20, 50, 100], selections=(0.001, 0.01))
    rounds = rounds_table()
    sim = pd.DataFrame([simulate(A, 10, 0.1, args.runs), simulate(A, 4, 0.1, args.runs)])
    figure(A, out / "nowak2004.png")
    summary = pd.DataFrame([
        {"quantity": "x* (m = 10)", "paper": "1/17 = 0.0588", "ours": f"{cf['x_star']:.4f}"},
        {"quantity": "rho_TFT > 1/N (weak selection) for", "paper": "N > 43/14 = 3.07",
         "ours": "N >= " + str(int(fix.loc[fix.favoured & (fix.w == 0.001), "N"].min()))},
        {"quantity": "large N: favoured iff x* < 1/3, i.e. m >",
         "paper": "(T + P - 2S)/(R - P) = 3",
         "ours": "m >= " + str(int(rounds.loc[rounds.one_third, "m"].min()))},
    ])
    tables = {"summary": summary, "fixation": fix, "rounds": rounds, "simulation": sim}
    text = []
    for name, frame in tables.items():
        text.append(f"## {name}\n\n" + markdown(frame, 6, significant=True) + "\n")
    (out / "nowak2004.md").write_text("\n".join(text))
    fix.to_csv(out / "nowak2004.csv", index=False)
    print("\n".join(text))
    print(f"wrote {out / 'nowak2004.png'}, nowak2004.md, nowak2004.csv "
          f"({time.perf_counter() - start:.1f} s)")
    return tables


if __name__ == "__main__":
    main()
