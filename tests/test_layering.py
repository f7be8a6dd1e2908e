"""The house keeps its layers (docs/design.md, "Layers: a wing per layer").

Every module's imports are read from the source with ``ast``: ``import``/``from`` statements
anywhere (function-local ones included) and ``importlib.import_module("...")`` /
``__import__("...")`` string literals (an f-string counts by its literal prefix). The rules:

- every module belongs to a wing: ``kernels/``, ``validate.py``, ``play/``, ``institutions/``,
  ``dynamics/``, ``analysis/``, ``experiments/``, ``cli.py`` (and the package's
  ``__init__.py`` and ``__main__.py``);
- a kernel imports only kernels, numpy, numba and the standard library;
- ``validate.py`` imports nothing of ours;
- the wings are ordered validate < play < institutions < dynamics < analysis < experiments <
  cli, and each imports only wings beneath it (plus kernels and validate);
- nothing but ``__main__`` imports ``evopolity.cli``;
- axelrod is imported only by ``play/axelrod_bridge.py``, and only inside functions;
- matplotlib is imported only by ``experiments/figures*``, and only inside functions;
- no import cycles between modules, counting the imports that run when a module is imported
  (module level, ``if TYPE_CHECKING:`` blocks excluded).

A failure names the offending edge: ``evopolity/x.py:LINE imports evopolity.y (wing a may not
import wing b)``.
"""

from __future__ import annotations

import ast
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "evopolity"

# Beneath-to-above order. "package" is evopolity/__init__.py (it re-exports every wing but the
# CLI), "main" is evopolity/__main__.py.
ORDER = ("kernels", "validate", "play", "institutions", "dynamics", "analysis", "experiments",
         "package", "cli", "main")
KERNEL_THIRD_PARTY = {"numpy", "numba"}
STDLIB = set(sys.stdlib_module_names) | {"__future__"}


@dataclass(frozen=True)
class Edge:
    source: str  # the importing module, dotted
    path: str  # its file, relative to the package's parent directory
    line: int
    target: str  # the imported module, dotted (ours resolved to a module or package)
    lazy: bool  # inside a function: does not run when the source is imported
    type_only: bool  # under ``if TYPE_CHECKING:``


def wing(module: str) -> str | None:
    """The wing of one of our modules (``evopolity.play.games`` -> ``play``)."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    if len(parts) == 1:
        return "package"
    head = parts[1]
    if head == "__main__":
        return "main"
    if head in ("cli", "validate"):
        return head if len(parts) == 2 else None
    if head in ("kernels", "play", "institutions", "dynamics", "analysis", "experiments"):
        return head
    return None


def may_import(a: str, b: str) -> bool:
    """Whether wing ``a`` may import wing ``b`` (the CLI rule is checked on its own)."""
    if a == b:
        return True
    if a == "kernels":
        return False
    if a == "validate":
        return False
    if b in ("kernels", "validate"):
        return True
    return ORDER.index(b) < ORDER.index(a)


def modules(package_dir: Path) -> dict[str, Path]:
    """Every module of the package: dotted name -> file."""
    found = {}
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _string_prefix(node: ast.expr) -> str | None:
    """A module name from a string literal, or the literal prefix of an f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            prefix = first.value
            return prefix[: prefix.rfind(".")] if "." in prefix else None
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class _Reader(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, known: set[str], path: str):
        self.module, self.known, self.path = module, known, path
        self.package = module if is_package else module.rpartition(".")[0]
        self.depth = 0
        self.type_only = 0
        self.edges: list[Edge] = []

    def _add(self, node: ast.AST, target: str) -> None:
        self.edges.append(Edge(self.module, self.path, node.lineno, target, self.depth > 0,
                               self.type_only > 0))

    def _absolute(self, name: str, level: int) -> str:
        if level == 0:
            return name
        base = self.package.split(".")
        base = base[: len(base) - (level - 1)]
        return ".".join(base + ([name] if name else []))

    def _function(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self.type_only += 1
            for child in node.body:
                self.visit(child)
            self.type_only -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self._absolute(node.module or "", node.level)
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            self._add(node, sub if sub in self.known else base)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in ("import_module", "__import__") and node.args:
            target = _string_prefix(node.args[0])
            if target and target.startswith(".") and len(node.args) > 1:
                anchor = _string_prefix(node.args[1])
                level = len(target) - len(target.lstrip("."))
                if anchor:
                    base = anchor.split(".")[: len(anchor.split(".")) - (level - 1)]
                    target = ".".join(base + [target.lstrip(".")])
            if target and not target.startswith("."):
                self._add(node, target)
        self.generic_visit(node)


def read_edges(package_dir: Path) -> list[Edge]:
    """Every import of every module of the package at ``package_dir``."""
    found = modules(package_dir)
    known = set(found)
    edges = []
    for module, path in found.items():
        rel = path.relative_to(package_dir.parent).as_posix()
        reader = _Reader(module, path.name == "__init__.py", known, rel)
        reader.visit(ast.parse(path.read_text(), filename=str(path)))
        edges += reader.edges
    return edges


def _cycles(edges: list[Edge], known: set[str]) -> list[list[Edge]]:
    """The import cycles of the module-level graph, one per strongly connected component."""
    graph: dict[str, dict[str, Edge]] = {m: {} for m in known}
    for e in edges:
        if e.target in known and not e.lazy and not e.type_only and e.target != e.source:
            graph[e.source].setdefault(e.target, e)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan's algorithm (the graph is small; recursion is fine)
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    cycles = []
    for component in components:
        members = set(component)
        # walk one cycle through the component, starting at its first module
        path, seen, v = [], {component[0]: 0}, component[0]
        while True:
            w = next(t for t in sorted(graph[v]) if t in members)
            path.append(graph[v][w])
            if w in seen:
                cycles.append(path[seen[w]:])
                break
            seen[w] = len(path)
            v = w
    return cycles


def check(package_dir: Path) -> list[str]:
    """The violations of docs/design.md's layers in the package at ``package_dir``."""
    found = modules(package_dir)
    edges = read_edges(package_dir)
    problems = []
    for module, path in found.items():
        if wing(module) is None:
            rel = path.relative_to(package_dir.parent).as_posix()
            problems.append(f"{rel} belongs to no wing of docs/design.md")
    for e in edges:
        top = e.target.split(".")[0]
        a, b = wing(e.source), wing(e.target)
        where = f"{e.path}:{e.line} imports {e.target}"
        if top == PACKAGE:
            if a is None:
                continue  # reported above
            if b is None:
                problems.append(f"{where} (a module in no wing)")
            elif b == "cli" and a != "main":
                problems.append(f"{where} (only __main__ may import the CLI)")
            elif b != "cli" and not may_import(a, b):
                problems.append(f"{where} (wing {a} may not import wing {b})")
            continue
        if a == "kernels" and top not in KERNEL_THIRD_PARTY and top not in STDLIB:
            problems.append(f"{where} (a kernel imports only kernels, numpy, numba and the "
                            "standard library)")
        if top == "axelrod":
            if e.source != f"{PACKAGE}.play.axelrod_bridge":
                problems.append(f"{where} (only play/axelrod_bridge.py may import axelrod)")
            elif not e.lazy and not e.type_only:
                problems.append(f"{where} (axelrod is imported inside functions only: "
                                "it takes ~10 s)")
        if top == "matplotlib":
            name = e.source.split(".")
            if name[1:2] != ["experiments"] or not name[-1].startswith("figures"):
                problems.append(f"{where} (only experiments/figures* may import matplotlib)")
            elif not e.lazy and not e.type_only:
                problems.append(f"{where} (matplotlib is imported inside the figure functions "
                                "only)")
    for cycle in _cycles(edges, set(found)):
        problems.append("import cycle: " + ", then ".join(
            f"{e.path}:{e.line} imports {e.target}" for e in cycle))
    return problems


# --- the package itself ---------------------------------------------------------------------


def test_the_package_keeps_its_layers():
    problems = check(ROOT / PACKAGE)
    assert not problems, "\n" + "\n".join(problems)


def test_the_reader_sees_function_local_and_importlib_imports():
    edges = read_edges(ROOT / PACKAGE)
    bridge = [e for e in edges if e.source == "evopolity.play.axelrod_bridge"
              and e.target.startswith("axelrod")]
    # importlib.import_module("axelrod") and the f-string "axelrod.strategies.{module}"
    assert {e.target for e in bridge} >= {"axelrod", "axelrod.strategies"}
    assert all(e.lazy for e in bridge)
    figures = [e for e in edges if e.source == "evopolity.experiments.figures"
               and e.target.startswith("matplotlib")]
    assert figures and all(e.lazy or e.type_only for e in figures)
    # every wing is present and the top level imports from each wing but the CLI
    top = {wing(e.target) for e in edges if e.source == PACKAGE}
    assert top >= {"play", "institutions", "dynamics", "analysis", "experiments"}
    assert {wing(m) for m in modules(ROOT / PACKAGE)} == set(ORDER)


# --- the checker catches planted bad edges ----------------------------------------------------

CLEAN = {
    "__init__.py": "from evopolity.play import games\nfrom evopolity import experiments\n",
    "__main__.py": "from evopolity.cli import main\n",
    "cli.py": "import argparse\n\n\ndef main():\n    import evopolity as ep\n",
    "validate.py": "import math\n\nimport numpy as np\nimport pandas as pd\n",
    "kernels/__init__.py": "",
    "kernels/_jit.py": "import os\n\nimport numba\n",
    "kernels/rng.py": "import numpy as np\n\nfrom evopolity.kernels._jit import jit\n",
    "kernels/match.py": "from . import rng\nfrom numba import prange\n",
    "play/__init__.py": "",
    "play/games.py": "from evopolity.validate import real\nfrom evopolity.kernels import match\n",
    "play/axelrod_bridge.py": ("import importlib\n\nfrom evopolity.play import games\n\n\n"
                               "def axelrod():\n    return importlib.import_module('axelrod')\n"),
    "institutions/__init__.py": "",
    "institutions/regime.py": "from ..play.games import Game\n",
    "dynamics/__init__.py": "",
    "dynamics/replicator.py": ("from evopolity.institutions.regime import Regime\n"
                               "from evopolity.kernels import rng\n"),
    "analysis/__init__.py": "from evopolity.dynamics import replicator\n",
    "experiments/__init__.py": "from evopolity.experiments.runner import run\n",
    "experiments/runner.py": ("from typing import TYPE_CHECKING\n\n"
                              "if TYPE_CHECKING:\n    from evopolity import experiments\n\n\n"
                              "def run():\n    from evopolity.experiments import figures\n"),
    "experiments/figures.py": ("from typing import TYPE_CHECKING\n\n"
                               "if TYPE_CHECKING:\n    from matplotlib.figure import Figure\n\n\n"
                               "def draw():\n    from matplotlib.figure import Figure\n"
                               "    from evopolity.experiments.runner import run\n"),
}


def _plant(tmp_path: Path, changes: dict[str, str]) -> Path:
    package = tmp_path / PACKAGE
    for name, text in {**CLEAN, **changes}.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return package


def test_a_clean_package_passes(tmp_path):
    assert check(_plant(tmp_path, {})) == []


def test_a_function_local_import_is_no_cycle(tmp_path):
    package = _plant(tmp_path, {"kernels/rng.py": "def f():\n    from evopolity.kernels import "
                                                  "match\n"})
    assert check(package) == []


PLANTED = [
    ("kernels/match.py", "from . import rng\n\n\ndef f():\n    from evopolity.play import games\n",
     "evopolity/kernels/match.py:5 imports evopolity.play.games "
     "(wing kernels may not import wing play)"),
    ("validate.py", "from evopolity.kernels import rng\n",
     "evopolity/validate.py:1 imports evopolity.kernels.rng (wing validate may not import wing "
     "kernels)"),
    ("play/games.py",
     "import importlib\n\n\ndef f():\n"
     "    importlib.import_module('evopolity.dynamics.replicator')\n",
     "evopolity/play/games.py:5 imports evopolity.dynamics.replicator "
     "(wing play may not import wing dynamics)"),
    ("play/games.py",
     "import importlib\n\n\ndef f(name):\n"
     "    return importlib.import_module(f'evopolity.analysis.{name}')\n",
     "evopolity/play/games.py:5 imports evopolity.analysis "
     "(wing play may not import wing analysis)"),
    ("dynamics/replicator.py", "from ..experiments import runner\n",
     "evopolity/dynamics/replicator.py:1 imports evopolity.experiments.runner "
     "(wing dynamics may not import wing experiments)"),
    ("institutions/regime.py", "import evopolity\n",
     "evopolity/institutions/regime.py:1 imports evopolity (wing institutions may not import "
     "wing package)"),
    ("kernels/rng.py", "import numpy as np\nimport pandas as pd\n",
     "evopolity/kernels/rng.py:2 imports pandas (a kernel imports only kernels, numpy, numba and "
     "the standard library)"),
    ("experiments/runner.py", "def run():\n    import evopolity.cli\n",
     "evopolity/experiments/runner.py:2 imports evopolity.cli (only __main__ may import the CLI)"),
    ("__init__.py", "from evopolity.cli import main\n",
     "evopolity/__init__.py:1 imports evopolity.cli (only __main__ may import the CLI)"),
    ("play/games.py", "def f():\n    import axelrod\n",
     "evopolity/play/games.py:2 imports axelrod (only play/axelrod_bridge.py may import axelrod)"),
    ("play/axelrod_bridge.py", "import axelrod.strategies\n",
     "evopolity/play/axelrod_bridge.py:1 imports axelrod.strategies (axelrod is imported inside "
     "functions only: it takes ~10 s)"),
    ("dynamics/replicator.py", "def f():\n    import matplotlib.pyplot as plt\n",
     "evopolity/dynamics/replicator.py:2 imports matplotlib.pyplot (only experiments/figures* may "
     "import matplotlib)"),
    ("experiments/figures.py", "import matplotlib\n",
     "evopolity/experiments/figures.py:1 imports matplotlib (matplotlib is imported inside the "
     "figure functions only)"),
    ("kernels/rng.py", "from evopolity.kernels import match\n",
     "import cycle: evopolity/kernels/match.py:1 imports evopolity.kernels.rng, then "
     "evopolity/kernels/rng.py:1 imports evopolity.kernels.match"),
    ("games.py", "import numpy\n", "evopolity/games.py belongs to no wing of docs/design.md"),
    ("play/games.py", "from evopolity.strategies import memory_one\n",
     "evopolity/play/games.py:1 imports evopolity.strategies (a module in no wing)"),
]


@pytest.mark.parametrize(("path", "text", "message"), PLANTED,
                         ids=[f"{i}-{p}" for i, (p, _, _) in enumerate(PLANTED)])
def test_the_checker_names_a_planted_bad_edge(tmp_path, path, text, message):
    assert check(_plant(tmp_path, {path: text})) == [message]
