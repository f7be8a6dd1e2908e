"""The report of a run: the text summary table and ``report.md``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evopolity.analysis.compare import HEADLINE_COLUMNS
from evopolity.experiments.spec import Spec
from evopolity.experiments.storage import write_text

__all__ = ["summary_table", "write_report"]


def summary_table(summary: pd.DataFrame) -> str:
    """The summary as a fixed-width text table, one row per regime and scenario.

    Parameters
    ----------
    summary : DataFrame
        One row per run (``summary.parquet``, :func:`evopolity.compare_regimes`).

    Returns
    -------
    str
        The columns of :data:`evopolity.analysis.compare.HEADLINE_COLUMNS` present in
        ``summary``, means over seeds; ``response`` (to the first shock, read up to the next
        one) is its value when every seed agrees, else each value with its count, and ``-``
        for runs without a shock. Numbers to three decimals.
    """
    present = [c for c in HEADLINE_COLUMNS[2:] if c in summary.columns]
    numeric = [c for c in present if c != "response"]
    grouped = summary.groupby(["regime", "scenario"], sort=False)
    table = grouped[numeric].mean()

    def response(values: pd.Series) -> str:
        values = values.dropna()
        if values.empty:
            return "-"
        counts = values.value_counts()
        if len(counts) == 1:
            return str(counts.index[0])
        return ", ".join(f"{k} x{v}" for k, v in counts.items())

    if "response" in present:
        table.insert(present.index("response"), "response", grouped["response"].agg(response))
    return table.reset_index().to_string(index=False, float_format=lambda v: f"{v:.3f}",
                                         na_rep="-")


def write_report(spec: Spec, summary: pd.DataFrame, out: Path, figures: list[Path],
                 elapsed: float) -> Path:
    """Write ``out/report.md``: what ran, the summary table, the files and the figures.

    Parameters
    ----------
    spec : Spec
        The experiment that ran.
    summary : DataFrame
        Its summary, one row per run.
    out : Path
        The run directory.
    figures : list of Path
        The figures written (linked relative to ``out/figures``).
    elapsed : float
        Seconds the runs took.

    Returns
    -------
    Path
        The report's path.
    """
    shocks = ", ".join(
        f"{s.kind} at t = {s.time:g}" + (f" (to {s.value})" if s.kind in ("temptation", "noise")
                                          else "")
        for s in spec.shocks
    )
    lines = [
        f"# {spec.name}",
        "",
        f"Spec: `{spec.source}` (digest `{spec.digest}`). {len(spec.strategies)} strategies, "
        f"{spec.game.describe()}, {spec.turns} turns, noise {spec.noise:g}, "
        f"method {spec.method}; replicator for t = 0..{spec.t_max:g}; seeds {spec.seeds}. "
        f"Computed in {elapsed:.1f} s.",
        "",
        f"Shocks: {shocks or 'none'}.",
        "",
        "## Outcome per regime (final state; resilience after the first shock)",
        "",
        "```",
        summary_table(summary),
        "```",
        "",
        "Files: `trajectories.parquet` (run, regime, scenario, seed, time, strategy, "
        "frequency), `macro.parquet` (cooperation level and institution strength over time), "
        "`events.parquet` (shocks), `summary.parquet` (the table above, per run).",
        "",
    ]
    if figures:
        lines += ["## Figures", ""]
        lines += [f"![{p.stem}](figures/{p.name})" for p in figures]
        lines.append("")
    return write_text(Path(out) / "report.md", "\n".join(lines))
