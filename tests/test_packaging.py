"""Import-time promises: no axelrod, and kernels import from a read-only installation."""

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numba
import pytest

import evopolity
from evopolity.kernels import _jit


def test_import_evopolity_does_not_import_axelrod():
    code = "import sys, evopolity; print('axelrod' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def read_only_copy(root: Path) -> Path:
    """A copy of the package that nobody can write into, root included.

    Permissions stop other users only (root writes anyway, and CI runs as root), so every
    package directory also holds a *file* named ``__pycache__``: creating the cache directory
    there fails for everyone, as on a read-only file system.
    """
    target = root / "site"
    shutil.copytree(Path(evopolity.__file__).parent, target / "evopolity",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for package in [p for p in (target / "evopolity").rglob("*") if p.is_dir()] + [
        target / "evopolity"
    ]:
        (package / "__pycache__").write_text("")
    for path in target.rglob("*"):
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    target.chmod(0o555)
    return target


# In the child: import (the environment decides where a user cache may go; nothing can be
# created under /proc, by root either), report the cache decision, and run a kernel: rho of
# A = [[1, 2], [3, 1]], N = 4, w = 1 is 8/45 (Nowak et al. 2004, worked by hand in
# test_analytical.py).
CHILD = """
import json
import numba
import evopolity as ep
from evopolity.kernels import _jit
rho = ep.fixation_probability([[1.0, 2.0], [3.0, 1.0]], 4, "moran", 1.0, fitness_map="linear")
print(json.dumps({"file": ep.__file__, "cache": _jit.CACHE,
                  "cache_dir": numba.config.CACHE_DIR, "rho": rho}))
"""


@pytest.mark.parametrize("home_writable", [True, False], ids=["home-writable", "nothing-writable"])
def test_package_imports_and_runs_from_a_read_only_directory(tmp_path, home_writable):
    # numba's cache=True fails at import ("no locator available") when no cache directory is
    # writable; the package must notice and cache in the user's private cache directory, or
    # not at all (docs/performance.md, "Numba caching, a trap")
    target = read_only_copy(tmp_path)
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    env = dict(os.environ, PYTHONPATH=str(target), NUMBA_CACHE_DIR="/proc/no-such-dir",
               TMPDIR=str(tmp_path), HOME=str(home) if home_writable else "/proc/no-home")
    env.pop("EVOPOLITY_NO_CACHE", None)
    env.pop("XDG_CACHE_HOME", None)
    try:
        proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=300)
    finally:
        for path in [target, *target.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["file"].startswith(str(target))
    assert out["rho"] == pytest.approx(8 / 45, rel=1e-12)
    fallback = home / ".cache" / "evopolity" / "numba"
    if home_writable:
        assert out["cache"] is True and out["cache_dir"] == str(fallback)
        assert list(fallback.rglob("*.nbi"))  # numba really cached the kernel there
        assert stat.S_IMODE(fallback.stat().st_mode) == 0o700  # created private
    else:
        assert out["cache"] is False and out["cache_dir"] == "/proc/no-such-dir"
    # never the shared temporary directory, where anyone could plant index files first
    assert not list(tmp_path.glob("evopolity-numba-cache-*"))


def test_cache_decision_tries_the_package_numba_dir_then_the_user_cache(monkeypatch, tmp_path):
    # the decision alone, with writability decided here; the order is the one numba searches
    writable = set()
    monkeypatch.setattr(_jit, "_writable", lambda directory: directory in writable)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("EVOPOLITY_NO_CACHE", raising=False)
    numba_dir = tmp_path / "numba-dir"
    in_tree = Path(_jit.__file__).parent / "__pycache__"
    fallback = tmp_path / "xdg" / "evopolity" / "numba"
    assert _jit.user_cache_directory() == fallback
    for usable, cache, cache_dir in [
        (set(), False, numba_dir),
        ({fallback}, True, fallback),
        ({numba_dir, fallback}, True, numba_dir),
        ({in_tree, numba_dir, fallback}, True, numba_dir),
    ]:
        writable.clear()
        writable.update(usable)
        monkeypatch.setattr(numba.config, "CACHE_DIR", str(numba_dir))
        assert _jit._configure_cache() is cache, usable
        assert numba.config.CACHE_DIR == str(cache_dir), usable
    monkeypatch.setenv("EVOPOLITY_NO_CACHE", "1")
    assert _jit._configure_cache() is False


@pytest.mark.parametrize("whose", ["writable-by-others", "parent-writable-by-others",
                                   "another-users"])
def test_a_user_cache_someone_else_can_plant_is_refused(monkeypatch, tmp_path, whose):
    # numba unpickles the index files of its cache directory: a directory another user owns
    # or may write would run their code in ours, so the package must not cache there
    monkeypatch.setattr(_jit, "_writable", lambda directory: directory.is_dir())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("EVOPOLITY_NO_CACHE", raising=False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    monkeypatch.setattr(_jit, "__file__", str(tmp_path / "read-only" / "_jit.py"))
    fallback = _jit.user_cache_directory()
    fallback.mkdir(mode=0o700, parents=True)
    assert _jit._configure_cache() is True  # private: used
    assert numba.config.CACHE_DIR == str(fallback)
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    if whose == "writable-by-others":
        fallback.chmod(0o777)
    elif whose == "parent-writable-by-others":
        fallback.parent.chmod(0o777)
    else:  # as if another user had created it first (chown needs root; the uid check is ours)
        monkeypatch.setattr(os, "getuid", lambda: fallback.stat().st_uid + 1)
    assert _jit._configure_cache() is False
    assert numba.config.CACHE_DIR == ""


def test_ci_runs_exactly_the_readme_test_command():
    # the README promises that its test command is what CI runs; CI is .ci/run's last line
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    block = readme.split("**Run the tests**", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    ci = (root / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert block.strip() == ci
    assert "ruff check ." in ci and ci.endswith("&& pytest")



def test_property_tests_draw_the_same_examples_on_every_run():
    # the suite's profile (tests/conftest.py) reaches tests that set their own settings too;
    # HYPOTHESIS_PROFILE=explore is a developer asking for fresh draws
    from hypothesis import given, settings, strategies

    fixed = os.environ.get("HYPOTHESIS_PROFILE", "fixed") == "fixed"
    assert settings().derandomize == settings(max_examples=5).derandomize == fixed
    seen = []

    @settings(max_examples=5)
    @given(strategies.integers())
    def draw(value):
        seen.append(value)

    draw()
    first, seen[:] = list(seen), []
    draw()
    assert (seen == first) or not fixed
