"""The ``evopolity`` command line.

* ``evopolity run [SPEC.toml] [--out DIR] [--quiet]``: the main job (default: the built-in
  regime comparison with shocks, into ``evopolity-out/``);
* ``evopolity sweep SPEC.toml --out DIR [--workers N] [--scheduler ADDRESS | --dask-local]``;
* ``evopolity polities SPEC.toml --out DIR [--quiet]``: polities under their regimes in a
  changing world (a spec's ``[polities]`` table), their survival per regime;
* ``evopolity continuation SPEC.toml --out DIR [--quiet]``: a spec's ``[continuation]``, up
  and down with the state carried (hysteresis), resumable;
* ``evopolity ensemble SPEC.toml --out DIR [--workers N] [--quiet]``: a spec's ``[ensemble]``
  of starts run to their attractors (basins), resumable;
* ``evopolity plot DIR``: figures of a run or a sweep;
* ``evopolity tournament``: a round robin and its ranking;
* ``evopolity --version``.

Results go to stdout; what is happening (a first compilation of the kernels, the stages of a
job, a sweep's progress bar) to stderr, silenced by ``--quiet``. Bad input gives one line on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import pandas as pd

__all__ = ["main"]


class UsageError(Exception):
    """A user error the CLI reports in one line with exit code 2."""


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _game(spec: str):
    from evopolity.play import games

    name, _, args = spec.partition(":")
    kinds = {
        "pd": games.PrisonersDilemma,
        "prisoners-dilemma": games.PrisonersDilemma,
        "snowdrift": games.Snowdrift,
        "stag-hunt": games.StagHunt,
        "matrix": games.MatrixGame,
        "donation": games.DonationGame,
    }
    if name not in kinds:
        raise UsageError(f"--game: unknown game {name!r}; choose one of {sorted(kinds)}")
    try:
        values = [float(x) for x in args.split(",")] if args else []
    except ValueError:
        raise UsageError(f"--game: payoffs must be numbers, got {args!r}") from None
    try:
        return kinds[name](*values)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"--game: {exc}") from None


def _strategies(spec: str) -> list:
    from evopolity.play.tournament import resolve_strategies

    items = [s.strip() for s in spec.split(",") if s.strip()]
    if not items:
        raise UsageError("--strategies: give a collection name or comma-separated names")
    return resolve_strategies(items)  # collection names among them are expanded in place


def _directory(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a directory, got an empty name")
    return text


def _file(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a .csv or .parquet file name, got an empty "
                                         "name")
    return text


def _check_out(path: Path) -> None:
    from evopolity.experiments.storage import check_file

    if path.suffix.lower() not in (".csv", ".parquet"):
        raise UsageError(f"--out: use a .csv or .parquet file name, got {str(path)!r}")
    check_file(path)  # a directory there, a file above it, no write permission: refused now


def _write(frame: pd.DataFrame, path: Path) -> None:
    from evopolity.experiments.storage import atomic_write, make_directory

    _check_out(path)
    make_directory(path.parent)
    if path.suffix.lower() == ".csv":
        atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))
    else:
        atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def _cmd_tournament(args: argparse.Namespace) -> int:
    import evopolity as ep

    if args.out:
        _check_out(Path(args.out))
    strategies = _strategies(args.strategies)
    game = _game(args.game) if args.game else None
    turns = None if args.turns == 0 else args.turns
    result = ep.tournament(
        strategies,
        game=game,
        turns=turns,
        repetitions=args.repetitions,
        noise=args.noise,
        prob_end=args.prob_end,
        seed=args.seed,
        method=args.method,
    )
    ranking = result.ranking()
    with pd.option_context("display.width", 120, "display.max_rows", 500):
        print(repr(result))
        print(ranking.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    if args.out:
        _write(result.to_frame(), Path(args.out))
        print(f"wrote {len(result.to_frame())} rows to {args.out}")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block): ``evopolity tournament: error: ...``."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _cmd_run(args: argparse.Namespace) -> int:
    from evopolity.experiments import run, summary_table

    summary = run(args.spec, args.out, figures=not args.no_figures, progress=not args.quiet)
    print(summary_table(summary))
    print(f"wrote {args.out}/ (report.md, summary.parquet, trajectories.parquet, ...)")
    return 0


def _cmd_polities(args: argparse.Namespace) -> int:
    from evopolity.experiments.runner import run_polities
    from evopolity.experiments.spec import SpecError, load_spec

    spec = load_spec(args.spec)
    if spec.polities is None:
        raise SpecError(f"{args.spec}: polities: required, missing (a [polities] table; "
                        "docs/polities.md)")
    summary = run_polities(spec, args.out, figures=not args.no_figures,
                           progress=not args.quiet)
    with pd.option_context("display.width", 120):
        print(summary.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="-"))
    print(f"wrote {args.out}/ (report.md, frame.parquet, regimes.parquet, events.parquet, "
          "survival.parquet)")
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from evopolity.experiments import executors, sweep

    if args.scheduler and args.dask_local:
        raise UsageError("--scheduler and --dask-local: give one, not both")
    workers = args.workers
    if not args.scheduler and workers > (cpus := executors.cpus()):
        _warn(args, f"--workers {workers} is more than the {cpus} CPU{'s' * (cpus > 1)} this "
              f"process may use; running {cpus} (more would only share the cores and run "
              "slower)")
        workers = cpus
    frame = sweep(args.spec, args.out, workers=workers, scheduler=args.scheduler,
                  dask_local=args.dask_local, progress=not args.quiet)
    print(f"{len(frame)} tasks in {args.out}/parts (evopolity.load({args.out!r}))")
    return 0


def _cmd_continuation(args: argparse.Namespace) -> int:
    from evopolity.analysis.continuation import hysteresis
    from evopolity.experiments.runner import run_continuation

    frame = run_continuation(args.spec, args.out, figures=not args.no_figures,
                             progress=not args.quiet)
    state = ["cooperation", *(c for c in frame.columns if c.startswith("x_"))]
    for regime, g in frame.groupby("regime", sort=False):
        print(f"{regime}: {g['parameter'].iloc[0]} up then down")
        wide = g.pivot(index="value", columns="branch", values=state[0])
        ranges = hysteresis(g)
        with pd.option_context("display.width", 120):
            print(wide[["up", "down"]].to_string(float_format=lambda v: f"{v:.4f}"))
        print("  branches differ on: " + (", ".join(f"[{lo:g}, {hi:g}]" for lo, hi in
                                                   zip(ranges.low, ranges.high, strict=True))
                                          or "nowhere"))
    print(f"{len(frame)} runs in {args.out}/parts (evopolity.load({args.out!r}))")
    return 0


def _cmd_ensemble(args: argparse.Namespace) -> int:
    from evopolity.experiments.runner import run_ensemble

    frame = run_ensemble(args.spec, args.out, workers=args.workers,
                         figures=not args.no_figures, progress=not args.quiet)
    shares = (frame.groupby(["regime", "attractor"], sort=False).size()
              .rename("starts").reset_index())
    shares["share"] = shares["starts"] / shares.groupby("regime")["starts"].transform("sum")
    with pd.option_context("display.width", 120, "display.max_colwidth", 60):
        print(shares.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"{len(frame)} runs in {args.out}/parts (evopolity.load({args.out!r}))")
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    from pathlib import Path

    from evopolity.experiments.figures import plot_directory
    from evopolity.experiments.figures_polities import plot_polities_directory

    # a polities run directory (evopolity polities) has its own frames and figures
    polities = (Path(args.directory) / "survival.parquet").is_file()
    draw = plot_polities_directory if polities else plot_directory
    for path in draw(args.directory):
        print(path)
    return 0


def _parser() -> argparse.ArgumentParser:
    from evopolity import __version__

    parser = _Parser(
        prog="evopolity",
        description="Evolutionary game theory under institutions.",
    )
    parser.add_argument("--version", action="version", version=f"evopolity {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    t = sub.add_parser(
        "tournament",
        help="play a round robin and print the ranking",
        description="Play a round robin (self-play included) and print the ranking.",
    )
    t.add_argument(
        "--strategies",
        default="basic",
        help="a collection (basic, classic, memory_one, zd, cycler, fsm, lookup, all) or "
        "comma-separated strategy names (default: basic)",
    )
    t.add_argument("--turns", type=int, default=200, help="rounds per match; 0 = none "
                   "(limit of means with --method exact, or uncapped with --prob-end)")
    t.add_argument("--repetitions", type=_positive_int, default=10)
    t.add_argument("--noise", type=_number, default=0.01,
                   help="probability of flipping each move (default: 0.01)")
    t.add_argument("--prob-end", type=_number, default=None,
                   help="probability that a match ends after each round")
    t.add_argument("--game", default=None,
                   help="pd[:R,S,T,P], snowdrift[:R,S,T,P], stag-hunt[:R,S,T,P], "
                   "donation[:b,c] or matrix:R,S,T,P (default: pd:3,0,5,1)")
    t.add_argument("--method", choices=("simulate", "exact"), default="simulate")
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--out", default=None, type=_file,
                   help="write the tidy frame to FILE.csv or FILE.parquet")
    t.set_defaults(run=_cmd_tournament)

    r = sub.add_parser(
        "run",
        help="run an experiment (default: the built-in regime comparison with shocks)",
        description="Run an experiment spec (default: the built-in regime comparison with "
        "shocks), print one row per regime and scenario, and write trajectories, summary, "
        "figures and report.md to the output directory (default: evopolity-out). The first "
        "run compiles the numba kernels (about a minute); later runs load them from the "
        "cache.",
    )
    r.add_argument("spec", nargs="?", default=None,
                   help="experiment TOML file (default: the built-in regime comparison, "
                   "evopolity/data/default.toml)")
    r.add_argument("--out", default="evopolity-out", metavar="DIR", type=_directory,
                   help="output directory, created if needed (default: evopolity-out)")
    r.add_argument("--no-figures", action="store_true", help="skip the figures")
    r.add_argument("--quiet", action="store_true",
                   help="no progress lines on stderr (the table still goes to stdout)")
    r.set_defaults(run=_cmd_run)

    po = sub.add_parser(
        "polities",
        help="run polities under their regimes in a changing world, and their survival",
        description="Run a spec's [polities] table: every regime among m polities of at most "
        "n members, splitting, migrating, imitating institutions and collapsing in a changing "
        "environment (docs/polities.md). Writes frame.parquet, regimes.parquet, "
        "events.parquet, survival.parquet, figures and report.md.",
    )
    po.add_argument("spec", help="experiment TOML file with a [polities] table")
    po.add_argument("--out", default="evopolity-polities", metavar="DIR", type=_directory,
                    help="output directory, created if needed (default: evopolity-polities)")
    po.add_argument("--no-figures", action="store_true", help="skip the figures")
    po.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    po.set_defaults(run=_cmd_polities)

    w = sub.add_parser(
        "sweep",
        help="run a spec's sweep (axes x regimes x seeds), resumable",
        description="Run every task of the spec's [sweep]; re-running on the same --out "
        "resumes where it stopped.",
    )
    w.add_argument("spec", help="experiment TOML file with a [sweep] table")
    w.add_argument("--out", required=True, type=_directory,
                   help="output directory (one sweep at a time: a second sweep on a directory "
                   "in use is refused)")
    w.add_argument("--workers", type=_positive_int, default=1,
                   help="worker processes (local pool or LocalCluster), at most the CPUs of "
                   "this machine: more are cut to that number")
    w.add_argument("--scheduler", default=None,
                   help="a Dask distributed scheduler address, tcp://host:port")
    w.add_argument("--dask-local", action="store_true",
                   help="run on a local Dask distributed cluster of --workers processes")
    w.add_argument("--quiet", action="store_true",
                   help="no progress bar and no progress lines on stderr")
    w.set_defaults(run=_cmd_sweep)

    co = sub.add_parser(
        "continuation",
        help="sweep a parameter up and down with the state carried (hysteresis), resumable",
        description="Run a spec's [continuation] for every regime: its parameter swept up "
        "and then down, each run starting where the previous one ended (docs/analysis.md). "
        "Prints both branches and where they differ; writes one part per run (re-running on "
        "the same --out resumes) and figures/continuation-REGIME.png.",
    )
    co.add_argument("spec", help="experiment TOML file with a [continuation] table")
    co.add_argument("--out", required=True, type=_directory, help="output directory")
    co.add_argument("--no-figures", action="store_true", help="skip the figures")
    co.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    co.set_defaults(run=_cmd_continuation)

    en = sub.add_parser(
        "ensemble",
        help="run many starts to their attractors (basins), resumable",
        description="Run a spec's [ensemble]: each start (uniform, Dirichlet or given) under "
        "every regime, to its attractor (docs/analysis.md). Prints the share of starts per "
        "attractor; writes one part per start (re-running on the same --out resumes) and "
        "figures/basins.png. The rows are the same for any number of --workers.",
    )
    en.add_argument("spec", help="experiment TOML file with an [ensemble] table")
    en.add_argument("--out", required=True, type=_directory, help="output directory")
    en.add_argument("--workers", type=_positive_int, default=1,
                    help="worker processes, at most the CPUs of this machine")
    en.add_argument("--no-figures", action="store_true", help="skip the figures")
    en.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    en.set_defaults(run=_cmd_ensemble)

    pl = sub.add_parser(
        "plot",
        help="draw the figures of a run or sweep directory",
        description="Draw every figure of a run or sweep directory as PNG files into "
        "DIRECTORY/figures/ and print their paths. A run directory gives the strategy "
        "frequencies of each regime and scenario (frequencies-REGIME-SCENARIO.png), "
        "cooperation over time (cooperation.png) and the outcomes per regime "
        "(regime-outcomes.png); a sweep directory gives phase diagrams of cooperation and "
        "diversity over its first two axes (phase-*.png), or lines for a single axis "
        "(sweep-*.png); a polities directory (evopolity polities) gives its regime shares "
        "over time (regime-shares.png) and survival curves (survival.png).",
    )
    pl.add_argument("directory", metavar="DIRECTORY",
                    help="a directory written by 'evopolity run' (trajectories.parquet, "
                    "summary.parquet, ...) or 'evopolity sweep' (parts/, sweep.json)")
    pl.set_defaults(run=_cmd_plot)
    return parser


def _warn(args: argparse.Namespace, message: str) -> None:
    print(f"evopolity {args.command}: warning: {message}", file=sys.stderr, flush=True)


def _error(exc: BaseException) -> str:
    """The one line of a user error: an experiment's parameter is named as its option."""
    from evopolity.experiments.storage import ExperimentError

    if isinstance(exc, ExperimentError) and exc.parameter:
        return f"--{exc.parameter.replace('_', '-')}: {exc.detail}"
    return str(exc)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its one-line usage error
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return 2
    # a warning (a stray file in a sweep's parts/, ...) is one line too, not file:line and code
    show = warnings.showwarning
    warnings.showwarning = lambda message, *rest, **kw: _warn(args, str(message))
    try:
        code = args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at exit
        return code
    except BrokenPipeError:
        # the reader went away (`evopolity tournament | head`): stop quietly as Unix tools
        # do; stdout goes to devnull so that the interpreter's final flush cannot fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (UsageError, ValueError, TypeError, LookupError, OSError, ImportError) as exc:
        print(f"evopolity {args.command}: error: {_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = show


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
