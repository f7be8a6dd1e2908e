"""Figures of a polities run: regime shares over time and Kaplan–Meier survival curves; and of
a survival study: survival against the rate of environmental change.

matplotlib is imported inside the functions only (the results do not need it).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["plot_polities_directory", "plot_regime_shares", "plot_survival",
           "plot_survival_against_rate", "survival_against"]


def plot_regime_shares(regimes: pd.DataFrame, path: str | Path) -> Path:
    """The share of polities holding each regime over time (mean over seeds).

    Parameters
    ----------
    regimes : DataFrame
        ``regimes.parquet`` of a polities run: ``generation``, ``regime``, ``share``.
    path : str or Path
        The PNG file to write.

    Returns
    -------
    Path
        ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = regimes.groupby(["generation", "regime"], observed=True)["share"].mean().unstack()
    fig, ax = plt.subplots(figsize=(7, 4))
    for name in table.columns:
        ax.plot(table.index, table[name], label=str(name))
    ax.set_xlabel("generation (elementary steps)")
    ax.set_ylabel("share of polities")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_survival(survival: pd.DataFrame, path: str | Path) -> Path:
    """Kaplan–Meier survival curves of polities' spells, one step curve per regime (and
    seed).

    Parameters
    ----------
    survival : DataFrame
        ``survival.parquet``: ``regime``, ``time``, ``survival`` (and ``seed``).
    path : str or Path
        The PNG file to write.

    Returns
    -------
    Path
        ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    keys = ["regime", "seed"] if "seed" in survival else ["regime"]
    colours: dict[str, str] = {}
    for key, sub in survival.groupby(keys, observed=True):
        name = str(key[0] if isinstance(key, tuple) else key)
        first = name not in colours
        line = ax.step(sub["time"], sub["survival"], where="post",
                       color=colours.get(name), label=name if first else None)
        colours.setdefault(name, line[0].get_color())
    ax.axhline(0.5, color="grey", lw=0.6, ls=":")
    ax.set_xlabel("lifetime (generations)")
    ax.set_ylabel("survival S(t)")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def survival_against(rows: pd.DataFrame, axis: str) -> pd.DataFrame:
    """Per value of ``axis`` and regime, the median over seeds (and the quartiles) of each
    regime's median lifetime and final share, from survival rows.

    Parameters
    ----------
    rows : DataFrame
        One row per run (a sweep's point and seed): ``axis``, ``median_lifetime[R]`` and
        ``final_share[R]`` for every regime ``R``
        (:func:`evopolity.experiments.tasks.polity_measures`).
    axis : str
        The column swept (e.g. ``polities.environment.rate``).

    Returns
    -------
    DataFrame
        ``axis``, ``regime``, ``runs``, ``lifetime`` (median over runs of the median
        lifetime; runs whose survival stayed above 1/2 count as the run's length when
        ``polities.generations`` or ``generations`` is a column, else are left out),
        ``lifetime_low``, ``lifetime_high`` (quartiles), ``share``, ``share_low``,
        ``share_high``.

    Raises
    ------
    KeyError
        If ``axis`` or the regimes' columns are missing.
    """
    import numpy as np

    if axis not in rows:
        raise KeyError(f"survival rows have no column {axis!r}")
    regimes = [c[len("median_lifetime["):-1] for c in rows.columns
               if c.startswith("median_lifetime[")]
    if not regimes:
        raise KeyError("survival rows have no median_lifetime[R] columns")
    length = next((rows[c] for c in ("polities.generations", "generations") if c in rows), None)
    out = []
    for value, sub in rows.groupby(axis, sort=True):
        for r in regimes:
            life = sub[f"median_lifetime[{r}]"].astype(float)
            if length is not None:
                life = life.fillna(length.loc[sub.index].astype(float))
            life = life.dropna()
            share = sub[f"final_share[{r}]"].astype(float)
            q = (np.percentile(life, [50, 25, 75]) if len(life) else [np.nan] * 3)
            s = np.percentile(share, [50, 25, 75])
            out.append({axis: value, "regime": r, "runs": len(sub), "lifetime": q[0],
                        "lifetime_low": q[1], "lifetime_high": q[2], "share": s[0],
                        "share_low": s[1], "share_high": s[2]})
    return pd.DataFrame(out)


def plot_survival_against_rate(rows: pd.DataFrame, path: str | Path,
                               axis: str = "polities.environment.rate") -> Path:
    """Median lifetime and final share of polities per regime against the rate of
    environmental change (medians over seeds, bars from the first to the third quartile).

    Parameters
    ----------
    rows : DataFrame
        Survival rows (:func:`survival_against`), e.g. ``evopolity sweep``'s rows of a
        ``[polities]`` spec swept over ``polities.environment.rate``.
    path : str or Path
        The PNG file to write.
    axis : str
        The column of the rate.

    Returns
    -------
    Path
        ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = survival_against(rows, axis)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for name, sub in table.groupby("regime", sort=False):
        x = sub[axis].to_numpy(dtype=float)
        left.errorbar(x, sub["lifetime"], yerr=[sub["lifetime"] - sub["lifetime_low"],
                                                 sub["lifetime_high"] - sub["lifetime"]],
                      marker="o", capsize=3, label=str(name))
        right.errorbar(x, sub["share"], yerr=[sub["share"] - sub["share_low"],
                                               sub["share_high"] - sub["share"]],
                       marker="o", capsize=3, label=str(name))
    positive = (table[axis].astype(float) > 0).all()
    for ax in (left, right):
        if positive:
            ax.set_xscale("log")
        ax.set_xlabel("rate of environmental change (per generation)")
    left.set_ylabel("median lifetime (generations)")
    right.set_ylabel("share of polities at the end")
    right.set_ylim(-0.02, 1.02)
    left.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_polities_directory(directory: str | Path) -> list[Path]:
    """Draw a polities run directory's figures into ``DIRECTORY/figures/``.

    Parameters
    ----------
    directory : str or Path
        Written by ``evopolity polities`` (``regimes.parquet``, ``survival.parquet``).

    Returns
    -------
    list of Path
        ``regime-shares.png`` and ``survival.png``.

    Raises
    ------
    FileNotFoundError
        If the directory lacks ``regimes.parquet`` or ``survival.parquet``.
    """
    root = Path(directory)
    for name in ("regimes.parquet", "survival.parquet"):
        if not (root / name).is_file():
            raise FileNotFoundError(f"{root / name} is missing: not a polities run directory")
    figures = root / "figures"
    figures.mkdir(exist_ok=True)
    return [plot_regime_shares(pd.read_parquet(root / "regimes.parquet"),
                               figures / "regime-shares.png"),
            plot_survival(pd.read_parquet(root / "survival.parquet"), figures / "survival.png")]
