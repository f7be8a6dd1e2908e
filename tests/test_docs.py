"""The documentation follows the code.

- docs/reference.md is generated (scripts/make_reference.py) and current;
- every ```python block of README.md and docs/*.md runs as written: the blocks of one file in
  order, in one namespace, in a temporary working directory (``>>>`` blocks are doctests:
  pytest collects those of docs/*.md through ``--doctest-glob``, README.md's run here);
- every relative link and anchor, and every repository path a page names, exists;
- README's layout names every module of its wing, and docs/index.md lists every page.
"""

import doctest
import inspect
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)


def fences(path: Path) -> list[tuple[str, int, str]]:
    """(info string, line of the first code line, code) of every fenced block of a page."""
    text = path.read_text()
    return [(m.group(1).strip(), text.count("\n", 0, m.start()) + 2, m.group(2))
            for m in FENCE.finditer(text)]


def runnable(path: Path) -> list[tuple[int, str]]:
    return [(line, code) for info, line, code in fences(path)
            if info == "python" and not code.lstrip().startswith(">>>")]


# --- the generated reference ------------------------------------------------------------------


def test_reference_is_current():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_reference.py"),
                           "--check"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_every_public_name_is_in_the_reference():
    import evopolity

    text = (ROOT / "docs" / "reference.md").read_text()
    missing = [name for name in evopolity.__all__ if f"`{name}`" not in text]
    assert not missing


def _sections(text: str) -> dict[str, str]:
    """Heading (without the #s) -> the text up to the next heading."""
    parts = re.split(r"^(#{2,4} .*)$", text, flags=re.M)
    return {parts[i].lstrip("#").strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def test_the_reference_lists_every_parameter_of_every_top_level_callable():
    import evopolity

    sections = _sections((ROOT / "docs" / "reference.md").read_text())
    checked = 0
    for name in evopolity.__all__:
        obj = getattr(evopolity, name)
        if inspect.ismodule(obj) or (inspect.isclass(obj) and issubclass(obj, BaseException)):
            continue
        heading = f"class `{name}`" if inspect.isclass(obj) else f"`{name}`"
        body = sections[heading]
        for param in inspect.signature(obj).parameters:
            assert f"- `{param}`" in body or f"- `*{param}`" in body or \
                f"- `**{param}`" in body, (name, param)
            checked += 1
    assert checked > 100
    # a documented parameter carries its docstring's words, and Returns its section's
    replicator = sections["`replicator`"]
    assert "- `x0` (array_like or Series, optional): Initial frequencies" in replicator
    assert "**Returns** Trajectory" in replicator
    assert "#### `Trajectory.frame`" in (ROOT / "docs" / "reference.md").read_text()


# --- every example runs -----------------------------------------------------------------------

RUNNABLE = [path for path in PAGES if runnable(path)]


def test_the_runner_finds_the_examples():
    names = {p.name for p in RUNNABLE}
    # (plotting.md and experiments.md are doctests throughout: pytest collects them)
    assert {"README.md", "institutions.md", "group_games.md"} <= names
    # only ``python`` marks Python: a variant spelling would escape the runner
    for path in PAGES:
        for info, line, _ in fences(path):
            assert info in ("", "python", "bash", "toml", "text"), (path.name, line, info)


@pytest.mark.parametrize("path", RUNNABLE, ids=[p.name for p in RUNNABLE])
def test_the_python_examples_run_as_written(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": f"docs.{path.stem}"}
    for line, code in runnable(path):
        try:
            exec(compile(code, f"{path.name}:{line}", "exec"), namespace)
        except Exception as exc:  # the page and line make the failure findable
            pytest.fail(f"{path.relative_to(ROOT)}, the block at line {line}: "
                        f"{type(exc).__name__}: {exc}")


def test_the_readme_doctests_pass():
    # docs/*.md doctests are collected by pytest (pyproject: testpaths, --doctest-glob);
    # README.md sits outside testpaths, so its run here
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "docs" in config["testpaths"] and "--doctest-glob=*.md" in config["addopts"]
    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0


# --- links, anchors and paths -----------------------------------------------------------------


def anchors(path: Path) -> set[str]:
    """GitHub's anchors of a page's headings (code blocks ignored)."""
    text = FENCE.sub("", path.read_text())
    found = set()
    for heading in re.findall(r"^#{1,6} (.*)$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower().replace("`", "")).replace(" ", "-")
        found.add(slug)
    return found


def test_every_relative_link_and_anchor_exists():
    checked = 0
    for page in PAGES:
        text = FENCE.sub("", page.read_text())
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            resolved = (page.parent / file).resolve() if file else page
            assert resolved.exists(), f"{page.name} links to {target}: no such file"
            if anchor:
                assert anchor in anchors(resolved), f"{page.name} links to {target}: no heading"
            checked += 1
    assert checked > 20


PATH = re.compile(r"`((?:evopolity|tests|benchmarks|scripts|docs|kernels|play|institutions|"
                  r"dynamics|analysis|experiments)/[\w./*-]*)`")


def test_every_repository_path_a_page_names_exists():
    checked = 0
    for page in PAGES:
        if page.name == "reference.md":
            continue
        for name in PATH.findall(page.read_text()):
            name = name.rstrip("/")
            hits = list(ROOT.glob(name)) + list((ROOT / "evopolity").glob(name))
            assert hits, f"{page.name} names `{name}`, which does not exist"
            checked += 1
    assert checked > 20


# --- the README's layout and the index --------------------------------------------------------


def test_the_readme_layout_names_every_module_in_its_wing():
    text = (ROOT / "README.md").read_text()
    block = text[text.index("## Layout"):]
    block = block[block.index("```text"):]
    block = block[: block.index("\n```", 4)]
    wings: dict[str, str] = {}
    current = ""
    for line in block.splitlines()[2:]:
        match = re.match(r"  (\S+)", line)
        if match:
            current = match.group(1).split("/")[0].removesuffix(".py")
        wings[current] = wings.get(current, "") + line
    package = ROOT / "evopolity"
    for path in package.rglob("*.py"):
        rel = path.relative_to(package)
        if rel.name in ("__init__.py", "__main__.py"):
            continue
        if len(rel.parts) == 1:  # validate.py, cli.py: a wing of one module
            assert rel.stem in wings, f"README's layout lacks evopolity/{rel}"
            continue
        assert rel.parts[0] in wings, f"README's layout lacks the wing {rel.parts[0]}/"
        assert rel.name in wings[rel.parts[0]], f"README's layout lacks evopolity/{rel}"


def test_the_index_lists_every_page():
    index = (ROOT / "docs" / "index.md").read_text()
    for page in sorted((ROOT / "docs").glob("*.md")):
        if page.name != "index.md":
            assert f"]({page.name}" in index, f"docs/index.md does not list {page.name}"
    for kind in ("Tutorial", "How-to", "Reference", "Explanation"):
        assert f"## {kind}" in index


def test_every_test_that_reliability_md_cites_exists():
    # docs/reliability.md lists, for each guarantee, the tests that hold it: a renamed or
    # removed test must not leave a guarantee that nothing checks any more
    text = (ROOT / "docs" / "reliability.md").read_text()
    cited = set(re.findall(r"\b(test_\w+)\b", text)) - {"test_fuzz", "test_api_guards"}
    defined = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        defined |= set(re.findall(r"^def (test_\w+)", path.read_text(), re.MULTILINE))
    files = {p.stem for p in (ROOT / "tests").glob("test_*.py")}
    missing = sorted(name for name in cited if name not in defined and name not in files)
    assert len(cited) > 20
    assert not missing, f"docs/reliability.md cites tests that do not exist: {missing}"
