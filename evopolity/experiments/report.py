"""The report of a run: the text summary table and ``report.md``."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pandas as pd

from evopolity.analysis.compare import HEADLINE_COLUMNS
from evopolity.experiments.spec import Spec
from evopolity.experiments.storage import write_text
from evopolity.institutions.regime import Regime

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


def _f(v: float) -> str:
    """A number as the report prints it (three decimals; ``-`` for NaN)."""
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def _differences(a: Regime, b: Regime) -> str:
    skip = {"name", "description"}
    parts = [f"{f.name} {getattr(a, f.name)} vs {getattr(b, f.name)}"
             for f in dataclasses.fields(Regime)
             if f.name not in skip and getattr(a, f.name) != getattr(b, f.name)]
    return "; ".join(parts) if parts else "none"


def _ensemble_lines(ens: pd.DataFrame) -> list[str]:
    lines = []
    for regime, g in ens.groupby("regime", sort=False):
        n = len(g)
        kinds = ", ".join(f"{v} {k}" for k, v in g["kind"].value_counts().items())
        counts = g["attractor"].value_counts()
        top = counts.index[0]
        desc = g.loc[g["attractor"] == top, "description"].iloc[0]
        line = (f"- **{regime}**: {n} starts ({kinds}); {len(counts)} distinct final states; "
                f"the most common, `{desc}`, reached from {counts.iloc[0]} of {n} starts; ")
        line += "; ".join(
            f"{m.replace('_', ' ')} mean {_f(g[m].mean())} (range {_f(g[m].min())} to "
            f"{_f(g[m].max())})" for m in ("cooperation", "effective_number", "welfare"))
        lines.append(line + ".")
    return lines


def _verdicts(ens: pd.DataFrame, matched: pd.DataFrame | None, tolerance: float) -> list[str]:
    """The background essay's expectations, each checked against the numbers."""
    coop = ens.groupby("regime", sort=False)["cooperation"].mean()
    div = (matched.set_index("regime")["effective_number"] if matched is not None
           else ens.groupby("regime", sort=False)["effective_number"].mean())
    where = "at the common mutation rate" if matched is not None else "over the starts"
    lines = []

    def others(series: pd.Series, name: str) -> float:
        return float(series.drop(name).mean())

    if "communitarian" in coop.index and len(coop) > 1:
        c, co = coop["communitarian"], others(coop, "communitarian")
        d, do = div["communitarian"], others(div, "communitarian")
        more, less = c > co + tolerance, d < do
        verdict = ("holds" if more and less else
                   "is contradicted: communitarian does not buy more cooperation"
                   if not more and less else
                   "is contradicted: communitarian loses no diversity" if more else
                   "is contradicted on both counts")
        lines.append(
            f"- \"Communitarian regimes buy cooperation with lost diversity\" {verdict}: "
            f"cooperation {_f(c)} against the other regimes' mean {_f(co)}; effective number "
            f"{where} {_f(d)} against {_f(do)}.")
    if "laissez-faire" in coop.index and len(coop) > 1:
        c, co = coop["laissez-faire"], others(coop, "laissez-faire")
        verdict = "holds" if c < co - tolerance else "is contradicted"
        lines.append(
            f"- \"Laissez-faire erodes cooperation\" {verdict}: laissez-faire cooperation "
            f"{_f(c)} against the other regimes' mean {_f(co)} (a difference counts beyond "
            f"{tolerance:g}).")
    if "balanced" in coop.index and len(coop) > 1:
        c, best = coop["balanced"], float(coop.max())
        d, median = div["balanced"], float(div.median())
        keeps_c, keeps_d = c >= best - tolerance, d >= median
        verdict = ("holds" if keeps_c and keeps_d else
                   "is contradicted: it loses cooperation" if keeps_d else
                   "is contradicted: it loses diversity" if keeps_c else
                   "is contradicted on both counts")
        lines.append(
            f"- \"Balanced keeps both\" {verdict}: balanced cooperation {_f(c)} against the "
            f"best {_f(best)}; effective number {where} {_f(d)} against the median "
            f"{_f(median)}.")
    return lines


def _polity_lines(pol: pd.DataFrame) -> list[str]:
    """The main job's polities section: per rate and regime the median over seeds (and range)
    of the median lifetime and the final share, and what that says of the essay's claim."""
    from evopolity.experiments.analyses import POLITY_COLLAPSE, POLITY_SETUP

    seeds = pol["seed"].nunique()
    s = POLITY_SETUP
    lines = [
        "## The regimes as polities in a changing world",
        "",
        f"{s['m']} polities of at most {s['n']} members, the regimes assigned round-robin, "
        f"{s['generations']:,} elementary steps (selection {s['selection']:g}, split "
        f"{s['split']:g}, migration {s['migration']:g}, institutional imitation "
        f"{s['imitation']:g}); a polity whose mean payoff stays below "
        f"{POLITY_COLLAPSE[0]:g} P for {POLITY_COLLAPSE[1]:,} steps collapses. The world "
        "switches at random between the game and the game with the shocked temptation; "
        f"{seeds} seeds per rate. Median over seeds [min .. max] of each regime's "
        "Kaplan–Meier median lifetime (steps; runs whose survival stayed above 1/2 are "
        "counted in parentheses), of its share of the polities at the end, and of its "
        "polities' mean diversity (effective number of strategies) and cooperation over the "
        "run (`polities.parquet`, curves in `polity_survival.parquet`).",
        "",
    ]
    skipped = pol["skipped"].iloc[0] if "skipped" in pol else ""
    if skipped:
        lines += [f"Not run as polities: {skipped}.", ""]

    def cell(v: pd.Series, fmt: str) -> str:
        v = v.dropna()
        if not len(v):
            return "-"
        return f"{v.median():{fmt}} [{v.min():{fmt}} .. {v.max():{fmt}}]"

    lines += ["| rate | regime | median lifetime | final share | diversity | cooperation |",
              "|---|---|---|---|---|---|"]
    for (rate, regime), g in pol.groupby(["rate", "regime"], sort=False):
        life = cell(g["median_lifetime"], ".0f")
        if g["median_lifetime"].isna().any():
            life += f" ({int(g['median_lifetime'].isna().sum())} above 1/2)"
        lines.append(f"| {rate:g} | {regime} | {life} | {cell(g['final_share'], '.2f')} | "
                     f"{cell(g['diversity'], '.2f')} | {cell(g['cooperation'], '.2f')} |")
    lines.append("")
    # the essay: prioritising the whole loses the variety needed to navigate change, so the
    # communitarian regime should fare worse, relative to the others, as change quickens
    rates = sorted(pol["rate"].unique())
    if "communitarian" in set(pol["regime"]) and len(rates) > 1 and pol["regime"].nunique() > 1:
        share = pol.groupby(["rate", "regime"])["final_share"].median().unstack()
        lo, hi = share.loc[rates[0]], share.loc[rates[-1]]
        c_lo, c_hi = lo["communitarian"], hi["communitarian"]
        best_hi = hi.drop("communitarian").max()
        div = pol.groupby("regime")["diversity"].median()
        navigates = c_hi >= c_lo and c_hi >= best_hi
        diverse = div["communitarian"] >= div.drop("communitarian").max()
        lines += [
            "- \"A regime that prioritises the whole loses variety\" "
            + ("is contradicted here: communitarian polities are the most diverse"
               if diverse else "holds here: communitarian polities are not the most diverse")
            + f" (mean effective number of strategies {div['communitarian']:.2f}, against "
            + ", ".join(f"{k} {v:.2f}" for k, v in div.drop("communitarian").items()) + ").",
            "- \"... and so fails to navigate major change\" "
            + ("is contradicted here" if navigates else
               "holds here: its share falls as the world changes faster" if c_hi < c_lo else
               "is not borne out here: it does no better in the slowest world")
            + f": the communitarian share of polities at the end is {c_lo:.2f} at rate "
            f"{rates[0]:g} and {c_hi:.2f} at rate {rates[-1]:g} (the best other regime's "
            f"{best_hi:.2f})"
            + ("" if navigates or not diverse else
               "; where it fails, it fails while keeping the most variety")
            + ".",
            "",
        ]
    return lines


def write_report(spec: Spec, summary: pd.DataFrame, out: Path, figures: list[Path],
                 elapsed: float, frames: dict[str, pd.DataFrame] | None = None,
                 seeds: list[int] | None = None) -> Path:
    """Write ``out/report.md``: what ran and what it measured, each finding with its number.

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
    frames : dict of DataFrame, optional
        The run's other frames by name (``events``, ``resilience``, ``ensemble``,
        ``matched``, ``hysteresis``, ``attribution``); each present adds its section.
    seeds : list of int, optional
        The seeds that ran (default: the spec's).

    Returns
    -------
    Path
        The report's path.
    """
    frames = frames or {}
    ran = list(spec.seeds) if seeds is None else list(seeds)
    n_runs = int(summary["run"].nunique()) if "run" in summary.columns else len(summary)
    seed_text = f"seeds {ran}"
    if len(ran) < len(spec.seeds):
        seed_text = (f"seeds {list(spec.seeds)} requested, but method {spec.method} with a "
                     f"deterministic replicator makes every seed give the same run, so "
                     f"seed {ran[0]} alone ran")
    lines = [
        f"# {spec.name}",
        "",
        f"Spec: `{spec.source}` (digest `{spec.digest}`). {len(spec.strategies)} strategies, "
        f"{spec.game.describe()}, {spec.turns} turns, noise {spec.noise:g}, "
        f"method {spec.method}; replicator for t = 0..{spec.t_max:g}; {seed_text}: "
        f"{n_runs} distinct runs. Computed in {elapsed:.1f} s.",
        "",
    ]
    events = frames.get("events")
    if spec.shocks and events is not None and len(events):
        lines += ["## Shocks", ""]
        first = events.drop_duplicates("time").sort_values("time")
        for _, e in first.iterrows():
            line = f"- t = {e['time']:g}: {e['change']}; the stage game is {e['class_before']}"
            if e["class_change"]:
                line += (f" before and **{e['class_after']}** after: the shock changes the "
                         "game's class")
                if e["class_after"] == "alternating_dilemma":
                    line += (" (2R <= T + S: taking turns exploiting each other pays at least "
                             "as much as mutual cooperation, so less cooperation after it "
                             "need not mean less welfare)")
            else:
                line += " before and after"
            lines.append(line + ".")
        lines.append("")
    elif not spec.shocks:
        lines += ["Shocks: none.", ""]
    lines += [
        f"## Outcome per regime (final state at t = {spec.t_max:g}; response to the first "
        "shock, read up to the next one)",
        "",
        "Welfare is the mean payoff per turn over the game's social optimum, "
        "max(R, (T + S) / 2, P), under the game of the run's end.",
        "",
        "```",
        summary_table(summary),
        "```",
        "",
    ]
    if len(ran) > 1:
        spread = summary.groupby(["regime", "scenario"], sort=False)[
            ["cooperation", "welfare", "effective_number"]].agg(["min", "max", "std"])
        spread.columns = [f"{a} {b}" for a, b in spread.columns]
        lines += [f"Spread across the {len(ran)} seeds:", "", "```",
                  spread.reset_index().to_string(index=False,
                                                 float_format=lambda v: f"{v:.3f}"),
                  "```", ""]
    res = frames.get("resilience")
    if res is not None and len(res):
        lines += ["## Resilience per shock (each read up to the next shock or the end)", "",
                  "```"]
        cols = ["regime", "seed", "shock", "time", "kind", "until", "pre_shock", "minimum",
                "drop", "final", "response", "recovery_time"]
        if len(ran) == 1:
            cols.remove("seed")
        lines += [res[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}",
                                      na_rep="-"), "```", ""]
    ens = frames.get("ensemble")
    if ens is not None and len(ens):
        lines += [
            "## Where each regime ends up, over random starts",
            "",
            f"Each regime runs from {ens.groupby('regime').size().iloc[0]} starts drawn "
            "uniformly on the simplex (Dirichlet(1), seed "
            f"{ran[0]}), each until it settles (rest point, cycle) or its time budget is "
            "spent (`unsettled`: then its last state is measured, and the label says so). "
            "No shocks.",
            "",
            *_ensemble_lines(ens),
            "",
        ]
    matched = frames.get("matched")
    if matched is not None and len(matched):
        mu = matched["mutation"].iloc[0]
        lines += [f"## Diversity at matched mutation (every regime at mutation {mu:g}, "
                  "from the barycentre)", "", "```",
                  matched[["regime", "own_mutation", "kind", "cooperation", "effective_number",
                           "richness", "welfare"]].to_string(
                      index=False, float_format=lambda v: f"{v:.3f}"),
                  "```", ""]
    if ens is not None and len(ens):
        verdicts = _verdicts(ens, matched, spec.tolerance)
        if verdicts:
            lines += ["## The background essay's expectations, against these numbers", "",
                      "Cooperation is the mean over the random starts; diversity the "
                      "effective number (exp H).", "", *verdicts, ""]
            names = {r.name: r for r in spec.regimes}
            compared = [n for n in ("communitarian", "laissez-faire", "balanced")
                        if n in names]
            lines += ["Parameters that differ between the regimes compared:", ""]
            for i, a in enumerate(compared):
                for b in compared[i + 1:]:
                    lines.append(f"- {a} vs {b}: {_differences(names[a], names[b])}.")
            lines.append("")
    hyst = frames.get("hysteresis")
    if hyst is not None and len(hyst):
        regime = hyst["regime"].iloc[0]
        lo, hi = hyst["value"].min(), hyst["value"].max()
        differ = sorted(hyst.loc[hyst["differs"], "value"].unique())
        up = hyst[hyst.branch == "up"].set_index("value")
        down = hyst[hyst.branch == "down"].set_index("value")
        lines += [f"## Hysteresis: {regime} along its fine", "",
                  f"The fine swept from {lo:g} to {hi:g} and back ({hyst['value'].nunique()} "
                  "values), each run starting where the previous one ended (the "
                  "institution's strength included). "]
        if differ:
            gaps = "; ".join(f"fine {v:g}: cooperation {_f(up.loc[v, 'cooperation'])} up, "
                             f"{_f(down.loc[v, 'cooperation'])} down" for v in differ)
            lines[-1] += f"The branches differ at {len(differ)} values: {gaps}."
        else:
            gap = float((up["cooperation"] - down["cooperation"]).abs().max())
            lines[-1] += ("The branches agree at every value (largest difference in "
                          f"cooperation {_f(gap)}): no hysteresis on this grid.")
        lines.append("")
    att = frames.get("attribution")
    if att is not None and len(att):
        a, b = att["regime_a"].iloc[0], att["regime_b"].iloc[0]
        lines += [f"## Which mechanism: {a} -> {b}", "",
                  "Shapley values over the mechanisms (groups of fields switched together), "
                  "each hybrid run from the barycentre to its attractor; they add up to the "
                  "whole difference.", ""]
        for measure, g in att.groupby("measure", sort=False):
            top = g.loc[g["shapley"].abs().idxmax()]
            lines.append(
                f"- {measure.replace('_', ' ')}: total difference {_f(g['total'].iloc[0])}; "
                f"largest share {top['mechanism']} ({top['fields']}) with "
                f"{_f(top['shapley'])}; "
                + ", ".join(f"{r.mechanism} {_f(r.shapley)}" for r in g.itertuples()) + ".")
        lines.append("")
    pol = frames.get("polities")
    if pol is not None and len(pol):
        lines += _polity_lines(pol)
    lines += [
        "Files: `trajectories.parquet` (run, regime, scenario, seed, time, strategy, "
        "frequency), `macro.parquet` (cooperation level and institution strength over time), "
        "`events.parquet` (shocks: from what to what, the game's class), `summary.parquet` "
        "(the table above, per run), `resilience.parquet`, `ensemble.parquet`, "
        "`matched.parquet`, `hysteresis.parquet`, `attribution.parquet`, `polities.parquet`, "
        "`polity_survival.parquet` (the sections above).",
        "",
    ]
    if figures:
        lines += ["## Figures", ""]
        lines += [f"![{p.stem}](figures/{p.name})" for p in figures]
        lines.append("")
    return write_text(Path(out) / "report.md", "\n".join(lines))


def write_polities_report(spec: Spec, out: Path, survival_rows: pd.DataFrame,
                          figures: list[Path], elapsed: float) -> Path:
    """``report.md`` of a polities run: survival per regime, as measured.

    Parameters
    ----------
    spec : Spec
        The experiment (with ``[polities]``).
    out : Path
        The run directory.
    survival_rows : DataFrame
        One row per seed and regime: ``seed``, ``regime``, ``median_lifetime`` (NaN: survival
        stayed above 1/2), ``spells``, ``ended``, ``final_share``.
    figures : list of Path
        The figures written.
    elapsed : float
        Seconds the runs took.

    Returns
    -------
    Path
        The report.
    """
    p = spec.polities
    env = p.environment + (f", rate {p.rate:g}" if p.environment == "markov" else
                           f", period {p.period}" if p.environment == "periodic" else
                           f", at {list(p.times)}" if p.environment == "scheduled" else "")
    lines = [
        f"# {spec.name}: polities", "",
        f"{p.m} polities of at most {p.n} members, {p.generations:,} generations (elementary "
        f"steps), selection {p.selection:g}, split {p.split:g}, migration {p.migration:g}, "
        f"imitation {p.imitation:g} (selection {p.imitation_selection:g}), collapse "
        + ("none" if p.collapse is None else
           f"below {p.collapse[0]:g} for {p.collapse[1]} steps")
        + f"; environment {env}; {len(spec.strategies)} strategies; seeds "
        f"{', '.join(map(str, spec.seeds))}. The runs took {elapsed:.1f} s.", "",
        "## Survival per regime", "",
        "Median lifetime: the first time the Kaplan–Meier survival of the regime's spells is "
        "at most 1/2 (`-`: it stayed above); spells: how many were counted, ended: how many "
        "ended in extinction or collapse (the others censored); final share: of the polities "
        "holding the regime at the end.", "",
        "| seed | regime | median lifetime | spells | ended | final share |",
        "|---|---|---|---|---|---|",
    ]
    for row in survival_rows.itertuples(index=False):
        median = "-" if pd.isna(row.median_lifetime) else f"{row.median_lifetime:g}"
        lines.append(f"| {row.seed} | {row.regime} | {median} | {row.spells} | {row.ended} | "
                     f"{row.final_share:.3f} |")
    if figures:
        lines += ["", "## Figures", ""]
        lines += [f"![{f.stem}](figures/{f.name})" for f in figures]
    path = out / "report.md"
    write_text(path, "\n".join(lines) + "\n")
    return path


def write_structure_report(spec: Spec, out: Path, summary: pd.DataFrame,
                           elapsed: float) -> Path:
    """``report.md`` of a run on a graph: the final state per regime and seed.

    Parameters
    ----------
    spec : Spec
        The experiment (with ``[structure]``).
    out : Path
        The run directory.
    summary : DataFrame
        One row per run (``summary.parquet``).
    elapsed : float
        Seconds the runs took.

    Returns
    -------
    Path
        The report.
    """
    s = spec.structure
    args = ", ".join(f"{k} {v}" for k, v in s.graph_args)
    lines = [
        f"# {spec.name}: on a graph", "",
        f"Graph {s.graph} ({args}), update {s.update}, {s.generations:,} generations, "
        f"selection {s.selection:g}, payoffs {s.payoff}; {len(spec.strategies)} strategies. "
        f"The runs took {elapsed:.1f} s.", "",
        "Cooperation: the mean over nodes of how often a node cooperates with its neighbours "
        "at the end; assortment: the share of edges whose ends hold the same strategy.", "",
        "| regime | seed | cooperation | assortment | fixated | winner |",
        "|---|---|---|---|---|---|",
    ]
    for row in summary.itertuples(index=False):
        lines.append(f"| {row.regime} | {row.seed} | {row.cooperation:.3f} | "
                     f"{row.assortment:.3f} | {row.fixated} | {row.winner or '-'} |")
    path = out / "report.md"
    write_text(path, "\n".join(lines) + "\n")
    return path
