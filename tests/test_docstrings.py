"""Every public callable documents its parameters and what it returns (numpy style).

Walks the top level (``evopolity.__all__``), ``ep.metrics``, ``ep.regimes``, ``ep.library``
and the public methods of ``Tournament``, ``Trajectory``, ``GroupGame``, ``Regime`` and
``Strategy``; fails naming each callable whose docstring lacks a ``Parameters`` section (when
it takes parameters), or that section does not name every parameter, or has no ``Returns``
section (functions and methods; a class documents its constructor's parameters instead).
"""

import inspect
import re
import types

import evopolity as ep

MODULES = (ep.metrics, ep.regimes, ep.library, ep.graphs)
CLASSES = (ep.Tournament, ep.Trajectory, ep.GroupGame, ep.Regime, ep.Strategy)


def _section(doc: str, title: str) -> bool:
    # a numpy-style heading: the title on its own line, underlined with dashes
    return re.search(rf"^\s*{title}\n\s*-{{{len(title)}}}\s*$", doc, re.MULTILINE) is not None


def _takes_parameters(obj) -> bool:
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):  # some builtins have none
        return False
    return any(name not in ("self", "cls") for name in signature.parameters)


def _public_callables():
    found: dict[str, object] = {}
    for name in ep.__all__:
        obj = getattr(ep, name)
        if not isinstance(obj, types.ModuleType) and callable(obj):
            found[f"evopolity.{name}"] = obj
    for module in MODULES:
        short = module.__name__.rsplit(".", 1)[-1]
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj) and not isinstance(obj, dict):
                found[f"evopolity.{short}.{name}"] = obj
    for cls in CLASSES:
        for name, member in vars(cls).items():
            if name.startswith("_"):
                continue
            if isinstance(member, staticmethod | classmethod):
                member = member.__func__
            if inspect.isfunction(member):
                found[f"{cls.__name__}.{name}"] = member
    return found


def _missing(name: str, obj) -> list[str]:
    doc = inspect.getdoc(obj) or ""
    problems = []
    if inspect.isclass(obj):
        if _takes_parameters(obj) and not _section(doc, "Parameters"):
            problems.append(f"{name}: no Parameters section")
        return problems
    if _takes_parameters(obj) and not _section(doc, "Parameters"):
        problems.append(f"{name}: no Parameters section")
    if not _section(doc, "Returns"):
        problems.append(f"{name}: no Returns section")
    return problems


def _documented_names(doc: str) -> set[str]:
    # the entries of the Parameters section: "name : type" or "a, b : type" at its indent
    match = re.search(r"^Parameters\n-+\n(.*?)(?:\n\S[^\n]*\n-+\n|\Z)", doc, re.S | re.M)
    if match is None:
        return set()
    names = set()
    for line in match.group(1).splitlines():
        if line and not line[0].isspace():
            for name in line.split(" : ")[0].split(","):
                names.add(name.strip().lstrip("*"))
    return names


def _undocumented_parameters(name: str, obj) -> list[str]:
    try:
        parameters = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return []
    documented = _documented_names(inspect.getdoc(obj) or "")
    return [f"{name}: {p}" for p in parameters if p not in ("self", "cls") and p not in documented]


def _properties():
    for cls in CLASSES:
        for name, member in vars(cls).items():
            if name.startswith("_"):
                continue
            if isinstance(member, property):
                yield f"{cls.__name__}.{name}", member.fget
            elif hasattr(member, "func") and hasattr(member, "attrname"):  # cached_property
                yield f"{cls.__name__}.{name}", member.func


def test_the_walk_finds_the_public_api():
    found = _public_callables()
    for name in ("evopolity.tournament", "evopolity.replicator", "evopolity.metrics.summary",
                 "evopolity.regimes.balanced", "evopolity.library.all_strategies",
                 "Tournament.ranking", "Trajectory.final", "GroupGame.from_function",
                 "Regime.replace", "Strategy.moves"):
        assert name in found


def test_every_public_callable_has_parameters_and_returns_sections():
    problems = [p for name, obj in _public_callables().items() for p in _missing(name, obj)]
    assert not problems, "\n".join(problems)


def test_every_parameter_is_described():
    missing = [p for name, obj in _public_callables().items()
               for p in _undocumented_parameters(name, obj)]
    assert not missing, "parameters missing from their Parameters section:\n" + "\n".join(missing)


def test_every_public_property_says_what_it_holds():
    bare = [name for name, fget in _properties() if not (inspect.getdoc(fget) or "").strip()]
    assert not bare, f"properties without a docstring: {bare}"
