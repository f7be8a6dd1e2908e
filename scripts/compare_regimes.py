"""Which regimes sustain cooperation and diversity, and which survive a temptation rise?

    python scripts/compare_regimes.py [--strategies all] [--noise 0.01] [--t-max 300]

Plays the strategy set (exact payoffs, 200 turns), evolves it under every preset regime with
and without the default shock (the temptation T rises by T - R at t_max / 3), and prints one
row per regime and scenario (the table in docs/institutions.md comes from this script).
"""

import argparse

import pandas as pd

import evopolity as ep
from evopolity.analysis.compare import HEADLINE_COLUMNS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", default="all", help="a library collection")
    parser.add_argument("--noise", type=float, default=0.01)
    parser.add_argument("--t-max", type=float, default=300.0)
    args = parser.parse_args()
    frame = ep.compare_regimes(args.strategies, noise=args.noise, t_max=args.t_max)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(frame[HEADLINE_COLUMNS].round(3).to_string(index=False))


if __name__ == "__main__":
    main()
