"""What the reproduction scripts share: Markdown tables, the donation game at any b/c.

The scripts import it as a sibling module (``python scripts/reproduce_*.py`` puts
``scripts/`` first on ``sys.path``); pandas' own
``to_markdown`` would need ``tabulate``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def markdown(frame: pd.DataFrame, digits: int = 3, *, significant: bool = False) -> str:
    """A DataFrame as a Markdown table (no ``tabulate`` needed).

    Parameters
    ----------
    frame : DataFrame
        The table.
    digits : int
        Decimals of floats (NaN is written as an en dash), or with ``significant`` their
        significant digits.
    significant : bool
        Write floats with ``digits`` significant digits (``:g``) instead of decimals.

    Returns
    -------
    str
    """
    def cell(v):
        if isinstance(v, float | np.floating):
            if significant:
                return f"{v:.{digits}g}"
            return "–" if np.isnan(v) else f"{v:.{digits}f}"
        return str(v)

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |",
             "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |"
              for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def donation(b: float, c: float = 1.0) -> np.ndarray:
    """The donation game's matrix at any ``b`` (strategy 0 cooperates, 1 defects).

    ``ep.DonationGame`` refuses ``b <= c`` (no dilemma); a scan of b/c across the threshold
    needs those points too.

    Parameters
    ----------
    b, c : float
        Benefit and cost.

    Returns
    -------
    ndarray
        ``[[b - c, -c], [b, 0]]``.
    """
    return np.array([[b - c, -c], [b, 0.0]])
