"""Reproduce Axelrod's ecological analysis of the iterated Prisoner's Dilemma tournament.

    python scripts/reproduce_axelrod_ecology.py [--out evopolity-out/reproductions]
                                                [--turns 200] [--generations 1000]

Axelrod (1984) *The Evolution of Cooperation*, ch. 3 (and Axelrod 1980, "More effective choice
in the Prisoner's Dilemma", J. Conflict Resolut. 24: 379): each strategy's share in the next
generation is proportional to its share times its average score against the current
population, ``x_i' = x_i f_i / sum_j x_j f_j`` with ``f = A x`` (``ep.discrete_replicator``).

Axelrod's 63 second-tournament entries are mostly not automata and not in evopolity's library
(of them we have only "Second by Colbert"), so the population here is axelrod's basic
strategies, the classics (Grudger, Tit For 2 Tats, Two Tits For Tat, Hard Tit For Tat, Hard
Tit For 2 Tats), "Second by Colbert" and six exploiting finite-state machines (Ripoff,
Predator, Raider, Fortress3, Cycler CCD, Cycler DDC), all deterministic. The tournament is a
round robin with self-play, ``--turns`` rounds (Axelrod's first tournament: 200), no noise,
Axelrod's payoffs R, S, T, P = 3, 0, 5, 1.

Three checks:

1. our exact payoffs (``ep.tournament(..., method="exact")``) against the payoff matrix of
   axelrod's own tournament played with axelrod's own players (``axl.Tournament``);
2. ``ep.discrete_replicator`` against ``axl.Ecosystem(results).reproduce(generations)`` fed the
   same (axelrod's) payoff matrix: deterministic players have zero payoff standard
   deviations, so the Ecosystem's Gaussian noise vanishes and the shares must agree to
   rounding (both run Axelrod's own map on the raw payoffs, the sucker's S = 0 included);
3. Axelrod's qualitative findings: the population ends with nice strategies only, Tit For Tat
   is among the most common, and exploiters grow at first and then decline once their prey
   is gone (Axelrod's "Harrington" story).

It writes ``axelrod_ecology.png``, ``axelrod_ecology.md`` and ``axelrod_ecology.csv``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from reproduction_tools import markdown

import evopolity as ep

STRATEGIES = (
    [s.name for s in ep.library.basic_strategies()]
    + [s.name for s in ep.library.classic_strategies()]
    + ["Second by Colbert", "Ripoff", "Predator", "Raider", "Fortress3", "Cycler CCD",
       "Cycler DDC"]
)
NICE = {"Cooperator", "Tit For Tat", "Win-Stay Lose-Shift", "Grudger", "Tit For 2 Tats",
        "Two Tits For Tat", "Hard Tit For Tat", "Hard Tit For 2 Tats"}


def axelrod_players(names):
    """Axelrod's own players, by display name.

    Parameters
    ----------
    names : sequence of str
        Display names (``str(player)``).

    Returns
    -------
    list
        Fresh ``axelrod.Player`` instances in the order of ``names``.
    """
    import axelrod as axl

    players = []
    for name in names:
        player = None
        for cls in axl.all_strategies:
            if name.startswith(cls.name):
                try:
                    candidate = cls()
                except TypeError:
                    continue
                if str(candidate) == name:
                    player = candidate
                    break
        if player is None and name.startswith("Cycler "):
            player = axl.Cycler(name.split()[1])
        if player is None or str(player) != name:
            raise ValueError(f"axelrod has no player named {name!r}")
        players.append(player)
    return players


def payoff_matrices(names=STRATEGIES, turns: int = 200):
    """Our exact payoff matrix and axelrod's tournament results for the same players.

    Parameters
    ----------
    names : sequence of str
        Strategy names.
    turns : int
        Rounds per match.

    Returns
    -------
    ours : DataFrame
        ``ep.tournament(names, turns=turns, method="exact").payoffs``.
    results : axelrod.ResultSet
        ``axl.Tournament(players, turns=turns, repetitions=1).play()``.
    """
    import axelrod as axl

    ours = ep.tournament(list(names), turns=turns, method="exact").payoffs
    players = axelrod_players(names)
    tournament = axl.Tournament(players, turns=turns, repetitions=1, seed=1)
    results = tournament.play(progress_bar=False, processes=None)
    return ours, results


def ecologies(ours: pd.DataFrame, results, generations: int = 1000):
    """Shares over generations: ours on both payoff matrices, and axelrod's Ecosystem.

    Axelrod's map, ``x_i' = x_i f_i / sum_j x_j f_j`` with ``f = A x``, needs no shift here:
    the smallest payoff is the sucker's 0, and ``ep.discrete_replicator`` refuses only
    negative ones.

    Parameters
    ----------
    ours : DataFrame
        Our payoff matrix.
    results : axelrod.ResultSet
        Axelrod's tournament results.
    generations : int
        Number of generations.

    Returns
    -------
    dict
        ``ours`` (discrete replicator on our payoffs), ``ours_on_axelrod`` (on axelrod's
        payoff matrix), ``ecosystem`` (``axl.Ecosystem``), each (generations + 1) x k; and
        ``A_axelrod``.
    """
    import axelrod as axl

    A_axl = pd.DataFrame(np.array(results.payoff_matrix), index=ours.index, columns=ours.columns)
    eco = axl.Ecosystem(results)
    eco.reproduce(generations)
    return {
        "ours": ep.discrete_replicator(ours, generations=generations).frequencies,
        "ours_on_axelrod": ep.discrete_replicator(A_axl, generations=generations).frequencies,
        "ecosystem": np.array(eco.population_sizes),
        "A_axelrod": A_axl,
    }


def tables(ours: pd.DataFrame, eco: dict, generations: int) -> dict[str, pd.DataFrame]:
    """The comparison tables.

    Parameters
    ----------
    ours : DataFrame
        Our payoff matrix.
    eco : dict
        Output of :func:`ecologies`.
    generations : int
        Number of generations.

    Returns
    -------
    dict of DataFrame
        ``shares`` (one row per strategy: tournament score and rank, final share ours and
        axelrod's Ecosystem, peak share and its generation, nice or not) and ``checks``.
    """
    names = list(ours.index)
    X, Y = eco["ours_on_axelrod"], eco["ecosystem"]
    score = ours.mean(axis=1)
    shares = pd.DataFrame({
        "strategy": names,
        "nice": [n in NICE for n in names],
        "tournament_score": score.to_numpy(),
        "tournament_rank": score.rank(ascending=False, method="min").astype(int).to_numpy(),
        f"share_{generations}_ours": X[-1],
        f"share_{generations}_axelrod": Y[-1],
        "peak_share": eco["ours"].max(axis=0),
        "peak_generation": eco["ours"].argmax(axis=0),
        "share_50": eco["ours"][min(50, generations)],
    }).sort_values(f"share_{generations}_ours", ascending=False, ignore_index=True)
    final = eco["ours"][-1]
    nice_share = float(sum(final[i] for i, n in enumerate(names) if n in NICE))
    rise_fall = [n for i, n in enumerate(names)
                 if n not in NICE and eco["ours"][:, i].max() > 1.1 / len(names)
                 and final[i] < 0.01]
    tft_rank = int((final > final[names.index("Tit For Tat")]).sum()) + 1
    payoff_gap = float(np.abs(ours.to_numpy() - eco["A_axelrod"].to_numpy()).max())
    checks = pd.DataFrame([
        {"check": "payoffs: ours (exact) vs axelrod's tournament, max abs difference",
         "axelrod / paper": "0", "ours": f"{payoff_gap:.1e}"},
        {"check": "shares: discrete_replicator vs axl.Ecosystem, max abs difference, "
                  "all generations",
         "axelrod / paper": "0 (same matrix, zero stddevs)",
         "ours": f"{np.abs(X - Y).max():.1e}"},
        {"check": f"share of nice strategies at generation {generations}",
         "axelrod / paper": "nice rules take over (book, ch. 3)", "ours": f"{nice_share:.4f}"},
        {"check": "exploiters that grow, then die out with their prey",
         "axelrod / paper": "Harrington rises, then falls",
         "ours": ", ".join(rise_fall) or "none"},
        {"check": f"rank of Tit For Tat by share at generation {generations}",
         "axelrod / paper": "1 (TFT most common)", "ours": str(tft_rank)},
    ])
    return {"checks": checks, "shares": shares}


def figure(names, eco: dict, path: Path, generations: int):
    """Shares over generations (ours) and ours against axelrod's Ecosystem.

    Parameters
    ----------
    names : sequence of str
        Strategy names.
    eco : dict
        Output of :func:`ecologies`.
    path : Path
        Where to save the PNG.
    generations : int
        Number of generations.

    Returns
    -------
    Figure
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 5.2))
    ax, bx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
    X = eco["ours"]
    g = np.arange(len(X))
    order = np.argsort(-X.max(axis=0))
    from matplotlib import colormaps

    shown = min(generations, 100)
    nice_colours, other_colours = colormaps["tab10"], colormaps["tab20"]
    n_nice = n_other = 0
    for i in order:
        if names[i] in NICE:
            colour, n_nice = nice_colours(n_nice % 10), n_nice + 1
        else:
            colour, n_other = other_colours(n_other % 20), n_other + 1
        ax.plot(g[: shown + 1], X[: shown + 1, i], lw=2 if names[i] in NICE else 1.2,
                ls="-" if names[i] in NICE else "--", color=colour, label=names[i])
    ax.set_xlim(0, shown)
    ax.set_xlabel(f"generation (first {shown} of {generations})")
    ax.set_ylabel("population share")
    ax.set_title("Axelrod's ecological model (solid: nice, dashed: not nice)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    Y = eco["ecosystem"]
    for i in order[:6]:
        line, = bx.plot(g[: shown + 1], eco["ours_on_axelrod"][: shown + 1, i], lw=3,
                        alpha=0.4, label=names[i])
        bx.plot(g[: shown + 1], Y[: shown + 1, i], color=line.get_color(), lw=1, ls="--")
    bx.plot([], [], color="grey", lw=3, alpha=0.4, label="ep.discrete_replicator")
    bx.plot([], [], color="grey", lw=1, ls="--", label="axl.Ecosystem")
    bx.set_xlim(0, shown)
    bx.set_xlabel("generation")
    bx.set_ylabel("population share")
    bx.set_title("same payoff matrix: ours vs axelrod (top 6)")
    bx.legend(fontsize=7)
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
        ``checks`` and ``shares``.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="evopolity-out/reproductions")
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--generations", type=int, default=1000)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    ours, results = payoff_matrices(STRATEGIES, args.turns)
    eco = ecologies(ours, results, args.generations)
    result = tables(ours, eco, args.generations)
    figure(list(ours.index), eco, out / "axelrod_ecology.png", args.generations)
    text = [f"## {name}\n\n{markdown(frame, 6, significant=True)}\n"
            for name, frame in result.items()]
    (out / "axelrod_ecology.md").write_text("\n".join(text))
    result["shares"].to_csv(out / "axelrod_ecology.csv", index=False)
    print("\n".join(text))
    print(f"wrote {out / 'axelrod_ecology.png'}, axelrod_ecology.md, axelrod_ecology.csv "
          f"({time.perf_counter() - start:.1f} s)")
    return result


if __name__ == "__main__":
    main()
