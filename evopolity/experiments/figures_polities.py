"""Figures of a polities run: regime shares over time and Kaplan–Meier survival curves.

matplotlib is imported inside the functions only (the results do not need it).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["plot_regime_shares", "plot_survival", "plot_polities_directory"]


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
