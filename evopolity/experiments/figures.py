"""Figures of runs and sweeps (matplotlib, headless).

Every function returns a :class:`matplotlib.figure.Figure` and, given ``path``, also saves it
(PNG at 150 dpi unless the suffix says otherwise). matplotlib is imported only when a figure is
drawn, and figures are rendered by the non-interactive Agg canvas: nothing here needs a
display, and nothing touches pyplot's global state. A directory's frames are read through
:mod:`evopolity.experiments.results`; files are written atomically
(:func:`evopolity.experiments.storage.atomic_write`).

=====================================  ==========================================================
function                               figure
=====================================  ==========================================================
:func:`frequencies`                    stacked areas of strategy frequencies over time, shocks
                                       marked; the top strategies named, the rest as "other"
:func:`macro_timeline`                 a macro variable (cooperation, institution strength) over
                                       time, one panel per regime, baseline against shocked
:func:`regime_outcomes`                cooperation and diversity per regime, baseline and shocked
                                       side by side, recovery after the shock marked
:func:`phase_diagram`                  heat map of a value (mean over seeds) over two swept
                                       parameters
:func:`sweep_lines`                    a value (mean over seeds, with its spread) against one
                                       swept parameter, a line per regime
:func:`simplex`                        the 2-simplex of a three-strategy run (ternary plot)
:func:`plot_directory`                 every figure of a run or sweep directory, as PNG files
=====================================  ==========================================================
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evopolity.experiments import results
from evopolity.experiments.figures_polities import plot_survival
from evopolity.experiments.storage import RUN_FILES, atomic_write

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from evopolity.dynamics.trajectory import Trajectory

__all__ = [
    "basin_shares",
    "frequencies",
    "hysteresis_branches",
    "macro_timeline",
    "phase_diagram",
    "plot_directory",
    "regime_outcomes",
    "simplex",
    "sweep_lines",
]

DPI = 150
OTHER = "other"

#: Axis / colour-bar labels of the columns the experiments write.
LABELS = {
    "cooperation": "cooperation (fraction of cooperative moves)",
    "effective_number": "effective number of strategies (exp entropy)",
    "entropy": "Shannon entropy of frequencies",
    "richness": "richness (strategies present)",
    "inverse_simpson": "inverse Simpson index",
    "mean_payoff": "mean payoff",
    "mean_fitness": "mean fitness",
    "institution_strength": "institution strength",
    "min_cooperation": "minimum cooperation after the shock",
    "cooperation_drop": "cooperation drop after the shock",
    "recovery_time": "recovery time",
}
#: Values that live in [0, 1]: their colour scales and y-axes are fixed to that range.
UNIT_INTERVAL = {"cooperation", "institution_strength", "min_cooperation", "cooperation_drop"}



# --------------------------------------------------------------------------- helpers


def _figure(figsize: tuple[float, float], **kwargs: Any) -> Figure:
    """A new Figure on an Agg canvas (no pyplot, no display)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained", **kwargs)
    FigureCanvasAgg(fig)
    return fig


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = _figure(figsize)
    return fig, fig.add_subplot()


def _finish(fig: Any, path: str | Path | None) -> Any:
    if path is not None:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        # the format from the real name: the temporary one is only for the atomic rename
        fmt = p.suffix.lstrip(".").lower() or "png"
        atomic_write(p, lambda tmp: fig.savefig(tmp, format=fmt, dpi=DPI, bbox_inches="tight",
                                                facecolor="white"))
    return fig


def _label(column: str) -> str:
    return LABELS.get(column, column.replace("_", " "))


def _colors(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _need(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the column(s) {missing}; it has {list(frame.columns)}")


def _wide(data: Any, name: str = "trajectory_or_frame") -> pd.DataFrame:
    """Frequencies as a time-indexed frame, one column per strategy (rows with NaN dropped)."""
    from evopolity.dynamics.trajectory import Trajectory

    if isinstance(data, Trajectory):
        wide = data.wide()
    elif isinstance(data, pd.DataFrame):
        _need(data, ("time", "strategy", "frequency"), name)
        s = data["strategy"]
        order = (
            [c for c in s.cat.categories if c in set(s)]
            if isinstance(s.dtype, pd.CategoricalDtype)
            else list(pd.unique(s))
        )
        mixed = [c for c in ("run", "regime", "scenario", "seed")
                 if c in data.columns and data[c].nunique(dropna=False) > 1]
        if mixed:
            raise ValueError(
                f"{name} holds several runs (columns {mixed} vary): filter it to one run first "
                "(e.g. frame[frame.run == 0])"
            )
        # a segmented run repeats the time of each shock (the state before and after it):
        # number the repeats so both rows survive, in their order
        d = data.assign(_rep=data.groupby(["time", "strategy"], observed=True).cumcount())
        wide = d.pivot(index=["time", "_rep"], columns="strategy", values="frequency")
        wide = wide.reindex(columns=order).sort_index()
        wide.index = pd.Index(wide.index.get_level_values("time"), name="time")
        wide.columns = pd.Index([str(c) for c in wide.columns], name="strategy")
    else:
        raise TypeError(
            f"{name} must be a Trajectory or a DataFrame with columns time, strategy, "
            f"frequency; got {type(data).__name__}"
        )
    wide = wide.dropna(how="any")
    if wide.empty:
        raise ValueError(f"{name} has no complete rows of frequencies to plot")
    return wide


def _shock_label(s: Any) -> str:
    kind = str(getattr(s, "kind", "shock"))
    value = getattr(s, "value", None)
    detail = getattr(s, "detail", None) or {}
    if kind == "temptation":
        v = value if value is not None else detail.get("T_after")
        return f"temptation T={v:g}" if isinstance(v, int | float) else kind
    if kind == "noise":
        v = value if value is not None else detail.get("noise_after", detail.get("noise"))
        return f"noise {v:g}" if isinstance(v, int | float) else kind
    if kind == "invasion":
        v = value if value is not None else detail.get("strategy")
        return f"invasion: {v}" if v else kind
    if kind == "regime":
        v = getattr(value, "name", None) or detail.get("regime")
        return f"regime: {v}" if v else kind
    return kind


def _shocks(shocks: Any) -> list[tuple[float, str]]:
    """Normalise the ways a user can name shocks into sorted (time, label) pairs.

    Accepts numbers, Shock / Event objects, (time, label) pairs, or a DataFrame with a ``time``
    column (and optionally ``kind``). Labels of shocks at the same time are joined.
    """
    if shocks is None:
        return []
    items: list[tuple[float, str]] = []
    if isinstance(shocks, pd.DataFrame):
        _need(shocks, ("time",), "shocks")
        # events.parquet says what changed, from what to what (``change``), and whether the
        # game left its class
        kinds = (shocks["change"] if "change" in shocks.columns
                 else shocks["kind"] if "kind" in shocks.columns else ["shock"] * len(shocks))
        classes = (shocks["class_after"].where(shocks["class_change"].astype(bool), "")
                   if {"class_change", "class_after"} <= set(shocks.columns)
                   else [""] * len(shocks))
        items = [(float(t), str(k) + (f" (now {c})" if c else ""))
                 for t, k, c in zip(shocks["time"], kinds, classes, strict=True)]
    else:
        for s in shocks:
            if hasattr(s, "time"):
                items.append((float(s.time), _shock_label(s)))
            elif isinstance(s, tuple | list) and len(s) == 2:
                items.append((float(s[0]), str(s[1])))
            elif isinstance(s, int | float | np.integer | np.floating):
                items.append((float(s), "shock"))
            else:
                raise TypeError(
                    "shocks must hold times, (time, label) pairs, Shock or Event objects, "
                    f"got {type(s).__name__}"
                )
    merged: dict[float, list[str]] = {}
    for t, lab in items:
        if not math.isfinite(t):
            raise ValueError(f"shock times must be finite, got {t}")
        labs = merged.setdefault(t, [])
        if lab not in labs:
            labs.append(lab)
    return [(t, ", ".join(labs)) for t, labs in sorted(merged.items())]


def _mark_shocks(ax: Axes, shocks: list[tuple[float, str]], where: str = "top") -> None:
    """Dashed vertical lines at the shock times, each labelled along its line."""
    for t, lab in shocks:
        ax.axvline(t, color="black", linestyle="--", linewidth=1.2, zorder=5, gid="shock")
        ax.text(
            t,
            0.98 if where == "top" else 0.02,
            f" {lab}",
            transform=ax.get_xaxis_transform(),
            rotation=90,
            ha="right",
            va="top" if where == "top" else "bottom",
            fontsize=8,
            zorder=6,
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.8,
                  "edgecolor": "none"},
        )


def _top(wide: pd.DataFrame, top: int, by: str) -> pd.DataFrame:
    """Keep the ``top`` strategies (by max or final frequency) and lump the rest as "other"."""
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
        raise ValueError(f"top must be an integer >= 1, got {top!r}")
    if by not in ("max", "final"):
        raise ValueError(f"by must be 'max' or 'final', got {by!r}")
    score = wide.max() if by == "max" else wide.iloc[-1]
    # stable: ties keep the strategies' own order
    order = list(score.sort_values(ascending=False, kind="stable").index)
    if len(order) <= top + 1:  # an "other" standing for one strategy would hide its name
        return wide[order]
    kept = wide[order[:top]].copy()
    kept[OTHER] = wide[order[top:]].sum(axis=1)
    return kept


# --------------------------------------------------------------------------- frequencies


def frequencies(
    trajectory_or_frame: Trajectory | pd.DataFrame,
    *,
    shocks: Any = None,
    top: int = 10,
    by: str = "max",
    ax: Axes | None = None,
    title: str | None = None,
    path: str | Path | None = None,
) -> Figure:
    """Stacked areas of strategy frequencies over time, shocks marked as labelled lines.

    Parameters
    ----------
    trajectory_or_frame : Trajectory or DataFrame
        A :class:`~evopolity.dynamics.trajectory.Trajectory`, or a tidy frame with columns ``time,
        strategy, frequency`` holding one run (e.g. ``trajectories.parquet`` filtered to one
        ``run``). Rows with NaN (times an integrator did not reach) are dropped.
    shocks : sequence or DataFrame, optional
        Where to draw shock lines: times, ``(time, label)`` pairs, ``Shock`` or ``Event``
        objects, or a frame with ``time`` (and ``kind``) columns such as
        ``events.parquet``. Default: a Trajectory's own ``events``; none for a frame.
    top : int
        How many strategies to name; the others are summed into one grey "other" band (only
        when it would lump at least two strategies).
    by : {"max", "final"}
        Rank strategies by their largest frequency over the run, or by the final one.
    ax : Axes, optional
        Draw into this Axes (default: a new figure).
    title : str, optional
        Default: "Strategy frequencies over time".
    path : str or Path, optional
        Also save the figure there.

    Returns
    -------
    matplotlib.figure.Figure
        The bands are stacked in rank order from the bottom (first-ranked strategy lowest),
        "other" on top; the legend lists them top-down, as they appear.
    """
    from evopolity.dynamics.trajectory import Trajectory

    wide = _wide(trajectory_or_frame)
    if shocks is None and isinstance(trajectory_or_frame, Trajectory):
        shocks = trajectory_or_frame.events
    marks = _shocks(shocks)
    shown = _top(wide, top, by)
    names = list(shown.columns)
    colors = _colors(len(names) - (OTHER in names))
    if OTHER in names:
        colors.append((0.72, 0.72, 0.72, 1.0))

    fig, ax = _axes(ax, (9.0, 4.8))
    t = shown.index.to_numpy(dtype=float)
    polys = ax.stackplot(
        t, shown.to_numpy(dtype=float).T, labels=names, colors=colors, linewidth=0.3,
        edgecolor="white",
    )
    for poly, name in zip(polys, names, strict=True):
        poly.set_gid(name)
    _mark_shocks(ax, marks)
    ax.set_xlim(t[0], t[-1] if t[-1] > t[0] else t[0] + 1.0)
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("time")
    ax.set_ylabel("frequency")
    ax.set_title(title or "Strategy frequencies over time")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0),
        fontsize=8 if len(names) > 8 else 9, frameon=False, title="strategy",
    )
    return _finish(fig, path)


# --------------------------------------------------------------------------- simplex

#: Corners of the 2-simplex: first strategy bottom left, second bottom right, third on top.
CORNERS = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, math.sqrt(3.0) / 2.0]])


def barycentric(x: Any) -> np.ndarray:
    """Map frequencies of three strategies (rows, normalised to sum 1) into the plane.

    A row ``(x1, x2, x3)`` goes to ``x1 * A + x2 * B + x3 * C`` with the corners ``A = (0, 0)``,
    ``B = (1, 0)`` and ``C = (1/2, sqrt(3)/2)``.

    Examples
    --------
    >>> barycentric([[1, 0, 0], [0, 0, 1], [1, 1, 1]]).round(4).tolist()
    [[0.0, 0.0], [0.5, 0.866], [0.5, 0.2887]]
    """
    a = np.atleast_2d(np.asarray(x, dtype=float))
    if a.shape[-1] != 3:
        raise ValueError(f"barycentric needs 3 frequencies per row, got {a.shape[-1]}")
    a = a / a.sum(axis=1, keepdims=True)
    return a @ CORNERS


def simplex(
    trajectory_or_frame: Trajectory | pd.DataFrame,
    *,
    shocks: Any = None,
    ax: Axes | None = None,
    title: str | None = None,
    path: str | Path | None = None,
) -> Figure:
    """The trajectory of a three-strategy run drawn in the 2-simplex (a ternary plot).

    The triangle's corners are the pure states, labelled with the strategy names (first
    strategy bottom left, second bottom right, third on top; see :func:`barycentric`). A
    point's distance to the side opposite a corner is that strategy's frequency; grid lines
    mark frequencies 0.2, 0.4, 0.6, 0.8. The path starts at an open circle and ends at a
    filled one, arrows show the direction, crosses mark the state at each shock.

    Parameters
    ----------
    trajectory_or_frame : Trajectory or DataFrame
        Exactly three strategies (a Trajectory, or a tidy ``time, strategy, frequency`` frame
        of one run).
    shocks : sequence or DataFrame, optional
        As in :func:`frequencies` (default: a Trajectory's events).
    ax, title, path
        As in :func:`frequencies`.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the run does not have exactly three strategies.
    """
    from evopolity.dynamics.trajectory import Trajectory

    wide = _wide(trajectory_or_frame)
    k = wide.shape[1]
    if k != 3:
        raise ValueError(
            f"simplex needs exactly 3 strategies, the run has k={k} "
            f"({', '.join(map(str, wide.columns[:6]))}{', ...' if k > 6 else ''}); "
            "use frequencies() for other k"
        )
    if shocks is None and isinstance(trajectory_or_frame, Trajectory):
        shocks = trajectory_or_frame.events
    marks = _shocks(shocks)
    names = [str(c) for c in wide.columns]
    xy = barycentric(wide.to_numpy())

    fig, ax = _axes(ax, (6.4, 6.0))
    tri = np.vstack([CORNERS, CORNERS[:1]])
    ax.plot(tri[:, 0], tri[:, 1], color="black", linewidth=1.2, gid="triangle")
    for f in (0.2, 0.4, 0.6, 0.8):  # iso-frequency lines of each strategy
        for i in range(3):
            j, m = (i + 1) % 3, (i + 2) % 3
            p = f * CORNERS[i] + (1 - f) * CORNERS[j]
            q = f * CORNERS[i] + (1 - f) * CORNERS[m]
            ax.plot([p[0], q[0]], [p[1], q[1]], color="0.85", linewidth=0.6, zorder=0)
    offsets = [(0.0, -0.04, "center", "top"), (1.0, -0.04, "center", "top"),
               (0.5, math.sqrt(3) / 2 + 0.04, "center", "bottom")]
    for (px, py, ha, va), name in zip(offsets, names, strict=True):
        ax.text(px, py, name, ha=ha, va=va, fontsize=11, fontweight="bold", gid="corner")

    ax.plot(xy[:, 0], xy[:, 1], color="tab:blue", linewidth=1.8, label="trajectory",
            gid="trajectory", zorder=3)
    # direction arrows at a few points along the path
    seg = np.linalg.norm(np.diff(xy, axis=0), axis=1)
    if seg.sum() > 1e-9:
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        for frac in (0.25, 0.5, 0.75):
            i = int(np.searchsorted(cum, frac * cum[-1]))
            i = min(max(i, 1), len(xy) - 1)
            if seg[i - 1] > 1e-12:
                ax.annotate("", xy=xy[i], xytext=xy[i - 1], zorder=4,
                            arrowprops={"arrowstyle": "-|>", "color": "tab:blue", "lw": 1.5,
                                        "mutation_scale": 14})
    ax.plot(*xy[0], marker="o", markersize=9, markerfacecolor="white",
            markeredgecolor="black", linestyle="none", label="start", zorder=5, gid="start")
    ax.plot(*xy[-1], marker="o", markersize=9, color="black", linestyle="none", label="end",
            zorder=5, gid="end")
    if marks:
        times = wide.index.to_numpy(dtype=float)
        idx = [int(np.searchsorted(times, t)) for t, _ in marks]
        idx = [min(i, len(times) - 1) for i in idx]
        lab = f"shock: {marks[0][1]}" if len(marks) == 1 else "shocks"
        ax.plot(xy[idx, 0], xy[idx, 1], marker="X", markersize=10, color="tab:red",
                linestyle="none", label=lab, zorder=6, gid="shocks")
    ax.set_xlim(-0.25, 1.25)
    ax.set_ylim(-0.14, math.sqrt(3) / 2 + 0.12)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title or "Trajectory in the simplex of strategy frequencies")
    ax.legend(loc="upper right", fontsize=9, frameon=False)
    return _finish(fig, path)


# --------------------------------------------------------------------------- macro timeline


def macro_timeline(
    macro: pd.DataFrame,
    variable: str = "cooperation",
    *,
    events: pd.DataFrame | None = None,
    title: str | None = None,
    path: str | Path | None = None,
) -> Figure:
    """A macro variable over time: one panel per regime, a line per scenario, shocks marked.

    Parameters
    ----------
    macro : DataFrame
        Tidy macro state (``macro.parquet``): columns ``regime, time, variable, value`` and
        optionally ``scenario`` and ``run``/``seed``. Each (regime, scenario) shows its
        first run (lowest ``seed``, then lowest ``run``).
    variable : str
        Which macro variable (``"cooperation"``, ``"institution_strength"``).
    events : DataFrame, optional
        ``events.parquet``: columns ``time, kind`` and optionally ``regime, scenario, run``.
        Each panel marks the events of the runs it shows.
    title, path
        As in :func:`frequencies`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _need(macro, ("regime", "time", "variable", "value"), "macro")
    data = macro[macro["variable"] == variable]
    if data.empty:
        have = sorted(map(str, pd.unique(macro["variable"])))
        raise ValueError(f"macro has no variable {variable!r}; it has {have}")
    data = _first_runs(data)
    regimes = list(pd.unique(data["regime"]))
    n = len(regimes)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    fig = _figure((4.2 * ncols + 0.6, 3.0 * nrows + 0.6))
    axs = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    # baseline wide underneath, shocked narrow on top: both stay visible where they agree
    scen_style = {"baseline": ("tab:blue", 3.2), "shocked": ("tab:red", 1.4)}
    for ax, regime in zip(axs.flat, regimes, strict=False):
        sub = data[data["regime"] == regime]
        groups = sub.groupby("scenario", sort=False) if "scenario" in sub else [(None, sub)]
        for scen, g in groups:
            g = g.sort_values("time")
            color, lw = scen_style.get(str(scen), (None, 1.6))
            ax.plot(g["time"], g["value"], color=color, linewidth=lw, alpha=0.9,
                    label=str(scen) if scen is not None else variable)
        if events is not None and len(events):
            ev = _events_for(events, sub)
            _mark_shocks(ax, _shocks(ev), where="bottom")
        ax.set_title(str(regime), fontsize=10)
        if variable in UNIT_INTERVAL:
            ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    for ax in axs.flat[n:]:
        ax.set_visible(False)
    for c in range(ncols):  # the lowest visible panel of each column carries the time axis
        r = max(i for i in range(nrows) if i * ncols + c < n)
        axs[r, c].xaxis.set_tick_params(labelbottom=True)
        axs[r, c].set_xlabel("time")
    for ax in axs[:, 0]:
        ax.set_ylabel(variable.replace("_", " "))
    handles, labels = axs.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=max(1, len(labels)),
               frameon=False)
    fig.suptitle(title or f"{_label(variable).capitalize()} over time, by regime")
    return _finish(fig, path)


def _first_runs(data: pd.DataFrame) -> pd.DataFrame:
    """Keep, for each (regime, scenario), the run with the lowest seed then run number."""
    keys = [c for c in ("regime", "scenario") if c in data.columns]
    pick = [c for c in ("seed", "run") if c in data.columns]
    if not pick:
        return data
    firsts = data.sort_values(pick).drop_duplicates(keys)[keys + pick]
    return data.merge(firsts, on=keys + pick)


def _events_for(events: pd.DataFrame, shown: pd.DataFrame) -> pd.DataFrame:
    """The events of the runs in ``shown`` (matched on the id columns both frames have)."""
    keys = [c for c in ("run", "regime", "scenario", "seed")
            if c in events.columns and c in shown.columns]
    if not keys:
        return events
    ids = shown[keys].drop_duplicates()
    return events.merge(ids, on=keys)


# --------------------------------------------------------------------------- regime outcomes


def regime_outcomes(
    summary: pd.DataFrame,
    *,
    values: Sequence[str] = ("cooperation", "effective_number"),
    title: str | None = None,
    path: str | Path | None = None,
) -> Figure:
    """Cooperation and diversity per regime, baseline and shocked side by side.

    One panel per value; in each, a group of bars per regime (in the order regimes first
    appear), one bar per scenario, the mean over seeds with the standard deviation as an error
    bar when there are several. On the cooperation panel, a black tick on each shocked bar
    marks the lowest cooperation after the shock (``min_cooperation``), and the text above it
    says whether cooperation recovered: ``recovered t=31.5`` (mean recovery time) or ``not
    recovered``, or with several seeds ``recovered 3/5``.

    Parameters
    ----------
    summary : DataFrame
        ``summary.parquet`` / :func:`evopolity.compare_regimes`: columns ``regime, scenario``
        and the ``values``; ``min_cooperation, recovered, recovery_time`` are used if present.
    values : sequence of str
        Columns to plot, one panel each.
    title, path
        As in :func:`frequencies`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _need(summary, ("regime", "scenario", *values), "summary")
    if summary.empty:
        raise ValueError("summary is empty")
    regimes = [str(r) for r in pd.unique(summary["regime"])]
    scen_all = [str(s) for s in pd.unique(summary["scenario"])]
    scenarios = [s for s in ("baseline", "shocked") if s in scen_all]
    scenarios += [s for s in scen_all if s not in scenarios]
    df = summary.assign(regime=summary["regime"].astype(str),
                        scenario=summary["scenario"].astype(str))
    grouped = df.groupby(["regime", "scenario"], sort=False)
    colors = {"baseline": "tab:blue", "shocked": "tab:red"}
    extra = iter(["tab:green", "tab:purple", "tab:olive", "tab:cyan"])
    for s in scenarios:
        if s not in colors:
            colors[s] = next(extra, "tab:gray")

    nv = len(values)
    fig = _figure((max(6.0, 1.25 * len(regimes) + 2.0) * nv * 0.75 + 1.0, 4.6))
    axs = np.atleast_1d(fig.subplots(1, nv, squeeze=False)[0])
    x = np.arange(len(regimes), dtype=float)
    width = 0.8 / len(scenarios)
    for ax, value in zip(axs, values, strict=True):
        mean = grouped[value].mean()
        std = grouped[value].std()
        top = 0.0
        for j, scen in enumerate(scenarios):
            pos = x - 0.4 + width * (j + 0.5)
            h = np.array([mean.get((r, scen), np.nan) for r in regimes], dtype=float)
            e = np.array([std.get((r, scen), np.nan) for r in regimes], dtype=float)
            bars = ax.bar(pos, np.nan_to_num(h), width=width * 0.95, color=colors[scen],
                          label=scen, yerr=None if np.all(np.isnan(e)) else np.nan_to_num(e),
                          capsize=3, gid=f"{value}:{scen}")
            for b, hv in zip(bars, h, strict=True):
                if np.isnan(hv):
                    b.set_visible(False)
            top = max(top, float(np.nanmax(np.append(h + np.nan_to_num(e), 0.0))))
            if value == "cooperation" and scen == "shocked":
                _mark_recovery(ax, df, regimes, pos, width, h + np.nan_to_num(e))
        ax.set_xticks(x, regimes, rotation=20 if max(map(len, regimes)) > 9 else 0,
                      ha="right" if max(map(len, regimes)) > 9 else "center")
        ax.set_ylabel(_label(value))
        ax.set_xlabel("regime")
        ax.set_title(value.replace("_", " ").capitalize(), fontsize=11)
        if value in UNIT_INTERVAL:
            ax.set_ylim(0.0, 1.18)
            ax.set_yticks(np.linspace(0, 1, 6))
        else:
            ax.set_ylim(0.0, top * 1.15 if top > 0 else 1.0)
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axs[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), frameon=False)
    fig.suptitle(title or "Outcomes by regime: baseline against shocked")
    return _finish(fig, path)


def _recovery_text(g: pd.DataFrame) -> str | None:
    if "response" in g.columns:
        known = g["response"].dropna()
        if len(known) and (known == "unaffected").all():
            return "unaffected"
    if "recovered" not in g.columns:
        return None
    rec = g["recovered"].astype("boolean")
    known = rec.dropna()
    if known.empty:
        return None
    if len(known) == 1:
        if bool(known.iloc[0]):
            t = g["recovery_time"].iloc[0] if "recovery_time" in g.columns else np.nan
            return f"recovered t={t:.3g}" if pd.notna(t) else "recovered"
        return "not recovered"
    return f"recovered {int(known.sum())}/{len(known)}"


def _mark_recovery(ax: Axes, df: pd.DataFrame, regimes: list[str], pos: np.ndarray,
                   width: float, tops: np.ndarray) -> None:
    shocked = df[df["scenario"] == "shocked"]
    first = True
    for r, p, top in zip(regimes, pos, tops, strict=True):
        g = shocked[shocked["regime"] == r]
        if g.empty:
            continue
        if "min_cooperation" in g.columns and g["min_cooperation"].notna().any():
            m = float(g["min_cooperation"].mean())
            ax.plot([p - width * 0.45, p + width * 0.45], [m, m], color="black", linewidth=2.2,
                    label="lowest after shock" if first else None, gid="min_cooperation",
                    solid_capstyle="butt")
            first = False
        text = _recovery_text(g)
        if text is not None:
            ok = not text.startswith("not")
            y = float(np.nan_to_num(top)) + 0.015
            ax.text(p, y, text.replace(" ", "\n", 1), ha="center", va="bottom", fontsize=7,
                    linespacing=1.0, color="darkgreen" if ok else "darkred", gid="recovery")


# --------------------------------------------------------------------------- sweeps


def _grid_edges(values: np.ndarray) -> np.ndarray:
    """Cell edges around sorted numeric centres (midpoints; the ends mirror their neighbour)."""
    v = np.asarray(values, dtype=float)
    if v.size == 1:
        half = 0.5 * abs(v[0]) if v[0] != 0 else 0.5
        return np.array([v[0] - half, v[0] + half])
    mid = (v[:-1] + v[1:]) / 2.0
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def _geometric(values: np.ndarray) -> bool:
    """True for >= 3 positive values evenly spaced in log but not in linear scale."""
    v = np.asarray(values, dtype=float)
    if v.size < 3 or np.any(v <= 0):
        return False
    lin, log = np.diff(v), np.diff(np.log(v))
    return bool(np.allclose(log, log[0], rtol=0.02) and not np.allclose(lin, lin[0], rtol=0.02))


def _cell_edges(values: np.ndarray) -> tuple[np.ndarray, str]:
    """Cell edges and the axis scale ("log" for geometric grids, else "linear")."""
    v = np.asarray(values, dtype=float)
    if _geometric(v):
        return np.exp(_grid_edges(np.log(v))), "log"
    return _grid_edges(v), "linear"


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _one_regime(frame: pd.DataFrame, regime: str | None, uses: Sequence[str],
                fn: str) -> tuple[pd.DataFrame, str | None]:
    if "regime" in uses or "regime" not in frame.columns:
        return frame, regime
    present = [str(r) for r in pd.unique(frame["regime"])]
    if regime is None:
        if len(present) > 1:
            raise ValueError(
                f"the sweep holds several regimes {present}: pass regime= to {fn}, one of them"
            )
        return frame, present[0] if present else None
    if regime not in present:
        raise ValueError(f"regime must be one of {present}, got {regime!r}")
    return frame[frame["regime"].astype(str) == regime], regime


def phase_diagram(
    sweep_frame: pd.DataFrame,
    x: str,
    y: str,
    value: str = "cooperation",
    *,
    regime: str | None = None,
    annotate: bool | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    path: str | Path | None = None,
) -> Figure:
    """Heat map of ``value`` (mean over seeds) over two swept parameters.

    Cell ``(i, j)`` is the mean of ``value`` over every row with ``y == y_i`` and
    ``x == x_j`` (over the seeds, and over any other swept axis: restrict the frame first to
    fix them), i.e. ``sweep_frame.pivot_table(index=y, columns=x, values=value)``. Numeric
    axes are drawn to scale (cells centred on the swept values, edges halfway between);
    a geometric grid (e.g. ``numpy.geomspace``) on a log scale; others as equal cells in order
    of appearance. Missing combinations are left blank (grey).

    Parameters
    ----------
    sweep_frame : DataFrame
        :func:`evopolity.experiments.load` output: one row per task.
    x, y : str
        Swept columns for the horizontal and vertical axes (e.g. ``"regime.fine"``).
    value : str
        The column to colour by: ``"cooperation"`` (scale fixed to [0, 1]),
        ``"effective_number"``, or any numeric summary column.
    regime : str, optional
        Which regime to show when the frame holds several (required then, unless ``x`` or
        ``y`` is ``"regime"``).
    annotate : bool, optional
        Write each cell's value in it (default: when the grid has at most 100 cells).
    ax, title, path
        As in :func:`frequencies`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _need(sweep_frame, (x, y, value), "sweep_frame")
    if x == y:
        raise ValueError(f"x and y must be different columns, both are {x!r}")
    if not _is_numeric(sweep_frame[value]):
        dtype = sweep_frame[value].dtype
        raise ValueError(f"value column {value!r} must be numeric, it is {dtype}")
    frame, regime = _one_regime(sweep_frame, regime, (x, y), "phase_diagram")
    frame = frame.assign(**{value: frame[value].astype(float)})
    grid = frame.pivot_table(index=y, columns=x, values=value, aggfunc="mean", dropna=False,
                             observed=True, sort=True)
    if not _is_numeric(frame[x]):
        grid = grid.reindex(columns=[c for c in pd.unique(frame[x]) if c in grid.columns])
    if not _is_numeric(frame[y]):
        grid = grid.reindex(index=[c for c in pd.unique(frame[y]) if c in grid.index])
    Z = grid.to_numpy(dtype=float)
    if Z.size == 0 or np.all(np.isnan(Z)):
        raise ValueError(f"no values of {value!r} to plot over {x} x {y}")

    from matplotlib.ticker import NullLocator

    fig, ax = _axes(ax, (7.2, 5.6))
    xnum, ynum = _is_numeric(frame[x]), _is_numeric(frame[y])
    pos = (np.arange(Z.shape[1] + 1) - 0.5, "linear")
    xe, xscale = _cell_edges(grid.columns.to_numpy()) if xnum else pos
    pos = (np.arange(Z.shape[0] + 1) - 0.5, "linear")
    ye, yscale = _cell_edges(grid.index.to_numpy()) if ynum else pos
    ax.set_xscale(xscale)
    ax.set_yscale(yscale)
    # a log axis labels only powers of ten: label the swept values themselves instead
    if xscale == "log" and Z.shape[1] <= 12:
        ax.set_xticks(grid.columns.to_numpy(dtype=float),
                      [f"{v:.3g}" for v in grid.columns], minor=False)
        ax.xaxis.set_minor_locator(NullLocator())
    if yscale == "log" and Z.shape[0] <= 12:
        ax.set_yticks(grid.index.to_numpy(dtype=float), [f"{v:.3g}" for v in grid.index])
        ax.yaxis.set_minor_locator(NullLocator())
    vmin, vmax = (0.0, 1.0) if value in UNIT_INTERVAL else (np.nanmin(Z), np.nanmax(Z))
    if vmin == vmax:
        vmin, vmax = vmin - 0.5, vmax + 0.5
    mesh = ax.pcolormesh(xe, ye, np.ma.masked_invalid(Z), cmap="viridis", vmin=vmin,
                         vmax=vmax, shading="flat", gid="heatmap")
    ax.set_facecolor("0.9")
    if not xnum:
        ax.set_xticks(np.arange(Z.shape[1]), [str(c) for c in grid.columns],
                      rotation=20, ha="right")
    if not ynum:
        ax.set_yticks(np.arange(Z.shape[0]), [str(c) for c in grid.index])
    if annotate is None:
        annotate = Z.size <= 100
    if annotate:
        xc = grid.columns.to_numpy(dtype=float) if xnum else np.arange(Z.shape[1])
        yc = grid.index.to_numpy(dtype=float) if ynum else np.arange(Z.shape[0])
        for i, yv in enumerate(yc):
            for j, xv in enumerate(xc):
                if np.isnan(Z[i, j]):
                    continue
                light = (Z[i, j] - vmin) / (vmax - vmin) > 0.6  # viridis: light at the top
                ax.text(xv, yv, f"{Z[i, j]:.2g}", ha="center", va="center", fontsize=7,
                        color="black" if light else "white", gid="cell")
    cb = fig.colorbar(mesh, ax=ax)
    nseeds = frame["seed"].nunique() if "seed" in frame.columns else None
    cb.set_label(_label(value) + (f"\nmean over {nseeds} seeds" if nseeds else ", mean"))
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    default = f"{value.replace('_', ' ').capitalize()} over {x} × {y}"
    ax.set_title(title or (default + (f"\nregime: {regime}" if regime else "")))
    return _finish(fig, path)


def sweep_lines(
    sweep_frame: pd.DataFrame,
    x: str,
    value: str = "cooperation",
    *,
    by: str | None = "regime",
    ax: Axes | None = None,
    title: str | None = None,
    path: str | Path | None = None,
) -> Figure:
    """``value`` against one swept parameter: mean over seeds, shaded between min and max.

    Parameters
    ----------
    sweep_frame : DataFrame
        One row per task (:func:`evopolity.experiments.load`).
    x : str
        The swept column for the horizontal axis.
    value : str
        The column to plot (``"cooperation"``, ``"effective_number"``, ...).
    by : str or None
        One line per value of this column (default ``"regime"``, if the frame has it).
    ax, title, path
        As in :func:`frequencies`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _need(sweep_frame, (x, value), "sweep_frame")
    groups: Iterable[tuple[Any, pd.DataFrame]]
    if by is not None and by in sweep_frame.columns and by != x:
        groups = sweep_frame.groupby(by, sort=False)
    else:
        groups = [(None, sweep_frame)]
    fig, ax = _axes(ax, (7.5, 4.6))
    numeric = _is_numeric(sweep_frame[x])
    order = list(pd.unique(sweep_frame[x]))
    for name, g in groups:
        stats = g.groupby(x, sort=numeric)[value].agg(["mean", "min", "max"])
        if not numeric:
            stats = stats.reindex([o for o in order if o in stats.index])
        xs = stats.index.to_numpy(dtype=float) if numeric else np.arange(len(stats))
        (line,) = ax.plot(xs, stats["mean"], marker="o", markersize=3.5,
                          label=str(name) if name is not None else value, gid=str(name))
        if (stats["max"] > stats["min"]).any():
            ax.fill_between(xs, stats["min"], stats["max"], color=line.get_color(), alpha=0.2)
    if not numeric:
        ax.set_xticks(np.arange(len(order)), [str(o) for o in order])
    if value in UNIT_INTERVAL:
        ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(x)
    ax.set_ylabel(_label(value))
    ax.grid(alpha=0.3)
    ax.set_title(title or f"{value.replace('_', ' ').capitalize()} against {x}"
                 " (mean over seeds, band: min to max)")
    if by is not None and by in sweep_frame.columns:
        ax.legend(title=by, fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  frameon=False)
    return _finish(fig, path)


# --------------------------------------------------------------------------- directories


def _slug(*parts: Any) -> str:
    s = "-".join(str(p) for p in parts if p is not None and str(p) != "")
    return re.sub(r"[^A-Za-z0-9._-]+", "_", s).strip("_") or "figure"


def hysteresis_branches(
    frame: pd.DataFrame,
    value: str = "cooperation",
    *,
    parameter: str | None = None,
    title: str | None = None,
    path: str | Path | None = None,
) -> Figure:
    """Both branches of a continuation: ``value`` against the parameter, up and down.

    Parameters
    ----------
    frame : DataFrame
        Columns ``branch`` (``"up"``, ``"down"``), ``value`` (the parameter) and the
        measure (:func:`evopolity.continuation`, ``hysteresis.parquet``); a ``regime`` and a
        ``parameter`` column name the plot, ``institution_strength`` adds a second panel.
    value : str
        The measure plotted.
    parameter : str, optional
        The parameter's name on the axis (default: the frame's ``parameter`` column).
    title : str, optional
        The figure's title.
    path : str or Path, optional
        Where to save it (PNG).

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        If the frame lacks ``branch``, ``value`` or the measure.
    """
    _need(frame, ("branch", "value", value), "frame")
    name = parameter or (str(frame["parameter"].iloc[0]) if "parameter" in frame.columns
                         else "parameter")
    panels = [value] + (["institution_strength"]
                        if "institution_strength" in frame.columns
                        and frame["institution_strength"].notna().any() else [])
    fig = _figure((4.6 * len(panels) + 0.6, 3.6))
    axs = fig.subplots(1, len(panels), squeeze=False)[0]
    style = {"up": ("tab:blue", "o", 3.0), "down": ("tab:red", "s", 1.4)}
    for ax, measure in zip(axs, panels, strict=True):
        for branch, g in frame.groupby("branch", sort=False):
            color, marker, lw = style.get(str(branch), ("gray", ".", 1.5))
            g = g.sort_values("value")
            ax.plot(g["value"], g[measure], color=color, marker=marker, linewidth=lw,
                    markersize=4, label=f"{branch} sweep")
        if "differs" in frame.columns:
            for v in frame.loc[frame["differs"].astype(bool), "value"].unique():
                ax.axvspan(v - 1e-9, v + 1e-9, color="gray", alpha=0.3)
        ax.set_xlabel(name)
        ax.set_ylabel(measure.replace("_", " "))
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    axs[0].legend(frameon=False)
    regime = f" ({frame['regime'].iloc[0]})" if "regime" in frame.columns else ""
    fig.suptitle(title or f"Continuation along {name}{regime}: up and down branches")
    return _finish(fig, path)


def basin_shares(
    frame: pd.DataFrame,
    value: str = "cooperation",
    *,
    title: str | None = None,
    path: str | Path | None = None,
) -> Figure:
    """Where an ensemble's starts went: the share of each attractor per regime, and the
    distribution of ``value`` at the attractors.

    Left, one stacked bar per regime: the share of its starts that reached each attractor
    (a colour per attractor, its label in the legend, largest first). Right, ``value`` at
    the attractor of every start (a dot each, jittered across), per regime.

    Parameters
    ----------
    frame : DataFrame
        One row per start: ``regime``, ``attractor`` (a label shared by the starts that
        reached one attractor, :func:`evopolity.ensemble` or the ``evopolity ensemble``
        directory) and ``value``.
    value : str
        The measure of the right panel.
    title, path
        As in :func:`frequencies`.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the frame lacks a column or has no row.
    """
    _need(frame, ("regime", "attractor", value), "frame")
    if frame.empty:
        raise ValueError("frame is empty")
    df = frame.assign(regime=frame["regime"].astype(str))
    regimes = [str(r) for r in pd.unique(df["regime"])]
    fig = _figure((11.0, 0.9 + 0.55 * max(3, len(regimes))))
    left, right = fig.subplots(1, 2, width_ratios=[1.4, 1.0])
    y = np.arange(len(regimes), dtype=float)
    labels = df["attractor"].value_counts().index.tolist()
    colors = dict(zip(labels, _colors(len(labels)), strict=True))
    shown: set[str] = set()
    for i, r in enumerate(regimes):
        shares = df.loc[df["regime"] == r, "attractor"].value_counts(normalize=True)
        start = 0.0
        for label, share in shares.items():
            name = label if label not in shown and len(shown) < 12 else None
            shown.add(label)
            left.barh(y[i], share, left=start, color=colors[label], edgecolor="white",
                      height=0.7, label=name)
            if share >= 0.08:
                left.text(start + share / 2, y[i], f"{share:.0%}", ha="center", va="center",
                          fontsize=8, color="white")
            start += share
    left.set_yticks(y, regimes)
    left.set_xlim(0.0, 1.0)
    left.set_xlabel("share of starts")
    left.set_title("Basins: where the starts went", fontsize=11)
    left.invert_yaxis()
    handles, names = left.get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=min(3, len(names)),
               fontsize=7, frameon=False)
    rng = np.random.default_rng(0)  # a fixed jitter: the same figure every time
    for i, r in enumerate(regimes):
        g = df[df["regime"] == r]
        right.scatter(g[value], y[i] + rng.uniform(-0.25, 0.25, len(g)), s=12, alpha=0.6,
                      color=[colors[a] for a in g["attractor"]])
    right.set_yticks(y, [""] * len(regimes))
    right.set_ylim(left.get_ylim())
    right.set_xlabel(_label(value))
    if value in UNIT_INTERVAL:
        right.set_xlim(-0.02, 1.02)
    right.grid(axis="x", alpha=0.3)
    right.set_title(f"{value.replace('_', ' ').capitalize()} at the attractor", fontsize=11)
    fig.suptitle(title or f"Ensemble of {len(df) // max(1, len(regimes))} starts per regime")
    return _finish(fig, path)


def _close(fig: Any) -> None:
    fig.clear()


def plot_directory(path: str | Path) -> list[Path]:
    """Draw every figure of a run or sweep directory into ``path/figures/`` as PNG.

    A *run directory* (``evopolity run``: ``trajectories.parquet``, ``macro.parquet``,
    ``summary.parquet``, ``events.parquet``; any subset) gives

    - ``frequencies-{regime}-{scenario}.png``: :func:`frequencies` of the first run (lowest
      seed) of each regime and scenario, its events marked;
    - ``cooperation.png``: :func:`macro_timeline` of cooperation, one panel per regime;
    - ``regime-outcomes.png``: :func:`regime_outcomes` of the summary;
    - ``hysteresis.png`` (the main job's continuation) and, when the run has its polities
      section (``polity_survival.parquet``), ``polities-survival-rate-{rate}.png``: the
      Kaplan–Meier curves of the polities' lifetimes at each rate of environmental change
      (:func:`evopolity.experiments.figures_polities.plot_survival`).

    A continuation directory (``evopolity continuation``) gives
    ``continuation-{regime}.png`` (:func:`hysteresis_branches`: both branches); an ensemble
    directory (``evopolity ensemble``) gives ``basins.png`` (:func:`basin_shares`).

    A *sweep directory* (``evopolity sweep``: ``parts/part-*.parquet``, ``sweep.json``) gives,
    over its first two axes, ``phase-cooperation[-{regime}].png`` and
    ``phase-effective_number[-{regime}].png`` (:func:`phase_diagram`; one per regime if
    there are several), or with a single axis ``sweep-cooperation.png`` and
    ``sweep-effective_number.png`` (:func:`sweep_lines`).

    Parameters
    ----------
    path : str or Path
        The run or sweep directory.

    Returns
    -------
    list of Path
        The files written, in the order written.

    Raises
    ------
    ValueError
        If ``path`` is not a directory, or holds neither a run nor a sweep.
    """
    root = Path(path)
    if not root.is_dir():
        raise ValueError(f"path must be a run or sweep directory, {str(root)!r} is not a directory")
    out = root / "figures"
    kind = results.directory_kind(root)
    if kind == "sweep":
        analysis = _analysis_of(root)
        if analysis == "continuation":
            return _plot_continuation(root, out)
        if analysis == "ensemble":
            return _plot_ensemble(root, out)
        return _plot_sweep(root, out)
    if kind == "run":
        return _plot_run(root, out)
    raise ValueError(
        f"{str(root)!r} holds neither a run (any of {', '.join(RUN_FILES)}) nor a sweep "
        "(parts/part-*.parquet)"
    )


def _plot_run(root: Path, out: Path) -> list[Path]:
    written: list[Path] = []
    frames = results.read_run(root)
    traj, macro, summary, events = (frames[k] for k in ("trajectories", "macro", "summary",
                                                         "events"))
    if traj is not None and len(traj):
        first = _first_runs(traj)
        keys = [c for c in ("regime", "scenario") if c in first.columns]
        groups = first.groupby(keys, sort=False) if keys else [((), first)]
        for key, g in groups:
            key = key if isinstance(key, tuple) else (key,)
            label = dict(zip(keys, map(str, key), strict=True))
            ev = _events_for(events, g) if events is not None and len(events) else None
            cols = ["time", "strategy", "frequency"]
            where = ", ".join(label.values())
            seed = f", seed {g['seed'].iloc[0]}" if "seed" in g.columns else ""
            p = out / f"{_slug('frequencies', *label.values())}.png"
            fig = frequencies(g[cols], shocks=ev,
                              title=f"Strategy frequencies over time: {where}{seed}", path=p)
            _close(fig)
            written.append(p)
    if macro is not None and len(macro) and (macro["variable"] == "cooperation").any():
        p = out / "cooperation.png"
        _close(macro_timeline(macro, "cooperation", events=events, path=p))
        written.append(p)
    if summary is not None and len(summary):
        p = out / "regime-outcomes.png"
        _close(regime_outcomes(summary, path=p))
        written.append(p)
    if (root / "hysteresis.parquet").is_file():
        frame = pd.read_parquet(root / "hysteresis.parquet")
        if len(frame):
            p = out / "hysteresis.png"
            _close(hysteresis_branches(frame, path=p))
            written.append(p)
    if (root / "polity_survival.parquet").is_file():  # the main job's polities section
        survival = pd.read_parquet(root / "polity_survival.parquet")
        for rate, sub in survival.groupby("rate", sort=True) if len(survival) else []:
            out.mkdir(parents=True, exist_ok=True)
            p = out / f"{_slug('polities-survival-rate', f'{rate:g}')}.png"
            written.append(plot_survival(sub, p))
    if not written:
        raise ValueError(f"{str(root)!r}: its run files hold no rows to plot")
    return written


def _analysis_of(root: Path) -> str | None:
    """What a sweep directory holds: ``"continuation"``, ``"ensemble"`` (``evopolity
    continuation``, ``evopolity ensemble``) or None (a sweep)."""
    import json

    try:
        info = json.loads((root / "sweep.json").read_text())
    except (OSError, ValueError):
        return None
    return info.get("analysis") if isinstance(info, dict) else None


def _plot_continuation(root: Path, out: Path) -> list[Path]:
    frame = results.continuation_results(results.read_sweep(root))
    written = []
    for regime, g in frame.groupby("regime", sort=False):
        p = out / f"{_slug('continuation', regime)}.png"
        _close(hysteresis_branches(g, parameter=str(g["parameter"].iloc[0]), path=p))
        written.append(p)
    return written


def _plot_ensemble(root: Path, out: Path) -> list[Path]:
    p = out / "basins.png"
    _close(basin_shares(results.ensemble_results(results.read_sweep(root)), path=p))
    return [p]


def _plot_sweep(root: Path, out: Path) -> list[Path]:
    frame = results.read_sweep(root)
    axes = results.sweep_axes(root, frame)
    values = [v for v in ("cooperation", "effective_number") if v in frame.columns]
    if not axes:
        raise ValueError(f"{str(root)!r}: the sweep has no axis to plot against (sweep.json)")
    if not values:
        raise ValueError(f"{str(root)!r}: the sweep has no cooperation or effective_number")
    written: list[Path] = []
    if len(axes) == 1:
        for v in values:
            p = out / f"sweep-{v}.png"
            _close(sweep_lines(frame, axes[0], v, path=p))
            written.append(p)
        return written
    x, y = axes[0], axes[1]
    rest = "" if len(axes) == 2 else f"; mean over {', '.join(axes[2:])}"
    uses_regime = "regime" in (x, y)
    regimes = ([None] if uses_regime or "regime" not in frame.columns
               else [str(r) for r in pd.unique(frame["regime"])])
    several = len(regimes) > 1
    for v in values:
        for r in regimes:
            sub = frame if r is None else frame[frame["regime"].astype(str) == r]
            p = out / f"{_slug('phase', v, r if several else None)}.png"
            t = f"{v.replace('_', ' ').capitalize()} over {x} × {y}"
            t += f"\nregime: {r}" if r else ""
            _close(phase_diagram(sub, x, y, v, regime=r, title=t + rest, path=p))
            written.append(p)
    return written
