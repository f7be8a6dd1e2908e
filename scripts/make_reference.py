"""Write docs/reference.md: the public API, from the docstrings.

    python scripts/make_reference.py            # rewrites docs/reference.md
    python scripts/make_reference.py --check    # exit 1 if the file is out of date
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

MODULES = [
    ("evopolity", "Top level"),
    ("evopolity.play.games", "Games"),
    ("evopolity.play.strategies.automaton", "Strategies as automata"),
    ("evopolity.play.strategies.library", "The strategy library"),
    ("evopolity.play.tournament", "Tournaments"),
    ("evopolity.play.axelrod_bridge", "The axelrod bridge"),
    ("evopolity.dynamics.replicator", "Replicator dynamics"),
    ("evopolity.dynamics.finite", "Finite populations"),
    ("evopolity.dynamics.analytical", "Analytical results"),
    ("evopolity.play.group_games", "Group games"),
    ("evopolity.institutions.regime", "Institutions"),
    ("evopolity.institutions.regimes", "Regime presets"),
    ("evopolity.institutions.shocks", "Shocks"),
    ("evopolity.analysis.metrics", "Measures"),
    ("evopolity.analysis.compare", "Regime comparison"),
    ("evopolity.experiments.spec", "Experiment specs"),
    ("evopolity.experiments.runner", "Experiments and sweeps"),
    ("evopolity.experiments.tasks", "Experiment tasks"),
    ("evopolity.experiments.executors", "Executors of sweeps"),
    ("evopolity.experiments.storage", "Stored results"),
    ("evopolity.experiments.results", "Reading results back"),
    ("evopolity.experiments.report", "Reports"),
    ("evopolity.experiments.figures", "Plots"),
    ("evopolity.dynamics.trajectory", "Trajectories"),
    ("evopolity.validate", "Checks at the public edges"),
]


def first_paragraph(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split())


def signature(obj) -> str:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return ""


def render() -> str:
    import importlib

    lines = ["# Reference", "",
             "Generated from the docstrings by `python scripts/make_reference.py`; the test "
             "suite checks it is current. Each entry: the signature and the docstring's first "
             "paragraph (the full docstring has the formulas and references).", ""]
    for name, title in MODULES:
        module = importlib.import_module(name)
        lines += [f"## {title} (`{name}`)", "", first_paragraph(module), ""]
        if name == "evopolity":
            lines += ["Exports: " + ", ".join(f"`{n}`" for n in sorted(module.__all__)), ""]
            continue
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                kind = "class" if inspect.isclass(obj) else "def"
                lines.append(f"- `{kind} {attr}{signature(obj)}`: {first_paragraph(obj)}")
            else:
                lines.append(f"- `{attr}`: {type(obj).__name__}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    path = Path(__file__).resolve().parent.parent / "docs" / "reference.md"
    text = render()
    if args.check:
        if not path.exists() or path.read_text() != text:
            print(f"{path} is out of date: run python scripts/make_reference.py",
                  file=sys.stderr)
            return 1
        return 0
    path.write_text(text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
