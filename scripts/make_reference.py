"""Write docs/reference.md: the public API, from the signatures and the docstrings.

    python scripts/make_reference.py            # rewrites docs/reference.md
    python scripts/make_reference.py --check    # exit 1 if the file is out of date

Every public callable gets its signature, the first paragraph of its docstring, its
parameters with their descriptions (parsed from the numpy-style ``Parameters`` section) and
what it returns (the ``Returns`` section, or the return annotation). The public callables
are the names of ``evopolity.__all__``, of the namespaces ``ep.metrics``, ``ep.regimes``,
``ep.library``, ``ep.experiments`` and ``ep.experiments.figures`` (and of the modules the
guides import from, ``evopolity.play.group_games`` and ``evopolity.dynamics.fitness``), and
the public methods of the classes among them. They are grouped by wing (docs/design.md), in
the order data flows.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (public prefix, module) of the namespaces whose ``__all__`` is public API
NAMESPACES = [
    ("library", "evopolity.play.strategies.library"),
    ("regimes", "evopolity.institutions.regimes"),
    ("metrics", "evopolity.analysis.metrics"),
    ("experiments", "evopolity.experiments"),
    ("experiments.figures", "evopolity.experiments.figures"),
    ("graphs", "evopolity.dynamics.graphs"),
    ("environments", "evopolity.dynamics.environments"),
    # modules the guides import from directly
    ("evopolity.play.group_games", "evopolity.play.group_games"),
    ("evopolity.dynamics.fitness", "evopolity.dynamics.fitness"),
]

WINGS = [
    ("play", "Play: games, strategies, tournaments, group games, the axelrod bridge"),
    ("institutions", "Institutions: regimes, presets, shocks"),
    ("dynamics", "Dynamics: replicator, finite populations, analytical results, trajectories"),
    ("analysis", "Analysis: measures and the regime comparison"),
    ("experiments", "Experiments: specs, runs, sweeps, stored results, figures"),
    ("validate", "Checks at the public edges"),
]

# the order of the entries inside a wing: data flows down this list (others follow, by name)
MODULE_ORDER = [
    "evopolity.play.games", "evopolity.play.strategies.automaton",
    "evopolity.play.strategies.library", "evopolity.play.tournament",
    "evopolity.play.group_games", "evopolity.play.axelrod_bridge",
    "evopolity.institutions.regime", "evopolity.institutions.regimes",
    "evopolity.institutions.shocks", "evopolity.dynamics.trajectory",
    "evopolity.dynamics.replicator", "evopolity.dynamics.finite",
    "evopolity.dynamics.analytical", "evopolity.dynamics.wright_fisher",
    "evopolity.dynamics.graphs", "evopolity.dynamics.structured", "evopolity.dynamics.pipeline",
    "evopolity.dynamics.environments", "evopolity.dynamics.polities",
    "evopolity.analysis.metrics", "evopolity.analysis.compare", "evopolity.experiments.spec",
    "evopolity.experiments.tasks", "evopolity.experiments.runner",
    "evopolity.experiments.executors", "evopolity.experiments.storage",
    "evopolity.experiments.results", "evopolity.experiments.report",
    "evopolity.experiments.figures",
]

SECTIONS = {"Parameters", "Other Parameters", "Returns", "Yields", "Raises", "Warns",
            "Notes", "Examples", "References", "See Also", "Attributes", "Methods",
            "Warnings"}


# --- numpy-style docstrings -------------------------------------------------------------------


def _role(match: re.Match) -> str:
    target = match.group(1)
    if target.startswith("~"):
        target = target[1:].rsplit(".", 1)[-1]
    return f"`{target}`"


def markdown(text: str) -> str:
    """reST inline markup as Markdown, on one line."""
    text = " ".join(text.split())
    text = re.sub(r":[a-z]+:`([^`]*)`", _role, text)
    return text.replace("``", "`")


def sections(doc: str) -> tuple[list[str], dict[str, list[str]]]:
    """The lines before the first section, and each section's lines (underline dropped)."""
    lines = doc.splitlines()
    head: list[str] = []
    found: dict[str, list[str]] = {}
    current = head
    i = 0
    while i < len(lines):
        line = lines[i]
        underline = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if (line.strip() in SECTIONS and underline and set(underline) == {"-"}
                and len(underline) >= len(line.strip()) - 1):
            current = found.setdefault(line.strip(), [])
            i += 2
            continue
        current.append(line)
        i += 1
    return head, found


def summary(doc: str) -> str:
    head, _ = sections(doc)
    paragraph = "\n".join(head).strip().split("\n\n")[0]
    return markdown(paragraph)


@dataclass
class Item:
    name: str
    kind: str  # the type, for parameters; the name or type, for returns
    text: list[str] = field(default_factory=list)


def items(lines: list[str]) -> list[Item]:
    """``name : type`` entries with their indented descriptions."""
    out: list[Item] = []
    indents = [len(x) - len(x.lstrip()) for x in lines if x.strip()]
    base = min(indents) if indents else 0
    for line in lines:
        if not line.strip():
            if out:
                out[-1].text.append("")
            continue
        indent = len(line) - len(line.lstrip())
        if indent == base:
            name, _, kind = line.strip().partition(" : ")
            if not _ and line.strip().endswith(" :"):
                name = line.strip()[:-2]
            out.append(Item(name.strip(), kind.strip()))
        elif out:
            out[-1].text.append(line.strip())
    return out


def describe(item: Item) -> str:
    paragraphs = "\n".join(item.text).strip().split("\n\n")
    return " ".join(markdown(p) for p in paragraphs if p.strip())


# --- objects ----------------------------------------------------------------------------------


def signature(obj, drop_self: bool = False) -> str:
    """The call signature without annotations (the types are in the parameter list)."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)"
    params = list(sig.parameters.values())
    if drop_self and params and params[0].name in ("self", "cls"):
        params = params[1:]
    plain = sig.replace(parameters=[p.replace(annotation=inspect.Parameter.empty)
                                    for p in params],
                        return_annotation=inspect.Signature.empty)
    return str(plain)


def annotation(value) -> str:
    if value is inspect.Parameter.empty or value is inspect.Signature.empty:
        return ""
    if isinstance(value, str):
        return value
    return inspect.formatannotation(value)


def parameter_names(obj, drop_self: bool) -> list[inspect.Parameter]:
    try:
        params = list(inspect.signature(obj).parameters.values())
    except (TypeError, ValueError):
        return []
    if drop_self and params and params[0].name in ("self", "cls"):
        params = params[1:]
    return params


@dataclass
class Counts:
    parameters: int = 0
    undocumented: list[str] = field(default_factory=list)


def entry(title: str, obj, level: int, counts: Counts, *, drop_self: bool = False,
          call_name: str | None = None) -> list[str]:
    """The Markdown of one callable: heading, signature, summary, parameters, returns."""
    doc = inspect.getdoc(obj) or ""
    if inspect.isclass(obj) and not (obj.__doc__ or "").strip():
        doc = ""
    _, parts = sections(doc)
    documented = {}
    for section in ("Parameters", "Other Parameters"):
        for item in items(parts.get(section, [])):
            for name in item.name.split(","):
                documented[name.strip().lstrip("*")] = item
    call = call_name or title.split()[-1].strip("`")
    lines = ["#" * level + " " + title, "", f"```text\n{call}{signature(obj, drop_self)}\n```",
             ""]
    text = summary(doc)
    if text:
        lines += [text, ""]
    params = parameter_names(obj, drop_self)
    if inspect.isclass(obj) and issubclass(obj, BaseException) and "__init__" not in vars(obj):
        params = []
        lines[2] = f"```text\nclass {call}({obj.__bases__[0].__name__})\n```"
    if params:
        lines += ["**Parameters**", ""]
        for p in params:
            star = "*" if p.kind is p.VAR_POSITIONAL else "**" if p.kind is p.VAR_KEYWORD else ""
            item = documented.get(p.name)
            kind = item.kind if item and item.kind else annotation(p.annotation)
            label = f"- `{star}{p.name}`" + (f" ({markdown(kind)})" if kind else "")
            counts.parameters += 1
            if item and describe(item):
                lines.append(f"{label}: {describe(item)}")
            else:
                counts.undocumented.append(f"{call}: {p.name}")
                lines.append(f"{label}: (not described in the docstring)")
        lines.append("")
    returns = items(parts.get("Returns", [])) or items(parts.get("Yields", []))
    if returns:
        for r in returns:
            what = f"{r.name} ({r.kind})" if r.kind else r.name
            text = describe(r)
            lines.append(f"**Returns** {markdown(what)}" + (f": {text}" if text else ""))
        lines.append("")
    elif not inspect.isclass(obj):
        try:
            ret = annotation(inspect.signature(obj).return_annotation)
        except (TypeError, ValueError):
            ret = ""
        if ret and ret != "None":
            lines += [f"**Returns** {ret}", ""]
    return lines


def own_members(cls) -> tuple[list[tuple[str, object]], list[tuple[str, object]]]:
    """Public methods and properties defined by the class itself (not inherited)."""
    methods, props = [], []
    for name, raw in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(raw, (staticmethod, classmethod)) or inspect.isfunction(raw):
            methods.append((name, getattr(cls, name)))
        elif isinstance(raw, property) or type(raw).__name__ == "cached_property":
            props.append((name, raw))
    return methods, props


def class_entry(title: str, cls, public: str, counts: Counts) -> list[str]:
    lines = entry(f"class `{title}`", cls, 3, counts, call_name=public)
    bases = [b.__name__ for b in cls.__bases__ if b.__module__.startswith("evopolity")]
    if bases:
        lines += ["Subclass of " + ", ".join(f"`{b}`" for b in bases) + ".", ""]
    methods, props = own_members(cls)
    if props:
        lines += ["**Properties**", ""]
        for name, prop in props:
            func = getattr(prop, "fget", None) or getattr(prop, "func", None)
            text = summary(inspect.getdoc(func) or "")
            lines.append(f"- `{name}`: {text}" if text else f"- `{name}`")
        lines.append("")
    for name, method in methods:
        drop = not isinstance(vars(cls)[name], staticmethod)
        lines += entry(f"`{title}.{name}`", method, 4, counts, drop_self=drop)
    return lines


def wing_of(obj) -> str:
    """``play`` for ``evopolity.play.tournament``, ``validate`` for ``evopolity.validate``."""
    parts = (getattr(obj, "__module__", "") or "").split(".")
    return parts[1] if len(parts) > 1 else ""


def _place(obj) -> tuple[int, str, int]:
    module = getattr(obj, "__module__", "") or ""
    rank = MODULE_ORDER.index(module) if module in MODULE_ORDER else len(MODULE_ORDER)
    try:
        line = inspect.getsourcelines(obj)[1]
    except (OSError, TypeError):
        line = 0
    return rank, module, line


def public_objects():
    """(public name, object, wing) for every public callable, each object once, in order.

    An object exported under several names (``ep.zd_extortion`` and ``ep.library.zd_extortion``)
    is listed under the first: the top level, then the namespaces in ``NAMESPACES`` order.
    """
    import evopolity

    seen: list[tuple[str, object, str]] = []
    ids: set[int] = set()
    namespace_modules = {module for _, module in NAMESPACES}

    def add(public: str, obj) -> None:
        if callable(obj) and id(obj) not in ids:
            ids.add(id(obj))
            seen.append((public, obj, wing_of(obj)))

    for name in evopolity.__all__:
        obj = getattr(evopolity, name)
        if inspect.ismodule(obj):
            if obj.__name__ not in namespace_modules:
                raise SystemExit(f"evopolity.{name} is a module missing from NAMESPACES")
            continue
        add(name, obj)
    for prefix, module_name in NAMESPACES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            add(f"{prefix}.{name}", getattr(module, name))
    seen.sort(key=lambda item: _place(item[1]))
    return seen


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = heading.lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def render() -> tuple[str, Counts]:
    import evopolity

    counts = Counts()
    objects = public_objects()
    lines = ["# Reference", "",
             "Generated from the signatures and docstrings by `python scripts/make_reference.py`"
             "; the test suite checks it is current, so edit the docstrings, not this page. "
             "Each entry: the signature, the docstring's first paragraph, every parameter "
             "with its description (the docstring's `Parameters` section) and what it returns. "
             "The full docstrings (`help(ep.replicator)`) add the formulas, notes, references "
             "and examples. Entries are grouped by wing, in the order data flows "
             "([design.md](design.md)).", ""]
    lines += ["## Top level", "", "`import evopolity as ep` gives every name below; the "
              "namespaces `ep.library`, `ep.regimes`, `ep.metrics` and `ep.experiments` "
              "(and the modules `evopolity.experiments.figures`, `evopolity.play.group_games` "
              "and `evopolity.dynamics.fitness`) hold the rest.", ""]
    headings: dict[str, str] = {}
    for public, obj, _ in objects:
        headings[public] = (f"class `{public}`" if inspect.isclass(obj) else f"`{public}`")
    rows = []
    for name in sorted(evopolity.__all__, key=str.lower):
        obj = getattr(evopolity, name)
        if inspect.ismodule(obj):
            rows.append(f"`{name}` (namespace)")
        elif name in headings:
            rows.append(f"[`{name}`](#{anchor(headings[name])})")
        else:
            rows.append(f"`{name}`")
    lines += [", ".join(rows), ""]
    for wing, title in WINGS:
        members = [(p, o) for p, o, w in objects if w == wing]
        if not members:
            continue
        lines += [f"## {title}", ""]
        for public, obj in members:
            if inspect.isclass(obj):
                lines += class_entry(public, obj, public, counts)
            else:
                lines += entry(f"`{public}`", obj, 3, counts)
    unknown = sorted({w for _, _, w in objects} - {w for w, _ in WINGS})
    if unknown:
        raise SystemExit(f"public names in no wing section: {unknown}")
    return "\n".join(lines).rstrip() + "\n", counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if docs/reference.md is not what this would write")
    args = parser.parse_args()
    path = ROOT / "docs" / "reference.md"
    text, counts = render()
    if args.check:
        if not path.exists() or path.read_text() != text:
            print(f"{path} is out of date: run python scripts/make_reference.py",
                  file=sys.stderr)
            return 1
        return 0
    path.write_text(text)
    print(f"wrote {path}: {counts.parameters} parameters, "
          f"{len(counts.undocumented)} without a description in their docstring")
    return 0


if __name__ == "__main__":
    sys.exit(main())
