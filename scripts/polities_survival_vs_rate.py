"""Survival of polities under two regimes against the rate of environmental change.

    python scripts/polities_survival_vs_rate.py [--out docs/figures] [--seeds 10] [--quick]

The worked example of docs/polities.md (cooperators and defectors in 20 polities of at most
10; free polities beside fined ones, which fine defection and pay for it; collapse below a mean
payoff of 1 for 1,000 steps; 1% institutional imitation) in a world that switches at random
(``Markov``) between a prisoner's dilemma, where defection pays, and a harmony game, where
cooperation does, at rates from 10^-4 to 10^-2 per step. Each (rate, seed) is one run; the
rows are :func:`evopolity.experiments.tasks.polity_measures` (what ``evopolity sweep`` writes
for a ``[polities]`` spec swept over ``polities.environment.rate``). Writes
``polities-survival-vs-rate.png`` and prints the medians over seeds with their quartiles.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

import evopolity as ep
from evopolity.experiments.figures_polities import (
    plot_survival_against_rate,
    survival_against,
)
from evopolity.experiments.tasks import polity_measures

AXIS = "polities.environment.rate"
PD_GAME = np.array([[3.0, 0.0], [5.0, 1.0]])  # cooperators, defectors
HARMONY = np.array([[5.0, 2.0], [1.0, 0.0]])
C = np.array([[1.0, 1.0], [0.0, 0.0]])
REGIMES = [ep.Regime(name="free", mutation=0.01),
           ep.Regime(name="fined", fine=3.0, detection=0.8, cost=0.5, mutation=0.01)]
GENERATIONS = 20_000


def rows(rates: list[float], seeds: int) -> pd.DataFrame:
    """One row of survival measures per rate and seed."""
    out = []
    for rate in rates:
        for seed in range(seeds):
            run = ep.polities(PD_GAME, REGIMES, n=10, m=20, generations=GENERATIONS,
                              split=0.05, imitation=0.01, cooperation=C,
                              environment=ep.environments.Markov(rate, [HARMONY]),
                              collapse=ep.Collapse(threshold=1.0, duration=1_000), seed=seed)
            out.append({AXIS: rate, "seed": seed, "generations": GENERATIONS,
                        **polity_measures(run)})
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/figures")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="3 rates, 2 seeds")
    args = parser.parse_args()
    rates = [1e-4, 1e-3, 1e-2] if args.quick else [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]
    seeds = 2 if args.quick else args.seeds
    start = time.perf_counter()
    table = rows(rates, seeds)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = plot_survival_against_rate(table, out / "polities-survival-vs-rate.png", AXIS)
    summary = survival_against(table, AXIS)
    with pd.option_context("display.width", 140, "display.max_columns", 20):
        print(summary.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    extra = table.groupby(AXIS)[["collapses", "environment_changes", "cooperation"]].median()
    print(extra.to_string())
    print(f"{len(table)} runs in {time.perf_counter() - start:.0f} s; figure: {path}")


if __name__ == "__main__":
    main()
